//! Events: one per state change, so a wallet can list and audit sessions from logs alone.
use crate::{
    policy::{Allowance, MintAllowance, ProgramScope},
    state::Session,
};
use anchor_lang::prelude::*;

/// A session was created: the whole grant, so a wallet can audit a session from this event
/// alone.
#[event]
pub struct SessionCreated {
    /// Owner that granted it.
    pub owner: Pubkey,
    /// The session PDA.
    pub session: Pubkey,
    /// Key allowed to sign for it.
    pub session_key: Pubkey,
    /// Who paid its rent (gets it back at close).
    pub payer: Pubkey,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// Expiry (unix seconds).
    pub expires_at: i64,
    /// The owner's revocation nonce it was created under.
    pub nonce: u64,
    /// Most uses, the largest `u32` if unlimited.
    pub max_uses: u32,
    /// SOL caps (lifetime, per instruction, window), `None` if it may not move SOL.
    pub sol: Option<Allowance>,
    /// Caps per mint.
    pub mints: Vec<MintAllowance>,
    /// Destination allow-list of `transfer_*` (empty: any).
    pub destinations: Vec<Pubkey>,
    /// Programs it may call through `execute` and verify-in-target, with every rule.
    pub programs: Vec<ProgramScope>,
    /// Label for wallet UIs.
    pub label: String,
    /// Lamports sent from the owner to the session key for fees.
    pub top_up_lamports: u64,
    /// Amount the vault was approved as delegate for in this instruction, 0 if none.
    pub delegated_amount: u64,
}

impl SessionCreated {
    /// The event for a session just written at address `session`.
    pub fn of(
        session: &Session,
        address: Pubkey,
        top_up_lamports: u64,
        delegated_amount: u64,
    ) -> Self {
        SessionCreated {
            owner: session.owner,
            session: address,
            session_key: session.session_key,
            payer: session.payer,
            created_at: session.created_at,
            expires_at: session.expires_at,
            nonce: session.nonce,
            max_uses: session.max_uses,
            sol: session.sol,
            mints: session.mints.clone(),
            destinations: session.destinations.clone(),
            programs: session.programs.clone(),
            label: session.label.clone(),
            top_up_lamports,
            delegated_amount,
        }
    }
}

/// A session was revoked and closed by its owner or its session key.
#[event]
pub struct SessionRevoked {
    /// Owner.
    pub owner: Pubkey,
    /// The closed session PDA.
    pub session: Pubkey,
    /// Who revoked it (owner or session key).
    pub revoked_by: Pubkey,
}

/// Every session of the owner was revoked at once.
#[event]
pub struct AllSessionsRevoked {
    /// Owner.
    pub owner: Pubkey,
    /// The wallet's nonce from now on; sessions created under an older one are dead.
    pub nonce: u64,
    /// The wallet's new message counter: grant messages signed before are dead.
    pub message_counter: u64,
    /// Owner token accounts on which the vault's delegation was revoked.
    pub revoked_delegations: Vec<Pubkey>,
    /// Accounts listed in the instruction that were left alone, in the order given: not a
    /// token account as its token program reads it (a multisig, a mint, garbage), not the
    /// owner's, not delegated to the vault, frozen, read-only, or paired with another program.
    /// A client reports these as "not revoked", never as revoked.
    pub skipped_delegations: Vec<Pubkey>,
}

/// A dead (expired or revoked-by-nonce) session was closed and its rent refunded.
#[event]
pub struct SessionClosed {
    /// Owner.
    pub owner: Pubkey,
    /// The closed session PDA.
    pub session: Pubkey,
    /// Who received the rent.
    pub payer: Pubkey,
}

/// A session moved tokens.
#[event]
pub struct TokenTransferred {
    /// Owner.
    pub owner: Pubkey,
    /// The session that spent.
    pub session: Pubkey,
    /// Mint moved.
    pub mint: Pubkey,
    /// Source token account.
    pub from: Pubkey,
    /// Destination token account.
    pub to: Pubkey,
    /// Amount in base units.
    pub amount: u64,
    /// Lifetime allowance left for this mint.
    pub lifetime_remaining: u64,
    /// Allowance left in the current window (the largest `u64` if no window).
    pub window_remaining: u64,
    /// Uses left (the largest `u32` if unlimited).
    pub uses_remaining: u32,
    /// The client's payment reference (16 or 32 bytes), if it sent one: a server matches the
    /// payment to its request from this event alone.
    pub reference: Option<Vec<u8>>,
}

