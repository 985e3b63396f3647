use crate::emit;
use crate::{errors::SessionError, events::AllSessionsRevoked, state::Wallet};
use anchor_lang::prelude::*;

/// Revokes every session of the owner in one instruction by bumping the wallet's nonce: each
/// session remembers the nonce it was created under and is dead once the two differ.
#[derive(Accounts)]
pub struct RevokeAllSessions<'info> {
    /// The owner.
    pub owner: Signer<'info>,
    /// The owner's wallet account.
    #[account(mut, has_one = owner @ SessionError::NotOwner)]
    pub wallet: Account<'info, Wallet>,
}

impl RevokeAllSessions<'_> {
    /// Increments the nonce.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let wallet = &mut ctx.accounts.wallet;
        wallet.nonce = wallet
            .nonce
            .checked_add(1)
            .ok_or(SessionError::MathOverflow)?;
        emit!(AllSessionsRevoked {
            owner: wallet.owner,
            nonce: wallet.nonce,
        });
        Ok(())
    }
}
