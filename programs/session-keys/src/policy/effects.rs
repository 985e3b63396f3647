//! What an arbitrary call did to the accounts the vault controls, and what to charge for it.
//!
//! `execute` snapshots the vault's lamports and every token account among the calls' accounts
//! that the vault owns, is delegate of, or is close authority of (the *watched* accounts), and
//! compares after each call ([`CallEffects`]):
//! - any change of mint, owner, delegate, close authority, freeze state or data length, or a
//!   closed account, is refused ([`SessionError::TokenAccountTampered`]);
//! - per mint, a call's outflow is every decrease of a watched account minus the increases of
//!   watched accounts that hold tokens for the owner ([`TokenState::holds_for`]: owned by the
//!   owner or the vault, no delegate but the vault, no close authority but the owner or the
//!   vault, not frozen). Tokens pushed into a third party's account, or into one a third party
//!   can empty or the mint has frozen, are not the owner's and offset nothing;
//! - lamports: a call's outflow is the vault's net decrease plus every decrease of the watched
//!   token accounts owned by the owner or the vault (rent and excess lamports of the vault's
//!   token accounts are the owner's SOL too). Lamports credited to a token account never offset
//!   anything: they are recoverable only by closing it, which a frozen balance, an unmovable
//!   mint or a third party's close authority can prevent or steal;
//! - the vault's delegation on an owner token account may only shrink by what the call moved
//!   out and is charged ([`SessionError::DelegationReduced`] otherwise): a revoke, or a move
//!   into the vault's own account, is refused.
//!
//! A batch is charged the sum of its calls' positive outflows: a later call that brings funds
//! back does not refund an earlier one, so funds lent out inside a batch cost allowance.
use super::{Asset, PolicyResult, TokenState};
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

/// Net outflow of one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintOutflow {
    /// Mint.
    pub mint: Pubkey,
    /// Base units that left the owner's and vault's accounts, net.
    pub amount: u64,
}

/// One mint's flows during one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MintFlow {
    mint: Pubkey,
    /// Decreases minus increases of our accounts (may be negative).
    net: i128,
    /// How much of the vault's delegation on owner accounts went.
    delegation_used: u128,
}

/// What one call did to the watched accounts: fed one account at a time by
/// [`CallEffects::token`] / [`CallEffects::lamports`], then read with [`CallEffects::outflows`].
/// Reserve capacity once and [`CallEffects::clear`] between calls: a bump heap never gets a
/// freed buffer back.
#[derive(Clone, Debug, Default)]
pub struct CallEffects {
    lamports_net: i128,
    mints: Vec<MintFlow>,
}

impl CallEffects {
    /// Room for `watched` token accounts (at most one mint each).
    pub fn with_capacity(watched: usize) -> Self {
        Self {
            lamports_net: 0,
            mints: Vec::with_capacity(watched),
        }
    }

    /// Forgets the previous call, keeping the buffer.
    pub fn clear(&mut self) {
        self.lamports_net = 0;
        self.mints.clear();
    }

    /// Lamports that left one of our watched token accounts (an increase counts as nothing).
    pub fn token_lamports(&mut self, before: u64, after: u64) {
        self.lamports(before, after.min(before));
    }

    /// Lamports of the vault, before and after (net: the vault is the owner's alone).
    pub fn lamports(&mut self, before: u64, after: u64) {
        // Two u64 values always fit their difference in an i128, and at most a few hundred
        // of them are summed.
        self.lamports_net = self
            .lamports_net
            .saturating_add(i128::from(before))
            .saturating_sub(i128::from(after));
    }

    /// One watched token account, before and after the call (`None`: no longer a token
    /// account). Refuses tampering; records the balance change and the vault's delegation
    /// used.
    pub fn token(
        &mut self,
        before: &TokenState,
        after: Option<&TokenState>,
        owner: &Pubkey,
        vault: &Pubkey,
    ) -> PolicyResult<()> {
        let after = after.ok_or(SessionError::TokenAccountTampered)?;
        if !before.authorities_kept(after) {
            return Err(SessionError::TokenAccountTampered);
        }
        let delta = i128::from(before.amount).saturating_sub(i128::from(after.amount));
        let counted = if delta > 0 || before.holds_for(owner, vault) {
            delta
        } else {
            0
        };
        let used = if before.delegate.as_ref() == Some(vault) {
            before
                .delegated_amount
                .saturating_sub(after.delegated_amount)
        } else {
            0
        };
        let index = match self.mints.iter().position(|m| m.mint == before.mint) {
            Some(i) => i,
            None => {
                self.mints.push(MintFlow {
                    mint: before.mint,
                    net: 0,
                    delegation_used: 0,
                });
                self.mints.len().saturating_sub(1)
            }
        };
        let flow = self
            .mints
            .get_mut(index)
            .ok_or(SessionError::MathOverflow)?;
        flow.net = flow
            .net
            .checked_add(counted)
            .ok_or(SessionError::MathOverflow)?;
        flow.delegation_used = flow
            .delegation_used
            .checked_add(u128::from(used))
            .ok_or(SessionError::MathOverflow)?;
        Ok(())
    }

