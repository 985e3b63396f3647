use crate::{
    errors::SessionError,
    instructions::{
        execute::{check_calls, plan, InnerCall},
        session_signed::{charge_all, check_gate, load_budget},
        transfer_sol::check_sol_destination,
        transfer_token::{check_delegation, check_token_accounts},
    },
    policy::{self, Allowance, Asset},
    state::{Budget, Session, Wallet},
    watch::Watch,
};
use anchor_lang::{prelude::*, solana_program::program_error::ProgramError};
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

/// "Would this pass?": a read-only instruction, meant for `simulateTransaction` (no signature
/// needed, nothing written), that returns a [`Preview`] as return data: the session's state,
/// what it may still spend per asset (its own caps and the owner's budget), its uses and rate
/// limit, and for a proposed action the exact error the real instruction would return, or 0.
///
/// The action's accounts are the remaining accounts, as the real instruction takes them after
/// its gate: `TransferSol`: destination; `TransferToken`: from, mint, to, token program;
/// `Execute`: the calls' programs and accounts. The preview runs the real instruction's own
/// checks in the real order on a copy of the session and the budget. What it cannot know: a
/// signature or writability the transaction lacks, what the target programs of `execute` do
/// (their outflows are charged after the calls) and the token programs' own refusals
/// (balance, frozen account, mismatched mint or decimals).
#[derive(Accounts)]
pub struct PreviewSession<'info> {
    /// The session.
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account.
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA, checked as the gate checks it.
    pub vault: UncheckedAccount<'info>,
    /// CHECK: the owner's budget PDA, checked as the gate checks it.
    pub budget: UncheckedAccount<'info>,
}

/// A proposed action for [`PreviewSession`].
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum PreviewAction {
    /// No action: the session's state and allowances only.
    Status,
    /// `transfer_sol(amount, reference)`; remaining account: the destination.
    TransferSol {
        /// Lamports.
        amount: u64,
        /// Payment reference, if any.
        reference: Option<Vec<u8>>,
    },
    /// `transfer_token(amount, decimals, reference)`; remaining accounts: from, mint, to,
    /// token program.
    TransferToken {
        /// Base units.
        amount: u64,
        /// Payment reference, if any.
        reference: Option<Vec<u8>>,
    },
    /// `execute(calls, reference)`; remaining accounts: as `execute`'s.
    Execute {
        /// The calls.
        calls: Vec<InnerCall>,
        /// Payment reference, if any.
        reference: Option<Vec<u8>>,
    },
}

/// Whether a session can act, as the gate sees it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    /// It can act.
    Live,
    /// Past its expiry.
    Expired,
    /// Killed by `revoke_all_sessions`.
    Revoked,
    /// No use left.
    OutOfUses,
    /// Alive, but its rate limit allows no action before `rate_reopens_at`.
    RateLimited,
}

/// One cap set's standing at the preview's time.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapsPreview {
    /// Lifetime allowance left.
    pub lifetime_remaining: u64,
    /// Left in the window in force (the largest `u64` if no window).
    pub window_remaining: u64,
    /// When the window in force ends (0 if no window).
    pub window_reopens_at: i64,
}

impl CapsPreview {
    fn of(a: &Allowance, now: i64) -> Self {
        Self {
            lifetime_remaining: a.lifetime_remaining(),
            window_remaining: a.window_remaining(now),
            window_reopens_at: a.window_reopens_at(now).unwrap_or(0),
        }
    }
}

/// What the session may spend of one asset.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetPreview {
    /// The mint, or the all-zero address for SOL.
    pub asset: Pubkey,
    /// The session's own caps.
    pub session: CapsPreview,
    /// The owner's budget for the asset, if any (shared by all the owner's sessions).
    pub budget: Option<CapsPreview>,
    /// The largest amount one transfer could move now: every cap of the session (per
    /// instruction included) and of the owner's budget.
    pub largest_next_spend: u64,
}

/// The answer of `preview`, as return data.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The clock's unix time the answer is for.
    pub now: i64,
    /// The session's state.
    pub status: SessionStatus,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// Uses left (the largest `u32` if unlimited).
    pub uses_remaining: u32,
    /// Actions left in the rate limit's window (the largest `u32` if no rate limit).
    pub rate_remaining: u32,
    /// When the rate limit's window in force ends (0 if no rate limit).
    pub rate_reopens_at: i64,
    /// Per asset the session has caps for: SOL first if any, then its mints.
    pub assets: Vec<AssetPreview>,
    /// The proposed action's outcome: 0 if the real instruction's checks pass, else its error
    /// as the runtime reports it (a `SessionError` is 6000 + its index, Anchor's own codes
    /// as they are).
    pub result: u64,
}

