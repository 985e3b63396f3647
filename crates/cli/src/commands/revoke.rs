//! `revoke`: one session, now, signed by its owner or its session key.
use super::{readable, Ctx, Report, Res};
use crate::scope_file::pubkey;
use serde_json::json;
use session_keys_client::{ix, pda};
use solana_sdk::signer::Signer;

/// Revokes the session of `--key` and `--owner` (default: the keypair's), after asking;
/// the rent goes back to its payer.
pub(super) async fn run(ctx: &Ctx, key: &str, owner: Option<&str>) -> Res<Report> {
    let key = pubkey(key, "--key")?;
    let (authority, owner) = ctx.signer_and_owner(owner)?;
    let address = pda::session(&owner, &key).0;
    let s = ctx
        .client
        .session_at(&address)
        .await
        .map_err(readable)?
        .ok_or_else(|| {
            format!("no session of {owner} for key {key} (already revoked or closed?)")
        })?;
    ctx.confirm(&format!(
        "Revoke session {address} ({}) of key {key}?",
        s.label
    ))?;
    let signature = ctx
        .send(
            &[ix::revoke_session(
                &authority.pubkey(),
                &owner,
                &key,
                &s.payer,
            )],
            &[&authority],
        )
        .await?;
    Ok(Report {
        json: json!({ "signature": signature, "revoked": address.to_string() }),
        text: format!(
            "revoked session {address}; rent returned to {}\nsignature {signature}\n",
            s.payer
        ),
    })
}
