//! The bank side: one thread owns the `ProgramTestContext` and answers every JSON-RPC method in
//! order, so the state is never shared and every transaction is processed, recorded and
//! confirmed before the next request is looked at.
//!
//! The thread drives a current-thread tokio runtime only while it answers a request. That
//! matters: solana-program-test registers a new blockhash every 6.4 ms of runtime activity,
//! and a blockhash dies after 150 of them, so a runtime that ticked on its own would expire a
//! blockhash in about a second of wall time. Driven per request, the ticker adds at most about
//! one blockhash per request, and idle time ages nothing.
use crate::rpc::{self, Args};
use jsonrpc_core::{Error, Params, Result};
use serde_json::{json, Value};
use session_keys_tests::stubs::normalize_logs;
use solana_account_decoder::{
    encode_ui_account,
    parse_account_data::{AccountAdditionalDataV3, SplTokenAdditionalDataV2},
    parse_token::{
        get_token_account_mint, is_known_spl_token_id, parse_token_v3, TokenAccountType,
    },
};
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_commitment_config::CommitmentLevel;
use solana_program_test::ProgramTestContext;
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcContextConfig, RpcEncodingConfigWrapper, RpcProgramAccountsConfig,
        RpcRequestAirdropConfig, RpcSendTransactionConfig, RpcSignatureStatusConfig,
        RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig, RpcTokenAccountsFilter,
        RpcTransactionConfig,
    },
    custom_error::RpcCustomError,
    filter::RpcFilterType,
    response::{
        Response, RpcBlockhash, RpcConfirmedTransactionStatusWithSignature, RpcKeyedAccount,
        RpcResponseContext, RpcSimulateTransactionResult, RpcVersionInfo, UiAccount,
        UiAccountEncoding, UiTransactionReturnData,
    },
};
use solana_sdk::{
    account::Account,
    clock::Clock,
    hash::Hash,
    message::{Message, VersionedMessage},
    pubkey::Pubkey,
    signature::Signature,
    signer::Signer,
    transaction::{TransactionError, VersionedTransaction},
};
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, EncodedTransaction,
    EncodedTransactionWithStatusMeta, InnerInstruction, InnerInstructions,
    TransactionBinaryEncoding, TransactionConfirmationStatus, TransactionStatus,
    TransactionStatusMeta, TransactionTokenBalance, UiAddressTableLookup, UiCompiledInstruction,
    UiInnerInstructions, UiMessage, UiRawMessage, UiTransaction, UiTransactionEncoding,
    UiTransactionStatusMeta,
};
use std::collections::{BTreeSet, HashMap};
use tokio::sync::broadcast;

/// Most keys `getMultipleAccounts` takes, as on a real node.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;
/// Most signatures `getSignatureStatuses` takes, as on a real node.
const MAX_SIGNATURE_STATUSES: usize = 256;
/// Largest account data a base58 encoding is given for, as on a real node.
const MAX_BASE58_BYTES: usize = 128;
/// Most filters `getProgramAccounts` takes, as on a real node.
const MAX_FILTERS: usize = 4;
/// Most signatures `getSignaturesForAddress` returns, as on a real node.
const MAX_SIGNATURES_FOR_ADDRESS: usize = 1000;

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

/// How the Clock sysvar's unix time is chosen.
#[derive(Clone, Copy, Debug)]
enum ClockMode {
    /// The machine's clock plus an offset (the default: time flows like on a real cluster).
    Wall { offset: i64 },
    /// Fixed at a value set by `localnet_setClock`, until the next call.
    Frozen(i64),
}

impl ClockMode {
    fn now(self) -> i64 {
        match self {
            ClockMode::Wall { offset } => wall_clock().saturating_add(offset),
            ClockMode::Frozen(t) => t,
        }
    }
}

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A processed transaction, kept for `getTransaction` and `getSignatureStatuses`.
struct Record {
    /// Every account of the transaction (static, then loaded), for `getSignaturesForAddress`.
    keys: Vec<Pubkey>,
    slot: u64,
    block_time: i64,
    transaction: VersionedTransaction,
    meta: TransactionStatusMeta,
}

/// Balances of a transaction's accounts at one moment.
struct Balances {
    lamports: Vec<u64>,
    tokens: Vec<TransactionTokenBalance>,
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
                let account = self.account(&key).await?.ok_or_else(|| {
                    Error::invalid_params("Invalid param: could not find account")
                })?;
                let amount = match self.parse_token(&account).await {
                    Some(TokenAccountType::Account(a)) => a.token_amount,
                    _ => return Err(Error::invalid_params("Invalid param: not a Token account")),
                };
                self.respond(amount).await
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

