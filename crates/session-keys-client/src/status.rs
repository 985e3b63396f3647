//! What a session can do now, from its decoded account alone (no RPC): whether it may act
//! ([`status`], the program's own [`Session::check_usable`]), where it stands
//! ([`classify`]: live, expired, revoked, exhausted), and what each asset may still move
//! ([`can_send`], [`remaining`]).
//!
//! [`status`] and [`can_send`] are also at `decode::`; [`SessionState`], [`classify`],
//! [`Remaining`] and [`remaining`] also at `rpc::` (feature `rpc`), where they were first.
use anchor_lang::prelude::Pubkey;
use session_keys::{
    errors::SessionError,
    state::{Session, Wallet},
};

/// Why a session cannot act now, if it cannot: [`Session::check_usable`] (unexpired, not
/// revoked, a use left), the rule the program's session gate applies.
pub fn status(session: &Session, wallet: &Wallet, now: i64) -> Result<(), SessionError> {
    session.check_usable(now, wallet.nonce)
}

/// How much of `mint` (or lamports with `None`) one transfer may move right now, and until
/// when the session lives. `None` if the asset is not in scope or the session is dead.
pub fn can_send(
    session: &Session,
    wallet: &Wallet,
    mint: Option<&Pubkey>,
    now: i64,
) -> Option<(u64, i64)> {
    status(session, wallet, now).ok()?;
    let allowance = match mint {
        Some(mint) => session.mints.iter().find(|m| m.mint == *mint)?.allowance,
        None => session.sol?,
    };
    Some((allowance.available(now), session.expires_at))
}

/// Where a session stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "rpc",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum SessionState {
    /// It may act.
    Live,
    /// Its expiry has passed.
    Expired,
    /// The owner revoked it (directly, or all sessions at once).
    Revoked,
    /// No use left, or every granted asset's lifetime cap spent (and no program to call).
    Exhausted,
}

impl SessionState {
    /// Whether anyone may close `session` (in this state) now, rent to its payer: expired,
    /// revoked, or out of uses, as `close_session` checks. A session exhausted only because
    /// its lifetime caps are spent still has uses, so it stays open until it expires.
    pub fn closable(self, session: &Session) -> bool {
        match self {
            SessionState::Expired | SessionState::Revoked => true,
            SessionState::Exhausted => session.uses_remaining() == 0,
            SessionState::Live => false,
        }
    }
}

/// Classifies `session` at `now` under the owner's current wallet nonce (`None`: no wallet).
/// Revocation wins over expiry, expiry over exhaustion: the order of
/// [`Session::check_usable`], which decides all three; a usable session is still exhausted
/// when every granted asset's lifetime cap is spent and it has no program to call.
pub fn classify(session: &Session, wallet_nonce: Option<u64>, now: i64) -> SessionState {
    let Some(wallet_nonce) = wallet_nonce else {
        return SessionState::Revoked;
    };
    match session.check_usable(now, wallet_nonce) {
        Err(SessionError::SessionRevoked) => SessionState::Revoked,
        Err(SessionError::SessionExpired) => SessionState::Expired,
        Err(_) => SessionState::Exhausted,
        Ok(()) if spent_out(session) => SessionState::Exhausted,
        Ok(()) => SessionState::Live,
    }
}

/// Every granted asset's lifetime cap is spent and there is no program to call: nothing left
/// the session could do, though it has uses.
fn spent_out(session: &Session) -> bool {
    let mut assets = session
        .sol
        .iter()
        .chain(session.mints.iter().map(|m| &m.allowance))
        .peekable();
    assets.peek().is_some()
        && session.programs.is_empty()
        && assets.all(|a| a.lifetime_remaining() == 0)
}

/// What one asset of a session may still move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "rpc", derive(serde::Serialize))]
pub struct Remaining {
    /// The mint, `None` for lamports.
    pub mint: Option<Pubkey>,
    /// Largest single transfer right now (every cap applied).
    pub now: u64,
    /// Left in the current window (`u64::MAX` without a window).
    pub window: u64,
    /// Left over the session's lifetime.
    pub lifetime: u64,
}

