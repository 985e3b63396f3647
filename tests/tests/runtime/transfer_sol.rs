//! `transfer_sol`: lamports out of the vault within the SOL caps.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, CapsExt, Scope},
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// 5 SOL in the vault; 1 SOL lifetime, 0.5 per instruction, 0.75 per hour.
async fn env_sol() -> (TestEnv, Pubkey) {
    TestEnv::with_sol_session(
        5 * SOL,
        caps(SOL)
            .per_instruction(SOL / 2)
            .window(3600, SOL / 2 + SOL / 4),
    )
    .await
}

#[tokio::test]
async fn moves_lamports_within_caps() {
    let (mut env, vault) = env_sol().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    env.send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 2)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&to).await, SOL / 2);
    assert_eq!(env.lamports(&vault).await, 5 * SOL - SOL / 2);
    let s = env.session().await.unwrap();
    assert_eq!((s.sol.unwrap().spent, s.uses), (SOL / 2, 1));

    let before = env.snapshot(&[], &[vault, to]).await;
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 2 + 1)])
        .await;
    assert_session_error(r, SessionError::PerInstructionCapExceeded);
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 4 + 1)])
        .await;
    assert_session_error(r, SessionError::WindowCapExceeded);
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);

    let w = START - START % 3600;
    env.set_time(w + 3600).await;
    env.send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 2)])
        .await
        .unwrap();
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &to, 1)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.lamports(&to).await, SOL);
}

#[tokio::test]
async fn token_only_session_cannot_move_sol() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.fund_vault(SOL).await;
    env.create_session(
        Scope::until(START + 60)
            .mint(env.mint, caps(1))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let to = Pubkey::new_unique();
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &to, 1)])
        .await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.lamports(&pda::vault(&owner).0).await, SOL);
}

#[tokio::test]
async fn sol_destination_allow_list_and_expiry() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.fund_vault(SOL).await;
    let shop = Pubkey::new_unique();
    let args = Scope::until(START + 10)
        .sol(caps(SOL))
        .destination(shop)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let r = env
        .send_key(&[ix::transfer_sol(
            &key,
            &owner,
            &Pubkey::new_unique(),
            SOL / 10,
        )])
        .await;
    assert_session_error(r, SessionError::DestinationNotAllowed);
    env.send_key(&[ix::transfer_sol(&key, &owner, &shop, SOL / 10)])
        .await
        .unwrap();
    env.set_time(START + 10).await;
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &shop, SOL / 10)])
        .await;
    assert_session_error(r, SessionError::SessionExpired);
    assert_eq!(env.lamports(&shop).await, SOL / 10);
}

#[tokio::test]
async fn cannot_spend_another_owners_vault() {
    let (mut env, vault) = env_sol().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let b = env.stranger.pubkey();
    let b_vault = pda::vault(&b).0;
    env.send(
        &[ix::deposit_sol(&b, SOL)],
        &[&env.stranger.insecure_clone()],
    )
    .await
    .unwrap();
    let to = Pubkey::new_unique();
    let mut i = ix::transfer_sol(&key, &owner, &to, SOL / 10);
    i.accounts[3].pubkey = b_vault;
    assert_session_error(env.send_key(&[i]).await, SessionError::WrongVault);
    assert_eq!(
        env.snapshot(&[], &[vault, b_vault, to]).await,
        vec![5 * SOL, SOL, 0]
    );
}
