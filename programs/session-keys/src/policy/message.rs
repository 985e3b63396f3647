//! The owner's signed grant message (`create_session_from_message`): its arguments, the text a
//! wallet shows, the two envelopes it is signed in, and the Ed25519 instruction that carries
//! it. `docs/message-grant.md` is the specification; the Rust client and the TypeScript SDK
//! build the same bytes, checked by golden vectors.
//!
//! The program never parses the message: it rebuilds it from the instruction's arguments with
//! [`signed_message`] and compares bytes, so nothing in the text can differ from the grant.
use super::{CapsArgs, CreateSessionArgs, MintCapsArgs, PolicyResult, ProgramScope};
use crate::{constants::MAX_DOMAIN_LEN, errors::SessionError};
use anchor_lang::prelude::*;
use core::fmt::Write;

/// How the owner's wallet signed the message body.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageEnvelope {
    /// The body bytes alone (Sign-In-With-Solana style): every Wallet Standard wallet shows
    /// them as text through `solana:signMessage`.
    Text,
    /// Solana's off-chain message format, version 0: signing domain, application domain (this
    /// program's id), format 1 (UTF-8), one signer (the owner), length, body. What hardware
    /// wallets display.
    Offchain,
}

/// Arguments of `create_session_from_message`: the grant (as in [`CreateSessionArgs`], without
/// a top-up or a delegation, which need the owner's transaction signature) and the message's
/// own fields.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct MessageGrantArgs {
    /// Unix time from which the session is dead.
    pub expires_at: i64,
    /// Most successful uses; `None` for no limit other than caps and expiry.
    pub max_uses: Option<u32>,
    /// Lamport caps for SOL leaving the vault; `None`: the session cannot move SOL.
    pub sol: Option<CapsArgs>,
    /// Caps per mint.
    pub mints: Vec<MintCapsArgs>,
    /// Destination allow-list of `transfer_token` / `transfer_sol`.
    pub destinations: Vec<Pubkey>,
    /// Programs `execute` and verify-in-target may call.
    pub programs: Vec<ProgramScope>,
    /// Short label for wallet UIs: printable ASCII, at most `MAX_LABEL_LEN` bytes.
    pub label: String,
    /// The app's domain, the message's first word: 1 to `MAX_DOMAIN_LEN` bytes of letters,
    /// digits, `.`, `-` and `:`.
    pub domain: String,
    /// Must equal the owner's `Wallet::message_counter` (0 before the wallet exists).
    pub message_number: u64,
    /// Unix time from which the message is refused.
    pub valid_until: i64,
    /// How the owner signed it.
    pub envelope: MessageEnvelope,
}

/// Who and where a message is for: what the program takes from its accounts and its build
/// rather than from the arguments.
#[derive(Clone, Copy, Debug)]
pub struct MessageContext<'a> {
    /// This program's id.
    pub program_id: &'a Pubkey,
    /// The cluster name compiled into the program ([`crate::constants::CLUSTER`]).
    pub cluster: &'a str,
    /// The owner (the message's signer).
    pub owner: &'a Pubkey,
    /// The session key being granted.
    pub session_key: &'a Pubkey,
}

/// The off-chain message signing domain.
pub const OFFCHAIN_SIGNING_DOMAIN: &[u8; 16] = b"\xffsolana offchain";
/// Off-chain message format "UTF-8, at most 1,232 bytes".
pub const OFFCHAIN_FORMAT_UTF8: u8 = 1;

impl MessageGrantArgs {
    /// The same grant as [`CreateSessionArgs`] (no top-up, no delegation), for the shared
    /// grant rules and the account size.
    pub fn to_create_args(&self) -> CreateSessionArgs {
        CreateSessionArgs {
            expires_at: self.expires_at,
            max_uses: self.max_uses,
            sol: self.sol,
            mints: self.mints.clone(),
            destinations: self.destinations.clone(),
            programs: self.programs.clone(),
            label: self.label.clone(),
            top_up_lamports: 0,
            delegate_amount: None,
        }
    }

    /// Exact size of the session account these arguments create.
    pub fn space(&self) -> usize {
        super::session_space(
            self.sol.is_some(),
            self.mints.len(),
            self.destinations.len(),
            super::programs_size(&self.programs),
            self.label.len(),
        )
    }

    /// The rules on the message's own text fields: the domain's characters and length, and a
    /// printable label (so no field can start a line of its own).
    pub fn check_text(&self) -> PolicyResult<()> {
        let domain_ok = !self.domain.is_empty()
            && self.domain.len() <= usize::from(MAX_DOMAIN_LEN)
            && self
                .domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
        if !domain_ok {
            return Err(SessionError::InvalidDomain);
        }
        if !self.label.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(SessionError::LabelNotPrintable);
        }
        Ok(())
    }
}

