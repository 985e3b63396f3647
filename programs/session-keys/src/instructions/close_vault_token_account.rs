use crate::emit;
use crate::{events::VaultTokenAccountClosed, instructions::owner_signed::*};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, CloseAccount, TokenAccount, TokenInterface};

/// Closes an empty token account owned by the owner's vault and sends its rent to any
/// destination the owner picks. Owner only, so no rent is ever stuck in vault accounts.
#[derive(Accounts)]
pub struct CloseVaultTokenAccount<'info> {
    /// Owner and wallet.
    pub gate: OwnerSigned<'info>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    pub vault: UncheckedAccount<'info>,
    /// The empty vault-owned token account to close.
    #[account(mut)]
    pub token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: any account the owner chooses; receives the rent.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
}

impl CloseVaultTokenAccount<'_> {
    fn validate(&self) -> Result<()> {
        self.gate
            .check_vault_token_account(self.vault.key, &self.token_account.owner)
    }

    /// Closes the account with the vault signing (the token program refuses a non-empty one).
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        ctx.accounts.validate()?;
        let a = ctx.accounts;
        let seeds = a.gate.wallet.vault_seeds();
        token_interface::close_account(CpiContext::new_with_signer(
            a.token_program.key(),
            CloseAccount {
                account: a.token_account.to_account_info(),
                destination: a.destination.to_account_info(),
                authority: a.vault.to_account_info(),
            },
            &[&seeds],
        ))?;
        emit!(VaultTokenAccountClosed {
            owner: a.gate.owner.key(),
            token_account: a.token_account.key(),
            destination: a.destination.key(),
        });
        Ok(())
    }
}
