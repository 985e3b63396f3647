//! Bad input gets a JSON-RPC error and the server keeps serving.

use crate::common::*;
use localnet::{Localnet, MAX_BODY};
use serde_json::{json, Value};
use solana_sdk::{
    hash::Hash, pubkey::Pubkey, signature::Signature, signer::Signer, transaction::Transaction,
};

fn raw(url: &str, body: &str) -> Value {
    let (status, text) = post(url, body.as_bytes());
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn envelope_errors_are_json_rpc_errors() {
    let net = Localnet::start(0).unwrap();
    let url = net.url();
    assert_eq!(error_code(&raw(url, "{not json")), -32700);
    assert_eq!(error_code(&raw(url, "")), -32700);
    assert_eq!(error_code(&raw(url, r#"{"jsonrpc":"2.0","id":1}"#)), -32600);
    assert_eq!(error_code(&raw(url, r#"{"foo":1}"#)), -32600);
    // An empty batch has nothing to answer (jsonrpc-core, as on a real node).
    assert_eq!(post(url, b"[]"), (200, String::new()));
    let unknown = raw(
        url,
        r#"{"jsonrpc":"2.0","id":7,"method":"getEverything","params":[]}"#,
    );
    assert_eq!(error_code(&unknown), -32601);
    assert_eq!(unknown["id"], 7);

    // A batch is answered element by element.
    let batch = raw(
        url,
        r#"[{"jsonrpc":"2.0","id":1,"method":"getHealth"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#,
    );
    assert_eq!(batch[0]["result"], "ok");
    assert_eq!(error_code(&batch[1]), -32601);

    // A notification (no id) gets no JSON-RPC answer.
    let (status, text) = post(url, br#"{"jsonrpc":"2.0","method":"getHealth"}"#);
    assert_eq!((status, text.as_str()), (200, ""));

    // Too large: refused without reading it all, and without a hang.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"getHealth","pad":"{}"}}"#,
        "x".repeat(MAX_BODY)
    );
    let (status, text) = post(url, big.as_bytes());
    assert_eq!(status, 413);
    assert_eq!(error_code(&serde_json::from_str(&text).unwrap()), -32600);

    assert_eq!(
        call(url, "getHealth", json!([]))["result"],
        "ok",
        "still serving"
    );
}

#[test]
fn wrong_params_are_invalid_params() {
    let net = Localnet::start(0).unwrap();
    let url = net.url();
    for (method, params) in [
        ("getBalance", json!([])),
        ("getBalance", json!([42])),
        ("getBalance", json!(["not-a-key"])),
        (
            "getBalance",
            json!({"pubkey": Pubkey::new_unique().to_string()}),
        ),
        (
            "getAccountInfo",
            json!([Pubkey::new_unique().to_string(), {"encoding": "hex"}]),
        ),
        (
            "getMultipleAccounts",
            json!([vec![Pubkey::new_unique().to_string(); 101]]),
        ),
        (
            "getProgramAccounts",
            json!([session_keys::ID.to_string(), {"filters": [{"memcmp": {"offset": 0, "bytes": "0OIl"}}]}]),
        ),
        ("getSignatureStatuses", json!([["xyz"]])),
        ("getTransaction", json!(["xyz"])),
        ("getMinimumBalanceForRentExemption", json!([-1])),
        ("isBlockhashValid", json!(["zz"])),
        (
            "localnet_setClock",
            json!([{"unixTimestamp": 1, "wallClock": true}]),
        ),
        ("localnet_setClock", json!([{"when": 1}])),
        ("sendTransaction", json!([])),
        ("sendTransaction", json!(["!!!"])),
        ("sendTransaction", json!(["AAAA", {"encoding": "base64"}])),
        (
            "sendTransaction",
            json!([base64(&[1u8; 2000]), {"encoding": "base64"}]),
        ),
        (
            "sendTransaction",
            json!(["abc", {"encoding": "jsonParsed"}]),
        ),
        (
            "simulateTransaction",
            json!(["AAAA", {"encoding": "base64"}]),
        ),
        ("getFeeForMessage", json!(["AAAA"])),
    ] {
        let r = call(url, method, params.clone());
        assert_eq!(error_code(&r), -32602, "{method} {params}: {r}");
    }
    // A big base58 account is refused in base58, as on a real node.
    let r = call(
        url,
        "getAccountInfo",
        json!([spl_token_id(), {"encoding": "base58"}]),
    );
    assert_eq!(error_code(&r), -32602, "{r}");
    assert_eq!(
        call(url, "getHealth", json!([]))["result"],
        "ok",
        "still serving"
    );
}

fn spl_token_id() -> String {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA".into()
}

#[tokio::test]
async fn unsigned_and_mis_signed_transactions_are_refused() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, SOL).await;
    let to = Pubkey::new_unique();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000);
    let hash = rpc.get_latest_blockhash().await.unwrap();

    let mut unsigned =
        Transaction::new_with_payer(std::slice::from_ref(&ix), Some(&payer.pubkey()));
    unsigned.message.recent_blockhash = hash;
    let wire = base64(&bincode::serialize(&unsigned).unwrap());
    let r = call(
        net.url(),
        "sendTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert_eq!(error_code(&r), -32003, "{r}");

    let mut forged = Transaction::new_signed_with_payer(
        std::slice::from_ref(&ix),
        Some(&payer.pubkey()),
        &[&payer],
        hash,
    );
    forged.signatures[0] = Signature::from([7u8; 64]);
    let wire = base64(&bincode::serialize(&forged).unwrap());
    let r = call(
        net.url(),
        "sendTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert_eq!(error_code(&r), -32003, "{r}");
    // Simulation without sigVerify does not care about signatures.
    let r = call(
        net.url(),
        "simulateTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert_eq!(r["result"]["value"]["err"], Value::Null, "{r}");
    let r = call(
        net.url(),
        "simulateTransaction",
        json!([wire, {"encoding": "base64", "sigVerify": true}]),
    );
    assert_eq!(error_code(&r), -32003, "{r}");

    // An unknown blockhash fails the preflight with the simulation in `data`.
    let stale = Transaction::new_signed_with_payer(
        std::slice::from_ref(&ix),
        Some(&payer.pubkey()),
        &[&payer],
        Hash::new_unique(),
    );
    let wire = base64(&bincode::serialize(&stale).unwrap());
    let r = call(
        net.url(),
        "sendTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert_eq!(error_code(&r), -32002, "{r}");
    assert_eq!(r["error"]["data"]["err"], "BlockhashNotFound");
    // ... and `replaceRecentBlockhash` simulates it with a current one.
    let r = call(
        net.url(),
        "simulateTransaction",
        json!([wire, {"encoding": "base64", "replaceRecentBlockhash": true}]),
    );
    assert_eq!(r["result"]["value"]["err"], Value::Null, "{r}");
    assert!(r["result"]["value"]["replacementBlockhash"]["blockhash"].is_string());
    // Skipping the preflight: the signature comes back, the transaction never lands.
    let r = call(
        net.url(),
        "sendTransaction",
        json!([wire, {"encoding": "base64", "skipPreflight": true}]),
    );
    assert_eq!(r["result"], stale.signatures[0].to_string());
    let status = call(
        net.url(),
        "getSignatureStatuses",
        json!([[stale.signatures[0].to_string()]]),
    );
    assert_eq!(status["result"]["value"][0], Value::Null);

    assert_eq!(rpc.get_balance(&to).await.unwrap(), 0, "nothing moved");
    assert_eq!(
        call(net.url(), "getHealth", json!([]))["result"],
        "ok",
        "still serving"
    );
}

#[tokio::test]
async fn pubsub_answers_bad_messages_with_errors() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let net = Localnet::start(0).unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(net.ws_url())
        .await
        .unwrap();
    let mut ask = async |text: &str| -> Value {
        ws.send(Message::text(text.to_owned())).await.unwrap();
        loop {
            if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    };
    assert_eq!(error_code(&ask("{not json").await), -32700);
    assert_eq!(
        error_code(&ask(r#"{"jsonrpc":"2.0","id":1}"#).await),
        -32600
    );
    let unknown = ask(r#"{"jsonrpc":"2.0","id":2,"method":"blockSubscribe","params":[]}"#).await;
    assert_eq!(
        (error_code(&unknown), unknown["id"].as_i64()),
        (-32601, Some(2))
    );
    let bad =
        ask(r#"{"jsonrpc":"2.0","id":3,"method":"signatureSubscribe","params":["xyz"]}"#).await;
    assert_eq!(error_code(&bad), -32602);
    let gone = ask(r#"{"jsonrpc":"2.0","id":4,"method":"slotUnsubscribe","params":[99]}"#).await;
    assert_eq!(error_code(&gone), -32602);
    // Still serving: a subscription and its unsubscribe work.
    let sub = ask(r#"{"jsonrpc":"2.0","id":5,"method":"slotSubscribe"}"#).await;
    let id = sub["result"].as_u64().unwrap();
    let done = ask(&format!(
        r#"{{"jsonrpc":"2.0","id":6,"method":"slotUnsubscribe","params":[{id}]}}"#
    ))
    .await;
    assert_eq!(done["result"], true);
}
