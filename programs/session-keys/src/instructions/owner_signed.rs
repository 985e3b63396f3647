use crate::{errors::SessionError, state::Wallet};
use anchor_lang::prelude::*;

/// The accounts every owner-only instruction on the vault (`withdraw_sol`, `withdraw_token`,
/// `close_vault_token_account`) starts with, and the one check they share: signed by the
/// owner of this wallet, acting on this owner's vault. The owner-side twin of
/// [`super::SessionSigned`].
///
/// Anchor nests it in the IDL as a group named `gate`; the Rust client and the TypeScript SDK
/// flatten it (owner, wallet, then the vault, as before). The vault itself stays in each
/// instruction, because whether it is writable differs (only `withdraw_sol` moves its
/// lamports).
#[derive(Accounts)]
pub struct OwnerSigned<'info> {
    /// The owner.
    pub owner: Signer<'info>,
    /// The owner's wallet account (vault bump).
    #[account(has_one = owner @ SessionError::NotOwner)]
    pub wallet: Box<Account<'info, Wallet>>,
}

impl OwnerSigned<'_> {
    /// The check: `vault` is this owner's vault (from the stored bump: one hash, no search).
    /// The owner's signature and the wallet were checked by the account constraints.
    pub fn check(&self, vault: &Pubkey) -> Result<()> {
        self.wallet.check_vault(vault)
    }

    /// [`Self::check`], and the vault owns the token account whose owner field is
    /// `token_owner` (the owner-only instructions on vault token accounts).
    pub fn check_vault_token_account(&self, vault: &Pubkey, token_owner: &Pubkey) -> Result<()> {
        self.check(vault)?;
        require_keys_eq!(*token_owner, *vault, SessionError::WrongSourceAccount);
        Ok(())
    }
}
