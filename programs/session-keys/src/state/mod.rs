//! Accounts owned by the program, one per file.
pub mod budget;
pub mod session;
pub mod wallet;

pub use budget::*;
pub use session::*;
pub use wallet::*;
