//! Spend caps: lifetime, per-instruction and per recurring window, for one asset.
//!
//! Windows are aligned to multiples of their length counted from the unix epoch, not from the
//! last use: with a 60 s window, `[0, 60)`, `[60, 120)`, ... The spent amount of a window is
//! forgotten as soon as a later window starts. A clock that moves backwards never reopens an
//! older window: the stored window is kept until time passes its end again.
//!
//! The per-instruction cap bounds one `transfer_token` / `transfer_sol` amount, or everything
//! one whole `execute` batch moves of the asset. Several session instructions in one
//! transaction each have their own per-instruction cap; the window and lifetime caps bound
//! their sum.
use super::PolicyResult;
use crate::errors::SessionError;
use anchor_lang::prelude::*;

pub use crate::constants::NO_PER_INSTRUCTION_CAP;

/// What a charge is for: lamports, or one mint's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    /// Lamports leaving the vault (or vault-controlled token accounts).
    Sol,
    /// Base units of this mint.
    Mint(Pubkey),
}

/// Caps requested for one asset at creation.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapsArgs {
    /// Total the session may ever move of this asset (base units). Required and positive.
    pub lifetime: u64,
    /// Most one instruction (a transfer, or a whole `execute` batch) may move, if limited.
    pub per_instruction: Option<u64>,
    /// Recurring window cap, if any.
    pub window: Option<WindowArgs>,
}

/// A recurring spending window.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowArgs {
    /// Window length in seconds (positive).
    pub seconds: u32,
    /// Most the session may move within one window (positive).
    pub cap: u64,
}

/// Caps and counters of one asset, as stored in a session. 52 bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Allowance {
    /// Lifetime cap (8 bytes).
    pub lifetime_cap: u64,
    /// Total moved so far (8 bytes).
    pub spent: u64,
    /// Per-instruction cap, [`NO_PER_INSTRUCTION_CAP`] if none (8 bytes).
    pub per_instruction_cap: u64,
    /// Window length in seconds, 0 if the asset has no window (4 bytes).
    pub window_secs: u32,
    /// Cap per window; unused when `window_secs == 0` (8 bytes).
    pub window_cap: u64,
    /// Start (unix seconds, aligned) of the window `window_spent` belongs to (8 bytes).
    pub window_start: i64,
    /// Moved within the window starting at `window_start` (8 bytes).
    pub window_spent: u64,
}

impl Allowance {
    /// Serialized size in bytes.
    pub const SIZE: usize = 8 + 8 + 8 + 4 + 8 + 8 + 8;

    /// Builds a fresh allowance from creation arguments, rejecting caps that grant nothing.
    pub fn from_args(args: &CapsArgs, now: i64) -> PolicyResult<Self> {
        if args.lifetime == 0 || args.per_instruction == Some(0) {
            return Err(SessionError::ZeroCap);
        }
        let (window_secs, window_cap) = match args.window {
            Some(w) if w.seconds == 0 || w.cap == 0 => return Err(SessionError::InvalidWindow),
            Some(w) => (w.seconds, w.cap),
            None => (0, 0),
        };
        Ok(Self {
            lifetime_cap: args.lifetime,
            spent: 0,
            per_instruction_cap: args.per_instruction.unwrap_or(NO_PER_INSTRUCTION_CAP),
            window_secs,
            window_cap,
            window_start: window_start(now, window_secs),
            window_spent: 0,
        })
    }

    /// Spent amount of the window in force at `now` (0 once a newer window has begun).
    pub fn window_spent_at(&self, now: i64) -> u64 {
        if self.window_secs == 0 || window_start(now, self.window_secs) > self.window_start {
            0
        } else {
            self.window_spent
        }
    }

    /// Largest amount one transfer may move at `now`, given every cap.
    pub fn available(&self, now: i64) -> u64 {
        let lifetime_left = self.lifetime_cap.saturating_sub(self.spent);
        let mut left = lifetime_left.min(self.per_instruction_cap);
        if self.window_secs != 0 {
            left = left.min(self.window_cap.saturating_sub(self.window_spent_at(now)));
        }
        left
    }

    /// When the window in force at `now` ends (`None` without a window): the end of the later
    /// of `now`'s window and the stored one, since a clock that went back never reopens it.
    pub fn window_reopens_at(&self, now: i64) -> Option<i64> {
        (self.window_secs != 0).then(|| {
            window_start(now, self.window_secs)
                .max(self.window_start)
                .saturating_add(i64::from(self.window_secs))
        })
    }

    /// Lifetime allowance not yet spent.
    pub fn lifetime_remaining(&self) -> u64 {
        self.lifetime_cap.saturating_sub(self.spent)
    }

    /// What is left in the window in force at `now`; `u64::MAX` if the asset has no window.
    pub fn window_remaining(&self, now: i64) -> u64 {
        if self.window_secs == 0 {
            u64::MAX
        } else {
            self.window_cap.saturating_sub(self.window_spent_at(now))
        }
    }

