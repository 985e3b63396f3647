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
            uses_window: None,
            reference_history: 0,
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
        .saturating_add(super::limits_space(false, 0))
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

pub mod ed25519;
pub mod instructions_sysvar;

#[cfg(test)]
mod tests;