/// A session moved lamports out of the vault.
#[event]
pub struct SolTransferred {
    /// Owner.
    pub owner: Pubkey,
    /// The session that spent.
    pub session: Pubkey,
    /// Recipient.
    pub to: Pubkey,
    /// Lamports moved.
    pub amount: u64,
    /// Lifetime lamport allowance left.
    pub lifetime_remaining: u64,
    /// Lamports left in the current window (the largest `u64` if no window).
    pub window_remaining: u64,
    /// Uses left (the largest `u32` if unlimited).
    pub uses_remaining: u32,
    /// The client's payment reference (16 or 32 bytes), if it sent one: a server matches the
    /// payment to its request from this event alone.
    pub reference: Option<Vec<u8>>,
}

/// The owner moved lamports into the vault.
#[event]
pub struct SolDeposited {
    /// Owner.
    pub owner: Pubkey,
    /// Lamports deposited.
    pub amount: u64,
}

/// The owner took lamports out of the vault.
#[event]
pub struct SolWithdrawn {
    /// Owner.
    pub owner: Pubkey,
    /// Recipient.
    pub to: Pubkey,
    /// Lamports withdrawn.
    pub amount: u64,
}

/// The owner took tokens out of a vault-owned token account.
#[event]
pub struct TokenWithdrawn {
    /// Owner.
    pub owner: Pubkey,
    /// Mint.
    pub mint: Pubkey,
    /// Destination token account.
    pub to: Pubkey,
    /// Amount in base units.
    pub amount: u64,
}

/// A session called a program through `execute` (one event per inner call).
#[event]
pub struct Executed {
    /// Owner.
    pub owner: Pubkey,
    /// The session acting.
    pub session: Pubkey,
    /// Program called.
    pub program: Pubkey,
    /// First 8 bytes of the instruction data (zero-padded).
    pub discriminator: [u8; 8],
    /// Lamports that left the vault during this call.
    pub lamports: u64,
    /// Net tokens that left the owner's and vault's accounts during this call, per mint.
    pub tokens: Vec<MintAmount>,
    /// The client's payment reference (16 or 32 bytes), if it sent one: a server matches the
    /// payment to its request from this event alone.
    pub reference: Option<Vec<u8>>,
}

/// An amount of one mint.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintAmount {
    /// Mint.
    pub mint: Pubkey,
    /// Base units.
    pub amount: u64,
}

/// The owner closed an empty vault-owned token account and took its rent.
#[event]
pub struct VaultTokenAccountClosed {
    /// Owner.
    pub owner: Pubkey,
    /// The closed token account.
    pub token_account: Pubkey,
    /// Who received the rent.
    pub destination: Pubkey,
}

/// A session was created from the owner's signed grant message (`create_session_from_message`),
/// right after its `SessionCreated`.
#[event]
pub struct MessageGrantUsed {
    /// Owner who signed the message.
    pub owner: Pubkey,
    /// The session it created.
    pub session: Pubkey,
    /// Who paid (fee and rent).
    pub sponsor: Pubkey,
    /// The message's number; the wallet's counter is now one more.
    pub message_number: u64,
}

/// The owner set or changed the budget of one asset (`set_budget`).
#[event]
pub struct BudgetSet {
    /// Owner.
    pub owner: Pubkey,
    /// The mint, or the all-zero address for SOL.
    pub asset: Pubkey,
    /// Lifetime cap (the largest `u64` if only a window).
    pub lifetime_cap: u64,
    /// Window length in seconds (0: no window).
    pub window_secs: u32,
    /// Cap per window.
    pub window_cap: u64,
    /// Already counted against the lifetime cap (kept across changes).
    pub spent: u64,
}

/// The owner removed the budget of one asset (`remove_budget`).
#[event]
pub struct BudgetRemoved {
    /// Owner.
    pub owner: Pubkey,
    /// The mint, or the all-zero address for SOL.
    pub asset: Pubkey,
    /// Whether it was the last one (the budget account was closed, its rent returned).
    pub closed: bool,
}

/// A session's spend was counted against the owner's budget (after the session's own caps).
#[event]
pub struct BudgetCharged {
    /// Owner.
    pub owner: Pubkey,
    /// The session that spent.
    pub session: Pubkey,
    /// The mint, or the all-zero address for SOL.
    pub asset: Pubkey,
    /// Amount counted.
    pub amount: u64,
    /// Lifetime budget left (across all sessions).
    pub lifetime_remaining: u64,
    /// Left in the budget's current window (the largest `u64` if no window).
    pub window_remaining: u64,
}
