//! Transactions in: `sendTransaction` (verify, preflight, process, record, next slot),
//! `simulateTransaction`, `requestAirdrop`, and the fee and balances they report.
use super::{history::Record, internal, Bank, Notice};
use crate::rpc;
use jsonrpc_core::{Error, Result};
use serde_json::{json, Value};
use session_keys_harness::stubs::normalize_logs;
use solana_account_decoder::parse_token::TokenAccountType;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_rpc_client_api::{
    config::RpcSimulateTransactionConfig,
    custom_error::RpcCustomError,
    response::{RpcBlockhash, RpcSimulateTransactionResult, UiTransactionReturnData},
};
use solana_sdk::{
    message::{Message, VersionedMessage},
    pubkey::Pubkey,
    signature::Signature,
    signer::Signer,
    transaction::VersionedTransaction,
};
use solana_transaction_status_client_types::{
    InnerInstruction, InnerInstructions, TransactionStatusMeta, TransactionTokenBalance,
    UiInnerInstructions,
};

/// Balances of a transaction's accounts at one moment.
struct Balances {
    lamports: Vec<u64>,
    tokens: Vec<TransactionTokenBalance>,
}

fn inner_instructions(
    list: Option<Vec<solana_sdk::inner_instruction::InnerInstructions>>,
) -> Option<Vec<InnerInstructions>> {
    list.map(|per_ix| {
        per_ix
            .into_iter()
            .enumerate()
            .filter(|(_, ixs)| !ixs.is_empty())
            .map(|(index, ixs)| InnerInstructions {
                index: u8::try_from(index).unwrap_or(u8::MAX),
                instructions: ixs
                    .into_iter()
                    .map(|ii| InnerInstruction {
                        instruction: ii.instruction,
                        stack_height: Some(u32::from(ii.stack_height)),
                    })
                    .collect(),
            })
            .collect()
    })
}

impl Bank {
    /// Fee of `message`, `None` if its blockhash is not valid. A v0 message is priced as the
    /// legacy message with the same signers and instructions (lookups do not change the fee).
    pub(super) async fn fee_for_message(&self, message: &VersionedMessage) -> Result<Option<u64>> {
        let legacy = match message {
            VersionedMessage::Legacy(m) => m.clone(),
            VersionedMessage::V0(m) => {
                let n = m.account_keys.len();
                Message {
                    header: m.header,
                    account_keys: m.account_keys.clone(),
                    recent_blockhash: m.recent_blockhash,
                    instructions: m
                        .instructions
                        .iter()
                        .map(|ix| {
                            let mut ix = ix.clone();
                            ix.accounts.retain(|a| usize::from(*a) < n);
                            ix
                        })
                        .collect(),
                }
            }
        };
        self.ctx
            .banks_client
            .get_fee_for_message(legacy)
            .await
            .map_err(internal)
    }

