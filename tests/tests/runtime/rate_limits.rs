//! Rate limits: at most N actions per recurring window, on top of `max_uses`.
use anchor_lang::prelude::Pubkey;
use session_keys::{errors::SessionError, instructions::SessionStatus};
use session_keys_tests::{
    client::{
        ix,
        scope::{caps, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::signer::Signer;

#[tokio::test]
async fn a_rate_limited_session_is_refused_inside_the_window_and_works_after_it() {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(2 * SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL))
        .program(game::session_scope(SOL))
        .rate_limit(2, 60)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    let window = START - START % 60;

    env.send_key(&[ix::transfer_sol(&k, &o, &to, 1_000_000)])
        .await
        .unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let before = env.snapshot(&[], &[vault, to]).await;
    let uses = env.session().await.unwrap().uses;
    let r = env
        .send_key(&[ix::transfer_sol(&k, &o, &to, 1_000_000)])
        .await;
    assert_session_error(r, SessionError::RateLimited);
    let r = env.execute(&[game::move_player(&vault, 1, 0)]).await;
    assert_session_error(r, SessionError::RateLimited);
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
    assert_eq!(env.session().await.unwrap().uses, uses);

    // preview says so, and when it reopens.
    let p = env
        .preview(ix::preview_transfer_sol(&o, &k, &to, 1, None))
        .await;
    assert_eq!(p.status, SessionStatus::RateLimited);
    assert_eq!((p.rate_remaining, p.rate_reopens_at), (0, window + 60));
    assert_eq!(p.result, u64::from(code(SessionError::RateLimited)));

    // One second before the window ends: still refused; at its end: works again.
    env.set_time(window + 59).await;
    let r = env
        .send_key(&[ix::transfer_sol(&k, &o, &to, 1_000_000)])
        .await;
    assert_session_error(r, SessionError::RateLimited);
    env.set_time(window + 60).await;
    env.send_key(&[ix::transfer_sol(&k, &o, &to, 1_000_000)])
        .await
        .unwrap();
    let s = env.session().await.unwrap();
    let w = s.uses_window.unwrap();
    assert_eq!((w.start, w.used, s.uses), (window + 60, 1, 3));
    assert_eq!(env.lamports(&to).await, 2_000_000);
}

#[tokio::test]
async fn a_zero_rate_limit_is_refused_at_grant() {
    let mut env = TestEnv::new().await;
    for (uses, seconds) in [(0, 60), (3, 0)] {
        let args = Scope::until(START + 3600)
            .sol(caps(SOL))
            .rate_limit(uses, seconds)
            .build_unchecked();
        assert_session_error(
            env.create_session(args).await,
            SessionError::InvalidRateLimit,
        );
    }
    assert!(env.session().await.is_none());
}
