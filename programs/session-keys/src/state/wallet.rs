//! Per-owner bookkeeping: the revocation nonce, the signed-message counter, and the bumps of
//! the vault and the budget.
use crate::{
    constants::{ACCOUNT_VERSION, BUDGET_SEED, VAULT_SEED, WALLET_SEED},
    errors::SessionError,
};
use anchor_lang::prelude::*;

/// The message counter `revoke_all_sessions` draws keeps this many bits: every value is an
/// exact JavaScript number (at most `Number.MAX_SAFE_INTEGER`), so a wallet or SDK reads,
/// shows and signs it without rounding.
pub const MESSAGE_COUNTER_BITS: u32 = 53;
/// `2^MESSAGE_COUNTER_BITS - 1`.
const MESSAGE_COUNTER_MASK: u64 = (1 << MESSAGE_COUNTER_BITS) - 1;

/// Per-owner account, PDA `["wallet", owner]`, created by the owner's first session
/// (`create_session` or `create_session_from_message`) and never closed, so its counters
/// survive every session.
///
/// | bytes | field |
/// |---|---|
/// | 8 | Anchor discriminator |
/// | 1 | `version` |
/// | 1 | `bump` |
/// | 1 | `vault_bump` |
/// | 32 | `owner` |
/// | 8 | `nonce` |
/// | 8 | `message_counter` |
/// | 1 | `budget_bump` |
#[account]
#[derive(Debug, PartialEq, Eq)]
pub struct Wallet {
    /// Layout version, [`ACCOUNT_VERSION`].
    pub version: u8,
    /// Canonical bump of this PDA.
    pub bump: u8,
    /// Canonical bump of the owner's vault PDA `["vault", owner]`.
    pub vault_bump: u8,
    /// The owner.
    pub owner: Pubkey,
    /// Revocation nonce: sessions created under another value are dead.
    pub nonce: u64,
    /// The number the owner's next signed grant message must carry: each accepted message adds
    /// one, so a message creates at most one session, ever; `revoke_all_sessions` replaces it
    /// with an unpredictable value ([`Wallet::message_counter_after_revoke`]), so no message
    /// signed before the revocation, whatever its number, is ever accepted.
    pub message_counter: u64,
    /// Canonical bump of the owner's budget PDA `["budget", owner]`, found once when the
    /// wallet is created, so the session gate checks the budget's address with one hash.
    pub budget_bump: u8,
}

impl Wallet {
    /// Seed prefix.
    pub const SEED: &'static [u8] = WALLET_SEED;
    /// Account size in bytes (discriminator included).
    pub const SPACE: usize = 8 + 1 + 1 + 1 + 32 + 8 + 8 + 1;

    /// Fills a freshly created wallet; an existing one is left untouched.
    pub fn init_if_new(&mut self, owner: Pubkey, bump: u8, vault_bump: u8) {
        if self.version == 0 {
            self.version = ACCOUNT_VERSION;
            self.bump = bump;
            self.vault_bump = vault_bump;
            self.owner = owner;
            self.nonce = 0;
            self.message_counter = 0;
            self.budget_bump =
                Pubkey::find_program_address(&[BUDGET_SEED, owner.as_ref()], &crate::ID).1;
        }
    }

    /// This owner's vault address, from the stored bump (one `create_program_address`, no
    /// search).
    pub fn vault(&self) -> Result<Pubkey> {
        Ok(Pubkey::create_program_address(
            &[VAULT_SEED, self.owner.as_ref(), &[self.vault_bump]],
            &crate::ID,
        )
        .map_err(|_| SessionError::WrongVault)?)
    }

    /// This owner's budget address, from the stored bump (one `create_program_address`).
    pub fn budget(&self) -> Result<Pubkey> {
        Ok(Pubkey::create_program_address(
            &[BUDGET_SEED, self.owner.as_ref(), &[self.budget_bump]],
            &crate::ID,
        )
        .map_err(|_| SessionError::WrongBudget)?)
    }

    /// Checks that `budget` is this owner's budget PDA ([`Wallet::budget`]), whether or not
    /// the account exists yet.
    pub fn check_budget(&self, budget: &Pubkey) -> Result<()> {
        require_keys_eq!(self.budget()?, *budget, SessionError::WrongBudget);
        Ok(())
    }

