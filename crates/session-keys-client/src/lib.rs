//! Rust client for the `session-keys` program, for bots, games' back ends and tests.
//!
//! - [`pda`]: every address the program uses, derived off chain.
//! - [`ix`]: one builder per instruction with typed arguments.
//! - [`scope`]: a builder for [`CreateSessionArgs`] that rejects, before sending, what the
//!   program would reject.
//! - [`decode`]: account, event (from transaction logs) and error-code decoding, and
//!   remaining-allowance helpers.
//! - [`tx`]: a session-signed transaction in one call.
pub mod decode;
pub mod ix;
pub mod pda;
pub mod scope;
pub mod tx;

pub use session_keys::{
    self,
    errors::SessionError,
    instructions::{CreateSessionArgs, MintCapsArgs},
    policy::{Allowance, CapsArgs, WindowArgs},
    state::{MintAllowance, Session, Wallet},
    ID as PROGRAM_ID,
};
