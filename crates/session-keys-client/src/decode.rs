//! Decoding accounts, events and errors, and reading what a session may still do.
use anchor_lang::{
    error::ERROR_CODE_OFFSET, prelude::Pubkey, AccountDeserialize, AnchorDeserialize, Discriminator,
};
use base64::{prelude::BASE64_STANDARD, Engine};
use session_keys::{
    errors::SessionError,
    events, policy,
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

macro_rules! session_events {
    ($($name:ident),* $(,)?) => {
        /// An event of the session-keys program: one variant per struct of
        /// [`session_keys::events`].
        pub enum SessionEvent {
            $(
                #[doc = concat!("[`events::", stringify!($name), "`]")]
                $name(events::$name),
            )*
        }

        impl SessionEvent {
            /// Decodes an event's bytes: the event's 8-byte discriminator, then its Borsh
            /// encoding, exactly (trailing bytes are refused). `None` for anything else.
            pub fn from_data(data: &[u8]) -> Option<Self> {
                $(
                    if let Some(body) = data.strip_prefix(events::$name::DISCRIMINATOR) {
                        return events::$name::try_from_slice(body).ok().map(Self::$name);
                    }
                )*
                None
            }

            /// The event's name, as in the IDL.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$name(_) => stringify!($name),)*
                }
            }
        }

        /// Every event name, in declaration order.
        pub const EVENT_NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

session_events!(
    SessionCreated,
    SessionRevoked,
    AllSessionsRevoked,
    SessionClosed,
    TokenTransferred,
    SolTransferred,
    SolDeposited,
    SolWithdrawn,
    TokenWithdrawn,
    Executed,
    VaultTokenAccountClosed,
    MessageGrantUsed,
);

impl core::fmt::Debug for SessionEvent {
    // The event structs do not derive `Debug`; the name is what a failing test needs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionEvent::{}", self.name())
    }
}

