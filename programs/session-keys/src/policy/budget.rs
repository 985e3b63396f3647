//! Owner budgets: caps that bind every session of an owner together, per asset, with the same
//! lifetime and window semantics as a session's caps ([`Allowance`]). A spend is charged to
//! the session first and then to the owner's budget; the first cap broken names the error, and
//! the owner's caps have errors of their own ([`SessionError::OwnerBudgetWindowExceeded`],
//! [`SessionError::OwnerBudgetLifetimeExceeded`]).
use super::{window_start, Allowance, Asset, PolicyResult, WindowArgs, NO_PER_INSTRUCTION_CAP};
use crate::{constants::MAX_BUDGET_ASSETS, errors::SessionError};
use anchor_lang::prelude::*;

/// The budget address that stands for native SOL: all zeros (the System Program's address;
/// no mint has it).
pub const SOL_ASSET: Pubkey = Pubkey::new_from_array([0; 32]);

/// A budget requested by the owner for one asset.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetCapsArgs {
    /// Most all sessions together may ever move (base units), if limited.
    pub lifetime: Option<u64>,
    /// Most all sessions together may move per recurring window, if limited.
    pub window: Option<WindowArgs>,
}

/// One asset's budget. 84 bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetEntry {
    /// The mint, or [`SOL_ASSET`] for lamports (32 bytes).
    pub asset: Pubkey,
    /// Caps and counters; no per-instruction cap; a lifetime cap of the largest `u64` when
    /// only a window was asked (52 bytes).
    pub allowance: Allowance,
}

impl BudgetEntry {
    /// Serialized size in bytes.
    pub const SIZE: usize = 32 + Allowance::SIZE;
}

/// The [`Asset`] a budget entry's address stands for.
pub fn budget_asset(address: &Pubkey) -> Asset {
    if *address == SOL_ASSET {
        Asset::Sol
    } else {
        Asset::Mint(*address)
    }
}

/// The budget address of an [`Asset`].
pub fn asset_address(asset: Asset) -> Pubkey {
    match asset {
        Asset::Sol => SOL_ASSET,
        Asset::Mint(mint) => mint,
    }
}

impl BudgetCapsArgs {
    /// The allowance these caps set at `now`, keeping what `previous` (the asset's budget
    /// before, if any) already counted: everything spent, and what was spent in the window in
    /// force. Counts are never clamped: a cap lowered below its count leaves nothing to spend
    /// until it is raised above the count again ([`budget_invariant`] allows counts above
    /// caps). With the same window length the window in force is kept, so a clock that moved
    /// back never reopens it; a new window length starts a window of its own that carries
    /// the count of the window in force. Refused: no cap at all or a window cap above the lifetime cap
    /// ([`SessionError::InvalidBudget`]), a zero lifetime ([`SessionError::ZeroCap`]), a zero
    /// window ([`SessionError::InvalidWindow`]).
    pub fn allowance(&self, previous: Option<&Allowance>, now: i64) -> PolicyResult<Allowance> {
        if self.lifetime.is_none() && self.window.is_none() {
            return Err(SessionError::InvalidBudget);
        }
        if self.lifetime == Some(0) {
            return Err(SessionError::ZeroCap);
        }
        let lifetime_cap = self.lifetime.unwrap_or(u64::MAX);
        let (window_secs, window_cap) = match self.window {
            Some(w) if w.seconds == 0 || w.cap == 0 => return Err(SessionError::InvalidWindow),
            Some(w) if w.cap > lifetime_cap => return Err(SessionError::InvalidBudget),
            Some(w) => (w.seconds, w.cap),
            None => (0, 0),
        };
        let spent = previous.map_or(0, |p| p.spent);
        let (start, window_spent) = match previous {
            _ if window_secs == 0 => (window_start(now, 0), 0),
            Some(p) if p.window_secs == window_secs => (
                window_start(now, window_secs).max(p.window_start),
                p.window_spent_at(now),
            ),
            Some(p) if p.window_secs != 0 => {
                (window_start(now, window_secs), p.window_spent_at(now))
            }
            _ => (window_start(now, window_secs), 0),
        };
        Ok(Allowance {
            lifetime_cap,
            spent,
            per_instruction_cap: NO_PER_INSTRUCTION_CAP,
            window_secs,
            window_cap,
            window_start: start,
            window_spent,
        })
    }
}

