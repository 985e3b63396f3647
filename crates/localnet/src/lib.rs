//! # localnet: the session-keys programs behind a standard Solana JSON-RPC endpoint
//!
//! `cargo run -p localnet` (or `target/debug/localnet` once any workspace build made it)
//! starts the real runtime of `solana-program-test` 3.1 with the native builds of
//! `session-keys`, `example-game` and `hostile-target`, plus the bundled sBPF builds of SPL
//! Token, Token-2022, Associated Token, Memo and Address Lookup Table, and serves:
//!
//! - JSON-RPC over HTTP on `http://127.0.0.1:8899` (`--port N` to change it), and
//! - the PubSub WebSocket on the next port, `ws://127.0.0.1:8900`.
//!
//! It prints the URLs, the program ids and the faucet at startup, and stops cleanly on Ctrl-C.
//! Clients talk to it exactly as to `solana-test-validator`: `solana-rpc-client`'s `RpcClient`,
//! `@solana/kit`'s `createSolanaRpc`, `curl`.
//!
//! ## Methods
//! `getVersion`, `getHealth`, `getGenesisHash`, `getIdentity`, `getSlot`, `getBlockHeight`,
//! `getTransactionCount`, `getEpochInfo`, `getEpochSchedule`, `getLatestBlockhash`,
//! `isBlockhashValid`, `getFeeForMessage`, `getMinimumBalanceForRentExemption`, `getBalance`,
//! `getAccountInfo`, `getMultipleAccounts`, `getProgramAccounts`, `getTokenAccountBalance`,
//! `getTokenAccountsByOwner`, `requestAirdrop`, `sendTransaction`, `simulateTransaction`,
//! `getSignatureStatuses`, `getTransaction`, `getSignaturesForAddress`, and the extra
//! `localnet_setClock`. Commitment parameters are accepted and ignored (everything is
//! finalized), except that `getSlot` answers the working slot for `processed` and its rooted
//! parent otherwise (a slot whose hash is in SlotHashes, as a lookup table's `recent_slot`
//! needs). PubSub: `signatureSubscribe`, `slotSubscribe` and their unsubscribes.
//!
//! ## What is different from a validator
//! - **In memory only.** There is no ledger and no `--ledger` option: state lives as long as the
//!   process.
//! - **Synchronous.** `sendTransaction` verifies, simulates (the preflight, unless
//!   `skipPreflight`), processes and roots the transaction before it answers, then moves the
//!   bank to the next slot. A signature's status is `finalized` as soon as it is known, so the
//!   polling loop of `solana-rpc-client`'s `send_and_confirm_transaction` and kit's
//!   `sendAndConfirmTransactionFactory` (which uses `signatureSubscribe` and `slotSubscribe`)
//!   both return at once.
//! - **`getProgramAccounts` and `getTokenAccountsByOwner` scan an index**, not the bank (solana-program-test keeps its bank
//!   forks private): every address known at genesis and every account of every transaction
//!   the localnet processed. Accounts written only by `set_account`-style tricks would be
//!   missed; nothing in this crate does that. `memcmp`, `dataSize` and `tokenAccountState`
//!   filters, `dataSlice`, `withContext`, and the `base58`, `base64`, `base64+zstd` and
//!   `jsonParsed` encodings work. `getSignaturesForAddress` and `getTransaction` know the
//!   transactions sent to this localnet (no memos, no rewards).
//! - **Clock.** The Clock sysvar's unix time follows the machine's clock until
//!   `localnet_setClock` freezes it (see below). Slots advance by one per transaction.
//! - **Blockhashes** age with activity, not with wall time: the bank keeps the last 150, each
//!   transaction adds one (its new slot) and solana-program-test adds one per 6.4 ms of
//!   request handling (at most about one per request). A blockhash fetched before a burst
//!   survives a few dozen fetch-send-confirm rounds (about 45 measured), or any idle time;
//!   fetch a fresh one per transaction, as on a real cluster.
//! - `simulateTransaction` returns logs, error, units, return data, the fee, loaded addresses
//!   and (with `innerInstructions: true`) inner instructions, but not post-simulation
//!   `accounts` (refused with -32602). `getTransaction` supports `json`, `base64` and `base58`,
//!   not `jsonParsed`.
//! - Logs are a validator's: the test harness's syscall stubs put the program's events
//!   (`emit!`) in the log as `Program data: <base64>` lines, and its `normalize_logs` merges
//!   the repeated `invoke`/`success` lines solana-program-test writes for native programs.
//!   Native programs consume no compute units (only the sBPF programs they call are metered).
//!
//! ## The extra method: `localnet_setClock`
//! ```text
//! {"jsonrpc":"2.0","id":1,"method":"localnet_setClock","params":[{"unixTimestamp":1800000000}]}
//! {"jsonrpc":"2.0","id":1,"method":"localnet_setClock","params":[{"slot":500}]}
//! {"jsonrpc":"2.0","id":1,"method":"localnet_setClock","params":[{"wallClock":true}]}
//! ```
//! `unixTimestamp` freezes the Clock sysvar's unix time at that value (until the next call),
//! `slot` warps the bank forward to that slot (a fresh blockhash, same frozen time), and
//! `wallClock: true` lets the time follow the machine's clock again. The answer is the Clock
//! as it now is: `{"slot", "epoch", "unixTimestamp", "frozen"}`.
//!
//! ## Errors
//! Nothing a client sends stops the server. Malformed JSON gets -32700, a request that is not
//! JSON-RPC -32600, an unknown method -32601, bad parameters or an undecodable transaction
//! -32602, a bad signature -32003, a failing preflight -32002 with the simulation in `data`, a
//! v0 transaction asked for without `maxSupportedTransactionVersion` -32015, exactly as a real
//! node answers. Bodies over [`MAX_BODY`] bytes get HTTP 413 with -32600.
//!
//! Nor can a client that stops talking stall it: each connection has its own thread, a
//! request's headers must arrive within [`HEAD_DEADLINE`] (5 s) of its first byte and its body
//! within [`BODY_DEADLINE`] (5 s) of its headers, however slowly it trickles in; a request that
//! misses its deadline gets HTTP 408 with -32600 and its connection is closed. A connection
//! with no request for [`IDLE_TIMEOUT`] (60 s) is closed.
//!
//! ## From npm
//! `cargo test --workspace` (the README's test command) builds `target/debug/localnet`, so a
//! JavaScript test can spawn that binary without another build:
//! ```text
//! target/debug/localnet --port 18899     # prints "localnet ready: http://127.0.0.1:18899"
//! ```
//! and wait for that line on stdout before connecting (`--port 0` picks a free port and prints
//! it). Kill the process (SIGINT or SIGTERM) to stop it.
//!
//! ## In Rust tests
//! [`Localnet::start`] runs the same server in-process and returns a handle; dropping it stops
//! the server.
// solana-program-test 3.1 marks its API "unstable" (deprecated), as do solana-sdk's re-exports.
#![allow(deprecated)]