/// A `fmt::Write` over a byte buffer (the envelope is not UTF-8).
struct Bytes(Vec<u8>);

impl Write for Bytes {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Writes `YYYY-MM-DD HH:MM:SS UTC` for a unix time in years 1970..=9999, `unix {t}` otherwise.
pub fn write_date(out: &mut impl Write, unix: i64) -> core::fmt::Result {
    const LAST: i64 = 253_402_300_799; // 9999-12-31 23:59:59
    if !(0..=LAST).contains(&unix) {
        return write!(out, "unix {unix}");
    }
    // Howard Hinnant's civil_from_days; every value is bounded by `LAST`, far from overflow.
    #[allow(clippy::arithmetic_side_effects, clippy::integer_division)]
    let (y, m, d, secs) = {
        let days = unix / 86_400;
        let secs = unix % 86_400;
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d, secs)
    };
    #[allow(clippy::arithmetic_side_effects, clippy::integer_division)]
    let (h, min, s) = (secs / 3_600, secs % 3_600 / 60, secs % 60);
    write!(out, "{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02} UTC")
}

/// Writes lamports in SOL: up to 9 fraction digits, no trailing zeros, then ` SOL`.
pub fn write_sol(out: &mut impl Write, lamports: u64) -> core::fmt::Result {
    const LAMPORTS_PER_SOL: u64 = 1_000_000_000;
    #[allow(clippy::arithmetic_side_effects, clippy::integer_division)]
    let (whole, mut frac) = (lamports / LAMPORTS_PER_SOL, lamports % LAMPORTS_PER_SOL);
    write!(out, "{whole}")?;
    if frac != 0 {
        let mut digits = 9usize;
        #[allow(clippy::arithmetic_side_effects, clippy::integer_division)]
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(out, ".{frac:0digits$}")?;
    }
    out.write_str(" SOL")
}

/// An amount in SOL ([`write_sol`]) or in a mint's base units.
fn write_amount(out: &mut impl Write, n: u64, sol: bool) -> core::fmt::Result {
    if sol {
        write_sol(out, n)
    } else {
        write!(out, "{n} units")
    }
}

fn write_caps(out: &mut impl Write, caps: &CapsArgs, sol: bool) -> core::fmt::Result {
    write_amount(out, caps.lifetime, sol)?;
    out.write_str(" total")?;
    if let Some(w) = caps.window {
        out.write_str(", ")?;
        write_amount(out, w.cap, sol)?;
        write!(out, " per {}s", w.seconds)?;
    }
    if let Some(p) = caps.per_instruction {
        out.write_str(", ")?;
        write_amount(out, p, sol)?;
        out.write_str(" per instruction")?;
    }
    Ok(())
}

/// SHA-256 of the Borsh encoding of `programs` (u32 count, then each scope): the "Rules hash"
/// line, which binds every rule the readable lines only count.
pub fn rules_hash(programs: &[ProgramScope]) -> PolicyResult<[u8; 32]> {
    let mut bytes = Vec::new();
    AnchorSerialize::serialize(programs, &mut bytes).map_err(|_| SessionError::MathOverflow)?;
    Ok(solana_sha256_hasher::hash(&bytes).to_bytes())
}

/// Writes the body; `rules_hash` is [`rules_hash`] of the programs when some program has
/// instruction rules.
fn write_body_text(
    out: &mut impl Write,
    args: &MessageGrantArgs,
    cx: &MessageContext,
    rules_hash: Option<Pubkey>,
) -> core::fmt::Result {
    write!(out, "{} asks you to grant a session key", args.domain)?;
    write!(out, "\nProgram: {}", cx.program_id)?;
    write!(out, "\nCluster: {}", cx.cluster)?;
    write!(out, "\nSession key: {}", cx.session_key)?;
    out.write_str("\nExpires: ")?;
    write_date(out, args.expires_at)?;
    match args.max_uses {
        // Verify-in-target never consumes a use: say what does.
        Some(n) => write!(out, "\nUses: {n} transfers or execute batches")?,
        None => out.write_str("\nUses: unlimited")?,
    }
    if let Some(caps) = &args.sol {
        out.write_str("\nSOL: ")?;
        write_caps(out, caps, true)?;
    }
    for m in &args.mints {
        write!(out, "\nToken {}: ", m.mint)?;
        write_caps(out, &m.caps, false)?;
    }
    if !args.mints.is_empty() {
        // A session spends the vault's tokens and any delegation the owner gave the vault
        // earlier (delegations are per owner, not per session).
        out.write_str("\nTokens from: your vault and your accounts that delegate to it")?;
    }
    if args.destinations.is_empty() {
        if args.sol.is_some() || !args.mints.is_empty() {
            // An empty list allows every destination of transfer_token / transfer_sol.
            out.write_str("\nSend to: any address")?;
        }
    } else {
        for d in &args.destinations {
            write!(out, "\nSend to: {d}")?;
        }
    }
    for p in &args.programs {
        write!(out, "\nCall {}: ", p.program_id)?;
        match p.instructions.len() {
            0 => out.write_str("any instruction")?,
            1 => out.write_str("1 instruction rule")?,
            n => write!(out, "{n} instruction rules")?,
        }
        if p.pass_session_signer {
            out.write_str(", session key co-signs")?;
        }
    }
    if let Some(hash) = rules_hash {
        write!(out, "\nRules hash: {hash}")?;
    }
    if !args.label.is_empty() {
        write!(out, "\nLabel: {}", args.label)?;
    }
    write!(out, "\nMessage {}, valid until ", args.message_number)?;
    write_date(out, args.valid_until)
}

