//! `revoke-all`: incident response.
use super::{readable, Ctx, Report, Res};
use anchor_lang::prelude::Pubkey;
use serde_json::json;
use session_keys_client::rpc::SessionState;
use solana_sdk::signer::Signer;

/// Addresses or signatures as strings.
fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Incident response ([`SessionClient::revoke_all`]): every session dead in a first
/// transaction of its own, then the vault's delegation revoked on every real, unfrozen token
/// account of the owner. Reports what the program's events say was revoked and skipped.
///
/// [`SessionClient::revoke_all`]: session_keys_client::rpc::SessionClient::revoke_all
pub(super) async fn run(ctx: &Ctx) -> Res<Report> {
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let live = ctx
        .client
        .list_sessions(&o)
        .await
        .map_err(readable)?
        .into_iter()
        .filter(|s| s.state == SessionState::Live || s.state == SessionState::Exhausted)
        .count();
    let delegated = ctx
        .client
        .delegated_token_accounts(&o)
        .await
        .map_err(readable)?;
    ctx.confirm(&format!(
        "Revoke ALL sessions of {o} ({live} not yet dead) and the vault's delegation on {} token account(s)?",
        delegated.len()
    ))?;
    let r = ctx.client.revoke_all(&owner).await.map_err(readable)?;
    let signatures = strings(&r.signatures);
    // Not revoked: what the program skipped, and frozen accounts (never sent: the token
    // program cannot revoke on them).
    let mut not_revoked: Vec<(Pubkey, &str)> = r
        .skipped
        .iter()
        .map(|a| {
            (
                *a,
                "skipped by the program: not a revocable delegation to the vault",
            )
        })
        .collect();
    for a in &r.frozen {
        if !r.skipped.contains(a) {
            not_revoked.push((
                *a,
                "frozen: ask its freeze authority to thaw it, then run revoke-all again",
            ));
        }
    }
    let mut text = format!(
        "revoked every session of {o} (wallet nonce now {})\nvault delegation revoked on {} token account(s)\n",
        r.nonce,
        r.revoked.len()
    );
    for a in &r.revoked {
        text.push_str(&format!("  {a}\n"));
    }
    if !not_revoked.is_empty() {
        text.push_str(&format!(
            "vault delegation NOT revoked on {} token account(s):\n",
            not_revoked.len()
        ));
        for (a, why) in &not_revoked {
            text.push_str(&format!("  {a} ({why})\n"));
        }
    }
    text.push_str(&format!("signatures {}\n", signatures.join(", ")));
    if !r.failed.is_empty() {
        let mut e = text;
        for (accounts, err) in r.failed {
            e.push_str(&format!(
                "FAILED to revoke the vault's delegation on {}: {}\n",
                strings(&accounts).join(", "),
                readable(err)
            ));
        }
        e.push_str("every session is revoked; run revoke-all again for the delegations\n");
        return Err(e);
    }
    Ok(Report {
        json: json!({
            "signatures": signatures,
            "owner": o.to_string(),
            "nonce": r.nonce,
            "messageCounter": r.message_counter,
            "delegationsRevoked": strings(&r.revoked),
            "delegationsSkipped": not_revoked.iter().map(|(a, _)| a.to_string()).collect::<Vec<_>>(),
            "delegationsFrozen": strings(&r.frozen),
        }),
        text,
    })
}
