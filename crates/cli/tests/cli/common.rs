//! What the CLI tests share: a HOME with a Solana CLI config, the binary run in it, and the
//! few token fixtures the commands act on.
use anchor_lang::prelude::Pubkey;
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{
        self,
        state::{Account as Account2022, Mint, Multisig},
    },
};
use localnet::Localnet;
use serde_json::{json, Value};
use session_keys_tests::fakes::multisig_signers_imitating;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    program_pack::Pack,
    signature::Keypair,
    signer::Signer,
    transaction::Transaction,
};
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// The cluster time the tests start at.
pub const T0: i64 = 1_800_000_000;
/// The Associated Token Account program.
pub const ATA: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// A HOME with a Solana CLI config pointing at the localnet and a default keypair.
pub struct Home {
    pub dir: PathBuf,
    pub owner: Keypair,
}

impl Home {
    pub fn new(url: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("session-keys-cli-{}", Keypair::new().pubkey()));
        let solana = dir.join(".config/solana");
        std::fs::create_dir_all(solana.join("cli")).unwrap();
        let owner = Keypair::new();
        write_keypair(&solana.join("id.json"), &owner);
        std::fs::write(
            solana.join("cli/config.yml"),
            format!("---\njson_rpc_url: \"{url}\"\nwebsocket_url: \"\"\nkeypair_path: {}\ncommitment: confirmed\n", solana.join("id.json").display()),
        )
        .unwrap();
        Self { dir, owner }
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `session-keys args...` with this HOME; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_session-keys"))
            .args(args)
            .env("HOME", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs a command that must succeed with `--output json`.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let (code, out, err) = self.run(&all, "");
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running localnet, a confirmed-commitment client on it with the clock at [`T0`], and a home
/// directory whose owner holds 20 SOL: what every CLI test starts from.
pub struct Setup {
    /// The localnet (stopped when dropped).
    pub net: Localnet,
    /// An RPC client on it.
    pub rpc: RpcClient,
    /// The CLI's home: config, owner keypair.
    pub home: Home,
}

impl Setup {
    /// Starts it all.
    pub async fn new() -> Self {
        let net = Localnet::start(0).unwrap();
        let rpc = RpcClient::new_with_commitment(
            net.url().into(),
            solana_commitment_config::CommitmentConfig::confirmed(),
        );
        set_time(&rpc, T0).await;
        let home = Home::new(net.url());
        airdrop(&rpc, &home.owner.pubkey(), 20 * SOL).await;
        Self { net, rpc, home }
    }
}

pub fn write_keypair(path: &Path, k: &Keypair) {
    std::fs::write(path, serde_json::to_string(&k.to_bytes().to_vec()).unwrap()).unwrap();
}

pub async fn set_time(rpc: &RpcClient, t: i64) {
    let _: Value = rpc
        .send(
            RpcRequest::Custom {
                method: "localnet_setClock",
            },
            json!([{ "unixTimestamp": t }]),
        )
        .await
        .unwrap();
}

pub async fn send(rpc: &RpcClient, ixs: &[Instruction], signers: &[&Keypair]) {
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, hash);
    rpc.send_and_confirm_transaction(&tx).await.unwrap();
}

pub async fn airdrop(rpc: &RpcClient, to: &Pubkey, lamports: u64) {
    let sig = rpc.request_airdrop(to, lamports).await.unwrap();
    rpc.poll_for_signature(&sig).await.unwrap();
}

pub fn ata(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), spl_token::ID.as_ref(), mint.as_ref()],
        &ATA,
    )
    .0
}

/// A 6-decimal mint and `owner`'s associated account holding 100 tokens.
pub async fn mint_with_balance(rpc: &RpcClient, owner: &Keypair) -> Pubkey {
    spl_mint(rpc, owner, 6, 100_000_000).await
}

/// An SPL Token mint of `decimals` (authority `owner`) and `owner`'s associated account
/// holding `units`.
pub async fn spl_mint(rpc: &RpcClient, owner: &Keypair, decimals: u8, units: u64) -> Pubkey {
    let mint = Keypair::new();
    let o = owner.pubkey();
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(82)
        .await
        .unwrap();
    let create_ata = Instruction {
        program_id: ATA,
        accounts: vec![
            AccountMeta::new(o, true),
            AccountMeta::new(ata(&o, &mint.pubkey()), false),
            AccountMeta::new_readonly(o, false),
            AccountMeta::new_readonly(mint.pubkey(), false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data: vec![1],
    };
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &o,
                &mint.pubkey(),
                rent,
                82,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(
                &spl_token::ID,
                &mint.pubkey(),
                &o,
                None,
                decimals,
            )
            .unwrap(),
            create_ata,
            spl_token::instruction::mint_to(
                &spl_token::ID,
                &mint.pubkey(),
                &ata(&o, &mint.pubkey()),
                &o,
                &[],
                units,
            )
            .unwrap(),
        ],
        &[owner, &mint],
    )
    .await;
    mint.pubkey()
}

