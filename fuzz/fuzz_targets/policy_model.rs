//! The policy engine against independent reference models: caps and windows over arbitrary
//! sequences of transfers and clock moves, and the program-call scope matcher over arbitrary
//! scopes, data and accounts. Any disagreement, or an accepted input the model rejects, fails.
#![no_main]
use anchor_lang::prelude::Pubkey;
use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use session_keys::{
    errors::SessionError,
    policy::{
        check_call, is_refused_target, AccountRule, Allowance, ArgKind, ArgRule, CapsArgs, CmpOp,
        InstructionRule, ProgramScope, WindowArgs,
    },
};

// ---- caps: a model that books every accepted charge to a window index.
fn caps_case(u: &mut Unstructured) -> Result<()> {
    let lifetime = u.int_in_range(1..=u64::MAX)?;
    let per_instruction = if u.arbitrary()? { Some(u.int_in_range(1..=u64::MAX)?) } else { None };
    let window = if u.arbitrary()? {
        Some(WindowArgs { seconds: u.int_in_range(1..=u32::MAX)?, cap: u.int_in_range(1..=u64::MAX)? })
    } else {
        None
    };
    let caps = CapsArgs { lifetime, per_instruction, window };
    let mut now: i64 = u.int_in_range(-1_000_000_000..=4_000_000_000)?;
    let mut a = Allowance::from_args(&caps, now).expect("positive caps build");
    let len = |w: &WindowArgs| i64::from(w.seconds);
    let mut latest = window.map_or(0, |w| now.div_euclid(len(&w)));
    let (mut total, mut in_window): (u128, u128) = (0, 0);
    while !u.is_empty() {
        now = now.saturating_add(u.int_in_range(-1_000..=100_000)?);
        let amount: u64 = u.arbitrary()?;
        let index = window.map_or(0, |w| now.div_euclid(len(&w))).max(latest);
        let current = if index > latest { 0 } else { in_window };
        let expected = if amount == 0 {
            Err(SessionError::ZeroAmount)
        } else if per_instruction.is_some_and(|m| amount > m) {
            Err(SessionError::PerInstructionCapExceeded)
        } else if window.is_some_and(|w| current + u128::from(amount) > u128::from(w.cap)) {
            Err(SessionError::WindowCapExceeded)
        } else if total + u128::from(amount) > u128::from(lifetime) {
            Err(SessionError::LifetimeCapExceeded)
        } else {
            Ok(())
        };
        let got = a.charged(amount, now);
        assert_eq!(got.map(|_| ()), expected, "amount {amount} at {now}");
        if let Ok(next) = got {
            assert!(amount <= a.available(now), "available() under-reports");
            a = next;
            latest = index;
            in_window = current + u128::from(amount);
            total += u128::from(amount);
        }
        assert!(a.invariant().is_ok());
        assert_eq!(u128::from(a.spent), total);
        assert!(a.spent <= lifetime);
        if let Some(w) = window {
            assert_eq!(u128::from(a.window_spent), in_window);
            assert!(a.window_spent <= w.cap);
            assert_eq!(a.window_start, latest * len(&w));
        }
    }
    Ok(())
}

// ---- scope: a naive matcher written from the rules in docs/02-policy.md.
fn key(u: &mut Unstructured, pool: &[Pubkey]) -> Result<Pubkey> {
    Ok(*u.choose(pool)?)
}

fn arg_rule(u: &mut Unstructured) -> Result<ArgRule> {
    let kind = *u.choose(&[ArgKind::U8, ArgKind::U16, ArgKind::U32, ArgKind::U64, ArgKind::U128, ArgKind::Bytes])?;
    let op = *u.choose(&[CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge])?;
    let width = match kind {
        ArgKind::U8 => 1,
        ArgKind::U16 => 2,
        ArgKind::U32 => 4,
        ArgKind::U64 => 8,
        ArgKind::U128 => 16,
        ArgKind::Bytes => u.int_in_range(0..=33)?,
    };
    let value = (0..width).map(|_| u.arbitrary()).collect::<Result<Vec<u8>>>()?;
    Ok(ArgRule { offset: u.int_in_range(0..=40)?, kind, op, value })
}

fn naive_arg(rule: &ArgRule, data: &[u8]) -> bool {
    let start = rule.offset as usize;
    let end = start + rule.value.len();
    if end > data.len() {
        return false;
    }
    let arg = &data[start..end];
    let ord = if rule.kind == ArgKind::Bytes {
        arg.cmp(&rule.value[..])
    } else {
        // Compare as little-endian numbers: most significant byte last.
        arg.iter().rev().cmp(rule.value.iter().rev())
    };
    match rule.op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    }
}

fn naive(scopes: &[ProgramScope], program: &Pubkey, data: &[u8], keys: &[Pubkey]) -> std::result::Result<(), SessionError> {
    if is_refused_target(program) {
        return Err(SessionError::RefusedTarget);
    }
    let Some(scope) = scopes.iter().find(|s| s.program_id == *program) else {
        return Err(SessionError::ProgramNotInScope);
    };
    if scope.instructions.is_empty() {
        return Ok(());
    }
    let mut last = Err(SessionError::InstructionNotInScope);
    for r in &scope.instructions {
        let n = (r.discriminator_len as usize).min(8);
        if data.len() < n || data[..n] != r.discriminator[..n] {
            continue;
        }
        last = if !r.args.iter().all(|a| naive_arg(a, data)) {
            Err(SessionError::ArgumentRuleViolated)
        } else if !r.accounts.iter().all(|a| keys.get(a.index as usize).is_some_and(|k| a.keys.contains(k))) {
            Err(SessionError::AccountRuleViolated)
        } else {
            return Ok(());
        };
    }
    last
}

fn scope_case(u: &mut Unstructured) -> Result<()> {
    let pool: Vec<Pubkey> = (0u8..6).map(|i| Pubkey::new_from_array([i; 32])).chain([anchor_lang::system_program::ID]).collect();
    let mut scopes = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let mut instructions = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let discriminator_len = u.int_in_range(0..=9)?;
            let mut discriminator = [0u8; 8];
            for b in discriminator.iter_mut().take(2) {
                *b = u.int_in_range(0..=2)?; // small alphabet: prefixes collide often
            }
            let args = (0..u.int_in_range(0..=2)?).map(|_| arg_rule(u)).collect::<Result<_>>()?;
            let accounts = (0..u.int_in_range(0..=2)?)
                .map(|_| Ok(AccountRule { index: u.int_in_range(0..=4)?, keys: vec![key(u, &pool)?, key(u, &pool)?] }))
                .collect::<Result<_>>()?;
            instructions.push(InstructionRule { discriminator_len, discriminator, args, accounts });
        }
        scopes.push(ProgramScope { program_id: key(u, &pool)?, pass_session_signer: u.arbitrary()?, instructions });
    }
    let program = key(u, &pool)?;
    let data: Vec<u8> = (0..u.int_in_range(0..=48)?).map(|_| u.int_in_range(0..=2)).collect::<Result<_>>()?;
    let keys: Vec<Pubkey> = (0..u.int_in_range(0..=5)?).map(|_| key(u, &pool)).collect::<Result<_>>()?;
    let got = check_call(&scopes, &program, &data, |i| keys.get(i)).map(|s| s.program_id);
    let expected = naive(&scopes, &program, &data, &keys).map(|_| program);
    assert_eq!(got, expected, "scopes {scopes:?} program {program} data {data:?} keys {keys:?}");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) { caps_case(&mut u) } else { scope_case(&mut u) };
});
