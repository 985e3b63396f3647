//! Guardrails from the shell: the owner's budgets (`budget set/show/remove`), a session's rate
//! limit and reference history at `create`, and `preview` / `check`, whose verdict the real
//! send then confirms.
use crate::common::*;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use serde_json::{json, Value};
use session_keys_client::{
    decode::error_code,
    ix::{self, TokenTransfer},
    pda,
    rpc::SessionClient,
    session_keys::policy::SOL_ASSET,
    SessionError,
};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    signature::Keypair,
    signer::Signer,
};

/// `owner`'s associated token account of `mint`, created (paid by `payer`).
async fn new_ata(rpc: &RpcClient, payer: &Keypair, owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    let create = Instruction {
        program_id: ATA,
        accounts: vec![
            AccountMeta::new(payer.pubkey(), true),
            AccountMeta::new(ata(owner, mint), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(spl_token::ID, false),
        ],
        data: vec![1],
    };
    send(rpc, &[create], &[payer]).await;
    ata(owner, mint)
}

/// "Name (error N)" as the CLI prints a program error.
fn named(e: SessionError) -> String {
    format!("{e:?} (error {})", error_code(e))
}

/// Runs a command expected to fail with exit status 1; returns its stderr.
fn fails(home: &Home, args: &[&str]) -> String {
    let (code, out, err) = home.run(args, "");
    assert_eq!(code, 1, "{args:?}: {out} {err}");
    err
}

#[tokio::test]
async fn an_owner_sets_shows_and_removes_budgets_from_the_shell() {
    let Setup { net, rpc, home } = Setup::new().await;
    let o = home.owner.pubkey();
    let mint = mint_with_balance(&rpc, &home.owner).await;
    let m = mint.to_string();
    let client = SessionClient::new(net.url());

    let shown = home.json(&["budget", "show"]);
    assert_eq!(shown["assets"], json!([]));
    let (code, text, _) = home.run(&["budget", "show"], "");
    assert_eq!(code, 0);
    assert!(text.contains("no budget for"), "{text}");

    // Amounts in SOL and in the mint's units, windows in seconds or as durations.
    let set = home.json(&[
        "budget",
        "set",
        "--asset",
        "sol",
        "--lifetime",
        "1.5",
        "--window",
        "1h:0.5",
    ]);
    assert_eq!(
        (set["asset"].clone(), set["lifetimeCap"].clone()),
        (json!("sol"), json!(1_500_000_000u64))
    );
    let (code, text, err) = home.run(
        &["budget", "set", "--asset", &m, "--window", "86400:2.5"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("2.5 per 86400 s"), "{text}");
    let b = client.budget(&o).await.unwrap().unwrap();
    let caps: Vec<_> = b
        .entries
        .iter()
        .map(|e| {
            let a = e.allowance;
            (e.asset, a.lifetime_cap, a.window_secs, a.window_cap)
        })
        .collect();
    assert_eq!(
        caps,
        [
            (SOL_ASSET, 1_500_000_000, 3600, 500_000_000),
            (mint, u64::MAX, 86_400, 2_500_000)
        ]
    );

    let shown = home.json(&["budget", "show"]);
    let day = 86_400;
    assert_eq!(
        shown["assets"],
        json!([
            {
                "asset": "sol", "lifetimeCap": 1_500_000_000u64, "spent": 0,
                "lifetimeRemaining": 1_500_000_000u64, "windowSeconds": 3600,
                "windowCap": 500_000_000, "windowSpent": 0, "windowRemaining": 500_000_000,
                "windowReopensAt": T0 - T0 % 3600 + 3600,
            },
            {
                "asset": m, "lifetimeCap": null, "spent": 0, "lifetimeRemaining": null,
                "windowSeconds": day, "windowCap": 2_500_000, "windowSpent": 0,
                "windowRemaining": 2_500_000, "windowReopensAt": T0 - T0 % day + day,
            }
        ])
    );
    assert_eq!(shown["address"], pda::budget(&o).0.to_string());
    let (_, text, _) = home.run(&["budget", "show", "--owner", &o.to_string()], "");
    assert!(
        text.contains("ASSET") && text.contains("LIFETIME LEFT") && text.contains("REOPENS"),
        "{text}"
    );
    let sol_row = text.lines().find(|l| l.starts_with("SOL ")).unwrap();
    assert!(
        sol_row.contains("1.5") && sol_row.contains("3600 s") && sol_row.contains("0.5"),
        "{sol_row}"
    );

    // Bad input: a readable message, exit 1, nothing sent.
    for (args, message) in [
        (vec!["--asset", "sol"], "needs --lifetime".to_owned()),
        (
            vec!["--asset", "sol", "--window", "60"],
            "SECONDS:AMOUNT".to_owned(),
        ),
        (
            vec!["--asset", "sol", "--window", "2w:1"],
            "SECONDS:AMOUNT".to_owned(),
        ),
        (
            vec!["--asset", "sol", "--lifetime", "1.0000000001"],
            "more than 9 decimals".to_owned(),
        ),
        (
            vec!["--asset", &m, "--lifetime", "0.0000001"],
            "more than 6 decimals".to_owned(),
        ),
        (
            vec!["--asset", "soll", "--lifetime", "1"],
            "--asset: not a base58 public key".to_owned(),
        ),
        (
            vec!["--asset", "sol", "--lifetime", "1", "--window", "60:2"],
            named(SessionError::InvalidBudget),
        ),
        (
            vec!["--asset", "sol", "--lifetime", "0"],
            named(SessionError::ZeroCap),
        ),
        (
            vec!["--asset", "sol", "--window", "0:1"],
            named(SessionError::InvalidWindow),
        ),
        (
            vec!["--asset", &o.to_string(), "--lifetime", "1"],
            "is not a token mint".to_owned(),
        ),
    ] {
        let mut all = vec!["budget", "set"];
        all.extend(args.iter().copied());
        let err = fails(&home, &all);
        assert!(err.contains(&message), "{all:?}: {err}");
    }
    assert_eq!(client.budget(&o).await.unwrap().unwrap().entries.len(), 2);

    // Removing asks first; the last removal closes the account.
    let err = fails(&home, &["budget", "remove", "--asset", "sol"]);
    assert!(err.contains("aborted"), "{err}");
    let removed = home.json(&["budget", "remove", "--asset", "SOL", "--yes"]);
    assert_eq!(removed["closed"], false);
    let err = fails(&home, &["budget", "remove", "--asset", "sol", "--yes"]);
    assert!(err.contains("no budget of SOL"), "{err}");
    let removed = home.json(&["budget", "remove", "--asset", &m, "--yes"]);
    assert_eq!(removed["closed"], true);
    assert!(client.budget(&o).await.unwrap().is_none());
    assert_eq!(home.json(&["budget", "show"])["assets"], json!([]));
}

#[tokio::test]
async fn preview_says_what_a_key_may_do_and_the_real_send_agrees() {
    let Setup { net, rpc, home } = Setup::new().await;
    let owner = home.owner.insecure_clone();
    let o = owner.pubkey();
    let client = SessionClient::new(net.url());
    let mint = mint_with_balance(&rpc, &owner).await;
    let m = mint.to_string();
    home.json(&["deposit", "2"]);
    let scope = home.file(
        "agent.toml",
        &format!(
            "expires_in = \"1h\"\nlabel = \"agent\"\ntop_up_sol = \"0.01\"\n\
             reference_history = 2\n\
             [sol]\nlifetime = 1\nwindow = {{ seconds = 60, cap = \"0.5\" }}\n\
             [[mints]]\nmint = \"{m}\"\nlifetime = 10\n\
             [delegate]\nmint = \"{m}\"\namount = 10\n"
        ),
    );
    let key = Keypair::new();
    let k = key.pubkey().to_string();
    let path = scope.to_str().unwrap();

    // Bad guardrails are refused before anything is sent.
    for (args, message) in [
        (vec!["--rate-limit", "ten"], "USES/SECONDS".to_owned()),
        (vec!["--rate-limit", "5"], "USES/SECONDS".to_owned()),
        (
            vec!["--rate-limit", "0/60"],
            named(SessionError::InvalidRateLimit),
        ),
        (
            vec!["--reference-history", "17"],
            named(SessionError::ReferenceHistoryTooLong),
        ),
    ] {
        let mut all = vec!["create", "--key", &k, "--scope", path];
        all.extend(args.iter().copied());
        let err = fails(&home, &all);
        assert!(err.contains(&message), "{all:?}: {err}");
    }
    assert!(client.session(&o, &key.pubkey()).await.unwrap().is_none());
    // The flags override the file.
    home.json(&[
        "create",
        "--key",
        &k,
        "--scope",
        path,
        "--rate-limit",
        "3/1m",
        "--reference-history",
        "4",
    ]);
    let s = client.session(&o, &key.pubkey()).await.unwrap().unwrap();
    let w = s.uses_window.unwrap();
    assert_eq!((w.max, w.seconds, s.references.capacity), (3, 60, 4));
    // `show` prints the guardrails a wallet adapter lists.
    let shown = home.json(&["show", "--key", &k]);
    assert_eq!(
        (&shown["rateLimit"], &shown["referenceHistory"]),
        (
            &json!({ "uses": 3, "seconds": 60, "usedInWindow": 0, "reopensAt": T0 + 60 }),
            &json!(4)
        )
    );
    let (_, text, _) = home.run(&["show", "--key", &k], "");
    assert!(
        text.contains("rate limit  3 per 60 s, 0 used in this window"),
        "{text}"
    );
    assert!(
        text.contains("references  the last 4 are refused again"),
        "{text}"
    );
    home.json(&["budget", "set", "--asset", "sol", "--lifetime", "0.3"]);

    // No action: state, uses, rate limit and allowances.
    let p = home.json(&["preview", "--key", &k]);
    assert_eq!(p["status"], "live");
    assert_eq!(p["usesRemaining"], Value::Null);
    assert_eq!(
        p["rateLimit"],
        json!({ "remaining": 3, "reopensAt": T0 + 60 })
    );
    assert_eq!(
        p["assets"][0],
        json!({
            "asset": "sol",
            // The owner's 0.3 is tighter than the session's window (0.5) and lifetime (1).
            "largestNextSpend": 300_000_000,
            "session": { "lifetimeRemaining": 1_000_000_000u64, "windowRemaining": 500_000_000, "windowReopensAt": T0 + 60 },
            "budget": { "lifetimeRemaining": 300_000_000, "windowRemaining": null, "windowReopensAt": null },
        })
    );
    assert_eq!(
        (
            p["assets"][1]["asset"].clone(),
            p["assets"][1]["largestNextSpend"].clone(),
            p["assets"][1]["budget"].clone()
        ),
        (json!(m), json!(10_000_000), Value::Null)
    );
    assert_eq!(
        (p["action"].clone(), p["verdict"]["wouldPass"].clone()),
        (Value::Null, json!(true))
    );
    let (code, text, err) = home.run(&["check", "--key", &k], "");
    assert_eq!(code, 0, "{err}");
    for expected in [
        "state       live",
        "uses left   unlimited",
        "rate limit  3 left in this window",
        "LARGEST NEXT SPEND",
        "OWNER LIFETIME LEFT",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let sol_row = text.lines().find(|l| l.starts_with("SOL ")).unwrap();
    assert!(
        sol_row.contains("0.3") && sol_row.contains("0.5 until"),
        "{sol_row}"
    );

    // A passing payment with a reference: the preview says so, the real send passes.
    let to = Pubkey::new_unique();
    let t = to.to_string();
    let reference = [7u8; 16];
    let hex: String = reference.iter().map(|b| format!("{b:02x}")).collect();
    let pay = [
        "check",
        "--key",
        &k,
        "--transfer-sol",
        "0.2",
        "--to",
        &t,
        "--reference",
        &hex,
    ];
    let (code, text, err) = home.run(&pay, "");
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("verdict     would pass"), "{text}");
    assert!(
        text.contains(&format!(
            "transfer 0.2 SOL from the vault to {t} (reference {hex})"
        )),
        "{text}"
    );
    client
        .send(
            &[ix::transfer_sol_ref(
                &key.pubkey(),
                &o,
                &to,
                SOL / 5,
                Some(&reference),
            )],
            &[&key],
        )
        .await
        .unwrap();

    // The same reference again: refused, exit 3, the verdict on stdout; the real send agrees.
    let (code, text, _) = home.run(&pay, "");
    assert_eq!(code, 3);
    assert!(
        text.contains(&format!(
            "verdict     would be refused: {}",
            named(SessionError::ReferenceAlreadyUsed)
        )),
        "{text}"
    );
    let mut json_args = pay.to_vec();
    json_args.extend(["-o", "json"]);
    let (code, out, _) = home.run(&json_args, "");
    assert_eq!(code, 3);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["verdict"],
        json!({
            "wouldPass": false,
            "error": "ReferenceAlreadyUsed",
            "code": error_code(SessionError::ReferenceAlreadyUsed),
            "message": SessionError::ReferenceAlreadyUsed.to_string(),
        })
    );
    assert_eq!(v["action"]["reference"], hex);
    let vault = pda::vault(&o).0;
    let before = (
        rpc.get_balance(&vault).await.unwrap(),
        rpc.get_balance(&to).await.unwrap(),
    );
    let err = client
        .send(
            &[ix::transfer_sol_ref(
                &key.pubkey(),
                &o,
                &to,
                SOL / 5,
                Some(&reference),
            )],
            &[&key],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.session_error(),
        Some(SessionError::ReferenceAlreadyUsed)
    );

    // Beyond the owner's budget (0.1 left), though the session's window has 0.3.
    let (code, text, _) = home.run(
        &["check", "--key", &k, "--transfer-sol", "0.2", "--to", &t],
        "",
    );
    assert_eq!(code, 3);
    assert!(
        text.contains(&named(SessionError::OwnerBudgetLifetimeExceeded)),
        "{text}"
    );
    let err = client
        .send(
            &[ix::transfer_sol(&key.pubkey(), &o, &to, SOL / 5)],
            &[&key],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.session_error(),
        Some(SessionError::OwnerBudgetLifetimeExceeded)
    );
    assert_eq!(
        (
            rpc.get_balance(&vault).await.unwrap(),
            rpc.get_balance(&to).await.unwrap()
        ),
        before,
        "refusals move nothing"
    );

    // A token payment, in the mint's units.
    let recipient = Keypair::new().pubkey();
    let rcpt = new_ata(&rpc, &owner, &recipient, &mint).await;
    let from = ata(&o, &mint);
    let token_args = [
        "check",
        "--key",
        &k,
        "--transfer-token",
        "1.5",
        "--mint",
        &m,
        "--from",
        &from.to_string(),
        "--to",
        &rcpt.to_string(),
    ];
    let v = home.json(&token_args);
    assert_eq!(v["verdict"]["wouldPass"], true);
    assert_eq!(v["action"]["amount"], 1_500_000);
    let t_accounts = TokenTransfer {
        from,
        mint,
        to: rcpt,
        token_program: spl_token::ID,
    };
    client
        .send(
            &[ix::transfer_token(
                &key.pubkey(),
                &o,
                t_accounts,
                1_500_000,
                6,
            )],
            &[&key],
        )
        .await
        .unwrap();
    assert_eq!(token_account(&rpc, &rcpt).await.amount, 1_500_000);
    // Into an account that does not exist: Anchor's own error, named.
    let missing = Pubkey::new_unique().to_string();
    let (code, text, _) = home.run(
        &[
            "check",
            "--key",
            &k,
            "--transfer-token",
            "1",
            "--mint",
            &m,
            "--from",
            &from.to_string(),
            "--to",
            &missing,
        ],
        "",
    );
    assert_eq!(code, 3);
    assert!(
        text.contains("would fail: AccountNotInitialized (error 3012)"),
        "{text}"
    );

    // Three uses this minute (two payments and the token transfer): rate limited.
    client
        .send(
            &[ix::transfer_sol(&key.pubkey(), &o, &to, SOL / 20)],
            &[&key],
        )
        .await
        .unwrap();
    let (code, text, _) = home.run(
        &["check", "--key", &k, "--transfer-sol", "0.01", "--to", &t],
        "",
    );
    assert_eq!(code, 3);
    assert!(text.contains("state       rate limited"), "{text}");
    assert!(text.contains(&named(SessionError::RateLimited)), "{text}");
    let p = home.json(&[
        "preview",
        pda::session(&o, &key.pubkey()).0.to_string().as_str(),
    ]);
    assert_eq!(p["status"], "rateLimited");
    assert_eq!(p["rateLimit"]["remaining"], 0);
    // The next minute it would pass again.
    set_time(&rpc, T0 + 60).await;
    let (code, _, err) = home.run(
        &["check", "--key", &k, "--transfer-sol", "0.01", "--to", &t],
        "",
    );
    assert_eq!(code, 0, "{err}");

    // Bad input: a readable message and exit 1 (2 for what clap refuses).
    for (args, message) in [
        (vec!["--transfer-sol", "0.1"], "needs --to"),
        (
            vec!["--transfer-sol", "0.1", "--to", &t, "--reference", "abc"],
            "16 or 32 bytes",
        ),
        (
            vec![
                "--transfer-sol",
                "0.1",
                "--to",
                &t,
                "--reference",
                &"zz".repeat(16),
            ],
            "16 or 32 bytes",
        ),
        (
            vec!["--transfer-sol", "0.0000000001", "--to", &t],
            "more than 9 decimals",
        ),
        (
            vec!["--transfer-sol", "0.1", "--to", &t, "--mint", &m],
            "go with --transfer-token",
        ),
        (
            vec!["--transfer-token", "1", "--mint", &m],
            "needs --mint, --from and --to",
        ),
        (vec!["--to", &t], "describe an action"),
    ] {
        let mut all = vec!["check", "--key", &k];
        all.extend(args.iter().copied());
        let err = fails(&home, &all);
        assert!(err.contains(message), "{all:?}: {err}");
    }
    let err = fails(
        &home,
        &["preview", "--key", &Pubkey::new_unique().to_string()],
    );
    assert!(err.contains("no session at"), "{err}");
    let (code, _, _) = home.run(
        &[
            "check",
            "--key",
            &k,
            "--transfer-sol",
            "1",
            "--transfer-token",
            "1",
            "--to",
            &t,
        ],
        "",
    );
    assert_eq!(code, 2, "conflicting actions are a usage error");
}
