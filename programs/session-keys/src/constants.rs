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
