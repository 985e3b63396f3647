//! The `rpc` feature against a localnet started by each test.
use super::{funded, set_time, SOL};
use anchor_lang::AccountDeserialize;
use localnet::Localnet;
use session_keys_client::{
    ix, pda,
    rpc::{classify, remaining, Error, Remaining, SessionClient, SessionState},
    scope::{caps, CapsExt, Scope},
    SessionError,
};
use session_keys_tests::targets::game;
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

const T0: i64 = 1_800_000_000;

/// A localnet frozen at [`T0`] and a client of it.
fn start() -> (Localnet, SessionClient) {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    (net, client)
}

#[tokio::test]
async fn sessions_are_fetched_listed_and_classified() {
    let (_net, client) = start();
    set_time(&client, T0).await;
    assert_eq!(client.now().await.unwrap(), T0);
    let owner = funded(&client, 10 * SOL).await;
    let o = owner.pubkey();
    assert!(client.wallet(&o).await.unwrap().is_none());

    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let long = Scope::until(T0 + 3600).sol(caps(SOL).window(60, SOL / 2));
    let short = Scope::until(T0 + 60).sol(caps(SOL));
    let once = Scope::until(T0 + 3600).sol(caps(SOL)).max_uses(1);
    let mut ixs = vec![ix::deposit_sol(&o, 3 * SOL)];
    for (key, scope) in keys.iter().zip([long, short, once]) {
        let args = scope.top_up(SOL / 100).build(T0).unwrap();
        ixs.push(ix::create_session(&o, &o, &key.pubkey(), args, None));
    }
    client.send(&ixs, &[&owner]).await.unwrap();
    // Someone else's session stays out of the owner's list.
    let stranger = funded(&client, SOL).await;
    let args = Scope::until(T0 + 60).sol(caps(1)).build(T0).unwrap();
    let s = stranger.pubkey();
    client
        .send(
            &[ix::create_session(
                &s,
                &s,
                &Pubkey::new_unique(),
                args,
                None,
            )],
            &[&stranger],
        )
        .await
        .unwrap();

    let to = Pubkey::new_unique();
    client
        .send(
            &[ix::transfer_sol(&keys[2].pubkey(), &o, &to, SOL / 10)],
            &[&keys[2]],
        )
        .await
        .unwrap();
    client
        .send(
            &[ix::transfer_sol(&keys[0].pubkey(), &o, &to, SOL / 5)],
            &[&keys[0]],
        )
        .await
        .unwrap();

    let first = client
        .session(&o, &keys[0].pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.owner, o);
    let wallet = client.wallet(&o).await.unwrap().unwrap();
    assert_eq!(classify(&first, Some(wallet.nonce), T0), SessionState::Live);
    assert_eq!(
        remaining(&first, Some(wallet.nonce), T0),
        [Remaining {
            mint: None,
            now: SOL / 2 - SOL / 5,
            window: SOL / 2 - SOL / 5,
            lifetime: SOL - SOL / 5,
        }]
    );
    // The next 60-second window is empty again.
    assert_eq!(
        remaining(&first, Some(wallet.nonce), T0 - T0 % 60 + 60)[0].now,
        SOL / 2
    );

    let listed = client.list_sessions(&o).await.unwrap();
    let states: Vec<_> = listed
        .iter()
        .map(|s| (s.session.session_key, s.state))
        .collect();
    let mut expected = vec![
        (keys[0].pubkey(), SessionState::Live),
        (keys[1].pubkey(), SessionState::Live),
        (keys[2].pubkey(), SessionState::Exhausted),
    ];
    expected.sort_by_key(|(k, _)| pda::session(&o, k).0);
    assert_eq!(states, expected);
    assert!(listed
        .iter()
        .all(|s| s.lamports > 0 && s.address == pda::session(&o, &s.session.session_key).0));

    set_time(&client, T0 + 60).await;
    let listed = client.list_sessions(&o).await.unwrap();
    let short = listed
        .iter()
        .find(|s| s.session.session_key == keys[1].pubkey())
        .unwrap();
    assert_eq!(short.state, SessionState::Expired);
    assert!(short.state.closable(&short.session));

    client
        .send(&[ix::revoke_all_sessions(&o, &[])], &[&owner])
        .await
        .unwrap();
    let listed = client.list_sessions(&o).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed.iter().all(|s| s.state == SessionState::Revoked),
        "{listed:?}"
    );
    assert!(
        remaining(&listed[0].session, Some(wallet.nonce + 1), T0 + 60)
            .iter()
            .all(|r| r.now == 0)
    );
}

