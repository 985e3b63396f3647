//! Syscall stubs of the native harness: events in the transaction log, and heap counting off
//! outside the program.
//!
//! A native program reaches the runtime through process-global syscall stubs
//! (`solana_sdk::program_stubs`), which solana-program-test installs once, in the first
//! `ProgramTest::start*`. Its stubs leave `sol_log_data` at the trait's default, which prints
//! to stdout, so Anchor events never reach the transaction's logs. [`install`] wraps them in
//! [`HarnessStubs`], which forwards every syscall and
//!
//! - writes `sol_log_data` into the transaction's log collector exactly as a validator does
//!   (Agave's `SyscallLogData` calls `stable_log::program_data`, and so does this): one
//!   `Program data: <base64> <base64> ...` line at the position the program emitted it. The
//!   collector is the running invocation's, registered by [`native_processor!`]; for a program
//!   registered with solana-program-test's plain `processor!` there is none, and the fields go
//!   through the inner `sol_log` behind [`MARKER`] instead, which [`normalize_logs`] turns
//!   into the same line;
//! - switches heap counting off inside every syscall, CPIs included, since none of them
//!   allocate on the program's heap on chain ([`crate::heap`]).
//!
//! (On the host, Anchor 1.2.2's own `emit!` never calls `sol_log_data`: its host
//! `sol_log_data` is a `black_box`. session-keys therefore emits through its own `emit!`
//! (`crate::emit`), which off chain calls the stubs' `sol_log_data` and on chain is Anchor's.
//! A program that uses Anchor's `emit!` directly logs no events natively.)
use crate::heap;
use solana_program_runtime::stable_log;
use solana_sdk::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::Instruction,
    program_stubs::{set_syscall_stubs, SyscallStubs},
    pubkey::Pubkey,
};
use solana_svm_log_collector::LogCollector;
use std::{
    cell::RefCell,
    rc::Rc,
    sync::{Once, OnceLock},
};

/// Prefix of a `sol_log_data` call logged through the inner `sol_log`, when no log collector
/// is registered: `Program log: <MARKER><base64> <base64> ...`. It starts with a NUL byte,
/// which no `msg!` of a real program writes.
pub const MARKER: &str = "\u{0}sol_log_data\u{0} ";

thread_local! {
    /// Log collectors of the native invocations running on this thread, innermost last.
    static LOG_COLLECTORS: RefCell<Vec<Option<Rc<RefCell<LogCollector>>>>> =
        const { RefCell::new(Vec::new()) };
}

/// Registers the running invocation's log collector for `sol_log_data` until dropped.
#[must_use = "the collector is registered only while the scope lives"]
pub struct LogScope(());

impl LogScope {
    /// Registers `collector` (the invoke context's) for this thread.
    pub fn enter(collector: Option<Rc<RefCell<LogCollector>>>) -> Self {
        LOG_COLLECTORS.with(|c| c.borrow_mut().push(collector));
        Self(())
    }
}

impl Drop for LogScope {
    fn drop(&mut self) {
        LOG_COLLECTORS.with(|c| c.borrow_mut().pop());
    }
}

/// Like solana-program-test's `processor!` (same body), and registers the invoke context's log
/// collector for [`HarnessStubs::sol_log_data`] while the program runs.
#[macro_export]
macro_rules! native_processor {
    ($builtin_function:expr) => {
        Some(|vm, _arg0, _arg1, _arg2, _arg3, _arg4| {
            use solana_program_test as pt;
            // SAFETY: the same pointer arithmetic as `solana_program_test::processor!`: the
            // runtime passes the VM's environment slot, which sits at this offset in the VM.
            let vm = unsafe {
                &mut *((vm as *mut u64).offset(-(pt::get_runtime_environment_key() as isize))
                    as *mut pt::EbpfVm<pt::InvokeContext>)
            };
            let _logs =
                $crate::stubs::LogScope::enter(vm.context_object_pointer.get_log_collector());
            vm.program_result =
                pt::invoke_builtin_function($builtin_function, vm.context_object_pointer)
                    .map_err(|err| pt::EbpfError::SyscallError(err))
                    .into();
        })
    };
}

