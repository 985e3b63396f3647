//! Golden vectors for the TypeScript SDK: instruction bytes built by the Rust client and
//! account bytes written by the real program, with the inputs that produced them.
//!
//! The file `sdk/test/golden.json` is checked in; this test fails if a fresh run differs, so the
//! SDK is always tested against what the program really does. Regenerate it with
//! `UPDATE_GOLDEN=1 cargo test -p session-keys-tests golden` after an intended change.
use anchor_lang::Discriminator;
use serde_json::{json, Value};
use session_keys::policy::CmpOp;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, instruction, program, CapsExt, InstructionRuleExt, ProgramScopeExt, Scope},
    },
    program_test,
    targets::game,
    TestEnv, SOL, START, TOKEN,
};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ix_json(name: &str, inputs: Value, i: &Instruction) -> Value {
    json!({
        "name": name,
        "inputs": inputs,
        "programId": i.program_id.to_string(),
        "keys": i.accounts.iter().map(|m| json!({
            "pubkey": m.pubkey.to_string(),
            "isSigner": m.is_signer,
            "isWritable": m.is_writable,
        })).collect::<Vec<_>>(),
        "data": hex(&i.data),
    })
}

fn fixed(seed: u8) -> Pubkey {
    Pubkey::new_from_array([seed; 32])
}

