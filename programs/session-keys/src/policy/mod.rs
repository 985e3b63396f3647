//! Pure policy: expiry, caps, windows, uses, destinations, the grant, call scope, the
//! effects of calls, and what a token account or a mint is (read as its token program reads
//! it).
//!
//! Nothing here touches accounts or the runtime, so every rule is unit- and property-tested
//! on the host. Instructions call these functions from their `validate()`.
pub mod budget;
pub mod calls;
pub mod caps;
pub mod destinations;
pub mod effects;
pub mod expiry;
pub mod grant;
pub mod limits;
pub mod message;
pub mod mints;
pub mod token_account;
pub mod uses;

#[cfg(test)]
mod proptests;

pub use budget::*;
pub use calls::*;
pub use caps::*;
pub use destinations::*;
pub use effects::*;
pub use expiry::*;
pub use grant::*;
pub use limits::*;
pub use message::{MessageContext, MessageEnvelope, MessageGrantArgs};
pub use mints::*;
pub use token_account::*;
pub use uses::*;

/// Result of a policy check: a [`crate::errors::SessionError`] names the broken rule.
pub type PolicyResult<T> = core::result::Result<T, crate::errors::SessionError>;
