//! Uses: how many times a session may act.
use super::PolicyResult;
pub use crate::constants::UNLIMITED_USES;
use crate::errors::SessionError;

/// Returns the use count after one more use, or [`SessionError::UsesExhausted`].
pub fn next_use(uses: u32, max_uses: u32) -> PolicyResult<u32> {
    if max_uses != UNLIMITED_USES && uses >= max_uses {
        return Err(SessionError::UsesExhausted);
    }
    uses.checked_add(1).ok_or(SessionError::UsesExhausted)
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
}
