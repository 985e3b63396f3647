use crate::{
    errors::SessionError,
    state::{Session, Wallet},
};
use anchor_lang::prelude::*;

/// The accounts every session-signed instruction (`transfer_token`, `transfer_sol`, `execute`)
/// starts with, and the one gate they pass: signed by the session's key, the owner's wallet,
/// the owner's vault.
///
/// Anchor nests it in the IDL as a group named `gate`; the Rust client and the TypeScript SDK
/// flatten it (session key, session, wallet, vault come first, in this order).
#[derive(Accounts)]
pub struct SessionSigned<'info> {
    /// The session key; usually also the fee payer.
    pub session_key: Signer<'info>,
    /// The session acting.
    #[account(mut, has_one = session_key @ SessionError::WrongSessionKey)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account (revocation nonce, vault bump).
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// The owner's vault PDA: pays SOL transfers and signs every CPI (hence writable).
    /// CHECK: checked by [`SessionSigned::check`] with the stored bump (one hash, no search).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
}

impl SessionSigned<'_> {
    /// The gate: the session is usable ([`Session::check_usable`]: unexpired, not revoked
    /// under the owner's current nonce, a use left) and `vault` is the owner's vault. The key
    /// and the wallet were checked by the account constraints.
    pub fn check(&self, now: i64) -> Result<()> {
        self.session.check_usable(now, self.wallet.nonce)?;
        self.wallet.check_vault(self.vault.key)?;
        Ok(())
    }
}