    /// Checks that `vault` is this owner's vault PDA ([`Wallet::vault`]).
    pub fn check_vault(&self, vault: &Pubkey) -> Result<()> {
        require_keys_eq!(self.vault()?, *vault, SessionError::WrongVault);
        Ok(())
    }

    /// The message counter after `revoke_all_sessions`: the low 53 bits of the first 8 bytes
    /// (little-endian) of SHA-256(domain tag, owner, old counter, slot, unix time), so the
    /// number is exact as a JavaScript number and a wallet can show and sign it as is.
    /// Numbers are otherwise sequential, so a plain `+ 1` would let a message signed in
    /// advance with the next number (say, phished) survive the revocation, and even become
    /// valid through it; a value that depends on the slot of the revocation cannot be signed
    /// in advance. Never the old value.
    pub fn message_counter_after_revoke(
        owner: &Pubkey,
        counter: u64,
        slot: u64,
        unix_time: i64,
    ) -> u64 {
        let hash = solana_sha256_hasher::hashv(&[
            b"session-keys:revoke-all",
            owner.as_ref(),
            &counter.to_le_bytes(),
            &slot.to_le_bytes(),
            &unix_time.to_le_bytes(),
        ])
        .to_bytes();
        let next = hash
            .first_chunk::<8>()
            .map_or(0, |b| u64::from_le_bytes(*b))
            & MESSAGE_COUNTER_MASK;
        if next == counter {
            counter.wrapping_add(1) & MESSAGE_COUNTER_MASK
        } else {
            next
        }
    }

    /// Signer seeds of the vault, for `invoke_signed`.
    pub fn vault_seeds(&self) -> [&[u8]; 3] {
        [
            VAULT_SEED,
            self.owner.as_ref(),
            core::slice::from_ref(&self.vault_bump),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_matches_serialized_size() {
        let w = Wallet {
            version: 1,
            bump: 1,
            vault_bump: 1,
            owner: Pubkey::new_unique(),
            nonce: 9,
            message_counter: 4,
            budget_bump: 1,
        };
        let mut buf = Vec::new();
        w.try_serialize(&mut buf).unwrap();
        assert_eq!(buf.len(), Wallet::SPACE);
        assert_eq!(Wallet::SPACE, 60);
    }

    #[test]
    fn the_counter_after_revoke_depends_on_everything_and_never_repeats() {
        let owner = Pubkey::new_from_array([3; 32]);
        let base = Wallet::message_counter_after_revoke(&owner, 5, 100, 1_800_000_000);
        assert_ne!(base, 5);
        assert_ne!(base, 6);
        for other in [
            Wallet::message_counter_after_revoke(
                &Pubkey::new_from_array([4; 32]),
                5,
                100,
                1_800_000_000,
            ),
            Wallet::message_counter_after_revoke(&owner, 6, 100, 1_800_000_000),
            Wallet::message_counter_after_revoke(&owner, 5, 101, 1_800_000_000),
            Wallet::message_counter_after_revoke(&owner, 5, 100, 1_800_000_001),
        ] {
            assert_ne!(other, base);
        }
        assert_eq!(
            Wallet::message_counter_after_revoke(&owner, 5, 100, 1_800_000_000),
            base,
            "deterministic"
        );
    }

    #[test]
    fn the_counter_after_revoke_keeps_53_bits() {
        const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991; // 2^53 - 1, JavaScript's
        assert_eq!(MESSAGE_COUNTER_MASK, MAX_SAFE_INTEGER);
        let owner = Pubkey::new_from_array([7; 32]);
        let mut high_bits_seen = false;
        for slot in 0..2_000u64 {
            let raw = solana_sha256_hasher::hashv(&[
                b"session-keys:revoke-all",
                owner.as_ref(),
                &0u64.to_le_bytes(),
                &slot.to_le_bytes(),
                &0i64.to_le_bytes(),
            ])
            .to_bytes();
            let full = u64::from_le_bytes(raw[..8].try_into().unwrap());
            high_bits_seen |= full > MAX_SAFE_INTEGER;
            let counter = Wallet::message_counter_after_revoke(&owner, 0, slot, 0);
            assert!(counter <= MAX_SAFE_INTEGER, "slot {slot}: {counter}");
            assert_eq!(counter, full & MAX_SAFE_INTEGER);
        }
        assert!(
            high_bits_seen,
            "the hash does set the bits that are dropped"
        );
    }
}
