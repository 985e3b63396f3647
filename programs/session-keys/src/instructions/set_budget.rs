use crate::emit;
use crate::{
    constants::*,
    errors::SessionError,
    events::BudgetSet,
    instructions::session_signed::load_budget,
    policy::{self, TokenProgram, SOL_ASSET},
    state::{Budget, Wallet},
};
use anchor_lang::{prelude::*, system_program};

pub use crate::policy::BudgetCapsArgs;

/// The owner sets (adds or changes) the budget of one asset: caps that bind every session of
/// the owner, now and later. What was already counted stays counted (a change never resets
/// the spent amounts; remove and set again to start over). Creates the wallet and the budget
/// account on first use, and grows the budget by one entry when the asset is new, the owner
/// paying the rent.
///
/// `asset` is the all-zero address for SOL, or a mint: then the mint account is the first
/// remaining account, and must be a mint as SPL Token or Token-2022 reads one.
#[derive(Accounts)]
pub struct SetBudget<'info> {
    /// The owner (pays rent).
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The owner's wallet account, created on first use.
    #[account(
        init_if_needed,
        payer = owner,
        space = Wallet::SPACE,
        seeds = [WALLET_SEED, owner.key().as_ref()],
        bump,
    )]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA; only its bump is used (stored in a new wallet).
    #[account(seeds = [VAULT_SEED, owner.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// The owner's budget, created on first use and sized to its entries by the handler.
    /// CHECK: seeds checked; read with Anchor's reader (owner, discriminator) once it exists.
    #[account(mut, seeds = [BUDGET_SEED, owner.key().as_ref()], bump)]
    pub budget: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

/// `asset` is SOL, or the mint passed as `mint` (SPL Token's or Token-2022's own mint reader),
/// else [`SessionError::UnknownAsset`].
pub fn check_asset(asset: &Pubkey, mint: Option<&AccountInfo>) -> Result<()> {
    if *asset == SOL_ASSET {
        return Ok(());
    }
    let mint = mint.ok_or(SessionError::UnknownAsset)?;
    require_keys_eq!(*mint.key, *asset, SessionError::UnknownAsset);
    let program = TokenProgram::of(mint.owner).ok_or(SessionError::UnknownAsset)?;
    require!(
        policy::is_mint(program, &mint.try_borrow_data()?),
        SessionError::UnknownAsset
    );
    Ok(())
}

/// Resizes a program-owned account to `len`: the owner pays the rent a larger size needs, and
/// gets back what a smaller one no longer needs.
pub fn resize_with_rent<'info>(
    account: &AccountInfo<'info>,
    owner: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    len: usize,
) -> Result<()> {
    let rent = Rent::get()?.minimum_balance(len);
    let have = account.lamports();
    if rent > have {
        system_program::transfer(
            CpiContext::new(
                system_program.key(),
                system_program::Transfer {
                    from: owner.clone(),
                    to: account.clone(),
                },
            ),
            rent.saturating_sub(have),
        )?;
    } else if have > rent {
        let refund = have.saturating_sub(rent);
        account.sub_lamports(refund)?;
        owner.add_lamports(refund)?;
    }
    account.resize(len)?;
    Ok(())
}

/// Makes the system account at a PDA of this program (signed by `seeds`) a program account
/// of `len` zero bytes, rent-exempt, the owner paying: transfer what is missing, allocate,
/// assign. Works whether or not someone sent lamports to the address before.
pub fn create_program_account<'info>(
    account: &AccountInfo<'info>,
    payer: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    len: usize,
    seeds: &[&[u8]],
) -> Result<()> {
    let rent = Rent::get()?.minimum_balance(len);
    let missing = rent.saturating_sub(account.lamports());
    if missing > 0 {
        system_program::transfer(
            CpiContext::new(
                system_program.key(),
                system_program::Transfer {
                    from: payer.clone(),
                    to: account.clone(),
                },
            ),
            missing,
        )?;
    }
    let signer: &[&[&[u8]]] = &[seeds];
    system_program::allocate(
        CpiContext::new_with_signer(
            system_program.key(),
            system_program::Allocate {
                account_to_allocate: account.clone(),
            },
            signer,
        ),
        len as u64,
    )?;
    system_program::assign(
        CpiContext::new_with_signer(
            system_program.key(),
            system_program::Assign {
                account_to_assign: account.clone(),
            },
            signer,
        ),
        &crate::ID,
    )?;
    Ok(())
}

impl<'info> SetBudget<'info> {
    /// Checks the asset and the caps, stores them, resizes the account to its entries, emits.
    pub fn handler(ctx: Context<'info, Self>, asset: Pubkey, caps: BudgetCapsArgs) -> Result<()> {
        check_asset(&asset, ctx.remaining_accounts.first())?;
        let now = Clock::get()?.unix_timestamp;
        let owner = ctx.accounts.owner.key();
        ctx.accounts
            .wallet
            .init_if_new(owner, ctx.bumps.wallet, ctx.bumps.vault);
        let a = &ctx.accounts;
        let (info, payer, system) = (
            a.budget.to_account_info(),
            a.owner.to_account_info(),
            a.system_program.to_account_info(),
        );
        let bump = ctx.bumps.budget;
        let mut budget = match load_budget(&info)? {
            Some(budget) => budget,
            None => {
                let seeds: &[&[u8]] = &[BUDGET_SEED, owner.as_ref(), &[bump]];
                create_program_account(&info, &payer, &system, Budget::space(1), seeds)?;
                Budget {
                    version: ACCOUNT_VERSION,
                    bump,
                    owner,
                    entries: Vec::with_capacity(1),
                }
            }
        };
        let allowance = policy::set_budget(&mut budget.entries, asset, &caps, now)?;
        budget.invariant()?;
        resize_with_rent(&info, &payer, &system, Budget::space(budget.entries.len()))?;
        {
            let mut data = info.try_borrow_mut_data()?;
            let mut writer: &mut [u8] = &mut data;
            budget.try_serialize(&mut writer)?;
        }
        emit!(BudgetSet {
            owner,
            asset,
            lifetime_cap: allowance.lifetime_cap,
            window_secs: allowance.window_secs,
            window_cap: allowance.window_cap,
            spent: allowance.spent,
        });
        Ok(())
    }
}
