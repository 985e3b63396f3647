//! An operator's day: deposit, create, list, show, close, revoke, revoke everything, withdraw;
//! and the errors on the way.
use crate::common::*;
use anchor_lang::prelude::Pubkey;
use localnet::Localnet;
use serde_json::json;
use session_keys_client::{pda, rpc::SessionClient};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{signature::Keypair, signer::Signer};

#[tokio::test]
async fn an_operator_runs_a_wallet_from_the_shell() {
    let Setup { net, rpc, home } = Setup::new().await;
    let owner = home.owner.insecure_clone();
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
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
    // Two transactions: the nonce bump alone, then the delegations (each bumps the nonce).
    assert_eq!(all["nonce"], nonce + 2);
    assert_eq!(all["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(
        all["delegationsRevoked"],
        json!([ata(&o, &mint).to_string()])
    );
    assert_eq!(all["delegationsSkipped"], json!([]));
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
