use crate::emit;
use crate::{
    constants::*,
    errors::SessionError,
    events::SessionCreated,
    policy::{self, Allowance, CapsArgs, PolicyResult, ProgramScope, UNLIMITED_USES},
    state::{MintAllowance, Session, Wallet},
};
use anchor_lang::{prelude::*, system_program};
use anchor_spl::token_interface::{self, Approve, TokenAccount, TokenInterface};

/// Caps requested for one mint.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintCapsArgs {
    /// The mint.
    pub mint: Pubkey,
    /// Its caps (base units).
    pub caps: CapsArgs,
}

/// Everything a session grants, chosen by the owner.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CreateSessionArgs {
    /// Unix time from which the session is dead; at most [`MAX_SESSION_DURATION`] from now.
    pub expires_at: i64,
    /// Most successful uses; `None` for no limit other than caps and expiry.
    pub max_uses: Option<u32>,
    /// Lamport caps for SOL leaving the vault; `None`: the session cannot move SOL.
    pub sol: Option<CapsArgs>,
    /// Caps per mint (at most [`MAX_MINTS`], no duplicates); unlisted mints cannot move.
    pub mints: Vec<MintCapsArgs>,
    /// Destination allow-list (at most [`MAX_DESTINATIONS`]); empty allows any destination.
    pub destinations: Vec<Pubkey>,
    /// Programs `execute` may call (at most [`MAX_PROGRAMS`], no duplicates, none of the
    /// refused targets), each with optional instruction, argument and account rules.
    pub programs: Vec<ProgramScope>,
    /// Short label for wallet UIs (at most [`MAX_LABEL_LEN`] bytes).
    pub label: String,
    /// Lamports the owner sends to the session key so it can pay fees.
    pub top_up_lamports: u64,
    /// If set, approves the vault as SPL delegate for this amount on `owner_token_account`.
    pub delegate_amount: Option<u64>,
}

impl CreateSessionArgs {
    fn check_programs(&self) -> PolicyResult<()> {
        if self.programs.len() > usize::from(MAX_PROGRAMS) {
            return Err(SessionError::TooManyPrograms);
        }
        let ids: Vec<Pubkey> = self.programs.iter().map(|p| p.program_id).collect();
        if policy::has_duplicates(&ids) {
            return Err(SessionError::DuplicateProgram);
        }
        if ids.iter().any(policy::is_refused_target) {
            return Err(SessionError::RefusedTarget);
        }
        self.programs.iter().try_for_each(ProgramScope::validate)
    }

    /// Exact size of the session account these arguments create.
    pub fn space(&self) -> usize {
        Session::space(
            self.sol.is_some(),
            self.mints.len(),
            self.destinations.len(),
            self.programs_size(),
            self.label.len(),
        )
    }

    /// Serialized size of the program scopes (without the vector's length prefix).
    pub fn programs_size(&self) -> usize {
        self.programs
            .iter()
            .map(ProgramScope::size)
            .fold(0, usize::saturating_add)
    }

    /// Every rule on the arguments alone, as of unix time `now`. Clients run the same check
    /// before sending.
    pub fn check(&self, now: i64) -> PolicyResult<()> {
        policy::validate_expiry(now, self.expires_at)?;
        if self.sol.is_none() && self.mints.is_empty() && self.programs.is_empty() {
            return Err(SessionError::EmptyScope);
        }
        if self.mints.len() > usize::from(MAX_MINTS) {
            return Err(SessionError::TooManyMints);
        }
        if self.destinations.len() > usize::from(MAX_DESTINATIONS) {
            return Err(SessionError::TooManyDestinations);
        }
        if self.label.len() > usize::from(MAX_LABEL_LEN) {
            return Err(SessionError::LabelTooLong);
        }
        let mints: Vec<Pubkey> = self.mints.iter().map(|m| m.mint).collect();
        if policy::has_duplicates(&mints) {
            return Err(SessionError::DuplicateMint);
        }
        if policy::has_duplicates(&self.destinations) {
            return Err(SessionError::DuplicateDestination);
        }
        self.check_programs()?;
        if self.max_uses == Some(0) || self.delegate_amount == Some(0) {
            return Err(SessionError::ZeroCap);
        }
        if let Some(caps) = &self.sol {
            Allowance::from_args(caps, now)?;
        }
        self.mints
            .iter()
            .try_for_each(|m| Allowance::from_args(&m.caps, now).map(|_| ()))
    }
}

/// Grants `session_key` the scope and caps in [`CreateSessionArgs`] until `expires_at`.
/// Creates the owner's wallet account on first use.
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
    fn validate(&self, args: &CreateSessionArgs, now: i64) -> Result<()> {
        require_keys_neq!(
            self.owner.key(),
            self.session_key.key(),
            SessionError::SessionKeyIsOwner
        );
        args.check(now)?;
        if args.delegate_amount.is_some() {
            let account = self
                .owner_token_account
                .as_ref()
                .ok_or(SessionError::MissingDelegateAccounts)?;
            require!(
                self.token_program.is_some(),
                SessionError::MissingDelegateAccounts
            );
            require!(
                args.mints.iter().any(|m| m.mint == account.mint),
                SessionError::MintNotInScope
            );
        }
        Ok(())
    }

    /// Validates the grant, optionally tops up the session key and approves the vault as
    /// delegate, then writes the session.
    pub fn handler(ctx: Context<Self>, args: CreateSessionArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.validate(&args, now)?;
        let a = ctx.accounts;

        let sol = args
            .sol
            .as_ref()
            .map(|caps| Allowance::from_args(caps, now))
            .transpose()?;
        let mints = args
            .mints
            .iter()
            .map(|m| {
                Ok(MintAllowance {
                    mint: m.mint,
                    allowance: Allowance::from_args(&m.caps, now)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        if args.top_up_lamports > 0 {
            system_program::transfer(
                CpiContext::new(
                    a.system_program.key(),
                    system_program::Transfer {
                        from: a.owner.to_account_info(),
                        to: a.session_key.to_account_info(),
                    },
                ),
                args.top_up_lamports,
            )?;
        }
        let mut delegated_amount = 0;
        if let (Some(amount), Some(account), Some(token_program)) = (
            args.delegate_amount,
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
            delegated_amount = amount;
        }

        a.wallet
            .init_if_new(a.owner.key(), ctx.bumps.wallet, ctx.bumps.vault);
        let session = &mut a.session;
        session.set_inner(Session {
            version: ACCOUNT_VERSION,
            bump: ctx.bumps.session,
            owner: a.owner.key(),
            session_key: a.session_key.key(),
            payer: a.payer.key(),
            created_at: now,
            expires_at: args.expires_at,
            nonce: a.wallet.nonce,
            max_uses: args.max_uses.unwrap_or(UNLIMITED_USES),
            uses: 0,
            sol,
            mints,
            destinations: args.destinations,
            programs: args.programs,
            label: args.label,
        });
        session.invariant()?;

        emit!(SessionCreated {
            owner: session.owner,
            session: session.key(),
            session_key: session.session_key,
            payer: session.payer,
            expires_at: session.expires_at,
            nonce: session.nonce,
            mints: session.mints.iter().map(|m| m.mint).collect(),
            programs: session.programs.iter().map(|p| p.program_id).collect(),
            sol_lifetime_cap: session.sol.map_or(0, |s| s.lifetime_cap),
            top_up_lamports: args.top_up_lamports,
            delegated_amount,
            label: session.label.clone(),
        });
        Ok(())
    }
}
