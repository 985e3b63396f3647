use crate::emit;
use crate::{
    constants::MAX_REVOKE_TOKEN_ACCOUNTS, errors::SessionError, events::AllSessionsRevoked,
    state::Wallet, watch::read_token,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Revoke};

/// Revokes every session of the owner in one instruction by bumping the wallet's nonce: each
/// session remembers the nonce it was created under and is dead once the two differ. It also
/// replaces the message counter with an unpredictable value
/// ([`Wallet::message_counter_after_revoke`]), so every grant message signed before, used or
/// not, whatever its number, is dead too.
///
/// Remaining accounts: up to [`MAX_REVOKE_TOKEN_ACCOUNTS`] pairs (owner token account
/// [writable], its token program). On each,
/// the vault's delegation is revoked in the same instruction (the owner signs), so "revoke
/// everything" leaves no session anything to spend. A pair that cannot or should not be
/// revoked (no delegate, another delegate, frozen, read-only, not the owner's, not a token
/// account as its token program reads it, such as a multisig dressed up as one) is skipped,
/// never an error: nothing listed can block the kill switch.
/// `AllSessionsRevoked.revoked_delegations` lists the accounts actually revoked and
/// `skipped_delegations` the others.
#[derive(Accounts)]
pub struct RevokeAllSessions<'info> {
    /// The owner.
    pub owner: Signer<'info>,
    /// The owner's wallet account.
    #[account(mut, has_one = owner @ SessionError::NotOwner)]
    pub wallet: Account<'info, Wallet>,
}

impl<'info> RevokeAllSessions<'info> {
    /// Whether the vault's delegation can and should be revoked on this (token account, token
    /// program) pair: a writable, unfrozen token account of the owner, owned by that program
    /// and read exactly as that program reads it ([`TokenState::parse`]), with the vault as
    /// delegate. Anything else is skipped: no listed account may stop the nonce bump that
    /// kills every session.
    fn revocable(&self, vault: &Pubkey, account: &AccountInfo, program: &AccountInfo) -> bool {
        if account.owner != program.key || !account.is_writable {
            return false;
        }
        read_token(account).is_some_and(|t| {
            t.owner == self.owner.key() && t.delegate.as_ref() == Some(vault) && !t.frozen()
        })
    }

    /// Revokes the vault's delegation on the given accounts, then increments the nonce and
    /// replaces the message counter.
    pub fn handler(ctx: Context<'info, Self>) -> Result<()> {
        let pairs = ctx.remaining_accounts;
        require!(
            pairs.len().is_multiple_of(2),
            SessionError::MissingDelegateAccounts
        );
        require!(
            pairs.len() <= usize::from(MAX_REVOKE_TOKEN_ACCOUNTS).saturating_mul(2),
            SessionError::TooManyTokenAccounts
        );
        let a = ctx.accounts;
        let vault = a.wallet.vault()?;
        let mut revoked = Vec::with_capacity(pairs.len() / 2);
        let mut skipped = Vec::with_capacity(pairs.len() / 2);
        for pair in pairs.chunks_exact(2) {
            let [account, program] = pair else {
                return err!(SessionError::MissingDelegateAccounts);
            };
            if a.revocable(&vault, account, program) {
                token_interface::revoke(CpiContext::new(
                    program.key(),
                    Revoke {
                        source: account.clone(),
                        authority: a.owner.to_account_info(),
                    },
                ))?;
                revoked.push(account.key());
            } else {
                skipped.push(account.key());
            }
        }

        let wallet = &mut a.wallet;
        wallet.nonce = wallet
            .nonce
            .checked_add(1)
            .ok_or(SessionError::MathOverflow)?;
        let clock = Clock::get()?;
        wallet.message_counter = Wallet::message_counter_after_revoke(
            &wallet.owner,
            wallet.message_counter,
            clock.slot,
            clock.unix_timestamp,
        );
        emit!(AllSessionsRevoked {
            owner: wallet.owner,
            nonce: wallet.nonce,
            message_counter: wallet.message_counter,
            revoked_delegations: revoked,
            skipped_delegations: skipped,
        });
        Ok(())
    }
}