fn write_body(
    out: &mut impl Write,
    args: &MessageGrantArgs,
    cx: &MessageContext,
) -> PolicyResult<()> {
    let hash = if args.programs.iter().any(|p| !p.instructions.is_empty()) {
        Some(Pubkey::new_from_array(rules_hash(&args.programs)?))
    } else {
        None
    };
    write_body_text(out, args, cx, hash).map_err(|_| SessionError::MathOverflow)
}

/// The message body a wallet shows (docs/message-grant.md, "The message body").
pub fn message_body(args: &MessageGrantArgs, cx: &MessageContext) -> PolicyResult<String> {
    let mut out = String::with_capacity(512);
    write_body(&mut out, args, cx)?;
    Ok(out)
}

/// The exact bytes the owner signs: the body, in `args.envelope`.
pub fn signed_message(args: &MessageGrantArgs, cx: &MessageContext) -> PolicyResult<Vec<u8>> {
    let mut out = Bytes(Vec::with_capacity(600));
    let header = match args.envelope {
        MessageEnvelope::Text => 0,
        MessageEnvelope::Offchain => {
            out.0.extend_from_slice(OFFCHAIN_SIGNING_DOMAIN);
            out.0.push(0); // version
            out.0.extend_from_slice(cx.program_id.as_ref()); // application domain
            out.0.push(OFFCHAIN_FORMAT_UTF8);
            out.0.push(1); // signer count
            out.0.extend_from_slice(cx.owner.as_ref());
            out.0.extend_from_slice(&[0, 0]); // body length, patched below
            out.0.len()
        }
    };
    write_body(&mut out, args, cx)?;
    if header != 0 {
        let len = out.0.len().saturating_sub(header);
        let len = u16::try_from(len).map_err(|_| SessionError::MessageMismatch)?;
        let at = header.saturating_sub(2);
        if let Some(slot) = out.0.get_mut(at..header) {
            slot.copy_from_slice(&len.to_le_bytes());
        }
    }
    Ok(out.0)
}

/// The little-endian `u16` at `at`, if `data` holds it.
fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*bytes.first()?, *bytes.get(1)?]))
}

/// Layout of the one Ed25519 precompile instruction a message grant accepts: what
/// `solana_ed25519_program::new_ed25519_instruction_with_signature` writes.
pub mod ed25519 {
    use super::*;

    /// Offset of the public key in the instruction data.
    pub const PUBKEY_AT: usize = 16;
    /// Offset of the signature.
    pub const SIGNATURE_AT: usize = 48;
    /// Offset of the message.
    pub const MESSAGE_AT: usize = 112;
    /// "This instruction" as an instruction index.
    pub const THIS_INSTRUCTION: u16 = u16::MAX;

    /// The signer's key and the message of an Ed25519 instruction's data, if it verifies
    /// exactly one signature in the standard layout with everything inside itself
    /// (instruction indexes `u16::MAX`): the key and message the precompile checked.
    pub fn parse(data: &[u8]) -> PolicyResult<(Pubkey, &[u8])> {
        let bad = SessionError::MessageEd25519Malformed;
        let message = data.get(MESSAGE_AT..).ok_or(bad)?;
        let expected = [
            (SIGNATURE_AT, THIS_INSTRUCTION),
            (PUBKEY_AT, THIS_INSTRUCTION),
            (MESSAGE_AT, u16::try_from(message.len()).map_err(|_| bad)?),
        ];
        if data.get(..2) != Some(&[1, 0][..]) || u16_at(data, 14) != Some(THIS_INSTRUCTION) {
            return Err(bad);
        }
        for (i, (offset, index)) in expected.iter().enumerate() {
            let at = 2usize.saturating_add(i.saturating_mul(4));
            let want_offset = u16::try_from(*offset).map_err(|_| bad)?;
            if u16_at(data, at) != Some(want_offset)
                || u16_at(data, at.saturating_add(2)) != Some(*index)
            {
                return Err(bad);
            }
        }
        let key: [u8; 32] = data
            .get(PUBKEY_AT..SIGNATURE_AT)
            .and_then(|k| k.try_into().ok())
            .ok_or(bad)?;
        Ok((Pubkey::new_from_array(key), message))
    }
}

