use crate::emit;
use crate::{errors::SessionError, events::SolWithdrawn, instructions::owner_signed::*, vault_cpi};
use anchor_lang::prelude::*;

/// Moves lamports out of the owner's vault to any destination the owner picks. Owner only; no
/// caps apply, so funds are never stuck in the vault.
#[derive(Accounts)]
pub struct WithdrawSol<'info> {
    /// Owner and wallet.
    pub gate: OwnerSigned<'info>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// CHECK: any recipient the owner chooses.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl WithdrawSol<'_> {
    fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, SessionError::ZeroAmount);
        self.gate.check(self.vault.key)
    }

    /// Transfers `amount` lamports out of the vault, signed by the vault.
    pub fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        ctx.accounts.validate(amount)?;
        let a = ctx.accounts;
        vault_cpi::vault_lamports(
            &a.gate.wallet,
            &a.system_program.to_account_info(),
            &a.vault,
            &a.destination,
            amount,
        )?;
        emit!(SolWithdrawn {
            owner: a.gate.owner.key(),
            to: a.destination.key(),
            amount,
        });
        Ok(())
    }
}
