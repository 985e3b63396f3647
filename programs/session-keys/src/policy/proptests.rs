//! Property tests: any sequence of transfers and clock moves, checked against a reference model
//! written independently of `Allowance`.
use super::{Allowance, CapsArgs, WindowArgs};
use crate::errors::SessionError;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The reference model: every accepted charge is booked to a window index; the window in force
/// is the largest index seen so far (a clock moving back never reopens an older window).
struct Model {
    lifetime: u64,
    per_instruction: Option<u64>,
    window: Option<(i64, u64)>,
    booked: BTreeMap<i64, u128>,
    total: u128,
    latest_index: i64,
}

impl Model {
    fn index(&self, now: i64) -> i64 {
        self.window.map_or(0, |(len, _)| now.div_euclid(len))
    }

    fn charge(&mut self, amount: u64, now: i64) -> Result<(), SessionError> {
        let index = self.index(now).max(self.latest_index);
        if amount == 0 {
            return Err(SessionError::ZeroAmount);
        }
        if self.per_instruction.is_some_and(|max| amount > max) {
            return Err(SessionError::PerInstructionCapExceeded);
        }
        let in_window = self.booked.get(&index).copied().unwrap_or(0);
        if let Some((_, cap)) = self.window {
            if in_window + u128::from(amount) > u128::from(cap) {
                return Err(SessionError::WindowCapExceeded);
            }
        }
        if self.total + u128::from(amount) > u128::from(self.lifetime) {
            return Err(SessionError::LifetimeCapExceeded);
        }
        self.latest_index = index;
        *self.booked.entry(index).or_default() += u128::from(amount);
        self.total += u128::from(amount);
        Ok(())
    }
}

fn caps_strategy() -> impl Strategy<Value = CapsArgs> {
    (
        1u64..200,
        proptest::option::of(1u64..60),
        proptest::option::of((1u32..120, 1u64..80)),
    )
        .prop_map(|(lifetime, per_instruction, window)| CapsArgs {
            lifetime,
            per_instruction,
            window: window.map(|(seconds, cap)| WindowArgs { seconds, cap }),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn allowance_matches_the_reference_model(
        caps in caps_strategy(),
        start in 0i64..1_000_000,
        steps in proptest::collection::vec((-30i64..150, 0u64..70), 1..60),
    ) {
        let mut a = Allowance::from_args(&caps, start).unwrap();
        let mut model = Model {
            lifetime: caps.lifetime,
            per_instruction: caps.per_instruction,
            window: caps.window.map(|w| (i64::from(w.seconds), w.cap)),
            booked: BTreeMap::new(),
            total: 0,
            latest_index: 0,
        };
        model.latest_index = model.index(start);
        let mut now = start;
        for (dt, amount) in steps {
            now += dt;
            let expected = model.charge(amount, now);
            let got = a.charged(amount, now);
            prop_assert_eq!(got.map(|_| ()), expected);
            if let Ok(next) = got {
                // `available` is exact: the largest amount that would have been accepted.
                prop_assert!(amount <= a.available(now));
                a = next;
            }
            prop_assert!(a.invariant().is_ok());
            prop_assert_eq!(u128::from(a.spent), model.total);
            prop_assert!(a.spent <= caps.lifetime);
            if let Some(w) = caps.window {
                for spent in model.booked.values() {
                    prop_assert!(*spent <= u128::from(w.cap));
                }
                let index = model.latest_index;
                prop_assert_eq!(a.window_start, index * i64::from(w.seconds));
                prop_assert_eq!(u128::from(a.window_spent), model.booked.get(&index).copied().unwrap_or(0));
            }
            let avail = a.available(now);
            if avail > 0 {
                prop_assert!(a.charged(avail, now).is_ok());
            }
            prop_assert!(a.charged(avail.saturating_add(1), now).is_err() || avail == u64::MAX);
        }
    }

    #[test]
    fn window_resets_exactly_at_multiples_of_its_length(
        len in 1u32..10_000,
        k in 0i64..100_000,
        cap in 1u64..1_000,
    ) {
        let caps = CapsArgs { lifetime: u64::MAX, per_instruction: None, window: Some(WindowArgs { seconds: len, cap }) };
        let boundary = k * i64::from(len);
        let a = Allowance::from_args(&caps, boundary - 1).unwrap().charged(cap, boundary - 1).unwrap();
        prop_assert_eq!(a.charged(1, boundary - 1), Err(SessionError::WindowCapExceeded));
        let b = a.charged(cap, boundary).unwrap();
        prop_assert_eq!((b.window_start, b.window_spent), (boundary, cap));
    }
}
