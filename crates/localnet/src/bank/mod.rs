//! The bank side: one thread owns the `ProgramTestContext` and answers every JSON-RPC method in
//! order, so the state is never shared and every transaction is processed, recorded and
//! confirmed before the next request is looked at.
//!
//! The thread drives a current-thread tokio runtime only while it answers a request. That
//! matters: solana-program-test registers a new blockhash every 6.4 ms of runtime activity,
//! and a blockhash dies after 150 of them, so a runtime that ticked on its own would expire a
//! blockhash in about a second of wall time. Driven per request, the ticker adds at most about
//! one blockhash per request, and idle time ages nothing.
//!
//! The rooms: this file holds the [`Bank`], the dispatcher from method names to answers
//! ([`Bank::call`]) and the parameter and error helpers they share; `accounts` the account
//! queries and the index `getProgramAccounts` scans; `tokens` the token queries; `transactions`
//! send, simulate and airdrop; `history` what was sent (statuses, `getTransaction`,
//! `getSignaturesForAddress`); `clock` slots, blockhashes, the Clock sysvar and
//! `localnet_setClock`.
mod accounts;
mod clock;
mod history;
mod tokens;
mod transactions;

use crate::rpc::{self, Args};
use clock::ClockMode;
use history::Record;
use jsonrpc_core::{Error, Params, Result};
use serde_json::{json, Value};
use solana_program_test::ProgramTestContext;
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcContextConfig, RpcEncodingConfigWrapper, RpcProgramAccountsConfig,
        RpcRequestAirdropConfig, RpcSendTransactionConfig, RpcSignatureStatusConfig,
        RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig, RpcTokenAccountsFilter,
        RpcTransactionConfig,
    },
    response::{Response, RpcBlockhash, RpcResponseContext, RpcVersionInfo},
};
use solana_sdk::{
    hash::Hash, message::VersionedMessage, pubkey::Pubkey, signature::Signature, signer::Signer,
    transaction::TransactionError,
};
use solana_transaction_status_client_types::TransactionBinaryEncoding;
use std::collections::{BTreeSet, HashMap};
use tokio::sync::broadcast;

/// Most keys `getMultipleAccounts` takes, as on a real node.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;
/// Most signatures `getSignatureStatuses` takes, as on a real node.
const MAX_SIGNATURE_STATUSES: usize = 256;

/// What the WebSocket side is told about.
#[derive(Clone, Debug)]
pub enum Notice {
    /// A transaction was processed (successfully or not) in `slot`.
    Signature {
        /// Its first signature.
        signature: Signature,
        /// Slot it landed in.
        slot: u64,
        /// Its error, if it failed.
        err: Option<TransactionError>,
    },
    /// The bank moved to `slot`.
    Slot {
        /// New slot.
        slot: u64,
        /// Previous slot.
        parent: u64,
    },
}

/// The bank and everything the RPC layer remembers about it.
pub struct Bank {
    ctx: ProgramTestContext,
    /// Every address the localnet has seen: what `getProgramAccounts` scans (the bank itself
    /// cannot be scanned through `BanksClient`).
    index: BTreeSet<Pubkey>,
    history: HashMap<Signature, Record>,
    /// Signatures of `history`, oldest first.
    order: Vec<Signature>,
    clock: ClockMode,
    notices: broadcast::Sender<Notice>,
    transaction_count: u64,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error {
        code: jsonrpc_core::ErrorCode::InternalError,
        message: format!("Internal error: {e}"),
        data: None,
    }
}

fn pubkey_param(s: &str) -> Result<Pubkey> {
    s.parse()
        .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))
}

fn signature_param(s: &str) -> Result<Signature> {
    s.parse()
        .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))
}

impl Bank {
    /// Wraps a started context; `index` holds the addresses known at genesis.
    pub fn new(
        ctx: ProgramTestContext,
        index: impl IntoIterator<Item = Pubkey>,
        notices: broadcast::Sender<Notice>,
    ) -> Self {
        Self {
            ctx,
            index: index.into_iter().collect(),
            history: HashMap::new(),
            order: Vec::new(),
            clock: ClockMode::Wall { offset: 0 },
            notices,
            transaction_count: 0,
        }
    }

