use crate::emit;
use crate::{
    errors::SessionError, events::SolTransferred, instructions::session_signed::*, policy,
    policy::Asset, state::Session, vault_cpi,
};
use anchor_lang::prelude::*;

/// Moves `amount` lamports from the owner's vault to `destination`, signed by the vault PDA,
/// after the session's expiry, nonce, uses, rate limit, reference, SOL caps, the owner's
/// budget and the destination allow-list allow it.
#[derive(Accounts)]
pub struct TransferSol<'info> {
    /// Session key, session, wallet, vault, budget.
    pub gate: SessionSigned<'info>,
    /// CHECK: any recipient allowed by the session's destination list, except the vault.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// The recipient rules of `transfer_sol` (shared with `preview`): not the vault, and on the
/// session's destination list if it has one.
pub fn check_sol_destination(
    session: &Session,
    vault: &Pubkey,
    destination: &Pubkey,
) -> Result<()> {
    require_keys_neq!(*destination, *vault, SessionError::SelfTransfer);
    policy::check_destination(&session.destinations, destination, None)?;
    Ok(())
}

impl TransferSol<'_> {
    /// Checks, charges the SOL caps and the owner's budget (a failed transfer reverts the
    /// charge with the transaction), transfers, then records the use and the reference and
    /// emits.
    pub fn handler(ctx: Context<Self>, amount: u64, reference: Option<Vec<u8>>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let checked = a.gate.check(now, reference.as_deref())?;
        check_sol_destination(&a.gate.session, a.gate.vault.key, a.destination.key)?;
        let charged = a.gate.charge(&[(Asset::Sol, amount)], now, false)?;
        let charged = charged.first().copied().unwrap_or_default();

        vault_cpi::vault_lamports(
            &a.gate.wallet,
            &a.system_program.to_account_info(),
            &a.gate.vault,
            &a.destination,
            amount,
        )?;

        a.gate.record(now, checked)?;
        let session = &a.gate.session;
        emit!(SolTransferred {
            owner: session.owner,
            session: session.key(),
            to: a.destination.key(),
            amount,
            lifetime_remaining: charged.lifetime_remaining(),
            window_remaining: charged.window_remaining(now),
            uses_remaining: session.uses_remaining(),
            reference,
        });
        Ok(())
    }
}