impl<'info> PreviewSession<'info> {
    /// Builds the answer; never fails on the action (its error is the answer), only on
    /// unreadable session, wallet or budget accounts.
    pub fn handler(ctx: Context<'info, Self>, action: PreviewAction) -> Result<Preview> {
        let now = Clock::get()?.unix_timestamp;
        let a = &ctx.accounts;
        let session: &Session = &a.session;
        let budget = if a.wallet.check_budget(a.budget.key).is_ok() {
            load_budget(&a.budget)?
        } else {
            None
        };
        let status = match session.check_usable(now, a.wallet.nonce) {
            Err(SessionError::SessionExpired) => SessionStatus::Expired,
            Err(SessionError::SessionRevoked) => SessionStatus::Revoked,
            Err(_) => SessionStatus::OutOfUses,
            Ok(()) if session.rate_reopens_at(now).is_some() => SessionStatus::RateLimited,
            Ok(()) => SessionStatus::Live,
        };
        let assets = session
            .sol
            .iter()
            .map(|s| (Asset::Sol, s))
            .chain(
                session
                    .mints
                    .iter()
                    .map(|m| (Asset::Mint(m.mint), &m.allowance)),
            )
            .map(|(asset, allowance)| {
                let owner = budget.as_ref().and_then(|b| b.get(asset));
                AssetPreview {
                    asset: policy::asset_address(asset),
                    session: CapsPreview::of(allowance, now),
                    budget: owner.map(|b| CapsPreview::of(b, now)),
                    largest_next_spend: allowance
                        .available(now)
                        .min(owner.map_or(u64::MAX, |b| b.available(now))),
                }
            })
            .collect();
        let result = match evaluate(a, budget, ctx.remaining_accounts, action, now) {
            Ok(()) => 0,
            Err(e) => u64::from(ProgramError::from(e)),
        };
        let preview = Preview {
            now,
            status,
            expires_at: session.expires_at,
            uses_remaining: session.uses_remaining(),
            rate_remaining: session.uses_window.map_or(u32::MAX, |w| w.remaining(now)),
            rate_reopens_at: session.uses_window.map_or(0, |w| w.reopens_at(now)),
            assets,
            result,
        };
        // Anchor sets the return data from the `Result<Preview>` with `solana_cpi`, whose
        // setter does nothing off-chain; the host build (tests, localnet) sets it through the
        // syscall stubs the runtime harness installs. Same bytes.
        #[cfg(not(target_os = "solana"))]
        {
            let mut bytes = Vec::new();
            preview.serialize(&mut bytes)?;
            anchor_lang::compat::solana_sysvar::program_stubs::sol_set_return_data(&bytes);
        }
        Ok(preview)
    }
}

/// The real instruction's checks, in its order; a transfer's charge on copies of the session
/// and the budget.
fn evaluate<'info>(
    a: &PreviewSession<'info>,
    mut budget: Option<Budget>,
    remaining: &'info [AccountInfo<'info>],
    action: PreviewAction,
    now: i64,
) -> Result<()> {
    let session: &Session = &a.session;
    let gate = |reference: Option<Vec<u8>>| {
        check_gate(
            session,
            &a.wallet,
            (a.vault.key, a.budget.key),
            now,
            reference.as_deref(),
        )
    };
    match action {
        PreviewAction::Status => {
            gate(None)?;
        }
        PreviewAction::TransferSol { amount, reference } => {
            let destination = remaining.first().ok_or(ErrorCode::AccountNotEnoughKeys)?;
            gate(reference)?;
            check_sol_destination(session, a.vault.key, destination.key)?;
            charge_all(
                &mut session.clone(),
                budget.as_mut(),
                &[(Asset::Sol, amount)],
                now,
                false,
            )?;
        }
        PreviewAction::TransferToken { amount, reference } => {
            let [from, mint, to, program, ..] = remaining else {
                return Err(ErrorCode::AccountNotEnoughKeys.into());
            };
            let from_account = InterfaceAccount::<TokenAccount>::try_from(from)?;
            let to_account = InterfaceAccount::<TokenAccount>::try_from(to)?;
            Interface::<TokenInterface>::try_from(program)?;
            // Anchor's own check of the real instruction, before its handler: one account
            // writable twice.
            require_keys_neq!(
                *from.key,
                *to.key,
                ErrorCode::ConstraintDuplicateMutableAccount
            );
            gate(reference)?;
            check_token_accounts(
                session,
                a.vault.key,
                (from.key, &from_account),
                (to.key, &to_account),
                mint,
                program.key,
            )?;
            charge_all(
                &mut session.clone(),
                budget.as_mut(),
                &[(Asset::Mint(*mint.key), amount)],
                now,
                false,
            )?;
            check_delegation(a.vault.key, &from_account, amount)?;
        }
        PreviewAction::Execute { calls, reference } => {
            let mut planned = plan(calls, remaining)?;
            gate(reference)?;
            check_calls(session, &mut planned)?;
            // The last check before the calls: the accounts `execute` would watch.
            Watch::new(&a.vault.to_account_info(), session.owner, remaining)?;
        }
    }
    Ok(())
}
