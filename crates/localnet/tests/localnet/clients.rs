//! The localnet through clients no one here wrote: `solana-rpc-client`'s `RpcClient` and
//! `solana-pubsub-client`'s `PubsubClient`, against a localnet started by each test.

use crate::common::*;
use futures_util::StreamExt;
use localnet::Localnet;
use serde_json::{json, Value};
use session_keys_client::{
    decode, ix, pda,
    scope::{caps, CapsExt, Scope},
    SessionError,
};
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    client_error::ErrorKind,
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
        RpcSimulateTransactionConfig, RpcTransactionConfig,
    },
    filter::{Memcmp, RpcFilterType},
    request::{RpcError, RpcRequest, RpcResponseErrorData},
    response::{RpcSignatureResult, UiAccountData, UiAccountEncoding},
};
use solana_sdk::{
    hash::Hash,
    instruction::{Instruction, InstructionError},
    message::{v0, AddressLookupTableAccount, Message, VersionedMessage},
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedTransaction, TransactionConfirmationStatus,
    UiInstruction, UiTransactionEncoding,
};

/// The unix time the clock-sensitive tests freeze the bank at.
const T0: i64 = 1_800_000_000;

async fn set_clock(rpc: &RpcClient, params: Value) -> Value {
    rpc.send(
        RpcRequest::Custom {
            method: "localnet_setClock",
        },
        json!([params]),
    )
    .await
    .unwrap()
}

async fn send(rpc: &RpcClient, ixs: &[Instruction], signers: &[&Keypair]) -> Signature {
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, hash);
    rpc.send_and_confirm_transaction(&tx).await.unwrap()
}

/// The program error of a failed send (preflight or landed).
fn custom_code(err: &solana_rpc_client_api::client_error::Error) -> Option<u32> {
    match err.get_transaction_error()? {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(code),
        _ => None,
    }
}

#[tokio::test]
async fn chain_info_methods_answer_like_a_node() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());

    assert_eq!(rpc.get_version().await.unwrap().solana_core, "3.1.12");
    assert_eq!(call(net.url(), "getHealth", json!([]))["result"], "ok");
    let genesis = rpc.get_genesis_hash().await.unwrap();
    assert_ne!(genesis, Hash::default());
    let slot = rpc
        .get_slot_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap();
    assert!(slot >= 1);
    let height = rpc.get_block_height().await.unwrap();
    let (hash, last_valid) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert!(last_valid > height, "{last_valid} > {height}");
    let processed = CommitmentConfig::processed();
    assert!(rpc.is_blockhash_valid(&hash, processed).await.unwrap());
    assert!(!rpc
        .is_blockhash_valid(&Hash::new_unique(), processed)
        .await
        .unwrap());
    assert_eq!(
        rpc.get_minimum_balance_for_rent_exemption(0).await.unwrap(),
        890_880
    );
    let epoch = rpc.get_epoch_info().await.unwrap();
    assert_eq!(epoch.absolute_slot, slot);
    for (name, id) in localnet::programs() {
        let account = rpc.get_account(&id).await.unwrap();
        assert!(account.executable, "{name} {id} is executable");
    }
    // Commitment and unknown-but-valid config fields are accepted and ignored.
    let info = call(
        net.url(),
        "getAccountInfo",
        json!([session_keys::ID.to_string(), {"commitment": "finalized", "encoding": "base64"}]),
    );
    assert_eq!(info["result"]["value"]["executable"], true);
}

