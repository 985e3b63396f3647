//! Golden vectors for the TypeScript SDK: instruction bytes built by the Rust client and
//! account bytes written by the real program, with the inputs that produced them.
//!
//! The file `sdk/test/golden.json` is checked in; this test fails if a fresh run differs, so the
//! SDK is always tested against what the program really does. Regenerate it with
//! `UPDATE_GOLDEN=1 cargo test -p session-keys-tests golden` after an intended change.
use anchor_lang::Discriminator;
use serde_json::{json, Value};
use session_keys::instructions::{MessageEnvelope, MessageGrantArgs, MintCapsArgs};
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

fn borsh_bytes(value: &impl anchor_lang::AnchorSerialize) -> Vec<u8> {
    let mut out = Vec::new();
    value.serialize(&mut out).unwrap();
    out
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
    let delegations = [
        (fixed(25), anchor_spl::token::ID),
        (fixed(26), anchor_spl::token_2022::ID),
    ];
    let revoke_all = ix::revoke_all_sessions(&owner, &delegations);
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

    let set_budget = ix::set_budget(
        &owner,
        &mint,
        session_keys::policy::BudgetCapsArgs {
            lifetime: Some(40 * TOKEN),
            window: Some(session_keys::policy::WindowArgs {
                seconds: 86_400,
                cap: 5 * TOKEN,
            }),
        },
    );
    let remove_budget = ix::remove_budget(&owner, &session_keys::policy::SOL_ASSET);
    let reference = [0xab; 16];
    let preview_sol =
        ix::preview_transfer_sol(&owner, &key, &destination, 12_345, Some(&reference));
    let preview_token = ix::preview_transfer_token(
        &owner,
        &key,
        ix::TokenTransfer {
            from: fixed(21),
            mint,
            to: fixed(22),
            token_program: anchor_spl::token::ID,
        },
        1_500_000,
        None,
    );
    let preview_execute = ix::preview_execute(
        &owner,
        &key,
        &[game::move_player(&vault, 3, -2)],
        Some(&[0xcd; 32]),
    );
    let owner_signer = env.owner.insecure_clone();
    let message_args = golden_message_args(MessageEnvelope::Offchain, market);
    let from_message =
        ix::create_session_from_message(&fixed(30), &owner, &key, message_args.clone());

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
            "budget": pda::budget(&owner).0.to_string(),
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
            ix_json("revokeAllSessions", json!({
                "delegations": delegations.iter().map(|(a, p)| json!({ "tokenAccount": a.to_string(), "tokenProgram": p.to_string() })).collect::<Vec<_>>(),
            }), &revoke_all),
            ix_json("closeSession", json!({ "rentPayer": owner.to_string() }), &close),
            ix_json("depositSol", json!({ "amount": (2 * SOL).to_string() }), &deposit),
            ix_json("withdrawSol", json!({ "destination": destination.to_string(), "amount": "77" }), &withdraw),
            ix_json("withdrawToken", json!({
                "from": fixed(23).to_string(), "mint": mint.to_string(), "to": fixed(24).to_string(),
                "tokenProgram": anchor_spl::token_2022::ID.to_string(), "amount": "5", "decimals": 9,
            }), &withdraw_token),
            ix_json("createSessionFromMessage", json!({
                "sponsor": fixed(30).to_string(),
                "argsData": hex(&borsh_bytes(&message_args)),
            }), &from_message),
            ix_json("setBudget", json!({
                "asset": mint.to_string(), "lifetime": (40 * TOKEN).to_string(),
                "window": { "seconds": 86_400, "cap": (5 * TOKEN).to_string() },
            }), &set_budget),
            ix_json("removeBudget", json!({ "asset": session_keys::policy::SOL_ASSET.to_string() }), &remove_budget),
            ix_json("previewTransferSol", json!({
                "destination": destination.to_string(), "amount": "12345", "reference": hex(&reference),
            }), &preview_sol),
            ix_json("previewTransferToken", json!({
                "from": fixed(21).to_string(), "mint": mint.to_string(), "to": fixed(22).to_string(),
                "tokenProgram": anchor_spl::token::ID.to_string(), "amount": "1500000", "reference": null,
            }), &preview_token),
            ix_json("previewExecute", json!({
                "inner": ix_json("movePlayer", json!({}), &game::move_player(&vault, 3, -2)),
                "reference": hex(&[0xcd; 32]),
            }), &preview_execute),
            ix_json("closeVaultTokenAccount", json!({
                "tokenAccount": fixed(23).to_string(), "destination": destination.to_string(),
                "tokenProgram": anchor_spl::token::ID.to_string(),
            }), &close_vault),
        ],
        "messages": message_vectors(&owner_signer, &key, market),
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
                "expected": { "owner": w.owner.to_string(), "nonce": w.nonce.to_string(), "messageCounter": w.message_counter.to_string(), "bump": w.bump, "vaultBump": w.vault_bump },
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

