//! Every node method Kora 2.0.5 calls (read in kora-lib 2.0.5's source: `simulateTransaction`
//! for inner instructions, `getAccountInfo` as base64+zstd, `getFeeForMessage`,
//! `getLatestBlockhash`, `sendTransaction` then `getSignatureStatuses` and `isBlockhashValid`
//! while confirming, `getEpochInfo`), called the way Kora calls them through `solana-client`'s
//! `RpcClient`, one test per method. The Kora end-to-end tests (sdk/test/kora.test.ts) run the
//! real `kora` against localnet on top of these.

use crate::common::*;
use localnet::Localnet;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::config::RpcSimulateTransactionConfig;
use solana_sdk::{
    hash::Hash,
    message::{v0, VersionedMessage},
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::VersionedTransaction,
};
use solana_transaction_status_client_types::{UiInstruction, UiTransactionEncoding};

/// A v0 transaction of `ixs` paid by `payer` (Kora's payer is a v0 fee payer in the SDK).
async fn v0_tx(
    rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    payer: &Keypair,
    ixs: &[solana_sdk::instruction::Instruction],
) -> VersionedTransaction {
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(&payer.pubkey(), ixs, &[], hash).unwrap();
    VersionedTransaction::try_new(VersionedMessage::V0(message), &[payer]).unwrap()
}

#[tokio::test]
async fn kora_simulate_returns_inner_instructions_without_signature_checks() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let owner = funded(&rpc, 10 * SOL).await;
    // A deposit into the vault: session-keys CPIs into the System program (one inner instruction).
    let deposit = session_keys_client::ix::deposit_sol(&owner.pubkey(), SOL);
    let mut tx = v0_tx(&rpc, &owner, &[deposit]).await;
    // Kora simulates before it signs: its own signature slot is still empty (sigVerify false).
    tx.signatures[0] = Default::default();
    let sim = rpc
        .simulate_transaction_with_config(
            &tx,
            RpcSimulateTransactionConfig {
                commitment: Some(rpc.commitment()),
                sig_verify: false,
                inner_instructions: true,
                replace_recent_blockhash: false,
                encoding: Some(UiTransactionEncoding::Base64),
                accounts: None,
                min_context_slot: None,
            },
        )
        .await
        .unwrap()
        .value;
    assert_eq!(sim.err, None, "{:?}", sim.logs);
    let inner = sim.inner_instructions.expect("innerInstructions");
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].index, 0);
    // Kora reads compiled inner instructions (program id index into the message's keys).
    let UiInstruction::Compiled(cpi) = &inner[0].instructions[0] else {
        panic!(
            "compiled inner instruction expected: {:?}",
            inner[0].instructions[0]
        )
    };
    let keys = tx.message.static_account_keys();
    assert_eq!(
        keys[usize::from(cpi.program_id_index)],
        solana_system_interface::program::ID
    );
    // With sigVerify true, the same empty signature is refused.
    let verified = call(
        net.url(),
        "simulateTransaction",
        json!([base64(&bincode::serialize(&tx).unwrap()), {"encoding": "base64", "sigVerify": true}]),
    );
    assert!(verified.get("error").is_some(), "{verified}");
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn kora_get_account_decodes_base64_zstd() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    // `RpcClient::get_account` asks for base64+zstd, as Kora's account reads do.
    let program = rpc.get_account(&session_keys::ID).await.unwrap();
    assert!(program.executable);
    let key = funded(&rpc, 3 * SOL).await;
    let account = rpc.get_account(&key.pubkey()).await.unwrap();
    assert_eq!(account.lamports, 3 * SOL);
    assert_eq!(account.owner, solana_system_interface::program::ID);
    assert!(rpc.get_account(&Pubkey::new_unique()).await.is_err());
}

#[tokio::test]
async fn kora_get_fee_for_message_prices_each_signature() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, SOL).await;
    let other = Keypair::new();
    let ix = solana_system_interface::instruction::transfer(&other.pubkey(), &payer.pubkey(), 1);
    let hash = rpc.get_latest_blockhash().await.unwrap();
    // Two signers (Kora's payer and a session key): 2 × 5,000 lamports.
    let message = v0::Message::try_compile(&payer.pubkey(), &[ix], &[], hash).unwrap();
    assert_eq!(rpc.get_fee_for_message(&message).await.unwrap(), 10_000);
    // An unknown blockhash has no fee (`null`): the client reports an error.
    let mut stale = message.clone();
    stale.recent_blockhash = Hash::new_unique();
    assert!(rpc.get_fee_for_message(&stale).await.is_err());
}

#[tokio::test]
async fn kora_latest_blockhash_is_valid_and_epoch_info_answers() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let (hash, last_valid) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert!(last_valid > rpc.get_block_height().await.unwrap());
    assert!(rpc
        .is_blockhash_valid(&hash, CommitmentConfig::confirmed())
        .await
        .unwrap());
    assert!(!rpc
        .is_blockhash_valid(&Hash::new_unique(), CommitmentConfig::confirmed())
        .await
        .unwrap());
    let epoch = rpc.get_epoch_info().await.unwrap();
    assert_eq!(epoch.epoch, 0);
    assert!(epoch.slots_in_epoch > 0);
    assert_eq!(epoch.block_height, rpc.get_block_height().await.unwrap());
}

#[tokio::test]
async fn kora_send_and_confirm_with_spinner_lands() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, SOL).await;
    let to = Pubkey::new_unique();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, SOL / 2);
    let tx = v0_tx(&rpc, &payer, &[ix]).await;
    // What Kora's signAndSendTransaction calls: sendTransaction, then getSignatureStatuses and
    // isBlockhashValid until it confirms.
    let sig = rpc
        .send_and_confirm_transaction_with_spinner(&tx)
        .await
        .unwrap();
    assert_eq!(sig, tx.signatures[0]);
    assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL / 2);
    let status = rpc.get_signature_statuses(&[sig]).await.unwrap().value;
    assert!(status[0].as_ref().unwrap().err.is_none());
}
