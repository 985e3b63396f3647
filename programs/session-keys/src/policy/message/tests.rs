//! The grant message's text, envelopes and injectivity.
use super::*;
use crate::policy::{InstructionRule, WindowArgs};

fn date(t: i64) -> String {
    let mut s = String::new();
    write_date(&mut s, t).unwrap();
    s
}

fn sol(l: u64) -> String {
    let mut s = String::new();
    write_sol(&mut s, l).unwrap();
    s
}

#[test]
fn dates() {
    assert_eq!(date(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(date(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(date(1_764_086_399), "2025-11-25 15:59:59 UTC");
    assert_eq!(date(1_795_622_400), "2026-11-25 16:00:00 UTC");
    assert_eq!(date(4_107_542_400), "2100-03-01 00:00:00 UTC");
    assert_eq!(date(253_402_300_799), "9999-12-31 23:59:59 UTC");
    assert_eq!(date(253_402_300_800), "unix 253402300800");
    assert_eq!(date(-1), "unix -1");
    assert_eq!(date(i64::MIN), format!("unix {}", i64::MIN));
}

#[test]
fn sol_amounts() {
    assert_eq!(sol(0), "0 SOL");
    assert_eq!(sol(1), "0.000000001 SOL");
    assert_eq!(sol(1_500_000_000), "1.5 SOL");
    assert_eq!(sol(10_000_000), "0.01 SOL");
    assert_eq!(sol(2_000_000_000), "2 SOL");
    assert_eq!(sol(u64::MAX), "18446744073.709551615 SOL");
}

fn args() -> MessageGrantArgs {
    MessageGrantArgs {
        expires_at: 1_795_626_000,
        max_uses: Some(100),
        sol: Some(CapsArgs {
            lifetime: 500_000_000,
            per_instruction: Some(10_000_000),
            window: Some(WindowArgs {
                seconds: 3600,
                cap: 100_000_000,
            }),
        }),
        mints: vec![MintCapsArgs {
            mint: Pubkey::new_from_array([7; 32]),
            caps: CapsArgs {
                lifetime: 1_000,
                per_instruction: None,
                window: None,
            },
        }],
        destinations: vec![],
        programs: vec![],
        label: "Demo".into(),
        domain: "game.example".into(),
        message_number: 3,
        valid_until: 1_795_622_700,
        envelope: MessageEnvelope::Text,
    }
}

fn cx<'a>(ids: &'a [Pubkey; 3]) -> MessageContext<'a> {
    MessageContext {
        program_id: &ids[0],
        cluster: "localnet",
        owner: &ids[1],
        session_key: &ids[2],
    }
}

#[test]
fn body_lines() {
    let ids = [
        crate::ID,
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    ];
    let body = message_body(&args(), &cx(&ids)).unwrap();
    let expected = format!(
        "game.example asks you to grant a session key\nProgram: {}\nCluster: localnet\nSession key: {}\nExpires: 2026-11-25 17:00:00 UTC\nUses: 100 transfers or execute batches\nSOL: 0.5 SOL total, 0.1 SOL per 3600s, 0.01 SOL per instruction\nToken {}: 1000 units total\nTokens from: your vault and your accounts that delegate to it\nSend to: any address\nLabel: Demo\nMessage 3, valid until 2026-11-25 16:05:00 UTC",
        crate::ID,
        ids[2],
        Pubkey::new_from_array([7; 32])
    );
    assert_eq!(body, expected);
    assert_eq!(
        signed_message(&args(), &cx(&ids)).unwrap(),
        expected.as_bytes()
    );
}

#[test]
fn programs_and_rules_hash() {
    let ids = [
        crate::ID,
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    ];
    let mut a = args();
    a.sol = None;
    a.mints.clear();
    a.max_uses = None;
    a.label.clear();
    a.programs = vec![
        ProgramScope {
            program_id: Pubkey::new_from_array([9; 32]),
            pass_session_signer: true,
            instructions: vec![],
        },
        ProgramScope {
            program_id: Pubkey::new_from_array([8; 32]),
            pass_session_signer: false,
            instructions: vec![
                InstructionRule {
                    discriminator_len: 1,
                    discriminator: [1, 0, 0, 0, 0, 0, 0, 0],
                    args: vec![],
                    accounts: vec![],
                };
                2
            ],
        },
    ];
    let body = message_body(&a, &cx(&ids)).unwrap();
    let hash = Pubkey::new_from_array(rules_hash(&a.programs).unwrap());
    assert!(body.contains("\nUses: unlimited\n"));
    assert!(body.contains(&format!(
        "\nCall {}: any instruction, session key co-signs\nCall {}: 2 instruction rules\nRules hash: {hash}\nMessage 3",
        a.programs[0].program_id, a.programs[1].program_id
    )));
    // Any change to a rule changes the hash, so the text.
    let mut b = a.clone();
    b.programs[1].instructions[1].discriminator[0] = 2;
    assert_ne!(message_body(&b, &cx(&ids)).unwrap(), body);
}

#[test]
fn offchain_envelope_layout() {
    let ids = [
        crate::ID,
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    ];
    let mut a = args();
    a.envelope = MessageEnvelope::Offchain;
    let body = message_body(&a, &cx(&ids)).unwrap();
    let m = signed_message(&a, &cx(&ids)).unwrap();
    assert_eq!(&m[..16], b"\xffsolana offchain");
    assert_eq!(m[16], 0);
    assert_eq!(&m[17..49], crate::ID.as_ref());
    assert_eq!(m[49], 1);
    assert_eq!(m[50], 1);
    assert_eq!(&m[51..83], ids[1].as_ref());
    assert_eq!(u16::from_le_bytes([m[83], m[84]]) as usize, body.len());
    assert_eq!(&m[85..], body.as_bytes());
}

/// Issue 16 item 7 (docs/message-grant.md, "Why the `Offchain` envelope declares format
/// 1"): the text is ASCII, but every grant text has line breaks (its fixed lines alone give
/// six), and under header version 0 format 0 ("restricted ASCII") is 0x20..=0x7e only: the
/// spec, `solana-offchain-message`'s `is_printable_ascii`, kit's `isTextRestrictedAscii`.
#[test]
fn the_offchain_envelope_declares_utf8_because_the_ascii_text_has_newlines() {
    const VERSION_AT: usize = 0x10;
    const FORMAT_AT: usize = 0x31; // signing domain (16), version (1), application domain (32)
    let restricted_ascii = |t: &[u8]| t.iter().all(|b| (0x20..=0x7e).contains(b));
    let ids = [
        crate::ID,
        Pubkey::new_from_array([1; 32]),
        Pubkey::new_from_array([2; 32]),
    ];
    let mut smallest = args();
    (smallest.max_uses, smallest.sol, smallest.label) = (None, None, String::new());
    smallest.mints.clear();
    for mut a in [args(), smallest] {
        a.envelope = MessageEnvelope::Offchain;
        let m = signed_message(&a, &cx(&ids)).unwrap();
        let body = &m[85..];
        assert_eq!((m[VERSION_AT], m[FORMAT_AT]), (0, 1));
        assert_eq!(OFFCHAIN_FORMAT_UTF8, 1);
        assert!(body.iter().all(|&b| b == b'\n' || restricted_ascii(&[b])));
        assert!(body.iter().filter(|&&b| b == b'\n').count() >= 6);
        assert!(!restricted_ascii(body), "format 0 would be invalid");
    }
}

#[test]
fn text_fields() {
    let mut a = args();
    assert_eq!(a.check_text(), Ok(()));
    for bad in [
        "",
        "game example",
        "game.example\nSOL: 1",
        "gäme",
        &"a".repeat(65),
    ] {
        a.domain = bad.into();
        assert_eq!(a.check_text(), Err(SessionError::InvalidDomain), "{bad:?}");
    }
    a.domain = "localhost:8080".into();
    assert_eq!(a.check_text(), Ok(()));
    a.label = "Demo\nSOL: unlimited".into();
    assert_eq!(a.check_text(), Err(SessionError::LabelNotPrintable));
    a.label = "caf\u{e9}".into();
    assert_eq!(a.check_text(), Err(SessionError::LabelNotPrintable));
}

mod injective {
    use super::*;
    use crate::policy::{AccountRule, ArgKind, ArgRule, CmpOp, InstructionRule};
    use proptest::prelude::*;

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    fn caps() -> impl Strategy<Value = CapsArgs> {
        (
            1u64..4,
            proptest::option::of(prop_oneof![Just(1u64), Just(2), Just(u64::MAX)]),
            proptest::option::of((1u32..3, 1u64..3)),
        )
            .prop_map(|(lifetime, per_instruction, window)| CapsArgs {
                lifetime,
                per_instruction,
                window: window.map(|(seconds, cap)| WindowArgs { seconds, cap }),
            })
    }

    fn rule() -> impl Strategy<Value = InstructionRule> {
        (
            1u8..3,
            0u8..2,
            proptest::option::of(0u8..2),
            proptest::option::of(0u8..2),
        )
            .prop_map(|(len, d, arg, account)| InstructionRule {
                discriminator_len: len,
                discriminator: [d, 1, 2, 3, 4, 5, 6, 7],
                args: arg
                    .map(|v| ArgRule {
                        offset: 8,
                        kind: ArgKind::U8,
                        op: CmpOp::Le,
                        value: vec![v],
                    })
                    .into_iter()
                    .collect(),
                accounts: account
                    .map(|k| AccountRule {
                        index: 0,
                        keys: vec![key(40 + k)],
                    })
                    .into_iter()
                    .collect(),
            })
    }

    fn scope() -> impl Strategy<Value = ProgramScope> {
        (
            20u8..22,
            any::<bool>(),
            proptest::collection::vec(rule(), 0..3),
        )
            .prop_map(|(id, pass_session_signer, instructions)| ProgramScope {
                program_id: key(id),
                pass_session_signer,
                instructions,
            })
    }

    fn grant() -> impl Strategy<Value = MessageGrantArgs> {
        (
            (
                0i64..3,
                proptest::option::of(prop_oneof![Just(1u32), Just(u32::MAX)]),
            ),
            proptest::option::of(caps()),
            proptest::collection::vec((10u8..12, caps()), 0..3),
            proptest::collection::vec(30u8..32, 0..3),
            proptest::collection::vec(scope(), 0..3),
            (
                prop_oneof![Just(""), Just("a"), Just("a b")],
                prop_oneof![Just("a.b"), Just("a.bc")],
                0u64..2,
                0i64..2,
                any::<bool>(),
            ),
        )
            .prop_map(
                |((expiry, max_uses), sol, mints, destinations, programs, rest)| {
                    let (label, domain, number, valid, offchain) = rest;
                    MessageGrantArgs {
                        expires_at: 1_800_000_000 + expiry,
                        max_uses,
                        sol,
                        mints: mints
                            .into_iter()
                            .map(|(m, caps)| MintCapsArgs { mint: key(m), caps })
                            .collect(),
                        destinations: destinations.into_iter().map(key).collect(),
                        programs,
                        label: label.into(),
                        domain: domain.into(),
                        message_number: number,
                        valid_until: 1_800_000_000 + valid,
                        envelope: if offchain {
                            MessageEnvelope::Offchain
                        } else {
                            MessageEnvelope::Text
                        },
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Two different argument sets never produce the same signed bytes: whatever the
        /// owner signed pins every field of the grant (the rules through their hash).
        #[test]
        fn different_grants_never_share_a_message(a in grant(), c in grant(), field in 0u8..11) {
            // `b` is `a` with one field taken from `c`: close pairs, not just random ones.
            let mut b = a.clone();
            match field {
                0 => b.expires_at = c.expires_at,
                1 => b.max_uses = c.max_uses,
                2 => b.sol = c.sol,
                3 => b.mints = c.mints,
                4 => b.destinations = c.destinations,
                5 => b.programs = c.programs,
                6 => b.label = c.label,
                7 => b.domain = c.domain,
                8 => b.message_number = c.message_number,
                9 => b.valid_until = c.valid_until,
                _ => b.envelope = c.envelope,
            }
            let ids = [crate::ID, key(1), key(2)];
            let (ma, mb) = (signed_message(&a, &cx(&ids)).unwrap(), signed_message(&b, &cx(&ids)).unwrap());
            if a != b {
                prop_assert_ne!(ma, mb);
            } else {
                prop_assert_eq!(ma, mb);
            }
        }
    }
}