    /// Lamports that left, net (0 if more came in).
    pub fn lamports_out(&self) -> PolicyResult<u64> {
        positive(self.lamports_net)
    }

    /// Net outflow per mint of this call (positive ones only), after checking that the vault's
    /// delegation shrank by no more than what left.
    pub fn outflows(&self) -> impl Iterator<Item = PolicyResult<MintOutflow>> + '_ {
        self.mints.iter().filter_map(|m| {
            let out = match positive(m.net) {
                Ok(out) => out,
                Err(e) => return Some(Err(e)),
            };
            if m.delegation_used > u128::from(out) {
                return Some(Err(SessionError::DelegationReduced));
            }
            (out > 0).then_some(Ok(MintOutflow {
                mint: m.mint,
                amount: out,
            }))
        })
    }
}

/// The positive part of `net` as a `u64`.
fn positive(net: i128) -> PolicyResult<u64> {
    if net <= 0 {
        return Ok(0);
    }
    u64::try_from(net).map_err(|_| SessionError::MathOverflow)
}

/// What a whole batch is charged: the sum of every call's positive outflows, per asset.
#[derive(Clone, Debug, Default)]
pub struct BatchTotals {
    /// Per asset, in first-seen order.
    pub totals: Vec<(Asset, u64)>,
}

impl BatchTotals {
    /// Room for `assets` distinct assets.
    pub fn with_capacity(assets: usize) -> Self {
        Self {
            totals: Vec::with_capacity(assets),
        }
    }