/// The grant of the message vectors: SOL and mint caps, a program with rules (so a rules hash)
/// and one without, co-signing; everything a message line can show.
fn golden_message_args(envelope: MessageEnvelope, market: Pubkey) -> MessageGrantArgs {
    let scope = Scope::until(START + 3600)
        .sol(
            caps(SOL / 2)
                .per_instruction(SOL / 100)
                .window(3600, SOL / 10),
        )
        .mint(fixed(11), caps(50 * TOKEN).window(60, 10 * TOKEN))
        .program(
            program(example_game::ID).instruction(
                instruction(example_game::instruction::BuyItem::DISCRIMINATOR)
                    .arg_u64(10, CmpOp::Le, 50_000_000)
                    .account(2, &[market]),
            ),
        )
        .max_uses(100)
        .label("Golden game")
        .build_unchecked();
    let mut programs = scope.programs;
    programs.push(session_keys::policy::ProgramScope {
        program_id: fixed(14),
        pass_session_signer: true,
        instructions: vec![],
    });
    MessageGrantArgs {
        expires_at: scope.expires_at,
        max_uses: scope.max_uses,
        sol: scope.sol,
        mints: scope.mints,
        destinations: vec![],
        programs,
        label: scope.label,
        domain: "game.example".into(),
        message_number: 0,
        valid_until: START + 300,
        envelope,
    }
}

/// Message vectors: the arguments (Borsh, so a client decodes them with its generated codec),
/// the text and both envelopes, as the program rebuilds them.
fn message_vectors(owner_signer: &Keypair, key: &Pubkey, market: Pubkey) -> Value {
    use session_keys_tests::client::message;
    let owner = &owner_signer.pubkey();
    let minimal = MessageGrantArgs {
        expires_at: START + 86_400,
        max_uses: None,
        sol: Some(session_keys::policy::CapsArgs {
            lifetime: 1,
            per_instruction: None,
            window: None,
        }),
        mints: vec![],
        destinations: vec![fixed(12), fixed(13)],
        programs: vec![],
        label: String::new(),
        domain: "localhost:8080".into(),
        message_number: u64::MAX,
        valid_until: i64::MAX,
        envelope: MessageEnvelope::Text,
    };
    let cases = [
        ("full", golden_message_args(MessageEnvelope::Text, market)),
        ("minimal", minimal),
    ];
    let vectors: Vec<Value> = cases
        .iter()
        .map(|(name, args)| {
            let mut text_args = args.clone();
            text_args.envelope = MessageEnvelope::Text;
            let mut offchain_args = args.clone();
            offchain_args.envelope = MessageEnvelope::Offchain;
            // The owner's signature over the Text envelope (Ed25519 is deterministic) and the
            // Ed25519 instruction the Rust client builds for it.
            let text_bytes =
                message::grant_message(&text_args, owner, key, message::LOCALNET).unwrap();
            let signature = owner_signer.sign_message(&text_bytes);
            let ed25519 = message::ed25519_instruction(owner, &signature, &text_bytes);
            json!({
                "name": name,
                "signature": hex(signature.as_ref()),
                "ed25519Data": hex(&ed25519.data),
                "ed25519ProgramId": ed25519.program_id.to_string(),
                "argsData": hex(&borsh_bytes(args)),
                "owner": owner.to_string(),
                "sessionKey": key.to_string(),
                "programId": session_keys::ID.to_string(),
                "cluster": message::LOCALNET,
                "text": message::grant_text(args, owner, key, message::LOCALNET).unwrap(),
                "textEnvelope": hex(&message::grant_message(&text_args, owner, key, message::LOCALNET).unwrap()),
                "offchainEnvelope": hex(&message::grant_message(&offchain_args, owner, key, message::LOCALNET).unwrap()),
            })
        })
        .collect();
    json!(vectors)
}

