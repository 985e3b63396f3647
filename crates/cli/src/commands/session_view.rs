//! A session as `list`, `show` and `preview` find and print it: the session named on the
//! command line, its state's name and its JSON document.
use super::{readable, Ctx, Res};
use crate::scope_file::pubkey;
use anchor_lang::prelude::Pubkey;
use serde_json::{json, Value};
use session_keys::state::Session;
use session_keys_client::{
    pda,
    rpc::{Remaining, SessionState},
};

/// The session at `address`, or of `--key` and `--owner` (default: the keypair's), with its
/// address; a readable error if neither or both are given, or if there is none.
pub(super) async fn find_session(
    ctx: &Ctx,
    address: Option<&str>,
    key: Option<&str>,
    owner: Option<&str>,
) -> Res<(Pubkey, Session)> {
    let address = match (address, key) {
        (Some(a), None) => pubkey(a, "address")?,
        (None, Some(k)) => pda::session(&ctx.owner(owner)?, &pubkey(k, "--key")?).0,
        _ => return Err("give either the session's address or --key".into()),
    };
    let s = ctx
        .client
        .session_at(&address)
        .await
        .map_err(readable)?
        .ok_or_else(|| format!("no session at {address} (never created, revoked or closed)"))?;
    Ok((address, s))
}

/// The state as the CLI prints it.
pub(super) fn state_name(s: SessionState) -> &'static str {
    match s {
        SessionState::Live => "live",
        SessionState::Expired => "expired",
        SessionState::Revoked => "revoked",
        SessionState::Exhausted => "exhausted",
    }
}

/// The JSON document of the session `s` at `address`, in `state` at `now`, with what it may
/// still move (`left`, from [`session_keys_client::rpc::remaining`]).
pub(super) fn session_json(
    address: &Pubkey,
    s: &Session,
    state: SessionState,
    left: &[Remaining],
    now: i64,
) -> Value {
    let left: Vec<Value> = left
        .iter()
        .map(|r| {
            json!({
                "mint": r.mint.map(|m| m.to_string()),
                "availableNow": r.now,
                "windowRemaining": (r.window != u64::MAX).then_some(r.window),
                "lifetimeRemaining": r.lifetime,
            })
        })
        .collect();
    let allowance = |a: &session_keys::policy::Allowance| {
        json!({
            "lifetimeCap": a.lifetime_cap,
            "spent": a.spent,
            "windowSeconds": a.window_secs,
            "windowCap": (a.window_secs != 0).then_some(a.window_cap),
            "windowSpent": a.window_spent_at(now),
        })
    };
    json!({
        "address": address.to_string(),
        "owner": s.owner.to_string(),
        "sessionKey": s.session_key.to_string(),
        "payer": s.payer.to_string(),
        "label": s.label,
        "state": state_name(state),
        "createdAt": s.created_at,
        "expiresAt": s.expires_at,
        "uses": s.uses,
        "maxUses": (s.max_uses != session_keys::policy::UNLIMITED_USES).then_some(s.max_uses),
        "sol": s.sol.as_ref().map(allowance),
        "mints": s.mints.iter().map(|m| {
            let mut v = allowance(&m.allowance);
            v["mint"] = json!(m.mint.to_string());
            v
        }).collect::<Vec<_>>(),
        "destinations": s.destinations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "programs": s.programs.iter().map(|p| p.program_id.to_string()).collect::<Vec<_>>(),
        "rateLimit": s.uses_window.map(|w| json!({
            "uses": w.max,
            "seconds": w.seconds,
            "usedInWindow": w.used_at(now),
            "reopensAt": w.reopens_at(now),
        })),
        "referenceHistory": s.references.capacity,
        "remaining": left,
    })
}
