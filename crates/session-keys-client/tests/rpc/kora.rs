//! A bot whose session key holds no SOL, its fees paid by Kora (kora-cli 2.0.5 with the
//! repository's deploy/kora/ policy, started here as its own process against a localnet):
//! `SessionClient::send_paid` with a `Kora` fee payer; and the typed errors (a policy refusal,
//! an unreachable fee payer, a rate limit's text). The binary: KORA_BIN, else `kora` on PATH,
//! else ~/.cache/kora/bin/kora, else it is installed there first (`cargo install kora-cli
//! --version 2.0.5 --locked --root ~/.cache/kora`, its own dependency tree and lockfile, as the
//! SDK's launcher and `.ci/run` do), so the test command needs nothing installed beforehand; a
//! test that cannot install or start it fails.
use super::{funded, SOL};
use localnet::Localnet;
use session_keys_client::{
    ix, pda,
    rpc::{classify_refusal, Error, FeePayerError, Kora, SessionClient},
    scope::{program, Scope},
};
use session_keys_tests::targets::game;
use solana_sdk::{signature::Keypair, signer::Signer};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const KORA_VERSION: &str = "kora-cli 2.0.5";

fn kora_binary() -> PathBuf {
    let version = |bin: &Path| {
        Command::new(bin)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let root = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/kora");
    let cached = root.join("bin/kora");
    let candidates = [
        std::env::var("KORA_BIN").ok().map(PathBuf::from),
        Some(PathBuf::from("kora")),
        Some(cached.clone()),
    ];
    if let Some(bin) = candidates
        .into_iter()
        .flatten()
        .find(|bin| version(bin).as_deref() == Some(KORA_VERSION))
    {
        return bin;
    }
    // One install per test binary, whatever the number of tests asking.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if version(&cached).as_deref() != Some(KORA_VERSION) {
        let status = Command::new("cargo")
            .args([
                "install",
                "kora-cli",
                "--version",
                "2.0.5",
                "--locked",
                "--root",
            ])
            .arg(&root)
            .env_remove("CARGO_TARGET_DIR")
            .status();
        assert!(
            matches!(status, Ok(s) if s.success())
                && version(&cached).as_deref() == Some(KORA_VERSION),
            "cannot install {KORA_VERSION} into {}: {status:?}",
            root.display()
        );
    }
    cached
}

/// Kora as its own process; killed on drop.
struct KoraProcess(Child);

impl Drop for KoraProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Kora with deploy/kora/ against `rpc_url`, paying from `payer`; its URL.
fn start_kora(rpc_url: &str, payer: &Keypair) -> (KoraProcess, String) {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kora");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = serde_json::to_string(&payer.to_bytes().to_vec()).unwrap();
    let child = Command::new(kora_binary())
        .args(["--rpc-url", rpc_url, "--config"])
        .arg(deploy.join("kora.toml"))
        .args(["rpc", "start", "--signers-config"])
        .arg(deploy.join("signers.toml"))
        .args(["--port", &port.to_string()])
        .env("KORA_PRIVATE_KEY", secret)
        // Loopback, no gateway: this test calls Kora itself, without an API key.
        .env_remove("KORA_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kora");
    let process = KoraProcess(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "kora did not listen within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    (process, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn a_bot_with_no_sol_plays_with_kora_paying_and_refusals_are_typed() {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    let kora_payer = funded(&client, SOL).await;
    let (_kora, url) = start_kora(net.url(), &kora_payer);
    let kora = Kora::new(&url);
    assert_eq!(kora.payer().await.unwrap(), kora_payer.pubkey());

    // The owner grants the bot's key a game session; the key has no SOL, nor does the vault.
    let owner = funded(&client, SOL).await;
    let (o, key) = (owner.pubkey(), Keypair::new());
    let now = client.now().await.unwrap();
    let args = Scope::until(now + 3600)
        .program(program(example_game::ID))
        .build(now)
        .unwrap();
    client
        .send(
            &[ix::create_session(&o, &o, &key.pubkey(), args, None)],
            &[&owner],
        )
        .await
        .unwrap();
    let vault = pda::vault(&o).0;
    // The game's treasury pays the player's rent.
    let treasury = game::treasury();
    let sig = client.rpc().request_airdrop(&treasury, SOL).await.unwrap();
    client.rpc().poll_for_signature(&sig).await.unwrap();

    let before = client
        .rpc()
        .get_balance(&kora_payer.pubkey())
        .await
        .unwrap();
    for calls in [
        vec![game::create_player_funded(&o)],
        vec![game::move_player(&vault, 1, 2)],
    ] {
        client
            .send_paid(&kora, &[ix::execute(&key.pubkey(), &o, &calls)], &[&key])
            .await
            .unwrap();
    }
    assert_eq!(
        before
            - client
                .rpc()
                .get_balance(&kora_payer.pubkey())
                .await
                .unwrap(),
        20_000,
        "Kora paid two fees of two signatures"
    );
    assert_eq!(client.rpc().get_balance(&key.pubkey()).await.unwrap(), 0);
    assert_eq!(client.rpc().get_balance(&vault).await.unwrap(), 0);
    let player = client
        .rpc()
        .get_account_data(&game::player(&vault))
        .await
        .unwrap();
    assert_eq!(player.len(), 8 + 32 + 4 + 4 + 2 + 4 + 1);

    // Kora's key as a transfer source: its fee-payer policy refuses, typed, nothing sent.
    let drain = solana_system_interface::instruction::transfer(&kora_payer.pubkey(), &o, 1_000);
    let err = client.send_paid(&kora, &[drain], &[]).await.unwrap_err();
    match &err {
        Error::FeePayer(FeePayerError::Refused { message, program }) => {
            assert!(
                message.contains("Fee payer cannot be used for 'System Transfer'"),
                "{message}"
            );
            assert_eq!(*program, None);
        }
        other => panic!("expected a refusal: {other}"),
    }
    // A session-keys refusal in Kora's simulation names the program's error.
    let late = ix::execute(&key.pubkey(), &o, &[game::move_player(&vault, 1, 0)]);
    let mut wrong = late.clone();
    wrong.accounts[1].pubkey = pda::session(&o, &Keypair::new().pubkey()).0;
    let err = client
        .send_paid(&kora, &[wrong], &[&key])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::FeePayer(FeePayerError::Refused { .. })),
        "{err}"
    );
    assert_eq!(
        client
            .rpc()
            .get_balance(&kora_payer.pubkey())
            .await
            .unwrap(),
        before - 20_000,
        "refusals cost Kora nothing"
    );

    // Unreachable: typed as unavailable.
    let err = client
        .send_paid(&Kora::new("http://127.0.0.1:9"), &[late], &[&key])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::FeePayer(FeePayerError::Unavailable(_))),
        "{err}"
    );
}

#[test]
fn refusal_texts_are_classified() {
    assert!(matches!(
        classify_refusal(
            "this player (owner X) is over 3 paid transactions per minute: retry in 59 s"
        ),
        FeePayerError::RateLimited(_)
    ));
    match classify_refusal("Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1770") {
        FeePayerError::Refused { program, .. } => assert!(program.is_some()),
        other => panic!("{other}"),
    }
    assert!(matches!(
        classify_refusal(
            "Program MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr is not in the allowed list"
        ),
        FeePayerError::Refused { program: None, .. }
    ));
}
