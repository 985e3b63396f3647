//! Shared fixtures for the runtime tests and the demo.
//!
//! The program is compiled for the host and registered in `solana-program-test` as a native
//! processor: real bank, real signature/owner/writable checks, real System, SPL Token and
//! Token-2022 programs (bundled sBPF), real CPI, and a Clock sysvar the tests can move.
// solana-program-test 3.1 marks its whole API "unstable" (deprecated); it is the harness the
// project is built on, pinned to an exact version.
#![allow(deprecated)]
pub use session_keys_client as client;
pub mod fakes;
pub mod heap;
pub mod stubs;
pub mod targets;

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{self, state::Account as TokenAccountState},
};
use session_keys::{
    errors::SessionError,
    state::{Session, Wallet},
};
use solana_program_test::{BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::Account,
    account_info::AccountInfo,
    clock::Clock,
    entrypoint::ProgramResult,
    instruction::InstructionError,
    program_pack::Pack,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use std::collections::HashSet;

/// Decimals of every test mint.
pub const DECIMALS: u8 = 6;
/// One whole token in base units.
pub const TOKEN: u64 = 1_000_000;
/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// Unix time the tests start at.
pub const START: i64 = 1_800_000_000;

/// Anchor's `entry` wants one lifetime for everything, `processor!` wants independent ones;
/// `AccountInfo` is invariant over its lifetime, so the slice is transmuted (same layout).
/// With `measured`, the program's heap use is counted while it runs ([`heap::frame`]).
macro_rules! entry_shim {
    ($name:ident, $entry:path) => {
        fn $name(id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
            // SAFETY: only the lifetime parameter changes; the runtime keeps the accounts
            // alive for the whole call.
            let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
            $entry(id, accounts, data)
        }
    };
    ($name:ident, $entry:path, measured) => {
        fn $name(id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
            // SAFETY: as above.
            let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
            heap::frame(accounts, data, || $entry(id, accounts, data), Result::is_ok)
        }
    };
}
entry_shim!(session_keys_entry, session_keys::entry, measured);
entry_shim!(example_game_entry, example_game::entry);
entry_shim!(hostile_target_entry, hostile_target::entry);

/// The runtime logs every invocation at debug level, which buries test output. Keep errors
/// only unless the caller set `RUST_LOG` (e.g. `RUST_LOG=debug cargo test ...`).
fn quiet_runtime_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
}

/// A program test with session-keys, the example game and the hostile target registered as
/// native programs whose events reach the transaction log (once [`stubs::install`] ran after
/// the bank started, as [`TestEnv`] does) and whose heap use is measured ([`heap`]).
pub fn program_test() -> ProgramTest {
    quiet_runtime_logs();
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(false);
    pt.add_program(
        "session_keys",
        session_keys::ID,
        native_processor!(session_keys_entry),
    );
    pt.add_program(
        "example_game",
        example_game::ID,
        native_processor!(example_game_entry),
    );
    pt.add_program(
        "hostile_target",
        hostile_target::ID,
        native_processor!(hostile_target_entry),
    );
    pt
}

/// Like [`program_test`] with session-keys alone, registered through solana-program-test's
/// plain `processor!`: no log collector is registered for it, so its events reach the log
/// through the marked `sol_log` fallback that [`stubs::normalize_logs`] rewrites.
pub fn program_test_with_plain_processor() -> ProgramTest {
    quiet_runtime_logs();
    let mut pt = ProgramTest::default();
    pt.prefer_bpf(false);
    pt.add_program(
        "session_keys",
        session_keys::ID,
        solana_program_test::processor!(session_keys_entry),
    );
    pt
}

/// The custom error code of a program error.
pub fn code(e: SessionError) -> u32 {
    client::decode::error_code(e)
}

/// Asserts that `result` failed in instruction `index` with custom error `expected`.
#[track_caller]
pub fn assert_custom(result: Result<(), TransactionError>, index: u8, expected: u32) {
    assert_eq!(
        result,
        Err(TransactionError::InstructionError(
            index,
            InstructionError::Custom(expected)
        ))
    );
}