#[tokio::test]
async fn airdrop_transfer_status_and_history() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, 5 * SOL).await;
    assert_eq!(rpc.get_balance(&payer.pubkey()).await.unwrap(), 5 * SOL);

    let to = Pubkey::new_unique();
    let slot_before = rpc
        .get_slot_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, SOL);
    let mut message = Message::new(std::slice::from_ref(&ix), Some(&payer.pubkey()));
    // An unknown blockhash has no fee (the node answers null).
    assert!(rpc.get_fee_for_message(&message).await.is_err());
    message.recent_blockhash = rpc.get_latest_blockhash().await.unwrap();
    assert_eq!(rpc.get_fee_for_message(&message).await.unwrap(), 5000);
    let sig = send(&rpc, &[ix], &[&payer]).await;
    assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL);
    assert_eq!(
        rpc.get_balance(&payer.pubkey()).await.unwrap(),
        4 * SOL - 5000
    );
    let slot_after = rpc
        .get_slot_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap();
    assert_eq!(slot_after, slot_before + 1, "one slot per transaction");

    let status = rpc.get_signature_statuses(&[sig]).await.unwrap().value[0]
        .clone()
        .unwrap();
    assert_eq!(status.slot, slot_before);
    assert_eq!(status.err, None);
    assert_eq!(
        status.confirmation_status,
        Some(TransactionConfirmationStatus::Finalized)
    );
    assert!(rpc
        .get_signature_statuses(&[Signature::new_unique()])
        .await
        .unwrap()
        .value[0]
        .is_none());

    let tx = rpc
        .get_transaction(&sig, UiTransactionEncoding::Json)
        .await
        .unwrap();
    assert_eq!(tx.slot, slot_before);
    let meta = tx.transaction.meta.unwrap();
    assert_eq!(meta.fee, 5000);
    assert_eq!(meta.err, None);
    assert_eq!(meta.pre_balances[0], 5 * SOL);
    assert_eq!(meta.post_balances[0], 4 * SOL - 5000);
    assert_eq!(meta.post_balances[1], SOL);
    let OptionSerializer::Some(logs) = meta.log_messages else {
        panic!("logs")
    };
    assert_eq!(
        logs,
        [
            "Program 11111111111111111111111111111111 invoke [1]",
            "Program 11111111111111111111111111111111 success"
        ]
    );
    let EncodedTransaction::Json(ui) = tx.transaction.transaction else {
        panic!("json encoding")
    };
    assert_eq!(ui.signatures, [sig.to_string()]);

    let tx = rpc
        .get_transaction(&sig, UiTransactionEncoding::Base64)
        .await
        .unwrap();
    let decoded = tx.transaction.transaction.decode().unwrap();
    assert_eq!(decoded.signatures, [sig]);
    assert!(rpc
        .get_transaction(&Signature::new_unique(), UiTransactionEncoding::Json)
        .await
        .is_err());
}

