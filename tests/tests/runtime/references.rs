//! Payment references: a reference the session used is refused again (within its history),
//! through every spending instruction, and echoed in the event.
use anchor_lang::prelude::Pubkey;
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix,
        scope::{caps, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::signer::Signer;

async fn env_with_history(history: u8) -> (TestEnv, Pubkey) {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(2 * SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL))
        .mint(env.mint, caps(100 * TOKEN))
        .program(game::session_scope(SOL))
        .delegate(100 * TOKEN)
        .reference_history(history)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    (env, vault)
}

#[tokio::test]
async fn a_repeated_reference_is_refused_through_each_instruction() {
    let (mut env, vault) = env_with_history(4).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    let (from, mint, rcpt) = (env.owner_ata, env.mint, env.recipient_ata);
    let t = env.transfer_accounts(&from, &mint, &rcpt).await;
    env.execute(&[game::create_player(&vault)]).await.unwrap();

    let sol_ref = [1u8; 16];
    let tok_ref = [2u8; 32];
    let exe_ref = [3u8; 16];
    let (r, logs) = env
        .send_with_logs(
            &[ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&sol_ref))],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    let echoed = TestEnv::events(&logs).into_iter().find_map(|e| match e {
        SessionEvent::SolTransferred(e) => e.reference,
        _ => None,
    });
    assert_eq!(echoed, Some(sol_ref.to_vec()));
    env.send_key(&[ix::transfer_token_ref(
        &k,
        &o,
        t,
        TOKEN,
        DECIMALS,
        Some(&tok_ref),
    )])
    .await
    .unwrap();
    let (r, logs) = env
        .send_with_logs(
            &[ix::execute_ref(
                &k,
                &o,
                &[game::move_player(&vault, 1, 0)],
                Some(&exe_ref),
            )],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    let echoed = TestEnv::events(&logs).into_iter().find_map(|e| match e {
        SessionEvent::Executed(e) => e.reference,
        _ => None,
    });
    assert_eq!(echoed, Some(exe_ref.to_vec()));

    let before = env.snapshot(&[from, rcpt], &[vault, to]).await;
    let uses = env.session().await.unwrap().uses;
    // Each reference again, through its own instruction and through the others.
    for r in [&sol_ref[..], &tok_ref[..], &exe_ref[..]] {
        let tries = [
            ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(r)),
            ix::transfer_token_ref(&k, &o, t, TOKEN, DECIMALS, Some(r)),
            ix::execute_ref(&k, &o, &[game::move_player(&vault, 1, 0)], Some(r)),
        ];
        for i in tries {
            assert_session_error(env.send_key(&[i]).await, SessionError::ReferenceAlreadyUsed);
        }
    }
    assert_eq!(env.snapshot(&[from, rcpt], &[vault, to]).await, before);
    assert_eq!(env.session().await.unwrap().uses, uses);
    // The same bytes as a 32-byte reference are another reference.
    let mut long = [0u8; 32];
    long[..16].copy_from_slice(&sol_ref);
    env.send_key(&[ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&long))])
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_sizes_and_sessions_without_history_are_refused() {
    let (mut env, vault) = env_with_history(2).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    let before = env.snapshot(&[], &[vault, to]).await;
    for len in [0usize, 1, 15, 17, 31, 33, 64] {
        let r = vec![9u8; len];
        let i = ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&r));
        assert_session_error(
            env.send_key(&[i]).await,
            SessionError::InvalidReferenceLength,
        );
    }
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);

    let (mut env, _) = env_with_history(0).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let i = ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&[1; 16]));
    assert_session_error(env.send_key(&[i]).await, SessionError::ReferencesNotEnabled);
    env.send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 100)])
        .await
        .unwrap();

    let args = Scope::until(START + 3600)
        .sol(caps(SOL))
        .reference_history(session_keys::constants::MAX_REFERENCE_HISTORY + 1)
        .build_unchecked();
    env.revoke_own_session().await;
    assert_session_error(
        env.create_session(args).await,
        SessionError::ReferenceHistoryTooLong,
    );
}

#[tokio::test]
async fn the_history_bound_is_exact() {
    // History of 2: the last two references are refused; the one before them is accepted
    // again (the documented bound).
    let (mut env, _) = env_with_history(2).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    let send = |r: u8| ix::transfer_sol_ref(&k, &o, &to, SOL / 100, Some(&[r; 16]));
    for r in 1..=3 {
        env.send_key(&[send(r)]).await.unwrap();
    }
    assert_session_error(
        env.send_key(&[send(3)]).await,
        SessionError::ReferenceAlreadyUsed,
    );
    assert_session_error(
        env.send_key(&[send(2)]).await,
        SessionError::ReferenceAlreadyUsed,
    );
    env.send_key(&[send(1)]).await.unwrap();
    let s = env.session().await.unwrap();
    assert_eq!(s.references.entries.len(), 2);
    // The account was allocated full at grant and never grew.
    let size = env
        .account(&session_keys_tests::client::pda::session(&o, &k).0)
        .await
        .unwrap()
        .data
        .len();
    assert_eq!(
        size,
        Scope::until(START + 3600)
            .sol(caps(SOL))
            .mint(env.mint, caps(100 * TOKEN))
            .program(game::session_scope(SOL))
            .reference_history(2)
            .build_unchecked()
            .space()
    );
}
