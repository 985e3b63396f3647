//! Measured, not timed: transaction and account sizes of the hot path, as legacy transactions
//! and as v0 transactions with an address lookup table (the road a bot or a game takes once a
//! session lives long enough to be worth a table: every non-signer key but the program looked
//! up, 1 byte each instead of 32).
use session_keys::state::Session;
use session_keys_tests::{
    client::{
        pda,
        scope::{caps, CapsExt, Scope},
        tx,
    },
    *,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn transfer_token_transaction_size() {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(10 * TOKEN))
        .delegate(10 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let ixn = env.transfer_ix(TOKEN).await;
    let blockhash = env.ctx.last_blockhash;
    let t = tx::session_signed(&[ixn], &env.key, blockhash);
    let bytes = bincode_len(&t);
    let accounts = t.message.account_keys.len();
    println!("transfer_token transaction: {bytes} bytes, {accounts} account keys, 1 signature");
    assert_eq!(accounts, 10);
    assert_eq!(bytes, 452);
    quoted(
        "`transfer_token` transaction (legacy, no lookup table, 10 keys, 1 signature)",
        bytes,
    );
    assert!(bytes <= 460);
    // And it really executes as sent.
    env.ctx.banks_client.process_transaction(t).await.unwrap();
    assert_eq!(env.balance(&env.recipient_ata.clone()).await, TOKEN);
}

#[tokio::test]
async fn session_account_sizes() {
    let mut env = TestEnv::new().await;
    let other = env.create_mint(&anchor_spl::token::ID).await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(10).per_instruction(5).window(60, 5))
        .sol(caps(10).per_instruction(5).window(60, 5))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let one = env
        .account(&pda::session(&owner, &key).0)
        .await
        .unwrap()
        .data
        .len();
    println!("session account, 1 mint + SOL caps: {one} bytes");
    assert_eq!(one, 298);
    quoted("session, 1 mint + SOL caps", one);
    assert_eq!(one, Session::space(true, 1, 0, 0, 0));

    let key2 = solana_sdk::signature::Keypair::new();
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(10).per_instruction(5).window(60, 5))
        .mint(other, caps(10).per_instruction(5).window(3600, 5))
        .sol(caps(10).per_instruction(5).window(60, 5))
        .build(START)
        .unwrap();
    let ixn =
        session_keys_tests::client::ix::create_session(&owner, &owner, &key2.pubkey(), args, None);
    env.send_owner(&[ixn]).await.unwrap();
    let two = env
        .account(&pda::session(&owner, &key2.pubkey()).0)
        .await
        .unwrap()
        .data
        .len();
    println!("session account, 2 windowed mints + SOL caps: {two} bytes");
    assert_eq!(two, 382);
    quoted("session, 2 windowed mints + SOL caps", two);
    assert!(two <= 400);
}

#[tokio::test]
async fn execute_move_transaction_size() {
    use anchor_lang::Discriminator;
    use session_keys_tests::{
        client::{
            ix,
            scope::{instruction, program, ProgramScopeExt},
        },
        targets::game,
    };
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    let args = Scope::until(START + 60)
        .sol(caps(SOL / 100))
        .program(
            program(example_game::ID)
                .instruction(instruction(
                    example_game::instruction::CreatePlayer::DISCRIMINATOR,
                ))
                .instruction(instruction(
                    example_game::instruction::MovePlayer::DISCRIMINATOR,
                )),
        )
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let create = ix::execute(&env.key.pubkey(), &owner, &[game::create_player(&vault)]);
    env.send_key(&[create]).await.unwrap();

    let mv = ix::execute(
        &env.key.pubkey(),
        &owner,
        &[game::move_player(&vault, 1, 1)],
    );
    let t = tx::session_signed(&[mv], &env.key, env.ctx.last_blockhash);
    let bytes = bincode_len(&t);
    println!(
        "execute(example-game::move_player) transaction: {bytes} bytes, {} account keys",
        t.message.account_keys.len()
    );
    assert_eq!(bytes, 397);
    quoted(
        "`execute(example-game::move_player)` transaction (8 keys, 1 signature)",
        bytes,
    );
    assert!(bytes <= 600);
    env.ctx.banks_client.process_transaction(t).await.unwrap();
}

