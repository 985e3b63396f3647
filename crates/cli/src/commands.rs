//! One function per command. Each returns a [`Report`]: a JSON document and the same facts as
//! text; errors are readable sentences (program errors by name, code and message).
use crate::{
    amount, config,
    scope_file::{pubkey, ScopeFile, SOL_DECIMALS},
    Cli, Command,
};
use anchor_lang::{
    prelude::Pubkey,
    solana_program::instruction::{AccountMeta, Instruction},
};
use anchor_spl::token_2022::spl_token_2022;
use serde_json::{json, Value};
use session_keys::state::Session;
use session_keys_client::{
    ix::{self, DelegateFrom, TokenTransfer},
    pda,
    rpc::{self, remaining, SessionClient, SessionInfo, SessionState},
};
use solana_sdk::{signature::Keypair, signer::Signer};
use std::{collections::HashMap, io::Write};

/// What a command prints.
pub struct Report {
    /// `--output json`.
    pub json: Value,
    /// `--output text`.
    pub text: String,
}

type Res<T> = Result<T, String>;

/// SPL Token.
const TOKEN: Pubkey = anchor_spl::token::ID;
/// Token-2022.
const TOKEN_2022: Pubkey = spl_token_2022::ID;
/// Associated Token Account program.
const ATA: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
/// Closes per transaction in `close-stale`.
const CLOSES_PER_TX: usize = 4;

/// A program, RPC or account error as one sentence.
pub fn readable(e: rpc::Error) -> String {
    match e {
        rpc::Error::Program { error, instruction } => format!(
            "the session-keys program refused instruction {instruction}: {error:?} (error {}): {error}",
            session_keys_client::decode::error_code(error)
        ),
        rpc::Error::Transaction(t) => format!("the transaction failed: {t}"),
        rpc::Error::Rpc(c) => format!("RPC request failed: {c}"),
        rpc::Error::Account(s) => s,
    }
}

struct Ctx {
    client: SessionClient,
    keypair_arg: Option<std::path::PathBuf>,
    yes: bool,
}

impl Ctx {
    fn signer(&self) -> Res<Keypair> {
        config::read_keypair(&config::keypair_path(self.keypair_arg.as_deref())?)
    }

    /// `--owner`, else the keypair's public key.
    fn owner(&self, arg: Option<&str>) -> Res<Pubkey> {
        match arg {
            Some(o) => pubkey(o, "--owner"),
            None => Ok(self.signer()?.pubkey()),
        }
    }

    /// Asks before a destructive command, unless `--yes`.
    fn confirm(&self, question: &str) -> Res<()> {
        if self.yes {
            return Ok(());
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err("aborted: nothing was sent (pass --yes to skip this question)".into()),
        }
    }

    async fn send(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Res<String> {
        self.client
            .send(ixs, signers)
            .await
            .map(|s| s.to_string())
            .map_err(readable)
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Res<Report> {
    let url = config::url(cli.url.as_deref());
    let ctx = Ctx {
        client: SessionClient::new(&url),
        keypair_arg: cli.keypair,
        yes: cli.yes,
    };
    match cli.command {
        Command::List { owner } => list(&ctx, owner.as_deref()).await,
        Command::Show {
            address,
            key,
            owner,
        } => show(&ctx, address.as_deref(), key.as_deref(), owner.as_deref()).await,
        Command::Create { key, scope } => create(&ctx, &key, &scope).await,
        Command::Revoke { key, owner } => revoke(&ctx, &key, owner.as_deref()).await,
        Command::RevokeAll => revoke_all(&ctx).await,
        Command::CloseStale { owner } => close_stale(&ctx, owner.as_deref()).await,
        Command::Deposit { amount, mint, from } => {
            deposit(&ctx, &amount, mint.as_deref(), from.as_deref()).await
        }
        Command::Withdraw { amount, mint, to } => {
            withdraw(&ctx, &amount, mint.as_deref(), to.as_deref()).await
        }
    }
}

/// `2027-01-15 08:00:00 UTC` from unix seconds (`unix {t}` outside years 1970 to 9999): the
/// program's own formatter, the one signed grant messages use.
pub fn utc(t: i64) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = session_keys::policy::message::write_date(&mut out, t);
    out
}

fn state_name(s: SessionState) -> &'static str {
    match s {
        SessionState::Live => "live",
        SessionState::Expired => "expired",
        SessionState::Revoked => "revoked",
        SessionState::Exhausted => "exhausted",
    }
}

fn session_json(
    address: &Pubkey,
    s: &Session,
    state: SessionState,
    nonce: Option<u64>,
    now: i64,
) -> Value {
    let left: Vec<Value> = remaining(s, nonce, now)
        .into_iter()
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
        "remaining": left,
    })
}

