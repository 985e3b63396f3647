//! The grant: one PDA per (owner, session key).
use crate::{
    constants::{ACCOUNT_VERSION, SESSION_SEED},
    errors::SessionError,
    policy::{
        self, Allowance, Asset, PolicyResult, ProgramScope, Reference, ReferenceLog, UsesWindow,
    },
};
use anchor_lang::prelude::*;

pub use crate::policy::MintAllowance;

/// A session: what `session_key` may do on behalf of `owner`, until when, and how much.
///
/// PDA `["session", owner, session_key]`. Sized at creation to what it holds, never grown:
///
/// | bytes | field |
/// |---|---|
/// | 8 | Anchor discriminator |
/// | 1 | `version` |
/// | 1 | `bump` |
/// | 32 | `owner` |
/// | 32 | `session_key` |
/// | 32 | `payer` |
/// | 8 | `created_at` |
/// | 8 | `expires_at` |
/// | 8 | `nonce` |
/// | 4 | `max_uses` |
/// | 4 | `uses` |
/// | 1 (+52) | `sol`: tag, then an [`Allowance`] if SOL may move |
/// | 4 + 84·m | `mints` |
/// | 4 + 32·d | `destinations` |
/// | 4 + p | `programs`: per program 37 bytes + per instruction rule 17 bytes + its rules |
/// | 4 + l | `label` |
/// | 1 (+20) | `uses_window`: tag, then a [`UsesWindow`] if rate-limited |
/// | 6 + 33·r | `references`: capacity, next, then `r` = capacity slots, allocated full |
///
/// Fixed part 138 bytes (discriminator included); "1 mint + SOL caps, no label, no
/// guardrails" is 298 bytes, "2 mints + SOL caps" 382 bytes. A rate limit adds 20 bytes, each
/// remembered reference 33.
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Session {
    /// Layout version, [`ACCOUNT_VERSION`].
    pub version: u8,
    /// Canonical bump of this PDA, stored so nothing re-derives it.
    pub bump: u8,
    /// The wallet that granted the session.
    pub owner: Pubkey,
    /// The key allowed to sign for the session.
    pub session_key: Pubkey,
    /// Who paid the rent; gets it back when the session is closed.
    pub payer: Pubkey,
    /// Unix time of creation.
    pub created_at: i64,
    /// Unix time from which the session is dead (valid while `now < expires_at`).
    pub expires_at: i64,
    /// The owner's revocation nonce at creation; the session is dead once the wallet's differs.
    pub nonce: u64,
    /// Most successful uses, `UNLIMITED_USES` (the largest `u32`) if unlimited.
    pub max_uses: u32,
    /// Successful uses so far (transfers and `execute` batches).
    pub uses: u32,
    /// Lamport caps for SOL leaving the vault; `None` means no SOL may move.
    pub sol: Option<Allowance>,
    /// Caps per mint; a mint not listed cannot move.
    pub mints: Vec<MintAllowance>,
    /// Destination allow-list of `transfer_*` (token accounts, their owners, or SOL recipients);
    /// empty = any. Never set together with `programs`.
    pub destinations: Vec<Pubkey>,
    /// Programs `execute` may call, with their instruction, argument and account rules.
    pub programs: Vec<ProgramScope>,
    /// Short label for wallet UIs, e.g. the app's name.
    pub label: String,
    /// Rate limit: at most so many actions per recurring window, if set.
    pub uses_window: Option<UsesWindow>,
    /// The latest payment references, refused if used again.
    pub references: ReferenceLog,
}

/// The keys a new session records.
#[derive(Clone, Copy, Debug)]
pub struct SessionKeys {
    /// Canonical bump of the session PDA.
    pub bump: u8,
    /// The owner.
    pub owner: Pubkey,
    /// The session key.
    pub session_key: Pubkey,
    /// Who pays the rent and gets it back.
    pub payer: Pubkey,
}

impl Session {
    /// Seed prefix.
    pub const SEED: &'static [u8] = SESSION_SEED;
    /// Bytes before the variable part (discriminator included).
    pub const FIXED_SIZE: usize = policy::SESSION_FIXED_SIZE;

    /// Exact account size for a session holding the given scope, without guardrails (no rate
    /// limit, no reference history): [`policy::session_space`] plus
    /// [`policy::limits_space`]`(false, 0)`.
    pub fn space(
        has_sol: bool,
        mints: usize,
        destinations: usize,
        programs_size: usize,
        label_len: usize,
    ) -> usize {
        policy::session_space(has_sol, mints, destinations, programs_size, label_len)
            .saturating_add(policy::limits_space(false, 0))
    }

    /// The session a checked [`policy::Grant`] creates: no uses yet, created now under the
    /// owner's current revocation nonce. Shared by `create_session` and
    /// `create_session_from_message`.
    pub fn from_grant(grant: policy::Grant, keys: SessionKeys, now: i64, nonce: u64) -> Self {
        Session {
            version: ACCOUNT_VERSION,
            bump: keys.bump,
            owner: keys.owner,
            session_key: keys.session_key,
            payer: keys.payer,
            created_at: now,
            expires_at: grant.expires_at,
            nonce,
            max_uses: grant.max_uses,
            uses: 0,
            sol: grant.sol,
            mints: grant.mints,
            destinations: grant.destinations,
            programs: grant.programs,
            label: grant.label,
            uses_window: grant.uses_window,
            references: grant.references,
        }
    }

    /// Expiry and revocation check against the owner's current nonce.
    pub fn check_live(&self, now: i64, wallet_nonce: u64) -> PolicyResult<()> {
        policy::check_live(now, self.expires_at, self.nonce, wallet_nonce)
    }

