use crate::emit;
use crate::{
    errors::SessionError,
    events::TokenTransferred,
    policy,
    state::{Session, Wallet},
    vault_cpi,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

/// Moves `amount` of `mint` from `from` to `to`, signed by the owner's vault PDA, after the
/// session's expiry, nonce, mint scope, caps, uses and destination allow-list allow it.
///
/// `from` is either an owner token account on which the vault is delegate, or a token account
/// owned by the vault. `decimals` is checked by the token program (`transfer_checked`).
#[derive(Accounts)]
pub struct TransferToken<'info> {
    /// The session key; usually also the fee payer.
    pub session_key: Signer<'info>,
    /// The session spending.
    #[account(mut, has_one = session_key @ SessionError::WrongSessionKey)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account (revocation nonce, vault bump).
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    pub vault: UncheckedAccount<'info>,
    /// Source token account (owner's with the vault as delegate, or the vault's own).
    #[account(mut)]
    pub from: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: must be in the session's scope; the token program checks that it is the mint of
    /// both token accounts and that `decimals` match.
    pub mint: UncheckedAccount<'info>,
    /// Destination token account.
    #[account(mut)]
    pub to: Box<InterfaceAccount<'info, TokenAccount>>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
}

impl TransferToken<'_> {
    /// Returns the mint's index in the session and the session's uses after this transfer.
    fn validate(&self, now: i64) -> Result<(usize, u32)> {
        let session = &self.session;
        let uses = session.authorize_spend(&self.wallet, self.vault.key, now)?;
        require!(
            self.from.owner == session.owner || self.from.owner == self.vault.key(),
            SessionError::WrongSourceAccount
        );
        policy::check_destination(&session.destinations, &self.to.key(), Some(&self.to.owner))?;
        Ok((session.mint_index(self.mint.key)?, uses))
    }

    /// Checks, charges the caps, transfers, then records and emits.
    pub fn handler(ctx: Context<Self>, amount: u64, decimals: u8) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let (index, uses) = ctx.accounts.validate(now)?;
        let a = ctx.accounts;
        let entry = a
            .session
            .mints
            .get_mut(index)
            .ok_or(SessionError::MintNotInScope)?;
        let charged = entry.allowance.charged(amount, now)?;

        vault_cpi::vault_tokens(
            &a.wallet,
            &a.token_program.to_account_info(),
            &a.vault,
            &a.from.to_account_info(),
            &a.mint,
            &a.to.to_account_info(),
            amount,
            decimals,
        )?;

        entry.allowance = charged;
        a.session.uses = uses;
        a.session.invariant()?;
        emit!(TokenTransferred {
            owner: a.session.owner,
            session: a.session.key(),
            mint: a.mint.key(),
            from: a.from.key(),
            to: a.to.key(),
            amount,
            lifetime_remaining: charged.lifetime_remaining(),
            window_remaining: charged.window_remaining(now),
            uses_remaining: a.session.uses_remaining(),
        });
        Ok(())
    }
}
