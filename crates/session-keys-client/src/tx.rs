//! Transactions signed by the session key alone (it pays the fee too).
use anchor_lang::solana_program::instruction::Instruction;
use solana_sdk::{hash::Hash, signature::Keypair, signer::Signer, transaction::Transaction};

/// A legacy transaction carrying `instructions`, paid for and signed by the session key.
pub fn session_signed(
    instructions: &[Instruction],
    session_key: &Keypair,
    recent_blockhash: Hash,
) -> Transaction {
    Transaction::new_signed_with_payer(
        instructions,
        Some(&session_key.pubkey()),
        &[session_key],
        recent_blockhash,
    )
}
