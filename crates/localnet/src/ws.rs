//! The PubSub WebSocket, on the HTTP port + 1 like `solana-test-validator`: the two
//! subscriptions that send-and-confirm helpers use, `signatureSubscribe` and `slotSubscribe`
//! (with their unsubscribe methods). Transactions are processed when `sendTransaction`
//! answers, so a signature notification comes at once, with the finalized status.
use crate::{bank::Notice, BankHandle};
use futures_util::{SinkExt, StreamExt};
use jsonrpc_core::Params;
use serde_json::{json, Value};
use solana_sdk::signature::Signature;
use solana_transaction_status_client_types::UiTransactionError;
use std::collections::HashMap;
use tokio::{net::TcpStream, sync::broadcast};
use tokio_tungstenite::tungstenite::Message;

enum Sub {
    Signature(Signature),
    Slot,
}

/// Accepts connections on `listener` until `stop` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    bank: BankHandle,
    notices: broadcast::Sender<Notice>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, bank.clone(), notices.subscribe()));
                }
            }
        }
    }
}

fn reply(id: &Value, result: Value) -> Message {
    Message::text(json!({ "jsonrpc": "2.0", "result": result, "id": id }).to_string())
}

fn error(id: &Value, code: i64, message: &str) -> Message {
    Message::text(
        json!({ "jsonrpc": "2.0", "error": { "code": code, "message": message }, "id": id })
            .to_string(),
    )
}

fn notification(method: &str, subscription: u64, result: Value) -> Message {
    Message::text(
        json!({
            "jsonrpc": "2.0",
            "method": method,
            "params": { "result": result, "subscription": subscription },
        })
        .to_string(),
    )
}

fn signature_result(slot: u64, err: Value) -> Value {
    json!({ "context": { "slot": slot }, "value": { "err": err } })
}

async fn connection(stream: TcpStream, bank: BankHandle, mut notices: broadcast::Receiver<Notice>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let mut subs: HashMap<u64, Sub> = HashMap::new();
    let mut next_id = 0u64;
    loop {
        let out: Vec<Message> = tokio::select! {
            incoming = source.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    handle(&text, &bank, &mut subs, &mut next_id).await
                }
                Some(Ok(Message::Ping(p))) => vec![Message::Pong(p)],
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => vec![error(&Value::Null, -32700, "Parse error")],
            },
            notice = notices.recv() => match notice {
                Ok(notice) => notify(notice, &mut subs),
                Err(broadcast::error::RecvError::Lagged(_)) => vec![],
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        for m in out {
            if sink.send(m).await.is_err() {
                return;
            }
        }
    }
}

fn notify(notice: Notice, subs: &mut HashMap<u64, Sub>) -> Vec<Message> {
    match notice {
        Notice::Slot { slot, parent } => subs
            .iter()
            .filter(|(_, s)| matches!(s, Sub::Slot))
            .map(|(id, _)| {
                notification(
                    "slotNotification",
                    *id,
                    json!({ "parent": parent, "root": parent, "slot": slot }),
                )
            })
            .collect(),
        Notice::Signature {
            signature,
            slot,
            err,
        } => {
            let ids: Vec<u64> = subs
                .iter()
                .filter(|(_, s)| matches!(s, Sub::Signature(sig) if *sig == signature))
                .map(|(id, _)| *id)
                .collect();
            let err =
                serde_json::to_value(err.map(UiTransactionError::from)).unwrap_or(Value::Null);
            ids.into_iter()
                .map(|id| {
                    subs.remove(&id);
                    notification(
                        "signatureNotification",
                        id,
                        signature_result(slot, err.clone()),
                    )
                })
                .collect()
        }
    }
}

async fn handle(
    text: &str,
    bank: &BankHandle,
    subs: &mut HashMap<u64, Sub>,
    next_id: &mut u64,
) -> Vec<Message> {
    let Ok(request) = serde_json::from_str::<Value>(text) else {
        return vec![error(&Value::Null, -32700, "Parse error")];
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return vec![error(&id, -32600, "Invalid request")];
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return vec![error(&id, -32602, "Invalid params: expected an array")],
    };
    match method {
        "slotSubscribe" => {
            *next_id += 1;
            subs.insert(*next_id, Sub::Slot);
            vec![reply(&id, json!(*next_id))]
        }
        "signatureSubscribe" => {
            let Some(Ok(signature)) = params
                .first()
                .and_then(Value::as_str)
                .map(str::parse::<Signature>)
            else {
                return vec![error(&id, -32602, "Invalid params: expected a signature")];
            };
            *next_id += 1;
            let sub = *next_id;
            subs.insert(sub, Sub::Signature(signature));
            let mut out = vec![reply(&id, json!(sub))];
            // Already processed (the usual case: sendTransaction confirms before answering)?
            let status = bank
                .call(
                    "getSignatureStatuses",
                    Params::Array(vec![json!([signature.to_string()])]),
                )
                .await;
            if let Ok(status) = status {
                let found = &status["value"][0];
                if !found.is_null() {
                    subs.remove(&sub);
                    let slot = found["slot"].as_u64().unwrap_or_default();
                    out.push(notification(
                        "signatureNotification",
                        sub,
                        signature_result(slot, found["err"].clone()),
                    ));
                }
            }
            out
        }
        "slotUnsubscribe" | "signatureUnsubscribe" => {
            let removed = params
                .first()
                .and_then(Value::as_u64)
                .and_then(|s| subs.remove(&s))
                .is_some();
            if removed {
                vec![reply(&id, json!(true))]
            } else {
                vec![error(&id, -32602, "Invalid subscription id.")]
            }
        }
        _ => vec![error(&id, -32601, "Method not found")],
    }
}
