//! Argument rules of every kind (u8, u16, u32, u64, u128, bytes) and discriminator prefixes
//! of 2 to 7 bytes, enforced at runtime through `execute`. The target is SPL Memo v3 (loaded
//! by solana-program-test), called with no accounts: it accepts any UTF-8 data and moves
//! nothing, so the test chooses every byte of the call. All data below is ASCII; "one unit"
//! is one in the argument's little-endian lowest byte (`m` → `n`).
//!
//! For each rule, the call that matches runs (the memo's log line shows the exact data) and
//! counts one use; the call that differs by one byte or one unit is refused with the exact
//! error, uses nothing, and is never invoked.
use session_keys::{
    errors::SessionError,
    policy::{ArgKind, CmpOp},
};
use session_keys_tests::{
    client::{
        ix,
        scope::{instruction, program, InstructionRuleExt, ProgramScopeExt, Scope},
    },
    targets::memo,
    *,
};
use solana_sdk::signer::Signer;

/// `n` copies of `b`.
fn rep(b: u8, n: usize) -> Vec<u8> {
    vec![b; n]
}

/// `prefix` then `arg`.
fn data(prefix: &[u8], arg: &[u8]) -> Vec<u8> {
    [prefix, arg].concat()
}

/// `bytes` with byte `i` replaced by `b`.
fn with(mut bytes: Vec<u8>, i: usize, b: u8) -> Vec<u8> {
    bytes[i] = b;
    bytes
}

/// The bytes a `Bytes` rule compares: 32 (the most a rule holds), printable.
const RAW: &[u8; 32] = b"session-keys rule, 32 bytes long";

/// One instruction rule per (prefix, kind), each prefix starting with its own two bytes so
/// that no data matches two rules. Integer kinds use `Le` (so ordering, width and byte order
/// are all exercised), bytes `Eq`, and one more rule `Ne`.
fn memo_scope() -> session_keys::policy::ProgramScope {
    let m = |n| rep(b'm', n);
    let rules: [(&[u8], ArgKind, CmpOp, Vec<u8>); 7] = [
        (b"P2", ArgKind::U8, CmpOp::Le, m(1)),
        (b"P3x", ArgKind::U16, CmpOp::Le, m(2)),
        (b"P4xx", ArgKind::U32, CmpOp::Le, m(4)),
        (b"P5xxx", ArgKind::U64, CmpOp::Le, m(8)),
        (b"P6xxxx", ArgKind::U128, CmpOp::Le, m(16)),
        (b"P7xxxxx", ArgKind::Bytes, CmpOp::Eq, RAW.to_vec()),
        (b"N2", ArgKind::Bytes, CmpOp::Ne, b"forbidden".to_vec()),
    ];
    // Each argument right after its prefix.
    rules
        .into_iter()
        .fold(program(memo::ID), |scope, (prefix, kind, op, value)| {
            let offset = u16::try_from(prefix.len()).unwrap();
            scope.instruction(instruction(prefix).arg(offset, kind, op, value))
        })
}

/// A bank with a session whose only scope is [`memo_scope`].
async fn memo_env() -> TestEnv {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 3600)
        .program(memo_scope())
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env
}

/// Sends `execute` of one memo with `bytes`; asserts the outcome, that the memo ran exactly
/// when allowed (its log line carries the data), the use counter, and that the session key
/// paid its fee and nothing else.
async fn call(env: &mut TestEnv, bytes: &[u8], expected: Option<SessionError>) {
    let text = std::str::from_utf8(bytes).expect("test data is ASCII");
    let (owner, key) = (env.owner.pubkey(), env.key.insecure_clone());
    let uses = env.session().await.unwrap().uses;
    let key_lamports = env.lamports(&key.pubkey()).await;
    let i = ix::execute(&key.pubkey(), &owner, &[memo::memo(bytes)]);
    let (r, logs) = env.send_with_logs(&[i], &[&key]).await;
    let memo_line = format!("Program log: Memo (len {}): {text:?}", bytes.len());
    let ran = logs.contains(&memo_line);
    match expected {
        None => {
            assert_eq!(r, Ok(()), "{text:?}: {logs:#?}");
            assert!(ran, "{text:?}: {logs:#?}");
            assert_eq!(env.session().await.unwrap().uses, uses + 1, "{text:?}");
        }
        Some(e) => {
            assert_session_error(r, e);
            assert!(!ran, "{text:?}: {logs:#?}");
            assert!(
                !logs.iter().any(|l| l.contains(&memo::ID.to_string())),
                "{text:?}: the memo program was invoked: {logs:#?}"
            );
            assert_eq!(env.session().await.unwrap().uses, uses, "{text:?}");
        }
    }
    assert_eq!(
        env.lamports(&key.pubkey()).await,
        key_lamports - 5_000,
        "{text:?}"
    );
    assert_eq!(env.wallet_of(&owner).await.unwrap().nonce, 0);
}

