//! The expiry second, from both sides: one second before `expires_at` a session still acts
//! (through `transfer_sol` and through `execute`) and its effect lands; at `expires_at` the
//! same call is refused with `SessionExpired` and nothing moves.
use anchor_lang::AccountDeserialize;
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix,
        scope::{caps, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// Uses, SOL spent, and the owner's wallet nonce: what a refused call must leave alone.
async fn counters(env: &mut TestEnv) -> (u32, u64, u64) {
    let owner = env.owner.pubkey();
    let s = env.session().await.unwrap();
    let nonce = env.wallet_of(&owner).await.unwrap().nonce;
    (s.uses, s.sol.map_or(0, |a| a.spent), nonce)
}

#[tokio::test]
async fn transfer_sol_works_one_second_before_expiry_and_is_refused_at_expiry() {
    // 5 SOL in the vault, 1 SOL lifetime cap, expiry at START + 7200.
    let (mut env, vault) = TestEnv::with_sol_session(5 * SOL, caps(SOL)).await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let expiry = env.session().await.unwrap().expires_at;
    assert_eq!(expiry, START + 7200);
    let to = Pubkey::new_unique();

    env.set_time(expiry - 1).await;
    env.send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 10)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&to).await, SOL / 10);
    assert_eq!(env.lamports(&vault).await, 5 * SOL - SOL / 10);
    assert_eq!(counters(&mut env).await, (1, SOL / 10, 0));

    env.set_time(expiry).await;
    let before = env.snapshot(&[], &[vault, to]).await;
    let r = env
        .send_key(&[ix::transfer_sol(&key, &owner, &to, SOL / 10)])
        .await;
    assert_session_error(r, SessionError::SessionExpired);
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
    assert_eq!(counters(&mut env).await, (1, SOL / 10, 0));
}

#[tokio::test]
async fn execute_works_one_second_before_expiry_and_is_refused_at_expiry() {
    let mut env = TestEnv::new().await;
    let treasury = game::treasury();
    let vault = env.fund_vault(SOL).await;
    let expiry = START + 600;
    let args = Scope::until(expiry)
        .sol(caps(SOL / 2))
        .program(game::session_scope(SOL / 10))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let rent = env.lamports(&game::player(&vault)).await;

    // The last second of the session: a move and a purchase, in one batch, both land.
    env.set_time(expiry - 1).await;
    env.execute(&[
        game::move_player(&vault, 2, 3),
        game::buy_item(&vault, 9, 20_000_000),
    ])
    .await
    .unwrap();
    let read_player = |data: Vec<u8>| {
        let p = example_game::Player::try_deserialize(&mut &data[..]).unwrap();
        (p.x, p.y, p.items)
    };
    let data = env.account(&game::player(&vault)).await.unwrap().data;
    assert_eq!(read_player(data), (2, 3, 1));
    assert_eq!(env.lamports(&treasury).await, 20_000_000);
    assert_eq!(env.lamports(&vault).await, SOL - rent - 20_000_000);
    assert_eq!(counters(&mut env).await, (2, rent + 20_000_000, 0));

    // At the expiry second the same batch is refused before any call runs.
    env.set_time(expiry).await;
    let before = env.snapshot(&[], &[vault, treasury]).await;
    let r = env
        .execute(&[
            game::move_player(&vault, 2, 3),
            game::buy_item(&vault, 9, 20_000_000),
        ])
        .await;
    assert_session_error(r, SessionError::SessionExpired);
    assert_eq!(env.snapshot(&[], &[vault, treasury]).await, before);
    let data = env.account(&game::player(&vault)).await.unwrap().data;
    assert_eq!(read_player(data), (2, 3, 1));
    assert_eq!(counters(&mut env).await, (2, rent + 20_000_000, 0));
}