/// The stubs that were installed before [`install`] (solana-program-test's).
static INNER: OnceLock<Box<dyn SyscallStubs>> = OnceLock::new();

fn inner() -> &'static dyn SyscallStubs {
    INNER
        .get()
        .expect("HarnessStubs installed without inner stubs")
        .as_ref()
}

/// Wraps solana-program-test's syscall stubs (see the module docs).
pub struct HarnessStubs;

/// Installs [`HarnessStubs`] over the current stubs, once per process. Call it after the
/// first `ProgramTest::start*` (which installs solana-program-test's stubs and would replace
/// these) and before any transaction; `TestEnv` does.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = set_syscall_stubs(Box::new(HarnessStubs));
        assert!(INNER.set(previous).is_ok(), "installed twice");
    });
}

/// `Program data: ` and the base64 of each field, space-separated: Agave's format.
fn data_line(fields: &[&[u8]]) -> String {
    use base64::{prelude::BASE64_STANDARD, Engine};
    let encoded: Vec<String> = fields.iter().map(|f| BASE64_STANDARD.encode(f)).collect();
    encoded.join(" ")
}

/// A runtime line about an invocation: `Program <id> invoke [<depth>]` (`Some(depth)`), or
/// `Program <id> success` / `Program <id> failed: ...` (`None`).
fn invocation_line(line: &str) -> Option<(&str, Option<usize>)> {
    let mut words = line.strip_prefix("Program ")?.splitn(3, ' ');
    let id = words.next()?;
    id.parse::<Pubkey>().ok()?;
    match (words.next()?, words.next()) {
        ("invoke", Some(depth)) => {
            let depth = depth.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
            Some((id, Some(depth)))
        }
        ("success", None) | ("failed:", Some(_)) => Some((id, None)),
        _ => None,
    }
}

/// Turns the logs of the native harness into what a validator prints for the same
/// transaction:
///
/// - the marked lines of [`MARKER`] become `sol_log_data`'s `Program data: <base64>*`;
/// - solana-program-test logs every native invocation and every CPI up to three times
///   (`invoke_builtin_function`, its CPI stub and the runtime each log `invoke` and
///   `success`; the stub's CPI line even carries the caller's depth), where a validator logs
///   once. Consecutive `invoke` lines of the same program are merged into the deepest one,
///   and the extra `success` / `failed` lines that close it are dropped.
///
/// A program that calls itself with nothing logged in between would be merged too;
/// session-keys refuses to call itself.
pub fn normalize_logs(logs: Vec<String>) -> Vec<String> {
    let marked = format!("Program log: {MARKER}");
    let mut out: Vec<String> = Vec::with_capacity(logs.len());
    // Open invocations (program id, extra closing lines still to drop), innermost last.
    let mut open: Vec<(String, usize)> = Vec::new();
    // The invocation closed by the previous line, and how many of its closing lines remain.
    let mut closing: Option<(String, usize)> = None;
    for line in logs {
        if let Some(fields) = line.strip_prefix(&marked) {
            closing = None;
            out.push(format!("Program data: {fields}"));
            continue;
        }
        match invocation_line(&line) {
            Some((id, Some(depth))) => {
                closing = None;
                let previous = out.last().and_then(|l| invocation_line(l));
                if let (Some((prev_id, Some(prev_depth))), Some(top)) = (previous, open.last_mut())
                {
                    if prev_id == id && (depth == prev_depth || depth == prev_depth + 1) {
                        top.1 += 1;
                        if depth > prev_depth {
                            *out.last_mut().expect("previous line") = line;
                        }
                        continue;
                    }
                }
                open.push((id.to_string(), 0));
                out.push(line);
            }
            Some((id, None)) => {
                if let Some((closed, extra)) = closing.as_mut() {
                    if closed == id && *extra > 0 {
                        *extra -= 1;
                        continue;
                    }
                }
                if open.last().is_some_and(|(top, _)| top == id) {
                    let (top, extra) = open.pop().expect("checked");
                    closing = Some((top, extra));
                } else {
                    closing = None;
                }
                out.push(line);
            }
            None => {
                closing = None;
                out.push(line);
            }
        }
    }
    out
}

