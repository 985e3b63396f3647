use crate::emit;
use crate::{constants::VAULT_SEED, errors::SessionError, events::SolDeposited};
use anchor_lang::{prelude::*, system_program};

/// Moves lamports from the owner to the owner's vault, where SOL-capped sessions can spend
/// them. Owner only; no caps apply. (Anyone can also send SOL to the vault address directly.)
#[derive(Accounts)]
pub struct DepositSol<'info> {
    /// The owner, paying.
    #[account(mut)]
    pub owner: Signer<'info>,
    /// CHECK: the owner's vault PDA (derived here: this is not a hot path).
    #[account(mut, seeds = [VAULT_SEED, owner.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl DepositSol<'_> {
    /// Transfers `amount` lamports into the vault.
    pub fn handler(ctx: Context<Self>, amount: u64) -> Result<()> {
        require!(amount > 0, SessionError::ZeroAmount);
        let a = ctx.accounts;
        system_program::transfer(
            CpiContext::new(
                a.system_program.key(),
                system_program::Transfer {
                    from: a.owner.to_account_info(),
                    to: a.vault.to_account_info(),
                },
            ),
            amount,
        )?;
        emit!(SolDeposited {
            owner: a.owner.key(),
            amount,
        });
        Ok(())
    }
}