/// The session-keys events in a transaction's log lines, in order.
///
/// Anchor's `emit!` logs `Program data: <base64(discriminator || borsh)>`. Only lines logged
/// inside an invocation of session-keys count (tracked through the runtime's
/// `Program <id> invoke [n]` and `Program <id> success` / `Program <id> failed: ...` lines,
/// CPIs included), so another program cannot forge one. Lines that do not decode as one of
/// the program's events are skipped.
pub fn events_from_logs(logs: &[String]) -> Vec<SessionEvent> {
    let mut invoked: Vec<Pubkey> = Vec::new();
    let mut out = Vec::new();
    for line in logs {
        if let Some(fields) = line.strip_prefix("Program data: ") {
            if invoked.last() == Some(&session_keys::ID) && !fields.contains(' ') {
                if let Some(event) = BASE64_STANDARD
                    .decode(fields)
                    .ok()
                    .and_then(|data| SessionEvent::from_data(&data))
                {
                    out.push(event);
                }
            }
            continue;
        }
        let mut words = line.split(' ');
        if words.next() != Some("Program") {
            continue;
        }
        let (Some(id), Some(verb)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(id) = id.parse::<Pubkey>() else {
            continue;
        };
        match verb {
            "invoke" => invoked.push(id),
            "success" | "failed:" if invoked.last() == Some(&id) => {
                invoked.pop();
            }
            _ => {}
        }
    }
    out
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
    SessionError::TooManyTokenAccounts,
    SessionError::ConfidentialAccount,
    SessionError::MessageEd25519Missing,
    SessionError::MessageEd25519NotUnique,
    SessionError::MessageEd25519Malformed,
    SessionError::MessageSignerNotOwner,
    SessionError::MessageMismatch,
    SessionError::MessageExpired,
    SessionError::MessageNumberMismatch,
    SessionError::SponsorIsSessionKey,
    SessionError::InvalidDomain,
    SessionError::LabelNotPrintable,
    SessionError::TransferHookNotSupported,
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
            message_counter: 0,
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

    fn data_line(event: &impl anchor_lang::Event) -> String {
        format!("Program data: {}", BASE64_STANDARD.encode(event.data()))
    }

    #[test]
    fn events_decode_only_inside_session_keys() {
        let owner = Pubkey::new_unique();
        let deposit = |amount| events::SolDeposited { owner, amount };
        let other = Pubkey::new_unique();
        let sk = session_keys::ID;
        let logs: Vec<String> = vec![
            format!("Program {other} invoke [1]"),
            data_line(&deposit(1)), // another program's: not ours
            format!("Program {sk} invoke [2]"),
            data_line(&deposit(2)), // a CPI into session-keys: ours
            format!("Program {sk} success"),
            format!("Program {other} success"),
            format!("Program {sk} invoke [1]"),
            "Program log: Instruction: DepositSol".into(),
            format!("Program {other} invoke [2]"),
            data_line(&deposit(3)), // emitted by the callee
            format!("Program {other} failed: custom program error: 0x1"),
            data_line(&deposit(4)),
            "Program data: AAAA".into(),                // not an event
            format!("{} AAAA", data_line(&deposit(5))), // two fields: not Anchor's
            format!(
                "Program data: {}",
                BASE64_STANDARD.encode([events::SolDeposited::DISCRIMINATOR, &[1]].concat())
            ), // truncated
            format!("Program {sk} consumed 100 of 200000 compute units"),
            format!("Program {sk} success"),
            data_line(&deposit(6)), // outside any invocation
        ];
        let amounts: Vec<u64> = events_from_logs(&logs)
            .into_iter()
            .map(|e| match e {
                SessionEvent::SolDeposited(d) => {
                    assert_eq!(d.owner, owner);
                    d.amount
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(amounts, [2, 4]);
    }

    #[test]
    fn all_sessions_revoked_says_what_was_revoked_and_what_was_skipped() {
        let (owner, revoked, skipped) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let e = events::AllSessionsRevoked {
            owner,
            nonce: 3,
            message_counter: 9,
            revoked_delegations: vec![revoked],
            skipped_delegations: vec![skipped],
        };
        let sk = session_keys::ID;
        let logs = [
            format!("Program {sk} invoke [1]"),
            data_line(&e),
            format!("Program {sk} success"),
        ];
        let [SessionEvent::AllSessionsRevoked(d)] = &events_from_logs(&logs)[..] else {
            panic!("not decoded")
        };
        assert_eq!((d.owner, d.nonce, d.message_counter), (owner, 3, 9));
        assert_eq!(
            (&d.revoked_delegations[..], &d.skipped_delegations[..]),
            (&[revoked][..], &[skipped][..])
        );
    }

    #[test]
    fn every_event_has_a_distinct_discriminator_and_round_trips() {
        let e = events::SessionRevoked {
            owner: Pubkey::new_unique(),
            session: Pubkey::new_unique(),
            revoked_by: Pubkey::new_unique(),
        };
        let Some(SessionEvent::SessionRevoked(d)) =
            SessionEvent::from_data(&anchor_lang::Event::data(&e))
        else {
            panic!("not decoded")
        };
        assert_eq!(
            (d.owner, d.session, d.revoked_by),
            (e.owner, e.session, e.revoked_by)
        );
        assert_eq!(EVENT_NAMES.len(), 12);
        let discriminators: std::collections::HashSet<_> = [
            events::SessionCreated::DISCRIMINATOR,
            events::SessionRevoked::DISCRIMINATOR,
            events::AllSessionsRevoked::DISCRIMINATOR,
            events::SessionClosed::DISCRIMINATOR,
            events::TokenTransferred::DISCRIMINATOR,
            events::SolTransferred::DISCRIMINATOR,
            events::SolDeposited::DISCRIMINATOR,
            events::SolWithdrawn::DISCRIMINATOR,
            events::TokenWithdrawn::DISCRIMINATOR,
            events::Executed::DISCRIMINATOR,
            events::VaultTokenAccountClosed::DISCRIMINATOR,
            events::MessageGrantUsed::DISCRIMINATOR,
        ]
        .into_iter()
        .collect();
        assert_eq!(discriminators.len(), EVENT_NAMES.len());
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
        assert_eq!(
            ALL_ERRORS.last(),
            Some(&SessionError::TransferHookNotSupported)
        );
    }
}