/// Sets (adds or replaces) the budget of `asset` in `entries`; [`SessionError::TooManyBudgetAssets`]
/// past [`MAX_BUDGET_ASSETS`].
pub fn set_budget(
    entries: &mut Vec<BudgetEntry>,
    asset: Pubkey,
    caps: &BudgetCapsArgs,
    now: i64,
) -> PolicyResult<Allowance> {
    if let Some(entry) = entries.iter_mut().find(|e| e.asset == asset) {
        entry.allowance = caps.allowance(Some(&entry.allowance), now)?;
        return Ok(entry.allowance);
    }
    if entries.len() >= usize::from(MAX_BUDGET_ASSETS) {
        return Err(SessionError::TooManyBudgetAssets);
    }
    let allowance = caps.allowance(None, now)?;
    entries.push(BudgetEntry { asset, allowance });
    Ok(allowance)
}

/// Removes the budget of `asset`, or [`SessionError::BudgetNotSet`].
pub fn remove_budget(entries: &mut Vec<BudgetEntry>, asset: &Pubkey) -> PolicyResult<()> {
    let i = entries
        .iter()
        .position(|e| e.asset == *asset)
        .ok_or(SessionError::BudgetNotSet)?;
    entries.remove(i);
    Ok(())
}

/// Holds for every budget entry after every change: what the window counted is part of what
/// was spent. Counts may exceed caps (a cap the owner lowered below its count); a charge is
/// then refused, so no spend ever passes a cap.
pub fn budget_invariant(a: &Allowance) -> PolicyResult<()> {
    if a.window_secs == 0 || a.window_spent <= a.spent {
        Ok(())
    } else {
        Err(SessionError::InvariantViolated)
    }
}

