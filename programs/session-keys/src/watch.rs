//! The accounts `execute` watches around its calls: the vault, and every token account among
//! the calls' accounts that the vault owns, is delegate of, or is close authority of. Each is
//! snapshotted once and the snapshot is updated in place after every call, so the heap cost is
//! one entry per watched account for the whole batch (a bump heap never gets memory back).
use crate::{
    constants::MAX_WATCHED_TOKEN_ACCOUNTS,
    errors::SessionError,
    policy::{CallEffects, TokenProgram, TokenState},
};
use anchor_lang::{prelude::*, system_program};

/// The token state of `info`, if it is (still) a token account as the token program that owns
/// it reads it ([`TokenState::parse`]): a multisig or a mint dressed up as a token account is
/// not one, so it is neither watched nor able to offset an outflow. Also what
/// `revoke_all_sessions` reads its listed accounts with.
pub(crate) fn read_token(info: &AccountInfo) -> Option<TokenState> {
    let program = TokenProgram::of(info.owner)?;
    TokenState::parse(program, &info.try_borrow_data().ok()?)
}

/// One watched token account and its state after the last call.
struct Watched<'a, 'info> {
    info: &'a AccountInfo<'info>,
    token: TokenState,
    lamports: u64,
}

/// The vault and the watched token accounts, as of the last call.
pub struct Watch<'a, 'info> {
    vault: &'a AccountInfo<'info>,
    owner: Pubkey,
    vault_lamports: u64,
    accounts: Vec<Watched<'a, 'info>>,
}

impl<'a, 'info> Watch<'a, 'info> {
    /// Snapshots the vault and the vault-controlled token accounts among `accounts`
    /// (deduplicated; at most [`MAX_WATCHED_TOKEN_ACCOUNTS`]).
    pub fn new(
        vault: &'a AccountInfo<'info>,
        owner: Pubkey,
        accounts: &'a [AccountInfo<'info>],
    ) -> Result<Self> {
        let controlled =
            |info: &AccountInfo| read_token(info).filter(|t| t.controlled_by(vault.key));
        let first = |i: usize, info: &AccountInfo| {
            !accounts.iter().take(i).any(|other| other.key == info.key)
        };
        // Count first and reserve exactly: the list never grows. The same pass notes a
        // confidential balance (a duplicate has the state of its first occurrence).
        let (mut count, mut confidential) = (0usize, false);
        for (i, info) in accounts.iter().enumerate() {
            if let Some(t) = controlled(info).filter(|_| first(i, info)) {
                count = count.saturating_add(1);
                confidential |= t.confidential;
            }
        }
        require!(
            count <= usize::from(MAX_WATCHED_TOKEN_ACCOUNTS),
            SessionError::TooManyWatchedAccounts
        );
        require!(!confidential, SessionError::ConfidentialAccount);
        let mut watched = Vec::with_capacity(count);
        for (i, info) in accounts.iter().enumerate() {
            if !first(i, info) {
                continue;
            }
            if let Some(token) = controlled(info) {
                watched.push(Watched {
                    info,
                    token,
                    lamports: info.lamports(),
                });
            }
        }
        Ok(Self {
            vault,
            owner,
            vault_lamports: vault.lamports(),
            accounts: watched,
        })
    }

    /// How many token accounts are watched.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether no token account is watched.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// After a call: the vault must still be a System account without data; feeds every
    /// watched account's change into `effects` (cleared first; it refuses tampering and
    /// delegation loss) and moves the snapshot to now.
    pub fn observe(&mut self, effects: &mut CallEffects) -> Result<()> {
        effects.clear();
        require!(
            *self.vault.owner == system_program::ID && self.vault.data_is_empty(),
            SessionError::VaultModified
        );
        let now = self.vault.lamports();
        effects.lamports(self.vault_lamports, now);
        self.vault_lamports = now;
        let (owner, vault) = (&self.owner, self.vault.key);
        for w in &mut self.accounts {
            let after = read_token(w.info);
            effects.token(&w.token, after.as_ref(), owner, vault)?;
            let lamports = w.info.lamports();
            let after = after.ok_or(SessionError::TokenAccountTampered)?;
            if w.token.ours(owner, vault) {
                if w.token.is_native {
                    // A wrapped-SOL account's lamports move with its amount, which is charged
                    // to the native mint's caps already; lamports its amount does not explain
                    // (rent, and SOL sent without `SyncNative`) are charged like vault SOL.
                    effects.token_lamports(
                        lamports_beyond_amount(w.lamports, &w.token),
                        lamports_beyond_amount(lamports, &after),
                    );
                } else {
                    effects.token_lamports(w.lamports, lamports);
                }
            }
            w.token = after;
            w.lamports = lamports;
        }
        Ok(())
    }
}

/// A wrapped-SOL account's lamports that its token amount does not account for.
fn lamports_beyond_amount(lamports: u64, token: &TokenState) -> u64 {
    lamports.saturating_sub(token.amount)
}
