//! `example-game::create_player_funded`, the player account of gasless play
//! (docs/12-gasless-play.md): through `execute`, a vault with 0 lamports gets a player whose rent
//! the game's treasury pays, to the lamport; a second one is refused; a signer that is not a
//! session-keys vault cannot make the treasury pay.
use session_keys_tests::{
    client::scope::{program, Scope},
    targets::game,
    *,
};
use solana_sdk::{signature::Keypair, signer::Signer};

#[tokio::test]
async fn the_treasury_pays_a_zero_sol_vaults_player_once_and_only_for_a_vault() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = client::pda::vault(&owner).0;
    let treasury = game::treasury();
    env.send_owner(&[solana_system_interface::instruction::transfer(
        &owner, &treasury, SOL,
    )])
    .await
    .unwrap();
    let args = Scope::until(START + 3600)
        .program(program(example_game::ID))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    assert_eq!(env.lamports(&vault).await, 0, "the vault holds nothing");

    env.execute(&[game::create_player_funded(&owner)])
        .await
        .unwrap();
    let player = game::player(&vault);
    let rent = env.lamports(&player).await;
    assert_eq!(rent, 1_273_680, "55 bytes of rent");
    assert_eq!(env.lamports(&treasury).await, SOL - rent);
    assert_eq!(env.lamports(&vault).await, 0, "the vault paid nothing");
    let data = env.account(&player).await.unwrap().data;
    let p =
        <example_game::Player as anchor_lang::AccountDeserialize>::try_deserialize(&mut &data[..])
            .unwrap();
    assert_eq!(
        (p.authority, p.x, p.y, p.hp, p.items),
        (vault, 0, 0, 100, 0)
    );
    env.execute(&[game::move_player(&vault, 1, 2)])
        .await
        .unwrap();

    // A second player for the same vault: the account exists, nothing is paid.
    let before = env.snapshot(&[], &[treasury, vault]).await;
    assert!(env
        .execute(&[game::create_player_funded(&owner)])
        .await
        .is_err());
    assert_eq!(env.snapshot(&[], &[treasury, vault]).await, before);

    // A plain key calling the game directly, naming itself (or the real vault's owner): its
    // key is not that owner's session-keys vault.
    let stranger = Keypair::new();
    env.send_owner(&[solana_system_interface::instruction::transfer(
        &owner,
        &stranger.pubkey(),
        SOL / 10,
    )])
    .await
    .unwrap();
    let mut direct = game::create_player_funded(&stranger.pubkey());
    direct.accounts[0] = anchor_lang::prelude::AccountMeta::new_readonly(stranger.pubkey(), true);
    direct.accounts[2].pubkey = game::player(&stranger.pubkey());
    let r = env.send(&[direct], &[&stranger]).await;
    assert_custom(r, 0, 2006); // ConstraintSeeds
    assert_eq!(env.lamports(&treasury).await, SOL - rent);
}
