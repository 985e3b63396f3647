//! Security round 3: accounts a stranger crafts to imitate the owner's. A token multisig whose
//! signer keys spell a token account (`session_keys_tests::fakes`) is not a token account for
//! either token program, so it is not one for session-keys either: it cannot block
//! `revoke_all_sessions`, and lamports credited to it cannot hide SOL leaving the vault. And a
//! wrapped-SOL account's lamports that its amount does not explain are charged like vault SOL.
//! Each case asserts the exact outcome and that nothing else moved.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix, pda,
        scope::{caps, program, Scope},
    },
    fakes::token_account_image,
    targets::hostile,
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;
const SPL: Pubkey = anchor_spl::token::ID;

#[tokio::test]
async fn a_planted_multisig_cannot_block_revoke_all_and_is_reported_as_skipped() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let owner_ata = env.owner_ata;
    // The stranger plants, under each token program, a multisig that reads as "the owner's
    // account, delegated to the vault".
    let image = token_account_image(env.mint, owner, 1_000 * TOKEN, Some(vault));
    let fake_spl = env.plant_fake_token_account(&SPL, &image).await;
    let fake_2022 = env.plant_fake_token_account(&TOKEN_2022, &image).await;
    let fakes_before = (
        env.account(&fake_spl).await.unwrap(),
        env.account(&fake_2022).await.unwrap(),
    );
    assert_eq!(
        env.token_account(&owner_ata).await.delegated_amount,
        50 * TOKEN
    );
    let transfer = env.transfer_ix(TOKEN).await;
    env.send_key(std::slice::from_ref(&transfer)).await.unwrap();

    // The owner's kill switch lists the real account and both fakes (as a byte-pattern scan
    // would): it goes through.
    let owner_kp = env.owner.insecure_clone();
    let (r, logs) = env
        .send_with_logs(
            &[ix::revoke_all_sessions(
                &owner,
                &[(owner_ata, SPL), (fake_spl, SPL), (fake_2022, TOKEN_2022)],
            )],
            &[&owner_kp],
        )
        .await;
    r.unwrap();
    let wallet = env.wallet_of(&owner).await.unwrap();
    assert_eq!(wallet.nonce, 1);
    let [SessionEvent::AllSessionsRevoked(e)] = &TestEnv::events(&logs)[..] else {
        panic!("one AllSessionsRevoked event: {logs:?}");
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.nonce, 1);
    assert_eq!(e.message_counter, wallet.message_counter);
    assert_eq!(e.revoked_delegations, vec![owner_ata]);
    assert_eq!(e.skipped_delegations, vec![fake_spl, fake_2022]);
    // The real delegation is gone; the fakes are exactly as they were.
    let a = env.token_account(&owner_ata).await;
    assert_eq!((a.delegate.is_none(), a.delegated_amount), (true, 0));
    assert_eq!(a.amount, 999 * TOKEN);
    assert_eq!(env.account(&fake_spl).await.unwrap(), fakes_before.0);
    assert_eq!(env.account(&fake_2022).await.unwrap(), fakes_before.1);
    // The stolen key is dead, and nothing moved.
    let before = env
        .snapshot(&[owner_ata, env.recipient_ata], &[vault])
        .await;
    assert_session_error(
        env.send_key(&[transfer]).await,
        SessionError::SessionRevoked,
    );
    assert_eq!(
        env.snapshot(&[owner_ata, env.recipient_ata], &[vault])
            .await,
        before
    );
}

#[tokio::test]
async fn lamports_parked_in_a_multisig_dressed_as_a_vault_account_are_charged() {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(2 * SOL).await;
    // A session that may call the hostile target, with no SOL allowance at all.
    env.create_session(
        Scope::until(START + 60)
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    // Fakes that read as "a token account the vault owns": were they watched, the lamports
    // credited to them would offset the vault's loss.
    let image = token_account_image(env.mint, vault, 0, None);
    for token_program in [TOKEN_2022, SPL] {
        let fake = env.plant_fake_token_account(&token_program, &image).await;
        let (vault_before, fake_before) = (env.lamports(&vault).await, env.lamports(&fake).await);
        let r = env
            .execute(&[hostile::drain_lamports(&vault, &fake, SOL)])
            .await;
        assert_session_error(r, SessionError::SolNotInScope);
        assert_eq!(env.lamports(&vault).await, vault_before);
        assert_eq!(env.lamports(&fake).await, fake_before);
        let s = env.session().await.unwrap();
        assert_eq!((s.uses, s.sol), (0, None));
    }
}

/// The vault's wrapped-SOL associated account holding `unsynced` lamports sent without
/// `SyncNative` (its token amount stays 0), and a session that may call the hostile target
/// with caps on the native mint and `sol_cap` on SOL. Returns (vault, account).
async fn unsynced_wrapped_sol(env: &mut TestEnv, unsynced: u64, sol_cap: u64) -> (Pubkey, Pubkey) {
    let owner = env.owner.pubkey();
    let native = anchor_spl::token::spl_token::native_mint::ID;
    let vault = env.fund_vault(SOL).await;
    let ata = hostile::ata(&vault, &native, &SPL);
    let create = hostile::create_ata(&owner, &vault, &native, &SPL);
    let tip = solana_system_interface::instruction::transfer(&owner, &ata, unsynced);
    env.send_owner(&[create, tip]).await.unwrap();
    assert_eq!(
        env.balance(&ata).await,
        0,
        "not synced: the amount does not show it"
    );
    env.create_session(
        Scope::until(START + 60)
            .mint(native, caps(10 * SOL))
            .sol(caps(sol_cap))
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    (vault, ata)
}

#[tokio::test]
async fn unsynced_wrapped_sol_leaving_through_close_and_recreate_is_charged_as_sol() {
    let native = anchor_spl::token::spl_token::native_mint::ID;
    // A SOL allowance that covers the re-created account's rent, not the 1 SOL parked in it.
    let mut env = TestEnv::new().await;
    let (vault, ata) = unsynced_wrapped_sol(&mut env, SOL, SOL / 100).await;
    let thief = Pubkey::new_unique();
    let attack = hostile::close_and_recreate(&vault, &native, &thief);
    let (rich, vault_before) = (env.lamports(&ata).await, env.lamports(&vault).await);
    let r = env.execute(std::slice::from_ref(&attack)).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.lamports(&ata).await, rich);
    assert_eq!(env.lamports(&vault).await, vault_before);
    assert_eq!(env.lamports(&thief).await, 0);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.sol.unwrap().spent), (0, 0));

    // With an allowance that covers it, the session pays for everything the thief got: the
    // parked SOL and the old rent (the vault re-funded the new account's rent).
    let mut env = TestEnv::new().await;
    let (vault, ata) = unsynced_wrapped_sol(&mut env, SOL, 2 * SOL).await;
    let (rich, vault_before) = (env.lamports(&ata).await, env.lamports(&vault).await);
    let rent = rich - SOL;
    env.execute(&[hostile::close_and_recreate(&vault, &native, &thief)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&thief).await, rich);
    assert_eq!(env.lamports(&ata).await, rent);
    assert_eq!(env.balance(&ata).await, 0);
    assert_eq!(env.lamports(&vault).await, vault_before - rent);
    let s = env.session().await.unwrap();
    assert_eq!(s.sol.unwrap().spent, rich);
    assert_eq!(s.mints[0].allowance.spent, 0, "no wrapped-SOL amount moved");
}