mod bank;
mod http;
mod rpc;
mod ws;

pub use http::{BODY_DEADLINE, HEAD_DEADLINE, IDLE_TIMEOUT, MAX_BODY, MAX_HEAD, METHODS};

use bank::{Bank, Notice};
use jsonrpc_core::{Error, Params, Result};
use serde_json::Value;
use solana_sdk::{pubkey::Pubkey, signer::Signer};
use std::{io, net::TcpListener, sync::mpsc, thread::JoinHandle};
use tokio::sync::{broadcast, oneshot};

/// Default HTTP port, as `solana-test-validator`'s.
pub const DEFAULT_PORT: u16 = 8899;

/// The programs a localnet runs, by name.
pub fn programs() -> Vec<(&'static str, Pubkey)> {
    vec![
        ("session_keys", session_keys::ID),
        ("example_game", example_game::ID),
        ("hostile_target (test only)", hostile_target::ID),
        (
            "spl_token",
            Pubkey::from_str_const("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
        ),
        (
            "spl_token_2022",
            Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"),
        ),
        (
            "associated_token",
            Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
        ),
        (
            "memo",
            Pubkey::from_str_const("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
        ),
        (
            "address_lookup_table",
            Pubkey::from_str_const("AddressLookupTab1e1111111111111111111111111"),
        ),
    ]
}

enum Command {
    Call {
        method: String,
        params: Params,
        reply: oneshot::Sender<Result<Value>>,
    },
    Stop,
}

/// A way to the bank thread; cheap to clone.
#[derive(Clone)]
pub(crate) struct BankHandle(mpsc::Sender<Command>);

impl BankHandle {
    /// Runs one JSON-RPC method on the bank thread.
    pub(crate) async fn call(&self, method: &str, params: Params) -> Result<Value> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error {
            code: jsonrpc_core::ErrorCode::InternalError,
            message: "localnet is shutting down".into(),
            data: None,
        };
        self.0
            .send(Command::Call {
                method: method.to_owned(),
                params,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// A running localnet. Dropping it stops the servers and the bank.
pub struct Localnet {
    url: String,
    ws_url: String,
    faucet: Pubkey,
    bank: BankHandle,
    http: http::HttpServer,
    stop_ws: Option<oneshot::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

/// Binds the HTTP port and the WebSocket port right after it; with `port == 0`, finds a pair
/// of free ports.
fn bind(port: u16) -> io::Result<(TcpListener, TcpListener)> {
    if port != 0 {
        let http = TcpListener::bind(("127.0.0.1", port))?;
        let ws = TcpListener::bind(("127.0.0.1", port.checked_add(1).unwrap_or(port)))?;
        return Ok((http, ws));
    }
    for _ in 0..50 {
        let http = TcpListener::bind(("127.0.0.1", 0))?;
        let p = http.local_addr()?.port();
        if let Some(next) = p.checked_add(1) {
            if let Ok(ws) = TcpListener::bind(("127.0.0.1", next)) {
                return Ok((http, ws));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no two consecutive free ports",
    ))
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Localnet {
    /// Starts the bank and both servers on `127.0.0.1:port` and `port + 1` (`0`: free ports),
    /// and returns once they answer.
    pub fn start(port: u16) -> io::Result<Self> {
        let (http_listener, ws_listener) = bind(port)?;
        let http_port = http_listener.local_addr()?.port();
        let ws_port = ws_listener.local_addr()?.port();
        let (notices, _) = broadcast::channel::<Notice>(1024);
        let (commands, inbox) = mpsc::channel::<Command>();
        let bank = BankHandle(commands);
        let mut threads = Vec::new();

        let (ready, is_ready) = mpsc::channel::<std::result::Result<Pubkey, String>>();
        let bank_notices = notices.clone();
        threads.push(
            std::thread::Builder::new()
                .name("localnet-bank".into())
                .spawn(move || bank_thread(inbox, bank_notices, ready))?,
        );
        let faucet = is_ready
            .recv()
            .map_err(|_| other("the bank thread died while starting"))?
            .map_err(other)?;

        let http = http::HttpServer::start(http_listener, &bank)?;

        let (stop_ws, ws_stopped) = oneshot::channel();
        let ws_bank = bank.clone();
        ws_listener.set_nonblocking(true)?;
        threads.push(
            std::thread::Builder::new()
                .name("localnet-ws".into())
                .spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(listener) = tokio::net::TcpListener::from_std(ws_listener) {
                            ws::serve(listener, ws_bank, notices, ws_stopped).await;
                        }
                    });
                })?,
        );

        Ok(Self {
            url: format!("http://127.0.0.1:{http_port}"),
            ws_url: format!("ws://127.0.0.1:{ws_port}"),
            faucet,
            bank,
            http,
            stop_ws: Some(stop_ws),
            threads,
        })
    }

    /// The JSON-RPC URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The PubSub URL, `ws://127.0.0.1:PORT+1`.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The account `requestAirdrop` pays from (the genesis mint, about a million SOL).
    pub fn faucet(&self) -> Pubkey {
        self.faucet
    }

    /// Stops the servers and the bank and waits for their threads.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.http.stop();
        if let Some(stop) = self.stop_ws.take() {
            let _ = stop.send(());
        }
        let _ = self.bank.0.send(Command::Stop);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        self.stop();
    }
}

fn bank_thread(
    inbox: mpsc::Receiver<Command>,
    notices: broadcast::Sender<Notice>,
    ready: mpsc::Sender<std::result::Result<Pubkey, String>>,
) {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let started = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(session_keys_harness::program_test().start_with_context())
    }));
    let ctx = match started {
        Ok(ctx) => ctx,
        Err(_) => {
            let _ = ready.send(Err("solana-program-test failed to start".into()));
            return;
        }
    };
    // Events: the harness's syscall stubs write `emit!`'s `sol_log_data` into the transaction
    // log (once per process, after the first start installed solana-program-test's stubs).
    session_keys_harness::stubs::install();
    let mut known: Vec<Pubkey> = programs().into_iter().map(|(_, id)| id).collect();
    known.push(ctx.payer.pubkey());
    let mut bank = Bank::new(ctx, known, notices);
    let _ = ready.send(Ok(bank.faucet()));
    while let Ok(command) = inbox.recv() {
        match command {
            Command::Call {
                method,
                params,
                reply,
            } => {
                let answer =
                    catch_unwind(AssertUnwindSafe(|| rt.block_on(bank.call(&method, params))))
                        .unwrap_or_else(|_| {
                            Err(Error {
                                code: jsonrpc_core::ErrorCode::InternalError,
                                message: format!(
                                    "Internal error: the bank panicked while answering {method}"
                                ),
                                data: None,
                            })
                        });
                let _ = reply.send(answer);
            }
            Command::Stop => break,
        }
    }
    drop(bank);
    drop(rt);
}