/// A small deterministic generator, so the allowance vectors are many and not hand-picked.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn allowance_json(a: &session_keys::policy::Allowance) -> Value {
    json!({
        "lifetimeCap": a.lifetime_cap.to_string(),
        "spent": a.spent.to_string(),
        "perInstructionCap": a.per_instruction_cap.to_string(),
        "windowSecs": a.window_secs,
        "windowCap": a.window_cap.to_string(),
        "windowStart": a.window_start.to_string(),
        "windowSpent": a.window_spent.to_string(),
    })
}

/// Allowance maths as the program computes it: random walks of charges over several caps,
/// with the state before each step, the result (next state or error code) and every derived
/// figure a client shows.
fn allowance_vectors() -> Vec<Value> {
    use session_keys::policy::{Allowance, CapsArgs, WindowArgs};
    let window = |seconds, cap| Some(WindowArgs { seconds, cap });
    let caps = [
        (100, Some(10), window(60, 15), 0),
        (25, None, window(60, 10), 125),
        (50 * TOKEN, None, window(60, 10 * TOKEN), START),
        (SOL, Some(SOL / 10), window(3600, SOL / 2), START),
        (u64::MAX, None, None, 0),
        (u64::MAX, None, window(1, u64::MAX), -7),
        (1_000, Some(1_000), window(86_400, 999), -86_401),
        (7, Some(3), None, i64::MAX - 10),
    ];
    let mut rng = XorShift(0x5e55_10e5);
    let mut out = Vec::new();
    for (lifetime, per_instruction, window, start) in caps {
        let args = CapsArgs {
            lifetime,
            per_instruction,
            window,
        };
        let mut a = Allowance::from_args(&args, start).unwrap();
        let mut now = start;
        for _ in 0..40 {
            // Mostly forward in time, sometimes backwards, sometimes across many windows.
            let step = match rng.below(6) {
                0 => -(rng.below(90) as i64),
                1 => rng.below(100_000) as i64,
                _ => rng.below(70) as i64,
            };
            now = now.saturating_add(step);
            let amount = match rng.below(8) {
                0 => 0,
                1 => u64::MAX,
                2 => a.available(now),
                3 => a.available(now).saturating_add(1),
                _ => rng.below(lifetime.min(1 << 40) / 4 + 2),
            };
            let result = a.charged(amount, now);
            out.push(json!({
                "before": allowance_json(&a),
                "now": now.to_string(),
                "amount": amount.to_string(),
                "available": a.available(now).to_string(),
                "lifetimeRemaining": a.lifetime_remaining().to_string(),
                "windowRemaining": a.window_remaining(now).to_string(),
                "windowSpentAt": a.window_spent_at(now).to_string(),
                "result": match &result {
                    Ok(next) => json!({ "ok": allowance_json(next) }),
                    Err(e) => json!({ "error": session_keys_client::decode::error_code(*e) }),
                },
            }));
            if let Ok(next) = result {
                a = next;
            }
        }
    }
    out
}

