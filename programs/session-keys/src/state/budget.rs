//! An owner's budget: caps that bind all of the owner's sessions together.
use crate::{
    constants::{ACCOUNT_VERSION, BUDGET_SEED},
    errors::SessionError,
    policy::{self, Allowance, Asset, BudgetEntry, PolicyResult},
};
use anchor_lang::prelude::*;

/// Per-owner account, PDA `["budget", owner]`, created by the owner's first `set_budget`,
/// sized to its entries (grown and shrunk by `set_budget` / `remove_budget`, the owner paying
/// and getting back the rent difference) and closed when its last entry is removed. Every
/// session-signed instruction passes it (its address checked with the bump the wallet
/// stores), whether or not it exists: a session key cannot leave it out or substitute
/// another. `revoke_all_sessions` does not touch it.
///
/// | bytes | field |
/// |---|---|
/// | 8 | Anchor discriminator |
/// | 1 | `version` |
/// | 1 | `bump` |
/// | 32 | `owner` |
/// | 4 + 84·n | `entries` (n ≤ `MAX_BUDGET_ASSETS`) |
///
/// One asset: 130 bytes; eight: 718 bytes.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Budget {
    /// Layout version, [`ACCOUNT_VERSION`].
    pub version: u8,
    /// Canonical bump of this PDA (the wallet stores it too, for the session gate).
    pub bump: u8,
    /// The owner.
    pub owner: Pubkey,
    /// One entry per asset with a budget.
    pub entries: Vec<BudgetEntry>,
}

impl Budget {
    /// Seed prefix.
    pub const SEED: &'static [u8] = BUDGET_SEED;

    /// Account size with `entries` assets (discriminator included).
    pub const fn space(entries: usize) -> usize {
        (8 + 1 + 1 + 32 + 4usize).saturating_add(BudgetEntry::SIZE.saturating_mul(entries))
    }

    /// Charges `amount` of `asset` at `now` ([`policy::charge_budget`]).
    pub fn charge(
        &mut self,
        asset: Asset,
        amount: u64,
        now: i64,
    ) -> PolicyResult<Option<Allowance>> {
        policy::charge_budget(&mut self.entries, asset, amount, now)
    }

    /// This asset's budget, if any.
    pub fn get(&self, asset: Asset) -> Option<&Allowance> {
        let address = policy::asset_address(asset);
        self.entries
            .iter()
            .find(|e| e.asset == address)
            .map(|e| &e.allowance)
    }

    /// Holds after every state change.
    pub fn invariant(&self) -> PolicyResult<()> {
        if self.version != ACCOUNT_VERSION
            || self.entries.len() > usize::from(crate::constants::MAX_BUDGET_ASSETS)
        {
            return Err(SessionError::InvariantViolated);
        }
        self.entries
            .iter()
            .try_for_each(|e| policy::budget_invariant(&e.allowance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_matches_serialized_size() {
        for n in [0usize, 1, 8] {
            let b = Budget {
                version: 1,
                bump: 1,
                owner: Pubkey::new_unique(),
                entries: vec![
                    BudgetEntry {
                        asset: Pubkey::new_unique(),
                        allowance: Allowance::default()
                    };
                    n
                ],
            };
            let mut buf = Vec::new();
            b.try_serialize(&mut buf).unwrap();
            assert_eq!(buf.len(), Budget::space(n));
        }
        assert_eq!(Budget::space(1), 130);
        assert_eq!(Budget::space(8), 718);
    }
}
