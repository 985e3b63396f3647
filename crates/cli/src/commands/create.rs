//! `create`: a session for a key, its scope from a TOML or JSON file.
use super::{
    readable,
    token::{associated, mint_info},
    utc, Ctx, Report, Res,
};
use crate::scope_file::{pubkey, RateLimitFile, ScopeFile};
use serde_json::json;
use session_keys_client::{
    ix::{self, DelegateFrom},
    pda,
};
use solana_sdk::signer::Signer;
use std::collections::HashMap;

/// The guardrails given on the command line, over the file's.
pub(super) struct Guards<'a> {
    /// `--rate-limit USES/SECONDS`.
    pub rate_limit: Option<&'a str>,
    /// `--reference-history N`.
    pub reference_history: Option<u8>,
}

/// Grants `key` the scope of the file at `path` (its rate limit and reference history
/// replaced by `guards` where given), signed and paid by the keypair (the owner).
pub(super) async fn run(
    ctx: &Ctx,
    key: &str,
    path: &std::path::Path,
    guards: Guards<'_>,
) -> Res<Report> {
    let key = pubkey(key, "--key")?;
    let mut file = ScopeFile::load(path)?;
    if let Some(r) = guards.rate_limit {
        file.rate_limit = Some(RateLimitFile::parse(r)?);
    }
    if let Some(n) = guards.reference_history {
        file.reference_history = Some(n);
    }
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let mut decimals = HashMap::new();
    let mut programs = HashMap::new();
    for mint in file.mints()? {
        let (program, d) = mint_info(ctx, &mint).await?;
        decimals.insert(mint, d);
        programs.insert(mint, program);
    }
    let now = ctx.client.now().await.map_err(readable)?;
    let mut scope = file.scope(now, &decimals)?;
    let mut delegate = None;
    if let Some(d) = &file.delegate {
        let mint = pubkey(&d.mint, "delegate.mint")?;
        let token_program = programs[&mint];
        let token_account = match &d.token_account {
            Some(a) => pubkey(a, "delegate.token_account")?,
            None => associated(&o, &mint, &token_program),
        };
        scope = scope.delegate(d.amount.base_units(decimals[&mint])?);
        delegate = Some(DelegateFrom {
            token_account,
            token_program,
        });
    }
    let args = scope.build(now).map_err(|e| {
        format!(
            "the scope is refused: {e:?} (error {}): {e}",
            session_keys_client::decode::error_code(e)
        )
    })?;
    let expires_at = args.expires_at;
    let signature = ctx
        .send(
            &[ix::create_session(&o, &o, &key, args, delegate)],
            &[&owner],
        )
        .await?;
    let address = pda::session(&o, &key).0;
    Ok(Report {
        json: json!({ "signature": signature, "session": address.to_string(), "expiresAt": expires_at }),
        text: format!(
            "created session {address} for key {key}, expires {}\nsignature {signature}\n",
            utc(expires_at)
        ),
    })
}
