//! `show`: one session's scope, caps, spending and what is left.
use super::{
    readable,
    session_view::{find_session, session_json, state_name},
    token::mint_info,
    utc, Ctx, Report, Res,
};
use crate::{amount, scope_file::SOL_DECIMALS};
use session_keys_client::rpc::{classify, remaining};

/// The session at `address`, or of `--key` and `--owner` (default: the keypair's).
pub(super) async fn run(
    ctx: &Ctx,
    address: Option<&str>,
    key: Option<&str>,
    owner: Option<&str>,
) -> Res<Report> {
    let (address, s) = find_session(ctx, address, key, owner).await?;
    let nonce = ctx
        .client
        .wallet(&s.owner)
        .await
        .map_err(readable)?
        .map(|w| w.nonce);
    let now = ctx.client.now().await.map_err(readable)?;
    let state = classify(&s, nonce, now);
    let left = remaining(&s, nonce, now);
    let json = session_json(&address, &s, state, &left, now);
    let mut text = format!(
        "session     {address}\nowner       {}\nsession key {}\nlabel       {}\nstate       {}\ncreated     {}\nexpires     {}\nuses        {}{}\n",
        s.owner,
        s.session_key,
        s.label,
        state_name(state),
        utc(s.created_at),
        utc(s.expires_at),
        s.uses,
        if s.max_uses == session_keys::policy::UNLIMITED_USES { String::new() } else { format!(" of {}", s.max_uses) },
    );
    for r in left {
        let (name, decimals) = match r.mint {
            None => ("SOL".to_owned(), SOL_DECIMALS),
            Some(m) => (
                m.to_string(),
                mint_info(ctx, &m).await.map_or(0, |(_, d)| d),
            ),
        };
        text.push_str(&format!(
            "{name}: {} now, {} over the lifetime{}\n",
            amount::format(r.now, decimals),
            amount::format(r.lifetime, decimals),
            if r.window == u64::MAX {
                String::new()
            } else {
                format!(
                    ", {} left in this window",
                    amount::format(r.window, decimals)
                )
            }
        ));
    }
    if let Some(w) = s.uses_window {
        text.push_str(&format!(
            "rate limit  {} per {} s, {} used in this window (until {})\n",
            w.max,
            w.seconds,
            w.used_at(now),
            utc(w.reopens_at(now))
        ));
    }
    if s.references.capacity > 0 {
        text.push_str(&format!(
            "references  the last {} are refused again\n",
            s.references.capacity
        ));
    }
    for d in &s.destinations {
        text.push_str(&format!("destination {d}\n"));
    }
    for p in &s.programs {
        text.push_str(&format!("program     {}\n", p.program_id));
    }
    Ok(Report { json, text })
}