    /// The faucet behind `requestAirdrop`.
    pub fn faucet(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Answers one JSON-RPC call.
    pub async fn call(&mut self, method: &str, params: Params) -> Result<Value> {
        let args = Args::new(params)?;
        self.sync_clock().await?;
        match method {
            "getVersion" => {
                let version = solana_version::Version::default();
                rpc::to_value(RpcVersionInfo {
                    solana_core: version.as_semver_version().to_string(),
                    feature_set: Some(version.feature_set),
                })
            }
            "getHealth" => Ok(json!("ok")),
            "getGenesisHash" => Ok(json!(self.ctx.genesis_config().hash().to_string())),
            "getIdentity" => Ok(json!({ "identity": self.faucet().to_string() })),
            "getSlot" => {
                // The working slot is `processed`; its parent is rooted (its hash is in the
                // SlotHashes sysvar, which is what e.g. a lookup table's `recent_slot` needs).
                let config: Option<RpcContextConfig> = args.opt(0)?;
                let slot = self.slot().await?;
                match config.and_then(|c| c.commitment) {
                    Some(c) if c.is_processed() => Ok(json!(slot)),
                    _ => Ok(json!(slot.saturating_sub(1))),
                }
            }
            "getBlockHeight" => Ok(json!(self.block_height().await?)),
            "getTransactionCount" => Ok(json!(self.transaction_count)),
            "getEpochInfo" => self.epoch_info().await,
            "getEpochSchedule" => rpc::to_value(&self.ctx.genesis_config().epoch_schedule),
            "getLatestBlockhash" => {
                let _: Option<RpcContextConfig> = args.opt(0)?;
                let (hash, height) = self.latest_blockhash().await?;
                self.respond(RpcBlockhash {
                    blockhash: hash.to_string(),
                    last_valid_block_height: height,
                })
                .await
            }
            "isBlockhashValid" => {
                let hash: String = args.req(0)?;
                let _: Option<RpcContextConfig> = args.opt(1)?;
                let hash: Hash = hash
                    .parse()
                    .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
                let valid = self.blockhash_is_valid(hash).await?;
                self.respond(valid).await
            }
            "getFeeForMessage" => {
                let data: String = args.req(0)?;
                let _: Option<RpcContextConfig> = args.opt(1)?;
                let message: VersionedMessage =
                    rpc::decode(&data, TransactionBinaryEncoding::Base64)?;
                message
                    .sanitize()
                    .map_err(|e| Error::invalid_params(format!("invalid transaction: {e}")))?;
                let fee = self.fee_for_message(&message).await?;
                self.respond(fee).await
            }
            "getMinimumBalanceForRentExemption" => {
                let len: usize = args.req(0)?;
                let rent = self.ctx.banks_client.get_rent().await.map_err(internal)?;
                Ok(json!(rent.minimum_balance(len)))
            }
            "getBalance" => {
                let key = pubkey_param(&args.req::<String>(0)?)?;
                let _: Option<RpcContextConfig> = args.opt(1)?;
                let lamports = self.account(&key).await?.map_or(0, |a| a.lamports);
                self.respond(lamports).await
            }
            "getAccountInfo" => {
                let key = pubkey_param(&args.req::<String>(0)?)?;
                let config: RpcAccountInfoConfig = args.opt(1)?.unwrap_or_default();
                let account = self.ui_account(&key, &config).await?;
                self.respond(account).await
            }
            "getMultipleAccounts" => {
                let keys: Vec<String> = args.req(0)?;
                if keys.len() > MAX_MULTIPLE_ACCOUNTS {
                    return Err(Error::invalid_params(format!(
                        "Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
                    )));
                }
                let config: RpcAccountInfoConfig = args.opt(1)?.unwrap_or_default();
                let mut out = Vec::with_capacity(keys.len());
                for key in keys {
                    out.push(self.ui_account(&pubkey_param(&key)?, &config).await?);
                }
                self.respond(out).await
            }
            "getProgramAccounts" => {
                let program = pubkey_param(&args.req::<String>(0)?)?;
                let config: RpcProgramAccountsConfig = args.opt(1)?.unwrap_or_default();
                self.program_accounts(&program, config).await
            }
            "getTokenAccountBalance" => {
                let key = pubkey_param(&args.req::<String>(0)?)?;
                self.token_account_balance(&key).await
            }
            "requestAirdrop" => {
                let key = pubkey_param(&args.req::<String>(0)?)?;
                let lamports: u64 = args.req(1)?;
                let _: Option<RpcRequestAirdropConfig> = args.opt(2)?;
                self.airdrop(&key, lamports).await
            }
            "sendTransaction" => {
                let data: String = args.req(0)?;
                let config: RpcSendTransactionConfig = args.opt(1)?.unwrap_or_default();
                let tx = rpc::decode_transaction(&data, config.encoding)?;
                let signature = self.send(tx, !config.skip_preflight).await?;
                Ok(json!(signature.to_string()))
            }
            "simulateTransaction" => {
                let data: String = args.req(0)?;
                let config: RpcSimulateTransactionConfig = args.opt(1)?.unwrap_or_default();
                self.simulate_rpc(&data, config).await
            }
            "getSignatureStatuses" => {
                let sigs: Vec<String> = args.req(0)?;
                let _: Option<RpcSignatureStatusConfig> = args.opt(1)?;
                if sigs.len() > MAX_SIGNATURE_STATUSES {
                    return Err(Error::invalid_params(format!(
                        "Too many inputs provided; max {MAX_SIGNATURE_STATUSES}"
                    )));
                }
                let mut out = Vec::with_capacity(sigs.len());
                for s in sigs {
                    out.push(self.status(&signature_param(&s)?));
                }
                self.respond(out).await
            }
            "getTransaction" => {
                let sig = signature_param(&args.req::<String>(0)?)?;
                let config = args
                    .opt::<RpcEncodingConfigWrapper<RpcTransactionConfig>>(1)?
                    .map(|c| c.convert_to_current())
                    .unwrap_or_default();
                self.transaction(&sig, config)
            }
            "getSignaturesForAddress" => {
                let address = pubkey_param(&args.req::<String>(0)?)?;
                let config: RpcSignaturesForAddressConfig = args.opt(1)?.unwrap_or_default();
                self.signatures_for(&address, config)
            }
            "getTokenAccountsByOwner" => {
                let owner = pubkey_param(&args.req::<String>(0)?)?;
                let filter: RpcTokenAccountsFilter = args.req(1)?;
                let config: RpcAccountInfoConfig = args.opt(2)?.unwrap_or_default();
                self.token_accounts_by_owner(&owner, filter, &config).await
            }
            "localnet_setClock" => {
                let params: rpc::SetClock = args.req(0)?;
                self.set_clock(params).await
            }
            _ => Err(Error::method_not_found()),
        }
    }

    async fn respond<T: serde::Serialize>(&self, value: T) -> Result<Value> {
        let slot = self.slot().await?;
        rpc::to_value(Response {
            context: RpcResponseContext::new(slot),
            value,
        })
    }
}
