//! `session-keys`: the operator CLI of the session-keys program.
//!
//! ```text
//! session-keys list                         # the keypair owner's sessions and their state
//! session-keys show --key <SESSION_KEY>     # one session: scope, caps, what is left
//! session-keys create --key <KEY> --scope scope.toml
//! session-keys revoke --key <KEY>
//! session-keys revoke-all                   # incident response: every session, now
//! session-keys close-stale                  # close expired/revoked/used-up sessions, rent back
//! session-keys deposit 1.5                  # SOL into the vault (--mint M for tokens)
//! session-keys withdraw 1.5                 # SOL out of the vault (--mint M for tokens)
//! session-keys budget set --asset sol --window 1d:5   # the owner's cap across all sessions
//! session-keys budget show                  # the owner's budgets, spent and left
//! session-keys budget remove --asset sol
//! session-keys preview --key <KEY>          # (alias `check`) state, uses, allowances
//! session-keys check --key <KEY> --transfer-sol 0.1 --to <ADDR>   # would it pass?
//! ```
//! Global options: `--url` (or `-u`: a URL or `localhost`/`devnet`/`testnet`/`mainnet-beta`),
//! `--keypair` (`-k`), both defaulting to the Solana CLI's config and `~/.config/solana/id.json`;
//! `--output json`; `--yes` (`-y`) to skip the confirmation of destructive commands.
//! Exit status: 0 on success, 1 on any error (with a readable message on stderr), 2 on usage
//! errors, 3 when `preview` answers that the proposed action would be refused (the verdict is
//! on stdout).
mod amount;
mod commands;
mod config;
mod scope_file;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Operate session-keys wallets: list, inspect, create and revoke sessions, move funds.
#[derive(Parser, Debug)]
#[command(name = "session-keys", version)]
pub struct Cli {
    /// JSON-RPC URL or moniker (localhost, devnet, testnet, mainnet-beta). Default: the Solana
    /// CLI config's json_rpc_url, else http://127.0.0.1:8899.
    #[arg(long, short = 'u', global = true)]
    pub url: Option<String>,
    /// Signer keypair file. Default: the Solana CLI config's keypair_path, else
    /// ~/.config/solana/id.json.
    #[arg(long, short = 'k', global = true)]
    pub keypair: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Do not ask for confirmation before destructive commands.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable text.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List an owner's sessions with their state (live, expired, revoked, exhausted).
    List {
        /// Owner (default: the keypair's public key).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Show one session: scope, caps, spent and what is left.
    Show {
        /// The session account's address (or give --key).
        address: Option<String>,
        /// The session key (with the owner, default: the keypair's public key).
        #[arg(long)]
        key: Option<String>,
        /// Owner (default: the keypair's public key).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Create a session for a session key, scope from a TOML or JSON file (human amounts).
    Create {
        /// The session key's public key.
        #[arg(long)]
        key: String,
        /// Scope file (.toml or .json); see the README for its keys.
        #[arg(long)]
        scope: PathBuf,
        /// Rate limit: at most USES actions per recurring window of SECONDS (`10/60`, or
        /// `10/1m`); overrides the file's `rate_limit`.
        #[arg(long, value_name = "USES/SECONDS")]
        rate_limit: Option<String>,
        /// Remember the last N payment references (0 to 16) and refuse them again; overrides
        /// the file's `reference_history`. 0: the session takes no references.
        #[arg(long, value_name = "N")]
        reference_history: Option<u8>,
    },
    /// Revoke one session now (closes it, rent back to its payer). Signed by the owner or the
    /// session key.
    Revoke {
        /// The session key.
        #[arg(long)]
        key: String,
        /// Owner (default: the keypair's public key; give it when the keypair is the session
        /// key).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Incident response: revoke every session of the keypair's owner (a transaction of its
    /// own, which nothing listed can block), then the vault's delegation on each of the
    /// owner's real token accounts; reports what the program revoked and what it skipped.
    RevokeAll,
    /// Close every expired, revoked or used-up session of an owner; rent goes back to each payer.
    CloseStale {
        /// Owner (default: the keypair's public key). Anyone may close dead sessions.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Deposit SOL (or tokens with --mint) from the keypair into its vault.
    Deposit {
        /// Amount in SOL, or in the mint's units.
        amount: String,
        /// Token mint (default: SOL).
        #[arg(long)]
        mint: Option<String>,
        /// Source token account (default: the owner's associated token account).
        #[arg(long)]
        from: Option<String>,
    },
    /// Withdraw SOL (or tokens with --mint) from the keypair's vault.
    Withdraw {
        /// Amount in SOL, or in the mint's units.
        amount: String,
        /// Token mint (default: SOL).
        #[arg(long)]
        mint: Option<String>,
        /// Destination (default: the owner, or its associated token account).
        #[arg(long)]
        to: Option<String>,
    },
    /// The owner's budgets: caps per asset across all of its sessions (set, show, remove).
    ///
    /// A budget binds every session of the owner, now and later; the keypair (the owner)
    /// sets, changes and removes it.
    Budget {
        /// What to do with them.
        #[command(subcommand)]
        action: BudgetAction,
    },
    /// What may a session key do, and would this transfer pass? (a simulation: nothing is
    /// signed or sent)
    ///
    /// With no action: the session's state, uses, rate limit and per-asset allowances (the
    /// session's and the owner budget's, and the largest next spend). With --transfer-sol or
    /// --transfer-token: whether that transfer would pass, or the exact error the program
    /// would return. Exit status: 0 without an action or when it would pass, 3 when it would
    /// be refused (the verdict is printed all the same), 1 when the preview cannot run.
    #[command(visible_alias = "check")]
    Preview {
        /// The session account's address (or give --key).
        address: Option<String>,
        /// The session key (with the owner, default: the keypair's public key).
        #[arg(long)]
        key: Option<String>,
        /// Owner (default: the keypair's public key).
        #[arg(long)]
        owner: Option<String>,
        /// A SOL transfer from the vault to --to, in SOL.
        #[arg(long, value_name = "AMOUNT", conflicts_with = "transfer_token")]
        transfer_sol: Option<String>,
        /// A token transfer from --from to --to, in the --mint's units.
        #[arg(long, value_name = "AMOUNT")]
        transfer_token: Option<String>,
        /// The mint of --transfer-token.
        #[arg(long)]
        mint: Option<String>,
        /// Source token account of --transfer-token (the owner's, or a vault-owned one).
        #[arg(long)]
        from: Option<String>,
        /// Recipient: a SOL address, or the destination token account.
        #[arg(long)]
        to: Option<String>,
        /// Payment reference: 16 or 32 bytes as 32 or 64 hex digits.
        #[arg(long, value_name = "HEX")]
        reference: Option<String>,
    },
}

/// `budget` subcommands.
#[derive(Subcommand, Debug)]
pub enum BudgetAction {
    /// Set or change the budget of one asset (what was already spent stays counted).
    Set {
        /// `sol`, or a token mint.
        #[arg(long)]
        asset: String,
        /// Most all sessions together may ever move, in SOL or the mint's units.
        #[arg(long, value_name = "AMOUNT")]
        lifetime: Option<String>,
        /// Most all sessions together may move per recurring window: `SECONDS:AMOUNT`
        /// (`86400:5`, or `1d:5`; windows are aligned to the unix epoch, a day's at 00:00 UTC).
        #[arg(long, value_name = "SECONDS:AMOUNT")]
        window: Option<String>,
    },
    /// Show an owner's budgets: caps, spent and what is left, per asset.
    Show {
        /// Owner (default: the keypair's public key).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Remove the budget of one asset (asks first); removing the last closes the account and
    /// returns its rent.
    Remove {
        /// `sol`, or a token mint.
        #[arg(long)]
        asset: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let output = cli.output;
    match rt.block_on(commands::run(cli)) {
        Ok((report, code)) => {
            match output {
                Output::Json => println!("{}", report.json),
                Output::Text => print!("{}", report.text),
            }
            if code != 0 {
                std::process::exit(code);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
