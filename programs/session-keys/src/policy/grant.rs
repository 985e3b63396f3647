//! The grant: every rule `create_session` applies to its arguments alone, and the allowances
//! and scope it stores, built once.
//!
//! Rules run in this order and the first broken one is returned: expiry, something granted,
//! list lengths, duplicates, program scope, destinations without program scope, zero caps,
//! caps and windows, rate limit, reference history, account size. Clients run the same [`CreateSessionArgs::check`] before
//! sending.
use super::{
    Allowance, CapsArgs, PolicyResult, ProgramScope, ReferenceLog, UsesWindow, UsesWindowArgs,
    UNLIMITED_USES,
};
use crate::{constants::*, errors::SessionError};
use anchor_lang::prelude::*;

/// Caps requested for one mint.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintCapsArgs {
    /// The mint.
    pub mint: Pubkey,
    /// Its caps (base units).
    pub caps: CapsArgs,
}

/// Everything a session grants, chosen by the owner.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CreateSessionArgs {
    /// Unix time from which the session is dead; at most `MAX_SESSION_DURATION` from now.
    pub expires_at: i64,
    /// Most successful uses; `None` for no limit other than caps and expiry.
    pub max_uses: Option<u32>,
    /// Lamport caps for SOL leaving the vault; `None`: the session cannot move SOL.
    pub sol: Option<CapsArgs>,
    /// Caps per mint (at most `MAX_MINTS`, no duplicates); unlisted mints cannot move.
    pub mints: Vec<MintCapsArgs>,
    /// Destination allow-list of `transfer_token` / `transfer_sol` (at most `MAX_DESTINATIONS`);
    /// empty allows any destination. A non-empty list cannot be combined with `programs`.
    pub destinations: Vec<Pubkey>,
    /// Programs `execute` and verify-in-target may call (at most `MAX_PROGRAMS`, no
    /// duplicates, none of the refused targets), each with optional instruction, argument and
    /// account rules.
    pub programs: Vec<ProgramScope>,
    /// Short label for wallet UIs (at most `MAX_LABEL_LEN` bytes).
    pub label: String,
    /// Lamports the owner sends to the session key so it can pay fees.
    pub top_up_lamports: u64,
    /// If set, approves the vault as SPL delegate for this amount on `owner_token_account`.
    pub delegate_amount: Option<u64>,
    /// Rate limit: at most `uses` actions per `seconds`, if set (on top of `max_uses`).
    pub uses_window: Option<UsesWindowArgs>,
    /// How many of its latest payment references the session remembers and refuses to take
    /// again (0 to `MAX_REFERENCE_HISTORY`; 0: the session takes no references). Each costs
    /// 33 bytes of session rent.
    pub reference_history: u8,
}

/// Caps of one mint inside a session. 84 bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintAllowance {
    /// The mint these caps apply to (32 bytes).
    pub mint: Pubkey,
    /// Caps and counters (52 bytes).
    pub allowance: Allowance,
}

impl MintAllowance {
    /// Serialized size in bytes.
    pub const SIZE: usize = 32 + Allowance::SIZE;
}

/// What a valid [`CreateSessionArgs`] grants, as stored in the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// Most uses, [`UNLIMITED_USES`] if unlimited.
    pub max_uses: u32,
    /// SOL caps, if SOL may move.
    pub sol: Option<Allowance>,
    /// Caps per mint.
    pub mints: Vec<MintAllowance>,
    /// Destination allow-list.
    pub destinations: Vec<Pubkey>,
    /// Program scope.
    pub programs: Vec<ProgramScope>,
    /// Label.
    pub label: String,
    /// Rate limit, if any.
    pub uses_window: Option<UsesWindow>,
    /// Empty reference history with its capacity.
    pub references: ReferenceLog,
}

/// Bytes of a session account before its variable part (discriminator included).
pub const SESSION_FIXED_SIZE: usize = 8 + 1 + 1 + 32 * 3 + 8 * 3 + 4 + 4;

