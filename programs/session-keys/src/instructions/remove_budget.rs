use crate::emit;
use crate::{
    constants::*, errors::SessionError, events::BudgetRemoved,
    instructions::set_budget::resize_with_rent, policy, state::Budget,
};
use anchor_lang::prelude::*;

/// The owner removes the budget of one asset. The account shrinks by one entry (rent back to
/// the owner); removing the last entry closes it, and sessions then pass its empty address.
#[derive(Accounts)]
pub struct RemoveBudget<'info> {
    /// The owner (gets the rent back).
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The owner's budget.
    #[account(
        mut,
        seeds = [BUDGET_SEED, owner.key().as_ref()],
        bump = budget.bump,
        has_one = owner @ SessionError::NotOwner,
    )]
    pub budget: Box<Account<'info, Budget>>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl RemoveBudget<'_> {
    /// Removes the entry ([`SessionError::BudgetNotSet`] if none), shrinks or closes, emits.
    pub fn handler(ctx: Context<Self>, asset: Pubkey) -> Result<()> {
        let a = ctx.accounts;
        policy::remove_budget(&mut a.budget.entries, &asset)?;
        let closed = a.budget.entries.is_empty();
        if closed {
            a.budget.close(a.owner.to_account_info())?;
        } else {
            a.budget.invariant()?;
            let len = Budget::space(a.budget.entries.len());
            resize_with_rent(
                &a.budget.to_account_info(),
                &a.owner.to_account_info(),
                &a.system_program.to_account_info(),
                len,
            )?;
        }
        emit!(BudgetRemoved {
            owner: a.owner.key(),
            asset,
            closed,
        });
        Ok(())
    }
}
