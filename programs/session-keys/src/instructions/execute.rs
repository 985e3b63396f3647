use crate::emit;
use crate::{
    constants::{MAX_CALLS, MAX_EXECUTE_ACCOUNTS},
    errors::SessionError,
    events::{Executed, MintAmount},
    instructions::session_signed::*,
    policy::{self, Asset, BatchTotals, CallEffects},
    state::Session,
    watch::Watch,
};
use anchor_lang::{
    prelude::*,
    solana_program::{instruction::Instruction, program::invoke_signed},
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
/// vault PDA signing, then charges what left the owner's control to the session's caps.
///
/// Before the calls: expiry, nonce, uses, and for every call the program, instruction,
/// argument and account rules. Signatures forwarded to a target: the vault's, and the session
/// key's only where its program scope sets `pass_session_signer`; no other signer of the
/// transaction (a fee payer, a sponsor) is ever passed on. Around the calls: see
/// [`crate::policy::effects`] and [`crate::watch`]. The whole batch counts as one use and one
/// instruction for the per-instruction cap.
#[derive(Accounts)]
pub struct Execute<'info> {
    /// Session key, session, wallet, vault, budget.
    pub gate: SessionSigned<'info>,
}

/// One call, parsed once from the instruction data and the remaining accounts.
pub(crate) struct PlannedCall<'a, 'info> {
    program: &'a AccountInfo<'info>,
    accounts: &'a [AccountInfo<'info>],
    data: Vec<u8>,
    /// Whether the session key's signature is passed on (from the program's scope).
    pass_session_signer: bool,
}

/// Splits the remaining accounts into the calls' programs and accounts; every account must
/// belong to exactly one call.
pub(crate) fn plan<'a, 'info>(
    calls: Vec<InnerCall>,
    remaining: &'a [AccountInfo<'info>],
) -> Result<Vec<PlannedCall<'a, 'info>>> {
    require!(
        !calls.is_empty() && calls.len() <= usize::from(MAX_CALLS),
        SessionError::InvalidInnerInstruction
    );
    require!(
        remaining.len() <= usize::from(MAX_EXECUTE_ACCOUNTS),
        SessionError::TooManyExecuteAccounts
    );
    let mut planned = Vec::with_capacity(calls.len());
    let mut rest = remaining;
    for call in calls {
        let (program, tail) = rest
            .split_first()
            .ok_or(SessionError::InvalidInnerInstruction)?;
        let n = usize::from(call.accounts_len);
        require!(tail.len() >= n, SessionError::InvalidInnerInstruction);
        let (accounts, tail) = tail.split_at(n);
        planned.push(PlannedCall {
            program,
            accounts,
            data: call.data,
            pass_session_signer: false,
        });
        rest = tail;
    }
    require!(rest.is_empty(), SessionError::InvalidInnerInstruction);
    Ok(planned)
}

/// Every call's scope (shared with `preview`): records which calls may receive the session
/// key's signature.
pub(crate) fn check_calls(session: &Session, plan: &mut [PlannedCall<'_, '_>]) -> Result<()> {
    for call in plan {
        let accounts = call.accounts;
        let scope = policy::check_call(&session.programs, call.program.key, &call.data, |i| {
            accounts.get(i).map(|a| a.key)
        })?;
        call.pass_session_signer = scope.pass_session_signer;
    }
    Ok(())
}

impl<'info> Execute<'info> {
    /// Checks, calls each program with the vault signing, charges the caps, records, emits.
    pub fn handler(
        ctx: Context<'info, Self>,
        calls: Vec<InnerCall>,
        reference: Option<Vec<u8>>,
    ) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let remaining = ctx.remaining_accounts;
        let mut plan = plan(calls, remaining)?;
        let checked = ctx.accounts.gate.check(now, reference.as_deref())?;
        check_calls(&ctx.accounts.gate.session, &mut plan)?;
        let gate = &mut ctx.accounts.gate;
        let (owner, session_key) = (gate.session.owner, gate.session_key.key());
        let vault_info = gate.vault.to_account_info();
        let vault_key = *vault_info.key;
        let seeds = gate.wallet.vault_seeds();

        let mut watch = Watch::new(&vault_info, owner, remaining)?;
        let mut effects = CallEffects::with_capacity(watch.len());
        let mut totals = BatchTotals::with_capacity(watch.len().saturating_add(1));
        let mut events = Vec::with_capacity(plan.len());
        let most_accounts = plan.iter().map(|c| c.accounts.len()).max().unwrap_or(0);
        let mut metas = Vec::with_capacity(most_accounts);
        for call in &mut plan {
            metas.clear();
            metas.extend(call.accounts.iter().map(|info| AccountMeta {
                pubkey: *info.key,
                // Only the vault (by seeds) and, where the scope allows, the session key sign.
                is_signer: *info.key == vault_key
                    || (call.pass_session_signer && *info.key == session_key && info.is_signer),
                is_writable: info.is_writable,
            }));
            let discriminator = policy::discriminator_of(&call.data);
            let ix = Instruction {
                program_id: *call.program.key,
                accounts: metas,
                data: core::mem::take(&mut call.data),
            };
            invoke_signed(&ix, call.accounts, &[&seeds])?;
            metas = ix.accounts;

            watch.observe(&mut effects)?;
            let lamports = effects.lamports_out()?;
            totals.add(Asset::Sol, lamports)?;
            let mut tokens = Vec::with_capacity(effects.outflows().count());
            for out in effects.outflows() {
                let out = out?;
                totals.add(Asset::Mint(out.mint), out.amount)?;
                tokens.push(MintAmount {
                    mint: out.mint,
                    amount: out.amount,
                });
            }
            events.push(Executed {
                owner,
                session: gate.session.key(),
                program: *call.program.key,
                discriminator,
                lamports,
                tokens,
                reference: reference.clone(),
            });
        }

        gate.record(now, checked)?;
        gate.charge(&totals.totals, now, true)?;
        for event in events {
            emit!(event);
        }
        Ok(())
    }
}