/// Asserts that `result` failed in its first instruction with the program error `e`.
#[track_caller]
pub fn assert_session_error(result: Result<(), TransactionError>, e: SessionError) {
    assert_custom(result, 0, code(e));
}

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
    /// An SPL Token mint with [`DECIMALS`].
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

    /// Creates a mint owned by `token_program` with [`DECIMALS`]; the context payer is its mint
    /// and freeze authority.
    pub async fn create_mint(&mut self, token_program: &Pubkey) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token_2022::state::Mint::LEN;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &mint.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                token_program,
            ),
            spl_token_2022::instruction::initialize_mint2(
                token_program,
                &mint.pubkey(),
                &payer.pubkey(),
                Some(&payer.pubkey()),
                DECIMALS,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&payer, &mint]).await.unwrap();
        mint.pubkey()
    }

    /// Creates a token account of `mint` owned by `owner`: token program read from the mint,
    /// and, for Token-2022, the account extensions the mint's extensions require.
    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        use spl_token_2022::{
            extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions},
            state::Mint,
        };
        let mint_account = self.account(mint).await.expect("mint exists");
        let token_program = mint_account.owner;
        let mint_extensions = StateWithExtensions::<Mint>::unpack(&mint_account.data)
            .and_then(|m| m.get_extension_types())
            .unwrap_or_default();
        let len = ExtensionType::try_calculate_account_len::<TokenAccountState>(
            &ExtensionType::get_required_init_account_extensions(&mint_extensions),
        )
        .unwrap();
        let account = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &account.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &token_program,
            ),
            spl_token_2022::instruction::initialize_account3(
                &token_program,
                &account.pubkey(),
                mint,
                owner,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&payer, &account]).await.unwrap();
        account.pubkey()
    }

    /// Creates a Token-2022 mint with [`DECIMALS`] carrying `extensions`, initialised by
    /// `init` (instructions built for the new mint's address) before the mint itself; the
    /// context payer is mint and freeze authority.
    pub async fn create_mint_2022(
        &mut self,
        extensions: &[spl_token_2022::extension::ExtensionType],
        init: impl Fn(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token_2022::extension::ExtensionType::try_calculate_account_len::<
            spl_token_2022::state::Mint,
        >(extensions)
        .unwrap();
        let t22 = anchor_spl::token_2022::ID;
        let mut ixs = vec![solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent.minimum_balance(len),
            len as u64,
            &t22,
        )];
        ixs.extend(init(&mint.pubkey()));
        ixs.push(
            spl_token_2022::instruction::initialize_mint2(
                &t22,
                &mint.pubkey(),
                &payer.pubkey(),
                Some(&payer.pubkey()),
                DECIMALS,
            )
            .unwrap(),
        );
        self.send(&ixs, &[&payer, &mint]).await.unwrap();
        mint.pubkey()
    }

    /// Mints `amount` of `mint` into `account`.
    pub async fn mint_to(&mut self, mint: &Pubkey, account: &Pubkey, amount: u64) {
        let token_program = self.account(mint).await.expect("mint exists").owner;
        let payer = self.ctx.payer.insecure_clone();
        let ix = spl_token_2022::instruction::mint_to(
            &token_program,
            mint,
            account,
            &payer.pubkey(),
            &[],
            amount,
        )
        .unwrap();
        self.send(&[ix], &[&payer]).await.unwrap();
    }

    /// The token program owning `mint`.
    pub async fn token_program_of(&mut self, mint: &Pubkey) -> Pubkey {
        self.account(mint).await.expect("mint exists").owner
    }

    /// Accounts of a transfer of `mint` from `from` to `to`.
    pub async fn transfer_accounts(
        &mut self,
        from: &Pubkey,
        mint: &Pubkey,
        to: &Pubkey,
    ) -> client::ix::TokenTransfer {
        client::ix::TokenTransfer {
            from: *from,
            mint: *mint,
            to: *to,
            token_program: self.token_program_of(mint).await,
        }
    }

    /// `transfer_token` of the default mint from the owner's account to the recipient's.
    pub async fn transfer_ix(&mut self, amount: u64) -> Instruction {
        let (from, mint, to) = (self.owner_ata, self.mint, self.recipient_ata);
        let t = self.transfer_accounts(&from, &mint, &to).await;
        client::ix::transfer_token(
            &self.key.pubkey(),
            &self.owner.pubkey(),
            t,
            amount,
            DECIMALS,
        )
    }

    /// Creates a session for the default key with `args`, approving the vault on the owner's
    /// token account when `args.delegate_amount` is set.
    pub async fn create_session(
        &mut self,
        args: client::CreateSessionArgs,
    ) -> Result<(), TransactionError> {
        let delegate = args.delegate_amount.map(|_| client::ix::DelegateFrom {
            token_account: self.owner_ata,
            token_program: spl_token::ID,
        });
        let (owner, key) = (self.owner.pubkey(), self.key.pubkey());
        let ix = client::ix::create_session(&owner, &owner, &key, args, delegate);
        self.send_owner(&[ix]).await
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

    /// A bank with a session on the default mint with `caps`, for an hour from [`START`], the
    /// vault approved as delegate of the owner's account for `delegate`.
    pub async fn with_token_session(caps: session_keys::policy::CapsArgs, delegate: u64) -> Self {
        let mut env = Self::new().await;
        env.token_session(caps, delegate).await;
        env
    }

    /// Creates the default key's session on the default mint with `caps` (an hour from
    /// [`START`]), approving the vault for `delegate` on the owner's account.
    pub async fn token_session(&mut self, caps: session_keys::policy::CapsArgs, delegate: u64) {
        let args = client::scope::Scope::until(START + 3600)
            .mint(self.mint, caps)
            .delegate(delegate)
            .build(START)
            .unwrap();
        self.create_session(args).await.unwrap();
    }

    /// A bank whose vault holds `deposit` lamports and whose default session may move SOL
    /// under `caps` for two hours from [`START`]. Returns the vault too.
    pub async fn with_sol_session(
        deposit: u64,
        caps: session_keys::policy::CapsArgs,
    ) -> (Self, Pubkey) {
        let mut env = Self::new().await;
        let owner = env.owner.pubkey();
        env.send_owner(&[client::ix::deposit_sol(&owner, deposit)])
            .await
            .unwrap();
        let args = client::scope::Scope::until(START + 7200)
            .sol(caps)
            .build(START)
            .unwrap();
        env.create_session(args).await.unwrap();
        (env, client::pda::vault(&owner).0)
    }

    /// Session-signed `transfer_token` of `amount` from the owner's account to the recipient.
    pub async fn send_transfer(&mut self, amount: u64) -> Result<(), TransactionError> {
        let ix = self.transfer_ix(amount).await;
        self.send_key(&[ix]).await
    }

    /// Session-signed `execute` of `calls` with the default key.
    pub async fn execute(&mut self, calls: &[Instruction]) -> Result<(), TransactionError> {
        let ix = client::ix::execute(&self.key.pubkey(), &self.owner.pubkey(), calls);
        self.send_key(&[ix]).await
    }

    /// The owner revokes the default key's session (rent back to the owner), so that the same
    /// key can be granted again.
    pub async fn revoke_own_session(&mut self) {
        let (owner, key) = (self.owner.pubkey(), self.key.pubkey());
        self.send_owner(&[client::ix::revoke_session(&owner, &owner, &key, &owner)])
            .await
            .unwrap();
    }
}