#[tokio::test]
async fn session_size_with_program_scope() {
    use session_keys::policy::CmpOp;
    use session_keys_tests::client::{
        ix,
        scope::{instruction, program, InstructionRuleExt, ProgramScopeExt},
    };
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let dex = solana_sdk::pubkey::Pubkey::new_unique();
    // 2 programs, 3 instruction discriminators, 2 argument rules (and SOL caps).
    let args = Scope::until(START + 60)
        .sol(caps(SOL))
        .program(
            program(example_game::ID)
                .instruction(instruction(&[1; 8]))
                .instruction(instruction(&[2; 8]).arg_u64(10, CmpOp::Le, 1_000_000)),
        )
        .program(program(dex).instruction(instruction(&[9]).arg_u8(9, CmpOp::Eq, 0)))
        .build(START)
        .unwrap();
    let programs_size = args.programs_size();
    env.send_owner(&[ix::create_session(&owner, &owner, &key, args, None)])
        .await
        .unwrap();
    let size = env
        .account(&pda::session(&owner, &key).0)
        .await
        .unwrap()
        .data
        .len();
    println!(
        "session account, 2 programs + 3 instructions + 2 argument rules + SOL caps: {size} bytes"
    );
    assert_eq!(size, Session::space(true, 0, 0, programs_size, 0));
    assert_eq!(size, 364);
    quoted(
        "session, 2 programs + 3 instruction rules + 2 argument rules + SOL caps",
        size,
    );
}

/// Asserts that the guide quotes `bytes` for `what` (a row `| what | bytes ...`), and, with a
/// README label, that the README's cost table does too (`| label | legacy | v0 |`).
fn quoted(what: &str, bytes: usize) {
    const DOCS: &str = include_str!("../../../docs/11-performance.md");
    let row = format!("| {what} | {bytes}");
    assert!(
        DOCS.contains(&row),
        "docs/11-performance.md does not quote the measured {row}"
    );
}

/// Asserts the README's cost table row for `what`: `| what | legacy | v0 |`.
fn quoted_in_readme(what: &str, legacy: usize, v0: usize) {
    const README: &str = include_str!("../../../README.md");
    let row = format!("| {what} | {legacy} | {v0} |");
    assert!(
        README.contains(&row),
        "README.md does not quote the measured {row}"
    );
}

fn bincode_len(t: &solana_sdk::transaction::Transaction) -> usize {
    // Wire format: compact-u16 signature count, signatures, then the serialized message.
    let message = t.message.serialize();
    1 + 64 * t.signatures.len() + message.len()
}

/// Sends `ix` as a v0 transaction signed by the session key, every other key but the program in
/// a lookup table; returns its wire size after checking that it executes as sent.
async fn v0_size(
    env: &mut TestEnv,
    ix: anchor_lang::solana_program::instruction::Instruction,
) -> usize {
    use session_keys_tests::alt::{lookup_keys, tx_bytes, v0_tx};
    let table = env
        .lookup_table(lookup_keys(std::slice::from_ref(&ix)))
        .await;
    let key = env.key.insecure_clone();
    let t = v0_tx(&[ix], &[&key], &table, env.ctx.last_blockhash);
    let bytes = tx_bytes(&t);
    let (r, _) = env.send_versioned_with_logs(t).await;
    r.unwrap();
    bytes
}

#[tokio::test]
async fn transfer_token_with_a_lookup_table() {
    let mut env = TestEnv::with_token_session(caps(10 * TOKEN), 10 * TOKEN).await;
    let ixn = env.transfer_ix(TOKEN).await;
    let bytes = v0_size(&mut env, ixn).await;
    println!("transfer_token transaction, v0 + lookup table: {bytes} bytes");
    assert_eq!(env.balance(&env.recipient_ata.clone()).await, TOKEN);
    assert_eq!(bytes, 240);
    assert!(bytes <= 250);
    quoted("`transfer_token` transaction (v0 + lookup table)", bytes);
    quoted_in_readme("`transfer_token`", 452, bytes);
}

