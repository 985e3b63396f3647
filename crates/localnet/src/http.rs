//! JSON-RPC over HTTP: tiny_http carries the requests, jsonrpc-core (the crate a real node's
//! RPC service is built on) parses them, answers batches and reports envelope errors, and
//! every method is forwarded to the bank thread.
use crate::BankHandle;
use jsonrpc_core::{IoHandler, Params};
use std::{
    io::Read,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread::JoinHandle,
};
use tiny_http::{Header, Method, Request, Response, Server};

/// Largest request body accepted, in bytes. A transaction is at most 1,232 bytes (1,683 in
/// base58), so this leaves room for batches and 100-key `getMultipleAccounts` calls.
pub const MAX_BODY: usize = 64 * 1024;

/// Every method the localnet answers.
pub const METHODS: &[&str] = &[
    "getVersion",
    "getHealth",
    "getGenesisHash",
    "getIdentity",
    "getSlot",
    "getBlockHeight",
    "getTransactionCount",
    "getEpochInfo",
    "getEpochSchedule",
    "getLatestBlockhash",
    "isBlockhashValid",
    "getFeeForMessage",
    "getMinimumBalanceForRentExemption",
    "getBalance",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getTokenAccountBalance",
    "requestAirdrop",
    "sendTransaction",
    "simulateTransaction",
    "getSignatureStatuses",
    "getTransaction",
    "getSignaturesForAddress",
    "getTokenAccountsByOwner",
    "localnet_setClock",
];

fn handler(bank: &BankHandle) -> IoHandler {
    let mut io = IoHandler::new();
    for method in METHODS {
        let bank = bank.clone();
        io.add_method(method, move |params: Params| {
            let bank = bank.clone();
            async move { bank.call(method, params).await }
        });
    }
    io
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn cors(mut r: Response<std::io::Cursor<Vec<u8>>>) -> Response<std::io::Cursor<Vec<u8>>> {
    r.add_header(header("Access-Control-Allow-Origin", "*"));
    r.add_header(header("Access-Control-Allow-Methods", "POST, GET, OPTIONS"));
    r.add_header(header(
        "Access-Control-Allow-Headers",
        "content-type, solana-client",
    ));
    r.add_header(header("Access-Control-Max-Age", "86400"));
    r
}

fn json(status: u16, body: String) -> Response<std::io::Cursor<Vec<u8>>> {
    cors(
        Response::from_string(body)
            .with_status_code(status)
            .with_header(header("Content-Type", "application/json")),
    )
}

fn error_body(code: i64, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": null,
    })
    .to_string()
}

fn answer(io: &IoHandler, mut request: Request) {
    let response = match request.method() {
        Method::Options => cors(Response::from_string("")),
        Method::Get if request.url() == "/health" => cors(Response::from_string("ok")),
        Method::Post => {
            if request.body_length().is_some_and(|n| n > MAX_BODY) {
                json(413, error_body(-32600, &too_large()))
            } else {
                let mut body = Vec::new();
                let read = request
                    .as_reader()
                    .take(MAX_BODY as u64 + 1)
                    .read_to_end(&mut body);
                match (read, String::from_utf8(body)) {
                    (Err(_), _) => json(400, error_body(-32700, "Parse error")),
                    (Ok(n), _) if n > MAX_BODY => json(413, error_body(-32600, &too_large())),
                    (Ok(_), Err(_)) => json(200, error_body(-32700, "Parse error")),
                    (Ok(_), Ok(text)) => match io.handle_request_sync(&text) {
                        Some(out) => json(200, out),
                        None => json(200, String::new()),
                    },
                }
            }
        }
        _ => cors(Response::from_string("Method not allowed").with_status_code(405)),
    };
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

fn too_large() -> String {
    format!("Invalid Request: request body larger than {MAX_BODY} bytes")
}

/// Serves `server` on `workers` threads until `stop` is set and each worker is unblocked.
pub fn serve(
    server: Arc<Server>,
    bank: &BankHandle,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let io = Arc::new(handler(bank));
    (0..workers)
        .map(|i| {
            let (server, io, stop) = (server.clone(), io.clone(), stop.clone());
            std::thread::Builder::new()
                .name(format!("localnet-http-{i}"))
                .spawn(move || loop {
                    match server.recv() {
                        Ok(request) => answer(&io, request),
                        // Unblocked for shutdown, or a failed accept (keep serving).
                        Err(_) if stop.load(Ordering::SeqCst) => break,
                        Err(_) => {}
                    }
                })
                .expect("spawn an HTTP worker")
        })
        .collect()
}
