//! What the operator types or writes: amounts are read exactly or refused, and a keypair file
//! the CLI cannot read is named, never echoed.
use crate::common::*;
use session_keys_client::{pda, rpc::SessionClient};
use solana_sdk::{signature::Keypair, signer::Signer};

/// 2^53 + 1: the first integer an `f64` cannot hold.
const ABOVE_F64: u64 = 9_007_199_254_740_993;

#[tokio::test]
async fn amounts_are_exact_from_scope_files_and_arguments() {
    let Setup { net, rpc, home } = Setup::new().await;
    let o = home.owner.pubkey();
    let vault = pda::vault(&o).0;
    // A 0-decimal mint: base units are what is written.
    let mint = spl_mint(&rpc, &home.owner, 0, 2 * ABOVE_F64).await;
    let m = mint.to_string();

    // From an argument.
    home.json(&["deposit", &ABOVE_F64.to_string(), "--mint", &m]);
    assert_eq!(
        token_account(&rpc, &ata(&vault, &mint)).await.amount,
        ABOVE_F64
    );

    // From a TOML scope file: an integer, exactly, for a cap and for the delegation.
    let client = SessionClient::new(net.url());
    let toml = home.file(
        "big.toml",
        &format!(
            "expires_in = \"1h\"\n[[mints]]\nmint = \"{m}\"\nlifetime = {ABOVE_F64}\n\
             [delegate]\nmint = \"{m}\"\namount = {ABOVE_F64}\n"
        ),
    );
    let k1 = Keypair::new().pubkey();
    home.json(&[
        "create",
        "--key",
        &k1.to_string(),
        "--scope",
        toml.to_str().unwrap(),
    ]);
    let s = client.session(&o, &k1).await.unwrap().unwrap();
    assert_eq!(s.mints[0].allowance.lifetime_cap, ABOVE_F64);
    assert_eq!(
        token_account(&rpc, &ata(&o, &mint)).await.delegated_amount,
        ABOVE_F64
    );

    // From a JSON scope file: integers, and a number with 17 significant digits (an f64 keeps
    // about 16), all exactly.
    let json = home.file(
        "big.json",
        &format!(
            r#"{{"expires_in": "1h", "sol": {{"lifetime": 12345678.123456789}},
                "mints": [{{"mint": "{m}", "lifetime": {}, "per_instruction": {ABOVE_F64}}}]}}"#,
            ABOVE_F64 + 2
        ),
    );
    let k2 = Keypair::new().pubkey();
    home.json(&[
        "create",
        "--key",
        &k2.to_string(),
        "--scope",
        json.to_str().unwrap(),
    ]);
    let s = client.session(&o, &k2).await.unwrap().unwrap();
    assert_eq!(s.sol.unwrap().lifetime_cap, 12_345_678_123_456_789);
    assert_eq!(s.mints[0].allowance.lifetime_cap, ABOVE_F64 + 2);
    assert_eq!(s.mints[0].allowance.per_instruction_cap, ABOVE_F64);

    // More decimals than the asset has: refused, from an argument, TOML or JSON, even when an
    // f64 would round the excess away (1.00000000000000001 is the f64 1.0).
    let key = Keypair::new().pubkey().to_string();
    let (code, _, err) = home.run(&["deposit", "1.0000000001"], "");
    assert_eq!(code, 1);
    assert!(err.contains("more than 9 decimals"), "{err}");
    for (name, text) in [
        (
            "a.json",
            r#"{"expires_in": "1h", "sol": {"lifetime": 1.0000000001}}"#,
        ),
        (
            "b.json",
            r#"{"expires_in": "1h", "sol": {"lifetime": 1.00000000000000001}}"#,
        ),
        (
            "c.toml",
            "expires_in = \"1h\"\n[sol]\nlifetime = 1.0000000001\n",
        ),
        (
            "d.toml",
            "expires_in = \"1h\"\n[sol]\nlifetime = 1.00000000000000001\n",
        ),
        (
            "e.toml",
            "expires_in = \"1h\"\n[sol]\nlifetime = \"1.0000000001\"\n",
        ),
    ] {
        let file = home.file(name, text);
        let (code, _, err) = home.run(
            &["create", "--key", &key, "--scope", file.to_str().unwrap()],
            "",
        );
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains("more than 9 decimals"), "{name}: {err}");
    }
    let file = home.file(
        "neg.json",
        &format!(r#"{{"expires_in": "1h", "mints": [{{"mint": "{m}", "lifetime": -5}}]}}"#),
    );
    let (code, _, err) = home.run(
        &["create", "--key", &key, "--scope", file.to_str().unwrap()],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("-5"), "{err}");
}

#[test]
fn a_rejected_keypair_file_is_named_never_echoed() {
    // No localnet: the keypair is read before anything is sent.
    let home = Home::new("http://127.0.0.1:9");
    let secret = Keypair::new().to_base58_string();
    let mut out_of_range: Vec<u16> = Keypair::new()
        .to_bytes()
        .iter()
        .map(|b| *b as u16)
        .collect();
    out_of_range[7] = 4_242;
    for (name, text, leak) in [
        // The Phantom-style export: a quoted base58 secret key.
        ("quoted.json", format!("\"{secret}\""), secret.clone()),
        ("bare.json", secret.clone(), secret.clone()),
        (
            "object.json",
            format!("{{\"secretKey\": \"{secret}\"}}"),
            secret.clone(),
        ),
        (
            "range.json",
            serde_json::to_string(&out_of_range).unwrap(),
            "4242".into(),
        ),
    ] {
        let path = home.file(name, &text);
        let (code, out, err) = home.run(&["list", "--keypair", path.to_str().unwrap()], "");
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains(path.to_str().unwrap()), "{name}: {err}");
        assert!(err.contains("JSON array of 64"), "{name}: {err}");
        for output in [&out, &err] {
            for window in leak.as_bytes().windows(20.min(leak.len())) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(
                    !output.contains(window),
                    "{name}: {window:?} echoed: {output}"
                );
            }
        }
    }
}