/// Per-asset allowances of `session` at `now`, SOL first. All zero if it is not live.
pub fn remaining(session: &Session, wallet_nonce: Option<u64>, now: i64) -> Vec<Remaining> {
    let live = classify(session, wallet_nonce, now) == SessionState::Live;
    let assets = session
        .sol
        .iter()
        .map(|a| (None, a))
        .chain(session.mints.iter().map(|m| (Some(m.mint), &m.allowance)));
    assets
        .map(|(mint, a)| Remaining {
            mint,
            now: if live { a.available(now) } else { 0 },
            window: if live { a.window_remaining(now) } else { 0 },
            lifetime: if live { a.lifetime_remaining() } else { 0 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use session_keys::{
        policy::{Allowance, CapsArgs, WindowArgs, UNLIMITED_USES},
        state::MintAllowance,
    };

    /// A session with one mint: 50 over its lifetime, 20 per transfer, 30 per 60 s window,
    /// 25 spent in the first window; expires at 100, nonce 2, one use made.
    fn session_with_mint(mint: Pubkey) -> (Session, Wallet) {
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
            references: Default::default(),
            uses_window: None,
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
            budget_bump: 0,
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
        let (s, w) = session_with_mint(mint);
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

    /// A session with SOL caps of 10 over its lifetime (all spent if `lifetime_spent`),
    /// expiring at 100 under nonce 0.
    fn session(max_uses: u32, uses: u32, lifetime_spent: bool) -> Session {
        let mut sol = Allowance::from_args(
            &CapsArgs {
                lifetime: 10,
                per_instruction: None,
                window: None,
            },
            0,
        )
        .unwrap();
        if lifetime_spent {
            sol = sol.charged(10, 0).unwrap();
        }
        Session {
            references: Default::default(),
            uses_window: None,
            version: 1,
            bump: 255,
            owner: Pubkey::new_unique(),
            session_key: Pubkey::new_unique(),
            payer: Pubkey::new_unique(),
            created_at: 0,
            expires_at: 100,
            nonce: 0,
            max_uses,
            uses,
            sol: Some(sol),
            mints: vec![],
            destinations: vec![],
            programs: vec![],
            label: String::new(),
        }
    }

    #[test]
    fn closable_matches_close_session() {
        // Out of uses: exhausted and closable.
        let s = session(2, 2, false);
        assert_eq!(classify(&s, Some(0), 50), SessionState::Exhausted);
        assert!(classify(&s, Some(0), 50).closable(&s));
        // Lifetime spent but uses left: exhausted, yet close_session refuses it until expiry.
        let s = session(5, 1, true);
        assert_eq!(classify(&s, Some(0), 50), SessionState::Exhausted);
        assert!(!classify(&s, Some(0), 50).closable(&s));
        assert!(classify(&s, Some(0), 100).closable(&s));
        // Revoked by nonce, and live.
        let s = session(5, 1, false);
        assert!(classify(&s, Some(1), 50).closable(&s));
        assert!(!classify(&s, Some(0), 50).closable(&s));
    }

    #[test]
    fn classify_is_revoked_then_expired_then_exhausted_then_live() {
        let used_up = session(1, 1, false);
        assert_eq!(classify(&used_up, None, 500), SessionState::Revoked);
        assert_eq!(classify(&used_up, Some(1), 500), SessionState::Revoked);
        assert_eq!(classify(&used_up, Some(0), 100), SessionState::Expired);
        assert_eq!(classify(&used_up, Some(0), 99), SessionState::Exhausted);
        assert_eq!(
            classify(&session(1, 0, false), Some(0), 99),
            SessionState::Live
        );
    }

    #[test]
    fn a_live_session_is_one_the_program_would_let_act() {
        for (max_uses, uses, spent) in [(1, 0, false), (1, 1, false), (5, 1, true)] {
            let s = session(max_uses, uses, spent);
            for nonce in [0, 1] {
                for now in [0, 99, 100] {
                    let live = classify(&s, Some(nonce), now) == SessionState::Live;
                    if live {
                        assert_eq!(s.check_usable(now, nonce), Ok(()));
                    }
                    let r = remaining(&s, Some(nonce), now);
                    assert_eq!(r.len(), 1);
                    assert_eq!(r[0].lifetime != 0, live && !spent);
                }
            }
        }
    }
}
