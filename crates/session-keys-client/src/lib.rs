//! Rust client for the `session-keys` program, for bots, games' back ends and tests.
//!
//! - [`pda`]: every address the program uses, derived off chain.
//! - [`ix`]: one builder per instruction with typed arguments.
//! - [`scope`]: a builder for [`CreateSessionArgs`] that rejects, before sending, what the
//!   program would reject.
//! - [`decode`]: account, event (from transaction logs) and error-code decoding.
//! - [`status`]: what a session can do now, from its account alone: usable or why not, its
//!   state (live, expired, revoked, exhausted), what each asset may still move.
//! - [`tx`]: a session-signed transaction in one call.
//! - [`message`]: the gasless grant: the message the owner signs, its Ed25519 instruction and
//!   the sponsor's instructions.
//! - `rpc` (feature `rpc`): async use over JSON-RPC for bots: fetch, list and classify
//!   sessions, remaining allowances, sending with a compute budget or in v0 transactions with
//!   lookup tables, program errors decoded; the owner's incident response
//!   (`SessionClient::revoke_all`). `examples/bot.rs` shows a bot loop.
pub mod decode;
pub mod ix;
pub mod message;
pub mod pda;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod scope;
pub mod status;
pub mod tx;

pub use session_keys::{
    self,
    errors::SessionError,
    instructions::{CreateSessionArgs, MessageEnvelope, MessageGrantArgs, MintCapsArgs},
    policy::{Allowance, CapsArgs, WindowArgs},
    state::{MintAllowance, Session, Wallet},
    ID as PROGRAM_ID,
};