    pub(super) async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Value> {
        let payer = self.ctx.payer.insecure_clone();
        let (hash, _) = self.latest_blockhash().await?;
        let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), to, lamports);
        let tx = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&payer.pubkey()),
            &[&payer],
            hash,
        );
        let signature = self.send(tx.into(), true).await.map_err(|e| Error {
            code: jsonrpc_core::ErrorCode::InternalError,
            message: format!("airdrop failed: {}", e.message),
            data: None,
        })?;
        Ok(json!(signature.to_string()))
    }

    /// The transaction's account keys in message order: static keys, then the addresses its
    /// lookup tables load (writable, then read-only), and those loaded addresses.
    async fn account_keys(
        &self,
        tx: &VersionedTransaction,
    ) -> Result<(Vec<Pubkey>, solana_sdk::message::v0::LoadedAddresses)> {
        let mut loaded = solana_sdk::message::v0::LoadedAddresses::default();
        if let VersionedMessage::V0(m) = &tx.message {
            for lookup in &m.address_table_lookups {
                let Some(table) = self.account(&lookup.account_key).await? else {
                    continue;
                };
                let Ok(table) = AddressLookupTable::deserialize(&table.data) else {
                    continue;
                };
                let pick = |indexes: &[u8]| -> Vec<Pubkey> {
                    indexes
                        .iter()
                        .filter_map(|i| table.addresses.get(usize::from(*i)).copied())
                        .collect()
                };
                loaded.writable.extend(pick(&lookup.writable_indexes));
                loaded.readonly.extend(pick(&lookup.readonly_indexes));
            }
        }
        let mut keys = tx.message.static_account_keys().to_vec();
        keys.extend(&loaded.writable);
        keys.extend(&loaded.readonly);
        Ok((keys, loaded))
    }

    async fn balances(&self, keys: &[Pubkey]) -> Result<Balances> {
        let mut lamports = Vec::with_capacity(keys.len());
        let mut tokens = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let account = self.account(key).await?;
            lamports.push(account.as_ref().map_or(0, |a| a.lamports));
            let Some(account) = account else { continue };
            if let Some(TokenAccountType::Account(t)) = self.parse_token(&account).await {
                tokens.push(TransactionTokenBalance {
                    account_index: u8::try_from(i).unwrap_or(u8::MAX),
                    mint: t.mint,
                    ui_token_amount: t.token_amount,
                    owner: t.owner,
                    program_id: account.owner.to_string(),
                });
            }
        }
        Ok(Balances { lamports, tokens })
    }

    /// Verifies, optionally preflights, and processes `tx`; records it and advances the slot.
    pub async fn send(&mut self, tx: VersionedTransaction, preflight: bool) -> Result<Signature> {
        tx.sanitize()
            .map_err(|e| Error::invalid_params(format!("invalid transaction: {e}")))?;
        if tx.verify_with_results().iter().any(|ok| !ok) {
            return Err(RpcCustomError::TransactionSignatureVerificationFailure.into());
        }
        let signature = tx.signatures[0];
        // Simulating first yields the inner instructions, which processing does not return.
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx.clone())
            .await
            .map_err(internal)?;
        let Some(details) = sim.simulation_details else {
            let err = sim.result.and_then(|r| r.err());
            return Err(Error::invalid_params(format!(
                "invalid transaction: {}",
                err.map_or_else(|| "not processed".to_owned(), |e| e.to_string())
            )));
        };
        if preflight {
            if let Some(Err(err)) = sim.result {
                let result = RpcSimulateTransactionResult {
                    err: Some(err.clone().into()),
                    logs: Some(normalize_logs(details.logs)),
                    accounts: None,
                    units_consumed: Some(details.units_consumed),
                    loaded_accounts_data_size: Some(details.loaded_accounts_data_size),
                    return_data: details.return_data.map(Into::into),
                    inner_instructions: None,
                    replacement_blockhash: None,
                    fee: None,
                    pre_balances: None,
                    post_balances: None,
                    pre_token_balances: None,
                    post_token_balances: None,
                    loaded_addresses: None,
                };
                return Err(RpcCustomError::SendTransactionPreflightFailure {
                    message: format!("Transaction simulation failed: {err}"),
                    result,
                }
                .into());
            }
        }
        let fee = self.fee_for_message(&tx.message).await?.unwrap_or(0);
        let (keys, loaded) = self.account_keys(&tx).await?;
        let pre = self.balances(&keys).await?;
        let slot = self.slot().await?;
        let block_time = self.clock.now();
        let processed = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx.clone())
            .await
            .map_err(internal)?;
        // Not executed at all (expired blockhash, duplicate, fee payer unable to pay): a real
        // node drops such a transaction after answering with its signature.
        let Some(metadata) = processed.metadata else {
            return Ok(signature);
        };
        let post = self.balances(&keys).await?;
        self.index.extend(keys.iter().copied());
        let meta = TransactionStatusMeta {
            status: processed.result.clone(),
            fee,
            pre_balances: pre.lamports,
            post_balances: post.lamports,
            inner_instructions: inner_instructions(details.inner_instructions).or(Some(vec![])),
            log_messages: Some(normalize_logs(metadata.log_messages)),
            pre_token_balances: Some(pre.tokens),
            post_token_balances: Some(post.tokens),
            rewards: Some(vec![]),
            loaded_addresses: loaded,
            return_data: metadata.return_data,
            compute_units_consumed: Some(metadata.compute_units_consumed),
            cost_units: None,
        };
        self.order.push(signature);
        self.history.insert(
            signature,
            Record {
                keys: keys.clone(),
                slot,
                block_time,
                transaction: tx,
                meta,
            },
        );
        self.transaction_count += 1;
        let _ = self.notices.send(Notice::Signature {
            signature,
            slot,
            err: processed.result.err(),
        });
        self.advance_slot(slot + 1).await?;
        Ok(signature)
    }

    pub(super) async fn simulate_rpc(
        &mut self,
        data: &str,
        config: RpcSimulateTransactionConfig,
    ) -> Result<Value> {
        let mut tx = rpc::decode_transaction(data, config.encoding)?;
        if config.accounts.is_some() {
            return Err(Error::invalid_params(
                "localnet: simulateTransaction does not return post-simulation accounts",
            ));
        }
        if config.sig_verify && config.replace_recent_blockhash {
            return Err(Error::invalid_params(
                "sigVerify may not be used with replaceRecentBlockhash",
            ));
        }
        tx.sanitize()
            .map_err(|e| Error::invalid_params(format!("invalid transaction: {e}")))?;
        let mut replacement = None;
        if config.replace_recent_blockhash {
            let (hash, height) = self.latest_blockhash().await?;
            tx.message.set_recent_blockhash(hash);
            replacement = Some(RpcBlockhash {
                blockhash: hash.to_string(),
                last_valid_block_height: height,
            });
        }
        if config.sig_verify && tx.verify_with_results().iter().any(|ok| !ok) {
            return Err(RpcCustomError::TransactionSignatureVerificationFailure.into());
        }
        let fee = self.fee_for_message(&tx.message).await?;
        let (_, loaded) = self.account_keys(&tx).await?;
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(internal)?;
        let err = sim.result.clone().and_then(|r| r.err());
        let Some(details) = sim.simulation_details else {
            return Err(Error::invalid_params(format!(
                "invalid transaction: {}",
                err.map_or_else(|| "not processed".to_owned(), |e| e.to_string())
            )));
        };
        let inner = config.inner_instructions.then(|| {
            inner_instructions(details.inner_instructions)
                .unwrap_or_default()
                .into_iter()
                .map(UiInnerInstructions::from)
                .collect()
        });
        self.respond(RpcSimulateTransactionResult {
            err: err.map(Into::into),
            logs: Some(normalize_logs(details.logs)),
            accounts: None,
            units_consumed: Some(details.units_consumed),
            loaded_accounts_data_size: Some(details.loaded_accounts_data_size),
            return_data: details.return_data.map(UiTransactionReturnData::from),
            inner_instructions: inner,
            replacement_blockhash: replacement,
            fee,
            pre_balances: None,
            post_balances: None,
            pre_token_balances: None,
            post_token_balances: None,
            loaded_addresses: Some((&loaded).into()),
        })
        .await
    }
}
