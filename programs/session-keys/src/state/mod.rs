//! Accounts owned by the program, one per file.
pub mod session;
pub mod wallet;

pub use session::*;
pub use wallet::*;
