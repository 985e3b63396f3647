//! A hostile `execute` target, used only by the tests: each instruction tries one way to abuse
//! the vault's signature. `session_keys::execute` must refuse every one of them (or charge it
//! to the caps, for plain spending).
use anchor_lang::{
    prelude::*,
    solana_program::{instruction::Instruction, program::invoke},
    system_program,
};
use anchor_spl::token_interface::{
    self, spl_token_2022::instruction::AuthorityType, Approve, CloseAccount, SetAuthority,
    TransferChecked,
};

declare_id!("HFmQAd7neAk2f8ewewJxqKHoWS6nU7xydc4zcbEyModA");

/// The hostile program.
#[program]
pub mod hostile_target {
    use super::*;

    /// Sends `amount` lamports from the vault to the thief.
    pub fn drain_lamports(ctx: Context<Vault2>, amount: u64) -> Result<()> {
        let a = &ctx.accounts;
        system_program::transfer(
            CpiContext::new(
                system_program::ID,
                system_program::Transfer {
                    from: a.vault.to_account_info(),
                    to: a.thief.to_account_info(),
                },
            ),
            amount,
        )
    }

    /// Reassigns the vault to this program.
    pub fn assign_vault(ctx: Context<VaultOnly>) -> Result<()> {
        system_program::assign(
            CpiContext::new(
                system_program::ID,
                system_program::Assign {
                    account_to_assign: ctx.accounts.vault.to_account_info(),
                },
            ),
            &crate::ID,
        )
    }

    /// Gives the vault data.
    pub fn allocate_vault(ctx: Context<VaultOnly>) -> Result<()> {
        system_program::allocate(
            CpiContext::new(
                system_program::ID,
                system_program::Allocate {
                    account_to_allocate: ctx.accounts.vault.to_account_info(),
                },
            ),
            8,
        )
    }

    /// Moves tokens the vault controls to the thief's token account.
    pub fn steal_tokens(ctx: Context<Tokens>, amount: u64, decimals: u8) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::transfer_checked(
            CpiContext::new(
                a.token_program.key(),
                TransferChecked {
                    from: a.token_account.to_account_info(),
                    mint: a.mint.to_account_info(),
                    to: a.thief.to_account_info(),
                    authority: a.vault.to_account_info(),
                },
            ),
            amount,
            decimals,
        )
    }

    /// Approves the thief as delegate of a vault-owned token account.
    pub fn approve_thief(ctx: Context<Tokens>, amount: u64) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::approve(
            CpiContext::new(
                a.token_program.key(),
                Approve {
                    to: a.token_account.to_account_info(),
                    delegate: a.thief.to_account_info(),
                    authority: a.vault.to_account_info(),
                },
            ),
            amount,
        )
    }

    /// Hands ownership (`kind` 2) or close authority (`kind` 3) of a vault-owned token
    /// account to the thief.
    pub fn take_authority(ctx: Context<Tokens>, kind: u8) -> Result<()> {
        let a = &ctx.accounts;
        let kind = if kind == 2 {
            AuthorityType::AccountOwner
        } else {
            AuthorityType::CloseAccount
        };
        token_interface::set_authority(
            CpiContext::new(
                a.token_program.key(),
                SetAuthority {
                    current_authority: a.vault.to_account_info(),
                    account_or_mint: a.token_account.to_account_info(),
                },
            ),
            kind,
            Some(a.thief.key()),
        )
    }

    /// Closes an empty vault-owned token account, sending its rent to the thief.
    pub fn close_token_account(ctx: Context<Tokens>) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::close_account(CpiContext::new(
            a.token_program.key(),
            CloseAccount {
                account: a.token_account.to_account_info(),
                destination: a.thief.to_account_info(),
                authority: a.vault.to_account_info(),
            },
        ))
    }

    /// Adds a Token-2022 extension (required memos) to a vault-owned account, the vault paying
    /// the extra rent.
    pub fn add_extension(ctx: Context<AddExtension>) -> Result<()> {
        let a = &ctx.accounts;
        let ix = anchor_spl::token_2022::spl_token_2022::instruction::reallocate(
            a.token_program.key,
            a.token_account.key,
            a.vault.key,
            a.vault.key,
            &[],
            &[anchor_spl::token_2022::spl_token_2022::extension::ExtensionType::MemoTransfer],
        )?;
        invoke(
            &ix,
            &[
                a.token_account.to_account_info(),
                a.vault.to_account_info(),
                a.system_program.to_account_info(),
            ],
        )?;
        Ok(())
    }

    /// Revokes the vault's own delegation on an owner token account (Token-2022 lets the
    /// current delegate revoke itself).
    pub fn revoke_vault_delegation(ctx: Context<Tokens>) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::revoke(CpiContext::new(
            a.token_program.key(),
            token_interface::Revoke {
                source: a.token_account.to_account_info(),
                authority: a.vault.to_account_info(),
            },
        ))
    }

    /// Token-2022 `WithdrawExcessLamports`: takes every lamport above rent from a vault-owned
    /// token account to the thief.
    pub fn withdraw_excess_lamports(ctx: Context<Tokens>) -> Result<()> {
        let a = &ctx.accounts;
        let ix = anchor_spl::token_2022::spl_token_2022::instruction::withdraw_excess_lamports(
            a.token_program.key,
            a.token_account.key,
            a.thief.key,
            a.vault.key,
            &[],
        )?;
        invoke(
            &ix,
            &[
                a.token_account.to_account_info(),
                a.thief.to_account_info(),
                a.vault.to_account_info(),
            ],
        )?;
        Ok(())
    }

    /// Closes the vault's empty associated token account (rent and any excess lamports to the
    /// thief), then creates it again with the vault paying the rent: same address, same state.
    pub fn close_and_recreate(ctx: Context<Recreate>) -> Result<()> {
        let a = &ctx.accounts;
        token_interface::close_account(CpiContext::new(
            a.token_program.key(),
            CloseAccount {
                account: a.token_account.to_account_info(),
                destination: a.thief.to_account_info(),
                authority: a.vault.to_account_info(),
            },
        ))?;
        let create = Instruction {
            program_id: a.associated_token_program.key(),
            accounts: vec![
                AccountMeta::new(a.vault.key(), true),
                AccountMeta::new(a.token_account.key(), false),
                AccountMeta::new_readonly(a.vault.key(), false),
                AccountMeta::new_readonly(a.mint.key(), false),
                AccountMeta::new_readonly(system_program::ID, false),
                AccountMeta::new_readonly(a.token_program.key(), false),
            ],
            data: vec![0],
        };
        invoke(
            &create,
            &[
                a.vault.to_account_info(),
                a.token_account.to_account_info(),
                a.mint.to_account_info(),
                a.system_program.to_account_info(),
                a.token_program.to_account_info(),
                a.associated_token_program.to_account_info(),
            ],
        )?;
        Ok(())
    }

    /// Pays `amount` lamports back from this program's loan PDA (`["loan"]`) to the vault: the
    /// second half of a flash loan inside one `execute` batch.
    pub fn repay_lamports(ctx: Context<Repay>, amount: u64) -> Result<()> {
        let a = &ctx.accounts;
        system_program::transfer(
            CpiContext::new_with_signer(
                system_program::ID,
                system_program::Transfer {
                    from: a.loan.to_account_info(),
                    to: a.vault.to_account_info(),
                },
                &[&[LOAN_SEED, &[ctx.bumps.loan]]],
            ),
            amount,
        )
    }

    /// Calls back into session-keys with the vault as a signer (re-entry).
    pub fn reenter(ctx: Context<Reenter>, data: Vec<u8>) -> Result<()> {
        let metas = ctx
            .remaining_accounts
            .iter()
            .map(|a| AccountMeta {
                pubkey: *a.key,
                is_signer: a.is_signer,
                is_writable: a.is_writable,
            })
            .collect();
        let ix = Instruction {
            program_id: ctx.accounts.session_keys.key(),
            accounts: metas,
            data,
        };
        invoke(&ix, ctx.remaining_accounts)?;
        Ok(())
    }
}

