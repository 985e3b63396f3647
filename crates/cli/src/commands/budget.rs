//! `budget set`, `budget show`, `budget remove`: the owner's caps across all of its sessions,
//! per asset (SOL, or a mint), with the same lifetime and window semantics as a session's caps.
use super::{readable, table, token::mint_info, utc, Ctx, Report, Res};
use crate::{
    amount,
    scope_file::{duration, pubkey, SOL_DECIMALS},
};
use anchor_lang::prelude::Pubkey;
use serde_json::{json, Value};
use session_keys::policy::{BudgetCapsArgs, WindowArgs, SOL_ASSET};
use session_keys_client::pda;
use solana_sdk::signer::Signer;

/// An asset as the operator names it: `sol` or a mint.
pub(super) struct Asset {
    /// Its budget address (all zeros for SOL).
    pub address: Pubkey,
    /// `SOL`, or the mint's address.
    pub name: String,
    /// Its decimals.
    pub decimals: u8,
}

/// `sol` (any case), or a mint whose decimals are read on chain.
pub(super) async fn asset(ctx: &Ctx, text: &str) -> Res<Asset> {
    if text.eq_ignore_ascii_case("sol") {
        return Ok(sol());
    }
    let mint = pubkey(text, "--asset").map_err(|e| format!("{e} (or `sol`)"))?;
    let (_, decimals) = mint_info(ctx, &mint).await?;
    Ok(Asset {
        address: mint,
        name: mint.to_string(),
        decimals,
    })
}

fn sol() -> Asset {
    Asset {
        address: SOL_ASSET,
        name: "SOL".into(),
        decimals: SOL_DECIMALS,
    }
}

/// The asset behind a budget address, for display (a mint that cannot be read shows base
/// units).
pub(super) async fn asset_of(ctx: &Ctx, address: &Pubkey) -> Asset {
    if *address == SOL_ASSET {
        return sol();
    }
    Asset {
        address: *address,
        name: address.to_string(),
        decimals: mint_info(ctx, address).await.map_or(0, |(_, d)| d),
    }
}

/// Reads `--window SECONDS:AMOUNT` (the seconds may be a duration: `1d:5`).
fn window(text: &str, decimals: u8) -> Res<WindowArgs> {
    let bad = || format!("--window: expected SECONDS:AMOUNT such as 86400:5 or 1d:5, got {text:?}");
    let (seconds, cap) = text.split_once(':').ok_or_else(bad)?;
    let seconds = u32::try_from(duration(seconds).map_err(|_| bad())?).map_err(|_| bad())?;
    let cap = amount::parse(cap, decimals).map_err(|e| format!("--window: {e}"))?;
    Ok(WindowArgs { seconds, cap })
}

/// `budget set`: the keypair (the owner) sets or changes the budget of `asset_text`.
pub(super) async fn set(
    ctx: &Ctx,
    asset_text: &str,
    lifetime: Option<&str>,
    window_text: Option<&str>,
) -> Res<Report> {
    if lifetime.is_none() && window_text.is_none() {
        return Err("budget set needs --lifetime AMOUNT, --window SECONDS:AMOUNT, or both".into());
    }
    let a = asset(ctx, asset_text).await?;
    let caps = BudgetCapsArgs {
        lifetime: lifetime
            .map(|l| amount::parse(l, a.decimals).map_err(|e| format!("--lifetime: {e}")))
            .transpose()?,
        window: window_text.map(|w| window(w, a.decimals)).transpose()?,
    };
    // The program's own check, before anything is signed.
    caps.allowance(None, 0).map_err(|e| {
        format!(
            "the budget is refused: {e:?} (error {}): {e}",
            session_keys_client::decode::error_code(e)
        )
    })?;
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let signature = ctx
        .send(
            &[session_keys_client::ix::set_budget(&o, &a.address, caps)],
            &[&owner],
        )
        .await?;
    let f = |units| amount::format(units, a.decimals);
    let mut what = Vec::new();
    if let Some(l) = caps.lifetime {
        what.push(format!("{} over its lifetime", f(l)));
    }
    if let Some(w) = caps.window {
        what.push(format!("{} per {} s", f(w.cap), w.seconds));
    }
    Ok(Report {
        json: json!({
            "signature": signature,
            "owner": o.to_string(),
            "asset": asset_json(&a.address),
            "lifetimeCap": caps.lifetime,
            "windowSeconds": caps.window.map(|w| w.seconds),
            "windowCap": caps.window.map(|w| w.cap),
        }),
        text: format!(
            "budget of {} for {o}: {}, across all of its sessions\nsignature {signature}\n",
            a.name,
            what.join(", ")
        ),
    })
}

