//! The `session-keys` binary against a localnet started by each test: every command, its
//! on-chain effect, defaults from the Solana CLI config, confirmations and readable errors.
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use localnet::Localnet;
use serde_json::{json, Value};
use session_keys_client::{pda, rpc::SessionClient};
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

const SOL: u64 = 1_000_000_000;
const T0: i64 = 1_800_000_000;
const ATA: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// A HOME with a Solana CLI config pointing at the localnet and a default keypair.
struct Home {
    dir: PathBuf,
    owner: Keypair,
}

impl Home {
    fn new(url: &str) -> Self {
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

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `session-keys args...` with this HOME; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
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
    fn json(&self, args: &[&str]) -> Value {
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

fn write_keypair(path: &Path, k: &Keypair) {
    std::fs::write(path, serde_json::to_string(&k.to_bytes().to_vec()).unwrap()).unwrap();
}

async fn set_time(rpc: &RpcClient, t: i64) {
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

async fn send(rpc: &RpcClient, ixs: &[Instruction], signers: &[&Keypair]) {
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, hash);
    rpc.send_and_confirm_transaction(&tx).await.unwrap();
}

async fn airdrop(rpc: &RpcClient, to: &Pubkey, lamports: u64) {
    let sig = rpc.request_airdrop(to, lamports).await.unwrap();
    rpc.poll_for_signature(&sig).await.unwrap();
}

fn ata(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), spl_token::ID.as_ref(), mint.as_ref()],
        &ATA,
    )
    .0
}

/// A 6-decimal mint and `owner`'s associated account holding 100 tokens.
async fn mint_with_balance(rpc: &RpcClient, owner: &Keypair) -> Pubkey {
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
            spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), &o, None, 6)
                .unwrap(),
            create_ata,
            spl_token::instruction::mint_to(
                &spl_token::ID,
                &mint.pubkey(),
                &ata(&o, &mint.pubkey()),
                &o,
                &[],
                100_000_000,
            )
            .unwrap(),
        ],
        &[owner, &mint],
    )
    .await;
    mint.pubkey()
}

async fn token_account(rpc: &RpcClient, key: &Pubkey) -> spl_token::state::Account {
    spl_token::state::Account::unpack(&rpc.get_account_data(key).await.unwrap()).unwrap()
}

