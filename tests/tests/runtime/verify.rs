//! Verify-in-target: the example game's `move_as_owner` accepts the owner's signature or a
//! live session key of the owner, through `session_keys::verify`.
use anchor_lang::{AccountDeserialize, Discriminator};
use example_game::{instruction as game_ix, Player};
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{instruction, program, ProgramScopeExt, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{
    account::AccountSharedData, pubkey::Pubkey, signature::Keypair, signer::Signer,
    transaction::TransactionError,
};

/// The owner has a player (created with their own signature) and a session that may call
/// `move_as_owner` for 1 hour.
async fn env_verify() -> TestEnv {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    env.send_owner(&[game::create_player(&owner)])
        .await
        .unwrap();
    let scope =
        program(example_game::ID).instruction(instruction(game_ix::MoveAsOwner::DISCRIMINATOR));
    env.create_session(
        Scope::until(START + 3600)
            .program(scope)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    env
}

fn accounts(env: &TestEnv) -> Option<(Pubkey, Pubkey)> {
    let owner = env.owner.pubkey();
    Some((
        pda::session(&owner, &env.key.pubkey()).0,
        pda::wallet(&owner).0,
    ))
}

async fn position(env: &mut TestEnv) -> (i32, i32) {
    let owner = env.owner.pubkey();
    let data = env.account(&game::player(&owner)).await.unwrap().data;
    let p = Player::try_deserialize(&mut &data[..]).unwrap();
    (p.x, p.y)
}

async fn move_with_key(
    env: &mut TestEnv,
    session: Option<(Pubkey, Pubkey)>,
) -> Result<(), TransactionError> {
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.send_key(&[game::move_as_owner(&key, &owner, session, 1, 0)])
        .await
}

#[tokio::test]
async fn owner_or_a_valid_session_key_may_act() {
    let mut env = env_verify().await;
    let owner = env.owner.pubkey();
    env.send_owner(&[game::move_as_owner(&owner, &owner, None, 0, 5)])
        .await
        .unwrap();
    let s = accounts(&env);
    move_with_key(&mut env, s).await.unwrap();
    assert_eq!(position(&mut env).await, (1, 5));
    // Verification consumes no use.
    assert_eq!(env.session().await.unwrap().uses, 0);
}

#[tokio::test]
async fn missing_or_non_signing_session_is_refused() {
    let mut env = env_verify().await;
    // A session key without its session and wallet accounts.
    assert_session_error(
        move_with_key(&mut env, None).await,
        SessionError::NotOwnerOrSession,
    );
    // The session key listed but not signing (the stranger pays): Anchor's signer check.
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let mut i = game::move_as_owner(&key, &owner, accounts(&env), 1, 0);
    i.accounts[0].is_signer = false;
    let stranger = env.stranger.insecure_clone();
    let r = env.send(&[i], &[&stranger]).await;
    assert_custom(r, 0, anchor_lang::error::ErrorCode::AccountNotSigner as u32);
    // A stranger signing with the owner's session accounts.
    let i = game::move_as_owner(&stranger.pubkey(), &owner, accounts(&env), 1, 0);
    assert_session_error(
        env.send(&[i], &[&stranger]).await,
        SessionError::WrongSessionKey,
    );
    assert_eq!(position(&mut env).await, (0, 0));
}

#[tokio::test]
async fn forged_session_accounts_are_refused() {
    let mut env = env_verify().await;
    let (session, wallet) = accounts(&env).unwrap();
    let real = env.account(&session).await.unwrap();
    // The same bytes in an account owned by another program (e.g. its PDA with the same seeds).
    let forged = Pubkey::find_program_address(
        &[
            b"session",
            env.owner.pubkey().as_ref(),
            env.key.pubkey().as_ref(),
        ],
        &hostile_target::ID,
    )
    .0;
    let mut copy = real.clone();
    copy.owner = hostile_target::ID;
    env.ctx.set_account(&forged, &AccountSharedData::from(copy));
    let r = move_with_key(&mut env, Some((forged, wallet))).await;
    assert_session_error(r, SessionError::InvalidSessionAccount);
    // The wallet account passed as the session (right program, wrong discriminator).
    let r = move_with_key(&mut env, Some((wallet, wallet))).await;
    assert_session_error(r, SessionError::InvalidSessionAccount);
    // The session passed as the wallet.
    let r = move_with_key(&mut env, Some((session, session))).await;
    assert_session_error(r, SessionError::WrongWallet);
    // A session-keys-owned copy at an address that is not its PDA.
    let fake = Pubkey::new_unique();
    env.ctx.set_account(&fake, &AccountSharedData::from(real));
    let r = move_with_key(&mut env, Some((fake, wallet))).await;
    assert_session_error(r, SessionError::InvalidSessionAccount);
    assert_eq!(position(&mut env).await, (0, 0));
}

#[tokio::test]
async fn another_owners_session_or_wallet_is_refused() {
    let mut env = env_verify().await;
    let owner = env.owner.pubkey();
    // Owner B grants their own key a session with the same scope.
    let b = env.stranger.insecure_clone();
    let key_b = Keypair::new();
    let scope =
        program(example_game::ID).instruction(instruction(game_ix::MoveAsOwner::DISCRIMINATOR));
    let args = Scope::until(START + 3600)
        .program(scope)
        .build(START)
        .unwrap();
    env.send(
        &[ix::create_session(
            &b.pubkey(),
            &b.pubkey(),
            &key_b.pubkey(),
            args,
            None,
        )],
        &[&b],
    )
    .await
    .unwrap();
    let b_session = (
        pda::session(&b.pubkey(), &key_b.pubkey()).0,
        pda::wallet(&b.pubkey()).0,
    );
    // B's session key moving A's player with B's session.
    let i = game::move_as_owner(&key_b.pubkey(), &owner, Some(b_session), 1, 0);
    assert_session_error(
        env.send(&[i], &[&b, &key_b]).await,
        SessionError::SessionOwnerMismatch,
    );
    // A's session with B's wallet account.
    let (session, _) = accounts(&env).unwrap();
    let r = move_with_key(&mut env, Some((session, b_session.1))).await;
    assert_session_error(r, SessionError::WrongWallet);
    assert_eq!(position(&mut env).await, (0, 0));
}

#[tokio::test]
async fn session_for_another_program_or_instruction_is_refused() {
    for (scope, expected) in [
        (program(hostile_target::ID), SessionError::ProgramNotInScope),
        (
            program(example_game::ID).instruction(instruction(game_ix::MovePlayer::DISCRIMINATOR)),
            SessionError::InstructionNotInScope,
        ),
    ] {
        let mut env = TestEnv::new().await;
        let owner = env.owner.pubkey();
        env.send_owner(&[game::create_player(&owner)])
            .await
            .unwrap();
        env.create_session(
            Scope::until(START + 60)
                .program(scope)
                .build(START)
                .unwrap(),
        )
        .await
        .unwrap();
        let s = accounts(&env);
        assert_session_error(move_with_key(&mut env, s).await, expected);
        assert_eq!(position(&mut env).await, (0, 0));
    }
}

#[tokio::test]
async fn expired_or_revoked_sessions_are_refused() {
    let mut env = env_verify().await;
    let s = accounts(&env);
    env.set_time(START + 3599).await;
    move_with_key(&mut env, s).await.unwrap();
    env.set_time(START + 3600).await;
    assert_session_error(
        move_with_key(&mut env, s).await,
        SessionError::SessionExpired,
    );
    env.set_time(START).await;
    let owner = env.owner.pubkey();
    env.send_owner(&[ix::revoke_all_sessions(&owner, &[])])
        .await
        .unwrap();
    assert_session_error(
        move_with_key(&mut env, s).await,
        SessionError::SessionRevoked,
    );
    assert_eq!(position(&mut env).await, (1, 0));
}
