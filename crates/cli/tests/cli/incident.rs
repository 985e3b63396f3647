//! Incident response when a stranger has planted look-alike accounts: `revoke-all` still kills
//! every session, revokes every real delegation, and reports what the program did, not what it
//! listed.
use crate::common::*;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022::{self, state::AccountState};
use serde_json::{json, Value};
use session_keys_client::{
    ix::{self, TokenTransfer},
    pda,
    rpc::SessionClient,
    SessionError,
};
use session_keys_tests::fakes::token_account_image;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_sdk::{signature::Keypair, signer::Signer};

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn revoke_all_stops_a_stolen_key_whatever_a_stranger_planted() {
    let Setup { net, rpc, home } = Setup::new().await;
    let owner = home.owner.insecure_clone();
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let stranger = Keypair::new();
    airdrop(&rpc, &stranger.pubkey(), SOL).await;

    // The owner's delegations to the vault: an SPL Token account (approved by `create`), a
    // Token-2022 account, and a frozen Token-2022 account (the token program cannot revoke on it).
    let spl = mint_with_balance(&rpc, &owner).await;
    let mint = mint_2022(&rpc, &owner).await;
    let real = account_2022(&rpc, &owner, &mint, 100_000_000, &vault, 60_000_000).await;
    let frozen = account_2022(&rpc, &owner, &mint, 100_000_000, &vault, 40_000_000).await;
    freeze_2022(&rpc, &owner, &frozen, &mint).await;
    // The stranger's multisig: at a token account's offsets it reads as the owner's account of
    // `mint`, delegated to the vault (owner at 32, delegate tag and key at 72, byte 165 = 2).
    let image = token_account_image(mint, o, 1_000_000_000, Some(vault));
    let fake = plant_multisig_2022(&rpc, &stranger, &image).await;
    let fake_before = rpc.get_account(&fake).await.unwrap();

    home.json(&["deposit", "2"]);
    let scope = home.file(
        "scope.toml",
        &format!(
            "expires_in = \"1h\"\ntop_up_sol = \"0.01\"\n[sol]\nlifetime = 1\n\
             [[mints]]\nmint = \"{spl}\"\nlifetime = 50\n\
             [[mints]]\nmint = \"{mint}\"\nlifetime = 50\n\
             [delegate]\nmint = \"{spl}\"\namount = 40\n"
        ),
    );
    let key = Keypair::new();
    let k = key.pubkey();
    home.json(&[
        "create",
        "--key",
        &k.to_string(),
        "--scope",
        scope.to_str().unwrap(),
    ]);

    // The key is stolen: the thief spends SOL, and tokens through the vault's delegation.
    let client = SessionClient::new(net.url());
    let thief = Keypair::new().pubkey();
    let loot = empty_account_2022(&rpc, &owner, &mint, &thief).await;
    let steal_tokens = || {
        ix::transfer_token(
            &k,
            &o,
            TokenTransfer {
                from: real,
                mint,
                to: loot,
                token_program: spl_token_2022::ID,
            },
            1_000_000,
            6,
        )
    };
    client
        .send(&[ix::transfer_sol(&k, &o, &thief, SOL / 10)], &[&key])
        .await
        .unwrap();
    client.send(&[steal_tokens()], &[&key]).await.unwrap();

    let all = home.json(&["revoke-all", "--yes"]);
    let mut revoked = vec![ata(&o, &spl).to_string(), real.to_string()];
    revoked.sort();
    assert_eq!(sorted(&all["delegationsRevoked"]), revoked, "{all}");
    assert_eq!(
        all["delegationsSkipped"],
        json!([frozen.to_string()]),
        "{all}"
    );
    assert_eq!(
        all["delegationsFrozen"],
        json!([frozen.to_string()]),
        "{all}"
    );
    assert!(
        !all.to_string().contains(&fake.to_string()),
        "the look-alike is never listed: {all}"
    );
    let wallet = client.wallet(&o).await.unwrap().unwrap();
    assert_eq!(all["nonce"], wallet.nonce);

    // The stolen key can do nothing any more.
    for stolen in [ix::transfer_sol(&k, &o, &thief, 1), steal_tokens()] {
        let err = client.send(&[stolen], &[&key]).await.unwrap_err();
        assert_eq!(
            err.session_error(),
            Some(SessionError::SessionRevoked),
            "{err}"
        );
    }
    // Every real, unfrozen delegation is gone; the frozen one and the multisig are untouched.
    let spl_account = token_account(&rpc, &ata(&o, &spl)).await;
    assert_eq!(
        (spl_account.delegate, spl_account.delegated_amount),
        (None.into(), 0)
    );
    let real_account = account_2022_state(&rpc, &real).await;
    assert_eq!(
        (real_account.delegate, real_account.delegated_amount),
        (None.into(), 0)
    );
    assert_eq!(real_account.amount, 99_000_000, "one token was stolen");
    let frozen_account = account_2022_state(&rpc, &frozen).await;
    assert_eq!(frozen_account.state, AccountState::Frozen);
    assert_eq!(
        (frozen_account.delegate, frozen_account.delegated_amount),
        (Some(vault).into(), 40_000_000)
    );
    assert_eq!(rpc.get_account(&fake).await.unwrap(), fake_before);

    // Again, as text: the frozen account is said to be not revoked, and why.
    let (code, text, err) = home.run(&["revoke-all", "--yes"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("revoked on 0 token account(s)")
            && text.contains("NOT revoked on 1 token account(s)")
            && text.contains(&format!("{frozen} (frozen")),
        "{text}"
    );
    assert!(!text.contains(&fake.to_string()), "{text}");
}

/// An empty Token-2022 account of `mint` owned by `holder`, paid by `payer`.
async fn empty_account_2022(
    rpc: &RpcClient,
    payer: &Keypair,
    mint: &Pubkey,
    holder: &Pubkey,
) -> Pubkey {
    use anchor_spl::token_2022::spl_token_2022::state::Account;
    use solana_sdk::program_pack::Pack;
    let account = Keypair::new();
    let rent = rpc
        .get_minimum_balance_for_rent_exemption(Account::LEN)
        .await
        .unwrap();
    let init = spl_token_2022::instruction::initialize_account3(
        &spl_token_2022::ID,
        &account.pubkey(),
        mint,
        holder,
    );
    send(
        rpc,
        &[
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &account.pubkey(),
                rent,
                Account::LEN as u64,
                &spl_token_2022::ID,
            ),
            init.unwrap(),
        ],
        &[payer, &account],
    )
    .await;
    account.pubkey()
}