pub async fn token_account(rpc: &RpcClient, key: &Pubkey) -> spl_token::state::Account {
    spl_token::state::Account::unpack(&rpc.get_account_data(key).await.unwrap()).unwrap()
}

/// A Token-2022 mint of 6 decimals whose mint and freeze authority is `owner`.
pub async fn mint_2022(rpc: &RpcClient, owner: &Keypair) -> Pubkey {
    let mint = Keypair::new();
    let o = owner.pubkey();
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(Mint::LEN)
        .await
        .unwrap();
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &o,
                &mint.pubkey(),
                rent,
                Mint::LEN as u64,
                &spl_token_2022::ID,
            ),
            spl_token_2022::instruction::initialize_mint2(
                &spl_token_2022::ID,
                &mint.pubkey(),
                &o,
                Some(&o),
                6,
            )
            .unwrap(),
        ],
        &[owner, &mint],
    )
    .await;
    mint.pubkey()
}

/// A Token-2022 account of `owner` (not associated) holding `units` of `mint`, with `delegate`
/// approved for `delegated` of them.
pub async fn account_2022(
    rpc: &RpcClient,
    owner: &Keypair,
    mint: &Pubkey,
    units: u64,
    delegate: &Pubkey,
    delegated: u64,
) -> Pubkey {
    let account = Keypair::new();
    let (o, a) = (owner.pubkey(), account.pubkey());
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(Account2022::LEN)
        .await
        .unwrap();
    let token = spl_token_2022::instruction::initialize_account3(&spl_token_2022::ID, &a, mint, &o);
    let mint_to =
        spl_token_2022::instruction::mint_to(&spl_token_2022::ID, mint, &a, &o, &[], units);
    let approve =
        spl_token_2022::instruction::approve(&spl_token_2022::ID, &a, delegate, &o, &[], delegated);
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &o,
                &a,
                rent,
                Account2022::LEN as u64,
                &spl_token_2022::ID,
            ),
            token.unwrap(),
            mint_to.unwrap(),
            approve.unwrap(),
        ],
        &[owner, &account],
    )
    .await;
    a
}

/// Freezes a Token-2022 account (`authority` is the mint's freeze authority).
pub async fn freeze_2022(rpc: &RpcClient, authority: &Keypair, account: &Pubkey, mint: &Pubkey) {
    let freeze = spl_token_2022::instruction::freeze_account(
        &spl_token_2022::ID,
        account,
        mint,
        &authority.pubkey(),
        &[],
    );
    send(rpc, &[freeze.unwrap()], &[authority]).await;
}

/// A Token-2022 account's base state.
pub async fn account_2022_state(rpc: &RpcClient, key: &Pubkey) -> Account2022 {
    Account2022::unpack(&rpc.get_account_data(key).await.unwrap()).unwrap()
}

/// A stranger plants, under Token-2022, a multisig whose 11 signer keys make its data read as
/// `image` at a token account's offsets, with byte 165 = 2 (Token-2022's "account" type):
/// nothing of the victim's signs. Returns its address.
pub async fn plant_multisig_2022(
    rpc: &RpcClient,
    stranger: &Keypair,
    image: &[u8; Account2022::LEN],
) -> Pubkey {
    let fake = Keypair::new();
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(Multisig::LEN)
        .await
        .unwrap();
    let signers = multisig_signers_imitating(image);
    let refs: Vec<&Pubkey> = signers.iter().collect();
    let init = spl_token_2022::instruction::initialize_multisig2(
        &spl_token_2022::ID,
        &fake.pubkey(),
        &refs,
        1,
    );
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &stranger.pubkey(),
                &fake.pubkey(),
                rent,
                Multisig::LEN as u64,
                &spl_token_2022::ID,
            ),
            init.unwrap(),
        ],
        &[stranger, &fake],
    )
    .await;
    let data = rpc.get_account_data(&fake.pubkey()).await.unwrap();
    assert_eq!(data.len(), Multisig::LEN);
    assert_eq!(
        &data[3..Account2022::LEN],
        &image[3..],
        "reads as the image"
    );
    assert_eq!(data[Account2022::LEN], 2, "account-type byte: account");
    fake.pubkey()
}
