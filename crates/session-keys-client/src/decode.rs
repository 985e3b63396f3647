//! Decoding accounts, events and errors. What a session may still do ([`status`],
//! [`can_send`]) lives in [`crate::status`], re-exported here.
use anchor_lang::{
    error::ERROR_CODE_OFFSET, prelude::Pubkey, AccountDeserialize, AnchorDeserialize, Discriminator,
};
use base64::{prelude::BASE64_STANDARD, Engine};
use session_keys::{
    errors::SessionError,
    events,
    state::{Session, Wallet},
};

pub use crate::status::{can_send, status};

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
    BudgetSet,
    BudgetRemoved,
    BudgetCharged,
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
    SessionError::OwnerBudgetWindowExceeded,
    SessionError::OwnerBudgetLifetimeExceeded,
    SessionError::WrongBudget,
    SessionError::InvalidBudget,
    SessionError::TooManyBudgetAssets,
    SessionError::UnknownAsset,
    SessionError::BudgetNotSet,
    SessionError::InvalidRateLimit,
    SessionError::RateLimited,
    SessionError::InvalidReferenceLength,
    SessionError::ReferenceAlreadyUsed,
    SessionError::ReferencesNotEnabled,
    SessionError::ReferenceHistoryTooLong,
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

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;

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
        assert_eq!(EVENT_NAMES.len(), 15);
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
            events::BudgetSet::DISCRIMINATOR,
            events::BudgetRemoved::DISCRIMINATOR,
            events::BudgetCharged::DISCRIMINATOR,
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
            Some(&SessionError::ReferenceHistoryTooLong)
        );
    }

    /// The variant names of `pub enum SessionError` in `errors.rs`, in declaration order: the
    /// lines of the form `    Name,` between its opening line and its closing `}`.
    fn declared_errors(source: &str) -> Vec<&str> {
        source
            .lines()
            .skip_while(|l| l.trim() != "pub enum SessionError {")
            .skip(1)
            .take_while(|l| !l.starts_with('}'))
            .filter_map(|l| l.strip_prefix("    ")?.strip_suffix(','))
            .filter(|name| {
                name.starts_with(|c: char| c.is_ascii_uppercase())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .collect()
    }

    #[test]
    fn error_table_lists_every_variant_of_errors_rs_in_order() {
        let declared =
            declared_errors(include_str!("../../../programs/session-keys/src/errors.rs"));
        let listed: Vec<String> = ALL_ERRORS.iter().map(|e| format!("{e:?}")).collect();
        assert_eq!(
            declared, listed,
            "ALL_ERRORS must list every SessionError of errors.rs, in declaration order"
        );
    }

    #[test]
    fn declared_errors_reads_only_the_enums_variant_lines() {
        let source = "/// doc\npub enum Other {\n    NotThis,\n}\n#[error_code]\npub enum SessionError {\n    /// 6000\n    #[msg(\"a, b\")]\n    First,\n    #[msg(\n        \"long\"\n    )]\n    Second,\n}\nconst X: u8 = 1;\n    Outside,\n";
        assert_eq!(declared_errors(source), ["First", "Second"]);
    }
}
