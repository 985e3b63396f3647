use crate::emit;
use crate::{errors::SessionError, events::SessionRevoked, state::Session};
use anchor_lang::prelude::*;

/// Revokes one session at once: closes it and refunds its rent to whoever paid it. The owner
/// or the session key itself may sign (a game can log a player out cleanly).
#[derive(Accounts)]
pub struct RevokeSession<'info> {
    /// The session's owner or its session key.
    pub authority: Signer<'info>,
    /// The session to revoke.
    #[account(
        mut,
        close = payer,
        constraint = authority.key() == session.owner
            || authority.key() == session.session_key @ SessionError::UnauthorizedRevoker,
    )]
    pub session: Box<Account<'info, Session>>,
    /// CHECK: must be the session's rent payer; receives the rent.
    #[account(mut, address = session.payer @ SessionError::WrongRentPayer)]
    pub payer: UncheckedAccount<'info>,
}

impl RevokeSession<'_> {
    /// Closes the session (Anchor's `close` zeroes its data and moves its lamports).
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let a = &ctx.accounts;
        emit!(SessionRevoked {
            owner: a.session.owner,
            session: a.session.key(),
            revoked_by: a.authority.key(),
        });
        Ok(())
    }
}
