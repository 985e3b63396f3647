//! The `rpc` feature against a localnet started by each test (one binary, one link).
#[allow(dead_code)]
#[path = "../../examples/bot.rs"]
mod bot_example;
#[allow(dead_code)]
#[path = "../../examples/pay_per_request/main.rs"]
mod pay_example;

mod bot;
mod gasless;
mod guardrails;
mod kora;
mod pay_per_request;
mod revoke_all;
mod sessions;

use session_keys_client::rpc::SessionClient;
use solana_sdk::{signature::Keypair, signer::Signer};

/// One SOL in lamports.
const SOL: u64 = 1_000_000_000;

/// A new key holding `lamports`, airdropped and confirmed.
async fn funded(client: &SessionClient, lamports: u64) -> Keypair {
    let key = Keypair::new();
    let sig = client
        .rpc()
        .request_airdrop(&key.pubkey(), lamports)
        .await
        .unwrap();
    client.rpc().poll_for_signature(&sig).await.unwrap();
    key
}

/// Sets the localnet's clock (its extra method `localnet_setClock`).
async fn set_time(client: &SessionClient, unix_timestamp: i64) {
    let _: serde_json::Value = client
        .rpc()
        .send(
            solana_rpc_client_api::request::RpcRequest::Custom {
                method: "localnet_setClock",
            },
            serde_json::json!([{ "unixTimestamp": unix_timestamp }]),
        )
        .await
        .unwrap();
}
