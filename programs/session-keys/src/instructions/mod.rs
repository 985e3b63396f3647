//! One file per instruction: its Accounts struct, `validate()` and handler.
pub mod close_session;
pub mod close_vault_token_account;
pub mod create_session;
pub mod create_session_from_message;
pub mod deposit_sol;
pub mod execute;
pub mod revoke_all_sessions;
pub mod revoke_session;
pub mod session_signed;
pub mod transfer_sol;
pub mod transfer_token;
pub mod withdraw_sol;
pub mod withdraw_token;

pub use close_session::*;
pub use close_vault_token_account::*;
pub use create_session::*;
pub use create_session_from_message::*;
pub use deposit_sol::*;
pub use execute::*;
pub use revoke_all_sessions::*;
pub use revoke_session::*;
pub use session_signed::*;
pub use transfer_sol::*;
pub use transfer_token::*;
pub use withdraw_sol::*;
pub use withdraw_token::*;
