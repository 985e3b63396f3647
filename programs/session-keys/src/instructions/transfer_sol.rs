use crate::emit;
use crate::{
    errors::SessionError, events::SolTransferred, instructions::session_signed::*, policy,
    policy::Asset, vault_cpi,
};
use anchor_lang::prelude::*;

/// Moves `amount` lamports from the owner's vault to `destination`, signed by the vault PDA,
/// after the session's expiry, nonce, uses, SOL caps and destination allow-list allow it.
#[derive(Accounts)]
pub struct TransferSol<'info> {
    /// Session key, session, wallet, vault.
    pub gate: SessionSigned<'info>,
    /// CHECK: any recipient allowed by the session's destination list, except the vault.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl TransferSol<'_> {
    fn validate(&self, now: i64) -> Result<()> {
        self.gate.check(now)?;
        require_keys_neq!(
            *self.destination.key,
            *self.gate.vault.key,
            SessionError::SelfTransfer
        );
        policy::check_destination(&self.gate.session.destinations, self.destination.key, None)?;
        Ok(())
    }

    /// Checks, charges the SOL caps (a failed transfer reverts the charge with the
    /// transaction), transfers, then records the use and emits.
    pub fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.validate(now)?;
        let a = ctx.accounts;
        let charged = a.gate.session.charge(Asset::Sol, amount, now)?;

        vault_cpi::vault_lamports(
            &a.gate.wallet,
            &a.system_program.to_account_info(),
            &a.gate.vault,
            &a.destination,
            amount,
        )?;

        let session = &mut a.gate.session;
        session.record_use()?;
        emit!(SolTransferred {
            owner: session.owner,
            session: session.key(),
            to: a.destination.key(),
            amount,
            lifetime_remaining: charged.lifetime_remaining(),
            window_remaining: charged.window_remaining(now),
            uses_remaining: session.uses_remaining(),
        });
        Ok(())
    }
}
