//! Heap measurement: what session-keys would allocate on its 32 KiB SBF bump heap.
//!
//! On chain every program invocation gets a fresh [`HEAP_SIZE`]-byte heap served by
//! `solana_program_entrypoint::BumpAllocator`: it hands out memory downwards from the top,
//! rounding each block down to its alignment, never frees (`dealloc` is a no-op) and has no
//! `realloc` of its own (the default one allocates the new size and copies). The native build
//! the tests run has no such limit, so this module counts instead:
//!
//! - A counting `#[global_allocator]` ([`CountingAllocator`], over [`System`]) simulates the
//!   bump pointer of the current invocation: every `alloc` moves it by the size rounded up to
//!   the alignment from where it stands, every `realloc` by the full new size, `dealloc` by
//!   nothing. Counting is on only while session-keys' own code runs: [`frame`] switches it on
//!   around the program's entry (see `entry_shim!` in the crate root), and the syscall stubs
//!   ([`crate::stubs`]) switch it off inside every syscall, CPI included, and back on after.
//!   A CPI that re-enters session-keys opens its own frame (its own heap on chain) and closes
//!   it before the caller's counting resumes.
//! - The SBF entrypoint's own allocations happen before the program's code runs (natively
//!   they happen in solana-program-test, outside the frame), so they are added by formula:
//!   [`entrypoint_bytes`].
//! - Host machinery that runs inside the frame must not be counted: `msg!` prints with
//!   `println!` natively, and under `cargo test` that grows the test's output-capture buffer.
//!   Every block therefore carries a hidden tag saying which frame allocated it; a `realloc`
//!   counts only when the block belongs to the current frame (on chain a program can only
//!   grow its own blocks), and the capture buffer is primed ([`prime_output`]) before a
//!   measurement so it is not first allocated inside one.
//!
//! Host and SBF differ in one layout detail: `u128` is 16-byte aligned on x86-64 and 8 on
//! SBF, so a type holding one may be counted a few bytes larger here. Nothing else in the
//! measured path depends on the target (pointers are 8 bytes on both).
use anchor_lang::prelude::Pubkey;
use solana_sdk::account_info::AccountInfo;
use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    collections::HashSet,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
};

/// The SBF program heap (`solana_program_entrypoint::HEAP_LENGTH`).
pub const HEAP_SIZE: usize = 32 * 1024;

/// What a program can allocate out of [`HEAP_SIZE`]: the bump allocator keeps its position in
/// the heap's first 8 bytes and refuses to hand them out.
pub const HEAP_BUDGET: usize = HEAP_SIZE - 8;

/// Heap bytes the SBF entrypoint allocates per account reference passed to the instruction:
/// `solana_program_entrypoint::deserialize` collects the `AccountInfo`s in
/// `Vec::with_capacity(num_accounts)`, and an `AccountInfo` is 48 bytes (two references, two
/// `Rc`s, a `u64`, three `bool`s, padded to 8).
pub const ENTRYPOINT_BYTES_PER_ACCOUNT_REF: usize = 48;

/// Heap bytes the SBF entrypoint allocates per distinct account: `AccountInfo::new` puts the
/// lamports in an `Rc<RefCell<&mut u64>>` (2 counters + borrow flag + reference = 32 bytes)
/// and the data in an `Rc<RefCell<&mut [u8]>>` (2 counters + borrow flag + fat reference =
/// 40 bytes). A duplicate account is an `AccountInfo::clone`, which shares both.
pub const ENTRYPOINT_BYTES_PER_DISTINCT_ACCOUNT: usize = 72;

/// The SBF entrypoint's allocations for an instruction with `account_refs` account entries of
/// which `distinct` are different accounts. All are 8-byte aligned multiples of 8, so they
/// leave the bump pointer aligned for what the program allocates next.
pub fn entrypoint_bytes(account_refs: usize, distinct: usize) -> usize {
    ENTRYPOINT_BYTES_PER_ACCOUNT_REF * account_refs
        + ENTRYPOINT_BYTES_PER_DISTINCT_ACCOUNT * distinct
}

/// One measured session-keys invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapRecord {
    /// The instruction's accounts, in order, duplicates included.
    pub accounts: Vec<Pubkey>,
    /// The instruction data.
    pub data: Vec<u8>,
    /// Account references passed to the instruction.
    pub account_refs: usize,
    /// Distinct accounts among them.
    pub distinct_accounts: usize,
    /// The SBF entrypoint's allocations ([`entrypoint_bytes`]).
    pub entrypoint_bytes: usize,
    /// What the program's own code allocated, alignment padding included.
    pub program_bytes: usize,
    /// Whether the program returned `Ok`.
    pub succeeded: bool,
}

impl HeapRecord {
    /// Heap bytes used in all: the bump pointer's distance from the top of the heap.
    pub fn total(&self) -> usize {
        self.entrypoint_bytes + self.program_bytes
    }
}

thread_local! {
    /// Whether allocations on this thread are counted now.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Bytes used on the current frame's simulated heap.
    static USED: Cell<usize> = const { Cell::new(0) };
    /// Id of the current frame (0: none).
    static FRAME: Cell<usize> = const { Cell::new(0) };
}