#[tokio::test]
async fn the_memo_target_runs_through_execute_and_reports_its_data() {
    let mut env = memo_env().await;
    call(&mut env, &data(b"P2", b"m"), None).await;
    // A memo the scope does not list at all.
    call(
        &mut env,
        b"Q2 nothing starts like this",
        Some(SessionError::InstructionNotInScope),
    )
    .await;
    assert_eq!(env.session().await.unwrap().uses, 1);
}

#[tokio::test]
async fn integer_rules_of_every_width_compare_little_endian_values_to_the_unit() {
    let mut env = memo_env().await;
    let refused = Some(SessionError::ArgumentRuleViolated);
    // (prefix, width): u8, u16, u32, u64, u128, each `≤ "mm…m"` read little-endian.
    for (prefix, width) in [
        (&b"P2"[..], 1),
        (b"P3x", 2),
        (b"P4xx", 4),
        (b"P5xxx", 8),
        (b"P6xxxx", 16),
    ] {
        let bound = rep(b'm', width);
        let top = width - 1;
        // Equal to the bound: allowed.
        call(&mut env, &data(prefix, &bound), None).await;
        // One unit above (lowest byte + 1): refused.
        call(
            &mut env,
            &data(prefix, &with(bound.clone(), 0, b'n')),
            refused,
        )
        .await;
        // One unit below (lowest byte − 1): allowed.
        call(&mut env, &data(prefix, &with(bound.clone(), 0, b'l')), None).await;
        if width > 1 {
            // The most significant byte + 1: refused, so the whole width is read.
            call(
                &mut env,
                &data(prefix, &with(bound.clone(), top, b'n')),
                refused,
            )
            .await;
            // The lowest byte far above but the most significant one below: a smaller
            // number, allowed, so the bytes are read little-endian (not compared as text).
            let smaller = with(with(bound.clone(), 0, b'z'), top, b'l');
            call(&mut env, &data(prefix, &smaller), None).await;
        }
        // One byte short of the argument: refused (too short to hold it).
        call(&mut env, &data(prefix, &bound[..top]), refused).await;
        // Trailing bytes after the argument do not matter.
        call(
            &mut env,
            &data(prefix, &[&bound[..], b"tail"].concat()),
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn bytes_rules_hold_on_every_byte_for_eq_and_ne() {
    let mut env = memo_env().await;
    let refused = Some(SessionError::ArgumentRuleViolated);
    let p = b"P7xxxxx";
    // Eq on 32 bytes: exactly those bytes, anything after.
    call(&mut env, &data(p, RAW), None).await;
    call(&mut env, &data(p, &[&RAW[..], b"!"].concat()), None).await;
    call(&mut env, &data(p, &with(RAW.to_vec(), 0, b'S')), refused).await;
    call(&mut env, &data(p, &with(RAW.to_vec(), 31, b'h')), refused).await;
    call(&mut env, &data(p, &RAW[..31]), refused).await;
    // Ne: the forbidden bytes are refused, a one-byte change is allowed.
    let n = b"N2";
    call(&mut env, &data(n, b"forbidden"), refused).await;
    call(&mut env, &data(n, b"forbidden, and more"), refused).await;
    call(&mut env, &data(n, b"forbiddeN"), None).await;
    call(&mut env, &data(n, b"Forbidden"), None).await;
    // Too short to hold the compared bytes: refused, whatever the operator.
    call(&mut env, &data(n, b"forbidde"), refused).await;
}

#[tokio::test]
async fn discriminator_prefixes_of_two_to_seven_bytes_match_every_byte() {
    let mut env = memo_env().await;
    let missing = Some(SessionError::InstructionNotInScope);
    // Each prefix with an argument that satisfies its rule.
    let cases: [(&[u8], Vec<u8>); 6] = [
        (b"P2", b"m".to_vec()),
        (b"P3x", rep(b'm', 2)),
        (b"P4xx", rep(b'm', 4)),
        (b"P5xxx", rep(b'm', 8)),
        (b"P6xxxx", rep(b'm', 16)),
        (b"P7xxxxx", RAW.to_vec()),
    ];
    for (prefix, arg) in cases {
        let len = prefix.len();
        call(&mut env, &data(prefix, &arg), None).await;
        // The prefix's last byte changed: no rule matches.
        let last = with(prefix.to_vec(), len - 1, b'y');
        call(&mut env, &data(&last, &arg), missing).await;
        // Its first byte changed.
        let first = with(prefix.to_vec(), 0, b'p');
        call(&mut env, &data(&first, &arg), missing).await;
        // The data is the prefix without its last byte.
        call(&mut env, &prefix[..len - 1], missing).await;
    }
}
