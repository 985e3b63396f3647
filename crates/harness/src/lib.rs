//! The runtime the session-keys tests, the localnet and the demo share.
//!
//! The program is compiled for the host and registered in `solana-program-test` as a native
//! processor: real bank, real signature/owner/writable checks, real System, SPL Token and
//! Token-2022 programs (bundled sBPF), real CPI, and a Clock sysvar the tests can move.
//!
//! - [`program_test`]: the programs registered, their events reaching the log ([`stubs`]) and
//!   their heap use measured ([`heap`]);
//! - [`TestEnv`]: a started bank with an owner, a session key, a mint, and a helper per
//!   instruction;
//! - [`targets`]: instruction builders for the programs a session calls (the example game, the
//!   hostile target, SPL Memo); [`alt`]: v0 transactions with an address lookup table.
// solana-program-test 3.1 marks its whole API "unstable" (deprecated); it is the harness the
// project is built on, pinned to an exact version.
#![allow(deprecated)]
pub use session_keys_client as client;
pub mod alt;
pub mod heap;
pub mod stubs;
pub mod targets;

mod env;
mod guardrails;
mod mints;
mod sessions;

pub use env::TestEnv;
pub use guardrails::{budget, outcome};

use anchor_lang::prelude::Pubkey;
use session_keys::errors::SessionError;
use solana_program_test::ProgramTest;
use solana_sdk::{
    account_info::AccountInfo, entrypoint::ProgramResult, instruction::InstructionError,
    transaction::TransactionError,
};

/// Decimals of every test mint.
pub const DECIMALS: u8 = 6;
/// One whole token in base units.
pub const TOKEN: u64 = 1_000_000;
/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// Unix time the tests start at.
pub const START: i64 = 1_800_000_000;

/// Anchor's `entry` wants one lifetime for everything, `processor!` wants independent ones;
/// `AccountInfo` is invariant over its lifetime, so the slice is transmuted (same layout).
/// With `measured`, the program's heap use is counted while it runs ([`heap::frame`]).
macro_rules! entry_shim {
    ($name:ident, $entry:path) => {
        fn $name(id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
            // SAFETY: only the lifetime parameter changes; the runtime keeps the accounts
            // alive for the whole call.
            let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
            $entry(id, accounts, data)
        }
    };
    ($name:ident, $entry:path, measured) => {
        fn $name(id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
            // SAFETY: as above.
            let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
            heap::frame(accounts, data, || $entry(id, accounts, data), Result::is_ok)
        }
    };
}
entry_shim!(session_keys_entry, session_keys::entry, measured);
entry_shim!(example_game_entry, example_game::entry);
entry_shim!(hostile_target_entry, hostile_target::entry);

/// The runtime logs every invocation at debug level, which buries test output. Keep errors
/// only unless the caller set `RUST_LOG` (e.g. `RUST_LOG=debug cargo test ...`).
fn quiet_runtime_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
}

/// A program test with session-keys, the example game and the hostile target registered as
/// native programs whose events reach the transaction log (once [`stubs::install`] ran after
/// the bank started, as [`TestEnv`] does) and whose heap use is measured ([`heap`]).
pub fn program_test() -> ProgramTest {
    quiet_runtime_logs();
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(false);
    pt.add_program(
        "session_keys",
        session_keys::ID,
        native_processor!(session_keys_entry),
    );
    pt.add_program(
        "example_game",
        example_game::ID,
        native_processor!(example_game_entry),
    );
    pt.add_program(
        "hostile_target",
        hostile_target::ID,
        native_processor!(hostile_target_entry),
    );
    pt
}

/// Like [`program_test`] with session-keys alone, registered through solana-program-test's
/// plain `processor!`: no log collector is registered for it, so its events reach the log
/// through the marked `sol_log` fallback that [`stubs::normalize_logs`] rewrites.
pub fn program_test_with_plain_processor() -> ProgramTest {
    quiet_runtime_logs();
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(false);
    pt.add_program(
        "session_keys",
        session_keys::ID,
        solana_program_test::processor!(session_keys_entry),
    );
    pt
}

/// The custom error code of a program error.
pub fn code(e: SessionError) -> u32 {
    client::decode::error_code(e)
}

/// Asserts that `result` failed in instruction `index` with custom error `expected`.
#[track_caller]
pub fn assert_custom(result: Result<(), TransactionError>, index: u8, expected: u32) {
    assert_eq!(
        result,
        Err(TransactionError::InstructionError(
            index,
            InstructionError::Custom(expected)
        ))
    );
}

/// Asserts that `result` failed in its first instruction with the program error `e`.
#[track_caller]
pub fn assert_session_error(result: Result<(), TransactionError>, e: SessionError) {
    assert_custom(result, 0, code(e));
}