/// Charges `amount` of `asset` at `now` to its budget, if the owner set one; returns the
/// allowance after the charge (`None`: the asset has no budget, nothing to charge). The
/// session's errors become the owner's: window → [`SessionError::OwnerBudgetWindowExceeded`],
/// lifetime → [`SessionError::OwnerBudgetLifetimeExceeded`].
pub fn charge_budget(
    entries: &mut [BudgetEntry],
    asset: Asset,
    amount: u64,
    now: i64,
) -> PolicyResult<Option<Allowance>> {
    let address = asset_address(asset);
    let Some(entry) = entries.iter_mut().find(|e| e.asset == address) else {
        return Ok(None);
    };
    let next = entry.allowance.charged(amount, now).map_err(|e| match e {
        SessionError::WindowCapExceeded => SessionError::OwnerBudgetWindowExceeded,
        SessionError::LifetimeCapExceeded => SessionError::OwnerBudgetLifetimeExceeded,
        e => e,
    })?;
    next.invariant()?;
    entry.allowance = next;
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn caps(lifetime: Option<u64>, window: Option<(u32, u64)>) -> BudgetCapsArgs {
        BudgetCapsArgs {
            lifetime,
            window: window.map(|(seconds, cap)| WindowArgs { seconds, cap }),
        }
    }

    #[test]
    fn bad_budgets_are_refused_by_name() {
        let cases = [
            (caps(None, None), SessionError::InvalidBudget),
            (caps(Some(0), None), SessionError::ZeroCap),
            (caps(None, Some((0, 5))), SessionError::InvalidWindow),
            (caps(None, Some((60, 0))), SessionError::InvalidWindow),
            (caps(Some(10), Some((60, 11))), SessionError::InvalidBudget),
        ];
        for (c, e) in cases {
            assert_eq!(c.allowance(None, 0), Err(e), "{c:?}");
        }
    }

    #[test]
    fn a_changed_budget_keeps_what_was_spent() {
        let mut entries = vec![];
        set_budget(&mut entries, SOL_ASSET, &caps(Some(100), Some((60, 50))), 0).unwrap();
        charge_budget(&mut entries, Asset::Sol, 30, 10).unwrap();
        let a = set_budget(&mut entries, SOL_ASSET, &caps(Some(40), Some((60, 35))), 20).unwrap();
        assert_eq!((a.spent, a.window_spent), (30, 30));
        assert_eq!(
            charge_budget(&mut entries, Asset::Sol, 6, 30),
            Err(SessionError::OwnerBudgetWindowExceeded)
        );
        assert_eq!(
            charge_budget(&mut entries, Asset::Sol, 11, 61),
            Err(SessionError::OwnerBudgetLifetimeExceeded)
        );
        assert!(charge_budget(&mut entries, Asset::Sol, 10, 61)
            .unwrap()
            .is_some());
    }

    #[test]
    fn a_cap_lowered_below_the_count_leaves_nothing_and_the_count_is_never_forgotten() {
        let mut entries = vec![];
        set_budget(&mut entries, SOL_ASSET, &caps(Some(100), Some((60, 80))), 0).unwrap();
        charge_budget(&mut entries, Asset::Sol, 70, 10).unwrap();
        let a = set_budget(&mut entries, SOL_ASSET, &caps(Some(50), Some((60, 40))), 20).unwrap();
        assert_eq!((a.spent, a.window_spent), (70, 70));
        budget_invariant(&a).unwrap();
        assert_eq!(a.available(20), 0);
        assert_eq!(
            charge_budget(&mut entries, Asset::Sol, 1, 20),
            Err(SessionError::OwnerBudgetWindowExceeded)
        );
        // Raised again above the lifetime count: only what is really left.
        let a = set_budget(
            &mut entries,
            SOL_ASSET,
            &caps(Some(100), Some((60, 80))),
            30,
        )
        .unwrap();
        assert_eq!((a.spent, a.window_spent, a.available(30)), (70, 70, 10));
        assert_eq!(
            charge_budget(&mut entries, Asset::Sol, 11, 30),
            Err(SessionError::OwnerBudgetWindowExceeded)
        );
    }

    #[test]
    fn setting_a_budget_with_the_clock_behind_never_reopens_its_window() {
        let mut entries = vec![];
        set_budget(&mut entries, SOL_ASSET, &caps(None, Some((60, 10))), 0).unwrap();
        charge_budget(&mut entries, Asset::Sol, 10, 65).unwrap();
        // The clock goes back into the previous window; the owner sends the same budget.
        let a = set_budget(&mut entries, SOL_ASSET, &caps(None, Some((60, 10))), 50).unwrap();
        assert_eq!((a.window_start, a.window_spent), (60, 10));
        assert_eq!(
            charge_budget(&mut entries, Asset::Sol, 1, 70),
            Err(SessionError::OwnerBudgetWindowExceeded)
        );
        assert!(charge_budget(&mut entries, Asset::Sol, 10, 120)
            .unwrap()
            .is_some());
    }

    #[test]
    fn an_asset_without_budget_is_not_charged() {
        let mut entries = vec![];
        set_budget(&mut entries, SOL_ASSET, &caps(Some(1), None), 0).unwrap();
        let mint = Pubkey::new_from_array([9; 32]);
        assert_eq!(
            charge_budget(&mut entries, Asset::Mint(mint), 5, 0),
            Ok(None)
        );
        assert_eq!(
            remove_budget(&mut entries, &mint),
            Err(SessionError::BudgetNotSet)
        );
        remove_budget(&mut entries, &SOL_ASSET).unwrap();
        assert!(entries.is_empty());
    }

    #[test]
    fn at_most_max_budget_assets() {
        let mut entries = vec![];
        for i in 0..MAX_BUDGET_ASSETS {
            let mint = Pubkey::new_from_array([i + 1; 32]);
            set_budget(&mut entries, mint, &caps(Some(1), None), 0).unwrap();
        }
        assert_eq!(
            set_budget(&mut entries, SOL_ASSET, &caps(Some(1), None), 0),
            Err(SessionError::TooManyBudgetAssets)
        );
    }

    proptest! {
        /// Whatever the spends and times, the sum charged to a budget never passes its caps,
        /// and every refusal leaves the budget as it was.
        #[test]
        fn a_budget_never_lets_more_through_than_its_caps(
            lifetime in 1u64..1_000, window in proptest::option::of((1u32..100, 1u64..1_000)),
            spends in proptest::collection::vec((1u64..300, 0i64..50), 0..40)
        ) {
            let window = window.map(|(s, c)| (s, c.min(lifetime)));
            let mut entries = vec![];
            set_budget(&mut entries, SOL_ASSET, &caps(Some(lifetime), window), 0).unwrap();
            let mut now = 0i64;
            let mut total = 0u64;
            for (amount, step) in spends {
                now += step;
                let before = entries.clone();
                match charge_budget(&mut entries, Asset::Sol, amount, now) {
                    Ok(_) => total += amount,
                    Err(_) => prop_assert_eq!(&entries, &before),
                }
                prop_assert!(total <= lifetime);
                let a = entries[0].allowance;
                if let Some((_, cap)) = window { prop_assert!(a.window_spent_at(now) <= cap); }
            }
        }
    }
}