#[tokio::test]
async fn a_session_lives_its_life_over_rpc() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let clock = set_clock(&rpc, json!({ "unixTimestamp": T0 })).await;
    assert_eq!(
        (clock["unixTimestamp"].as_i64(), clock["frozen"].as_bool()),
        (Some(T0), Some(true))
    );

    let owner = funded(&rpc, 10 * SOL).await;
    let key = funded(&rpc, SOL).await;
    let o = owner.pubkey();
    let args = Scope::until(T0 + 7200)
        .sol(caps(2 * SOL).window(3600, SOL))
        .label("rpc test")
        .build(T0)
        .unwrap();
    send(
        &rpc,
        &[
            ix::deposit_sol(&o, 3 * SOL),
            ix::create_session(&o, &o, &key.pubkey(), args, None),
        ],
        &[&owner],
    )
    .await;

    // Another owner's session, which listing must leave out.
    let other = funded(&rpc, 2 * SOL).await;
    let other_args = Scope::until(T0 + 60).sol(caps(1)).build(T0).unwrap();
    send(
        &rpc,
        &[ix::create_session(
            &other.pubkey(),
            &other.pubkey(),
            &Pubkey::new_unique(),
            other_args,
            None,
        )],
        &[&other],
    )
    .await;

    let session_address = pda::session(&o, &key.pubkey()).0;
    let account = rpc.get_account(&session_address).await.unwrap();
    assert_eq!(account.owner, session_keys::ID);
    let session = decode::session(&account.data).unwrap();
    assert_eq!((session.owner, session.session_key), (o, key.pubkey()));
    assert_eq!((session.created_at, session.expires_at), (T0, T0 + 7200));
    assert_eq!(session.label, "rpc test");

    // Listing by owner: memcmp at 8 (discriminator) + 1 (version) + 1 (bump) = 10.
    let by_owner = |extra: Vec<RpcFilterType>| {
        let mut filters = vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
            10,
            o.as_ref(),
        ))];
        filters.extend(extra);
        RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                ..Default::default()
            },
            ..Default::default()
        }
    };
    let listed = rpc
        .get_program_accounts_with_config(&session_keys::ID, by_owner(vec![]))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, session_address);
    assert_eq!(listed[0].1.data, account.data);
    let len = account.data.len() as u64;
    let sized = |n| by_owner(vec![RpcFilterType::DataSize(n)]);
    assert_eq!(
        rpc.get_program_accounts_with_config(&session_keys::ID, sized(len))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        rpc.get_program_accounts_with_config(&session_keys::ID, sized(len + 1))
            .await
            .unwrap()
            .len(),
        0
    );
    let all = rpc.get_program_accounts(&session_keys::ID).await.unwrap();
    assert_eq!(all.len(), 4, "2 sessions and 2 wallets: {all:?}");

    // Spend with the session key: the vault's system transfer is an inner instruction.
    let to = Pubkey::new_unique();
    let spend = |n| ix::transfer_sol(&key.pubkey(), &o, &to, n);
    let sim = rpc
        .simulate_transaction_with_config(
            &Transaction::new_signed_with_payer(
                &[spend(SOL / 2)],
                Some(&key.pubkey()),
                &[&key],
                rpc.get_latest_blockhash().await.unwrap(),
            ),
            RpcSimulateTransactionConfig {
                sig_verify: true,
                inner_instructions: true,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .value;
    assert_eq!(sim.err, None);
    let inner = sim.inner_instructions.unwrap();
    assert_eq!(inner.len(), 1);
    assert!(
        matches!(&inner[0].instructions[0], UiInstruction::Compiled(c) if c.stack_height == Some(2))
    );
    assert!(sim
        .logs
        .unwrap()
        .iter()
        .any(|l| l.contains(&format!("Program {} success", session_keys::ID))));

    let sig = send(&rpc, &[spend(SOL / 2)], &[&key]).await;
    assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL / 2);
    assert_eq!(
        rpc.get_balance(&pda::vault(&o).0).await.unwrap(),
        3 * SOL - SOL / 2
    );
    let tx = rpc
        .get_transaction_with_config(
            &sig,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Json),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let meta = tx.transaction.meta.unwrap();
    let OptionSerializer::Some(inner) = meta.inner_instructions else {
        panic!("inner instructions")
    };
    assert_eq!(
        (inner.len(), inner[0].index, inner[0].instructions.len()),
        (1, 0, 1)
    );
    assert_eq!(tx.block_time, Some(T0));
    // The program's event is in the log, once, as a validator prints it.
    let OptionSerializer::Some(logs) = &meta.log_messages else {
        panic!("logs")
    };
    let invoke = format!("Program {} invoke [1]", session_keys::ID);
    assert_eq!(logs.iter().filter(|l| **l == invoke).count(), 1, "{logs:?}");
    let events = decode::events_from_logs(logs);
    let [decode::SessionEvent::SolTransferred(event)] = &events[..] else {
        panic!("{events:?} in {logs:?}")
    };
    assert_eq!((event.owner, event.to, event.amount), (o, to, SOL / 2));
    assert_eq!(event.window_remaining, SOL / 2);

    // Over the window cap: the preflight refuses it with the program's error, nothing moves.
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let over = Transaction::new_signed_with_payer(
        &[spend(SOL / 2 + 1)],
        Some(&key.pubkey()),
        &[&key],
        hash,
    );
    let err = rpc.send_and_confirm_transaction(&over).await.unwrap_err();
    assert_eq!(
        custom_code(&err),
        Some(decode::error_code(SessionError::WindowCapExceeded))
    );
    let ErrorKind::RpcError(RpcError::RpcResponseError { code, data, .. }) = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(*code, -32002);
    let RpcResponseErrorData::SendTransactionPreflightFailure(result) = data else {
        panic!("{data:?}")
    };
    let failed = format!(
        "Program {} failed: custom program error: 0x1780",
        session_keys::ID
    );
    assert!(
        result.logs.as_ref().unwrap().contains(&failed),
        "{:?}",
        result.logs
    );
    assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL / 2);

    // Without preflight it lands, fails, and costs the fee.
    let key_before = rpc.get_balance(&key.pubkey()).await.unwrap();
    let sig = rpc
        .send_transaction_with_config(
            &over,
            RpcSendTransactionConfig {
                skip_preflight: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let status = rpc.get_signature_statuses(&[sig]).await.unwrap().value[0]
        .clone()
        .unwrap();
    assert_eq!(
        status.err,
        Some(TransactionError::InstructionError(
            0,
            InstructionError::Custom(decode::error_code(SessionError::WindowCapExceeded))
        ))
    );
    assert_eq!(
        rpc.get_balance(&key.pubkey()).await.unwrap(),
        key_before - 5000
    );

    // The next window opens when the clock says so.
    let window_start = T0 - T0 % 3600;
    set_clock(&rpc, json!({ "unixTimestamp": window_start + 3600 })).await;
    send(&rpc, &[spend(SOL / 2 + 1)], &[&key]).await;
    assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL + 1);

    // Expiry, to the second.
    set_clock(&rpc, json!({ "unixTimestamp": T0 + 7200 })).await;
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let late = Transaction::new_signed_with_payer(&[spend(1)], Some(&key.pubkey()), &[&key], hash);
    let err = rpc.send_and_confirm_transaction(&late).await.unwrap_err();
    assert_eq!(
        custom_code(&err),
        Some(decode::error_code(SessionError::SessionExpired))
    );

    // A slot warp keeps the frozen time.
    let slot = rpc
        .get_slot_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap();
    let clock = set_clock(&rpc, json!({ "slot": slot + 100 })).await;
    assert_eq!(
        (clock["slot"].as_u64(), clock["unixTimestamp"].as_i64()),
        (Some(slot + 100), Some(T0 + 7200))
    );
    let back = call(net.url(), "localnet_setClock", json!([{ "slot": 1 }]));
    assert_eq!(error_code(&back), -32602);
    let wall = set_clock(&rpc, json!({ "wallClock": true })).await;
    assert_eq!(wall["frozen"], false);
    assert!(wall["unixTimestamp"].as_i64().unwrap() > 1_700_000_000);
}