/// Frame ids, unique in the process (0 means "no frame").
static NEXT_FRAME: AtomicUsize = AtomicUsize::new(1);
/// How many [`Recording`]s are alive; records are kept only while one is.
static RECORDING: AtomicUsize = AtomicUsize::new(0);
/// Finished frames, while [`RECORDING`] is non-zero.
static RECORDS: Mutex<Vec<HeapRecord>> = Mutex::new(Vec::new());
/// Most records kept; older ones (from other tests running meanwhile) are dropped.
const MAX_RECORDS: usize = 512;

/// The counting global allocator (see the module docs). Every block has a hidden header of
/// `max(align, 8)` bytes in front of it whose last 8 bytes hold the id of the frame that
/// allocated it (0 outside frames).
pub struct CountingAllocator;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Header size and the layout actually requested from [`System`] for `layout`.
fn outer(layout: Layout) -> Option<(usize, Layout)> {
    let header = layout.align().max(8);
    let size = layout.size().checked_add(header)?;
    Some((header, Layout::from_size_align(size, header).ok()?))
}

/// Moves the simulated bump pointer for a block of `layout` if counting is on.
fn count(layout: Layout) {
    // `try_with`: allocations during thread teardown are simply not counted.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = USED.try_with(|used| {
            let end = used.get().saturating_add(layout.size());
            let align = layout.align();
            used.set(end.saturating_add(align - 1) & !(align - 1));
        });
    }
}

/// The frame a new block belongs to: the current one while counting, else 0.
fn current_tag() -> usize {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        FRAME.try_with(Cell::get).unwrap_or(0)
    } else {
        0
    }
}

/// # Safety
/// `base` must point to a block allocated with the header of `header` bytes.
unsafe fn tag_slot(base: *mut u8, header: usize) -> *mut usize {
    base.add(header - 8).cast::<usize>()
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((header, outer)) = outer(layout) else {
            return std::ptr::null_mut();
        };
        let base = System.alloc(outer);
        if base.is_null() {
            return base;
        }
        tag_slot(base, header).write(current_tag());
        count(layout);
        base.add(header)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some((header, outer)) = outer(layout) else {
            return std::ptr::null_mut();
        };
        let base = System.alloc_zeroed(outer);
        if base.is_null() {
            return base;
        }
        tag_slot(base, header).write(current_tag());
        count(layout);
        base.add(header)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // A bump allocator frees nothing: nothing to count.
        if let Some((header, outer)) = outer(layout) {
            System.dealloc(ptr.sub(header), outer);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some((header, old_outer)) = outer(layout) else {
            return std::ptr::null_mut();
        };
        let Some(new_outer_size) = new_size.checked_add(header) else {
            return std::ptr::null_mut();
        };
        let base = ptr.sub(header);
        let owner = tag_slot(base, header).read();
        let new_base = System.realloc(base, old_outer, new_outer_size);
        if new_base.is_null() {
            return new_base;
        }
        // Only the program's own blocks: a host buffer that grows while the program runs
        // (the test's output capture behind `msg!`) has no counterpart on chain.
        let tag = current_tag();
        if tag != 0 && owner == tag {
            count(Layout::from_size_align_unchecked(new_size, layout.align()));
        }
        new_base.add(header)
    }
}

/// Whether a frame is counting on this thread now.
pub fn counting() -> bool {
    COUNTING.with(Cell::get)
}

/// Switches counting off until the guard is dropped, then restores what it was: for code that
/// leaves the program (syscalls, CPIs).
#[must_use = "counting resumes when the guard is dropped"]
pub struct Paused {
    was: bool,
}

/// Pauses counting on this thread (see [`Paused`]).
pub fn pause() -> Paused {
    Paused {
        was: COUNTING.with(|c| c.replace(false)),
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        COUNTING.with(|c| c.set(self.was));
    }
}

/// The saved state of the enclosing frame (if any) while a nested one runs.
struct FrameGuard {
    counting: bool,
    used: usize,
    frame: usize,
}

impl Drop for FrameGuard {
    fn drop(&mut self) {
        COUNTING.with(|c| c.set(self.counting));
        USED.with(|u| u.set(self.used));
        FRAME.with(|f| f.set(self.frame));
    }
}