    /// Returns the allowance after moving `amount` at `now`, or the first cap it breaks, checked
    /// in this order: zero amount, per-instruction, window, lifetime. `self` is not changed, so
    /// a caller can check before a CPI and store after it.
    pub fn charged(&self, amount: u64, now: i64) -> PolicyResult<Self> {
        if amount == 0 {
            return Err(SessionError::ZeroAmount);
        }
        if amount > self.per_instruction_cap {
            return Err(SessionError::PerInstructionCapExceeded);
        }
        let mut next = *self;
        if self.window_secs != 0 {
            let start = window_start(now, self.window_secs);
            if start > self.window_start {
                next.window_start = start;
                next.window_spent = 0;
            }
            next.window_spent = next
                .window_spent
                .checked_add(amount)
                .filter(|spent| *spent <= self.window_cap)
                .ok_or(SessionError::WindowCapExceeded)?;
        }
        next.spent = next
            .spent
            .checked_add(amount)
            .filter(|spent| *spent <= self.lifetime_cap)
            .ok_or(SessionError::LifetimeCapExceeded)?;
        Ok(next)
    }

    /// Holds after every state change: nothing spent beyond a cap.
    pub fn invariant(&self) -> PolicyResult<()> {
        let window_ok = self.window_secs == 0
            || (self.window_spent <= self.window_cap && self.window_spent <= self.spent);
        if self.spent <= self.lifetime_cap && window_ok {
            Ok(())
        } else {
            Err(SessionError::InvariantViolated)
        }
    }
}

/// Start of the window of length `secs` that contains `now`; `now` itself when `secs == 0`.
pub fn window_start(now: i64, secs: u32) -> i64 {
    if secs == 0 {
        return now;
    }
    now.saturating_sub(now.rem_euclid(i64::from(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(lifetime: u64, per_instruction: Option<u64>, window: Option<(u32, u64)>) -> Allowance {
        let window = window.map(|(seconds, cap)| WindowArgs { seconds, cap });
        Allowance::from_args(
            &CapsArgs {
                lifetime,
                per_instruction,
                window,
            },
            0,
        )
        .unwrap()
    }

    #[test]
    fn zero_caps_are_rejected() {
        let bad = |lifetime, per_instruction, window| {
            Allowance::from_args(
                &CapsArgs {
                    lifetime,
                    per_instruction,
                    window,
                },
                0,
            )
        };
        assert_eq!(bad(0, None, None), Err(SessionError::ZeroCap));
        assert_eq!(bad(5, Some(0), None), Err(SessionError::ZeroCap));
        let w = |seconds, cap| Some(WindowArgs { seconds, cap });
        assert_eq!(bad(5, None, w(0, 1)), Err(SessionError::InvalidWindow));
        assert_eq!(bad(5, None, w(60, 0)), Err(SessionError::InvalidWindow));
    }

    #[test]
    fn caps_are_checked_in_order() {
        let a = caps(100, Some(10), Some((60, 15)));
        assert_eq!(a.charged(0, 0), Err(SessionError::ZeroAmount));
        assert_eq!(
            a.charged(11, 0),
            Err(SessionError::PerInstructionCapExceeded)
        );
        let a = a.charged(10, 0).unwrap();
        assert_eq!(a.charged(6, 59), Err(SessionError::WindowCapExceeded));
        let a = a.charged(5, 59).unwrap();
        assert_eq!((a.spent, a.window_spent), (15, 15));
        assert_eq!(a.available(59), 0);
        assert_eq!(a.available(60), 10);
    }

    #[test]
    fn window_resets_exactly_at_the_boundary() {
        let a = caps(100, None, Some((60, 10))).charged(10, 125).unwrap();
        assert_eq!(a.window_start, 120);
        assert_eq!(a.charged(1, 179), Err(SessionError::WindowCapExceeded));
        let b = a.charged(10, 180).unwrap();
        assert_eq!((b.window_start, b.window_spent, b.spent), (180, 10, 20));
    }

    #[test]
    fn clock_going_back_does_not_reopen_a_window() {
        let a = caps(100, None, Some((60, 10))).charged(10, 125).unwrap();
        assert_eq!(a.charged(1, 30), Err(SessionError::WindowCapExceeded));
        assert_eq!(a.window_remaining(30), 0);
    }

    #[test]
    fn lifetime_cap_binds_across_windows() {
        let mut a = caps(25, None, Some((60, 10)));
        a = a.charged(10, 0).unwrap();
        a = a.charged(10, 60).unwrap();
        assert_eq!(a.charged(10, 120), Err(SessionError::LifetimeCapExceeded));
        a = a.charged(5, 120).unwrap();
        assert_eq!(a.lifetime_remaining(), 0);
        assert_eq!(a.invariant(), Ok(()));
    }

    #[test]
    fn u64_limits_do_not_overflow() {
        let a = caps(u64::MAX, None, None);
        let a = a.charged(u64::MAX, 0).unwrap();
        assert_eq!(a.charged(1, 0), Err(SessionError::LifetimeCapExceeded));
        let w = caps(u64::MAX, None, Some((1, u64::MAX)))
            .charged(u64::MAX, 0)
            .unwrap();
        assert_eq!(w.charged(1, 0), Err(SessionError::WindowCapExceeded));
    }

    #[test]
    fn negative_time_aligns_down() {
        assert_eq!(window_start(-1, 60), -60);
        assert_eq!(window_start(-60, 60), -60);
        assert_eq!(window_start(59, 60), 0);
        assert_eq!(
            window_start(i64::MAX, u32::MAX),
            i64::MAX - i64::MAX % i64::from(u32::MAX)
        );
    }
}
