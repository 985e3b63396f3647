//! Decoding accounts and errors, and reading what a session may still do.
use anchor_lang::{error::ERROR_CODE_OFFSET, AccountDeserialize};
use session_keys::{
    errors::SessionError,
    policy,
    state::{Session, Wallet},
};

/// Decodes a session account's data (checks the discriminator).
pub fn session(data: &[u8]) -> anchor_lang::Result<Session> {
    Session::try_deserialize(&mut &data[..])
}

/// Decodes a wallet account's data (checks the discriminator).
pub fn wallet(data: &[u8]) -> anchor_lang::Result<Wallet> {
    Wallet::try_deserialize(&mut &data[..])
}

/// Every program error, in code order.
pub const ALL_ERRORS: &[SessionError] = &[
    SessionError::SessionExpired,
    SessionError::SessionRevoked,
    SessionError::WrongSessionKey,
    SessionError::SessionKeyIsOwner,
    SessionError::ExpiryInPast,
    SessionError::ExpiryTooFar,
    SessionError::EmptyScope,
    SessionError::TooManyMints,
    SessionError::TooManyDestinations,
    SessionError::LabelTooLong,
    SessionError::DuplicateMint,
    SessionError::ZeroCap,
    SessionError::InvalidWindow,
    SessionError::MintNotInScope,
    SessionError::SolNotInScope,
    SessionError::PerTransactionCapExceeded,
    SessionError::WindowCapExceeded,
    SessionError::LifetimeCapExceeded,
    SessionError::UsesExhausted,
    SessionError::DestinationNotAllowed,
    SessionError::WrongSourceAccount,
    SessionError::WrongVault,
    SessionError::WrongWallet,
    SessionError::UnauthorizedRevoker,
    SessionError::WrongRentPayer,
    SessionError::SessionStillActive,
    SessionError::ZeroAmount,
    SessionError::MathOverflow,
    SessionError::InvariantViolated,
    SessionError::DuplicateDestination,
    SessionError::MissingDelegateAccounts,
    SessionError::NotOwner,
    SessionError::ProgramNotInScope,
    SessionError::InstructionNotInScope,
    SessionError::ArgumentRuleViolated,
    SessionError::AccountRuleViolated,
    SessionError::RefusedTarget,
    SessionError::TooManyPrograms,
    SessionError::InvalidScopeRule,
    SessionError::DuplicateProgram,
    SessionError::TooManyRules,
    SessionError::TokenAccountTampered,
    SessionError::VaultModified,
    SessionError::TokenOutflowNotInScope,
    SessionError::InvalidInnerInstruction,
    SessionError::InvalidSessionAccount,
    SessionError::SessionOwnerMismatch,
    SessionError::NotOwnerOrSession,
];

/// The on-chain custom error code of `e`.
pub fn error_code(e: SessionError) -> u32 {
    ERROR_CODE_OFFSET + e as u32
}

/// The program error behind a custom error code, if it is one of ours.
pub fn error_from_code(code: u32) -> Option<SessionError> {
    let index = code.checked_sub(ERROR_CODE_OFFSET)?;
    ALL_ERRORS.get(usize::try_from(index).ok()?).copied()
}

/// Why a session cannot act now, if it cannot.
pub fn status(session: &Session, wallet: &Wallet, now: i64) -> Result<(), SessionError> {
    session.check_live(now, wallet.nonce)?;
    policy::next_use(session.uses, session.max_uses).map(|_| ())
}

/// How much of `mint` (or lamports with `None`) one transfer may move right now, and until
/// when the session lives. `None` if the asset is not in scope or the session is dead.
pub fn can_send(
    session: &Session,
    wallet: &Wallet,
    mint: Option<&anchor_lang::prelude::Pubkey>,
    now: i64,
) -> Option<(u64, i64)> {
    status(session, wallet, now).ok()?;
    let allowance = match mint {
        Some(mint) => session.mints.iter().find(|m| m.mint == *mint)?.allowance,
        None => session.sol?,
    };
    Some((allowance.available(now), session.expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table_is_complete_and_ordered() {
        for (i, e) in ALL_ERRORS.iter().enumerate() {
            assert_eq!(*e as usize, i);
            assert_eq!(error_from_code(error_code(*e)), Some(*e));
        }
        assert_eq!(
            error_from_code(ERROR_CODE_OFFSET + ALL_ERRORS.len() as u32),
            None
        );
        assert_eq!(error_from_code(0), None);
        assert_eq!(error_code(SessionError::SessionExpired), 6000);
        // The table ends with the last variant: a new variant must be appended here too.
        assert_eq!(ALL_ERRORS.last(), Some(&SessionError::NotOwnerOrSession));
    }
}
