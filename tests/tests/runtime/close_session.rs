//! `close_session`: anyone, but only once the session is dead.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, Scope},
    },
    *,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn stranger_closes_only_after_expiry() {
    let mut env = TestEnv::new().await;
    let (owner, key, payer) = (env.owner.pubkey(), env.key.pubkey(), env.stranger.pubkey());
    let args = Scope::until(START + 100).sol(caps(1)).build(START).unwrap();
    let (o, p) = (env.owner.insecure_clone(), env.stranger.insecure_clone());
    env.send(
        &[ix::create_session(&owner, &payer, &key, args, None)],
        &[&p, &o],
    )
    .await
    .unwrap();
    let session = pda::session(&owner, &key).0;
    let rent = env.lamports(&session).await;

    // Before expiry: refused, whoever sends it.
    env.set_time(START + 99).await;
    let r = env
        .send_key(&[ix::close_session(&owner, &key, &payer)])
        .await;
    assert_session_error(r, SessionError::SessionStillActive);
    // Rent can only go to its payer.
    env.set_time(START + 100).await;
    let r = env.send_key(&[ix::close_session(&owner, &key, &key)]).await;
    assert_session_error(r, SessionError::WrongRentPayer);
    // A wallet of another owner cannot stand in for the session's.
    let mut i = ix::close_session(&owner, &key, &payer);
    let other = solana_sdk::signature::Keypair::new();
    let args = Scope::until(START + 200)
        .sol(caps(1))
        .build(START + 100)
        .unwrap();
    env.send(
        &[ix::create_session(
            &payer,
            &payer,
            &other.pubkey(),
            args,
            None,
        )],
        &[&p],
    )
    .await
    .unwrap();
    i.accounts[1].pubkey = pda::wallet(&payer).0;
    assert_session_error(env.send_key(&[i]).await, SessionError::WrongWallet);

    // At the expiry second: anyone (here the session key) closes it; rent goes to the payer.
    let payer_before = env.lamports(&payer).await;
    env.send_key(&[ix::close_session(&owner, &key, &payer)])
        .await
        .unwrap();
    assert!(env.account(&session).await.is_none());
    assert_eq!(env.lamports(&payer).await, payer_before + rent);
}

#[tokio::test]
async fn a_session_out_of_uses_is_dead_and_anyone_may_close_it() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.create_session(
        Scope::until(START + 3600)
            .mint(env.mint, caps(10 * TOKEN))
            .delegate(10 * TOKEN)
            .max_uses(1)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let stranger = env.stranger.insecure_clone();
    // A use left: still alive, even for a stranger's crank.
    let r = env
        .send(&[ix::close_session(&owner, &key, &owner)], &[&stranger])
        .await;
    assert_session_error(r, SessionError::SessionStillActive);
    env.send_transfer(TOKEN).await.unwrap();
    // Out of uses long before expiry: dead, so its rent need not wait 30 days.
    let session = pda::session(&owner, &key).0;
    let (rent, before) = (env.lamports(&session).await, env.lamports(&owner).await);
    env.send(&[ix::close_session(&owner, &key, &owner)], &[&stranger])
        .await
        .unwrap();
    assert!(env.account(&session).await.is_none());
    assert_eq!(env.lamports(&owner).await, before + rent);
}