/// Exact size of a session account holding the given scope. Saturating: `init` evaluates it
/// before any rule bounds the lengths, and an absurd request then fails allocation.
pub fn session_space(
    has_sol: bool,
    mints: usize,
    destinations: usize,
    programs_size: usize,
    label_len: usize,
) -> usize {
    let sol = if has_sol { Allowance::SIZE } else { 0 };
    [
        SESSION_FIXED_SIZE,
        1,
        sol,
        4,
        MintAllowance::SIZE.saturating_mul(mints),
        4,
        32usize.saturating_mul(destinations),
        4,
        programs_size,
        4,
        label_len,
    ]
    .iter()
    .fold(0usize, |acc, n| acc.saturating_add(*n))
}

/// Bytes of a session's guardrails after its label: the rate limit (tag, then a
/// [`UsesWindow`] if set) and the reference history allocated full ([`ReferenceLog::space`]).
pub fn limits_space(has_uses_window: bool, reference_history: u8) -> usize {
    let window = if has_uses_window { UsesWindow::SIZE } else { 0 };
    1usize
        .saturating_add(window)
        .saturating_add(ReferenceLog::space(reference_history))
}

/// Serialized size of `programs` (without the vector's length prefix), saturating.
pub fn programs_size(programs: &[ProgramScope]) -> usize {
    programs
        .iter()
        .map(ProgramScope::size)
        .fold(0, usize::saturating_add)
}

/// True if two of `items` have the same `key` (lists here are at most a handful long); no
/// list of keys is built.
pub fn has_duplicates_by<T, K: PartialEq>(items: &[T], key: impl Fn(&T) -> K) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().take(i).any(|b| key(b) == key(a)))
}

/// True if `items` holds the same value twice.
pub fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().take(i).any(|b| b == a))
}

impl CreateSessionArgs {
    /// Exact size of the session account these arguments create.
    pub fn space(&self) -> usize {
        session_space(
            self.sol.is_some(),
            self.mints.len(),
            self.destinations.len(),
            self.programs_size(),
            self.label.len(),
        )
        .saturating_add(limits_space(
            self.uses_window.is_some(),
            self.reference_history,
        ))
    }

    /// Serialized size of the program scopes (without the vector's length prefix).
    pub fn programs_size(&self) -> usize {
        programs_size(&self.programs)
    }

    fn check_programs(&self) -> PolicyResult<()> {
        if self.programs.len() > usize::from(MAX_PROGRAMS) {
            return Err(SessionError::TooManyPrograms);
        }
        if has_duplicates_by(&self.programs, |p| p.program_id) {
            return Err(SessionError::DuplicateProgram);
        }
        if self
            .programs
            .iter()
            .any(|p| super::is_refused_target(&p.program_id))
        {
            return Err(SessionError::RefusedTarget);
        }
        self.programs.iter().try_for_each(ProgramScope::validate)
    }

    /// Every rule on the arguments alone, as of unix time `now` (see the module docs for the
    /// order). For clients; the program calls [`Self::into_grant`].
    pub fn check(&self, now: i64) -> PolicyResult<()> {
        self.clone().into_grant(now).map(|_| ())
    }