#[tokio::test]
async fn sends_with_a_compute_budget_and_decodes_program_errors() {
    let (net, _) = start();
    let client = SessionClient::new(net.url()).with_compute_budget(100_000, 10_000);
    set_time(&client, T0).await;
    let owner = funded(&client, 10 * SOL).await;
    let key = funded(&client, SOL).await;
    let o = owner.pubkey();
    let args = Scope::until(T0 + 3600)
        .sol(caps(SOL).window(3600, SOL / 10))
        .build(T0)
        .unwrap();
    client
        .send(
            &[
                ix::deposit_sol(&o, SOL),
                ix::create_session(&o, &o, &key.pubkey(), args, None),
            ],
            &[&owner],
        )
        .await
        .unwrap();

    let to = Pubkey::new_unique();
    let before = client.rpc().get_balance(&key.pubkey()).await.unwrap();
    let sig = client
        .send(
            &[ix::transfer_sol(&key.pubkey(), &o, &to, SOL / 10)],
            &[&key],
        )
        .await
        .unwrap();
    // 5,000 per signature plus the priority fee: 100,000 units at 10,000 micro-lamports.
    assert_eq!(
        before - client.rpc().get_balance(&key.pubkey()).await.unwrap(),
        5_000 + 1_000
    );
    let outcome = client.outcome(&sig).await.unwrap();
    assert_eq!(outcome.err, None);
    assert_eq!(
        outcome.events.iter().map(|e| e.name()).collect::<Vec<_>>(),
        ["SolTransferred"]
    );
    assert!(
        outcome.logs[0].starts_with("Program ComputeBudget111111111111111111111111111111 invoke")
    );
    assert!(outcome
        .logs
        .iter()
        .any(|l| l == &format!("Program {} success", session_keys::ID)));

    // The window is spent: the program's error, at the caller's instruction index.
    let err = client
        .send(&[ix::transfer_sol(&key.pubkey(), &o, &to, 1)], &[&key])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Program {
                error: SessionError::WindowCapExceeded,
                instruction: 0
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("WindowCapExceeded (code 6016)"),
        "{err}"
    );
    // Someone else's session key is refused by the runtime's signature check, not the program.
    let stranger = Keypair::new();
    let err = client
        .send(
            &[ix::transfer_sol(&stranger.pubkey(), &o, &to, 1)],
            &[&key, &stranger],
        )
        .await
        .unwrap_err();
    assert_eq!(err.session_error(), None, "{err}");
}

#[tokio::test]
async fn execute_batches_go_out_as_v0_transactions_with_a_lookup_table() {
    let (_net, client) = start();
    set_time(&client, T0).await;
    let owner = funded(&client, 10 * SOL).await;
    let key = funded(&client, SOL).await;
    let (o, k) = (owner.pubkey(), key.pubkey());
    let vault = pda::vault(&o).0;
    let args = Scope::until(T0 + 3600)
        .sol(caps(SOL / 10))
        .program(game::session_scope(SOL / 100))
        .build(T0)
        .unwrap();
    client
        .send(
            &[
                ix::deposit_sol(&o, SOL),
                ix::create_session(&o, &o, &k, args, None),
            ],
            &[&owner],
        )
        .await
        .unwrap();

    let calls = vec![
        game::create_player(&vault),
        game::move_player(&vault, 1, 2),
        game::move_player(&vault, 3, 4),
        game::move_player(&vault, -1, 0),
    ];
    let addresses = SessionClient::execute_addresses(&o, &k, &calls);
    assert!(!addresses.contains(&k), "the signer stays in the message");
    let table = client
        .create_lookup_table(&owner, &addresses)
        .await
        .unwrap();
    assert_eq!(table.addresses, addresses);

    let execute = ix::execute(&k, &o, &calls);
    let v0 = client
        .v0_transaction(
            std::slice::from_ref(&execute),
            &[&key],
            std::slice::from_ref(&table),
        )
        .await
        .unwrap();
    let legacy = solana_sdk::transaction::Transaction::new_signed_with_payer(
        std::slice::from_ref(&execute),
        Some(&k),
        &[&key],
        client.rpc().get_latest_blockhash().await.unwrap(),
    );
    let (v0_len, legacy_len) = (
        bincode::serialize(&v0).unwrap().len(),
        bincode::serialize(&legacy).unwrap().len(),
    );
    assert!(
        v0_len + 100 < legacy_len,
        "v0 {v0_len} bytes, legacy {legacy_len}"
    );

    let sig = client.send_v0(&[execute], &[&key], &[table]).await.unwrap();
    let data = client
        .rpc()
        .get_account_data(&game::player(&vault))
        .await
        .unwrap();
    let player = example_game::Player::try_deserialize(&mut &data[..]).unwrap();
    assert_eq!((player.authority, player.x, player.y), (vault, 3, 6));
    assert_eq!(client.outcome(&sig).await.unwrap().err, None);
}