#[tokio::test]
async fn golden_vectors_match_the_checked_in_file() {
    let owner_kp = Keypair::new_from_array([7; 32]);
    let key_kp = Keypair::new_from_array([9; 32]);
    let mut env = TestEnv::with_keys(program_test(), owner_kp, key_kp).await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let (mint, destination, market) = (fixed(11), fixed(12), fixed(13));

    let args = Scope::until(START + 3600)
        .sol(caps(SOL).per_instruction(SOL / 10).window(3600, SOL / 2))
        .mint(mint, caps(50 * TOKEN).window(60, 10 * TOKEN))
        .program(
            program(example_game::ID)
                .instruction(instruction(
                    example_game::instruction::MovePlayer::DISCRIMINATOR,
                ))
                .instruction(
                    instruction(example_game::instruction::BuyItem::DISCRIMINATOR)
                        .arg_u64(10, CmpOp::Le, 50_000_000)
                        .account(2, &[market]),
                ),
        )
        .max_uses(100)
        .label("golden")
        .top_up(1_000_000)
        .build(START)
        .unwrap();
    let create = ix::create_session(&owner, &owner, &key, args, None);
    env.send_owner(std::slice::from_ref(&create)).await.unwrap();

    let vault = pda::vault(&owner).0;
    let transfer = ix::transfer_token(
        &key,
        &owner,
        ix::TokenTransfer {
            from: fixed(21),
            mint,
            to: fixed(22),
            token_program: anchor_spl::token::ID,
        },
        1_500_000,
        6,
    );
    let sol = ix::transfer_sol(&key, &owner, &destination, 12_345);
    let execute = ix::execute(&key, &owner, &[game::move_player(&vault, 3, -2)]);
    let revoke = ix::revoke_session(&key, &owner, &key, &owner);
    let revoke_all = ix::revoke_all_sessions(&owner, &[]);
    let close = ix::close_session(&owner, &key, &owner);
    let deposit = ix::deposit_sol(&owner, 2 * SOL);
    let withdraw = ix::withdraw_sol(&owner, &destination, 77);
    let vault_tokens = ix::TokenTransfer {
        from: fixed(23),
        mint,
        to: fixed(24),
        token_program: anchor_spl::token_2022::ID,
    };
    let withdraw_token = ix::withdraw_token(&owner, vault_tokens, 5, 9);
    let close_vault =
        ix::close_vault_token_account(&owner, &fixed(23), &destination, &anchor_spl::token::ID);

    let session_bytes = env
        .account(&pda::session(&owner, &key).0)
        .await
        .unwrap()
        .data;
    let wallet_bytes = env.account(&pda::wallet(&owner).0).await.unwrap().data;
    let s = env.session().await.unwrap();
    let w = env.wallet_of(&owner).await.unwrap();

    let golden = json!({
        "programId": session_keys::ID.to_string(),
        "owner": owner.to_string(),
        "sessionKey": key.to_string(),
        "pdas": {
            "session": pda::session(&owner, &key).0.to_string(),
            "sessionBump": pda::session(&owner, &key).1,
            "wallet": pda::wallet(&owner).0.to_string(),
            "vault": vault.to_string(),
            "vaultBump": pda::vault(&owner).1,
        },
        "instructions": [
            ix_json("createSession", json!({
                "expiresAt": START + 3600,
                "maxUses": 100,
                "sol": { "lifetime": SOL.to_string(), "perInstruction": (SOL / 10).to_string(), "window": { "seconds": 3600, "cap": (SOL / 2).to_string() } },
                "mints": [{ "mint": mint.to_string(), "caps": { "lifetime": (50 * TOKEN).to_string(), "window": { "seconds": 60, "cap": (10 * TOKEN).to_string() } } }],
                "destinations": [],
                "programs": [{
                    "programId": example_game::ID.to_string(),
                    "instructions": [
                        { "discriminator": hex(example_game::instruction::MovePlayer::DISCRIMINATOR) },
                        { "discriminator": hex(example_game::instruction::BuyItem::DISCRIMINATOR),
                          "argsU64Le": [{ "offset": 10, "value": "50000000" }],
                          "accounts": [{ "index": 2, "keys": [market.to_string()] }] },
                    ],
                }],
                "label": "golden",
                "topUpLamports": "1000000",
            }), &create),
            ix_json("transferToken", json!({
                "from": fixed(21).to_string(), "mint": mint.to_string(), "to": fixed(22).to_string(),
                "tokenProgram": anchor_spl::token::ID.to_string(), "amount": "1500000", "decimals": 6,
            }), &transfer),
            ix_json("transferSol", json!({ "destination": destination.to_string(), "amount": "12345" }), &sol),
            ix_json("execute", json!({ "inner": ix_json("movePlayer", json!({}), &game::move_player(&vault, 3, -2)) }), &execute),
            ix_json("revokeSession", json!({ "authority": key.to_string(), "rentPayer": owner.to_string() }), &revoke),
            ix_json("revokeAllSessions", json!({}), &revoke_all),
            ix_json("closeSession", json!({ "rentPayer": owner.to_string() }), &close),
            ix_json("depositSol", json!({ "amount": (2 * SOL).to_string() }), &deposit),
            ix_json("withdrawSol", json!({ "destination": destination.to_string(), "amount": "77" }), &withdraw),
            ix_json("withdrawToken", json!({
                "from": fixed(23).to_string(), "mint": mint.to_string(), "to": fixed(24).to_string(),
                "tokenProgram": anchor_spl::token_2022::ID.to_string(), "amount": "5", "decimals": 9,
            }), &withdraw_token),
            ix_json("closeVaultTokenAccount", json!({
                "tokenAccount": fixed(23).to_string(), "destination": destination.to_string(),
                "tokenProgram": anchor_spl::token::ID.to_string(),
            }), &close_vault),
        ],
        "accounts": {
            "session": {
                "data": hex(&session_bytes),
                "expected": {
                    "version": s.version, "bump": s.bump, "owner": s.owner.to_string(),
                    "sessionKey": s.session_key.to_string(), "payer": s.payer.to_string(),
                    "createdAt": s.created_at, "expiresAt": s.expires_at, "nonce": s.nonce.to_string(),
                    "maxUses": s.max_uses, "uses": s.uses, "label": s.label,
                    "solLifetimeCap": s.sol.unwrap().lifetime_cap.to_string(),
                    "solWindowStart": s.sol.unwrap().window_start,
                    "mint": s.mints[0].mint.to_string(),
                    "mintWindowCap": s.mints[0].allowance.window_cap.to_string(),
                    "destinations": s.destinations.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                    "programId": s.programs[0].program_id.to_string(),
                    "ruleCount": s.programs[0].instructions.len(),
                },
            },
            "wallet": {
                "data": hex(&wallet_bytes),
                "expected": { "owner": w.owner.to_string(), "nonce": w.nonce.to_string(), "bump": w.bump, "vaultBump": w.vault_bump },
            },
        },
    });

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk/test/golden.json");
    let fresh = serde_json::to_string_pretty(&golden).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "sdk/test/golden.json is stale: run UPDATE_GOLDEN=1 cargo test -p session-keys-tests golden"
    );
}
