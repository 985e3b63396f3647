use crate::emit;
use crate::{
    errors::SessionError,
    events::SessionClosed,
    state::{Session, Wallet},
};
use anchor_lang::prelude::*;

/// Closes a dead session (expired, revoked by `revoke_all_sessions`, or out of uses) and
/// refunds its rent to its payer. Anyone may send it: a cleanup crank needs no key of the
/// owner's.
#[derive(Accounts)]
pub struct CloseSession<'info> {
    /// The dead session.
    #[account(mut, close = payer)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account, for the current nonce.
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Account<'info, Wallet>,
    /// CHECK: must be the session's rent payer; receives the rent.
    #[account(mut, address = session.payer @ SessionError::WrongRentPayer)]
    pub payer: UncheckedAccount<'info>,
}

impl CloseSession<'_> {
    fn validate(&self, now: i64) -> Result<()> {
        let s = &self.session;
        let dead = s.check_usable(now, self.wallet.nonce).is_err();
        require!(dead, SessionError::SessionStillActive);
        Ok(())
    }

    /// Checks that the session is dead, then lets Anchor close it.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        ctx.accounts.validate(Clock::get()?.unix_timestamp)?;
        let a = &ctx.accounts;
        emit!(SessionClosed {
            owner: a.session.owner,
            session: a.session.key(),
            payer: a.payer.key(),
        });
        Ok(())
    }
}
