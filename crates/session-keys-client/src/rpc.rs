//! Async use over JSON-RPC (feature `rpc`), for bots and back ends: fetch and decode sessions
//! and wallets, list an owner's sessions classified at the cluster's time (the RPC-free rules,
//! [`classify`] and [`remaining`], live in [`crate::status`] and are re-exported here), send
//! transactions with a compute budget (legacy, or v0 with address lookup tables), turn
//! failures into the program's [`SessionError`], read a transaction's events, and run the
//! owner's incident response ([`SessionClient::revoke_all`], in `rpc/revoke_all.rs`), and
//! send with Kora paying the fees ([`SessionClient::send_paid`], in `rpc/kora.rs`).
//!
//! Everything goes through standard RPC methods (`getAccountInfo`, `getProgramAccounts` with
//! `memcmp`, `sendTransaction`, `getTransaction`, ...), so the same code runs against the
//! workspace's `localnet`, `solana-test-validator` or a real cluster.
use crate::{decode, decode::SessionEvent, ix, pda};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, Discriminator};
use session_keys::{
    errors::SessionError,
    state::{Session, Wallet},
};
use solana_address_lookup_table_interface::{instruction as alt, state::AddressLookupTable};
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    client_error::Error as ClientError,
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcTransactionConfig},
    filter::{Memcmp, RpcFilterType},
    response::UiAccountEncoding,
};
use solana_sdk::{
    account::Account,
    clock::Clock,
    instruction::InstructionError,
    signature::{Keypair, Signature},
    signer::Signer,
    sysvar,
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, UiTransactionEncoding,
};
use std::time::Duration;

mod guardrails;
mod kora;
mod revoke_all;
pub use crate::status::{classify, remaining, Remaining, SessionState};
pub use guardrails::{preview_transfer_sol, Verdict};
pub use kora::{classify_refusal, FeePayerError, Kora};
pub use revoke_all::{
    DelegatedAccount, RevokeAllReport, REVOKES_PER_TX, TOKEN_DELEGATE_OFFSET, TOKEN_OWNER_OFFSET,
};

/// Offset of `owner` in a session account: 8 (discriminator) + 1 (version) + 1 (bump).
pub const SESSION_OWNER_OFFSET: usize = 10;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program refused it (in the preflight or on chain).
    #[error(
        "session-keys refused instruction {instruction}: {error:?} (code {code})",
        code = decode::error_code(*.error)
    )]
    Program {
        /// The program's error.
        error: SessionError,
        /// Index of the failing instruction in the transaction.
        instruction: u8,
    },
    /// The transaction failed for another reason (another program, fees, blockhash, ...).
    #[error("transaction failed: {0}")]
    Transaction(TransactionError),
    /// Transport, node or decoding trouble.
    #[error(transparent)]
    Rpc(Box<ClientError>),
    /// An account is missing or is not what was expected.
    #[error("{0}")]
    Account(String),
    /// The fee payer (Kora) did not pay: nothing was sent.
    #[error(transparent)]
    FeePayer(kora::FeePayerError),
}

impl Error {
    /// The program error, if the program refused the transaction.
    pub fn session_error(&self) -> Option<SessionError> {
        match self {
            Error::Program { error, .. } => Some(*error),
            _ => None,
        }
    }
}

/// Maps a transaction error to the program's error when it is one.
pub fn from_transaction_error(err: TransactionError) -> Error {
    if let TransactionError::InstructionError(instruction, InstructionError::Custom(code)) = &err {
        if let Some(error) = decode::error_from_code(*code) {
            return Error::Program {
                error,
                instruction: *instruction,
            };
        }
    }
    Error::Transaction(err)
}

impl From<ClientError> for Error {
    fn from(err: ClientError) -> Self {
        match err.get_transaction_error() {
            Some(tx_err) => from_transaction_error(tx_err),
            None => Error::Rpc(Box::new(err)),
        }
    }
}

/// Result of this module's calls.
pub type Result<T> = std::result::Result<T, Error>;

/// One session of an owner, as listed.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The session account's address.
    pub address: Pubkey,
    /// Its lamports (the rent returned when it is closed).
    pub lamports: u64,
    /// Decoded state.
    pub session: Session,
    /// Classification at the time of listing.
    pub state: SessionState,
}

/// An owner's sessions with the wallet nonce and cluster time they were classified under
/// ([`SessionClient::listing`]).
#[derive(Clone, Debug)]
pub struct Listing {
    /// The sessions, oldest first.
    pub sessions: Vec<SessionInfo>,
    /// The owner's revocation nonce (`None`: no wallet).
    pub wallet_nonce: Option<u64>,
    /// The cluster's unix time of the listing.
    pub now: i64,
}

