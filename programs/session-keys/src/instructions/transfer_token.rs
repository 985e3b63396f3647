use crate::emit;
use crate::{
    errors::SessionError,
    events::TokenTransferred,
    instructions::session_signed::*,
    policy,
    policy::{Asset, TokenProgram},
    vault_cpi,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

/// Moves `amount` of `mint` from `from` to `to`, signed by the owner's vault PDA, after the
/// session's expiry, nonce, uses, mint scope, caps and destination allow-list allow it.
///
/// `from` is either an owner token account on which the vault is delegate (for at least
/// `amount`), or a token account owned by the vault. `decimals` is checked by the token
/// program (`transfer_checked`).
#[derive(Accounts)]
pub struct TransferToken<'info> {
    /// Session key, session, wallet, vault.
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

impl TransferToken<'_> {
    fn validate(&self, now: i64) -> Result<()> {
        self.gate.check(now)?;
        let session = &self.gate.session;
        require_keys_neq!(self.from.key(), self.to.key(), SessionError::SelfTransfer);
        require!(
            self.from.owner == session.owner || self.from.owner == self.gate.vault.key(),
            SessionError::WrongSourceAccount
        );
        policy::check_destination(&session.destinations, &self.to.key(), Some(&self.to.owner))?;
        self.check_no_transfer_hook()
    }

    /// A Token-2022 mint whose transfer hook names a program needs that program's extra
    /// accounts, which `transfer_token` does not pass: refused with a named error before
    /// anything is charged, instead of Token-2022's bare `NotEnoughAccountKeys`.
    fn check_no_transfer_hook(&self) -> Result<()> {
        let Some(program) = TokenProgram::of(self.token_program.key) else {
            return Ok(());
        };
        if self.mint.owner != self.token_program.key {
            return Ok(()); // the token program refuses a mint it does not own
        }
        let data = self.mint.try_borrow_data()?;
        require!(
            policy::transfer_hook_program(program, &data).is_none(),
            SessionError::TransferHookNotSupported
        );
        Ok(())
    }

    /// From an owner account, the vault must be its delegate for at least `amount`: answered
    /// here, after the caps, with an error a client can act on, instead of the token
    /// program's bare code.
    fn check_delegation(&self, amount: u64) -> Result<()> {
        let vault = self.gate.vault.key;
        if self.from.owner == *vault {
            return Ok(());
        }
        require!(
            Option::<Pubkey>::from(self.from.delegate).as_ref() == Some(vault),
            SessionError::DelegationMissing
        );
        require!(
            self.from.delegated_amount >= amount,
            SessionError::DelegationTooSmall
        );
        Ok(())
    }

    /// Checks, charges the caps (a failed transfer reverts the charge with the transaction),
    /// transfers, then records the use and emits.
    pub fn handler(ctx: Context<Self>, amount: u64, decimals: u8) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.validate(now)?;
        let a = ctx.accounts;
        let charged = a
            .gate
            .session
            .charge(Asset::Mint(a.mint.key()), amount, now)?;
        a.check_delegation(amount)?;

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

        let session = &mut a.gate.session;
        session.record_use()?;
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
        });
        Ok(())
    }
}
