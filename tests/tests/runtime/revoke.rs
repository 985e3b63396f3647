//! `revoke_session` and `revoke_all_sessions`: immediate, and no replay afterwards.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, Scope},
    },
    *,
};
use solana_sdk::{signature::Keypair, signer::Signer};

async fn env_session() -> TestEnv {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 3600)
        .mint(env.mint, caps(50 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env
}

#[tokio::test]
async fn owner_revokes_then_the_key_is_refused() {
    let mut env = env_session().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let transfer = env.transfer_ix(TOKEN).await;
    env.send_key(std::slice::from_ref(&transfer)).await.unwrap();

    let session = pda::session(&owner, &key).0;
    let rent = env.lamports(&session).await;
    let owner_before = env.lamports(&owner).await;
    env.send_owner(&[ix::revoke_session(&owner, &owner, &key, &owner)])
        .await
        .unwrap();
    assert!(env.account(&session).await.is_none(), "closed");
    assert_eq!(env.lamports(&owner).await, owner_before + rent - 5000);

    // Replay of the very same transfer after revoke: the account is gone.
    let r = env.send_key(&[transfer]).await;
    assert_custom(
        r,
        0,
        anchor_lang::error::ErrorCode::AccountNotInitialized as u32,
    );
    assert_eq!(env.balance(&env.recipient_ata.clone()).await, TOKEN);
}

#[tokio::test]
async fn session_key_can_revoke_itself_and_strangers_cannot() {
    let mut env = env_session().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let stranger = env.stranger.insecure_clone();
    let r = env
        .send(
            &[ix::revoke_session(&stranger.pubkey(), &owner, &key, &owner)],
            &[&stranger],
        )
        .await;
    assert_session_error(r, SessionError::UnauthorizedRevoker);
    // Rent must go to the payer, not to whoever revokes.
    let r = env
        .send_key(&[ix::revoke_session(&key, &owner, &key, &key)])
        .await;
    assert_session_error(r, SessionError::WrongRentPayer);
    assert!(env.session().await.is_some());

    env.send_key(&[ix::revoke_session(&key, &owner, &key, &owner)])
        .await
        .unwrap();
    assert!(env.session().await.is_none());
}

#[tokio::test]
async fn revoke_all_kills_every_session_and_new_ones_work() {
    let mut env = env_session().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.fund_vault(SOL).await;
    let key2 = Keypair::new();
    let args = Scope::until(START + 3600)
        .sol(caps(SOL))
        .build(START)
        .unwrap();
    env.send_owner(&[ix::create_session(
        &owner,
        &owner,
        &key2.pubkey(),
        args,
        None,
    )])
    .await
    .unwrap();
    let to = solana_sdk::pubkey::Pubkey::new_unique();
    let sol_transfer = ix::transfer_sol(&key2.pubkey(), &owner, &to, 1_000_000);
    env.send(
        std::slice::from_ref(&sol_transfer),
        &[&env.ctx.payer.insecure_clone(), &key2],
    )
    .await
    .unwrap();
    let token_transfer = env.transfer_ix(TOKEN).await;
    env.send_key(std::slice::from_ref(&token_transfer))
        .await
        .unwrap();

    // A stranger cannot revoke all of the owner's sessions.
    let stranger = env.stranger.insecure_clone();
    let mut i = ix::revoke_all_sessions(&stranger.pubkey(), &[]);
    i.accounts[1].pubkey = pda::wallet(&owner).0;
    assert_session_error(env.send(&[i], &[&stranger]).await, SessionError::NotOwner);

    // Revoke everything: the nonce, and the vault's delegation on the owner's account.
    let owner_ata = env.owner_ata;
    env.send_owner(&[ix::revoke_all_sessions(
        &owner,
        &[(owner_ata, anchor_spl::token::ID)],
    )])
    .await
    .unwrap();
    assert_eq!(env.wallet_of(&owner).await.unwrap().nonce, 1);
    assert_eq!(env.token_account(&owner_ata).await.delegated_amount, 0);
    let before = env
        .snapshot(
            &[env.owner_ata, env.recipient_ata],
            &[pda::vault(&owner).0, to],
        )
        .await;
    assert_session_error(
        env.send_key(&[token_transfer]).await,
        SessionError::SessionRevoked,
    );
    let r = env
        .send(&[sol_transfer], &[&env.ctx.payer.insecure_clone(), &key2])
        .await;
    assert_session_error(r, SessionError::SessionRevoked);
    assert_eq!(
        env.snapshot(
            &[env.owner_ata, env.recipient_ata],
            &[pda::vault(&owner).0, to]
        )
        .await,
        before
    );

    // The stale session can be closed by anyone; a new session under the new nonce works.
    let session = pda::session(&owner, &key).0;
    let rent = env.lamports(&session).await;
    let (owner_before, stranger_before) = (
        env.lamports(&owner).await,
        env.lamports(&stranger.pubkey()).await,
    );
    env.send(&[ix::close_session(&owner, &key, &owner)], &[&stranger])
        .await
        .unwrap();
    assert!(rent > 0 && env.account(&session).await.is_none());
    assert_eq!(env.lamports(&owner).await, owner_before + rent);
    assert_eq!(
        env.lamports(&stranger.pubkey()).await,
        stranger_before - 5_000
    );
    // The new session approves its own delegation: the old one was revoked with the rest.
    let args = Scope::until(START + 3600)
        .mint(env.mint, caps(5 * TOKEN))
        .delegate(5 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    assert_eq!(env.session().await.unwrap().nonce, 1);
    let t = env.transfer_ix(TOKEN).await;
    env.send_key(&[t]).await.unwrap();
    assert_eq!(env.balance(&env.recipient_ata.clone()).await, 2 * TOKEN);
}

/// A session closed and created again at the same address starts from zero: no counters,
/// caps or nonce carry over.
#[tokio::test]
async fn recreated_session_has_no_stale_state() {
    let mut env = env_session().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let t = env.transfer_ix(10 * TOKEN).await;
    env.send_key(&[t]).await.unwrap();
    env.send_owner(&[ix::revoke_session(&owner, &owner, &key, &owner)])
        .await
        .unwrap();
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(3 * TOKEN))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let s = env.session().await.unwrap();
    assert_eq!(
        (
            s.uses,
            s.mints[0].allowance.spent,
            s.mints[0].allowance.lifetime_cap
        ),
        (0, 0, 3 * TOKEN)
    );
    let t = env.transfer_ix(3 * TOKEN + 1).await;
    assert_session_error(env.send_key(&[t]).await, SessionError::LifetimeCapExceeded);
}
