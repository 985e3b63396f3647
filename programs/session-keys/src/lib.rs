//! # Session keys for Solana
//!
//! A wallet owner grants a short-lived key limited power: which mints it may move (and SOL),
//! how much per instruction, per recurring window and in total, how many times, to which
//! destinations, and until when. Transfers are proxied through the owner's vault PDA only after
//! every check passes. See docs/01-concepts.md for the account model and SECURITY.md for the
//! security model.
// Unchecked arithmetic is denied in the program (Cargo.toml); test code may use it freely. The
// non-test build of the library is linted on its own, so this does not weaken the program.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod policy;
pub mod state;
pub mod vault_cpi;
pub mod verify;
pub mod watch;

/// Anchor's `emit!`, except off chain: in the native build the tests run, Anchor 1.2.2's
/// `emit!` calls a `sol_log_data` that is a `black_box` on the host, so events vanish. There
/// this macro hands the same bytes to the syscall stubs instead, where a harness can put them
/// in the transaction log (the harness, `crates/harness`, does). Files that emit import it with
/// `use crate::emit;`, which takes precedence over the prelude's glob import (it is defined
/// after the modules so that it is not also in their textual macro scope, which would be
/// ambiguous with that glob import). On chain (`target_os = "solana"`) it is Anchor's own
/// `emit!`, unchanged.
#[cfg(not(target_os = "solana"))]
macro_rules! emit {
    ($event:expr) => {
        anchor_lang::compat::solana_sysvar::program_stubs::sol_log_data(&[
            &anchor_lang::Event::data(&$event),
        ])
    };
}
#[cfg(target_os = "solana")]
pub(crate) use anchor_lang::emit;
#[cfg(not(target_os = "solana"))]
pub(crate) use emit;

use instructions::*;

declare_id!("Fuozp2agVzwjMmrMLUZpFbA7nbMNzCdav5cj3yQAUrm8");

// Where researchers report vulnerabilities (see SECURITY.md). The `.invalid` addresses are
// deliberate: the project has no public home yet, and a deployer must put their own contact
// here before deploying (SECURITY.md, "Before you deploy"). Left out of builds used as a
// dependency, so a program that embeds session-keys' client does not carry this file.
#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Session Keys",
    project_url: "https://session-keys.invalid",
    contacts: "email:security@session-keys.invalid",
    policy: "https://session-keys.invalid/SECURITY.md",
    preferred_languages: "en",
    auditors: "None yet: see SECURITY.md, Audits"
}

/// The session-keys program.
#[program]
pub mod session_keys {
    use super::*;

    /// Grants a session key scoped, capped, expiring power over the owner's vault.
    pub fn create_session(ctx: Context<CreateSession>, args: CreateSessionArgs) -> Result<()> {
        CreateSession::handler(ctx, args)
    }

    /// Grants a session from the owner's Ed25519-signed message, paid by a sponsor: no owner
    /// signature in the transaction (docs/message-grant.md).
    pub fn create_session_from_message(
        ctx: Context<CreateSessionFromMessage>,
        args: MessageGrantArgs,
    ) -> Result<()> {
        CreateSessionFromMessage::handler(ctx, args)
    }

    /// Revokes and closes one session (owner or session key); rent goes back to its payer.
    pub fn revoke_session(ctx: Context<RevokeSession>) -> Result<()> {
        RevokeSession::handler(ctx)
    }

    /// Revokes every session of the owner at once by bumping the wallet's nonce, and every
    /// grant message signed before by replacing the wallet's message counter.
    /// Remaining accounts: (owner token account, token program) pairs on which the vault's
    /// delegation is revoked in the same instruction.
    pub fn revoke_all_sessions<'info>(ctx: Context<'info, RevokeAllSessions<'info>>) -> Result<()> {
        RevokeAllSessions::handler(ctx)
    }

    /// Closes an expired or nonce-revoked session; anyone may call it; rent goes to its payer.
    pub fn close_session(ctx: Context<CloseSession>) -> Result<()> {
        CloseSession::handler(ctx)
    }

    /// Session-signed token transfer from the owner (vault as delegate) or the vault.
    /// `reference`: an optional 16- or 32-byte payment reference, refused if the session used
    /// it before (within its reference history) and echoed in the event.
    pub fn transfer_token(
        ctx: Context<TransferToken>,
        amount: u64,
        decimals: u8,
        reference: Option<Vec<u8>>,
    ) -> Result<()> {
        TransferToken::handler(ctx, amount, decimals, reference)
    }

    /// Session-signed lamport transfer from the owner's vault.
    /// `reference` as for `transfer_token`.
    pub fn transfer_sol(
        ctx: Context<TransferSol>,
        amount: u64,
        reference: Option<Vec<u8>>,
    ) -> Result<()> {
        TransferSol::handler(ctx, amount, reference)
    }

    /// Session-signed calls to programs in scope, with the vault PDA signing; what leaves the
    /// vault's control is charged to the caps.
    pub fn execute<'info>(
        ctx: Context<'info, Execute<'info>>,
        calls: Vec<InnerCall>,
        reference: Option<Vec<u8>>,
    ) -> Result<()> {
        Execute::handler(ctx, calls, reference)
    }

    /// Owner moves lamports into the vault.
    pub fn deposit_sol(ctx: Context<DepositSol>, amount: u64) -> Result<()> {
        DepositSol::handler(ctx, amount)
    }

    /// Owner moves lamports out of the vault.
    pub fn withdraw_sol(ctx: Context<WithdrawSol>, amount: u64) -> Result<()> {
        WithdrawSol::handler(ctx, amount)
    }

    /// Owner closes an empty vault-owned token account and takes its rent.
    pub fn close_vault_token_account(ctx: Context<CloseVaultTokenAccount>) -> Result<()> {
        CloseVaultTokenAccount::handler(ctx)
    }

    /// Owner moves tokens out of a vault-owned token account.
    pub fn withdraw_token(ctx: Context<WithdrawToken>, amount: u64, decimals: u8) -> Result<()> {
        WithdrawToken::handler(ctx, amount, decimals)
    }

    /// Owner sets or changes the budget of one asset, binding all of the owner's sessions.
    /// `asset`: the all-zero address for SOL, or a mint (then the mint account is the first
    /// remaining account).
    pub fn set_budget<'info>(
        ctx: Context<'info, SetBudget<'info>>,
        asset: Pubkey,
        caps: BudgetCapsArgs,
    ) -> Result<()> {
        SetBudget::handler(ctx, asset, caps)
    }

    /// Owner removes the budget of one asset; the last removal closes the budget account.
    pub fn remove_budget(ctx: Context<RemoveBudget>, asset: Pubkey) -> Result<()> {
        RemoveBudget::handler(ctx, asset)
    }

    /// Read-only "would this pass?" for `simulateTransaction`: the session's state and
    /// allowances, and the exact error a proposed action would get (return data: `Preview`).
    pub fn preview<'info>(
        ctx: Context<'info, PreviewSession<'info>>,
        action: PreviewAction,
    ) -> Result<Preview> {
        PreviewSession::handler(ctx, action)
    }
}
