//! Guardrails for automated callers: a rate limit on uses (at most N actions per recurring
//! window) and a bounded history of payment references (a reference already in it is refused,
//! so a retried payment cannot pay twice).
//!
//! Windows are the caps' windows ([`super::window_start`]): aligned to multiples of their
//! length from the unix epoch, forgotten once a later window starts, never reopened by a clock
//! that moves backwards.
use super::{window_start, PolicyResult};
use crate::{constants::MAX_REFERENCE_HISTORY, errors::SessionError};
use anchor_lang::prelude::*;

/// A rate limit requested at grant: at most `uses` actions per `seconds`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsesWindowArgs {
    /// Most actions (transfers and `execute` batches) per window (positive).
    pub uses: u32,
    /// Window length in seconds (positive).
    pub seconds: u32,
}

/// A rate limit as stored in a session. 20 bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UsesWindow {
    /// Most actions per window (4 bytes).
    pub max: u32,
    /// Window length in seconds (4 bytes).
    pub seconds: u32,
    /// Start (unix seconds, aligned) of the window `used` belongs to (8 bytes).
    pub start: i64,
    /// Actions within the window starting at `start` (4 bytes).
    pub used: u32,
}

impl UsesWindow {
    /// Serialized size in bytes.
    pub const SIZE: usize = 4 + 4 + 8 + 4;

    /// A fresh rate limit, or [`SessionError::InvalidRateLimit`] if either number is zero.
    pub fn from_args(args: &UsesWindowArgs, now: i64) -> PolicyResult<Self> {
        if args.uses == 0 || args.seconds == 0 {
            return Err(SessionError::InvalidRateLimit);
        }
        Ok(Self {
            max: args.uses,
            seconds: args.seconds,
            start: window_start(now, args.seconds),
            used: 0,
        })
    }

    /// Actions counted in the window in force at `now` (0 once a newer window has begun).
    pub fn used_at(&self, now: i64) -> u32 {
        if window_start(now, self.seconds) > self.start {
            0
        } else {
            self.used
        }
    }

    /// Actions left in the window in force at `now`.
    pub fn remaining(&self, now: i64) -> u32 {
        self.max.saturating_sub(self.used_at(now))
    }

    /// When the window in force at `now` ends: the first second a new action is counted in a
    /// fresh window.
    pub fn reopens_at(&self, now: i64) -> i64 {
        let start = window_start(now, self.seconds).max(self.start);
        start.saturating_add(i64::from(self.seconds))
    }

    /// [`SessionError::RateLimited`] if no action is left in the window in force at `now`.
    pub fn check(&self, now: i64) -> PolicyResult<()> {
        if self.remaining(now) == 0 {
            return Err(SessionError::RateLimited);
        }
        Ok(())
    }

    /// The limit after one more action at `now`, or [`SessionError::RateLimited`].
    pub fn used_once(&self, now: i64) -> PolicyResult<Self> {
        self.check(now)?;
        let mut next = *self;
        let start = window_start(now, self.seconds);
        if start > self.start {
            next.start = start;
            next.used = 0;
        }
        next.used = next.used.checked_add(1).ok_or(SessionError::RateLimited)?;
        Ok(next)
    }
}

/// One payment reference: 16 or 32 bytes, stored in 33 (length, then the bytes zero-padded),
/// so a 16-byte reference never equals a 32-byte one.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Reference {
    /// 16 or 32.
    pub len: u8,
    /// The reference, zero-padded to 32 bytes.
    pub bytes: [u8; 32],
}

impl Reference {
    /// Serialized size in bytes.
    pub const SIZE: usize = 1 + 32;

    /// Reads a client reference, or [`SessionError::InvalidReferenceLength`].
    pub fn parse(reference: &[u8]) -> PolicyResult<Self> {
        let len = reference.len();
        if len != 16 && len != 32 {
            return Err(SessionError::InvalidReferenceLength);
        }
        let mut bytes = [0u8; 32];
        bytes
            .get_mut(..len)
            .ok_or(SessionError::InvalidReferenceLength)?
            .copy_from_slice(reference);
        Ok(Self {
            len: len as u8, // 16 or 32
            bytes,
        })
    }
}

/// The last `capacity` references a session used, oldest overwritten first.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ReferenceLog {
    /// Most references kept (0 = the session takes no references), fixed at grant.
    pub capacity: u8,
    /// Index in `entries` the next reference overwrites once the log is full.
    pub next: u8,
    /// The references, at most `capacity`.
    pub entries: Vec<Reference>,
}

impl ReferenceLog {
    /// An empty log keeping `capacity` references, or
    /// [`SessionError::ReferenceHistoryTooLong`].
    pub fn with_capacity(capacity: u8) -> PolicyResult<Self> {
        if capacity > MAX_REFERENCE_HISTORY {
            return Err(SessionError::ReferenceHistoryTooLong);
        }
        Ok(Self {
            capacity,
            next: 0,
            entries: Vec::new(),
        })
    }

