//! `preview` (alias `check`): the program's own answer, through `simulateTransaction`, to
//! "what may this session key do?" and "would this transfer pass?". Nothing is signed or sent.
//!
//! Exit status: 0 when there is no action, or the action would pass; 3 when it would be
//! refused (the verdict is printed all the same); 1 when the preview itself cannot run (no
//! such session, bad input, RPC trouble).
use super::{
    budget::{asset_json, asset_of},
    readable,
    session_view::find_session,
    table,
    token::mint_info,
    utc, Ctx, Report, Res,
};
use crate::{
    amount,
    scope_file::{pubkey, SOL_DECIMALS},
};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use serde_json::{json, Value};
use session_keys::instructions::{CapsPreview, Preview, PreviewAction, SessionStatus};
use session_keys_client::{
    ix::{self, TokenTransfer},
    rpc::Verdict,
};

/// Exit status when the proposed action would be refused.
pub const REFUSED: i32 = 3;

/// The command line of `preview`.
pub(super) struct Request<'a> {
    /// The session's address.
    pub address: Option<&'a str>,
    /// The session key.
    pub key: Option<&'a str>,
    /// The owner.
    pub owner: Option<&'a str>,
    /// `--transfer-sol AMOUNT`.
    pub transfer_sol: Option<&'a str>,
    /// `--transfer-token AMOUNT`.
    pub transfer_token: Option<&'a str>,
    /// `--mint`.
    pub mint: Option<&'a str>,
    /// `--from`.
    pub from: Option<&'a str>,
    /// `--to`.
    pub to: Option<&'a str>,
    /// `--reference HEX`.
    pub reference: Option<&'a str>,
}

