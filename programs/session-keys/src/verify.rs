//! Verify-in-target: another program accepts a session key in place of the owner's signature.
//!
//! Depend on `session-keys` with the `cpi` feature and `use session_keys::verify::*;` (the
//! glob brings the client modules Anchor's derive needs for a composite accounts struct from
//! another crate). Then either call [`verify_session`] /
//! [`owner_or_session`] from your `validate()`, or embed [`SessionAuth`] in your accounts
//! struct and call [`SessionAuth::authorize`]:
//!
//! ```ignore
//! #[derive(Accounts)]
//! pub struct Move<'info> {
//!     pub auth: session_keys::verify::SessionAuth<'info>,
//!     #[account(mut)]
//!     pub player: Account<'info, Player>,
//! }
//! // in the handler or validate(): the owner signs, or a live session of the owner allows it
//! ctx.accounts.auth.authorize(&ctx.accounts.player.owner, &crate::ID, instruction::Move::DISCRIMINATOR)?;
//! ```
//!
//! Clients: when the owner signs, leave `session` and `wallet` out the Anchor way, by passing the
//! *target* program's id in their place. (Anchor's generated client struct for `SessionAuth`
//! lives in session-keys and would put session-keys' id there, which the target reads as a
//! present account.)
//!
//! Verification reads two accounts and checks, in order: both are this program's (owner and
//! discriminator), both sit at their PDA (stored bumps, one `create_program_address` each),
//! they belong to `expected_owner`, the signer is the session key and signed, the session is
//! unexpired and not revoked by nonce, a use is left (never consumed here: the session is not
//! writable in the target's instruction), and the session's program scope allows `program_id` with
//! this instruction data (argument rules included; account rules against `accounts`). It
//! consumes no uses and moves no funds: nothing of the owner's passes through session-keys.
//!
//! One key, two owners: a session key is a bearer credential for every session it was granted.
//! If the same key holds sessions of two owners, a program that receives the key's signature
//! for owner 1 (through `pass_session_signer`) can also act as owner 2 through
//! verify-in-target. Never reuse a session key across owners (the TypeScript SDK's session
//! wallet generates and stores one key per owner per app).
use crate::{
    constants::{SESSION_SEED, WALLET_SEED},
    errors::SessionError,
    policy,
    state::{Session, Wallet},
};
use anchor_lang::prelude::*;

/// Checks that `signer` may act for `expected_owner` in `program_id`'s instruction
/// `instruction_data` through the session in `session` (see the module docs for the order of
/// checks). `accounts` are the instruction's account keys, for account rules (pass `&[]` if the
/// scope has none for this instruction).
pub fn verify_session(
    session: &AccountInfo,
    wallet: &AccountInfo,
    signer: &AccountInfo,
    expected_owner: &Pubkey,
    program_id: &Pubkey,
    instruction_data: &[u8],
    accounts: &[Pubkey],
) -> Result<()> {
    require_keys_eq!(
        *session.owner,
        crate::ID,
        SessionError::InvalidSessionAccount
    );
    require_keys_eq!(*wallet.owner, crate::ID, SessionError::WrongWallet);
    let s = {
        let data = session.try_borrow_data()?;
        Session::try_deserialize(&mut &data[..]).map_err(|_| SessionError::InvalidSessionAccount)?
    };
    let w = {
        let data = wallet.try_borrow_data()?;
        Wallet::try_deserialize(&mut &data[..]).map_err(|_| SessionError::WrongWallet)?
    };
    let session_pda = Pubkey::create_program_address(
        &[
            SESSION_SEED,
            s.owner.as_ref(),
            s.session_key.as_ref(),
            &[s.bump],
        ],
        &crate::ID,
    )
    .map_err(|_| SessionError::InvalidSessionAccount)?;
    require_keys_eq!(
        session_pda,
        *session.key,
        SessionError::InvalidSessionAccount
    );
    let wallet_pda =
        Pubkey::create_program_address(&[WALLET_SEED, w.owner.as_ref(), &[w.bump]], &crate::ID)
            .map_err(|_| SessionError::WrongWallet)?;
    require_keys_eq!(wallet_pda, *wallet.key, SessionError::WrongWallet);
    require_keys_eq!(s.owner, *expected_owner, SessionError::SessionOwnerMismatch);
    require_keys_eq!(w.owner, s.owner, SessionError::WrongWallet);
    require!(
        signer.is_signer && *signer.key == s.session_key,
        SessionError::WrongSessionKey
    );
    // Verification never consumes a use (the session is not writable here), but a session
    // whose uses are exhausted is dead on every path.
    s.check_usable(Clock::get()?.unix_timestamp, w.nonce)?;
    policy::check_call(&s.programs, program_id, instruction_data, |i| {
        accounts.get(i)
    })?;
    Ok(())
}

/// "The owner signs, or a valid session key of the owner signs": succeeds at once if `signer`
/// is `expected_owner` and signed; otherwise needs `session` and `wallet` and runs
/// [`verify_session`].
pub fn owner_or_session(
    signer: &AccountInfo,
    expected_owner: &Pubkey,
    session: Option<&AccountInfo>,
    wallet: Option<&AccountInfo>,
    program_id: &Pubkey,
    instruction_data: &[u8],
    accounts: &[Pubkey],
) -> Result<()> {
    if signer.is_signer && signer.key == expected_owner {
        return Ok(());
    }
    let (Some(session), Some(wallet)) = (session, wallet) else {
        return err!(SessionError::NotOwnerOrSession);
    };
    verify_session(
        session,
        wallet,
        signer,
        expected_owner,
        program_id,
        instruction_data,
        accounts,
    )
}

/// Accounts to embed in a target program's instruction: the signer (owner or session key) and,
/// when a session key signs, its session and the owner's wallet account.
#[derive(Accounts)]
pub struct SessionAuth<'info> {
    /// The owner, or a session key of the owner.
    pub signer: Signer<'info>,
    /// CHECK: verified by [`SessionAuth::authorize`] (owner program, discriminator, PDA).
    pub session: Option<UncheckedAccount<'info>>,
    /// CHECK: verified by [`SessionAuth::authorize`] (owner program, discriminator, PDA).
    pub wallet: Option<UncheckedAccount<'info>>,
}

impl SessionAuth<'_> {
    /// [`owner_or_session`] on these accounts, without account rules.
    pub fn authorize(
        &self,
        expected_owner: &Pubkey,
        program_id: &Pubkey,
        instruction_data: &[u8],
    ) -> Result<()> {
        owner_or_session(
            &self.signer,
            expected_owner,
            self.session.as_deref(),
            self.wallet.as_deref(),
            program_id,
            instruction_data,
            &[],
        )
    }
}