async fn create_mint(rpc: &RpcClient, payer: &Keypair, decimals: u8) -> Pubkey {
    use anchor_spl::token::spl_token;
    let mint = Keypair::new();
    let len = 82;
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(len)
        .await
        .unwrap();
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &mint.pubkey(),
                rent,
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                &payer.pubkey(),
                None,
                decimals,
            )
            .unwrap(),
        ],
        &[payer, &mint],
    )
    .await;
    mint.pubkey()
}

async fn create_token_account(
    rpc: &RpcClient,
    payer: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Pubkey {
    use anchor_spl::token::spl_token;
    let account = Keypair::new();
    let len = 165;
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(len)
        .await
        .unwrap();
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &account.pubkey(),
                rent,
                len as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &account.pubkey(),
                mint,
                owner,
            )
            .unwrap(),
        ],
        &[payer, &account],
    )
    .await;
    account.pubkey()
}

#[tokio::test]
async fn token_accounts_balances_and_parsed_data() {
    use anchor_spl::token::spl_token;
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, 10 * SOL).await;
    let mint = create_mint(&rpc, &payer, 6).await;
    let holder = Pubkey::new_unique();
    let account = create_token_account(&rpc, &payer, &mint, &holder).await;
    let sig = send(
        &rpc,
        &[spl_token::instruction::mint_to(
            &spl_token::ID,
            &mint,
            &account,
            &payer.pubkey(),
            &[],
            12_500_000,
        )
        .unwrap()],
        &[&payer],
    )
    .await;

    let balance = rpc.get_token_account_balance(&account).await.unwrap();
    assert_eq!(
        (
            balance.amount.as_str(),
            balance.decimals,
            balance.ui_amount_string.as_str()
        ),
        ("12500000", 6, "12.5")
    );
    let not_token = call(
        net.url(),
        "getTokenAccountBalance",
        json!([payer.pubkey().to_string()]),
    );
    assert_eq!(error_code(&not_token), -32602);

    // jsonParsed, as a real node gives it (the mint's decimals applied).
    let raw = call(
        net.url(),
        "getAccountInfo",
        json!([account.to_string(), {"encoding": "jsonParsed"}]),
    );
    let info = &raw["result"]["value"]["data"]["parsed"]["info"];
    assert_eq!(info["owner"], holder.to_string());
    assert_eq!(info["tokenAmount"]["uiAmountString"], "12.5");
    let zstd = rpc
        .get_ui_account_with_config(
            &account,
            RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64Zstd),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(matches!(
        zstd.data,
        UiAccountData::Binary(_, UiAccountEncoding::Base64Zstd)
    ));
    assert_eq!(
        zstd.decode::<solana_sdk::account::Account>()
            .unwrap()
            .data
            .len(),
        165
    );

    // Token accounts of a mint, by memcmp on the mint and the token-account filter.
    let by_mint = rpc
        .get_program_accounts_with_config(
            &spl_token::ID,
            RpcProgramAccountsConfig {
                filters: Some(vec![
                    RpcFilterType::TokenAccountState,
                    RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, mint.as_ref())),
                ]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_mint.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [account]
    );

    // The holder's token accounts, by mint and by program.
    for filter in [
        json!({ "mint": mint.to_string() }),
        json!({ "programId": spl_token::ID.to_string() }),
    ] {
        let r = call(
            net.url(),
            "getTokenAccountsByOwner",
            json!([holder.to_string(), filter, { "encoding": "jsonParsed" }]),
        );
        let list = r["result"]["value"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{r}");
        assert_eq!(list[0]["pubkey"], account.to_string());
        assert_eq!(
            list[0]["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"],
            "12500000"
        );
    }
    let none = call(
        net.url(),
        "getTokenAccountsByOwner",
        json!([payer.pubkey().to_string(), { "mint": mint.to_string() }]),
    );
    assert_eq!(none["result"]["value"], json!([]));

    // History of the token account, newest first.
    let history = rpc.get_signatures_for_address(&account).await.unwrap();
    assert_eq!(history.len(), 2, "created, then minted to");
    assert_eq!(history[0].signature, sig.to_string());
    assert_eq!(
        history[0].confirmation_status,
        Some(TransactionConfirmationStatus::Finalized)
    );
    let older = call(
        net.url(),
        "getSignaturesForAddress",
        json!([account.to_string(), { "before": sig.to_string(), "limit": 5 }]),
    );
    assert_eq!(older["result"].as_array().unwrap().len(), 1);
    assert_eq!(older["result"][0]["signature"], history[1].signature);
    let until = call(
        net.url(),
        "getSignaturesForAddress",
        json!([account.to_string(), { "until": history[1].signature }]),
    );
    assert_eq!(until["result"].as_array().unwrap().len(), 1);

    let tx = rpc
        .get_transaction(&sig, UiTransactionEncoding::Json)
        .await
        .unwrap();
    let meta = tx.transaction.meta.unwrap();
    let OptionSerializer::Some(post) = meta.post_token_balances else {
        panic!("token balances")
    };
    assert_eq!(post.len(), 1);
    assert_eq!(post[0].ui_token_amount.amount, "12500000");
    assert_eq!(post[0].mint, mint.to_string());
    let OptionSerializer::Some(pre) = meta.pre_token_balances else {
        panic!("token balances")
    };
    assert_eq!(pre[0].ui_token_amount.amount, "0");
}

