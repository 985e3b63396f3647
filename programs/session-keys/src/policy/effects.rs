//! What an arbitrary call did to the accounts the vault controls, and what to charge for it.
//!
//! `execute` snapshots the vault's lamports and every token account among the call's accounts
//! that the vault owns, is delegate of, or is close authority of, then compares after the call:
//! outflows are charged to the session's caps, and any change of authority is refused.
use super::PolicyResult;
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

/// Length of an SPL token account's base layout.
pub const TOKEN_ACCOUNT_LEN: usize = 165;
/// Token-2022 account-type byte (at offset 165) of a token account with extensions.
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;

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
        let state = *data.get(108)?;
        if state == 0 {
            return None;
        }
        Some(Self {
            mint: read_pubkey(data, 0)?,
            owner: read_pubkey(data, 32)?,
            amount: read_u64(data, 64)?,
            delegate: read_option_pubkey(data, 72)?,
            state,
            delegated_amount: read_u64(data, 121)?,
            close_authority: read_option_pubkey(data, 129)?,
            data_len: data.len(),
        })
    }

    /// Whether the vault has any authority over this account.
    pub fn controlled_by(&self, vault: &Pubkey) -> bool {
        self.owner == *vault
            || self.delegate.as_ref() == Some(vault)
            || self.close_authority.as_ref() == Some(vault)
    }

    /// Whether `after` keeps every authority of `self`. The delegated amount may only go
    /// down, and the delegate may only disappear together with a zero delegated amount (SPL
    /// Token clears it when a delegated transfer uses the last of it).
    pub fn authorities_kept(&self, after: &Self) -> bool {
        let delegate_ok = after.delegate == self.delegate
            || (after.delegate.is_none() && after.delegated_amount == 0);
        self.mint == after.mint
            && self.data_len == after.data_len
            && self.owner == after.owner
            && self.close_authority == after.close_authority
            && self.state == after.state
            && delegate_ok
            && after.delegated_amount <= self.delegated_amount
    }
}

/// Net outflow of one mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintOutflow {
    /// Mint.
    pub mint: Pubkey,
    /// Base units that left the owner's and vault's accounts, net.
    pub amount: u64,
}

/// Net token outflows from watched accounts between two snapshots (same order, same keys):
/// every decrease counts, but only increases of accounts owned by the owner or the vault offset
/// them (tokens pushed into an account a third party owns are not the owner's).
/// `None` in `after` means the account is no longer a token account: tampering.
pub fn token_outflows(
    before: &[TokenState],
    after: &[Option<TokenState>],
    owner: &Pubkey,
    vault: &Pubkey,
) -> PolicyResult<Vec<MintOutflow>> {
    let mut net: Vec<(Pubkey, i128)> = Vec::new();
    for (b, a) in before.iter().zip(after) {
        let a = a.as_ref().ok_or(SessionError::TokenAccountTampered)?;
        if !b.authorities_kept(a) {
            return Err(SessionError::TokenAccountTampered);
        }
        let ours = b.owner == *owner || b.owner == *vault;
        // Two u64 values always fit their difference in an i128.
        let delta = i128::from(b.amount).saturating_sub(i128::from(a.amount));
        let counted = if delta > 0 || ours { delta } else { 0 };
        match net.iter_mut().find(|(m, _)| *m == b.mint) {
            Some((_, sum)) => *sum = sum.checked_add(counted).ok_or(SessionError::MathOverflow)?,
            None => net.push((b.mint, counted)),
        }
    }
    net.into_iter()
        .filter(|(_, sum)| *sum > 0)
        .map(|(mint, sum)| {
            let amount = u64::try_from(sum).map_err(|_| SessionError::MathOverflow)?;
            Ok(MintOutflow { mint, amount })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }

    fn bytes(t: &TokenState) -> Vec<u8> {
        let mut d = vec![0u8; TOKEN_ACCOUNT_LEN];
        d[0..32].copy_from_slice(t.mint.as_ref());
        d[32..64].copy_from_slice(t.owner.as_ref());
        d[64..72].copy_from_slice(&t.amount.to_le_bytes());
        if let Some(k) = t.delegate {
            d[72] = 1;
            d[76..108].copy_from_slice(k.as_ref());
        }
        d[108] = t.state;
        d[121..129].copy_from_slice(&t.delegated_amount.to_le_bytes());
        if let Some(k) = t.close_authority {
            d[129] = 1;
            d[133..165].copy_from_slice(k.as_ref());
        }
        d
    }

    #[test]
    fn parses_token_accounts_only() {
        let vault = Pubkey::new_unique();
        let mut t = account(vault, 5);
        t.delegate = Some(Pubkey::new_unique());
        t.delegated_amount = 3;
        t.close_authority = Some(vault);
        assert_eq!(TokenState::parse(&bytes(&t)), Some(t));
        let mut ext = bytes(&t);
        ext.extend_from_slice(&[ACCOUNT_TYPE_ACCOUNT, 0, 0]);
        assert_eq!(
            TokenState::parse(&ext),
            Some(TokenState { data_len: 168, ..t })
        );
        ext[TOKEN_ACCOUNT_LEN] = 1; // a Token-2022 mint with extensions
        assert_eq!(TokenState::parse(&ext), None);
        assert_eq!(TokenState::parse(&[0; 82]), None);
        let mut uninit = bytes(&t);
        uninit[108] = 0;
        assert_eq!(TokenState::parse(&uninit), None);
        let mut bad_tag = bytes(&t);
        bad_tag[72] = 7;
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
        let before = [account(vault, 100), account(owner, 50)];
        // 30 leave the vault, 10 come back into the owner's account: net 20.
        let after = [Some(account(vault, 70)), Some(account(owner, 60))];
        let out = token_outflows(&before, &after, &owner, &vault).unwrap();
        assert_eq!(
            out,
            vec![MintOutflow {
                mint: before[0].mint,
                amount: 20
            }]
        );

        // Pushing tokens into a thief-owned watched account does not offset the loss.
        let mut thiefs = account(thief, 0);
        thiefs.close_authority = Some(vault);
        let before = [account(vault, 100), thiefs];
        let mut thiefs_after = thiefs;
        thiefs_after.amount = 100;
        let after = [Some(account(vault, 0)), Some(thiefs_after)];
        let out = token_outflows(&before, &after, &owner, &vault).unwrap();
        assert_eq!(out[0].amount, 100);

        // Inflows only: nothing to charge.
        let before = [account(vault, 1)];
        let after = [Some(account(vault, 9))];
        assert!(token_outflows(&before, &after, &owner, &vault)
            .unwrap()
            .is_empty());
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
                token_outflows(&[base], &[Some(after)], &owner, &vault),
                Err(SessionError::TokenAccountTampered)
            );
        }
        assert_eq!(
            token_outflows(&[base], &[None], &owner, &vault),
            Err(SessionError::TokenAccountTampered)
        );
        // A delegate used up and cleared by the token program is fine.
        let mut delegated = account(owner, 10);
        delegated.delegate = Some(vault);
        delegated.delegated_amount = 4;
        let mut used = account(owner, 6);
        used.delegated_amount = 0;
        let out = token_outflows(&[delegated], &[Some(used)], &owner, &vault).unwrap();
        assert_eq!(out[0].amount, 4);
    }
}