/// Runs one program invocation `f` over `accounts` with `data` on a fresh simulated heap that
/// starts below the entrypoint's allocations, and records what it used while a [`Recording`]
/// is alive. Re-entrant: the caller's frame is saved and restored (also on a panic).
pub fn frame<T>(
    accounts: &[AccountInfo],
    data: &[u8],
    f: impl FnOnce() -> T,
    ok: impl FnOnce(&T) -> bool,
) -> T {
    // Everything outside `f` runs with counting off: these are the harness's allocations.
    let _outer = pause();
    let keys: Vec<Pubkey> = accounts.iter().map(|a| *a.key).collect();
    let distinct = keys.iter().collect::<HashSet<_>>().len();
    let entry = entrypoint_bytes(keys.len(), distinct);
    let id = NEXT_FRAME.fetch_add(1, Ordering::Relaxed);
    let (result, used) = {
        let saved = FrameGuard {
            counting: false, // `_outer` restores the caller's switch itself
            used: USED.with(|u| u.replace(entry)),
            frame: FRAME.with(|fr| fr.replace(id)),
        };
        COUNTING.with(|c| c.set(true));
        let result = f();
        COUNTING.with(|c| c.set(false));
        let used = USED.with(Cell::get);
        drop(saved);
        (result, used)
    };
    if RECORDING.load(Ordering::SeqCst) > 0 {
        let record = HeapRecord {
            account_refs: keys.len(),
            distinct_accounts: distinct,
            entrypoint_bytes: entry,
            program_bytes: used - entry,
            accounts: keys,
            data: data.to_vec(),
            succeeded: ok(&result),
        };
        let mut records = RECORDS.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() >= MAX_RECORDS {
            records.remove(0);
        }
        records.push(record);
    }
    result
}

/// Keeps finished frames in the record list while alive (see [`take`]).
#[must_use = "records are kept only while the guard lives"]
pub struct Recording(());

/// Starts keeping records (see [`Recording`]).
pub fn record() -> Recording {
    RECORDING.fetch_add(1, Ordering::SeqCst);
    Recording(())
}

impl Drop for Recording {
    fn drop(&mut self) {
        if RECORDING.fetch_sub(1, Ordering::SeqCst) == 1 {
            RECORDS.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

/// Removes and returns, oldest first, the records of invocations with exactly these accounts
/// and data (a test's own keys make them unique among tests running at the same time).
pub fn take(accounts: &[Pubkey], data: &[u8]) -> Vec<HeapRecord> {
    let mut records = RECORDS.lock().unwrap_or_else(|e| e.into_inner());
    let (mine, rest): (Vec<_>, Vec<_>) = records
        .drain(..)
        .partition(|r| r.accounts == accounts && r.data == data);
    *records = rest;
    mine
}

/// Makes sure printing on this thread does not allocate a fresh buffer inside a frame: under
/// `cargo test` the first `println!` of a test allocates its output-capture buffer, and
/// outside it the first one allocates stdout's buffer. Later growth is a `realloc` of a block
/// that no frame owns, which is not counted.
pub fn prime_output() {
    println!("(heap: output primed)");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_frame(f: impl FnOnce()) -> usize {
        let lamports = &mut 0u64;
        let data: &mut [u8] = &mut [];
        let key = Pubkey::new_unique();
        let owner = Pubkey::new_unique();
        let info = AccountInfo::new(&key, false, false, lamports, data, &owner, false);
        let _r = record();
        let marker = [0xA5, 0x5A, 7, 7, 7, 7, 7, 1];
        frame(&[info.clone(), info], &marker, f, |_| true);
        let r = take(&[key, key], &marker);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].entrypoint_bytes, 2 * 48 + 72);
        assert_eq!((r[0].account_refs, r[0].distinct_accounts), (2, 1));
        r[0].program_bytes
    }

    #[test]
    fn bump_semantics_alignment_realloc_and_no_free() {
        // 3 bytes (align 1) then a u64 (align 8): 3 → padded to 8 → 16.
        let used = in_frame(|| {
            let a = Box::new([1u8; 3]);
            let b = Box::new(5u64);
            std::hint::black_box((&a, &b));
        });
        assert_eq!(used, 16);
        // A Vec grown 4 → 8 → 16 u32s: 16 + 32 + 64 bytes, nothing freed.
        let used = in_frame(|| {
            let mut v: Vec<u32> = Vec::with_capacity(4);
            for i in 0..16 {
                v.push(i);
            }
            std::hint::black_box(&v);
        });
        assert_eq!(used, 16 + 32 + 64);
        // Dropping and allocating again costs again.
        let used = in_frame(|| {
            for _ in 0..3 {
                drop(std::hint::black_box(vec![0u8; 100]));
            }
        });
        assert_eq!(used, 300);
    }

    #[test]
    fn paused_code_and_foreign_blocks_are_not_counted() {
        let mut outside = Vec::<u8>::with_capacity(1);
        outside.push(1);
        let used = in_frame(|| {
            {
                let _p = pause();
                std::hint::black_box(vec![0u8; 1000]);
            }
            // Growing a block that existed before the frame: host machinery, not counted.
            outside.extend_from_slice(&[0; 4096]);
            std::hint::black_box(&outside);
        });
        assert_eq!(used, 0);
        assert!(!counting());
    }

    #[test]
    fn nested_frames_have_their_own_heap() {
        let mut inner = 0;
        let outer = in_frame(|| {
            std::hint::black_box(vec![0u8; 40]);
            let _p = pause();
            inner = in_frame(|| {
                std::hint::black_box(vec![0u8; 24]);
            });
            drop(_p);
            std::hint::black_box(vec![0u8; 8]);
        });
        assert_eq!(inner, 24);
        assert_eq!(outer, 48);
    }
}