    /// Bytes a log of `capacity` takes in the session once full (it is allocated full at
    /// grant, so the account never grows).
    pub fn space(capacity: u8) -> usize {
        (1 + 1 + 4usize).saturating_add(Reference::SIZE.saturating_mul(usize::from(capacity)))
    }

    /// The reference parsed and checked against the log: [`SessionError::ReferencesNotEnabled`]
    /// if the log keeps none, [`SessionError::InvalidReferenceLength`],
    /// [`SessionError::ReferenceAlreadyUsed`] if it is among the last `capacity`.
    pub fn check(&self, reference: &[u8]) -> PolicyResult<Reference> {
        if self.capacity == 0 {
            return Err(SessionError::ReferencesNotEnabled);
        }
        let r = Reference::parse(reference)?;
        if self.entries.contains(&r) {
            return Err(SessionError::ReferenceAlreadyUsed);
        }
        Ok(r)
    }

    /// Records a checked reference, overwriting the oldest once full.
    pub fn record(&mut self, r: Reference) {
        if self.entries.len() < usize::from(self.capacity) {
            self.entries.push(r);
            return;
        }
        if let Some(slot) = self.entries.get_mut(usize::from(self.next)) {
            *slot = r;
        }
        let next = self.next.saturating_add(1);
        self.next = if next >= self.capacity { 0 } else { next };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rate_limit_counts_per_aligned_window() {
        let w = UsesWindow::from_args(
            &UsesWindowArgs {
                uses: 2,
                seconds: 60,
            },
            100,
        )
        .unwrap();
        assert_eq!(w.start, 60);
        let w = w.used_once(100).unwrap().used_once(119).unwrap();
        assert_eq!(w.used_once(119), Err(SessionError::RateLimited));
        assert_eq!(w.reopens_at(119), 120);
        assert_eq!(w.remaining(119), 0);
        let w = w.used_once(120).unwrap();
        assert_eq!((w.start, w.used), (120, 1));
        // a clock that goes back does not reopen the older window
        assert_eq!(w.remaining(100), 1);
        assert_eq!(w.reopens_at(100), 180);
    }

    #[test]
    fn zero_rate_limits_are_refused() {
        for (uses, seconds) in [(0, 60), (1, 0), (0, 0)] {
            assert_eq!(
                UsesWindow::from_args(&UsesWindowArgs { uses, seconds }, 0),
                Err(SessionError::InvalidRateLimit)
            );
        }
    }

    #[test]
    fn references_are_16_or_32_bytes_and_never_confused() {
        for len in [0, 1, 15, 17, 31, 33, 64] {
            assert_eq!(
                Reference::parse(&vec![1; len]),
                Err(SessionError::InvalidReferenceLength)
            );
        }
        let short = Reference::parse(&[7; 16]).unwrap();
        let mut long = [0u8; 32];
        long[..16].copy_from_slice(&[7; 16]);
        assert_ne!(short, Reference::parse(&long).unwrap());
    }

    #[test]
    fn a_log_without_capacity_takes_no_reference() {
        let log = ReferenceLog::with_capacity(0).unwrap();
        assert_eq!(log.check(&[1; 16]), Err(SessionError::ReferencesNotEnabled));
        assert_eq!(
            ReferenceLog::with_capacity(MAX_REFERENCE_HISTORY + 1),
            Err(SessionError::ReferenceHistoryTooLong)
        );
    }

    proptest! {
        /// Exactly the last `capacity` references are refused; older ones are accepted again;
        /// the log never holds more than `capacity` and never grows its allocation.
        #[test]
        fn the_log_refuses_exactly_the_last_capacity(capacity in 1u8..=MAX_REFERENCE_HISTORY, n in 0usize..60) {
            let mut log = ReferenceLog::with_capacity(capacity).unwrap();
            let id = |i: usize| { let mut b = [0u8; 16]; b[..8].copy_from_slice(&(i as u64).to_le_bytes()); b };
            for i in 0..n {
                let r = log.check(&id(i)).unwrap();
                log.record(r);
                prop_assert!(log.entries.len() <= usize::from(capacity));
            }
            for i in 0..n {
                let recent = i + usize::from(capacity) >= n;
                let got = log.check(&id(i));
                if recent {
                    prop_assert_eq!(got, Err(SessionError::ReferenceAlreadyUsed));
                } else {
                    prop_assert!(got.is_ok());
                }
            }
            let mut buf = Vec::new();
            log.serialize(&mut buf).unwrap();
            prop_assert!(buf.len() <= ReferenceLog::space(capacity));
        }
    }
}
