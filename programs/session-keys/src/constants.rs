//! Seeds and limits. Every limit here is part of the public contract and documented in
//! docs/02-policy.md.
use anchor_lang::prelude::*;

/// Seed prefix of a `Session` PDA: `["session", owner, session_key]`.
#[constant]
pub const SESSION_SEED: &[u8] = b"session";

/// Seed prefix of a `Wallet` PDA: `["wallet", owner]`.
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
#[constant]
pub const MAX_ACCOUNT_KEYS: u8 = 3;

/// Longest instruction discriminator prefix (Anchor's is 8 bytes).
#[constant]
pub const MAX_DISCRIMINATOR_LEN: u8 = 8;

/// Longest raw-bytes value of an argument rule (a pubkey).
#[constant]
pub const MAX_RAW_ARG_LEN: u8 = 32;

/// Most inner instructions in one `execute`.
#[constant]
pub const MAX_CALLS: u8 = 4;

/// Largest session account, in bytes: a session is never larger than the transaction that
/// creates it (1,232 bytes), which keeps decoding it well inside the 32 KiB program heap.
#[constant]
pub const MAX_SESSION_SPACE: u16 = 1232;

/// Most remaining accounts (program accounts included) one `execute` may pass; bounds the
/// heap its account metas and snapshots take.
#[constant]
pub const MAX_EXECUTE_ACCOUNTS: u8 = 64;

/// Most distinct vault-controlled token accounts one `execute` may touch (each is
/// snapshotted around every call).
#[constant]
pub const MAX_WATCHED_TOKEN_ACCOUNTS: u8 = 16;

/// Most (token account, token program) pairs one `revoke_all_sessions` takes: each revoke CPI
/// costs heap, and the owner can send several.
#[constant]
pub const MAX_REVOKE_TOKEN_ACCOUNTS: u8 = 16;

/// Stored `max_uses` meaning "no limit on uses".
#[constant]
pub const UNLIMITED_USES: u32 = u32::MAX;

/// Stored per-instruction cap meaning "none": every `u64` amount is at most the largest `u64`, so the
/// sentinel is exact, not a special case.
#[constant]
pub const NO_PER_INSTRUCTION_CAP: u64 = u64::MAX;

/// Longest app domain a signed grant message may name (`create_session_from_message`).
#[constant]
pub const MAX_DOMAIN_LEN: u8 = 64;

/// PDA seed of an owner's budget account: `["budget", owner]`.
#[constant]
pub const BUDGET_SEED: &[u8] = b"budget";

/// Most assets (SOL and mints) one owner budget can hold.
#[constant]
pub const MAX_BUDGET_ASSETS: u8 = 8;

/// Longest history of payment references a session can keep (chosen at grant, 0 to this).
#[constant]
pub const MAX_REFERENCE_HISTORY: u8 = 16;

// A deployable (SBF) build must name its cluster: a program deployed without one would accept
// messages signed for a local validator. Crates that only call it (`cpi`, `no-entrypoint`)
// never deploy it and need none.
#[cfg(all(
    target_os = "solana",
    not(feature = "no-entrypoint"),
    not(any(
        feature = "mainnet",
        feature = "devnet",
        feature = "testnet",
        feature = "localnet"
    ))
))]
compile_error!(
    "choose the cluster signed grant messages name: build with --features mainnet, devnet, testnet or localnet"
);
// Features add up across a build: two cluster names would silently pick one.
#[cfg(any(
    all(
        feature = "mainnet",
        any(feature = "devnet", feature = "testnet", feature = "localnet")
    ),
    all(feature = "devnet", any(feature = "testnet", feature = "localnet")),
    all(feature = "testnet", feature = "localnet")
))]
compile_error!("more than one cluster feature (mainnet, devnet, testnet, localnet): choose one");

/// The cluster this build is for, named in every signed grant message: a program cannot read
/// the genesis hash, so it is compiled in with the `mainnet`, `devnet`, `testnet` or `localnet`
/// feature (an SBF build must set one; the host build defaults to `localnet`). A message signed
/// for another cluster does not match.
#[cfg(feature = "mainnet")]
pub const CLUSTER: &str = "mainnet-beta";
/// The cluster this build is for (see the `mainnet` variant).
#[cfg(all(feature = "devnet", not(feature = "mainnet")))]
pub const CLUSTER: &str = "devnet";
/// The cluster this build is for (see the `mainnet` variant).
#[cfg(all(feature = "testnet", not(any(feature = "mainnet", feature = "devnet"))))]
pub const CLUSTER: &str = "testnet";
/// The cluster this build is for (see the `mainnet` variant).
#[cfg(not(any(feature = "mainnet", feature = "devnet", feature = "testnet")))]
pub const CLUSTER: &str = "localnet";
