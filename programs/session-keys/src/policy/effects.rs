//! What an arbitrary call did to the accounts the vault controls, and what to charge for it.
//!
//! `execute` snapshots the vault's lamports and every token account among the calls' accounts
//! that the vault owns, is delegate of, or is close authority of (the *watched* accounts), and
//! compares after each call ([`CallEffects`]):
//! - any change of mint, owner, delegate, close authority, freeze state or data length, or a
//!   closed account, is refused ([`SessionError::TokenAccountTampered`]);
//! - per mint, a call's outflow is every decrease of a watched account minus the increases of
//!   watched accounts owned by the owner or the vault (tokens pushed into a third party's
//!   account are not the owner's);
//! - lamports: a call's outflow is the decrease of the vault's lamports plus those of watched
//!   token accounts owned by the owner or the vault (rent and excess lamports of the vault's
//!   token accounts are the owner's SOL too);
//! - the vault's delegation on an owner token account may only shrink by what the call moved
//!   out and is charged ([`SessionError::DelegationReduced`] otherwise): a revoke, or a move
//!   into the vault's own account, is refused.
//!
//! A batch is charged the sum of its calls' positive outflows: a later call that brings funds
//! back does not refund an earlier one, so funds lent out inside a batch cost allowance.
use super::{Asset, PolicyResult};
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

/// Length of an SPL token account's base layout.
pub const TOKEN_ACCOUNT_LEN: usize = 165;
/// Token-2022 account-type byte (at offset 165) of a token account with extensions.
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;
/// Token-2022 extension type `ConfidentialTransferAccount`: a balance the diff cannot see.
pub const EXTENSION_CONFIDENTIAL_TRANSFER_ACCOUNT: u16 = 5;

/// Offsets of the base token-account layout (`spl_token::state::Account::pack`).
mod offset {
    pub const MINT: usize = 0;
    pub const OWNER: usize = 32;
    pub const AMOUNT: usize = 64;
    pub const DELEGATE: usize = 72;
    pub const STATE: usize = 108;
    pub const IS_NATIVE: usize = 109;
    pub const DELEGATED_AMOUNT: usize = 121;
    pub const CLOSE_AUTHORITY: usize = 129;
}

/// The fields of a token account that a call could abuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenState {
    /// Mint.
    pub mint: Pubkey,
    /// Owner.
    pub owner: Pubkey,
    /// Balance.
    pub amount: u64,
    /// Delegate, if any.
    pub delegate: Option<Pubkey>,
    /// Account state: 1 initialized, 2 frozen.
    pub state: u8,
    /// Amount the delegate may still move.
    pub delegated_amount: u64,
    /// Close authority, if any.
    pub close_authority: Option<Pubkey>,
    /// Length of the account data: a change means extensions were added (Token-2022
    /// `reallocate`), which a call must not do to an account the vault controls.
    pub data_len: usize,
    /// A wrapped-SOL account: its lamports move with its token amount.
    pub is_native: bool,
    /// Carries Token-2022's `ConfidentialTransferAccount` extension: part of its balance is
    /// encrypted and invisible to a balance diff.
    pub confidential: bool,
}

/// Whether the Token-2022 extensions after the base layout (type-length-value entries from
/// offset 166) include `extension`.
fn has_extension(data: &[u8], extension: u16) -> bool {
    let mut at = TOKEN_ACCOUNT_LEN.saturating_add(1);
    while let Some(&[t0, t1, l0, l1]) = data.get(at..at.saturating_add(4)) {
        let ty = u16::from_le_bytes([t0, t1]);
        let len = usize::from(u16::from_le_bytes([l0, l1]));
        if ty == extension {
            return true;
        }
        if ty == 0 {
            return false;
        }
        at = at.saturating_add(4).saturating_add(len);
    }
    false
}

fn read_pubkey(data: &[u8], at: usize) -> Option<Pubkey> {
    let bytes: [u8; 32] = data.get(at..at.checked_add(32)?)?.try_into().ok()?;
    Some(Pubkey::new_from_array(bytes))
}

fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// A `COption<Pubkey>`: 4-byte tag (0 none, 1 some), then the key.
fn read_option_pubkey(data: &[u8], at: usize) -> Option<Option<Pubkey>> {
    let tag: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    match u32::from_le_bytes(tag) {
        0 => Some(None),
        1 => Some(Some(read_pubkey(data, at.checked_add(4)?)?)),
        _ => None,
    }
}

impl TokenState {
    /// Parses the data of an account owned by SPL Token or Token-2022; `None` if it is not an
    /// initialized token account (a mint, a multisig, uninitialized, or garbage).
    pub fn parse(data: &[u8]) -> Option<Self> {
        let is_account = match data.len() {
            TOKEN_ACCOUNT_LEN => true,
            n if n > TOKEN_ACCOUNT_LEN => {
                data.get(TOKEN_ACCOUNT_LEN) == Some(&ACCOUNT_TYPE_ACCOUNT)
            }
            _ => false,
        };
        if !is_account {
            return None;
        }
        let state = *data.get(offset::STATE)?;
        if state == 0 {
            return None;
        }
        Some(Self {
            mint: read_pubkey(data, offset::MINT)?,
            owner: read_pubkey(data, offset::OWNER)?,
            amount: read_u64(data, offset::AMOUNT)?,
            delegate: read_option_pubkey(data, offset::DELEGATE)?,
            state,
            delegated_amount: read_u64(data, offset::DELEGATED_AMOUNT)?,
            close_authority: read_option_pubkey(data, offset::CLOSE_AUTHORITY)?,
            data_len: data.len(),
            is_native: data.get(offset::IS_NATIVE) == Some(&1),
            confidential: has_extension(data, EXTENSION_CONFIDENTIAL_TRANSFER_ACCOUNT),
        })
    }

