//! [`TestEnv`]: a started bank with its actors, how transactions reach it, and what can be
//! read back (clock, accounts, balances, sessions, wallets).
use crate::{client, heap, program_test, stubs, SOL, START, TOKEN};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::{
    token::spl_token, token_2022::spl_token_2022::state::Account as TokenAccountState,
};
use session_keys::state::{Session, Wallet};
use solana_program_test::{BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    clock::Clock,
    program_pack::Pack,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use std::collections::HashSet;

/// A running bank with an owner, a session key, a stranger and an SPL Token mint.
pub struct TestEnv {
    /// The program-test context.
    pub ctx: ProgramTestContext,
    /// The wallet owner (100 SOL).
    pub owner: Keypair,
    /// The session key (1 SOL for fees).
    pub key: Keypair,
    /// Someone else (10 SOL).
    pub stranger: Keypair,
    /// An SPL Token mint with [`DECIMALS`](crate::DECIMALS).
    pub mint: Pubkey,
    /// The owner's token account of `mint`, holding 1,000 tokens.
    pub owner_ata: Pubkey,
    /// A recipient's token account of `mint`.
    pub recipient_ata: Pubkey,
    /// Owner of `recipient_ata`.
    pub recipient: Pubkey,
    sent: HashSet<Signature>,
}

impl TestEnv {
    /// Starts a bank at [`START`] with the default actors.
    pub async fn new() -> Self {
        Self::with(program_test()).await
    }

    /// Starts `pt` (which may hold more programs) with the default actors.
    pub async fn with(pt: ProgramTest) -> Self {
        Self::with_keys(pt, Keypair::new(), Keypair::new()).await
    }

    /// Starts `pt` with the given owner and session key (fixed keys make golden vectors
    /// reproducible).
    pub async fn with_keys(mut pt: ProgramTest, owner: Keypair, key: Keypair) -> Self {
        let stranger = Keypair::new();
        for (k, lamports) in [(&owner, 100 * SOL), (&key, SOL), (&stranger, 10 * SOL)] {
            pt.add_account(
                k.pubkey(),
                Account::new(lamports, 0, &anchor_lang::system_program::ID),
            );
        }
        let ctx = pt.start_with_context().await;
        // After the first start, which installed solana-program-test's stubs.
        stubs::install();
        let mut env = Self {
            ctx,
            owner,
            key,
            stranger,
            mint: Pubkey::default(),
            owner_ata: Pubkey::default(),
            recipient_ata: Pubkey::default(),
            recipient: Pubkey::new_unique(),
            sent: HashSet::new(),
        };
        env.set_time(START).await;
        env.mint = env.create_mint(&spl_token::ID).await;
        let owner = env.owner.pubkey();
        env.owner_ata = env.create_token_account(&env.mint.clone(), &owner).await;
        env.mint_to(&env.mint.clone(), &env.owner_ata.clone(), 1_000 * TOKEN)
            .await;
        let recipient = env.recipient;
        env.recipient_ata = env
            .create_token_account(&env.mint.clone(), &recipient)
            .await;
        env
    }

    /// A transaction of `ixs` paid by the first signer. Identical transactions get a fresh
    /// blockhash so that a repeated call is really executed again.
    async fn transaction(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Transaction {
        let payer = signers[0].pubkey();
        let mut tx =
            Transaction::new_signed_with_payer(ixs, Some(&payer), signers, self.ctx.last_blockhash);
        if self.sent.contains(&tx.signatures[0]) {
            self.ctx.last_blockhash = self.ctx.get_new_latest_blockhash().await.unwrap();
            tx = Transaction::new_signed_with_payer(
                ixs,
                Some(&payer),
                signers,
                self.ctx.last_blockhash,
            );
        }
        self.sent.insert(tx.signatures[0]);
        tx
    }

    /// Sends `ixs` paid by the first signer. Identical transactions get a fresh blockhash so
    /// that a repeated call is really executed again.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), TransactionError> {
        let tx = self.transaction(ixs, signers).await;
        self.ctx
            .banks_client
            .process_transaction(tx)
            .await
            .map_err(|e: BanksClientError| e.unwrap())
    }

    /// Sends `ixs` like [`Self::send`] and returns the transaction's log lines as a validator
    /// prints them, events (`Program data: ...`) included.
    pub async fn send_with_logs(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> (Result<(), TransactionError>, Vec<String>) {
        let tx = self.transaction(ixs, signers).await;
        self.send_versioned_with_logs(tx).await
    }

    /// Sends a (legacy or v0) transaction and returns its result and log lines.
    pub async fn send_versioned_with_logs(
        &mut self,
        tx: impl Into<VersionedTransaction>,
    ) -> (Result<(), TransactionError>, Vec<String>) {
        let tx: VersionedTransaction = tx.into();
        // `process_transaction` (what `send` uses) returns once the status is recorded, a
        // moment before the bank releases the transaction's account locks; this path runs on
        // the bank directly and can meet those locks. `AccountInUse` means nothing ran: retry.
        for _ in 0..100 {
            let r = self
                .ctx
                .banks_client
                .process_transaction_with_metadata(tx.clone())
                .await;
            match r {
                Ok(r) if r.result == Err(TransactionError::AccountInUse) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Ok(r) => {
                    let logs = r.metadata.map(|m| m.log_messages).unwrap_or_default();
                    return (r.result, stubs::normalize_logs(logs));
                }
                Err(e) => return (Err(e.unwrap()), Vec::new()),
            }
        }
        (Err(TransactionError::AccountInUse), Vec::new())
    }

    /// The session-keys events in `logs` (see [`client::decode::events_from_logs`]).
    pub fn events(logs: &[String]) -> Vec<client::decode::SessionEvent> {
        client::decode::events_from_logs(logs)
    }

    /// Sends a (legacy or v0) transaction and returns, with its result, the heap each
    /// session-keys instruction of `ixs` (the transaction's top-level instructions) used.
    pub async fn send_measured(
        &mut self,
        tx: impl Into<VersionedTransaction>,
        ixs: &[Instruction],
    ) -> (Result<(), TransactionError>, Vec<heap::HeapRecord>) {
        heap::prime_output();
        let _recording = heap::record();
        let (result, _) = self.send_versioned_with_logs(tx).await;
        let records = ixs
            .iter()
            .filter(|ix| ix.program_id == session_keys::ID)
            .flat_map(|ix| {
                let keys: Vec<Pubkey> = ix.accounts.iter().map(|m| m.pubkey).collect();
                heap::take(&keys, &ix.data)
            })
            .collect();
        (result, records)
    }

    /// A legacy transaction of `ixs` paid by the first signer (see [`Self::send`]).
    pub async fn legacy_transaction(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Transaction {
        self.transaction(ixs, signers).await
    }

    /// Sends `ixs` signed and paid by the owner.
    pub async fn send_owner(&mut self, ixs: &[Instruction]) -> Result<(), TransactionError> {
        let owner = self.owner.insecure_clone();
        self.send(ixs, &[&owner]).await
    }

    /// Sends `ixs` signed and paid by the session key alone.
    pub async fn send_key(&mut self, ixs: &[Instruction]) -> Result<(), TransactionError> {
        let key = self.key.insecure_clone();
        self.send(ixs, &[&key]).await
    }

    /// Current bank clock.
    pub async fn clock(&mut self) -> Clock {
        self.ctx.banks_client.get_sysvar::<Clock>().await.unwrap()
    }

    /// Current unix time.
    pub async fn now(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }

    /// Sets the bank's unix time (the slot is left alone).
    pub async fn set_time(&mut self, unix_timestamp: i64) {
        let clock = Clock {
            unix_timestamp,
            ..self.clock().await
        };
        self.ctx.set_sysvar(&clock);
    }

    /// Raw account, if it exists.
    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.unwrap()
    }

    /// Lamports of `key` (0 if it does not exist).
    pub async fn lamports(&mut self, key: &Pubkey) -> u64 {
        self.account(key).await.map_or(0, |a| a.lamports)
    }

    /// Decoded token account (SPL Token or Token-2022).
    pub async fn token_account(&mut self, key: &Pubkey) -> TokenAccountState {
        let data = self.account(key).await.expect("token account exists").data;
        // Extensions follow the base layout; the base fields are the first 165 bytes.
        TokenAccountState::unpack_from_slice(&data[..TokenAccountState::LEN]).unwrap()
    }

    /// Token balance of `key`.
    pub async fn balance(&mut self, key: &Pubkey) -> u64 {
        self.token_account(key).await.amount
    }

    /// The session of `owner` and `key`, if it exists.
    pub async fn session_of(&mut self, owner: &Pubkey, key: &Pubkey) -> Option<Session> {
        let address = client::pda::session(owner, key).0;
        let account = self.account(&address).await?;
        Some(client::decode::session(&account.data).unwrap())
    }

    /// The default owner's session with the default key.
    pub async fn session(&mut self) -> Option<Session> {
        let (owner, key) = (self.owner.pubkey(), self.key.pubkey());
        self.session_of(&owner, &key).await
    }

    /// The wallet account of `owner`.
    pub async fn wallet_of(&mut self, owner: &Pubkey) -> Option<Wallet> {
        let address = client::pda::wallet(owner).0;
        let account = self.account(&address).await?;
        Some(client::decode::wallet(&account.data).unwrap())
    }

    /// Total token amount of `accounts`, and lamports of `keys`: a snapshot to assert that a
    /// rejected call moved nothing.
    pub async fn snapshot(&mut self, tokens: &[Pubkey], keys: &[Pubkey]) -> Vec<u64> {
        let mut out = Vec::new();
        for t in tokens {
            out.push(self.balance(t).await);
        }
        for k in keys {
            out.push(self.lamports(k).await);
        }
        out
    }
}
