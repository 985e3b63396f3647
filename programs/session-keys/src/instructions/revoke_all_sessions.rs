use crate::emit;
use crate::{errors::SessionError, events::AllSessionsRevoked, policy::TokenState, state::Wallet};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Revoke};

/// Revokes every session of the owner in one instruction by bumping the wallet's nonce: each
/// session remembers the nonce it was created under and is dead once the two differ.
///
/// Remaining accounts: pairs (owner token account [writable], its token program). On each,
/// the vault's delegation is revoked in the same instruction (the owner signs), so "revoke
/// everything" leaves no session anything to spend. An account with no delegate is skipped;
/// one delegated to someone other than the vault is refused ([`SessionError::NotVaultDelegate`])
/// rather than silently revoked.
#[derive(Accounts)]
pub struct RevokeAllSessions<'info> {
    /// The owner.
    pub owner: Signer<'info>,
    /// The owner's wallet account.
    #[account(mut, has_one = owner @ SessionError::NotOwner)]
    pub wallet: Account<'info, Wallet>,
}

impl<'info> RevokeAllSessions<'info> {
    /// Checks one (token account, token program) pair; `true` if the vault is its delegate.
    fn validate_pair(
        &self,
        vault: &Pubkey,
        account: &AccountInfo,
        program: &AccountInfo,
    ) -> Result<bool> {
        require!(
            *program.key == anchor_spl::token::ID || *program.key == anchor_spl::token_2022::ID,
            ErrorCode::InvalidProgramId
        );
        require_keys_eq!(
            *account.owner,
            *program.key,
            SessionError::WrongSourceAccount
        );
        let token = TokenState::parse(&account.try_borrow_data()?)
            .ok_or(SessionError::WrongSourceAccount)?;
        require_keys_eq!(
            token.owner,
            self.owner.key(),
            SessionError::WrongSourceAccount
        );
        match token.delegate.as_ref() {
            None => Ok(false),
            Some(d) if d == vault => Ok(true),
            Some(_) => err!(SessionError::NotVaultDelegate),
        }
    }

    /// Increments the nonce, then revokes the vault's delegation on the given accounts.
    pub fn handler(ctx: Context<'info, Self>) -> Result<()> {
        let pairs = ctx.remaining_accounts;
        require!(
            pairs.len().is_multiple_of(2),
            SessionError::MissingDelegateAccounts
        );
        let a = ctx.accounts;
        let vault = a.wallet.vault()?;
        let mut revoked = Vec::with_capacity(pairs.len() / 2);
        for pair in pairs.chunks_exact(2) {
            let [account, program] = pair else {
                return err!(SessionError::MissingDelegateAccounts);
            };
            if a.validate_pair(&vault, account, program)? {
                token_interface::revoke(CpiContext::new(
                    program.key(),
                    Revoke {
                        source: account.clone(),
                        authority: a.owner.to_account_info(),
                    },
                ))?;
                revoked.push(account.key());
            }
        }

        let wallet = &mut a.wallet;
        wallet.nonce = wallet
            .nonce
            .checked_add(1)
            .ok_or(SessionError::MathOverflow)?;
        emit!(AllSessionsRevoked {
            owner: wallet.owner,
            nonce: wallet.nonce,
            revoked_delegations: revoked,
        });
        Ok(())
    }
}
