use crate::emit;
use crate::{
    errors::SessionError,
    events::TokenTransferred,
    instructions::session_signed::*,
    policy,
    policy::{Asset, TokenProgram},
    state::Session,
    vault_cpi,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

/// Moves `amount` of `mint` from `from` to `to`, signed by the owner's vault PDA, after the
/// session's expiry, nonce, uses, rate limit, reference, mint scope, caps, the owner's budget
/// and the destination allow-list allow it.
///
/// `from` is either an owner token account on which the vault is delegate (for at least
/// `amount`), or a token account owned by the vault. `decimals` is checked by the token
/// program (`transfer_checked`).
#[derive(Accounts)]
pub struct TransferToken<'info> {
    /// Session key, session, wallet, vault, budget.
    pub gate: SessionSigned<'info>,
    /// Source token account (owner's with the vault as delegate, or the vault's own).
    #[account(mut)]
    pub from: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: must be in the session's scope; the token program checks that it is the mint of
    /// both token accounts and that `decimals` match. Read here only for a transfer hook
    /// ([`policy::transfer_hook_program`], Token-2022's own unpack).
    pub mint: UncheckedAccount<'info>,
    /// Destination token account.
    #[account(mut)]
    pub to: Box<InterfaceAccount<'info, TokenAccount>>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
}

/// The account rules of `transfer_token` after the gate (shared with `preview`), in order:
/// distinct source and destination, a source owned by the owner or the vault, the destination
/// allow-list, no transfer hook.
pub fn check_token_accounts(
    session: &Session,
    vault: &Pubkey,
    from: (&Pubkey, &TokenAccount),
    to: (&Pubkey, &TokenAccount),
    mint: &AccountInfo,
    token_program: &Pubkey,
) -> Result<()> {
    require_keys_neq!(*from.0, *to.0, SessionError::SelfTransfer);
    require!(
        from.1.owner == session.owner || from.1.owner == *vault,
        SessionError::WrongSourceAccount
    );
    policy::check_destination(&session.destinations, to.0, Some(&to.1.owner))?;
    check_no_transfer_hook(mint, token_program)
}

/// A Token-2022 mint whose transfer hook names a program needs that program's extra accounts,
/// which `transfer_token` does not pass: refused with a named error before anything is
/// charged, instead of Token-2022's bare `NotEnoughAccountKeys`.
fn check_no_transfer_hook(mint: &AccountInfo, token_program: &Pubkey) -> Result<()> {
    let Some(program) = TokenProgram::of(token_program) else {
        return Ok(());
    };
    if mint.owner != token_program {
        return Ok(()); // the token program refuses a mint it does not own
    }
    let data = mint.try_borrow_data()?;
    require!(
        policy::transfer_hook_program(program, &data).is_none(),
        SessionError::TransferHookNotSupported
    );
    Ok(())
}

/// From an owner account, the vault must be its delegate for at least `amount`: answered
/// here, after the caps, with an error a client can act on, instead of the token program's
/// bare code. Shared with `preview`.
pub fn check_delegation(vault: &Pubkey, from: &TokenAccount, amount: u64) -> Result<()> {
    if from.owner == *vault {
        return Ok(());
    }
    require!(
        Option::<Pubkey>::from(from.delegate).as_ref() == Some(vault),
        SessionError::DelegationMissing
    );
    require!(
        from.delegated_amount >= amount,
        SessionError::DelegationTooSmall
    );
    Ok(())
}

impl TransferToken<'_> {
    /// Checks, charges the caps and the owner's budget (a failed transfer reverts the charge
    /// with the transaction), transfers, then records the use and the reference and emits.
    pub fn handler(
        ctx: Context<Self>,
        amount: u64,
        decimals: u8,
        reference: Option<Vec<u8>>,
    ) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let checked = a.gate.check(now, reference.as_deref())?;
        check_token_accounts(
            &a.gate.session,
            a.gate.vault.key,
            (&a.from.key(), &a.from),
            (&a.to.key(), &a.to),
            &a.mint,
            a.token_program.key,
        )?;
        let charged = a
            .gate
            .charge(&[(Asset::Mint(a.mint.key()), amount)], now, false)?;
        let charged = charged.first().copied().unwrap_or_default();
        check_delegation(a.gate.vault.key, &a.from, amount)?;

        vault_cpi::vault_tokens(
            &a.gate.wallet,
            &a.token_program.to_account_info(),
            &a.gate.vault,
            &a.from.to_account_info(),
            &a.mint,
            &a.to.to_account_info(),
            amount,
            decimals,
        )?;

        a.gate.record(now, checked)?;
        let session = &a.gate.session;
        emit!(TokenTransferred {
            owner: session.owner,
            session: session.key(),
            mint: a.mint.key(),
            from: a.from.key(),
            to: a.to.key(),
            amount,
            lifetime_remaining: charged.lifetime_remaining(),
            window_remaining: charged.window_remaining(now),
            uses_remaining: session.uses_remaining(),
            reference,
        });
        Ok(())
    }
}
