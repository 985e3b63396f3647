use crate::emit;
use crate::{
    errors::SessionError,
    events::SolTransferred,
    policy,
    state::{Session, Wallet},
    vault_cpi,
};
use anchor_lang::prelude::*;

/// Moves `amount` lamports from the owner's vault to `destination`, signed by the vault PDA,
/// after the session's expiry, nonce, SOL caps, uses and destination allow-list allow it.
#[derive(Accounts)]
pub struct TransferSol<'info> {
    /// The session key; usually also the fee payer.
    pub session_key: Signer<'info>,
    /// The session spending.
    #[account(mut, has_one = session_key @ SessionError::WrongSessionKey)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account (revocation nonce, vault bump).
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// CHECK: any recipient allowed by the session's destination list.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl TransferSol<'_> {
    /// Returns the session's uses after this transfer.
    fn validate(&self, now: i64) -> Result<u32> {
        let session = &self.session;
        let uses = session.authorize_spend(&self.wallet, self.vault.key, now)?;
        policy::check_destination(&session.destinations, self.destination.key, None)?;
        Ok(uses)
    }

    /// Checks, charges the SOL caps, transfers, then records and emits.
    pub fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let uses = ctx.accounts.validate(now)?;
        let a = ctx.accounts;
        let charged = a
            .session
            .sol
            .ok_or(SessionError::SolNotInScope)?
            .charged(amount, now)?;

        vault_cpi::vault_lamports(
            &a.wallet,
            &a.system_program.to_account_info(),
            &a.vault,
            &a.destination,
            amount,
        )?;

        a.session.sol = Some(charged);
        a.session.uses = uses;
        a.session.invariant()?;
        emit!(SolTransferred {
            owner: a.session.owner,
            session: a.session.key(),
            to: a.destination.key(),
            amount,
            lifetime_remaining: charged.lifetime_remaining(),
            window_remaining: charged.window_remaining(now),
            uses_remaining: a.session.uses_remaining(),
        });
        Ok(())
    }
}