/// What a landed transaction left behind.
#[derive(Debug)]
pub struct Outcome {
    /// Slot it landed in.
    pub slot: u64,
    /// Its error, if it failed.
    pub err: Option<TransactionError>,
    /// Its log lines.
    pub logs: Vec<String>,
    /// Compute units it used, if the node reports them.
    pub units: Option<u64>,
    /// The session-keys events in its logs, in order.
    pub events: Vec<SessionEvent>,
}

/// A session-keys client over JSON-RPC.
pub struct SessionClient {
    rpc: RpcClient,
    compute_unit_limit: Option<u32>,
    micro_lamports_per_unit: Option<u64>,
}

impl SessionClient {
    /// A client of `url` at `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        Self::from_rpc(RpcClient::new_with_commitment(
            url.to_owned(),
            CommitmentConfig::confirmed(),
        ))
    }

    /// Wraps an existing client.
    pub fn from_rpc(rpc: RpcClient) -> Self {
        Self {
            rpc,
            compute_unit_limit: None,
            micro_lamports_per_unit: None,
        }
    }

    /// Prepends `SetComputeUnitLimit(units)` and `SetComputeUnitPrice(micro_lamports)` to every
    /// transaction this client sends (the priority fee is `units * micro_lamports / 10^6`).
    pub fn with_compute_budget(mut self, units: u32, micro_lamports_per_unit: u64) -> Self {
        self.compute_unit_limit = Some(units);
        self.micro_lamports_per_unit = Some(micro_lamports_per_unit);
        self
    }

    /// The underlying RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The cluster's unix time (the Clock sysvar), which expiry and windows are checked against.
    pub async fn now(&self) -> Result<i64> {
        let account = self.rpc.get_account(&sysvar::clock::ID).await?;
        let clock: Clock = bincode::deserialize(&account.data)
            .map_err(|e| Error::Account(format!("Clock sysvar: {e}")))?;
        Ok(clock.unix_timestamp)
    }

    async fn account_data(&self, address: &Pubkey) -> Result<Option<(Vec<u8>, u64)>> {
        let account = self
            .rpc
            .get_ui_account_with_config(
                address,
                RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64Zstd),
                    ..Default::default()
                },
            )
            .await?
            .value;
        match account {
            None => Ok(None),
            Some(ui) => {
                let account: Account = ui.decode().ok_or_else(|| {
                    Error::Account(format!("{address}: undecodable account data"))
                })?;
                Ok(Some((account.data, account.lamports)))
            }
        }
    }

    /// The session at `address`, if it exists.
    pub async fn session_at(&self, address: &Pubkey) -> Result<Option<Session>> {
        let Some((data, _)) = self.account_data(address).await? else {
            return Ok(None);
        };
        decode::session(&data)
            .map(Some)
            .map_err(|e| Error::Account(format!("{address} is not a session: {e}")))
    }

    /// The session of `owner` and `session_key`, if it exists.
    pub async fn session(&self, owner: &Pubkey, session_key: &Pubkey) -> Result<Option<Session>> {
        self.session_at(&pda::session(owner, session_key).0).await
    }

    /// The wallet of `owner` (its revocation nonce), if it exists.
    pub async fn wallet(&self, owner: &Pubkey) -> Result<Option<Wallet>> {
        let address = pda::wallet(owner).0;
        let Some((data, _)) = self.account_data(&address).await? else {
            return Ok(None);
        };
        decode::wallet(&data)
            .map(Some)
            .map_err(|e| Error::Account(format!("{address} is not a wallet: {e}")))
    }

    /// The number `owner`'s next signed grant message must carry: the wallet's
    /// `message_counter`, 0 before the owner's first session.
    pub async fn next_message_number(&self, owner: &Pubkey) -> Result<u64> {
        Ok(self.wallet(owner).await?.map_or(0, |w| w.message_counter))
    }

    /// Sends a gasless grant as its sponsor: `owner`'s `signature` over the message of `args`
    /// ([`crate::message::grant_message`]), in a transaction paid by `sponsor` and co-signed by
    /// `session_key`; waits for confirmation. `cluster` is the program build's
    /// ([`crate::message::LOCALNET`] for localnet). A text the program would refuse
    /// (`InvalidDomain`, `LabelNotPrintable`) comes back as [`Error::Program`] for instruction
    /// 1 before anything is sent.
    pub async fn grant_by_message(
        &self,
        sponsor: &Keypair,
        session_key: &Keypair,
        owner: &Pubkey,
        args: session_keys::instructions::MessageGrantArgs,
        signature: &Signature,
        cluster: &str,
    ) -> Result<Signature> {
        let hash = self.rpc.get_latest_blockhash().await?;
        let mut tx = crate::message::sponsored_transaction(
            &sponsor.pubkey(),
            owner,
            &session_key.pubkey(),
            args,
            signature,
            cluster,
            hash,
        )
        .map_err(|error| Error::Program {
            error,
            instruction: 1,
        })?;
        tx.try_partial_sign(&[session_key], hash)
            .map_err(|e| Error::Account(format!("session key cannot sign: {e}")))?;
        tx.try_partial_sign(&[sponsor], hash)
            .map_err(|e| Error::Account(format!("sponsor cannot sign: {e}")))?;
        self.rpc
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(Error::from)
    }

    /// Every session `owner` granted, classified at the cluster's current time, oldest first:
    /// one `getProgramAccounts` with the session discriminator and a `memcmp` on the owner.
    pub async fn list_sessions(&self, owner: &Pubkey) -> Result<Vec<SessionInfo>> {
        Ok(self.listing(owner).await?.sessions)
    }

    /// [`list_sessions`](Self::list_sessions), with the wallet nonce and the time it read to
    /// classify them (what [`remaining`] needs), so a caller does not read them again.
    pub async fn listing(&self, owner: &Pubkey) -> Result<Listing> {
        let filters = vec![
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, Session::DISCRIMINATOR)),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                SESSION_OWNER_OFFSET,
                owner.as_ref(),
            )),
        ];
        let accounts = self.program_accounts(&crate::PROGRAM_ID, filters).await?;
        let nonce = self.wallet(owner).await?.map(|w| w.nonce);
        let now = self.now().await?;
        let mut out = Vec::with_capacity(accounts.len());
        for (address, account) in accounts {
            let account = account
                .ok_or_else(|| Error::Account(format!("{address}: undecodable account data")))?;
            let session = decode::session(&account.data)
                .map_err(|e| Error::Account(format!("{address} is not a session: {e}")))?;
            out.push(SessionInfo {
                address,
                lamports: account.lamports,
                state: classify(&session, nonce, now),
                session,
            });
        }
        out.sort_by_key(|s| (s.session.created_at, s.address));
        Ok(Listing {
            sessions: out,
            wallet_nonce: nonce,
            now,
        })
    }

    /// `getProgramAccounts` of `program_id` with `filters`, the data fetched whole
    /// (base64+zstd) and decoded (`None`: the node sent data that does not decode).
    pub(crate) async fn program_accounts(
        &self,
        program_id: &Pubkey,
        filters: Vec<RpcFilterType>,
    ) -> Result<Vec<(Pubkey, Option<Account>)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64Zstd),
                ..Default::default()
            },
            ..Default::default()
        };
        let accounts = self
            .rpc
            .get_program_ui_accounts_with_config(program_id, config)
            .await?;
        Ok(accounts
            .into_iter()
            .map(|(address, ui)| (address, ui.decode()))
            .collect())
    }

    fn with_budget(&self, instructions: &[Instruction]) -> Vec<Instruction> {
        let mut all = Vec::with_capacity(instructions.len() + 2);
        if let Some(units) = self.compute_unit_limit {
            all.push(ComputeBudgetInstruction::set_compute_unit_limit(units));
        }
        if let Some(price) = self.micro_lamports_per_unit {
            all.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        all.extend_from_slice(instructions);
        all
    }

    /// Offset added to instruction indexes by the compute-budget instructions.
    fn budget_len(&self) -> u8 {
        u8::from(self.compute_unit_limit.is_some())
            + u8::from(self.micro_lamports_per_unit.is_some())
    }

    fn shift(&self, err: Error) -> Error {
        match err {
            Error::Program { error, instruction } => Error::Program {
                error,
                instruction: instruction.saturating_sub(self.budget_len()),
            },
            other => other,
        }
    }

    /// Sends `instructions` (after the compute-budget ones) in a legacy transaction paid by
    /// `signers[0]`, and waits for confirmation. Program errors come back as
    /// [`Error::Program`], with the index among `instructions`.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature> {
        let payer = signers
            .first()
            .ok_or_else(|| Error::Account("no signer".into()))?
            .pubkey();
        let hash = self.rpc.get_latest_blockhash().await?;
        let tx = Transaction::new_signed_with_payer(
            &self.with_budget(instructions),
            Some(&payer),
            signers,
            hash,
        );
        self.rpc
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(|e| self.shift(e.into()))
    }

    /// Like [`send`](Self::send), in a v0 transaction whose accounts are looked up in `tables`
    /// where they can be (an `execute` batch fits many more calls this way).
    pub async fn send_v0(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[AddressLookupTableAccount],
    ) -> Result<Signature> {
        let tx = self.v0_transaction(instructions, signers, tables).await?;
        self.rpc
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(|e| self.shift(e.into()))
    }

    /// The signed v0 transaction [`send_v0`](Self::send_v0) would send.
    pub async fn v0_transaction(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[AddressLookupTableAccount],
    ) -> Result<VersionedTransaction> {
        let payer = signers
            .first()
            .ok_or_else(|| Error::Account("no signer".into()))?
            .pubkey();
        let hash = self.rpc.get_latest_blockhash().await?;
        let message =
            v0::Message::try_compile(&payer, &self.with_budget(instructions), tables, hash)
                .map_err(|e| Error::Account(format!("cannot compile the v0 message: {e}")))?;
        VersionedTransaction::try_new(VersionedMessage::V0(message), signers)
            .map_err(|e| Error::Account(format!("cannot sign: {e}")))
    }

    /// Creates a lookup table holding `addresses`, owned by `authority` (who pays), and waits
    /// until it can be used (the slot after its last extension).
    pub async fn create_lookup_table(
        &self,
        authority: &Keypair,
        addresses: &[Pubkey],
    ) -> Result<AddressLookupTableAccount> {
        let recent = self
            .rpc
            .get_slot_with_commitment(CommitmentConfig::finalized())
            .await?;
        let (create, table) =
            alt::create_lookup_table(authority.pubkey(), authority.pubkey(), recent);
        self.send(&[create], &[authority]).await?;
        // Addresses extended in a slot are usable from the next one.
        let mut extended = 0;
        // Up to 20 addresses per extension keeps each transaction well under a packet.
        for chunk in addresses.chunks(20) {
            extended = self
                .rpc
                .get_slot_with_commitment(CommitmentConfig::processed())
                .await?;
            let extend = alt::extend_lookup_table(
                table,
                authority.pubkey(),
                Some(authority.pubkey()),
                chunk.to_vec(),
            );
            self.send(&[extend], &[authority]).await?;
        }
        for _ in 0..50 {
            let slot = self
                .rpc
                .get_slot_with_commitment(CommitmentConfig::processed())
                .await?;
            if slot > extended {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.lookup_table(&table).await
    }

    /// Reads a lookup table.
    pub async fn lookup_table(&self, address: &Pubkey) -> Result<AddressLookupTableAccount> {
        let (data, _) = self
            .account_data(address)
            .await?
            .ok_or_else(|| Error::Account(format!("lookup table {address} not found")))?;
        let table = AddressLookupTable::deserialize(&data)
            .map_err(|e| Error::Account(format!("{address} is not a lookup table: {e}")))?;
        Ok(AddressLookupTableAccount {
            key: *address,
            addresses: table.addresses.to_vec(),
        })
    }

    /// The addresses an `execute` by `session_key` for `owner` always touches, plus those of
    /// `calls`: what a lookup table for such batches should hold.
    pub fn execute_addresses(
        owner: &Pubkey,
        session_key: &Pubkey,
        calls: &[Instruction],
    ) -> Vec<Pubkey> {
        let probe = ix::execute(session_key, owner, calls);
        let mut out: Vec<Pubkey> = Vec::new();
        for key in probe
            .accounts
            .iter()
            .map(|m| m.pubkey)
            .chain([crate::PROGRAM_ID])
        {
            // Signers must stay in the message itself.
            if key != *session_key && !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }

    /// Logs, error and units of a landed transaction (legacy or v0).
    pub async fn outcome(&self, signature: &Signature) -> Result<Outcome> {
        let tx = self
            .rpc
            .get_transaction_with_config(
                signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(CommitmentConfig::confirmed()),
                    max_supported_transaction_version: Some(0),
                },
            )
            .await?;
        let meta = tx
            .transaction
            .meta
            .ok_or_else(|| Error::Account(format!("{signature}: no status meta")))?;
        let logs = match meta.log_messages {
            OptionSerializer::Some(logs) => logs,
            _ => Vec::new(),
        };
        Ok(Outcome {
            slot: tx.slot,
            err: meta.err.map(Into::into),
            events: decode::events_from_logs(&logs),
            logs,
            units: match meta.compute_units_consumed {
                OptionSerializer::Some(units) => Some(units),
                _ => None,
            },
        })
    }
}
