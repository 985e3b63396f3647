//! The gasless grant (`create_session_from_message`): the message the owner signs, the Ed25519
//! instruction that carries their signature, and the sponsor's two instructions.
//!
//! The text and bytes come from the program's own builder
//! ([`session_keys::policy::message`]), so a client cannot drift from what the program
//! rebuilds. docs/message-grant.md is the specification.
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use session_keys::{errors::SessionError, instructions::MessageGrantArgs, policy::message};
use solana_sdk::{hash::Hash, signature::Signature, transaction::Transaction};

pub use session_keys::policy::message::{rules_hash, MessageContext};

/// The cluster name the host build (the tests, localnet) and the `localnet` feature put in
/// their messages. Builds with `mainnet`, `devnet` or `testnet` use `mainnet-beta`, `devnet`,
/// `testnet`.
pub const LOCALNET: &str = "localnet";

fn context<'a>(owner: &'a Pubkey, session_key: &'a Pubkey, cluster: &'a str) -> MessageContext<'a> {
    MessageContext {
        program_id: &session_keys::ID,
        cluster,
        owner,
        session_key,
    }
}

/// The text the owner's wallet shows for `args` (the message body).
pub fn grant_text(
    args: &MessageGrantArgs,
    owner: &Pubkey,
    session_key: &Pubkey,
    cluster: &str,
) -> Result<String, SessionError> {
    args.check_text()?;
    message::message_body(args, &context(owner, session_key, cluster))
}

/// The exact bytes the owner signs for `args`: the body in `args.envelope`. With a keypair,
/// `keypair.sign_message(&bytes)`; in a browser, Wallet Standard `solana:signMessage`.
pub fn grant_message(
    args: &MessageGrantArgs,
    owner: &Pubkey,
    session_key: &Pubkey,
    cluster: &str,
) -> Result<Vec<u8>, SessionError> {
    args.check_text()?;
    message::signed_message(args, &context(owner, session_key, cluster))
}

/// The Ed25519 precompile instruction verifying `signature` by `owner` over `message`, in the
/// one layout the program accepts (key, signature and message inside the instruction).
pub fn ed25519_instruction(owner: &Pubkey, signature: &Signature, message: &[u8]) -> Instruction {
    solana_ed25519_program::new_ed25519_instruction_with_signature(
        message,
        signature.as_array(),
        &owner.to_bytes(),
    )
}

/// The sponsor's two instructions, in order: the owner's Ed25519 instruction, then
/// `create_session_from_message`. The transaction is signed by `sponsor` (fee payer) and
/// `session_key`; compute-budget instructions may go before them, nothing between them.
pub fn sponsored_grant(
    sponsor: &Pubkey,
    owner: &Pubkey,
    session_key: &Pubkey,
    args: MessageGrantArgs,
    signature: &Signature,
    cluster: &str,
) -> Result<[Instruction; 2], SessionError> {
    let message = grant_message(&args, owner, session_key, cluster)?;
    Ok([
        ed25519_instruction(owner, signature, &message),
        ix::create_session_from_message(sponsor, owner, session_key, args),
    ])
}

/// The sponsor's transaction, unsigned: [`sponsored_grant`]'s two instructions, paid by
/// `sponsor`. The session key and the sponsor each sign it (`Transaction::partial_sign`), in
/// either order: the app with its session key, then the sponsor after checking it.
pub fn sponsored_transaction(
    sponsor: &Pubkey,
    owner: &Pubkey,
    session_key: &Pubkey,
    args: MessageGrantArgs,
    signature: &Signature,
    cluster: &str,
    recent_blockhash: Hash,
) -> Result<Transaction, SessionError> {
    let ixs = sponsored_grant(sponsor, owner, session_key, args, signature, cluster)?;
    let mut tx = Transaction::new_with_payer(&ixs, Some(sponsor));
    tx.message.recent_blockhash = recent_blockhash;
    Ok(tx)
}
