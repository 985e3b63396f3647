//! Instruction builders, one per program instruction. Accounts are derived from the owner and
//! session key, so a caller passes only what it chooses.
use crate::pda;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, system_program, InstructionData,
    ToAccountMetas,
};
use session_keys::{
    accounts, instruction,
    instructions::{CreateSessionArgs, InnerCall, MessageGrantArgs, PreviewAction},
    policy::{BudgetCapsArgs, SOL_ASSET},
    ID,
};

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// The owner's token account and its token program, for `create_session` with a delegate
/// approval.
#[derive(Clone, Copy, Debug)]
pub struct DelegateFrom {
    /// Owner's token account on which the vault becomes delegate.
    pub token_account: Pubkey,
    /// Its token program (SPL Token or Token-2022).
    pub token_program: Pubkey,
}

/// `create_session`. `args.delegate_amount` needs `delegate`.
pub fn create_session(
    owner: &Pubkey,
    payer: &Pubkey,
    session_key: &Pubkey,
    args: CreateSessionArgs,
    delegate: Option<DelegateFrom>,
) -> Instruction {
    build(
        accounts::CreateSession {
            owner: *owner,
            payer: *payer,
            session_key: *session_key,
            session: pda::session(owner, session_key).0,
            wallet: pda::wallet(owner).0,
            vault: pda::vault(owner).0,
            owner_token_account: delegate.map(|d| d.token_account),
            token_program: delegate.map(|d| d.token_program),
            system_program: system_program::ID,
        },
        instruction::CreateSession { args },
    )
}

/// `create_session_from_message`, signed by `sponsor` (fee and rent payer) and `session_key`.
/// It must come right after the owner's Ed25519 instruction
/// ([`crate::message::ed25519_instruction`]); [`crate::message::sponsored_grant`] builds both.
pub fn create_session_from_message(
    sponsor: &Pubkey,
    owner: &Pubkey,
    session_key: &Pubkey,
    args: MessageGrantArgs,
) -> Instruction {
    build(
        accounts::CreateSessionFromMessage {
            sponsor: *sponsor,
            session_key: *session_key,
            owner: *owner,
            session: pda::session(owner, session_key).0,
            wallet: pda::wallet(owner).0,
            instructions: anchor_lang::compat::solana_instructions_sysvar::ID,
            system_program: system_program::ID,
        },
        instruction::CreateSessionFromMessage { args },
    )
}

/// `revoke_session`, signed by `authority` (the owner or the session key).
pub fn revoke_session(
    authority: &Pubkey,
    owner: &Pubkey,
    session_key: &Pubkey,
    rent_payer: &Pubkey,
) -> Instruction {
    build(
        accounts::RevokeSession {
            authority: *authority,
            session: pda::session(owner, session_key).0,
            payer: *rent_payer,
        },
        instruction::RevokeSession {},
    )
}

/// `revoke_all_sessions`, signed by the owner. `token_accounts` are (owner token account, its
/// token program) pairs on which the vault's delegation is revoked in the same instruction.
pub fn revoke_all_sessions(owner: &Pubkey, token_accounts: &[(Pubkey, Pubkey)]) -> Instruction {
    let mut ix = build(
        accounts::RevokeAllSessions {
            owner: *owner,
            wallet: pda::wallet(owner).0,
        },
        instruction::RevokeAllSessions {},
    );
    for (account, program) in token_accounts {
        ix.accounts.push(AccountMeta::new(*account, false));
        ix.accounts.push(AccountMeta::new_readonly(*program, false));
    }
    ix
}

/// The shared header of the session-signed instructions (`gate` in the IDL), flattened by
/// `to_account_metas`: session key, session, wallet, vault, budget.
fn gate(session_key: &Pubkey, owner: &Pubkey) -> accounts::SessionSigned {
    accounts::SessionSigned {
        session_key: *session_key,
        session: pda::session(owner, session_key).0,
        wallet: pda::wallet(owner).0,
        vault: pda::vault(owner).0,
        budget: pda::budget(owner).0,
    }
}

/// The shared header of the owner-only vault instructions (`gate` in the IDL), flattened by
/// `to_account_metas`: owner, wallet.
fn owner_gate(owner: &Pubkey) -> accounts::OwnerSigned {
    accounts::OwnerSigned {
        owner: *owner,
        wallet: pda::wallet(owner).0,
    }
}

/// `close_session`; anyone may send it once the session is dead.
pub fn close_session(owner: &Pubkey, session_key: &Pubkey, rent_payer: &Pubkey) -> Instruction {
    build(
        accounts::CloseSession {
            session: pda::session(owner, session_key).0,
            wallet: pda::wallet(owner).0,
            payer: *rent_payer,
        },
        instruction::CloseSession {},
    )
}