    /// Checks every rule (module docs) and builds the stored allowances and scope, once.
    pub fn into_grant(self, now: i64) -> PolicyResult<Grant> {
        super::validate_expiry(now, self.expires_at)?;
        if self.sol.is_none() && self.mints.is_empty() && self.programs.is_empty() {
            return Err(SessionError::EmptyScope);
        }
        if self.mints.len() > usize::from(MAX_MINTS) {
            return Err(SessionError::TooManyMints);
        }
        if self.destinations.len() > usize::from(MAX_DESTINATIONS) {
            return Err(SessionError::TooManyDestinations);
        }
        if self.label.len() > usize::from(MAX_LABEL_LEN) {
            return Err(SessionError::LabelTooLong);
        }
        if has_duplicates_by(&self.mints, |m| m.mint) {
            return Err(SessionError::DuplicateMint);
        }
        if has_duplicates(&self.destinations) {
            return Err(SessionError::DuplicateDestination);
        }
        self.check_programs()?;
        if !self.destinations.is_empty() && !self.programs.is_empty() {
            return Err(SessionError::DestinationsWithPrograms);
        }
        if self.max_uses == Some(0) || self.delegate_amount == Some(0) {
            return Err(SessionError::ZeroCap);
        }
        let sol = self
            .sol
            .as_ref()
            .map(|caps| Allowance::from_args(caps, now))
            .transpose()?;
        let mints = self
            .mints
            .iter()
            .map(|m| {
                Ok(MintAllowance {
                    mint: m.mint,
                    allowance: Allowance::from_args(&m.caps, now)?,
                })
            })
            .collect::<PolicyResult<Vec<_>>>()?;
        let uses_window = self
            .uses_window
            .as_ref()
            .map(|w| UsesWindow::from_args(w, now))
            .transpose()?;
        let references = ReferenceLog::with_capacity(self.reference_history)?;
        if self.space() > usize::from(MAX_SESSION_SPACE) {
            return Err(SessionError::SessionTooLarge);
        }
        Ok(Grant {
            expires_at: self.expires_at,
            max_uses: self.max_uses.unwrap_or(UNLIMITED_USES),
            sol,
            mints,
            destinations: self.destinations,
            programs: self.programs,
            label: self.label,
            uses_window,
            references,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{InstructionRule, WindowArgs};
    use proptest::prelude::*;

    const NOW: i64 = 1_000;

    fn caps(lifetime: u64) -> CapsArgs {
        CapsArgs {
            lifetime,
            per_instruction: None,
            window: None,
        }
    }

    fn args() -> CreateSessionArgs {
        CreateSessionArgs {
            expires_at: NOW + 60,
            max_uses: None,
            sol: Some(caps(10)),
            mints: vec![],
            destinations: vec![],
            programs: vec![],
            label: String::new(),
            top_up_lamports: 0,
            delegate_amount: None,
            uses_window: None,
            reference_history: 0,
        }
    }

    #[test]
    fn guardrails_are_checked_and_sized() {
        let mut a = args();
        a.uses_window = Some(UsesWindowArgs {
            uses: 0,
            seconds: 60,
        });
        assert_eq!(a.check(NOW), Err(SessionError::InvalidRateLimit));
        a.uses_window = Some(UsesWindowArgs {
            uses: 3,
            seconds: 60,
        });
        a.reference_history = MAX_REFERENCE_HISTORY + 1;
        assert_eq!(a.check(NOW), Err(SessionError::ReferenceHistoryTooLong));
        a.reference_history = MAX_REFERENCE_HISTORY;
        let g = a.clone().into_grant(NOW).unwrap();
        assert_eq!(g.uses_window.unwrap().max, 3);
        assert_eq!(g.references.capacity, MAX_REFERENCE_HISTORY);
        let plain = args().space();
        assert_eq!(
            a.space(),
            plain + UsesWindow::SIZE + 33 * usize::from(MAX_REFERENCE_HISTORY)
        );
    }

    fn program(id: Pubkey) -> ProgramScope {
        ProgramScope {
            program_id: id,
            pass_session_signer: false,
            instructions: vec![],
        }
    }

    #[test]
    fn duplicates_are_found_by_value_and_by_key() {
        assert!(!has_duplicates::<u8>(&[]));
        assert!(!has_duplicates(&[1, 2, 3]));
        assert!(has_duplicates(&[1, 2, 1]));
        assert!(!has_duplicates_by(&[(1, 'a'), (2, 'a')], |p| p.0));
        assert!(has_duplicates_by(&[(1, 'a'), (2, 'b'), (1, 'c')], |p| p.0));
    }

    #[test]
    fn a_valid_grant_is_built_once_with_its_allowances() {
        let mint = Pubkey::new_unique();
        let mut a = args();
        a.max_uses = Some(3);
        a.mints = vec![MintCapsArgs {
            mint,
            caps: CapsArgs {
                lifetime: 5,
                per_instruction: Some(2),
                window: Some(WindowArgs {
                    seconds: 60,
                    cap: 4,
                }),
            },
        }];
        let g = a.clone().into_grant(NOW).unwrap();
        assert_eq!(g.max_uses, 3);
        assert_eq!(g.sol.unwrap().lifetime_cap, 10);
        assert_eq!(g.mints[0].mint, mint);
        assert_eq!(g.mints[0].allowance.per_instruction_cap, 2);
        assert_eq!(g.mints[0].allowance.window_start, 960);
        assert_eq!(a.check(NOW), Ok(()));
    }

    #[test]
    fn programs_only_is_a_valid_scope_and_nothing_is_not() {
        let mut a = args();
        a.sol = None;
        assert_eq!(a.check(NOW), Err(SessionError::EmptyScope));
        a.programs = vec![program(Pubkey::new_unique())];
        assert_eq!(a.check(NOW), Ok(()));
    }

    #[test]
    fn destinations_cannot_be_combined_with_program_scope() {
        let mut a = args();
        a.destinations = vec![Pubkey::new_unique()];
        assert_eq!(a.check(NOW), Ok(()));
        a.programs = vec![program(Pubkey::new_unique())];
        assert_eq!(a.check(NOW), Err(SessionError::DestinationsWithPrograms));
    }

    #[test]
    fn rules_run_in_the_documented_order() {
        let mut a = args();
        a.expires_at = NOW;
        a.mints = vec![
            MintCapsArgs {
                mint: Pubkey::default(),
                caps: caps(0),
            };
            9
        ];
        assert_eq!(a.check(NOW), Err(SessionError::ExpiryInPast));
        a.expires_at = NOW + 1;
        assert_eq!(a.check(NOW), Err(SessionError::TooManyMints));
        a.mints.truncate(2);
        assert_eq!(a.check(NOW), Err(SessionError::DuplicateMint));
        a.mints.truncate(1);
        assert_eq!(a.check(NOW), Err(SessionError::ZeroCap));
        a.mints[0].caps = caps(1);
        a.delegate_amount = Some(0);
        assert_eq!(a.check(NOW), Err(SessionError::ZeroCap));
    }

    #[test]
    fn a_session_larger_than_a_transaction_is_refused() {
        let mut a = args();
        a.sol = None;
        let rule = InstructionRule {
            discriminator_len: 1,
            discriminator: [1; 8],
            args: vec![],
            accounts: vec![
                crate::policy::AccountRule {
                    index: 0,
                    keys: vec![Pubkey::new_unique(); usize::from(MAX_ACCOUNT_KEYS)],
                };
                usize::from(MAX_ACCOUNT_RULES)
            ],
        };
        a.programs = (0..MAX_PROGRAMS)
            .map(|_| ProgramScope {
                program_id: Pubkey::new_unique(),
                pass_session_signer: false,
                instructions: vec![rule.clone(); 2],
            })
            .collect();
        assert!(a.space() > usize::from(MAX_SESSION_SPACE));
        assert_eq!(a.check(NOW), Err(SessionError::SessionTooLarge));
    }

    proptest! {
        /// The grant stores exactly what was asked, and its size is the account's size.
        #[test]
        fn a_grant_stores_what_was_asked(
            lifetimes in proptest::collection::vec(1u64..u64::MAX, 0..=4),
            sol in proptest::option::of(1u64..u64::MAX),
            uses in proptest::option::of(1u32..u32::MAX),
            dests in 0usize..=8,
            label in "[a-z]{0,32}",
        ) {
            let mints: Vec<MintCapsArgs> = lifetimes
                .iter()
                .map(|l| MintCapsArgs { mint: Pubkey::new_unique(), caps: caps(*l) })
                .collect();
            let a = CreateSessionArgs {
                expires_at: NOW + 1,
                max_uses: uses,
                sol: sol.map(caps),
                mints: mints.clone(),
                destinations: (0..dests).map(|_| Pubkey::new_unique()).collect(),
                programs: vec![],
                label: label.clone(),
                top_up_lamports: 0,
                delegate_amount: None,
                uses_window: None,
                reference_history: 0,
            };
            let space = a.space();
            match a.clone().into_grant(NOW) {
                Ok(g) => {
                    prop_assert_eq!(g.mints.len(), mints.len());
                    for (m, asked) in g.mints.iter().zip(&mints) {
                        prop_assert_eq!(m.mint, asked.mint);
                        prop_assert_eq!(m.allowance.lifetime_cap, asked.caps.lifetime);
                        prop_assert_eq!(m.allowance.spent, 0);
                    }
                    prop_assert_eq!(g.max_uses, uses.unwrap_or(UNLIMITED_USES));
                    prop_assert_eq!(g.label, label);
                    prop_assert!(space <= usize::from(MAX_SESSION_SPACE));
                }
                Err(e) => {
                    prop_assert!(sol.is_none() && mints.is_empty());
                    prop_assert_eq!(e, SessionError::EmptyScope);
                }
            }
        }
    }
}