impl SyscallStubs for HarnessStubs {
    fn sol_log(&self, message: &str) {
        let _p = heap::pause();
        inner().sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        let _p = heap::pause();
        inner().sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        let _p = heap::pause();
        inner().sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        // On chain Anchor's CPI (solana-invoke) passes the instruction to the syscall by
        // reference, so nothing of the call lands on the caller's heap.
        let _p = heap::pause();
        inner().sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(
        &self,
        sysvar_id_addr: *const u8,
        var_addr: *mut u8,
        offset: u64,
        length: u64,
    ) -> u64 {
        let _p = heap::pause();
        inner().sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        let _p = heap::pause();
        inner().sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        let _p = heap::pause();
        inner().sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        let _p = heap::pause();
        inner().sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        let _p = heap::pause();
        inner().sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        let _p = heap::pause();
        inner().sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        // On chain the syscall copies into a buffer the program allocated beforehand; here
        // the stub returns a fresh Vec. Pausing leaves that allocation uncounted, which
        // undercounts only programs that read return data (session-keys does not).
        let _p = heap::pause();
        inner().sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        let _p = heap::pause();
        inner().sol_set_return_data(data)
    }
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let _p = heap::pause();
        let collector = LOG_COLLECTORS.with(|c| c.borrow().last().cloned());
        match collector {
            Some(collector) => stable_log::program_data(&collector, fields),
            None => inner().sol_log(&format!("{MARKER}{}", data_line(fields))),
        }
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        let _p = heap::pause();
        inner().sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        let _p = heap::pause();
        inner().sol_get_stack_height()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_test_duplicate_invocation_lines_collapse_like_a_validator_logs_them() {
        let (n, t) = (session_keys::ID, anchor_spl::token::ID);
        let raw: Vec<String> = [
            format!("Program {n} invoke [1]"),
            format!("Program {n} invoke [1]"),
            format!("Program {t} invoke [1]"),
            format!("Program {t} invoke [2]"),
            "Program log: Instruction: Approve".to_string(),
            format!("Program {t} consumed 2904 of 199325 compute units"),
            format!("Program {t} success"),
            format!("Program {t} success"),
            format!("Program log: {MARKER}AAAA"),
            format!("Program {n} failed: custom program error: 0x1770"),
            format!("Program {n} failed: custom program error: 0x1770"),
        ]
        .into();
        let expected: Vec<String> = [
            format!("Program {n} invoke [1]"),
            format!("Program {t} invoke [2]"),
            "Program log: Instruction: Approve".to_string(),
            format!("Program {t} consumed 2904 of 199325 compute units"),
            format!("Program {t} success"),
            "Program data: AAAA".to_string(),
            format!("Program {n} failed: custom program error: 0x1770"),
        ]
        .into();
        assert_eq!(normalize_logs(raw), expected);
        // Two separate top-level calls of one program stay two.
        let twice: Vec<String> = [
            format!("Program {n} invoke [1]"),
            format!("Program {n} success"),
            format!("Program {n} invoke [1]"),
            format!("Program {n} success"),
        ]
        .into();
        assert_eq!(normalize_logs(twice.clone()), twice);
    }

    #[test]
    fn marked_lines_become_program_data_lines_and_others_stay() {
        let logs = vec![
            "Program 11111111111111111111111111111111 invoke [1]".to_string(),
            format!("Program log: {MARKER}{}", data_line(&[b"abc", &[0xff, 0]])),
            "Program log: data: not an event".to_string(),
            format!("Program log: x{MARKER}AAAA"),
        ];
        let out = normalize_logs(logs.clone());
        assert_eq!(out[0], logs[0]);
        assert_eq!(out[1], "Program data: YWJj /wA=");
        assert_eq!(out[2], logs[2]);
        assert_eq!(out[3], logs[3], "the marker counts only at the start");
    }
}