/// Accounts of a session-signed token transfer.
#[derive(Clone, Copy, Debug)]
pub struct TokenTransfer {
    /// Source token account (owner's with the vault as delegate, or the vault's).
    pub from: Pubkey,
    /// Mint.
    pub mint: Pubkey,
    /// Destination token account.
    pub to: Pubkey,
    /// SPL Token or Token-2022.
    pub token_program: Pubkey,
}

/// `transfer_token`, signed by the session key.
pub fn transfer_token(
    session_key: &Pubkey,
    owner: &Pubkey,
    t: TokenTransfer,
    amount: u64,
    decimals: u8,
) -> Instruction {
    transfer_token_ref(session_key, owner, t, amount, decimals, None)
}

/// `transfer_token` with a payment reference (16 or 32 bytes; the program refuses one the
/// session used before and echoes it in `TokenTransferred`).
pub fn transfer_token_ref(
    session_key: &Pubkey,
    owner: &Pubkey,
    t: TokenTransfer,
    amount: u64,
    decimals: u8,
    reference: Option<&[u8]>,
) -> Instruction {
    build(
        accounts::TransferToken {
            gate: gate(session_key, owner),
            from: t.from,
            mint: t.mint,
            to: t.to,
            token_program: t.token_program,
        },
        instruction::TransferToken {
            amount,
            decimals,
            reference: reference.map(<[u8]>::to_vec),
        },
    )
}

/// `transfer_sol` from the owner's vault, signed by the session key.
pub fn transfer_sol(
    session_key: &Pubkey,
    owner: &Pubkey,
    destination: &Pubkey,
    amount: u64,
) -> Instruction {
    transfer_sol_ref(session_key, owner, destination, amount, None)
}

/// `transfer_sol` with a payment reference (see [`transfer_token_ref`]).
pub fn transfer_sol_ref(
    session_key: &Pubkey,
    owner: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    reference: Option<&[u8]>,
) -> Instruction {
    build(
        accounts::TransferSol {
            gate: gate(session_key, owner),
            destination: *destination,
            system_program: system_program::ID,
        },
        instruction::TransferSol {
            amount,
            reference: reference.map(<[u8]>::to_vec),
        },
    )
}

/// `deposit_sol` from the owner into the vault.
pub fn deposit_sol(owner: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::DepositSol {
            owner: *owner,
            vault: pda::vault(owner).0,
            system_program: system_program::ID,
        },
        instruction::DepositSol { amount },
    )
}

/// `withdraw_sol` from the vault to `destination`, signed by the owner.
pub fn withdraw_sol(owner: &Pubkey, destination: &Pubkey, amount: u64) -> Instruction {
    build(
        accounts::WithdrawSol {
            gate: owner_gate(owner),
            vault: pda::vault(owner).0,
            destination: *destination,
            system_program: system_program::ID,
        },
        instruction::WithdrawSol { amount },
    )
}

/// `withdraw_token` from a vault-owned token account, signed by the owner.
pub fn withdraw_token(owner: &Pubkey, t: TokenTransfer, amount: u64, decimals: u8) -> Instruction {
    build(
        accounts::WithdrawToken {
            gate: owner_gate(owner),
            vault: pda::vault(owner).0,
            from: t.from,
            mint: t.mint,
            to: t.to,
            token_program: t.token_program,
        },
        instruction::WithdrawToken { amount, decimals },
    )
}

/// `close_vault_token_account`: closes an empty vault-owned token account, rent to
/// `destination`, signed by the owner.
pub fn close_vault_token_account(
    owner: &Pubkey,
    token_account: &Pubkey,
    destination: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    build(
        accounts::CloseVaultTokenAccount {
            gate: owner_gate(owner),
            vault: pda::vault(owner).0,
            token_account: *token_account,
            destination: *destination,
            token_program: *token_program,
        },
        instruction::CloseVaultTokenAccount {},
    )
}

/// `execute`: calls each of `calls` with the owner's vault signing, signed by the session key.
/// Each inner instruction's program and accounts are appended as remaining accounts; the
/// vault's signer flag is dropped (the program signs for it). The program forwards no other
/// signature than the vault's and, where the scope allows it, the session key's.
pub fn execute(session_key: &Pubkey, owner: &Pubkey, calls: &[Instruction]) -> Instruction {
    execute_ref(session_key, owner, calls, None)
}

/// `execute` with a payment reference (see [`transfer_token_ref`]); every `Executed` event
/// of the batch carries it.
pub fn execute_ref(
    session_key: &Pubkey,
    owner: &Pubkey,
    calls: &[Instruction],
    reference: Option<&[u8]>,
) -> Instruction {
    let vault = pda::vault(owner).0;
    let mut ix = build(
        accounts::Execute {
            gate: gate(session_key, owner),
        },
        instruction::Execute {
            calls: inner_calls(calls),
            reference: reference.map(<[u8]>::to_vec),
        },
    );
    push_calls(&mut ix, calls, &vault);
    ix
}

