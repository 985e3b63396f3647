//! Session lifetime: creation bounds, expiry and revocation by nonce.
use super::PolicyResult;
use crate::{constants::MAX_SESSION_DURATION, errors::SessionError};

/// Checks an expiry requested at creation time `now`: strictly in the future and at most
/// [`MAX_SESSION_DURATION`] seconds away.
pub fn validate_expiry(now: i64, expires_at: i64) -> PolicyResult<()> {
    if expires_at <= now {
        return Err(SessionError::ExpiryInPast);
    }
    let latest = now
        .checked_add(MAX_SESSION_DURATION)
        .ok_or(SessionError::MathOverflow)?;
    if expires_at > latest {
        return Err(SessionError::ExpiryTooFar);
    }
    Ok(())
}

/// True while the session may act: `now < expires_at` (the expiry second itself is dead).
pub fn is_unexpired(now: i64, expires_at: i64) -> bool {
    now < expires_at
}

/// A session is usable when it is unexpired and its nonce still equals the owner's current
/// revocation nonce (a `revoke_all_sessions` bumps the wallet's nonce and so kills it).
pub fn check_live(
    now: i64,
    expires_at: i64,
    session_nonce: u64,
    wallet_nonce: u64,
) -> PolicyResult<()> {
    if session_nonce != wallet_nonce {
        return Err(SessionError::SessionRevoked);
    }
    if !is_unexpired(now, expires_at) {
        return Err(SessionError::SessionExpired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_bounds_at_creation() {
        assert_eq!(validate_expiry(100, 100), Err(SessionError::ExpiryInPast));
        assert_eq!(validate_expiry(100, 99), Err(SessionError::ExpiryInPast));
        assert_eq!(validate_expiry(100, 101), Ok(()));
        assert_eq!(validate_expiry(100, 100 + MAX_SESSION_DURATION), Ok(()));
        assert_eq!(
            validate_expiry(100, 101 + MAX_SESSION_DURATION),
            Err(SessionError::ExpiryTooFar)
        );
        assert_eq!(
            validate_expiry(i64::MAX - 1, i64::MAX),
            Err(SessionError::MathOverflow)
        );
    }

    #[test]
    fn live_until_the_expiry_second() {
        assert_eq!(check_live(999, 1000, 0, 0), Ok(()));
        assert_eq!(
            check_live(1000, 1000, 0, 0),
            Err(SessionError::SessionExpired)
        );
        assert_eq!(
            check_live(1001, 1000, 0, 0),
            Err(SessionError::SessionExpired)
        );
    }

    #[test]
    fn stale_nonce_is_revoked_even_before_expiry() {
        assert_eq!(check_live(0, 1000, 0, 1), Err(SessionError::SessionRevoked));
        assert_eq!(check_live(0, 1000, 3, 3), Ok(()));
    }
}