    /// Whether the vault has any authority over this account.
    pub fn controlled_by(&self, vault: &Pubkey) -> bool {
        self.owner == *vault
            || self.delegate.as_ref() == Some(vault)
            || self.close_authority.as_ref() == Some(vault)
    }

    /// Whether the owner or the vault owns this account (its balance and lamports are theirs).
    pub fn ours(&self, owner: &Pubkey, vault: &Pubkey) -> bool {
        self.owner == *owner || self.owner == *vault
    }

    /// Whether `after` keeps every authority of `self`. The delegated amount may only go
    /// down, and the delegate may only disappear together with a zero delegated amount (SPL
    /// Token clears it when a delegated transfer uses the last of it); how much of the
    /// vault's delegation went is checked by [`CallEffects`].
    pub fn authorities_kept(&self, after: &Self) -> bool {
        let delegate_ok = after.delegate == self.delegate
            || (after.delegate.is_none() && after.delegated_amount == 0);
        self.mint == after.mint
            && self.data_len == after.data_len
            && self.is_native == after.is_native
            && self.confidential == after.confidential
            && self.owner == after.owner
            && self.close_authority == after.close_authority
            && self.state == after.state
            && delegate_ok
            && after.delegated_amount <= self.delegated_amount
    }
}

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

    /// Lamports of the vault or of one of our watched token accounts, before and after.
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
        let counted = if delta > 0 || before.ours(owner, vault) {
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
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::state::{Account, AccountState};
    use solana_program_option::COption;
    use solana_program_pack::Pack;

    fn account(owner: Pubkey, amount: u64) -> TokenState {
        TokenState {
            mint: Pubkey::new_from_array([9; 32]),
            owner,
            amount,
            delegate: None,
            state: 1,
            delegated_amount: 0,
            close_authority: None,
            data_len: TOKEN_ACCOUNT_LEN,
            is_native: false,
            confidential: false,
        }
    }

    /// The bytes SPL Token 2022 itself writes for `t` (base layout).
    fn packed(t: &TokenState) -> Vec<u8> {
        let option = |k: Option<Pubkey>| match k {
            Some(k) => COption::Some(k),
            None => COption::None,
        };
        let account = Account {
            mint: t.mint,
            owner: t.owner,
            amount: t.amount,
            delegate: option(t.delegate),
            state: if t.state == 2 {
                AccountState::Frozen
            } else {
                AccountState::Initialized
            },
            is_native: if t.is_native {
                COption::Some(0)
            } else {
                COption::None
            },
            delegated_amount: t.delegated_amount,
            close_authority: option(t.close_authority),
        };
        let mut d = vec![0u8; Account::LEN];
        Account::pack(account, &mut d).unwrap();
        d
    }

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
    fn parses_what_spl_token_2022_packs() {
        let vault = Pubkey::new_unique();
        let mut t = account(vault, 5);
        t.delegate = Some(Pubkey::new_unique());
        t.delegated_amount = 3;
        t.close_authority = Some(vault);
        assert_eq!(TokenState::parse(&packed(&t)), Some(t));
        let mut frozen = account(Pubkey::new_unique(), u64::MAX);
        frozen.state = 2;
        assert_eq!(TokenState::parse(&packed(&frozen)), Some(frozen));
        let mut wrapped = t;
        wrapped.is_native = true;
        assert_eq!(TokenState::parse(&packed(&wrapped)), Some(wrapped));
        // Extensions: ImmutableOwner (7, empty) then ConfidentialTransferAccount (5).
        let mut ext = packed(&t);
        ext.extend_from_slice(&[ACCOUNT_TYPE_ACCOUNT, 7, 0, 0, 0, 5, 0, 2, 0, 9, 9]);
        assert_eq!(
            TokenState::parse(&ext),
            Some(TokenState {
                data_len: ext.len(),
                confidential: true,
                ..t
            })
        );
        assert_eq!(
            EXTENSION_CONFIDENTIAL_TRANSFER_ACCOUNT,
            anchor_spl::token_2022::spl_token_2022::extension::ExtensionType::ConfidentialTransferAccount
                as u16
        );
        let mut ext = packed(&t);
        ext.extend_from_slice(&[ACCOUNT_TYPE_ACCOUNT, 0, 0]);
        assert_eq!(
            TokenState::parse(&ext),
            Some(TokenState { data_len: 168, ..t })
        );
        ext[TOKEN_ACCOUNT_LEN] = 1; // a Token-2022 mint with extensions
        assert_eq!(TokenState::parse(&ext), None);
        assert_eq!(TokenState::parse(&[0; 82]), None);
        let mut uninit = packed(&t);
        uninit[offset::STATE] = 0;
        assert_eq!(TokenState::parse(&uninit), None);
        let mut bad_tag = packed(&t);
        bad_tag[offset::DELEGATE] = 7;
        assert_eq!(TokenState::parse(&bad_tag), None);
        assert!(t.controlled_by(&vault));
        assert!(!account(Pubkey::new_unique(), 1).controlled_by(&vault));
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
    fn lamports_are_net_over_the_vault_and_our_token_accounts() {
        let mut e = CallEffects::with_capacity(0);
        e.lamports(100, 40); // vault
        e.lamports(10, 30); // our token account gained 20
        assert_eq!(e.lamports_out(), Ok(40));
        e.clear();
        e.lamports(5, 9);
        assert_eq!(e.lamports_out(), Ok(0));
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
