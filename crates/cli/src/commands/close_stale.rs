//! `close-stale`: every dead session of an owner closed, rent back to each payer.
use super::{readable, Ctx, Report, Res};
use crate::{amount, scope_file::SOL_DECIMALS};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use serde_json::json;
use session_keys_client::{ix, rpc::SessionInfo};
use std::collections::HashMap;

/// Closes per transaction.
const CLOSES_PER_TX: usize = 4;

/// Closes every expired, revoked or used-up session of `--owner` (default: the keypair's),
/// after asking; anyone may pay for it.
pub(super) async fn run(ctx: &Ctx, owner: Option<&str>) -> Res<Report> {
    let (payer, owner) = ctx.signer_and_owner(owner)?;
    let stale: Vec<SessionInfo> = ctx
        .client
        .list_sessions(&owner)
        .await
        .map_err(readable)?
        .into_iter()
        .filter(|s| s.state.closable(&s.session))
        .collect();
    if stale.is_empty() {
        return Ok(Report {
            json: json!({ "closed": [], "signatures": [] }),
            text: format!("no expired, revoked or used-up session of {owner}\n"),
        });
    }
    ctx.confirm(&format!(
        "Close {} expired, revoked or used-up session(s) of {owner}?",
        stale.len()
    ))?;
    let mut signatures = Vec::new();
    let mut rent: HashMap<Pubkey, u64> = HashMap::new();
    for chunk in stale.chunks(CLOSES_PER_TX) {
        let ixs: Vec<Instruction> = chunk
            .iter()
            .map(|s| ix::close_session(&owner, &s.session.session_key, &s.session.payer))
            .collect();
        signatures.push(ctx.send(&ixs, &[&payer]).await?);
        for s in chunk {
            *rent.entry(s.session.payer).or_default() += s.lamports;
        }
    }
    let mut text = format!("closed {} session(s) of {owner}\n", stale.len());
    for (p, lamports) in &rent {
        text.push_str(&format!(
            "  {} SOL of rent back to {p}\n",
            amount::format(*lamports, SOL_DECIMALS)
        ));
    }
    Ok(Report {
        json: json!({
            "closed": stale.iter().map(|s| s.address.to_string()).collect::<Vec<_>>(),
            "rent": rent.iter().map(|(p, l)| (p.to_string(), json!(l))).collect::<serde_json::Map<_, _>>(),
            "signatures": signatures,
        }),
        text,
    })
}