/// A payment reference: 16 or 32 bytes as 32 or 64 hex digits.
fn reference(text: &str) -> Res<Vec<u8>> {
    let bad = || {
        format!(
            "--reference: expected 16 or 32 bytes as 32 or 64 hex digits, got {} characters",
            text.len()
        )
    };
    if !text.is_ascii() || (text.len() != 32 && text.len() != 64) {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A proposed action: its preview instruction, its JSON and its description.
struct Action {
    instruction: Instruction,
    json: Value,
    text: String,
}

/// The action of the command line, if any.
async fn action(ctx: &Ctx, r: &Request<'_>, owner: &Pubkey, key: &Pubkey) -> Res<Option<Action>> {
    let reference = r.reference.map(reference).transpose()?;
    let refs = reference.as_deref();
    let with_ref = |text: String| match &reference {
        Some(bytes) => format!("{text} (reference {})", hex(bytes)),
        None => text,
    };
    match (r.transfer_sol, r.transfer_token) {
        (Some(amount_text), None) => {
            if r.mint.is_some() || r.from.is_some() {
                return Err(
                    "--mint and --from go with --transfer-token, not --transfer-sol".into(),
                );
            }
            let to = pubkey(r.to.ok_or("--transfer-sol needs --to ADDRESS")?, "--to")?;
            let lamports = amount::parse(amount_text, SOL_DECIMALS)
                .map_err(|e| format!("--transfer-sol: {e}"))?;
            Ok(Some(Action {
                instruction: ix::preview_transfer_sol(owner, key, &to, lamports, refs),
                json: json!({
                    "kind": "transferSol",
                    "amount": lamports,
                    "to": to.to_string(),
                    "reference": reference.as_deref().map(hex),
                }),
                text: with_ref(format!(
                    "transfer {} SOL from the vault to {to}",
                    amount::format(lamports, SOL_DECIMALS)
                )),
            }))
        }
        (None, Some(amount_text)) => {
            let (Some(mint), Some(from), Some(to)) = (r.mint, r.from, r.to) else {
                return Err("--transfer-token needs --mint, --from and --to".into());
            };
            let (mint, from, to) = (
                pubkey(mint, "--mint")?,
                pubkey(from, "--from")?,
                pubkey(to, "--to")?,
            );
            let (program, decimals) = mint_info(ctx, &mint).await?;
            let units = amount::parse(amount_text, decimals)
                .map_err(|e| format!("--transfer-token: {e}"))?;
            let t = TokenTransfer {
                from,
                mint,
                to,
                token_program: program,
            };
            Ok(Some(Action {
                instruction: ix::preview_transfer_token(owner, key, t, units, refs),
                json: json!({
                    "kind": "transferToken",
                    "amount": units,
                    "mint": mint.to_string(),
                    "from": from.to_string(),
                    "to": to.to_string(),
                    "reference": reference.as_deref().map(hex),
                }),
                text: with_ref(format!(
                    "transfer {} of {mint} from {from} to {to}",
                    amount::format(units, decimals)
                )),
            }))
        }
        (None, None) => {
            if r.mint.is_some() || r.from.is_some() || r.to.is_some() || r.reference.is_some() {
                return Err(
                    "--mint, --from, --to and --reference describe an action: give \
                     --transfer-sol AMOUNT or --transfer-token AMOUNT with them"
                        .into(),
                );
            }
            Ok(None)
        }
        (Some(_), Some(_)) => Err("give one action: --transfer-sol or --transfer-token".into()),
    }
}

/// The first of `candidates` that holds lamports: it pays the simulated fee (nothing is
/// charged, but the runtime checks the payer can pay).
async fn fee_payer(ctx: &Ctx, candidates: &[Pubkey]) -> Res<Pubkey> {
    for c in candidates {
        let lamports = ctx
            .client
            .rpc()
            .get_balance(c)
            .await
            .map_err(|e| readable(e.into()))?;
        if lamports > 0 {
            return Ok(*c);
        }
    }
    Err(
        "no account to pay for the simulation: neither the session key, the owner nor the \
         session's payer holds SOL"
            .into(),
    )
}

/// The verdict's JSON and text.
fn verdict(result: u64) -> (Value, String) {
    match Verdict::of(result) {
        Verdict::Passes => (
            json!({ "wouldPass": true, "error": null, "code": 0, "message": null }),
            "would pass".into(),
        ),
        Verdict::Refused(e) => {
            let code = session_keys_client::decode::error_code(e);
            (
                json!({ "wouldPass": false, "error": format!("{e:?}"), "code": code, "message": e.to_string() }),
                format!("would be refused: {e:?} (error {code}): {e}"),
            )
        }
        Verdict::Failed(code) => {
            let (name, message) = anchor_error(code);
            (
                json!({ "wouldPass": false, "error": name, "code": code, "message": message }),
                match (name, message) {
                    (Some(n), Some(m)) => format!("would fail: {n} (error {code}): {m}"),
                    _ => format!("would fail with error {code}"),
                },
            )
        }
    }
}

/// Anchor's account errors an action's accounts can raise, by code.
fn anchor_error(code: u64) -> (Option<String>, Option<String>) {
    use anchor_lang::error::ErrorCode as E;
    [
        E::AccountDiscriminatorMismatch,
        E::AccountDidNotDeserialize,
        E::AccountNotEnoughKeys,
        E::AccountOwnedByWrongProgram,
        E::InvalidProgramId,
        E::AccountNotInitialized,
    ]
    .into_iter()
    .find(|e| u64::from(*e as u32) == code)
    .map_or((None, None), |e| {
        (Some(format!("{e:?}")), Some(e.to_string()))
    })
}

fn status_name(s: SessionStatus) -> (&'static str, &'static str) {
    match s {
        SessionStatus::Live => ("live", "live"),
        SessionStatus::Expired => ("expired", "expired"),
        SessionStatus::Revoked => ("revoked", "revoked"),
        SessionStatus::OutOfUses => ("outOfUses", "out of uses"),
        SessionStatus::RateLimited => ("rateLimited", "rate limited"),
    }
}

/// Runs `preview`: the report and the exit status ([`REFUSED`] when the action would be).
pub(super) async fn run(ctx: &Ctx, r: Request<'_>) -> Res<(Report, i32)> {
    let (address, s) = find_session(ctx, r.address, r.key, r.owner).await?;
    let (owner, key) = (s.owner, s.session_key);
    let action = action(ctx, &r, &owner, &key).await?;
    let instruction = match &action {
        Some(a) => a.instruction.clone(),
        None => ix::preview(&owner, &key, PreviewAction::Status, vec![]),
    };
    let payer = fee_payer(ctx, &[key, owner, s.payer]).await?;
    let p: Preview = ctx
        .client
        .preview(instruction, &payer)
        .await
        .map_err(readable)?;
    let budget = ctx.client.budget(&owner).await.map_err(readable)?;
    let unlimited_budget = |asset: &Pubkey| {
        budget.as_ref().is_some_and(|b| {
            b.entries
                .iter()
                .any(|e| e.asset == *asset && e.allowance.lifetime_cap == u64::MAX)
        })
    };

    let (status_json, status_text) = status_name(p.status);
    let unlimited_uses = p.uses_remaining == u32::MAX;
    let rate = p.rate_reopens_at != 0;
    let mut text = format!(
        "session     {address}\nowner       {owner}\nsession key {key}\nat          {}\nstate       {status_text}\nexpires     {}\nuses left   {}\nrate limit  {}\n",
        utc(p.now),
        utc(p.expires_at),
        if unlimited_uses { "unlimited".to_owned() } else { p.uses_remaining.to_string() },
        if rate {
            format!("{} left in this window, which ends {}", p.rate_remaining, utc(p.rate_reopens_at))
        } else {
            "none".to_owned()
        },
    );
    let mut rows = vec![[
        "ASSET",
        "LARGEST NEXT SPEND",
        "SESSION LIFETIME LEFT",
        "SESSION WINDOW LEFT",
        "OWNER LIFETIME LEFT",
        "OWNER WINDOW LEFT",
    ]
    .map(String::from)
    .to_vec()];
    let mut assets = Vec::new();
    for a in &p.assets {
        let asset = asset_of(ctx, &a.asset).await;
        let f = |units| amount::format(units, asset.decimals);
        let window_cell = |c: &CapsPreview| {
            if c.window_reopens_at == 0 {
                "-".to_owned()
            } else {
                format!(
                    "{} until {}",
                    f(c.window_remaining),
                    utc(c.window_reopens_at)
                )
            }
        };
        let caps_json = |c: &CapsPreview, unlimited: bool| {
            let window = c.window_reopens_at != 0;
            json!({
                "lifetimeRemaining": (!unlimited).then_some(c.lifetime_remaining),
                "windowRemaining": window.then_some(c.window_remaining),
                "windowReopensAt": window.then_some(c.window_reopens_at),
            })
        };
        let owner_unlimited = unlimited_budget(&a.asset);
        assets.push(json!({
            "asset": asset_json(&a.asset),
            "largestNextSpend": a.largest_next_spend,
            "session": caps_json(&a.session, false),
            "budget": a.budget.as_ref().map(|b| caps_json(b, owner_unlimited)),
        }));
        rows.push(vec![
            asset.name.clone(),
            f(a.largest_next_spend),
            f(a.session.lifetime_remaining),
            window_cell(&a.session),
            match &a.budget {
                Some(_) if owner_unlimited => "-".to_owned(),
                Some(b) => f(b.lifetime_remaining),
                None => "no budget".to_owned(),
            },
            a.budget
                .as_ref()
                .map_or_else(|| "no budget".to_owned(), window_cell),
        ]);
    }
    if !p.assets.is_empty() {
        text.push('\n');
        text.push_str(&table(&rows));
    }
    let (verdict_json, verdict_text) = verdict(p.result);
    match &action {
        Some(a) => {
            text.push_str(&format!(
                "\naction      {}\nverdict     {verdict_text}\n",
                a.text
            ));
        }
        None if p.result != 0 => {
            text.push_str(&format!(
                "\nthe key cannot act: {}\n",
                verdict_text.trim_start_matches("would be refused: ")
            ));
        }
        None => {}
    }
    let json = json!({
        "session": address.to_string(),
        "owner": owner.to_string(),
        "sessionKey": key.to_string(),
        "now": p.now,
        "status": status_json,
        "expiresAt": p.expires_at,
        "usesRemaining": (!unlimited_uses).then_some(p.uses_remaining),
        "rateLimit": rate.then(|| json!({ "remaining": p.rate_remaining, "reopensAt": p.rate_reopens_at })),
        "assets": assets,
        "action": action.as_ref().map(|a| a.json.clone()),
        "verdict": verdict_json,
    });
    let code = if action.is_some() && p.result != 0 {
        REFUSED
    } else {
        0
    };
    Ok((Report { json, text }, code))
}