async fn list(ctx: &Ctx, owner: Option<&str>) -> Res<Report> {
    let owner = ctx.owner(owner)?;
    let sessions = ctx.client.list_sessions(&owner).await.map_err(readable)?;
    let nonce = ctx
        .client
        .wallet(&owner)
        .await
        .map_err(readable)?
        .map(|w| w.nonce);
    let now = ctx.client.now().await.map_err(readable)?;
    let json = Value::Array(
        sessions
            .iter()
            .map(|i| session_json(&i.address, &i.session, i.state, nonce, now))
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

async fn show(
    ctx: &Ctx,
    address: Option<&str>,
    key: Option<&str>,
    owner: Option<&str>,
) -> Res<Report> {
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
    let nonce = ctx
        .client
        .wallet(&s.owner)
        .await
        .map_err(readable)?
        .map(|w| w.nonce);
    let now = ctx.client.now().await.map_err(readable)?;
    let state = rpc::classify(&s, nonce, now);
    let json = session_json(&address, &s, state, nonce, now);
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
    for r in remaining(&s, nonce, now) {
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
    for d in &s.destinations {
        text.push_str(&format!("destination {d}\n"));
    }
    for p in &s.programs {
        text.push_str(&format!("program     {}\n", p.program_id));
    }
    Ok(Report { json, text })
}

/// Token program and decimals of `mint`.
async fn mint_info(ctx: &Ctx, mint: &Pubkey) -> Res<(Pubkey, u8)> {
    let account = ctx
        .client
        .rpc()
        .get_account(mint)
        .await
        .map_err(|e| format!("cannot read mint {mint}: {e}"))?;
    if account.owner != TOKEN && account.owner != TOKEN_2022 {
        return Err(format!(
            "{mint} is not a token mint (owned by {})",
            account.owner
        ));
    }
    // Mint layout: decimals at byte 44 (after mint authority and supply).
    let decimals = *account
        .data
        .get(44)
        .ok_or_else(|| format!("{mint} is not a token mint"))?;
    Ok((account.owner, decimals))
}

fn associated(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ATA,
    )
    .0
}

/// The ATA program's `CreateIdempotent`.
fn create_associated(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ATA,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated(owner, mint, token_program), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}

async fn create(ctx: &Ctx, key: &str, path: &std::path::Path) -> Res<Report> {
    let key = pubkey(key, "--key")?;
    let file = ScopeFile::load(path)?;
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

async fn revoke(ctx: &Ctx, key: &str, owner: Option<&str>) -> Res<Report> {
    let key = pubkey(key, "--key")?;
    let authority = ctx.signer()?;
    let owner = match owner {
        Some(o) => pubkey(o, "--owner")?,
        None => authority.pubkey(),
    };
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

/// Addresses or signatures as strings.
fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Incident response ([`SessionClient::revoke_all`]): every session dead in a first
/// transaction of its own, then the vault's delegation revoked on every real, unfrozen token
/// account of the owner. Reports what the program's events say was revoked and skipped.
async fn revoke_all(ctx: &Ctx) -> Res<Report> {
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

async fn close_stale(ctx: &Ctx, owner: Option<&str>) -> Res<Report> {
    let payer = ctx.signer()?;
    let owner = match owner {
        Some(o) => pubkey(o, "--owner")?,
        None => payer.pubkey(),
    };
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

async fn deposit(
    ctx: &Ctx,
    amount_text: &str,
    mint: Option<&str>,
    from: Option<&str>,
) -> Res<Report> {
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let (ixs, what) = match mint {
        None => {
            let lamports = amount::parse(amount_text, SOL_DECIMALS)?;
            (
                vec![ix::deposit_sol(&o, lamports)],
                format!("{amount_text} SOL"),
            )
        }
        Some(m) => {
            let mint = pubkey(m, "--mint")?;
            let (program, decimals) = mint_info(ctx, &mint).await?;
            let units = amount::parse(amount_text, decimals)?;
            let from = match from {
                Some(f) => pubkey(f, "--from")?,
                None => associated(&o, &mint, &program),
            };
            let to = associated(&vault, &mint, &program);
            let transfer = spl_token_2022::instruction::transfer_checked(
                &program,
                &from,
                &mint,
                &to,
                &o,
                &[],
                units,
                decimals,
            )
            .map_err(|e| format!("cannot build the transfer: {e}"))?;
            (
                vec![create_associated(&o, &vault, &mint, &program), transfer],
                format!("{amount_text} of {mint}"),
            )
        }
    };
    let signature = ctx.send(&ixs, &[&owner]).await?;
    Ok(Report {
        json: json!({ "signature": signature, "vault": vault.to_string() }),
        text: format!("deposited {what} into vault {vault}\nsignature {signature}\n"),
    })
}

async fn withdraw(
    ctx: &Ctx,
    amount_text: &str,
    mint: Option<&str>,
    to: Option<&str>,
) -> Res<Report> {
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let (ixs, what, dest) = match mint {
        None => {
            let lamports = amount::parse(amount_text, SOL_DECIMALS)?;
            let to = to.map_or(Ok(o), |t| pubkey(t, "--to"))?;
            (
                vec![ix::withdraw_sol(&o, &to, lamports)],
                format!("{amount_text} SOL"),
                to,
            )
        }
        Some(m) => {
            let mint = pubkey(m, "--mint")?;
            let (program, decimals) = mint_info(ctx, &mint).await?;
            let units = amount::parse(amount_text, decimals)?;
            let mut ixs = Vec::new();
            let to = match to {
                Some(t) => pubkey(t, "--to")?,
                None => {
                    ixs.push(create_associated(&o, &o, &mint, &program));
                    associated(&o, &mint, &program)
                }
            };
            let t = TokenTransfer {
                from: associated(&vault, &mint, &program),
                mint,
                to,
                token_program: program,
            };
            ixs.push(ix::withdraw_token(&o, t, units, decimals));
            (ixs, format!("{amount_text} of {mint}"), to)
        }
    };
    ctx.confirm(&format!("Withdraw {what} from vault {vault} to {dest}?"))?;
    let signature = ctx.send(&ixs, &[&owner]).await?;
    Ok(Report {
        json: json!({ "signature": signature, "to": dest.to_string() }),
        text: format!("withdrew {what} from vault {vault} to {dest}\nsignature {signature}\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