/// `"sol"` or the mint's address, as the JSON documents name an asset.
pub(super) fn asset_json(address: &Pubkey) -> String {
    if *address == SOL_ASSET {
        "sol".into()
    } else {
        address.to_string()
    }
}

/// `budget show`: the budgets of `--owner` (default: the keypair's) at the cluster's time.
pub(super) async fn show(ctx: &Ctx, owner: Option<&str>) -> Res<Report> {
    let owner = ctx.owner(owner)?;
    let address = pda::budget(&owner).0;
    let budget = ctx.client.budget(&owner).await.map_err(readable)?;
    let now = ctx.client.now().await.map_err(readable)?;
    let entries = budget.map(|b| b.entries).unwrap_or_default();
    let mut assets = Vec::new();
    let mut rows = vec![[
        "ASSET",
        "LIFETIME CAP",
        "SPENT",
        "LIFETIME LEFT",
        "WINDOW",
        "WINDOW CAP",
        "WINDOW LEFT",
        "REOPENS",
    ]
    .map(String::from)
    .to_vec()];
    for e in &entries {
        let a = &e.allowance;
        let asset = asset_of(ctx, &e.asset).await;
        let f = |units| amount::format(units, asset.decimals);
        let limited = a.lifetime_cap != u64::MAX;
        let window = a.window_secs != 0;
        assets.push(json!({
            "asset": asset_json(&e.asset),
            "lifetimeCap": limited.then_some(a.lifetime_cap),
            "spent": a.spent,
            "lifetimeRemaining": limited.then_some(a.lifetime_remaining()),
            "windowSeconds": window.then_some(a.window_secs),
            "windowCap": window.then_some(a.window_cap),
            "windowSpent": window.then_some(a.window_spent_at(now)),
            "windowRemaining": window.then_some(a.window_remaining(now)),
            "windowReopensAt": a.window_reopens_at(now),
        }));
        let dash = || "-".to_owned();
        rows.push(vec![
            asset.name.clone(),
            if limited { f(a.lifetime_cap) } else { dash() },
            f(a.spent),
            if limited {
                f(a.lifetime_remaining())
            } else {
                dash()
            },
            if window {
                format!("{} s", a.window_secs)
            } else {
                dash()
            },
            if window { f(a.window_cap) } else { dash() },
            if window {
                f(a.window_remaining(now))
            } else {
                dash()
            },
            a.window_reopens_at(now).map_or_else(dash, utc),
        ]);
    }
    let text = if entries.is_empty() {
        format!("no budget for {owner}: each session spends within its own caps only\n")
    } else {
        format!(
            "budget {address} of {owner} at {}, across all of its sessions\n{}",
            utc(now),
            table(&rows)
        )
    };
    Ok(Report {
        json: json!({
            "owner": owner.to_string(),
            "address": address.to_string(),
            "now": now,
            "assets": Value::Array(assets),
        }),
        text,
    })
}

/// `budget remove`: the keypair (the owner) removes the budget of `asset_text`, after asking.
pub(super) async fn remove(ctx: &Ctx, asset_text: &str) -> Res<Report> {
    let a = asset(ctx, asset_text).await?;
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let budget = ctx.client.budget(&o).await.map_err(readable)?;
    let left = budget
        .as_ref()
        .map(|b| b.entries.iter().filter(|e| e.asset != a.address).count());
    if !budget.is_some_and(|b| b.entries.iter().any(|e| e.asset == a.address)) {
        return Err(format!(
            "no budget of {} for {o}: nothing to remove",
            a.name
        ));
    }
    ctx.confirm(&format!(
        "Remove the budget of {} for {o}? Its sessions then spend {} within their own caps only.",
        a.name, a.name
    ))?;
    let signature = ctx
        .send(
            &[session_keys_client::ix::remove_budget(&o, &a.address)],
            &[&owner],
        )
        .await?;
    let closed = left == Some(0);
    Ok(Report {
        json: json!({
            "signature": signature,
            "owner": o.to_string(),
            "asset": asset_json(&a.address),
            "closed": closed,
        }),
        text: format!(
            "removed the budget of {} for {o}{}\nsignature {signature}\n",
            a.name,
            if closed {
                " (its last: the budget account is closed, its rent returned)"
            } else {
                ""
            }
        ),
    })
}
