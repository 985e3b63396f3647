//! The destination allow-list of `transfer_token` and `transfer_sol`.
//!
//! A session with a non-empty list cannot also carry program scope (see
//! [`super::grant`]): value that `execute` moves cannot be traced to a recipient, so the list
//! could not bind it.
use super::PolicyResult;
use crate::errors::SessionError;
use anchor_lang::prelude::Pubkey;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
