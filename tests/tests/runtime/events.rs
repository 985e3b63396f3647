//! Events: every `emit!` reaches the transaction's log as a validator prints it
//! (`Program data: <base64>`, inside the program's invocation), and decodes field by field.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix, pda,
        scope::{caps, CapsExt, Scope},
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// The only event in `logs`.
#[track_caller]
fn one_event(logs: &[String]) -> SessionEvent {
    let mut events = TestEnv::events(logs);
    assert_eq!(events.len(), 1, "{logs:#?}");
    events.remove(0)
}

/// Index of the first line equal to `line`.
#[track_caller]
fn position(logs: &[String], line: &str) -> usize {
    logs.iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("no {line:?} in {logs:#?}"))
}

#[tokio::test]
async fn session_transfer_token_and_transfer_sol_events_carry_owner_session_amounts_and_what_is_left(
) {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let (session, vault) = (pda::session(&owner, &key).0, pda::vault(&owner).0);
    let sk = session_keys::ID;

    let (r, logs) = env
        .send_with_logs(
            &[ix::deposit_sol(&owner, 2 * SOL)],
            &[&env.owner.insecure_clone()],
        )
        .await;
    r.unwrap();
    let SessionEvent::SolDeposited(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!((e.owner, e.amount), (owner, 2 * SOL));

    // Create: the event line sits inside session-keys' invocation, after the approve CPI.
    let args = Scope::until(START + 7200)
        .mint(env.mint, caps(10 * TOKEN).window(3600, 4 * TOKEN))
        .sol(caps(SOL).window(3600, SOL / 2))
        .max_uses(5)
        .label("events")
        .delegate(10 * TOKEN)
        .build(START)
        .unwrap();
    let create = ix::create_session(
        &owner,
        &owner,
        &key,
        args,
        Some(ix::DelegateFrom {
            token_account: env.owner_ata,
            token_program: anchor_spl::token::ID,
        }),
    );
    let (r, logs) = env
        .send_with_logs(&[create], &[&env.owner.insecure_clone()])
        .await;
    r.unwrap();
    let data_lines: Vec<usize> = (0..logs.len())
        .filter(|&i| logs[i].starts_with("Program data: "))
        .collect();
    assert_eq!(data_lines.len(), 1, "{logs:#?}");
    let token_done = position(&logs, &format!("Program {} success", anchor_spl::token::ID));
    let invoke = position(&logs, &format!("Program {sk} invoke [1]"));
    let success = position(&logs, &format!("Program {sk} success"));
    assert!(invoke < token_done && token_done < data_lines[0] && data_lines[0] < success);
    // One line per invocation, as a validator logs it (program-test's doubles are merged).
    let invokes = |p: Pubkey| {
        logs.iter()
            .filter(|l| l.starts_with(&format!("Program {p} invoke")))
            .count()
    };
    assert_eq!(
        (invokes(sk), invokes(anchor_spl::token::ID)),
        (1, 1),
        "{logs:#?}"
    );
    assert!(logs.contains(&format!("Program {} invoke [2]", anchor_spl::token::ID)));
    let SessionEvent::SessionCreated(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.session, session);
    assert_eq!(e.session_key, key);
    assert_eq!(e.payer, owner);
    assert_eq!(e.expires_at, START + 7200);
    assert_eq!(e.nonce, 0);
    // The whole grant, as stored: a wallet can audit the session from this event alone.
    assert_eq!((e.created_at, e.max_uses), (START, 5));
    assert_eq!(e.mints.len(), 1);
    assert_eq!(e.mints[0].mint, env.mint);
    let m = e.mints[0].allowance;
    assert_eq!(
        (m.lifetime_cap, m.window_secs, m.window_cap),
        (10 * TOKEN, 3600, 4 * TOKEN)
    );
    let sol = e.sol.unwrap();
    assert_eq!((sol.lifetime_cap, sol.window_cap), (SOL, SOL / 2));
    assert!(e.programs.is_empty() && e.destinations.is_empty());
    let stored = env.session().await.unwrap();
    assert_eq!(
        (e.sol, &e.mints, &e.destinations, &e.programs, e.max_uses),
        (
            stored.sol,
            &stored.mints,
            &stored.destinations,
            &stored.programs,
            stored.max_uses
        )
    );
    assert_eq!(e.top_up_lamports, 0);
    assert_eq!(e.delegated_amount, 10 * TOKEN);
    assert_eq!(e.label, "events");

    // transfer_token: amount, lifetime and window allowance left, uses left.
    let t = env.transfer_ix(3 * TOKEN).await;
    let (r, logs) = env.send_with_logs(&[t], &[&env.key.insecure_clone()]).await;
    r.unwrap();
    let SessionEvent::TokenTransferred(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.session, session);
    assert_eq!(e.mint, env.mint);
    assert_eq!(e.from, env.owner_ata);
    assert_eq!(e.to, env.recipient_ata);
    assert_eq!(e.amount, 3 * TOKEN);
    assert_eq!(e.lifetime_remaining, 7 * TOKEN);
    assert_eq!(e.window_remaining, TOKEN);
    assert_eq!(e.uses_remaining, 4);

    // transfer_sol.
    let to = Pubkey::new_unique();
    let (r, logs) = env
        .send_with_logs(
            &[ix::transfer_sol(&key, &owner, &to, SOL / 4)],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    let SessionEvent::SolTransferred(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.session, session);
    assert_eq!(e.to, to);
    assert_eq!(e.amount, SOL / 4);
    assert_eq!(e.lifetime_remaining, SOL - SOL / 4);
    assert_eq!(e.window_remaining, SOL / 2 - SOL / 4);
    assert_eq!(e.uses_remaining, 3);
    assert_eq!(env.lamports(&vault).await, 2 * SOL - SOL / 4);

    // A refused transfer logs no event.
    let t = env.transfer_ix(2 * TOKEN).await;
    let (r, logs) = env.send_with_logs(&[t], &[&env.key.insecure_clone()]).await;
    assert_session_error(r, SessionError::WindowCapExceeded);
    assert!(TestEnv::events(&logs).is_empty(), "{logs:#?}");
    assert!(logs
        .iter()
        .any(|l| l.starts_with(&format!("Program {sk} failed: "))));

    // Two instructions, two events, in order.
    let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
    let (r, logs) = env
        .send_with_logs(
            &[
                ix::transfer_sol(&key, &owner, &a, SOL / 100),
                ix::transfer_sol(&key, &owner, &b, SOL / 50),
            ],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    let to: Vec<(Pubkey, u64, u32)> = TestEnv::events(&logs)
        .into_iter()
        .map(|e| match e {
            SessionEvent::SolTransferred(e) => (e.to, e.amount, e.uses_remaining),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(to, vec![(a, SOL / 100, 2), (b, SOL / 50, 1)]);
}

#[tokio::test]
async fn revoke_events_name_who_revoked() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    env.create_session(
        Scope::until(START + 60)
            .mint(env.mint, caps(1))
            .delegate(1)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let (r, logs) = env
        .send_with_logs(
            &[ix::revoke_session(&key, &owner, &key, &owner)],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    let SessionEvent::SessionRevoked(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!(
        (e.owner, e.session, e.revoked_by),
        (owner, pda::session(&owner, &key).0, key)
    );
    let (r, logs) = env
        .send_with_logs(
            &[ix::revoke_all_sessions(
                &owner,
                &[(env.owner_ata, anchor_spl::token::ID)],
            )],
            &[&env.owner.insecure_clone()],
        )
        .await;
    r.unwrap();
    let SessionEvent::AllSessionsRevoked(e) = one_event(&logs) else {
        panic!("{logs:#?}")
    };
    assert_eq!((e.owner, e.nonce), (owner, 1));
    assert_eq!(e.revoked_delegations, vec![env.owner_ata]);
}

#[tokio::test]
async fn a_program_registered_with_plain_processor_logs_the_same_lines_after_normalizing() {
    // The fallback path: no log collector registered, the event goes through `sol_log` behind
    // a marker, and `normalize_logs` (inside `send_with_logs`) restores the validator's line.
    let mut plain = TestEnv::with(program_test_with_plain_processor()).await;
    let mut native = TestEnv::new().await;
    let mut lines = Vec::new();
    for env in [&mut plain, &mut native] {
        let owner = env.owner.insecure_clone();
        let (r, logs) = env
            .send_with_logs(&[ix::deposit_sol(&owner.pubkey(), SOL)], &[&owner])
            .await;
        r.unwrap();
        let SessionEvent::SolDeposited(e) = one_event(&logs) else {
            panic!("{logs:#?}")
        };
        assert_eq!((e.owner, e.amount), (owner.pubkey(), SOL));
        lines.push(logs);
    }
    let shape = |logs: &[String], owner: &Pubkey| -> Vec<String> {
        // Same lines but for the owner in the event's bytes.
        logs.iter()
            .map(|l| match l.strip_prefix("Program data: ") {
                Some(_) => format!("data of {}", l.len()),
                None => l.replace(&owner.to_string(), "OWNER"),
            })
            .collect()
    };
    assert_eq!(
        shape(&lines[0], &plain.owner.pubkey()),
        shape(&lines[1], &native.owner.pubkey())
    );
}