    /// Moves the Clock sysvar to the chosen unix time if it is not there.
    async fn sync_clock(&mut self) -> Result<()> {
        let clock = self.clock_sysvar().await?;
        let now = self.clock.now();
        if clock.unix_timestamp != now {
            self.ctx.set_sysvar(&Clock {
                unix_timestamp: now,
                ..clock
            });
        }
        Ok(())
    }

    async fn clock_sysvar(&self) -> Result<Clock> {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .map_err(internal)
    }

    async fn slot(&self) -> Result<u64> {
        self.ctx
            .banks_client
            .get_root_slot()
            .await
            .map_err(internal)
    }

    async fn block_height(&self) -> Result<u64> {
        self.ctx
            .banks_client
            .get_root_block_height()
            .await
            .map_err(internal)
    }

    async fn respond<T: serde::Serialize>(&self, value: T) -> Result<Value> {
        let slot = self.slot().await?;
        rpc::to_value(Response {
            context: RpcResponseContext::new(slot),
            value,
        })
    }

    async fn account(&self, key: &Pubkey) -> Result<Option<Account>> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .map_err(internal)
    }

    async fn latest_blockhash(&self) -> Result<(Hash, u64)> {
        self.ctx
            .banks_client
            .get_latest_blockhash_with_commitment(CommitmentLevel::Processed)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("no blockhash"))
    }

    /// Asks the bank itself: a transaction with no instruction and this blockhash is simulated,
    /// and the bank refuses it only if the blockhash is unknown or too old.
    async fn blockhash_is_valid(&self, hash: Hash) -> Result<bool> {
        let payer = self.ctx.payer.pubkey();
        let message = Message::new_with_blockhash(&[], Some(&payer), &hash);
        let tx = VersionedTransaction {
            signatures: vec![Signature::default()],
            message: VersionedMessage::Legacy(message),
        };
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(internal)?;
        Ok(!matches!(
            sim.result,
            Some(Err(TransactionError::BlockhashNotFound))
        ))
    }

    /// Fee of `message`, `None` if its blockhash is not valid. A v0 message is priced as the
    /// legacy message with the same signers and instructions (lookups do not change the fee).
    async fn fee_for_message(&self, message: &VersionedMessage) -> Result<Option<u64>> {
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

    async fn epoch_info(&self) -> Result<Value> {
        let slot = self.slot().await?;
        let schedule = &self.ctx.genesis_config().epoch_schedule;
        let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
        Ok(json!({
            "epoch": epoch,
            "slotIndex": slot_index,
            "slotsInEpoch": schedule.get_slots_in_epoch(epoch),
            "absoluteSlot": slot,
            "blockHeight": self.block_height().await?,
            "transactionCount": self.transaction_count,
        }))
    }

    /// Decimals of `mint`, if it is a mint.
    async fn decimals(&self, mint: &Pubkey) -> Option<u8> {
        let account = self.account(mint).await.ok()??;
        match parse_token_v3(&account.data, None).ok()? {
            TokenAccountType::Mint(m) => Some(m.decimals),
            _ => None,
        }
    }

    /// What the token program's account holds, with the mint's decimals applied.
    async fn parse_token(&self, account: &Account) -> Option<TokenAccountType> {
        if !is_known_spl_token_id(&account.owner) {
            return None;
        }
        let extra = match get_token_account_mint(&account.data) {
            Some(mint) => Some(SplTokenAdditionalDataV2::with_decimals(
                self.decimals(&mint).await?,
            )),
            None => None,
        };
        parse_token_v3(&account.data, extra.as_ref()).ok()
    }

    async fn ui_account(
        &self,
        key: &Pubkey,
        config: &RpcAccountInfoConfig,
    ) -> Result<Option<UiAccount>> {
        let Some(account) = self.account(key).await? else {
            return Ok(None);
        };
        self.encode_account(key, &account, config).await.map(Some)
    }

    async fn encode_account(
        &self,
        key: &Pubkey,
        account: &Account,
        config: &RpcAccountInfoConfig,
    ) -> Result<UiAccount> {
        let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
        if matches!(
            encoding,
            UiAccountEncoding::Binary | UiAccountEncoding::Base58
        ) {
            let len = config.data_slice.map_or(account.data.len(), |s| {
                s.length.min(account.data.len().saturating_sub(s.offset))
            });
            if len > MAX_BASE58_BYTES {
                return Err(Error::invalid_params(format!(
                    "Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, \
                     please use Base64 encoding."
                )));
            }
        }
        let mut extra = None;
        if encoding == UiAccountEncoding::JsonParsed && is_known_spl_token_id(&account.owner) {
            if let Some(mint) = get_token_account_mint(&account.data) {
                if let Some(decimals) = self.decimals(&mint).await {
                    extra = Some(AccountAdditionalDataV3 {
                        spl_token_additional_data: Some(SplTokenAdditionalDataV2::with_decimals(
                            decimals,
                        )),
                    });
                }
            }
        }
        Ok(encode_ui_account(
            key,
            account,
            encoding,
            extra,
            config.data_slice,
        ))
    }

    async fn program_accounts(
        &self,
        program: &Pubkey,
        config: RpcProgramAccountsConfig,
    ) -> Result<Value> {
        let filters = config.filters.unwrap_or_default();
        if filters.len() > MAX_FILTERS {
            return Err(Error::invalid_params(format!(
                "Too many filters provided; max {MAX_FILTERS}"
            )));
        }
        for f in &filters {
            f.verify()
                .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
        }
        let mut out = Vec::new();
        for key in &self.index {
            let Some(account) = self.account(key).await? else {
                continue;
            };
            if account.owner != *program || !filters.iter().all(|f| matches(f, &account.data)) {
                continue;
            }
            out.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: self
                    .encode_account(key, &account, &config.account_config)
                    .await?,
            });
        }
        if config.with_context.unwrap_or(false) {
            self.respond(out).await
        } else {
            rpc::to_value(out)
        }
    }

    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Value> {
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

    /// Warps the bank to `slot` (a fresh blockhash each time), keeping the chosen unix time.
    async fn advance_slot(&mut self, slot: u64) -> Result<()> {
        let parent = self.slot().await?;
        self.ctx
            .warp_to_slot(slot)
            .map_err(|e| Error::invalid_params(format!("cannot warp to slot {slot}: {e:?}")))?;
        self.sync_clock().await?;
        let _ = self.notices.send(Notice::Slot { slot, parent });
        Ok(())
    }

    async fn simulate_rpc(
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

    /// Newest first, as a node answers: `before` and `until` are exclusive, `limit` at most
    /// 1,000.
    fn signatures_for(
        &self,
        address: &Pubkey,
        config: RpcSignaturesForAddressConfig,
    ) -> Result<Value> {
        let limit = config.limit.unwrap_or(MAX_SIGNATURES_FOR_ADDRESS);
        if limit == 0 || limit > MAX_SIGNATURES_FOR_ADDRESS {
            return Err(Error::invalid_params(format!(
                "Invalid limit; max {MAX_SIGNATURES_FOR_ADDRESS}"
            )));
        }
        let before = config.before.as_deref().map(signature_param).transpose()?;
        let until = config.until.as_deref().map(signature_param).transpose()?;
        let mut newest_first = self.order.iter().rev();
        let mut out = Vec::new();
        if let Some(before) = before {
            // Start after `before`; an unknown signature gives nothing, as on a node.
            if !newest_first.any(|s| *s == before) {
                return rpc::to_value(out);
            }
        }
        for sig in newest_first {
            if Some(*sig) == until || out.len() == limit {
                break;
            }
            let Some(r) = self.history.get(sig) else {
                continue;
            };
            if r.keys.contains(address) {
                out.push(RpcConfirmedTransactionStatusWithSignature {
                    signature: sig.to_string(),
                    slot: r.slot,
                    err: r.meta.status.clone().err().map(Into::into),
                    memo: None,
                    block_time: Some(r.block_time),
                    confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                });
            }
        }
        rpc::to_value(out)
    }

    async fn token_accounts_by_owner(
        &self,
        owner: &Pubkey,
        filter: RpcTokenAccountsFilter,
        config: &RpcAccountInfoConfig,
    ) -> Result<Value> {
        let (mint, program) = match filter {
            RpcTokenAccountsFilter::Mint(m) => (Some(pubkey_param(&m)?), None),
            RpcTokenAccountsFilter::ProgramId(p) => {
                let p = pubkey_param(&p)?;
                if !is_known_spl_token_id(&p) {
                    return Err(Error::invalid_params(
                        "Invalid param: unrecognized Token program id",
                    ));
                }
                (None, Some(p))
            }
        };
        let mut out = Vec::new();
        for key in &self.index {
            let Some(account) = self.account(key).await? else {
                continue;
            };
            if !is_known_spl_token_id(&account.owner) || program.is_some_and(|p| p != account.owner)
            {
                continue;
            }
            // Token account layout: mint (0..32), owner (32..64).
            let Some(account_mint) = get_token_account_mint(&account.data) else {
                continue;
            };
            if account.data.get(32..64) != Some(owner.as_ref())
                || mint.is_some_and(|m| m != account_mint)
            {
                continue;
            }
            out.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: self.encode_account(key, &account, config).await?,
            });
        }
        self.respond(out).await
    }

    fn status(&self, sig: &Signature) -> Option<TransactionStatus> {
        let r = self.history.get(sig)?;
        Some(TransactionStatus {
            slot: r.slot,
            confirmations: None,
            status: r.meta.status.clone(),
            err: r.meta.status.clone().err(),
            confirmation_status: Some(TransactionConfirmationStatus::Finalized),
        })
    }

    fn transaction(&self, sig: &Signature, config: RpcTransactionConfig) -> Result<Value> {
        let Some(r) = self.history.get(sig) else {
            return Ok(Value::Null);
        };
        let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
        let version = match (
            &r.transaction.message,
            config.max_supported_transaction_version,
        ) {
            (VersionedMessage::V0(_), None) => {
                return Err(RpcCustomError::UnsupportedTransactionVersion(0).into())
            }
            (_, None) => None,
            (_, Some(_)) => Some(r.transaction.version()),
        };
        let transaction = match encoding {
            UiTransactionEncoding::Json => EncodedTransaction::Json(ui_transaction(&r.transaction)),
            UiTransactionEncoding::Base64 | UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
                let bytes = bincode::serialize(&r.transaction).map_err(internal)?;
                match encoding {
                    UiTransactionEncoding::Base64 => {
                        use base64::Engine;
                        EncodedTransaction::Binary(
                            base64::engine::general_purpose::STANDARD.encode(bytes),
                            TransactionBinaryEncoding::Base64,
                        )
                    }
                    UiTransactionEncoding::Base58 => EncodedTransaction::Binary(
                        bs58::encode(bytes).into_string(),
                        TransactionBinaryEncoding::Base58,
                    ),
                    _ => EncodedTransaction::LegacyBinary(bs58::encode(bytes).into_string()),
                }
            }
            UiTransactionEncoding::JsonParsed => {
                return Err(Error::invalid_params(
                    "localnet: getTransaction supports json, base64 and base58 encodings, not jsonParsed",
                ))
            }
        };
        let mut meta = UiTransactionStatusMeta::from(r.meta.clone());
        if version.is_none() {
            meta.loaded_addresses =
                solana_transaction_status_client_types::option_serializer::OptionSerializer::Skip;
        }
        rpc::to_value(EncodedConfirmedTransactionWithStatusMeta {
            slot: r.slot,
            transaction: EncodedTransactionWithStatusMeta {
                transaction,
                meta: Some(meta),
                version,
            },
            block_time: Some(r.block_time),
        })
    }

    async fn set_clock(&mut self, params: rpc::SetClock) -> Result<Value> {
        if let Some(slot) = params.slot {
            let current = self.slot().await?;
            if slot <= current {
                return Err(Error::invalid_params(format!(
                    "slot must move forward: current slot is {current}, asked for {slot}"
                )));
            }
        }
        match (params.unix_timestamp, params.wall_clock) {
            (Some(_), true) => {
                return Err(Error::invalid_params(
                    "give either unixTimestamp (freeze the clock there) or wallClock: true",
                ))
            }
            (Some(t), false) => self.clock = ClockMode::Frozen(t),
            (None, true) => self.clock = ClockMode::Wall { offset: 0 },
            (None, false) => {}
        }
        if let Some(slot) = params.slot {
            self.advance_slot(slot).await?;
        }
        self.sync_clock().await?;
        let clock = self.clock_sysvar().await?;
        Ok(json!({
            "slot": clock.slot,
            "epoch": clock.epoch,
            "unixTimestamp": clock.unix_timestamp,
            "frozen": matches!(self.clock, ClockMode::Frozen(_)),
        }))
    }
}

fn matches(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(n) => data.len() as u64 == *n,
        RpcFilterType::Memcmp(m) => m.bytes_match(data),
        RpcFilterType::TokenAccountState => get_token_account_mint(data).is_some(),
    }
}

/// The `json` encoding of a transaction: the raw message, as a real node returns it.
fn ui_transaction(tx: &VersionedTransaction) -> UiTransaction {
    let message = &tx.message;
    UiTransaction {
        signatures: tx.signatures.iter().map(ToString::to_string).collect(),
        message: UiMessage::Raw(UiRawMessage {
            header: *message.header(),
            account_keys: message
                .static_account_keys()
                .iter()
                .map(ToString::to_string)
                .collect(),
            recent_blockhash: message.recent_blockhash().to_string(),
            instructions: message
                .instructions()
                .iter()
                .map(|ix| UiCompiledInstruction::from(ix, None))
                .collect(),
            address_table_lookups: message
                .address_table_lookups()
                .map(|l| l.iter().map(UiAddressTableLookup::from).collect()),
        }),
    }
}