/// Appends each call's program and accounts (the vault's signer flag dropped).
fn push_calls(ix: &mut Instruction, calls: &[Instruction], vault: &Pubkey) {
    for c in calls {
        ix.accounts
            .push(AccountMeta::new_readonly(c.program_id, false));
        ix.accounts.extend(c.accounts.iter().map(|m| AccountMeta {
            pubkey: m.pubkey,
            is_signer: m.is_signer && m.pubkey != *vault,
            is_writable: m.is_writable,
        }));
    }
}

/// `set_budget`: the owner sets or changes the budget of `asset` (the all-zero address for
/// SOL, or a mint, passed then as the remaining account) across all of its sessions.
pub fn set_budget(owner: &Pubkey, asset: &Pubkey, caps: BudgetCapsArgs) -> Instruction {
    let mut ix = build(
        accounts::SetBudget {
            owner: *owner,
            wallet: pda::wallet(owner).0,
            vault: pda::vault(owner).0,
            budget: pda::budget(owner).0,
            system_program: system_program::ID,
        },
        instruction::SetBudget {
            asset: *asset,
            caps,
        },
    );
    if *asset != SOL_ASSET {
        ix.accounts.push(AccountMeta::new_readonly(*asset, false));
    }
    ix
}

/// `remove_budget`: the owner removes the budget of `asset`.
pub fn remove_budget(owner: &Pubkey, asset: &Pubkey) -> Instruction {
    build(
        accounts::RemoveBudget {
            owner: *owner,
            budget: pda::budget(owner).0,
            system_program: system_program::ID,
        },
        instruction::RemoveBudget { asset: *asset },
    )
}

/// `preview`, for `simulateTransaction` (no signature needed): the session's state and
/// allowances, and the outcome of `action` whose accounts are `action_accounts` (see
/// [`preview_transfer_sol`], [`preview_transfer_token`], [`preview_execute`]).
pub fn preview(
    owner: &Pubkey,
    session_key: &Pubkey,
    action: PreviewAction,
    action_accounts: Vec<AccountMeta>,
) -> Instruction {
    let mut ix = build(
        accounts::PreviewSession {
            session: pda::session(owner, session_key).0,
            wallet: pda::wallet(owner).0,
            vault: pda::vault(owner).0,
            budget: pda::budget(owner).0,
        },
        instruction::Preview { action },
    );
    ix.accounts.extend(action_accounts);
    ix
}

/// `preview` of `transfer_sol(amount, reference)` to `destination`.
pub fn preview_transfer_sol(
    owner: &Pubkey,
    session_key: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    reference: Option<&[u8]>,
) -> Instruction {
    preview(
        owner,
        session_key,
        PreviewAction::TransferSol {
            amount,
            reference: reference.map(<[u8]>::to_vec),
        },
        vec![AccountMeta::new_readonly(*destination, false)],
    )
}

/// `preview` of `transfer_token(amount, _, reference)` with the accounts of `t`.
pub fn preview_transfer_token(
    owner: &Pubkey,
    session_key: &Pubkey,
    t: TokenTransfer,
    amount: u64,
    reference: Option<&[u8]>,
) -> Instruction {
    preview(
        owner,
        session_key,
        PreviewAction::TransferToken {
            amount,
            reference: reference.map(<[u8]>::to_vec),
        },
        [t.from, t.mint, t.to, t.token_program]
            .iter()
            .map(|k| AccountMeta::new_readonly(*k, false))
            .collect(),
    )
}

/// `preview` of `execute(calls, reference)`.
pub fn preview_execute(
    owner: &Pubkey,
    session_key: &Pubkey,
    calls: &[Instruction],
    reference: Option<&[u8]>,
) -> Instruction {
    let vault = pda::vault(owner).0;
    let mut ix = preview(
        owner,
        session_key,
        PreviewAction::Execute {
            calls: inner_calls(calls),
            reference: reference.map(<[u8]>::to_vec),
        },
        vec![],
    );
    push_calls(&mut ix, calls, &vault);
    // A preview writes nothing and needs no signature: every account is passed read-only.
    for m in &mut ix.accounts {
        m.is_signer = false;
        m.is_writable = false;
    }
    ix
}

/// The `InnerCall`s of `calls` (accounts count and data).
fn inner_calls(calls: &[Instruction]) -> Vec<InnerCall> {
    calls
        .iter()
        .map(|c| InnerCall {
            accounts_len: u8::try_from(c.accounts.len()).unwrap_or(u8::MAX),
            data: c.data.clone(),
        })
        .collect()
}