    /// Whether this session can act now: unexpired, created under the owner's current nonce,
    /// and with a use left. The one rule behind the session gate, verify-in-target,
    /// `close_session` (a session that fails it is dead) and the clients' status.
    pub fn check_usable(&self, now: i64, wallet_nonce: u64) -> PolicyResult<()> {
        self.check_live(now, wallet_nonce)?;
        policy::next_use(self.uses, self.max_uses).map(|_| ())
    }

    /// [`SessionError::RateLimited`] if the rate limit leaves no action in the window in force
    /// at `now`. Not part of [`Session::check_usable`]: a rate-limited session is alive.
    pub fn check_rate(&self, now: i64) -> PolicyResult<()> {
        self.uses_window.as_ref().map_or(Ok(()), |w| w.check(now))
    }

    /// When the rate limit's window in force at `now` reopens, if the limit is reached.
    pub fn rate_reopens_at(&self, now: i64) -> Option<i64> {
        self.uses_window
            .as_ref()
            .filter(|w| w.remaining(now) == 0)
            .map(|w| w.reopens_at(now))
    }

    /// A payment reference checked against the session's history
    /// ([`ReferenceLog::check`]); `None` passes.
    pub fn check_reference(&self, reference: Option<&[u8]>) -> PolicyResult<Option<Reference>> {
        reference.map(|r| self.references.check(r)).transpose()
    }

    /// Records one use at `now` (the use count and the rate limit's window), or
    /// [`SessionError::UsesExhausted`] / [`SessionError::RateLimited`].
    pub fn record_use(&mut self, now: i64) -> PolicyResult<()> {
        self.uses = policy::next_use(self.uses, self.max_uses)?;
        if let Some(w) = self.uses_window.as_mut() {
            *w = w.used_once(now)?;
        }
        self.invariant()
    }

    /// Records a checked reference ([`ReferenceLog::record`]).
    pub fn record_reference(&mut self, reference: Option<Reference>) {
        if let Some(r) = reference {
            self.references.record(r);
        }
    }

    /// Charges `amount` of `asset` at `now` to its allowance ([`Allowance::charged`]: zero,
    /// per-instruction, window, lifetime), stores it and keeps the invariant. Returns the
    /// allowance after the charge. An asset the session has no caps for is
    /// [`SessionError::SolNotInScope`] or [`SessionError::MintNotInScope`].
    pub fn charge(&mut self, asset: Asset, amount: u64, now: i64) -> PolicyResult<Allowance> {
        let allowance = match asset {
            Asset::Sol => self.sol.as_mut().ok_or(SessionError::SolNotInScope)?,
            Asset::Mint(mint) => {
                &mut self
                    .mints
                    .iter_mut()
                    .find(|m| m.mint == mint)
                    .ok_or(SessionError::MintNotInScope)?
                    .allowance
            }
        };
        *allowance = allowance.charged(amount, now)?;
        let after = *allowance;
        self.invariant()?;
        Ok(after)
    }

    /// Remaining uses, the largest `u32` if unlimited.
    pub fn uses_remaining(&self) -> u32 {
        if self.max_uses == policy::UNLIMITED_USES {
            u32::MAX
        } else {
            self.max_uses.saturating_sub(self.uses)
        }
    }

    /// Holds after every state change.
    pub fn invariant(&self) -> PolicyResult<()> {
        let uses_ok = self.max_uses == policy::UNLIMITED_USES || self.uses <= self.max_uses;
        if self.version != ACCOUNT_VERSION || !uses_ok {
            return Err(SessionError::InvariantViolated);
        }
        if let Some(sol) = &self.sol {
            sol.invariant()?;
        }
        self.mints.iter().try_for_each(|m| m.allowance.invariant())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{CapsArgs, WindowArgs};

    fn session(mints: usize, sol: bool, destinations: usize, label: &str) -> Session {
        let caps = CapsArgs {
            lifetime: 1,
            per_instruction: Some(1),
            window: Some(WindowArgs {
                seconds: 60,
                cap: 1,
            }),
        };
        let allowance = Allowance::from_args(&caps, 0).unwrap();
        Session {
            version: ACCOUNT_VERSION,
            bump: 255,
            owner: Pubkey::new_unique(),
            session_key: Pubkey::new_unique(),
            payer: Pubkey::new_unique(),
            created_at: 0,
            expires_at: 1,
            nonce: 0,
            max_uses: 10,
            uses: 0,
            sol: sol.then_some(allowance),
            mints: (0..mints)
                .map(|_| MintAllowance {
                    mint: Pubkey::new_unique(),
                    allowance,
                })
                .collect(),
            destinations: (0..destinations).map(|_| Pubkey::new_unique()).collect(),
            programs: vec![],
            label: label.into(),
            uses_window: None,
            references: ReferenceLog::default(),
        }
    }

    #[test]
    fn space_matches_serialized_size() {
        for (m, sol, d, label) in [
            (0, true, 0, ""),
            (1, true, 0, ""),
            (2, true, 3, "game"),
            (4, false, 8, "x"),
        ] {
            let s = session(m, sol, d, label);
            let mut buf = Vec::new();
            s.try_serialize(&mut buf).unwrap();
            assert_eq!(buf.len(), Session::space(sol, m, d, 0, label.len()));
        }
    }

    #[test]
    fn documented_sizes() {
        assert_eq!(Session::FIXED_SIZE, 138);
        assert_eq!(Session::space(true, 1, 0, 0, 0), 298);
        assert_eq!(Session::space(true, 2, 0, 0, 0), 382);
    }
}
