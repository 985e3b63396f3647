use crate::emit;
use crate::{
    errors::SessionError, events::TokenWithdrawn, instructions::owner_signed::*, vault_cpi,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

/// Moves tokens out of a token account owned by the owner's vault to any destination the owner
/// picks. Owner only; no caps apply, so funds are never stuck in the vault.
#[derive(Accounts)]
pub struct WithdrawToken<'info> {
    /// Owner and wallet.
    pub gate: OwnerSigned<'info>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    pub vault: UncheckedAccount<'info>,
    /// A token account owned by the vault.
    #[account(mut)]
    pub from: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: the token program checks it against both accounts and `decimals`.
    pub mint: UncheckedAccount<'info>,
    /// Destination token account.
    #[account(mut)]
    pub to: Box<InterfaceAccount<'info, TokenAccount>>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
}

impl WithdrawToken<'_> {
    fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, SessionError::ZeroAmount);
        self.gate
            .check_vault_token_account(self.vault.key, &self.from.owner)
    }

    /// Transfers `amount` out of the vault's token account, signed by the vault.
    pub fn handler(ctx: Context<Self>, amount: u64, decimals: u8) -> Result<()> {
        ctx.accounts.validate(amount)?;
        let a = ctx.accounts;
        vault_cpi::vault_tokens(
            &a.gate.wallet,
            &a.token_program.to_account_info(),
            &a.vault,
            &a.from.to_account_info(),
            &a.mint,
            &a.to.to_account_info(),
            amount,
            decimals,
        )?;
        emit!(TokenWithdrawn {
            owner: a.gate.owner.key(),
            mint: a.mint.key(),
            to: a.to.key(),
            amount,
        });
        Ok(())
    }
}
