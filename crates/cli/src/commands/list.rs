//! `list`: an owner's sessions with their state.
use super::{
    readable,
    session_view::{session_json, state_name},
    utc, Ctx, Report, Res,
};
use serde_json::Value;
use session_keys_client::rpc::{remaining, Listing, SessionInfo};

/// Every session of `--owner` (default: the keypair's), classified and with what each may
/// still move, under one read of the wallet nonce and the clock.
pub(super) async fn run(ctx: &Ctx, owner: Option<&str>) -> Res<Report> {
    let owner = ctx.owner(owner)?;
    let Listing {
        sessions,
        wallet_nonce: nonce,
        now,
    } = ctx.client.listing(&owner).await.map_err(readable)?;
    let json = Value::Array(
        sessions
            .iter()
            .map(|i| {
                let left = remaining(&i.session, nonce, now);
                session_json(&i.address, &i.session, i.state, &left, now)
            })
            .collect(),
    );
    let mut text = format!("{} session(s) of {owner} at {}\n", sessions.len(), utc(now));
    for SessionInfo {
        address,
        session: s,
        state,
        ..
    } in &sessions
    {
        let uses = if s.max_uses == session_keys::policy::UNLIMITED_USES {
            format!("{}", s.uses)
        } else {
            format!("{}/{}", s.uses, s.max_uses)
        };
        text.push_str(&format!(
            "{address}  key {}  {:<9}  expires {}  uses {uses}  {}\n",
            s.session_key,
            state_name(*state),
            utc(s.expires_at),
            s.label
        ));
    }
    Ok(Report { json, text })
}