#[tokio::test]
async fn v0_transactions_resolve_address_lookup_tables() {
    use solana_address_lookup_table_interface::instruction as alt;
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, 10 * SOL).await;
    // A table needs a recent rooted slot; `confirmed` gives one.
    let recent = rpc.get_slot().await.unwrap();
    let (create, table) = alt::create_lookup_table(payer.pubkey(), payer.pubkey(), recent);
    send(&rpc, &[create], &[&payer]).await;
    let targets: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    send(
        &rpc,
        &[alt::extend_lookup_table(
            table,
            payer.pubkey(),
            Some(payer.pubkey()),
            targets.clone(),
        )],
        &[&payer],
    )
    .await;

    let ixs: Vec<Instruction> = targets
        .iter()
        .map(|t| solana_system_interface::instruction::transfer(&payer.pubkey(), t, SOL))
        .collect();
    let lookup = AddressLookupTableAccount {
        key: table,
        addresses: targets.clone(),
    };
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(&payer.pubkey(), &ixs, &[lookup], hash).unwrap();
    assert_eq!(message.address_table_lookups.len(), 1);
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&payer]).unwrap();
    let sig = rpc.send_and_confirm_transaction(&tx).await.unwrap();
    for t in &targets {
        assert_eq!(rpc.get_balance(t).await.unwrap(), SOL);
    }

    let found = rpc
        .get_transaction_with_config(
            &sig,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Json),
                max_supported_transaction_version: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let OptionSerializer::Some(loaded) = found.transaction.meta.unwrap().loaded_addresses else {
        panic!("loaded addresses")
    };
    assert_eq!(
        loaded.writable,
        targets.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    let legacy_only = call(
        net.url(),
        "getTransaction",
        json!([sig.to_string(), "json"]),
    );
    assert_eq!(error_code(&legacy_only), -32015);
}