/// The vault and a thief.
#[derive(Accounts)]
pub struct Vault2<'info> {
    /// CHECK: the victim's vault (signs through `execute`).
    #[account(mut)]
    pub vault: Signer<'info>,
    /// CHECK: receives the loot.
    #[account(mut)]
    pub thief: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// The vault alone.
#[derive(Accounts)]
pub struct VaultOnly<'info> {
    /// The victim's vault (signs through `execute`).
    #[account(mut)]
    pub vault: Signer<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// A token account the vault controls, its mint, and the thief.
#[derive(Accounts)]
pub struct Tokens<'info> {
    /// The victim's vault (signs through `execute`).
    pub vault: Signer<'info>,
    /// CHECK: a token account the vault controls.
    #[account(mut)]
    pub token_account: UncheckedAccount<'info>,
    /// CHECK: its mint.
    pub mint: UncheckedAccount<'info>,
    /// CHECK: the thief (a token account or a wallet, depending on the attack).
    #[account(mut)]
    pub thief: UncheckedAccount<'info>,
    /// CHECK: the token program.
    pub token_program: UncheckedAccount<'info>,
}

/// A vault-owned Token-2022 account to grow.
#[derive(Accounts)]
pub struct AddExtension<'info> {
    /// The victim's vault (signs through `execute`; pays the rent).
    #[account(mut)]
    pub vault: Signer<'info>,
    /// CHECK: a Token-2022 account the vault owns.
    #[account(mut)]
    pub token_account: UncheckedAccount<'info>,
    /// CHECK: Token-2022.
    pub token_program: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// The vault's associated token account, its mint, the thief, and the programs to re-create it.
#[derive(Accounts)]
pub struct Recreate<'info> {
    /// The victim's vault (signs through `execute`; pays the new account's rent).
    #[account(mut)]
    pub vault: Signer<'info>,
    /// CHECK: the vault's associated token account.
    #[account(mut)]
    pub token_account: UncheckedAccount<'info>,
    /// CHECK: its mint.
    pub mint: UncheckedAccount<'info>,
    /// CHECK: receives the closed account's lamports.
    #[account(mut)]
    pub thief: UncheckedAccount<'info>,
    /// CHECK: the token program.
    pub token_program: UncheckedAccount<'info>,
    /// CHECK: the associated token account program.
    pub associated_token_program: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Seed of the loan PDA.
pub const LOAN_SEED: &[u8] = b"loan";

/// The loan PDA and the vault it repays.
#[derive(Accounts)]
pub struct Repay<'info> {
    /// CHECK: this program's loan PDA (system-owned, holds what was lent).
    #[account(mut, seeds = [LOAN_SEED], bump)]
    pub loan: UncheckedAccount<'info>,
    /// CHECK: the victim's vault.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// Re-entry target.
#[derive(Accounts)]
pub struct Reenter<'info> {
    /// CHECK: the session-keys program.
    pub session_keys: UncheckedAccount<'info>,
}