/// `create_session` arguments the program accepts or refuses, with its verdict (`check`), as
/// instruction data: a valid scope and one mutation per rule, plus combinations for the order.
fn scope_vectors() -> Vec<Value> {
    use anchor_lang::InstructionData;
    use session_keys::{
        constants::MAX_SESSION_DURATION, instructions::CreateSessionArgs, policy::ArgKind,
    };
    let now = START;
    let base = || {
        Scope::until(now + 3600)
            .sol(caps(SOL).per_instruction(SOL / 10).window(3600, SOL / 2))
            .mint(fixed(11), caps(50 * TOKEN))
            .program(
                program(example_game::ID).instruction(
                    instruction(&[1, 2, 3, 4, 5, 6, 7, 8])
                        .arg_u64(8, CmpOp::Le, 5)
                        .account(0, &[fixed(13)]),
                ),
            )
            .label("game")
            .build_unchecked()
    };
    type Mutation = Box<dyn Fn(&mut CreateSessionArgs)>;
    // An instruction rule with four account rules of three keys each (421 bytes stored).
    let big_rule = |d: u8| {
        (0..4).fold(instruction(&[d]), |r, i| {
            r.account(i, &[fixed(70 + i), fixed(80 + i), fixed(90 + i)])
        })
    };
    let rule = |f: fn(&mut session_keys::policy::InstructionRule)| -> Mutation {
        Box::new(move |a: &mut CreateSessionArgs| f(&mut a.programs[0].instructions[0]))
    };
    let mut cases: Vec<(&str, i64, Mutation)> = vec![
        ("valid", now, Box::new(move |_| {})),
        ("expiry now", now, Box::new(move |a| a.expires_at = now)),
        (
            "expiry past",
            now,
            Box::new(move |a| a.expires_at = now - 1),
        ),
        (
            "expiry at the limit",
            now,
            Box::new(move |a| a.expires_at = now + MAX_SESSION_DURATION),
        ),
        (
            "expiry too far",
            now,
            Box::new(move |a| a.expires_at = now + MAX_SESSION_DURATION + 1),
        ),
        (
            "clock near i64::MAX",
            i64::MAX - 5,
            Box::new(move |a| a.expires_at = i64::MAX),
        ),
        (
            "empty scope",
            now,
            Box::new(move |a| {
                a.sol = None;
                a.mints.clear();
                a.programs.clear();
            }),
        ),
        (
            "programs only",
            now,
            Box::new(move |a| {
                a.sol = None;
                a.mints.clear();
            }),
        ),
        (
            "five mints",
            now,
            Box::new(move |a| {
                a.mints = (0..5)
                    .map(|i| MintCapsArgs {
                        mint: fixed(40 + i),
                        caps: caps(1),
                    })
                    .collect()
            }),
        ),
        (
            "nine destinations",
            now,
            Box::new(move |a| a.destinations = (0..9).map(|i| fixed(50 + i)).collect()),
        ),
        (
            "label of 33 bytes",
            now,
            Box::new(move |a| a.label = "é".repeat(16) + "x"),
        ),
        (
            "label of 32 bytes",
            now,
            Box::new(move |a| a.label = "é".repeat(16)),
        ),
        (
            "duplicate mint",
            now,
            Box::new(move |a| {
                a.mints.push(MintCapsArgs {
                    mint: fixed(11),
                    caps: caps(1),
                })
            }),
        ),
        (
            "destination with programs",
            now,
            Box::new(move |a| a.destinations.push(fixed(12))),
        ),
        (
            "destinations without programs",
            now,
            Box::new(move |a| {
                a.programs.clear();
                a.destinations = vec![fixed(12), fixed(14)];
            }),
        ),
        (
            "two rules of twelve keys fit",
            now,
            Box::new(move |a| a.programs[0].instructions = vec![big_rule(1), big_rule(2)]),
        ),
        (
            "three rules of twelve keys are too large",
            now,
            Box::new(move |a| {
                a.programs[0].instructions = vec![big_rule(1), big_rule(2), big_rule(3)]
            }),
        ),
        (
            "duplicate destination",
            now,
            Box::new(move |a| a.destinations = vec![fixed(12), fixed(12)]),
        ),
        (
            "five programs",
            now,
            Box::new(move |a| a.programs = (0..5).map(|i| program(fixed(60 + i))).collect()),
        ),
        (
            "duplicate program",
            now,
            Box::new(move |a| a.programs.push(program(example_game::ID))),
        ),
        (
            "nine instruction rules",
            now,
            Box::new(move |a| {
                a.programs[0].instructions = (0..9).map(|i| instruction(&[i])).collect()
            }),
        ),
        (
            "five argument rules",
            now,
            rule(|r| r.args = (0..5).map(|_| r.args[0].clone()).collect()),
        ),
        (
            "five account rules",
            now,
            rule(|r| r.accounts = (0..5).map(|_| r.accounts[0].clone()).collect()),
        ),
        (
            "empty discriminator",
            now,
            rule(|r| r.discriminator_len = 0),
        ),
        (
            "nine-byte discriminator",
            now,
            rule(|r| r.discriminator_len = 9),
        ),
        (
            "account rule without keys",
            now,
            rule(|r| r.accounts[0].keys.clear()),
        ),
        (
            "account rule with four keys",
            now,
            rule(|r| r.accounts[0].keys = vec![fixed(1); 4]),
        ),
        (
            "u64 rule with 7 bytes",
            now,
            rule(|r| r.args[0].value.pop().map(|_| ()).unwrap_or(())),
        ),
        (
            "bytes rule, empty",
            now,
            rule(|r| {
                r.args[0].kind = ArgKind::Bytes;
                r.args[0].op = CmpOp::Eq;
                r.args[0].value.clear();
            }),
        ),
        (
            "bytes rule of 33 bytes",
            now,
            rule(|r| {
                r.args[0].kind = ArgKind::Bytes;
                r.args[0].op = CmpOp::Ne;
                r.args[0].value = vec![1; 33];
            }),
        ),
        (
            "bytes rule of 32 bytes",
            now,
            rule(|r| {
                r.args[0].kind = ArgKind::Bytes;
                r.args[0].op = CmpOp::Eq;
                r.args[0].value = vec![1; 32];
            }),
        ),
        (
            "bytes rule with an ordering",
            now,
            rule(|r| {
                r.args[0].kind = ArgKind::Bytes;
                r.args[0].op = CmpOp::Lt;
            }),
        ),
        (
            "u128 rule",
            now,
            rule(|r| {
                r.args[0].kind = ArgKind::U128;
                r.args[0].value = vec![9; 16];
            }),
        ),
        (
            "zero max uses",
            now,
            Box::new(move |a| a.max_uses = Some(0)),
        ),
        (
            "zero delegate amount",
            now,
            Box::new(move |a| a.delegate_amount = Some(0)),
        ),
        (
            "zero SOL lifetime",
            now,
            Box::new(move |a| a.sol.as_mut().unwrap().lifetime = 0),
        ),
        (
            "zero SOL per-instruction",
            now,
            Box::new(move |a| a.sol.as_mut().unwrap().per_instruction = Some(0)),
        ),
        (
            "zero-length SOL window",
            now,
            Box::new(move |a| a.sol.as_mut().unwrap().window.as_mut().unwrap().seconds = 0),
        ),
        (
            "zero SOL window cap",
            now,
            Box::new(move |a| a.sol.as_mut().unwrap().window.as_mut().unwrap().cap = 0),
        ),
        (
            "zero mint lifetime",
            now,
            Box::new(move |a| a.mints[0].caps.lifetime = 0),
        ),
        (
            "zero-length mint window",
            now,
            Box::new(move |a| a.mints[0].caps = caps(5).window(0, 1)),
        ),
        (
            "order: expiry before empty scope",
            now,
            Box::new(move |a| {
                a.expires_at = now;
                a.sol = None;
                a.mints.clear();
                a.programs.clear();
            }),
        ),
        (
            "order: label before duplicates",
            now,
            Box::new(move |a| {
                a.label = "x".repeat(33);
                a.destinations = vec![fixed(12), fixed(12)];
            }),
        ),
        (
            "order: programs before zero caps",
            now,
            Box::new(move |a| {
                a.max_uses = Some(0);
                a.programs.push(program(example_game::ID));
            }),
        ),
        (
            "order: window after per-transaction",
            now,
            Box::new(move |a| {
                a.sol = Some(caps(5).per_instruction(0).window(0, 0));
            }),
        ),
    ];
    for (i, target) in [
        session_keys::ID,
        anchor_lang::system_program::ID,
        anchor_spl::token::ID,
        anchor_spl::token_2022::ID,
        Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
        Pubkey::from_str_const("BPFLoader1111111111111111111111111111111111"),
        Pubkey::from_str_const("BPFLoader2111111111111111111111111111111111"),
        Pubkey::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111"),
        Pubkey::from_str_const("LoaderV411111111111111111111111111111111111"),
    ]
    .into_iter()
    .enumerate()
    {
        let name: &'static str = Box::leak(format!("refused target {i}").into_boxed_str());
        cases.push((
            name,
            now,
            Box::new(move |a| a.programs.push(program(target))),
        ));
    }
    cases
        .into_iter()
        .map(|(name, now, mutate)| {
            let mut args = base();
            mutate(&mut args);
            let verdict = args.check(now);
            let data = session_keys::instruction::CreateSession { args }.data();
            json!({
                "name": name,
                "now": now.to_string(),
                "data": hex(&data),
                "error": verdict.err().map(session_keys_client::decode::error_code),
            })
        })
        .collect()
}