/// Zero-copy reads of the instructions sysvar's data (the layout the runtime writes:
/// `solana_instructions_sysvar::construct_instructions_data`): a u16 count, a u16 offset per
/// instruction, then per instruction a u16 account count, 33 bytes per account, the program id,
/// a u16 data length and the data. Nothing is copied or allocated.
pub mod instructions_sysvar {
    use super::*;

    fn usize_at(data: &[u8], at: usize) -> Option<usize> {
        super::u16_at(data, at).map(usize::from)
    }

    /// Number of instructions in the transaction.
    pub fn count(data: &[u8]) -> Option<usize> {
        usize_at(data, 0)
    }

    /// Program id and data of top-level instruction `index`.
    pub fn instruction_at(data: &[u8], index: usize) -> Option<(Pubkey, &[u8])> {
        if index >= count(data)? {
            return None;
        }
        let start = usize_at(data, index.checked_mul(2)?.checked_add(2)?)?;
        let accounts = usize_at(data, start)?;
        let program_at = start
            .checked_add(2)?
            .checked_add(accounts.checked_mul(33)?)?;
        let program: [u8; 32] = data
            .get(program_at..program_at.checked_add(32)?)?
            .try_into()
            .ok()?;
        let len_at = program_at.checked_add(32)?;
        let len = usize_at(data, len_at)?;
        let body = len_at.checked_add(2)?;
        Some((
            Pubkey::new_from_array(program),
            data.get(body..body.checked_add(len)?)?,
        ))
    }
}

#[cfg(test)]
mod tests {
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

    fn ed25519_data(msg: &[u8]) -> Vec<u8> {
        let mut d = vec![1, 0];
        for v in [
            48u16,
            u16::MAX,
            16,
            u16::MAX,
            112,
            msg.len() as u16,
            u16::MAX,
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&[5; 32]);
        d.extend_from_slice(&[6; 64]);
        d.extend_from_slice(msg);
        d
    }

    #[test]
    fn instructions_sysvar_reads_what_the_runtime_writes() {
        use anchor_lang::solana_program::instruction::{BorrowedAccountMeta, BorrowedInstruction};
        use anchor_lang::solana_program::sysvar::instructions::construct_instructions_data;
        let (p0, p1, a) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let meta = || BorrowedAccountMeta {
            pubkey: &a,
            is_signer: true,
            is_writable: false,
        };
        let ixs = [
            BorrowedInstruction {
                program_id: &p0,
                accounts: vec![],
                data: &[1, 2, 3],
            },
            BorrowedInstruction {
                program_id: &p1,
                accounts: vec![meta(), meta(), meta()],
                data: &[],
            },
            BorrowedInstruction {
                program_id: &p0,
                accounts: vec![meta()],
                data: &[9; 300],
            },
        ];
        let data = construct_instructions_data(&ixs);
        assert_eq!(instructions_sysvar::count(&data), Some(3));
        assert_eq!(
            instructions_sysvar::instruction_at(&data, 0),
            Some((p0, &[1u8, 2, 3][..]))
        );
        assert_eq!(
            instructions_sysvar::instruction_at(&data, 1),
            Some((p1, &[][..]))
        );
        assert_eq!(
            instructions_sysvar::instruction_at(&data, 2),
            Some((p0, &[9u8; 300][..]))
        );
        assert_eq!(instructions_sysvar::instruction_at(&data, 3), None);
        // Truncated data never reads out of bounds.
        for cut in 0..data.len() {
            let _ = instructions_sysvar::instruction_at(&data[..cut], 2);
        }
    }

    #[test]
    fn ed25519_layout() {
        let data = ed25519_data(b"hello");
        let (key, msg) = ed25519::parse(&data).unwrap();
        assert_eq!(key, Pubkey::new_from_array([5; 32]));
        assert_eq!(msg, b"hello");
        // Every header byte matters: two signatures, padding, any offset or index.
        for i in 0..16 {
            let mut d = data.clone();
            d[i] ^= 1;
            assert_eq!(
                ed25519::parse(&d),
                Err(SessionError::MessageEd25519Malformed),
                "byte {i}"
            );
        }
        // Trailing or missing bytes change the message size.
        let mut longer = data.clone();
        longer.push(0);
        assert!(ed25519::parse(&longer).is_err());
        assert!(ed25519::parse(&data[..111]).is_err());
        assert!(ed25519::parse(&[]).is_err());
    }
}
