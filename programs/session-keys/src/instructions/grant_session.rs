//! What `create_session` and `create_session_from_message` share beyond the grant rules
//! ([`crate::policy::CreateSessionArgs::into_grant`]): the session-key checks, and writing the
//! session with its invariant and `SessionCreated` event. Each instruction keeps only what
//! differs: who signs, who pays, and the message.
use crate::emit;
use crate::{
    errors::SessionError,
    events::SessionCreated,
    policy::Grant,
    state::{Session, SessionKeys},
};
use anchor_lang::prelude::*;

/// The session key is none of the owner's own keys: not the owner, not the owner's vault or
/// wallet PDA (a program account cannot sign, so such a session could never act).
pub fn check_session_key(
    owner: &Pubkey,
    session_key: &Pubkey,
    vault: &Pubkey,
    wallet: &Pubkey,
) -> Result<()> {
    require_keys_neq!(*owner, *session_key, SessionError::SessionKeyIsOwner);
    require!(
        session_key != vault && session_key != wallet,
        SessionError::SessionKeyIsProgramAccount
    );
    Ok(())
}

/// Writes the session a checked grant creates (no uses yet, created `now` under the wallet's
/// current `nonce`), checks its invariant and emits `SessionCreated` with the key's fee top-up
/// and the delegation approved in the same instruction.
pub fn store_session(
    session: &mut Account<Session>,
    grant: Grant,
    keys: SessionKeys,
    now: i64,
    nonce: u64,
    top_up: u64,
    delegated: u64,
) -> Result<()> {
    session.set_inner(Session::from_grant(grant, keys, now, nonce));
    session.invariant()?;
    emit!(SessionCreated::of(
        session,
        session.key(),
        top_up,
        delegated
    ));
    Ok(())
}
