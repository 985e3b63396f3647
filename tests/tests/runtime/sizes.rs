//! Measured, not timed: transaction and account sizes of the hot path.
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
    assert_eq!(accounts, 9);
    assert_eq!(bytes, 418);
    assert!(bytes <= 420);
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
    assert_eq!(one, 291);
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
    assert_eq!(two, 375);
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
    let vault = pda::vault(&owner).0;
    env.send_owner(&[ix::deposit_sol(&owner, SOL)])
        .await
        .unwrap();
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
    assert_eq!(bytes, 363);
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
    assert_eq!(size, 357);
}

fn bincode_len(t: &solana_sdk::transaction::Transaction) -> usize {
    // Wire format: compact-u16 signature count, signatures, then the serialized message.
    let message = t.message.serialize();
    1 + 64 * t.signatures.len() + message.len()
}