    /// Adds `amount` of `asset` (nothing if zero).
    pub fn add(&mut self, asset: Asset, amount: u64) -> PolicyResult<()> {
        if amount == 0 {
            return Ok(());
        }
        match self.totals.iter_mut().find(|(a, _)| *a == asset) {
            Some((_, sum)) => {
                *sum = sum.checked_add(amount).ok_or(SessionError::MathOverflow)?;
            }
            None => self.totals.push((asset, amount)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::token_account::fixtures::account;
    use super::*;

    /// Runs one call's effects over pairs of (before, after).
    fn effects(
        pairs: &[(TokenState, Option<TokenState>)],
        owner: &Pubkey,
        vault: &Pubkey,
    ) -> PolicyResult<Vec<MintOutflow>> {
        let mut e = CallEffects::with_capacity(pairs.len());
        for (b, a) in pairs {
            e.token(b, a.as_ref(), owner, vault)?;
        }
        e.outflows().collect()
    }

    #[test]
    fn outflows_are_net_for_ours_and_gross_for_others() {
        let (owner, vault, thief) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        // 30 leave the vault, 10 come back into the owner's account: net 20.
        let out = effects(
            &[
                (account(vault, 100), Some(account(vault, 70))),
                (account(owner, 50), Some(account(owner, 60))),
            ],
            &owner,
            &vault,
        )
        .unwrap();
        assert_eq!(
            out,
            vec![MintOutflow {
                mint: account(vault, 0).mint,
                amount: 20
            }]
        );

        // Pushing tokens into a thief-owned watched account does not offset the loss.
        let mut thiefs = account(thief, 0);
        thiefs.close_authority = Some(vault);
        let mut thiefs_after = thiefs;
        thiefs_after.amount = 100;
        let out = effects(
            &[
                (account(vault, 100), Some(account(vault, 0))),
                (thiefs, Some(thiefs_after)),
            ],
            &owner,
            &vault,
        )
        .unwrap();
        assert_eq!(out[0].amount, 100);

        // Inflows only: nothing to charge.
        let out = effects(
            &[(account(vault, 1), Some(account(vault, 9)))],
            &owner,
            &vault,
        );
        assert!(out.unwrap().is_empty());
    }

    #[test]
    fn lamports_are_net_over_the_vault_and_count_only_decreases_of_token_accounts() {
        let mut e = CallEffects::with_capacity(0);
        e.lamports(100, 40); // vault lost 60
        e.token_lamports(10, 30); // a token account gained 20: offsets nothing
        assert_eq!(e.lamports_out(), Ok(60));
        e.token_lamports(30, 25); // another lost 5
        assert_eq!(e.lamports_out(), Ok(65));
        e.clear();
        e.lamports(5, 9); // the vault gained
        assert_eq!(e.lamports_out(), Ok(0));
        e.lamports(9, 5); // and gave it back within the call
        assert_eq!(e.lamports_out(), Ok(0));
    }

    /// Security round 3, found by a hostile review: tokens credited to an account the vault
    /// owns but a thief can empty (delegate, close authority) or the mint has frozen were
    /// netted against the vault's loss.
    #[test]
    fn increases_offset_only_accounts_that_hold_tokens_for_the_owner() {
        let (owner, vault, thief) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let mut delegated_to_thief = account(vault, 0);
        delegated_to_thief.delegate = Some(thief);
        delegated_to_thief.delegated_amount = u64::MAX;
        let mut closable_by_thief = account(vault, 0);
        closable_by_thief.close_authority = Some(thief);
        let mut frozen = account(vault, 0);
        frozen.state = 2;
        // 50 leave the vault's account and land in `into`: what is charged.
        let moved_into = |into: TokenState| {
            let mut filled = into;
            filled.amount = 50;
            effects(
                &[
                    (account(vault, 50), Some(account(vault, 0))),
                    (into, Some(filled)),
                ],
                &owner,
                &vault,
            )
            .unwrap()
        };
        for trap in [delegated_to_thief, closable_by_thief, frozen] {
            assert!(!trap.holds_for(&owner, &vault));
            assert_eq!(moved_into(trap)[0].amount, 50, "{trap:?}");
        }
        let mut safe = account(owner, 0);
        safe.delegate = Some(vault);
        safe.close_authority = Some(owner);
        assert!(safe.holds_for(&owner, &vault));
        assert!(account(vault, 0).holds_for(&owner, &vault));
        let out = moved_into(safe);
        assert!(out.is_empty(), "moved within the owner's accounts");
    }

    #[test]
    fn authority_changes_are_tampering() {
        let (owner, vault, thief) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let base = account(vault, 10);
        let changes: [fn(&mut TokenState, Pubkey); 6] = [
            |t, _| t.data_len += 2,
            |t, k| t.owner = k,
            |t, k| t.delegate = Some(k),
            |t, k| t.close_authority = Some(k),
            |t, _| t.state = 2,
            |t, _| t.delegated_amount = 1,
        ];
        for change in changes {
            let mut after = base;
            change(&mut after, thief);
            assert_eq!(
                effects(&[(base, Some(after))], &owner, &vault),
                Err(SessionError::TokenAccountTampered)
            );
        }
        assert_eq!(
            effects(&[(base, None)], &owner, &vault),
            Err(SessionError::TokenAccountTampered)
        );
    }

    #[test]
    fn the_vaults_delegation_shrinks_only_by_what_was_charged() {
        let (owner, vault, dex) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let mut delegated = account(owner, 10);
        delegated.delegate = Some(vault);
        delegated.delegated_amount = 4;
        // A delegated spend of the last 4, cleared by the token program: charged 4.
        let mut used = account(owner, 6);
        used.delegated_amount = 0;
        let out = effects(&[(delegated, Some(used))], &owner, &vault).unwrap();
        assert_eq!(out[0].amount, 4);
        // A revoke: nothing moved, the delegation is gone.
        let revoked = account(owner, 10);
        assert_eq!(
            effects(&[(delegated, Some(revoked))], &owner, &vault),
            Err(SessionError::DelegationReduced)
        );
        // A move into the vault's own account: nets to zero, eats the delegation.
        let vaults = account(vault, 0);
        assert_eq!(
            effects(
                &[(delegated, Some(used)), (vaults, Some(account(vault, 4)))],
                &owner,
                &vault
            ),
            Err(SessionError::DelegationReduced)
        );
        // Someone else's delegation on a vault account may be used (and is charged).
        let mut foreign = account(vault, 10);
        foreign.delegate = Some(dex);
        foreign.delegated_amount = 5;
        let mut foreign_after = account(vault, 7);
        foreign_after.delegate = Some(dex);
        foreign_after.delegated_amount = 2;
        let out = effects(&[(foreign, Some(foreign_after))], &owner, &vault).unwrap();
        assert_eq!(out[0].amount, 3);
    }

    #[test]
    fn batch_totals_add_per_asset() {
        let mint = Asset::Mint(Pubkey::new_unique());
        let mut t = BatchTotals::with_capacity(2);
        t.add(Asset::Sol, 0).unwrap();
        t.add(mint, 3).unwrap();
        t.add(mint, 4).unwrap();
        t.add(Asset::Sol, 1).unwrap();
        assert_eq!(t.totals, vec![(mint, 7), (Asset::Sol, 1)]);
        assert_eq!(t.add(mint, u64::MAX), Err(SessionError::MathOverflow));
    }
}
