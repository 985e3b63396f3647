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
    SessionError::PerInstructionCapExceeded,
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
    SessionError::DestinationsWithPrograms,
    SessionError::SessionTooLarge,
    SessionError::DelegateMintNotGranted,
    SessionError::SessionKeyIsProgramAccount,
    SessionError::DelegationMissing,
    SessionError::DelegationTooSmall,
    SessionError::SelfTransfer,
    SessionError::DelegationReduced,
    SessionError::TooManyExecuteAccounts,
    SessionError::TooManyWatchedAccounts,
    SessionError::NotVaultDelegate,
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
    use anchor_lang::prelude::Pubkey;
    use session_keys::{
        policy::{Allowance, CapsArgs, WindowArgs, UNLIMITED_USES},
        state::MintAllowance,
    };

    fn session(mint: Pubkey) -> (Session, Wallet) {
        let caps = CapsArgs {
            lifetime: 50,
            per_instruction: Some(20),
            window: Some(WindowArgs {
                seconds: 60,
                cap: 30,
            }),
        };
        let allowance = Allowance::from_args(&caps, 0)
            .unwrap()
            .charged(20, 10)
            .unwrap()
            .charged(5, 11)
            .unwrap();
        let owner = Pubkey::new_unique();
        let s = Session {
            version: 1,
            bump: 255,
            owner,
            session_key: Pubkey::new_unique(),
            payer: owner,
            created_at: 0,
            expires_at: 100,
            nonce: 2,
            max_uses: UNLIMITED_USES,
            uses: 1,
            sol: None,
            mints: vec![MintAllowance { mint, allowance }],
            destinations: vec![],
            programs: vec![],
            label: String::new(),
        };
        let w = Wallet {
            version: 1,
            bump: 255,
            vault_bump: 254,
            owner,
            nonce: 2,
        };
        (s, w)
    }

    #[test]
    fn can_send_reports_what_one_transfer_may_move() {
        let mint = Pubkey::new_unique();
        let (s, w) = session(mint);
        // Window [0, 60): 25 spent of 30 → 5; then a new window: min(per-tx 20, lifetime 25).
        assert_eq!(can_send(&s, &w, Some(&mint), 59), Some((5, 100)));
        assert_eq!(can_send(&s, &w, Some(&mint), 60), Some((20, 100)));
        assert_eq!(can_send(&s, &w, Some(&Pubkey::new_unique()), 60), None);
        assert_eq!(can_send(&s, &w, None, 60), None, "no SOL allowance");
        assert_eq!(can_send(&s, &w, Some(&mint), 100), None, "expired");
        let stale = Wallet { nonce: 3, ..w };
        assert_eq!(status(&s, &stale, 50), Err(SessionError::SessionRevoked));
        assert_eq!(status(&s, &w, 100), Err(SessionError::SessionExpired));
        let used = Session { max_uses: 1, ..s };
        assert_eq!(status(&used, &w, 50), Err(SessionError::UsesExhausted));
    }

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
        assert_eq!(ALL_ERRORS.last(), Some(&SessionError::NotVaultDelegate));
    }
}