/// The session-size rule (`policy::session_space`, `Session::space`) on every shape of grant:
/// `create_session` instruction data and the account size the program allocates for it. The
/// SDK's `sessionSpace` must give the same number for each.
fn session_space_vectors() -> Vec<Value> {
    use anchor_lang::InstructionData;
    let market = fixed(40);
    let shapes: Vec<(&str, session_keys::policy::CreateSessionArgs)> = vec![
        (
            "SOL only",
            Scope::until(START + 60).sol(caps(SOL)).build_unchecked(),
        ),
        (
            "one mint with a window, a label",
            Scope::until(START + 60)
                .mint(fixed(41), caps(5).window(60, 1))
                .label("a label")
                .build_unchecked(),
        ),
        (
            "SOL, two mints, three destinations",
            Scope::until(START + 60)
                .sol(caps(SOL).per_instruction(10))
                .mint(fixed(41), caps(5))
                .mint(fixed(42), caps(7).window(3600, 2))
                .destination(fixed(43))
                .destination(fixed(44))
                .destination(fixed(45))
                .build_unchecked(),
        ),
        (
            "the example game, and a program with rules",
            Scope::until(START + 60)
                .program(game::session_scope(50_000_000))
                .program(
                    program(market)
                        .instruction(instruction(&[1, 2, 3]).arg_u64(8, CmpOp::Le, 99))
                        .instruction(instruction(&[4]).account(0, &[fixed(46), fixed(47)]))
                        .pass_session_signer(),
                )
                .label("bot")
                .build_unchecked(),
        ),
    ];
    shapes
        .into_iter()
        .map(|(name, args)| {
            let space = args.space();
            let data = session_keys::instruction::CreateSession { args }.data();
            json!({ "name": name, "data": hex(&data), "space": space })
        })
        .collect()
}

