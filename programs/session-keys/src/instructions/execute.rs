use crate::{
    constants::MAX_CALLS,
    errors::SessionError,
    events::{Executed, MintAmount},
    policy::{self, MintOutflow, TokenState},
    state::{Session, Wallet},
};
use anchor_lang::{
    prelude::*,
    solana_program::{instruction::Instruction, program::invoke_signed},
    system_program,
};

/// One inner instruction of an `execute`. Its program and accounts are the next
/// `1 + accounts_len` remaining accounts, in order.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InnerCall {
    /// How many remaining accounts, after the program account, this call passes on.
    pub accounts_len: u8,
    /// Instruction data for the target program.
    pub data: Vec<u8>,
}

/// Calls 1 to [`MAX_CALLS`] instructions of programs in the session's scope, with the owner's
/// vault PDA signing, then charges what left the vault's control to the session's caps.
///
/// Before the calls: expiry, nonce, uses, and for every call the program, instruction,
/// argument and account rules. Around the calls: the vault's lamports and every token account
/// among the calls' accounts that the vault owns, is delegate or close authority of, are
/// snapshotted; afterwards lamports and tokens that left are charged (SOL caps, per-mint caps;
/// an uncapped mint cannot leave), authorities must be unchanged, and the vault must still be a
/// System account without data. The whole batch counts as one use and one transaction.
#[derive(Accounts)]
pub struct Execute<'info> {
    /// The session key; usually also the fee payer.
    pub session_key: Signer<'info>,
    /// The session acting.
    #[account(mut, has_one = session_key @ SessionError::WrongSessionKey)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account (revocation nonce, vault bump).
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// CHECK: the owner's vault PDA, checked in `validate()` with the stored bump.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
}

/// The state `execute` compares around its calls.
#[derive(Clone)]
struct Snapshot {
    vault_lamports: u64,
    tokens: Vec<Option<TokenState>>,
}

/// Token accounts among `accounts` that the vault controls, deduplicated.
fn watched_token_accounts<'a, 'info>(
    accounts: &'a [AccountInfo<'info>],
    vault: &Pubkey,
) -> Vec<&'a AccountInfo<'info>> {
    let mut watched: Vec<&AccountInfo> = Vec::new();
    for info in accounts {
        let is_token_program =
            *info.owner == anchor_spl::token::ID || *info.owner == anchor_spl::token_2022::ID;
        if !is_token_program || watched.iter().any(|w| w.key == info.key) {
            continue;
        }
        let controlled = info
            .try_borrow_data()
            .ok()
            .and_then(|d| TokenState::parse(&d))
            .is_some_and(|t| t.controlled_by(vault));
        if controlled {
            watched.push(info);
        }
    }
    watched
}

fn snapshot(vault: &AccountInfo, watched: &[&AccountInfo]) -> Snapshot {
    let tokens = watched
        .iter()
        .map(|info| {
            let owned =
                *info.owner == anchor_spl::token::ID || *info.owner == anchor_spl::token_2022::ID;
            let data = info.try_borrow_data().ok()?;
            owned.then(|| TokenState::parse(&data)).flatten()
        })
        .collect();
    Snapshot {
        vault_lamports: vault.lamports(),
        tokens,
    }
}

/// Lamports and tokens that left between two snapshots, with every authority check.
fn outflows(
    before: &Snapshot,
    after: &Snapshot,
    owner: &Pubkey,
    vault: &Pubkey,
) -> Result<(u64, Vec<MintOutflow>)> {
    let before_tokens: Vec<TokenState> = before.tokens.iter().flatten().copied().collect();
    let tokens = policy::token_outflows(&before_tokens, &after.tokens, owner, vault)?;
    Ok((
        before.vault_lamports.saturating_sub(after.vault_lamports),
        tokens,
    ))
}

