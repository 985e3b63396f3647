//! Seeds and limits. Every limit here is part of the public contract and documented in the README.
use anchor_lang::prelude::*;

/// Seed prefix of a [`crate::state::Session`] PDA: `["session", owner, session_key]`.
#[constant]
pub const SESSION_SEED: &[u8] = b"session";

/// Seed prefix of a [`crate::state::Wallet`] PDA: `["wallet", owner]`.
#[constant]
pub const WALLET_SEED: &[u8] = b"wallet";

/// Seed prefix of the owner's vault PDA: `["vault", owner]`. System-owned, no data; it holds
/// the SOL sessions may spend, is the SPL delegate (or owner) of spendable token accounts and
/// signs every proxied call.
#[constant]
pub const VAULT_SEED: &[u8] = b"vault";

/// Longest session a wallet can grant: 30 days, in seconds.
#[constant]
pub const MAX_SESSION_DURATION: i64 = 30 * 24 * 60 * 60;

/// Most mints one session can carry caps for.
#[constant]
pub const MAX_MINTS: u8 = 4;

/// Most entries in a session's destination allow-list.
#[constant]
pub const MAX_DESTINATIONS: u8 = 8;

/// Longest label (UTF-8 bytes), e.g. the app's name shown by wallet UIs.
#[constant]
pub const MAX_LABEL_LEN: u8 = 32;

/// Layout version written as the first data byte of every account of this program.
#[constant]
pub const ACCOUNT_VERSION: u8 = 1;

/// Most target programs one session can call through `execute`.
#[constant]
pub const MAX_PROGRAMS: u8 = 4;

/// Most instruction rules per target program.
#[constant]
pub const MAX_INSTRUCTION_RULES: u8 = 8;

/// Most argument rules per instruction rule.
#[constant]
pub const MAX_ARG_RULES: u8 = 4;

/// Most account rules per instruction rule.
#[constant]
pub const MAX_ACCOUNT_RULES: u8 = 4;

/// Most allowed keys in one account rule.
pub const MAX_ACCOUNT_KEYS: usize = 3;

/// Longest instruction discriminator prefix (Anchor's is 8 bytes).
pub const MAX_DISCRIMINATOR_LEN: usize = 8;

/// Longest raw-bytes value of an argument rule (a pubkey).
pub const MAX_RAW_ARG_LEN: usize = 32;

/// Most inner instructions in one `execute`.
#[constant]
pub const MAX_CALLS: u8 = 4;
