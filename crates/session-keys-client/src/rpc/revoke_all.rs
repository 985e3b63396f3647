//! Incident response: every session of an owner dead, then the vault's delegations revoked, in
//! an order that nothing a stranger creates can block.
//!
//! 1. `revoke_all_sessions` with no token account, alone in its transaction: the nonce bump that
//!    kills every session and every signed grant message depends on no listed account.
//! 2. The owner's token accounts delegated to the vault are listed with `getProgramAccounts`
//!    (SPL Token: `dataSize` 165; Token-2022: any size; owner and delegate by `memcmp`), and
//!    each is read with its token program's own unpack ([`TokenState::parse`]): a look-alike
//!    (a multisig whose signer keys spell the owner and the vault, a mint) is dropped, and a
//!    frozen account, on which the token program cannot revoke, is set aside.
//! 3. The delegations are revoked [`REVOKES_PER_TX`] accounts per `revoke_all_sessions`
//!    transaction.
//! 4. What was revoked and what was skipped is read from each confirmed transaction's
//!    `AllSessionsRevoked` event (its log, through `getTransaction`), never assumed from the list.
use super::{Error, Result, SessionClient};
use crate::{decode::SessionEvent, ix, pda};
use anchor_lang::prelude::Pubkey;
use session_keys::{
    events::AllSessionsRevoked,
    policy::{TokenProgram, TokenState, TOKEN_ACCOUNT_LEN},
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_sdk::{
    signature::{Keypair, Signature},
    signer::Signer,
};

/// Delegations revoked per `revoke_all_sessions` transaction after the first (which lists
/// none); the program takes at most `MAX_REVOKE_TOKEN_ACCOUNTS` (16).
pub const REVOKES_PER_TX: usize = 12;

/// Offset of the owner in a token account (after the mint).
pub const TOKEN_OWNER_OFFSET: usize = 32;

/// Offset of the delegate in a token account (after mint, owner and amount): a `COption`, the
/// tag `[1, 0, 0, 0]` then the key at 76.
pub const TOKEN_DELEGATE_OFFSET: usize = 72;

/// One of an owner's token accounts on which the vault is delegate, as its token program reads
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelegatedAccount {
    /// The token account.
    pub address: Pubkey,
    /// SPL Token or Token-2022.
    pub token_program: Pubkey,
    /// Its mint.
    pub mint: Pubkey,
    /// What the vault may still move out of it.
    pub delegated_amount: u64,
    /// Frozen: the token program refuses to revoke on it until its freeze authority thaws it.
    pub frozen: bool,
}

/// What [`SessionClient::revoke_all`] did, as the program's `AllSessionsRevoked` events say.
#[derive(Debug)]
pub struct RevokeAllReport {
    /// The transactions that landed, in order: the nonce bump alone, then one per chunk of
    /// delegations.
    pub signatures: Vec<Signature>,
    /// The wallet's nonce after the last confirmed transaction: every session created under an
    /// older one is dead.
    pub nonce: u64,
    /// The wallet's message counter after it: grant messages signed before are dead.
    pub message_counter: u64,
    /// Accounts on which the program revoked the vault's delegation.
    pub revoked: Vec<Pubkey>,
    /// Accounts the program was given and left alone (`skipped_delegations`): the delegation
    /// may still be there.
    pub skipped: Vec<Pubkey>,
    /// Delegated accounts not sent because they are frozen: the delegation stays until the
    /// freeze authority thaws the account and revoke-all runs again.
    pub frozen: Vec<Pubkey>,
    /// Chunks whose transaction failed, with the error: their delegations were not revoked
    /// (every session is dead nonetheless).
    pub failed: Vec<(Vec<Pubkey>, Error)>,
}

fn memcmp(offset: usize, bytes: &[u8]) -> RpcFilterType {
    RpcFilterType::Memcmp(Memcmp::new_base58_encoded(offset, bytes))
}

impl SessionClient {
    /// `owner`'s token accounts, under SPL Token and Token-2022, on which the vault is delegate:
    /// only accounts its token program itself reads as a token account of `owner` delegated to
    /// the vault ([`TokenState::parse`]), frozen ones flagged. A token multisig or a mint whose
    /// bytes imitate such an account is never listed.
    pub async fn delegated_token_accounts(&self, owner: &Pubkey) -> Result<Vec<DelegatedAccount>> {
        let vault = pda::vault(owner).0;
        let mut delegate = vec![1u8, 0, 0, 0];
        delegate.extend_from_slice(vault.as_ref());
        let programs = [
            (
                anchor_spl::token::ID,
                TokenProgram::Token,
                Some(TOKEN_ACCOUNT_LEN),
            ),
            (anchor_spl::token_2022::ID, TokenProgram::Token2022, None),
        ];
        let mut out = Vec::new();
        for (program_id, program, size) in programs {
            let mut filters = vec![
                memcmp(TOKEN_OWNER_OFFSET, owner.as_ref()),
                memcmp(TOKEN_DELEGATE_OFFSET, &delegate),
            ];
            if let Some(size) = size {
                filters.push(RpcFilterType::DataSize(size as u64));
            }
            for (address, account) in self.program_accounts(&program_id, filters).await? {
                let state = account
                    .filter(|a| a.owner == program_id)
                    .and_then(|a| TokenState::parse(program, &a.data));
                match state {
                    Some(t) if t.owner == *owner && t.delegate == Some(vault) => {
                        out.push(DelegatedAccount {
                            address,
                            token_program: program_id,
                            mint: t.mint,
                            delegated_amount: t.delegated_amount,
                            frozen: t.frozen(),
                        })
                    }
                    // Not a token account as its program reads it: a look-alike.
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    /// The `AllSessionsRevoked` event of `owner` in a confirmed transaction's log.
    async fn revoked_event(
        &self,
        signature: &Signature,
        owner: &Pubkey,
    ) -> Result<AllSessionsRevoked> {
        self.outcome(signature)
            .await?
            .events
            .into_iter()
            .find_map(|e| match e {
                SessionEvent::AllSessionsRevoked(e) if e.owner == *owner => Some(e),
                _ => None,
            })
            .ok_or_else(|| {
                Error::Account(format!(
                    "{signature} landed but its log holds no AllSessionsRevoked event of {owner}"
                ))
            })
    }

    /// Incident response for `owner` (who signs and pays): kills every session first, in a
    /// transaction of its own, then revokes the vault's delegation on every token account of
    /// the owner that [`delegated_token_accounts`](Self::delegated_token_accounts) lists and
    /// that is not frozen, [`REVOKES_PER_TX`] per transaction. The report says what the
    /// program's events say. An error means the first transaction failed (nothing changed);
    /// a later failure is reported in [`RevokeAllReport::failed`].
    pub async fn revoke_all(&self, owner: &Keypair) -> Result<RevokeAllReport> {
        let o = owner.pubkey();
        if self.wallet(&o).await?.is_none() {
            return Err(Error::Account(format!(
                "{o} has no session-keys wallet: it never granted a session"
            )));
        }
        let first = self
            .send(&[ix::revoke_all_sessions(&o, &[])], &[owner])
            .await?;
        let event = self.revoked_event(&first, &o).await?;
        let mut report = RevokeAllReport {
            signatures: vec![first],
            nonce: event.nonce,
            message_counter: event.message_counter,
            revoked: event.revoked_delegations,
            skipped: event.skipped_delegations,
            frozen: Vec::new(),
            failed: Vec::new(),
        };
        let mut pairs = Vec::new();
        for a in self.delegated_token_accounts(&o).await? {
            if a.frozen {
                report.frozen.push(a.address);
            } else {
                pairs.push((a.address, a.token_program));
            }
        }
        for chunk in pairs.chunks(REVOKES_PER_TX) {
            let sent = self
                .send(&[ix::revoke_all_sessions(&o, chunk)], &[owner])
                .await;
            let event = match sent {
                Ok(signature) => {
                    report.signatures.push(signature);
                    self.revoked_event(&signature, &o).await
                }
                Err(e) => Err(e),
            };
            match event {
                Ok(e) => {
                    report.nonce = e.nonce;
                    report.message_counter = e.message_counter;
                    report.revoked.extend(e.revoked_delegations);
                    report.skipped.extend(e.skipped_delegations);
                }
                Err(e) => report
                    .failed
                    .push((chunk.iter().map(|(a, _)| *a).collect(), e)),
            }
        }
        Ok(report)
    }
}
