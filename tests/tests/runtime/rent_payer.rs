//! A session's rent paid by someone other than the owner, to the lamport: the payer pays the
//! session's rent (and the wallet's, on the owner's first session) at create, the owner pays
//! only fees, and the session's rent goes back to that payer, exactly, at revoke and at close.
use session_keys::{errors::SessionError, state::Wallet};
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, Scope},
        CreateSessionArgs,
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// One signature's fee.
const FEE: u64 = 5_000;

/// A payer holding exactly one SOL, funded by the owner.
async fn funded_payer(env: &mut TestEnv) -> Keypair {
    let payer = Keypair::new();
    let fund =
        solana_system_interface::instruction::transfer(&env.owner.pubkey(), &payer.pubkey(), SOL);
    env.send_owner(&[fund]).await.unwrap();
    payer
}

/// Rent-exempt minimum of `len` bytes, from the bank's Rent sysvar.
async fn rent_of(env: &mut TestEnv, len: usize) -> u64 {
    env.ctx
        .banks_client
        .get_rent()
        .await
        .unwrap()
        .minimum_balance(len)
}

fn grant(expires_at: i64) -> CreateSessionArgs {
    Scope::until(expires_at)
        .sol(caps(SOL))
        .label("rent")
        .build(START)
        .unwrap()
}

/// Creates `key`'s session with `payer` paying its rent, the owner paying the fee.
async fn create_paid_by(env: &mut TestEnv, payer: &Keypair, key: &Pubkey, args: CreateSessionArgs) {
    let owner = env.owner.insecure_clone();
    let i = ix::create_session(&owner.pubkey(), &payer.pubkey(), key, args, None);
    env.send(&[i], &[&owner, payer]).await.unwrap();
}

#[tokio::test]
async fn a_separate_payer_pays_exactly_the_rents_and_gets_the_sessions_back_at_revoke() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let payer = funded_payer(&mut env).await;
    let (key, key2) = (env.key.pubkey(), Keypair::new());
    let args = grant(START + 3600);
    let session_rent = rent_of(&mut env, args.space()).await;
    let wallet_rent = rent_of(&mut env, Wallet::SPACE).await;

    // First session of the owner: the payer pays the session's and the wallet's rent, the
    // owner (fee payer) two signatures and nothing else.
    let owner_before = env.lamports(&owner).await;
    create_paid_by(&mut env, &payer, &key, args.clone()).await;
    assert_eq!(
        env.lamports(&payer.pubkey()).await,
        SOL - session_rent - wallet_rent
    );
    assert_eq!(env.lamports(&owner).await, owner_before - 2 * FEE);
    let session = pda::session(&owner, &key).0;
    let account = env.account(&session).await.unwrap();
    assert_eq!(
        (account.lamports, account.data.len()),
        (session_rent, args.space())
    );
    assert_eq!(env.lamports(&pda::wallet(&owner).0).await, wallet_rent);
    assert_eq!(env.session().await.unwrap().payer, payer.pubkey());

    // Second session: the wallet exists, so only the session's rent.
    create_paid_by(&mut env, &payer, &key2.pubkey(), args.clone()).await;
    let paid = SOL - 2 * session_rent - wallet_rent;
    assert_eq!(env.lamports(&payer.pubkey()).await, paid);

    // Revoke sending the rent anywhere but the payer: refused, nothing moved.
    let r = env
        .send_owner(&[ix::revoke_session(&owner, &owner, &key, &owner)])
        .await;
    assert_session_error(r, SessionError::WrongRentPayer);
    assert_eq!(env.lamports(&session).await, session_rent);
    assert_eq!(env.lamports(&payer.pubkey()).await, paid);

    // The owner revokes the first: its rent back to the payer, exactly; the owner pays the fee.
    let owner_before = env.lamports(&owner).await;
    env.send_owner(&[ix::revoke_session(&owner, &owner, &key, &payer.pubkey())])
        .await
        .unwrap();
    assert!(env.account(&session).await.is_none());
    assert_eq!(env.lamports(&payer.pubkey()).await, paid + session_rent);
    assert_eq!(env.lamports(&owner).await, owner_before - FEE);

    // The second key revokes itself, a stranger paying the fee: the rent back to the payer.
    let stranger = env.stranger.insecure_clone();
    let stranger_before = env.lamports(&stranger.pubkey()).await;
    let i = ix::revoke_session(&key2.pubkey(), &owner, &key2.pubkey(), &payer.pubkey());
    env.send(&[i], &[&stranger, &key2]).await.unwrap();
    assert!(env
        .account(&pda::session(&owner, &key2.pubkey()).0)
        .await
        .is_none());
    assert_eq!(env.lamports(&payer.pubkey()).await, paid + 2 * session_rent);
    assert_eq!(
        env.lamports(&stranger.pubkey()).await,
        stranger_before - 2 * FEE
    );
    assert_eq!(env.lamports(&key2.pubkey()).await, 0);
    // The wallet stays (it holds the nonce and the message counter): its rent is not refunded.
    assert_eq!(env.lamports(&payer.pubkey()).await, SOL - wallet_rent);
}

#[tokio::test]
async fn a_separate_payer_gets_the_rent_back_exactly_when_anyone_closes_a_dead_session() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let payer = funded_payer(&mut env).await;
    let wallet_rent = rent_of(&mut env, Wallet::SPACE).await;
    let (revoked, expiring) = (Keypair::new(), Keypair::new());
    let long = grant(START + 3600);
    let short = grant(START + 60);
    let (long_rent, short_rent) = (
        rent_of(&mut env, long.space()).await,
        rent_of(&mut env, short.space()).await,
    );
    create_paid_by(&mut env, &payer, &revoked.pubkey(), long).await;
    create_paid_by(&mut env, &payer, &expiring.pubkey(), short).await;
    let paid = SOL - wallet_rent - long_rent - short_rent;
    assert_eq!(env.lamports(&payer.pubkey()).await, paid);

    // Killed by revoke_all: a stranger closes it; the payer gets exactly its rent, the
    // stranger pays one fee.
    env.send_owner(&[ix::revoke_all_sessions(&owner, &[])])
        .await
        .unwrap();
    let stranger = env.stranger.insecure_clone();
    let stranger_before = env.lamports(&stranger.pubkey()).await;
    let close = ix::close_session(&owner, &revoked.pubkey(), &payer.pubkey());
    env.send(&[close], &[&stranger]).await.unwrap();
    assert_eq!(env.lamports(&payer.pubkey()).await, paid + long_rent);
    assert_eq!(
        env.lamports(&stranger.pubkey()).await,
        stranger_before - FEE
    );

    // Expired: the same, at the expiry second.
    env.set_time(START + 60).await;
    let close = ix::close_session(&owner, &expiring.pubkey(), &payer.pubkey());
    env.send(&[close], &[&stranger]).await.unwrap();
    assert_eq!(
        env.lamports(&payer.pubkey()).await,
        paid + long_rent + short_rent
    );
    assert_eq!(
        env.lamports(&stranger.pubkey()).await,
        stranger_before - 2 * FEE
    );
    for k in [&revoked, &expiring] {
        assert!(env
            .account(&pda::session(&owner, &k.pubkey()).0)
            .await
            .is_none());
    }
    assert_eq!(env.lamports(&payer.pubkey()).await, SOL - wallet_rent);
}
