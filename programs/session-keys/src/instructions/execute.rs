use crate::emit;
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
    /// One per watched account, in the same order.
    tokens: Vec<TokenState>,
}

fn is_token_program(owner: &Pubkey) -> bool {
    *owner == anchor_spl::token::ID || *owner == anchor_spl::token_2022::ID
}

/// The token state of `info`, if it is (still) a token account.
fn read_token(info: &AccountInfo) -> Option<TokenState> {
    if !is_token_program(info.owner) {
        return None;
    }
    TokenState::parse(&info.try_borrow_data().ok()?)
}

/// Token accounts among `accounts` that the vault controls, deduplicated, with their state
/// now: the watch list and the first snapshot's tokens.
fn watched_token_accounts<'a, 'info>(
    accounts: &'a [AccountInfo<'info>],
    vault: &Pubkey,
) -> (Vec<&'a AccountInfo<'info>>, Vec<TokenState>) {
    let mut watched: Vec<&AccountInfo> = Vec::new();
    let mut states = Vec::new();
    for info in accounts {
        if watched.iter().any(|w| w.key == info.key) {
            continue;
        }
        if let Some(state) = read_token(info).filter(|t| t.controlled_by(vault)) {
            watched.push(info);
            states.push(state);
        }
    }
    (watched, states)
}

/// What left between two snapshots taken by [`outflows`] (so both already passed every
/// authority check): the total of a batch.
fn net_outflows(
    first: &Snapshot,
    last: &Snapshot,
    owner: &Pubkey,
    vault: &Pubkey,
) -> Result<(u64, Vec<MintOutflow>)> {
    let last_tokens: Vec<Option<TokenState>> = last.tokens.iter().copied().map(Some).collect();
    let tokens = policy::token_outflows(&first.tokens, &last_tokens, owner, vault)?;
    Ok((
        first.vault_lamports.saturating_sub(last.vault_lamports),
        tokens,
    ))
}

/// What left between `before` and now, with every authority check; returns the outflows and
/// the snapshot to compare the next call against.
fn outflows(
    before: &Snapshot,
    vault: &AccountInfo,
    watched: &[&AccountInfo],
    owner: &Pubkey,
) -> Result<(u64, Vec<MintOutflow>, Snapshot)> {
    let after: Vec<Option<TokenState>> = watched.iter().map(|info| read_token(info)).collect();
    let tokens = policy::token_outflows(&before.tokens, &after, owner, vault.key)?;
    let now = Snapshot {
        vault_lamports: vault.lamports(),
        // `token_outflows` refused any account that stopped being a token account, so every
        // entry is present and the order is kept.
        tokens: after.into_iter().flatten().collect(),
    };
    let lamports = before.vault_lamports.saturating_sub(now.vault_lamports);
    Ok((lamports, tokens, now))
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
        let (watched, tokens) = watched_token_accounts(remaining, &vault_key);
        let first = Snapshot {
            vault_lamports: vault_info.lamports(),
            tokens,
        };
        let seeds = a.wallet.vault_seeds();
        let session_key = a.session_key.key();

        let mut events = Vec::with_capacity(calls.len());
        let mut before = first.clone();
        let mut rest = remaining;
        for (call, pass_session_signer) in calls.into_iter().zip(pass_signer) {
            let (program, accounts, tail) = split_call(rest, &call)?;
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
            let mut discriminator = [0u8; 8];
            for (d, s) in discriminator.iter_mut().zip(&call.data) {
                *d = *s;
            }
            let ix = Instruction {
                program_id: *program.key,
                accounts: metas,
                data: call.data,
            };
            invoke_signed(&ix, accounts, &[&seeds])?;

            require!(
                *vault_info.owner == system_program::ID && vault_info.data_is_empty(),
                SessionError::VaultModified
            );
            let (lamports, tokens, after) = outflows(&before, &vault_info, &watched, &owner)?;
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

        let (lamports, tokens) = net_outflows(&first, &before, &owner, &vault_key)?;
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
