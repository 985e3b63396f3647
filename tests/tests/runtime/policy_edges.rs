//! Policy edges: destinations with program scope, what "per instruction" means when a
//! transaction carries several session instructions, verify-in-target on an exhausted
//! session, and program accounts as session keys.
use anchor_lang::{AccountDeserialize, Discriminator};
use example_game::{instruction as game_ix, Player};
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, instruction, program, CapsExt, ProgramScopeExt, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn destinations_and_program_scope_cannot_be_combined() {
    let mut env = TestEnv::new().await;
    // A DEX-style target could send the vault's value to any account it is given: a session
    // limited to destinations must not be able to call one at all.
    let args = Scope::until(START + 60)
        .sol(caps(SOL))
        .destination(Pubkey::new_unique())
        .program(program(example_game::ID))
        .build_unchecked();
    let r = env.create_session(args).await;
    assert_session_error(r, SessionError::DestinationsWithPrograms);
    assert!(env.session().await.is_none());
    // Without program scope `execute` has nothing to call.
    let args = Scope::until(START + 60)
        .sol(caps(SOL))
        .destination(Pubkey::new_unique())
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let owner = env.owner.pubkey();
    let call = game::create_player(&pda::vault(&owner).0);
    let r = env
        .send_key(&[ix::execute(&env.key.pubkey(), &owner, &[call])])
        .await;
    assert_session_error(r, SessionError::ProgramNotInScope);
}

#[tokio::test]
async fn the_per_instruction_cap_applies_to_each_instruction_and_the_window_to_their_sum() {
    let mut env = TestEnv::new().await;
    env.create_session(
        Scope::until(START + 600)
            .mint(
                env.mint,
                caps(100 * TOKEN)
                    .per_instruction(10 * TOKEN)
                    .window(60, 15 * TOKEN),
            )
            .delegate(100 * TOKEN)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let recipient = env.recipient_ata;
    // Two transfers of 10 in one transaction: each within its own per-instruction cap, but
    // together above the window: the second fails and the whole transaction reverts.
    let (a, b) = (
        env.transfer_ix(10 * TOKEN).await,
        env.transfer_ix(10 * TOKEN).await,
    );
    let r = env.send_key(&[a, b]).await;
    assert_custom(r, 1, code(SessionError::WindowCapExceeded));
    assert_eq!(env.balance(&recipient).await, 0);
    assert_eq!(env.session().await.unwrap().uses, 0);
    // 10 + 5 fits both: two instructions, two uses, 15 spent.
    let (a, b) = (
        env.transfer_ix(10 * TOKEN).await,
        env.transfer_ix(5 * TOKEN).await,
    );
    env.send_key(&[a, b]).await.unwrap();
    assert_eq!(env.balance(&recipient).await, 15 * TOKEN);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (2, 15 * TOKEN));
    // One instruction above the per-instruction cap is refused even with window room left.
    env.set_time(START + 60).await;
    let a = env.transfer_ix(11 * TOKEN).await;
    let r = env.send_key(&[a]).await;
    assert_session_error(r, SessionError::PerInstructionCapExceeded);
}

#[tokio::test]
async fn verify_in_target_refuses_a_session_whose_uses_are_exhausted() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.send_owner(&[game::create_player(&owner)])
        .await
        .unwrap();
    env.create_session(
        Scope::until(START + 600)
            .mint(env.mint, caps(10 * TOKEN))
            .delegate(10 * TOKEN)
            .program(
                program(example_game::ID)
                    .instruction(instruction(game_ix::MoveAsOwner::DISCRIMINATOR)),
            )
            .max_uses(1)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let accounts = Some((pda::session(&owner, &key).0, pda::wallet(&owner).0));
    // Verification is allowed and consumes nothing.
    env.send_key(&[game::move_as_owner(&key, &owner, accounts, 1, 0)])
        .await
        .unwrap();
    assert_eq!(env.session().await.unwrap().uses, 0);
    // The one use goes to a transfer; from then on the session is dead on every path.
    let t = env.transfer_ix(TOKEN).await;
    env.send_key(&[t]).await.unwrap();
    let r = env
        .send_key(&[game::move_as_owner(&key, &owner, accounts, 1, 0)])
        .await;
    assert_session_error(r, SessionError::UsesExhausted);
    let data = env.account(&game::player(&owner)).await.unwrap().data;
    let p = Player::try_deserialize(&mut &data[..]).unwrap();
    assert_eq!((p.x, p.y), (1, 0));
}

#[tokio::test]
async fn the_owners_vault_or_wallet_cannot_be_a_session_key() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let args = || {
        Scope::until(START + 60)
            .sol(caps(SOL))
            .build(START)
            .unwrap()
    };
    let vault = pda::vault(&owner).0;
    let r = env
        .send_owner(&[ix::create_session(&owner, &owner, &vault, args(), None)])
        .await;
    assert_session_error(r, SessionError::SessionKeyIsProgramAccount);
    assert!(env.session_of(&owner, &vault).await.is_none());
    let wallet = pda::wallet(&owner).0;
    let r = env
        .send_owner(&[ix::create_session(&owner, &owner, &wallet, args(), None)])
        .await;
    assert_session_error(r, SessionError::SessionKeyIsProgramAccount);
    assert!(env.session_of(&owner, &wallet).await.is_none());
    assert!(env.wallet_of(&owner).await.is_none());
}