#[tokio::test]
async fn transfer_sol_with_a_lookup_table() {
    use session_keys_tests::client::ix;
    let (mut env, _) = TestEnv::with_sol_session(SOL, caps(SOL)).await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let to = env.recipient;
    let legacy = tx::session_signed(
        &[ix::transfer_sol(&key, &owner, &to, SOL / 10)],
        &env.key,
        env.ctx.last_blockhash,
    );
    let legacy_bytes = bincode_len(&legacy);
    println!("transfer_sol transaction, legacy: {legacy_bytes} bytes");
    assert_eq!(legacy_bytes, 385);
    quoted("`transfer_sol` transaction (legacy)", legacy_bytes);
    let bytes = v0_size(&mut env, ix::transfer_sol(&key, &owner, &to, SOL / 10)).await;
    println!("transfer_sol transaction, v0 + lookup table: {bytes} bytes");
    assert_eq!(env.lamports(&to).await, SOL / 10);
    assert_eq!(bytes, 235);
    assert!(bytes <= 250);
    quoted("`transfer_sol` transaction (v0 + lookup table)", bytes);
    quoted_in_readme("`transfer_sol`", legacy_bytes, bytes);
}

#[tokio::test]
async fn execute_move_with_a_lookup_table() {
    use session_keys_tests::{
        client::{ix, scope::program},
        targets::game,
    };
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    env.create_session(
        Scope::until(START + 60)
            .sol(caps(SOL / 100))
            .program(program(example_game::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    env.send_key(&[ix::execute(
        &env.key.pubkey(),
        &owner,
        &[game::create_player(&vault)],
    )])
    .await
    .unwrap();
    let mv = ix::execute(
        &env.key.pubkey(),
        &owner,
        &[game::move_player(&vault, 1, 1)],
    );
    let bytes = v0_size(&mut env, mv).await;
    println!("execute(example-game::move_player) transaction, v0 + lookup table: {bytes} bytes");
    use anchor_lang::AccountDeserialize;
    let player = example_game::Player::try_deserialize(
        &mut &env.account(&game::player(&vault)).await.unwrap().data[..],
    )
    .unwrap();
    assert_eq!((player.x, player.y), (1, 1));
    assert_eq!(bytes, 247);
    quoted(
        "`execute(example-game::move_player)` transaction (v0 + lookup table)",
        bytes,
    );
    quoted_in_readme("`execute(example-game::move_player)`", 397, bytes);
}

/// What the guardrails cost in account bytes: a session with a rate limit and a reference
/// history (allocated full at grant), and an owner budget with one and with eight assets.
#[tokio::test]
async fn guardrail_sizes() {
    use session_keys::{constants::MAX_BUDGET_ASSETS, policy::SOL_ASSET, state::Budget};
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(10).per_instruction(5).window(60, 5))
        .sol(caps(10).per_instruction(5).window(60, 5))
        .rate_limit(10, 60)
        .reference_history(8)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let size = env
        .account(&pda::session(&owner, &key).0)
        .await
        .unwrap()
        .data
        .len();
    assert_eq!(size, 298 + 20 + 8 * 33);
    quoted(
        "session, 1 mint + SOL caps + rate limit + 8-reference history",
        size,
    );

    env.set_budget(&SOL_ASSET, budget(Some(10), None))
        .await
        .unwrap();
    let one = env
        .account(&pda::budget(&owner).0)
        .await
        .unwrap()
        .data
        .len();
    assert_eq!(one, Budget::space(1));
    quoted("owner budget, 1 asset", one);
    for _ in 1..MAX_BUDGET_ASSETS {
        let m = env.create_mint(&anchor_spl::token::ID).await;
        env.set_budget(&m, budget(Some(10), None)).await.unwrap();
    }
    let eight = env
        .account(&pda::budget(&owner).0)
        .await
        .unwrap()
        .data
        .len();
    assert_eq!(eight, Budget::space(8));
    quoted("owner budget, 8 assets (the most)", eight);
}
