use crate::{
    constants::*,
    errors::SessionError,
    instructions::grant_session::{check_session_key, store_session},
    policy::Grant,
    state::{Session, SessionKeys, Wallet},
};
use anchor_lang::{prelude::*, system_program};
use anchor_spl::token_interface::{self, Approve, TokenAccount, TokenInterface};

pub use crate::policy::{CreateSessionArgs, MintCapsArgs};

/// Grants `session_key` the scope and caps in [`CreateSessionArgs`] until `expires_at`.
/// Creates the owner's wallet account on first use.
///
/// Delegation is per owner, not per session: the vault is the one delegate of the owner's
/// token accounts, so a new session can spend (within its own caps) any delegation the owner
/// approved earlier, for any session, on a mint the new session has caps for. Clients show
/// the existing delegation before the owner signs; `revoke_all_sessions` with the token
/// accounts removes it.
#[derive(Accounts)]
#[instruction(args: CreateSessionArgs)]
pub struct CreateSession<'info> {
    /// The wallet granting the session.
    pub owner: Signer<'info>,
    /// Pays rent for the session (and the wallet on first use); refunded at close.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// CHECK: any key other than the owner; writable only to receive the fee top-up.
    #[account(mut)]
    pub session_key: UncheckedAccount<'info>,
    /// The new session.
    #[account(
        init,
        payer = payer,
        space = args.space(),
        seeds = [SESSION_SEED, owner.key().as_ref(), session_key.key().as_ref()],
        bump,
    )]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account, created on first use.
    #[account(
        init_if_needed,
        payer = payer,
        space = Wallet::SPACE,
        seeds = [WALLET_SEED, owner.key().as_ref()],
        bump,
    )]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA; only its address is used (as the delegate).
    #[account(seeds = [VAULT_SEED, owner.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// Owner's token account to approve the vault on, with `delegate_amount`.
    #[account(mut, token::authority = owner)]
    pub owner_token_account: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    /// Token program of `owner_token_account`, with `delegate_amount`.
    pub token_program: Option<Interface<'info, TokenInterface>>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl CreateSession<'_> {
    fn validate(&self, grant: &Grant, delegate_amount: Option<u64>) -> Result<()> {
        check_session_key(
            self.owner.key,
            self.session_key.key,
            self.vault.key,
            &self.wallet.key(),
        )?;
        if delegate_amount.is_some() {
            let account = self
                .owner_token_account
                .as_ref()
                .ok_or(SessionError::MissingDelegateAccounts)?;
            require!(
                self.token_program.is_some(),
                SessionError::MissingDelegateAccounts
            );
            require!(
                grant.mints.iter().any(|m| m.mint == account.mint),
                SessionError::DelegateMintNotGranted
            );
        }
        Ok(())
    }

    /// Checks the grant ([`CreateSessionArgs::into_grant`]) and the accounts, optionally tops
    /// up the session key and approves the vault as delegate, then writes the session.
    pub fn handler(ctx: Context<Self>, args: CreateSessionArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let (top_up, delegate_amount) = (args.top_up_lamports, args.delegate_amount);
        let grant = args.into_grant(now)?;
        ctx.accounts.validate(&grant, delegate_amount)?;
        let a = ctx.accounts;

        if top_up > 0 {
            system_program::transfer(
                CpiContext::new(
                    a.system_program.key(),
                    system_program::Transfer {
                        from: a.owner.to_account_info(),
                        to: a.session_key.to_account_info(),
                    },
                ),
                top_up,
            )?;
        }
        if let (Some(amount), Some(account), Some(token_program)) = (
            delegate_amount,
            a.owner_token_account.as_ref(),
            a.token_program.as_ref(),
        ) {
            token_interface::approve(
                CpiContext::new(
                    token_program.key(),
                    Approve {
                        to: account.to_account_info(),
                        delegate: a.vault.to_account_info(),
                        authority: a.owner.to_account_info(),
                    },
                ),
                amount,
            )?;
        }

        a.wallet
            .init_if_new(a.owner.key(), ctx.bumps.wallet, ctx.bumps.vault);
        let keys = SessionKeys {
            bump: ctx.bumps.session,
            owner: a.owner.key(),
            session_key: a.session_key.key(),
            payer: a.payer.key(),
        };
        store_session(
            &mut a.session,
            grant,
            keys,
            now,
            a.wallet.nonce,
            top_up,
            delegate_amount.unwrap_or(0),
        )
    }
}