/// Every event, built with distinct field values and serialized as `emit!` logs it.
fn event_vectors() -> Vec<Value> {
    use anchor_lang::Event;
    use session_keys::{
        events::*,
        policy::{Allowance, MintAllowance},
    };
    let k = |n: u8| fixed(n).to_string();
    let ev = |name: &str, data: Vec<u8>, fields: Value| json!({ "name": name, "data": hex(&data), "fields": fields });
    vec![
        ev(
            "SessionCreated",
            SessionCreated {
                owner: fixed(1),
                session: fixed(2),
                session_key: fixed(3),
                payer: fixed(4),
                created_at: START,
                expires_at: START + 3600,
                nonce: 7,
                max_uses: 100,
                sol: Some(
                    Allowance::from_args(
                        &caps(SOL).per_instruction(SOL / 10).window(3600, SOL / 2),
                        START,
                    )
                    .unwrap(),
                ),
                mints: vec![MintAllowance {
                    mint: fixed(5),
                    allowance: Allowance::from_args(&caps(50 * TOKEN), START).unwrap(),
                }],
                destinations: vec![],
                programs: vec![game::session_scope(50_000_000)],
                label: "golden ✓".into(),
                top_up_lamports: 1_000_000,
                delegated_amount: 42,
            }
            .data(),
            // The nested grant (allowances, program rules) is checked by re-encoding.
            json!({
                "owner": k(1), "session": k(2), "sessionKey": k(3), "payer": k(4),
                "createdAt": START.to_string(), "expiresAt": (START + 3600).to_string(),
                "nonce": "7", "maxUses": 100, "destinations": [], "label": "golden ✓",
                "topUpLamports": "1000000", "delegatedAmount": "42",
            }),
        ),
        ev(
            "SessionRevoked",
            SessionRevoked {
                owner: fixed(1),
                session: fixed(2),
                revoked_by: fixed(3),
            }
            .data(),
            json!({ "owner": k(1), "session": k(2), "revokedBy": k(3) }),
        ),
        ev(
            "AllSessionsRevoked",
            AllSessionsRevoked {
                owner: fixed(1),
                nonce: u64::MAX,
                message_counter: 3,
                revoked_delegations: vec![fixed(25), fixed(26)],
                skipped_delegations: vec![fixed(27)],
            }
            .data(),
            json!({ "owner": k(1), "nonce": u64::MAX.to_string(), "messageCounter": "3", "revokedDelegations": [k(25), k(26)], "skippedDelegations": [k(27)] }),
        ),
        ev(
            "SessionClosed",
            SessionClosed {
                owner: fixed(1),
                session: fixed(2),
                payer: fixed(4),
            }
            .data(),
            json!({ "owner": k(1), "session": k(2), "payer": k(4) }),
        ),
        ev(
            "TokenTransferred",
            TokenTransferred {
                reference: Some(vec![0xab; 16]),
                owner: fixed(1),
                session: fixed(2),
                mint: fixed(5),
                from: fixed(21),
                to: fixed(22),
                amount: 1_500_000,
                lifetime_remaining: 48_500_000,
                window_remaining: u64::MAX,
                uses_remaining: 99,
            }
            .data(),
            json!({
                "owner": k(1), "session": k(2), "mint": k(5), "from": k(21), "to": k(22), "amount": "1500000",
                "lifetimeRemaining": "48500000", "windowRemaining": u64::MAX.to_string(), "usesRemaining": 99,
            }),
        ),
        ev(
            "SolTransferred",
            SolTransferred {
                reference: None,
                owner: fixed(1),
                session: fixed(2),
                to: fixed(12),
                amount: 12_345,
                lifetime_remaining: SOL - 12_345,
                window_remaining: SOL / 2 - 12_345,
                uses_remaining: u32::MAX,
            }
            .data(),
            json!({
                "owner": k(1), "session": k(2), "to": k(12), "amount": "12345", "lifetimeRemaining": (SOL - 12_345).to_string(),
                "windowRemaining": (SOL / 2 - 12_345).to_string(), "usesRemaining": u32::MAX,
            }),
        ),
        ev(
            "SolDeposited",
            SolDeposited {
                owner: fixed(1),
                amount: 2 * SOL,
            }
            .data(),
            json!({ "owner": k(1), "amount": (2 * SOL).to_string() }),
        ),
        ev(
            "SolWithdrawn",
            SolWithdrawn {
                owner: fixed(1),
                to: fixed(12),
                amount: 77,
            }
            .data(),
            json!({ "owner": k(1), "to": k(12), "amount": "77" }),
        ),
        ev(
            "TokenWithdrawn",
            TokenWithdrawn {
                owner: fixed(1),
                mint: fixed(5),
                to: fixed(24),
                amount: 5,
            }
            .data(),
            json!({ "owner": k(1), "mint": k(5), "to": k(24), "amount": "5" }),
        ),
        ev(
            "Executed",
            Executed {
                reference: None,
                owner: fixed(1),
                session: fixed(2),
                program: example_game::ID,
                discriminator: [1, 2, 3, 4, 5, 6, 7, 8],
                lamports: 3,
                tokens: vec![MintAmount {
                    mint: fixed(5),
                    amount: 9,
                }],
            }
            .data(),
            json!({
                "owner": k(1), "session": k(2), "program": example_game::ID.to_string(), "discriminator": "0102030405060708",
                "lamports": "3", "tokens": [{ "mint": k(5), "amount": "9" }],
            }),
        ),
        ev(
            "VaultTokenAccountClosed",
            VaultTokenAccountClosed {
                owner: fixed(1),
                token_account: fixed(23),
                destination: fixed(12),
            }
            .data(),
            json!({ "owner": k(1), "tokenAccount": k(23), "destination": k(12) }),
        ),
        ev(
            "BudgetSet",
            BudgetSet {
                owner: fixed(1),
                asset: fixed(5),
                lifetime_cap: u64::MAX,
                window_secs: 86_400,
                window_cap: 5 * TOKEN,
                spent: 3,
            }
            .data(),
            json!({
                "owner": k(1), "asset": k(5), "lifetimeCap": u64::MAX.to_string(), "windowSecs": 86_400,
                "windowCap": (5 * TOKEN).to_string(), "spent": "3",
            }),
        ),
        ev(
            "BudgetRemoved",
            BudgetRemoved {
                owner: fixed(1),
                asset: session_keys::policy::SOL_ASSET,
                closed: true,
            }
            .data(),
            json!({ "owner": k(1), "asset": session_keys::policy::SOL_ASSET.to_string(), "closed": true }),
        ),
        ev(
            "BudgetCharged",
            BudgetCharged {
                owner: fixed(1),
                session: fixed(2),
                asset: fixed(5),
                amount: 9,
                lifetime_remaining: 91,
                window_remaining: u64::MAX,
            }
            .data(),
            json!({
                "owner": k(1), "session": k(2), "asset": k(5), "amount": "9", "lifetimeRemaining": "91",
                "windowRemaining": u64::MAX.to_string(),
            }),
        ),
        ev(
            "MessageGrantUsed",
            MessageGrantUsed {
                owner: fixed(1),
                session: fixed(2),
                sponsor: fixed(30),
                message_number: 7,
            }
            .data(),
            json!({ "owner": k(1), "session": k(2), "sponsor": k(30), "messageNumber": "7" }),
        ),
    ]
}

#[test]
fn policy_golden_vectors_match_the_checked_in_file() {
    let golden = json!({
        "allowance": allowance_vectors(),
        "scopes": scope_vectors(),
        "sessionSpace": session_space_vectors(),
        "events": event_vectors(),
    });
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sdk/test/golden-policy.json"
    );
    let fresh = serde_json::to_string_pretty(&golden).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "sdk/test/golden-policy.json is stale: run UPDATE_GOLDEN=1 cargo test -p session-keys-tests golden"
    );
}
