//! Program-derived addresses. Each returns `(address, bump)`.
use anchor_lang::prelude::Pubkey;
use session_keys::{
    constants::{BUDGET_SEED, SESSION_SEED, VAULT_SEED, WALLET_SEED},
    ID,
};

/// The session PDA `["session", owner, session_key]`.
pub fn session(owner: &Pubkey, session_key: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[SESSION_SEED, owner.as_ref(), session_key.as_ref()], &ID)
}

/// The wallet PDA `["wallet", owner]`.
pub fn wallet(owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[WALLET_SEED, owner.as_ref()], &ID)
}

/// The vault PDA `["vault", owner]`: holds SOL, is the SPL delegate, signs proxied calls.
pub fn vault(owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, owner.as_ref()], &ID)
}

/// The budget PDA `["budget", owner]`: the owner's caps across all sessions. Every
/// session-signed instruction passes it, whether or not the owner set a budget.
pub fn budget(owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[BUDGET_SEED, owner.as_ref()], &ID)
}
