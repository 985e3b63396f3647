//! One module per command. Each returns a [`Report`]: a JSON document and the same facts as
//! text; errors are readable sentences (program errors by name, code and message).
//!
//! This module holds what they share: the dispatcher ([`run`]), the context a command runs in
//! (the client, the signer, the confirmation), [`readable`] errors and the date format;
//! `session_view` renders a session for `list` and `show`, `token` the mint and associated
//! token account reads of `create`, `show`, `deposit` and `withdraw`.
use crate::{config, scope_file::pubkey, Cli, Command};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use serde_json::Value;
use session_keys_client::rpc::{self, SessionClient};
use solana_sdk::{signature::Keypair, signer::Signer};
use std::io::Write;

mod close_stale;
mod create;
mod deposit;
mod list;
mod revoke;
mod revoke_all;
mod session_view;
mod show;
mod token;
mod withdraw;

/// What a command prints.
pub struct Report {
    /// `--output json`.
    pub json: Value,
    /// `--output text`.
    pub text: String,
}

type Res<T> = Result<T, String>;

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
        rpc::Error::FeePayer(f) => f.to_string(),
    }
}

/// What every command runs with: the client, the keypair argument and `--yes`.
struct Ctx {
    client: SessionClient,
    keypair_arg: Option<std::path::PathBuf>,
    yes: bool,
}

/// `--owner`, else `signer()`'s key (read only when there is no `--owner`).
fn owner_or(arg: Option<&str>, signer: impl FnOnce() -> Res<Pubkey>) -> Res<Pubkey> {
    match arg {
        Some(o) => pubkey(o, "--owner"),
        None => signer(),
    }
}

impl Ctx {
    fn signer(&self) -> Res<Keypair> {
        config::read_keypair(&config::keypair_path(self.keypair_arg.as_deref())?)
    }

    /// `--owner`, else the keypair's public key.
    fn owner(&self, arg: Option<&str>) -> Res<Pubkey> {
        owner_or(arg, || Ok(self.signer()?.pubkey()))
    }

    /// The keypair, and `--owner` (default: the keypair's public key), for the commands the
    /// keypair signs on behalf of an owner it need not be (`revoke`, `close-stale`).
    fn signer_and_owner(&self, arg: Option<&str>) -> Res<(Keypair, Pubkey)> {
        let signer = self.signer()?;
        let owner = owner_or(arg, || Ok(signer.pubkey()))?;
        Ok((signer, owner))
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
        Command::List { owner } => list::run(&ctx, owner.as_deref()).await,
        Command::Show {
            address,
            key,
            owner,
        } => show::run(&ctx, address.as_deref(), key.as_deref(), owner.as_deref()).await,
        Command::Create { key, scope } => create::run(&ctx, &key, &scope).await,
        Command::Revoke { key, owner } => revoke::run(&ctx, &key, owner.as_deref()).await,
        Command::RevokeAll => revoke_all::run(&ctx).await,
        Command::CloseStale { owner } => close_stale::run(&ctx, owner.as_deref()).await,
        Command::Deposit { amount, mint, from } => {
            deposit::run(&ctx, &amount, mint.as_deref(), from.as_deref()).await
        }
        Command::Withdraw { amount, mint, to } => {
            withdraw::run(&ctx, &amount, mint.as_deref(), to.as_deref()).await
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
