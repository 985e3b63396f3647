//! Helpers shared by the localnet tests: a raw HTTP client (to send what no typed client
//! would), a typed client, and funded keys.
#![allow(dead_code)]
use serde_json::Value;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
};
use std::{
    io::{Read, Write},
    net::TcpStream,
};

/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;

/// Sends `body` as an HTTP POST and returns the status code and the body.
pub fn post(url: &str, body: &[u8]) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // A server may refuse an oversized body before reading it all.
    let _ = stream.write_all(body);
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// Sends one JSON-RPC request and returns the parsed response.
pub fn call(url: &str, method: &str, params: Value) -> Value {
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let (status, text) = post(url, body.to_string().as_bytes());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// The error code of a JSON-RPC response (panics if it succeeded).
pub fn error_code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {response}"))
}

/// A typed client of `url` at `confirmed` commitment.
pub fn client(url: &str) -> RpcClient {
    RpcClient::new_with_commitment(url.to_owned(), CommitmentConfig::confirmed())
}

/// A new key holding `lamports`, airdropped and confirmed.
pub async fn funded(rpc: &RpcClient, lamports: u64) -> Keypair {
    let key = Keypair::new();
    airdrop(rpc, &key.pubkey(), lamports).await;
    key
}

/// Airdrops `lamports` to `to` and waits for it.
pub async fn airdrop(rpc: &RpcClient, to: &Pubkey, lamports: u64) -> Signature {
    let sig = rpc.request_airdrop(to, lamports).await.unwrap();
    assert!(rpc.confirm_transaction(&sig).await.unwrap());
    sig
}
