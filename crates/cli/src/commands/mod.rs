//! One module per command. Each returns a [`Report`]: a JSON document and the same facts as
//! text; errors are readable sentences (program errors by name, code and message).
//!
//! This module holds what they share: the dispatcher ([`run`]), the context a command runs in
//! (the client, the signer, the confirmation), [`readable`] errors, the date format and
//! [`table`];
//! `session_view` renders a session for `list` and `show`, `token` the mint and associated
//! token account reads of `create`, `show`, `deposit` and `withdraw`.
use crate::{config, scope_file::pubkey, BudgetAction, Cli, Command};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use serde_json::Value;
use session_keys_client::rpc::{self, SessionClient};
use solana_sdk::{signature::Keypair, signer::Signer};
use std::io::Write;

mod budget;
mod close_stale;
mod create;
mod deposit;
mod list;
mod preview;
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

/// Runs the command line: what to print, and the exit status (0, or 3 when `preview` says the
/// proposed action would be refused).
pub async fn run(cli: Cli) -> Res<(Report, i32)> {
    let url = config::url(cli.url.as_deref());
    let ctx = Ctx {
        client: SessionClient::new(&url),
        keypair_arg: cli.keypair,
        yes: cli.yes,
    };
    let report = match cli.command {
        Command::List { owner } => list::run(&ctx, owner.as_deref()).await,
        Command::Show {
            address,
            key,
            owner,
        } => show::run(&ctx, address.as_deref(), key.as_deref(), owner.as_deref()).await,
        Command::Create {
            key,
            scope,
            rate_limit,
            reference_history,
        } => {
            let guards = create::Guards {
                rate_limit: rate_limit.as_deref(),
                reference_history,
            };
            create::run(&ctx, &key, &scope, guards).await
        }
        Command::Revoke { key, owner } => revoke::run(&ctx, &key, owner.as_deref()).await,
        Command::RevokeAll => revoke_all::run(&ctx).await,
        Command::CloseStale { owner } => close_stale::run(&ctx, owner.as_deref()).await,
        Command::Deposit { amount, mint, from } => {
            deposit::run(&ctx, &amount, mint.as_deref(), from.as_deref()).await
        }
        Command::Withdraw { amount, mint, to } => {
            withdraw::run(&ctx, &amount, mint.as_deref(), to.as_deref()).await
        }
        Command::Budget { action } => match action {
            BudgetAction::Set {
                asset,
                lifetime,
                window,
            } => budget::set(&ctx, &asset, lifetime.as_deref(), window.as_deref()).await,
            BudgetAction::Show { owner } => budget::show(&ctx, owner.as_deref()).await,
            BudgetAction::Remove { asset } => budget::remove(&ctx, &asset).await,
        },
        Command::Preview {
            address,
            key,
            owner,
            transfer_sol,
            transfer_token,
            mint,
            from,
            to,
            reference,
        } => {
            let request = preview::Request {
                address: address.as_deref(),
                key: key.as_deref(),
                owner: owner.as_deref(),
                transfer_sol: transfer_sol.as_deref(),
                transfer_token: transfer_token.as_deref(),
                mint: mint.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                reference: reference.as_deref(),
            };
            return preview::run(&ctx, request).await;
        }
    }?;
    Ok((report, 0))
}

/// Rows as a table: columns left-aligned, padded to their widest cell, two spaces apart
/// (trailing spaces trimmed).
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
    fn tables_pad_every_column_to_its_widest_cell() {
        let rows = vec![
            vec!["A".to_owned(), "BB".to_owned(), "C".to_owned()],
            vec!["long".to_owned(), "x".to_owned(), "".to_owned()],
        ];
        assert_eq!(table(&rows), "A     BB  C\nlong  x\n");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