#[tokio::test]
async fn an_operator_runs_a_wallet_from_the_shell() {
    let net = Localnet::start(0).unwrap();
    let rpc = RpcClient::new_with_commitment(
        net.url().into(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    );
    set_time(&rpc, T0).await;
    let home = Home::new(net.url());
    let owner = home.owner.insecure_clone();
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    airdrop(&rpc, &o, 20 * SOL).await;
    let mint = mint_with_balance(&rpc, &owner).await;
    let m = mint.to_string();

    // No --url, no --keypair: both come from the Solana CLI config in HOME.
    let (code, out, err) = home.run(&["deposit", "2"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deposited 2 SOL"), "{out}");
    assert_eq!(rpc.get_balance(&vault).await.unwrap(), 2 * SOL);
    home.json(&["deposit", "10", "--mint", &m]);
    assert_eq!(
        token_account(&rpc, &ata(&vault, &mint)).await.amount,
        10_000_000
    );

    let toml = home.file(
        "scope.toml",
        &format!(
            "expires_in = \"1h\"\nlabel = \"trading bot\"\ntop_up_sol = \"0.01\"\n\
             [sol]\nlifetime = \"1.5\"\nwindow = {{ seconds = 3600, cap = 1 }}\n\
             [[mints]]\nmint = \"{m}\"\nlifetime = 25.5\n\
             [delegate]\nmint = \"{m}\"\namount = 40\n"
        ),
    );
    let k1 = Keypair::new();
    let created = home.json(&[
        "create",
        "--key",
        &k1.pubkey().to_string(),
        "--scope",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(
        created["session"],
        pda::session(&o, &k1.pubkey()).0.to_string()
    );
    assert_eq!(created["expiresAt"], T0 + 3600);
    let client = SessionClient::new(net.url());
    let s = client.session(&o, &k1.pubkey()).await.unwrap().unwrap();
    assert_eq!(s.label, "trading bot");
    let sol = s.sol.unwrap();
    assert_eq!(
        (sol.lifetime_cap, sol.window_secs, sol.window_cap),
        (1_500_000_000, 3600, SOL)
    );
    assert_eq!(
        (s.mints[0].mint, s.mints[0].allowance.lifetime_cap),
        (mint, 25_500_000)
    );
    let owner_ata = token_account(&rpc, &ata(&o, &mint)).await;
    assert_eq!(owner_ata.delegate, Some(vault).into());
    assert_eq!(owner_ata.delegated_amount, 40_000_000);
    assert_eq!(rpc.get_balance(&k1.pubkey()).await.unwrap(), SOL / 100);

    let json_scope = home.file(
        "scope.json",
        r#"{"expires_in": "2m", "sol": {"lifetime": "0.1"}}"#,
    );
    let k2 = Keypair::new();
    home.json(&[
        "create",
        "--key",
        &k2.pubkey().to_string(),
        "--scope",
        json_scope.to_str().unwrap(),
    ]);

    let listed = home.json(&["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "live"),
        "{listed}"
    );

    // The key spends; `show` reports it.
    let to = Pubkey::new_unique();
    client
        .send(
            &[session_keys_client::ix::transfer_sol(
                &k1.pubkey(),
                &o,
                &to,
                SOL / 2,
            )],
            &[&k1],
        )
        .await
        .unwrap();
    let shown = home.json(&["show", "--key", &k1.pubkey().to_string()]);
    assert_eq!(shown["sol"]["spent"], SOL / 2);
    assert_eq!(shown["uses"], 1);
    assert_eq!(shown["remaining"][0]["availableNow"], SOL / 2);
    let (code, text, _) = home.run(&["show", shown["address"].as_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(
        text.contains("state       live")
            && text.contains("SOL: 0.5 now, 1 over the lifetime, 0.5 left in this window"),
        "{text}"
    );

    // Three minutes later the short session is dead; closing asks first.
    set_time(&rpc, T0 + 180).await;
    let listed = home.json(&["list"]);
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"expired") && states.contains(&"live"),
        "{states:?}"
    );
    let (code, _, err) = home.run(&["close-stale"], "n\n");
    assert_eq!(code, 1);
    assert!(err.contains("aborted"), "{err}");
    assert!(client.session(&o, &k2.pubkey()).await.unwrap().is_some());
    let before = rpc.get_balance(&o).await.unwrap();
    let closed = home.json(&["close-stale", "--yes"]);
    assert_eq!(
        closed["closed"],
        json!([pda::session(&o, &k2.pubkey()).0.to_string()])
    );
    assert!(client.session(&o, &k2.pubkey()).await.unwrap().is_none());
    assert!(
        rpc.get_balance(&o).await.unwrap() > before,
        "rent back to the payer"
    );

    // Revoke one, answering the prompt.
    let k3 = Keypair::new();
    home.json(&[
        "create",
        "--key",
        &k3.pubkey().to_string(),
        "--scope",
        toml.to_str().unwrap(),
    ]);
    let (code, out, err) = home.run(&["revoke", "--key", &k3.pubkey().to_string()], "y\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked session"), "{out}");
    assert!(client.session(&o, &k3.pubkey()).await.unwrap().is_none());

    // Incident response: one command, everything of this owner.
    let nonce = client.wallet(&o).await.unwrap().unwrap().nonce;
    let all = home.json(&["revoke-all", "--yes"]);
    assert_eq!(all["nonce"], nonce + 1);
    assert_eq!(
        all["delegationsRevoked"],
        json!([ata(&o, &mint).to_string()])
    );
    let owner_ata = token_account(&rpc, &ata(&o, &mint)).await;
    assert_eq!(
        owner_ata.delegate,
        None.into(),
        "the vault's delegation is gone"
    );
    assert_eq!(owner_ata.delegated_amount, 0);
    let listed = home.json(&["list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "revoked"),
        "{listed}"
    );
    let err = client
        .send(
            &[session_keys_client::ix::transfer_sol(
                &k1.pubkey(),
                &o,
                &to,
                1,
            )],
            &[&k1],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.session_error(),
        Some(session_keys_client::SessionError::SessionRevoked)
    );

    // Funds back out.
    let before = rpc.get_balance(&o).await.unwrap();
    home.json(&["withdraw", "1", "--yes"]);
    assert_eq!(rpc.get_balance(&o).await.unwrap(), before + SOL - 5000);
    home.json(&["withdraw", "4", "--mint", &m, "--yes"]);
    assert_eq!(
        token_account(&rpc, &ata(&vault, &mint)).await.amount,
        6_000_000
    );
    assert_eq!(
        token_account(&rpc, &ata(&o, &mint)).await.amount,
        94_000_000
    );
}

#[tokio::test]
async fn errors_are_readable_and_exit_non_zero() {
    let net = Localnet::start(0).unwrap();
    let rpc = RpcClient::new(net.url().into());
    set_time(&rpc, T0).await;
    let home = Home::new(net.url());
    let o = home.owner.pubkey();
    airdrop(&rpc, &o, 5 * SOL).await;

    // Refused before sending, with the program's own error.
    let far = home.file("far.toml", "expires_in = \"400d\"\n[sol]\nlifetime = 1\n");
    let key = Keypair::new().pubkey().to_string();
    let (code, _, err) = home.run(
        &["create", "--key", &key, "--scope", far.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("ExpiryTooFar (error 6005)"), "{err}");
    let typo = home.file("typo.toml", "expires_in = \"1h\"\n[sol]\nlifetim = 1\n");
    let (code, _, err) = home.run(
        &["create", "--key", &key, "--scope", typo.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("lifetim"), "{err}");

    // Refused on chain: a stranger cannot revoke someone else's session.
    let ok = home.file("ok.toml", "expires_in = \"1h\"\n[sol]\nlifetime = 1\n");
    home.json(&["create", "--key", &key, "--scope", ok.to_str().unwrap()]);
    let stranger = Keypair::new();
    airdrop(&rpc, &stranger.pubkey(), SOL).await;
    let stranger_file = home.dir.join("stranger.json");
    write_keypair(&stranger_file, &stranger);
    let (code, _, err) = home.run(
        &[
            "revoke",
            "--key",
            &key,
            "--owner",
            &o.to_string(),
            "--keypair",
            stranger_file.to_str().unwrap(),
            "--yes",
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("UnauthorizedRevoker (error 6023)"), "{err}");

    let (code, _, err) = home.run(&["show", "--key", &Pubkey::new_unique().to_string()], "");
    assert_eq!(code, 1);
    assert!(err.contains("no session at"), "{err}");
    let (code, _, err) = home.run(&["list", "--keypair", "/nonexistent/id.json"], "");
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read keypair /nonexistent/id.json"),
        "{err}"
    );
    let (code, _, err) = home.run(&["list", "--url", "http://127.0.0.1:9"], "");
    assert_eq!(code, 1);
    assert!(err.contains("RPC request failed"), "{err}");
    let (code, _, err) = home.run(&["deposit", "1.0000000001"], "");
    assert_eq!(code, 1);
    assert!(err.contains("more than 9 decimals"), "{err}");
    let (code, _, _) = home.run(&["frobnicate"], "");
    assert_eq!(code, 2, "usage errors exit 2");
}