impl<'info> Execute<'info> {
    /// Checks the session and every call's scope. Returns the session's uses after this call
    /// and, per call, whether the session key's signature may be passed on.
    fn validate(
        &self,
        calls: &[InnerCall],
        remaining: &[AccountInfo<'info>],
        now: i64,
    ) -> Result<(u32, Vec<bool>)> {
        let uses = self
            .session
            .authorize_spend(&self.wallet, self.vault.key, now)?;
        require!(
            !calls.is_empty() && calls.len() <= usize::from(MAX_CALLS),
            SessionError::InvalidInnerInstruction
        );
        let mut rest = remaining;
        let mut pass_signer = Vec::with_capacity(calls.len());
        for call in calls {
            let (program, accounts, tail) = split_call(rest, call)?;
            let scope = policy::check_call(&self.session.programs, program.key, &call.data, |i| {
                accounts.get(i).map(|a| a.key)
            })?;
            pass_signer.push(scope.pass_session_signer);
            rest = tail;
        }
        require!(rest.is_empty(), SessionError::InvalidInnerInstruction);
        Ok((uses, pass_signer))
    }

    /// Checks, calls each program with the vault signing, charges the caps, records, emits.
    pub fn handler(ctx: Context<'info, Self>, calls: Vec<InnerCall>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let remaining = ctx.remaining_accounts;
        let (uses, pass_signer) = ctx.accounts.validate(&calls, remaining, now)?;
        let a = ctx.accounts;
        let (owner, vault_key) = (a.session.owner, a.vault.key());
        let vault_info = a.vault.to_account_info();
        let watched = watched_token_accounts(remaining, &vault_key);
        let first = snapshot(&vault_info, &watched);
        let seeds = a.wallet.vault_seeds();
        let session_key = a.session_key.key();

        let mut events = Vec::with_capacity(calls.len());
        let mut before = first.clone();
        let mut rest = remaining;
        for (call, pass_session_signer) in calls.iter().zip(pass_signer) {
            let (program, accounts, tail) = split_call(rest, call)?;
            rest = tail;
            let metas = accounts
                .iter()
                .map(|info| {
                    let is_signer = *info.key == vault_key
                        || (info.is_signer && (*info.key != session_key || pass_session_signer));
                    AccountMeta {
                        pubkey: *info.key,
                        is_signer,
                        is_writable: info.is_writable,
                    }
                })
                .collect();
            let ix = Instruction {
                program_id: *program.key,
                accounts: metas,
                data: call.data.clone(),
            };
            invoke_signed(&ix, accounts, &[&seeds])?;

            let after = snapshot(&vault_info, &watched);
            let (lamports, tokens) = outflows(&before, &after, &owner, &vault_key)?;
            let mut discriminator = [0u8; 8];
            for (d, s) in discriminator.iter_mut().zip(&call.data) {
                *d = *s;
            }
            events.push(Executed {
                owner,
                session: a.session.key(),
                program: *program.key,
                discriminator,
                lamports,
                tokens: tokens
                    .iter()
                    .map(|t| MintAmount {
                        mint: t.mint,
                        amount: t.amount,
                    })
                    .collect(),
            });
            before = after;
        }

        require!(
            *vault_info.owner == system_program::ID && vault_info.data_is_empty(),
            SessionError::VaultModified
        );
        let (lamports, tokens) = outflows(&first, &before, &owner, &vault_key)?;
        let session = &mut a.session;
        if lamports > 0 {
            let sol = session.sol.ok_or(SessionError::SolNotInScope)?;
            session.sol = Some(sol.charged(lamports, now)?);
        }
        for out in &tokens {
            let entry = session
                .mints
                .iter_mut()
                .find(|m| m.mint == out.mint)
                .ok_or(SessionError::TokenOutflowNotInScope)?;
            entry.allowance = entry.allowance.charged(out.amount, now)?;
        }
        session.uses = uses;
        session.invariant()?;
        for event in events {
            emit!(event);
        }
        Ok(())
    }
}

/// Splits off one call's program account and its accounts from the remaining accounts.
fn split_call<'a, 'info>(
    rest: &'a [AccountInfo<'info>],
    call: &InnerCall,
) -> Result<(
    &'a AccountInfo<'info>,
    &'a [AccountInfo<'info>],
    &'a [AccountInfo<'info>],
)> {
    let (program, rest) = rest
        .split_first()
        .ok_or(SessionError::InvalidInnerInstruction)?;
    let n = usize::from(call.accounts_len);
    require!(rest.len() >= n, SessionError::InvalidInnerInstruction);
    let (accounts, tail) = rest.split_at(n);
    Ok((program, accounts, tail))
}
