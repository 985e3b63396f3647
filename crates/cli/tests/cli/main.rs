//! The `session-keys` binary against a localnet started by each test (one binary, one link):
//! every command and its on-chain effect, defaults from the Solana CLI config, confirmations,
//! readable errors, incident response against planted look-alike accounts, exact amounts and
//! keypair files that are never echoed.
mod common;
mod guardrails;
mod incident;
mod input;
mod operator;