#[tokio::test]
async fn pubsub_confirms_signatures_and_reports_slots() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let payer = funded(&rpc, 2 * SOL).await;
    let pubsub = PubsubClient::new(net.ws_url()).await.unwrap();
    let (mut slots, _unsub_slots) = pubsub.slot_subscribe().await.unwrap();

    let hash = rpc.get_latest_blockhash().await.unwrap();
    let ix =
        solana_system_interface::instruction::transfer(&payer.pubkey(), &Pubkey::new_unique(), SOL);
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], hash);
    let (mut confirmations, _unsub) = pubsub
        .signature_subscribe(&tx.signatures[0], None)
        .await
        .unwrap();
    let slot = rpc
        .get_slot_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap();
    rpc.send_transaction(&tx).await.unwrap();

    let confirmed = confirmations.next().await.unwrap();
    assert_eq!(confirmed.context.slot, slot);
    assert!(
        matches!(confirmed.value, RpcSignatureResult::ProcessedSignature(ref r) if r.err.is_none())
    );
    let next = slots.next().await.unwrap();
    assert_eq!((next.parent, next.slot), (slot, slot + 1));

    // Subscribing after the fact answers at once.
    let (mut late, _unsub) = pubsub
        .signature_subscribe(&tx.signatures[0], None)
        .await
        .unwrap();
    assert!(late.next().await.is_some());
}

#[tokio::test]
async fn a_blockhash_outlives_idle_time_and_a_dozen_transactions() {
    let net = Localnet::start(0).unwrap();
    let rpc = client(net.url());
    let processed = CommitmentConfig::processed();
    let (first, _) = rpc
        .get_latest_blockhash_with_commitment(processed)
        .await
        .unwrap();
    // Wall time alone does not age it: the bank only ticks while it answers.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(rpc.is_blockhash_valid(&first, processed).await.unwrap());
    // Each transaction moves to a new slot; each request may add a tick's blockhash (one per
    // 6.4 ms of the bank's activity, so more on a loaded machine: thirty rounds once crossed
    // the 150-blockhash window while fuzzers ran next to the tests). Twelve fetch-send-confirm
    // rounds stay well inside it.
    for _ in 0..12 {
        let hash = rpc.get_latest_blockhash().await.unwrap();
        let payer = rpc
            .request_airdrop(&Pubkey::new_unique(), SOL)
            .await
            .unwrap();
        assert!(rpc.confirm_transaction(&payer).await.unwrap());
        assert!(rpc.is_blockhash_valid(&hash, processed).await.unwrap());
    }
    assert!(rpc.is_blockhash_valid(&first, processed).await.unwrap());
    let (latest, _) = rpc
        .get_latest_blockhash_with_commitment(processed)
        .await
        .unwrap();
    assert_ne!(
        latest, first,
        "every transaction moves to a new slot and blockhash"
    );
}
