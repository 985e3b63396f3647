//! Scope rules that are not caps: uses and the destination allow-list.
use super::PolicyResult;
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

/// Stored sentinel for "no limit on uses".
pub const UNLIMITED_USES: u32 = u32::MAX;

/// Returns the use count after one more use, or [`SessionError::UsesExhausted`].
pub fn next_use(uses: u32, max_uses: u32) -> PolicyResult<u32> {
    if max_uses != UNLIMITED_USES && uses >= max_uses {
        return Err(SessionError::UsesExhausted);
    }
    uses.checked_add(1).ok_or(SessionError::UsesExhausted)
}

/// An empty allow-list allows every destination. Otherwise the destination account itself or,
/// for a token account, its owner must be listed.
pub fn destination_allowed(allow: &[Pubkey], account: &Pubkey, owner: Option<&Pubkey>) -> bool {
    allow.is_empty() || allow.iter().any(|k| k == account || Some(k) == owner)
}

/// Checks [`destination_allowed`], naming the error.
pub fn check_destination(
    allow: &[Pubkey],
    account: &Pubkey,
    owner: Option<&Pubkey>,
) -> PolicyResult<()> {
    if destination_allowed(allow, account, owner) {
        Ok(())
    } else {
        Err(SessionError::DestinationNotAllowed)
    }
}

/// True if `items` holds the same value twice (lists here are at most a handful long).
pub fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().take(i).any(|b| b == a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_count_up_to_the_limit() {
        assert_eq!(next_use(0, 2), Ok(1));
        assert_eq!(next_use(1, 2), Ok(2));
        assert_eq!(next_use(2, 2), Err(SessionError::UsesExhausted));
        assert_eq!(next_use(7, UNLIMITED_USES), Ok(8));
        assert_eq!(
            next_use(u32::MAX, UNLIMITED_USES),
            Err(SessionError::UsesExhausted)
        );
    }

    #[test]
    fn destinations_match_account_or_owner() {
        let (a, b, c) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        assert!(destination_allowed(&[], &a, None));
        assert!(destination_allowed(&[a], &a, Some(&c)));
        assert!(destination_allowed(&[b], &a, Some(&b)));
        assert!(!destination_allowed(&[b], &a, Some(&c)));
        assert!(!destination_allowed(&[b], &a, None));
        assert_eq!(
            check_destination(&[b], &a, None),
            Err(SessionError::DestinationNotAllowed)
        );
    }

    #[test]
    fn duplicates_are_found() {
        assert!(!has_duplicates::<u8>(&[]));
        assert!(!has_duplicates(&[1, 2, 3]));
        assert!(has_duplicates(&[1, 2, 1]));
    }
}
