use crate::emit;
use crate::{
    constants::*,
    errors::SessionError,
    events::MessageGrantUsed,
    instructions::grant_session::{check_session_key, store_session},
    policy::{
        message::{ed25519, instructions_sysvar, signed_message},
        MessageContext,
    },
    state::{Session, SessionKeys, Wallet},
};
use anchor_lang::compat::solana_instructions_sysvar as ix_sysvar;
use anchor_lang::prelude::*;

pub use crate::policy::{MessageEnvelope, MessageGrantArgs};

/// The Ed25519 signature-verification precompile.
pub const ED25519_PROGRAM_ID: Pubkey =
    anchor_lang::pubkey!("Ed25519SigVerify111111111111111111111111111");

/// Creates the same session as `create_session` from the owner's signed grant message, with no
/// owner signature in the transaction: a sponsor pays the fee and the rent (and gets the rent
/// back at close), the session key co-signs. The owner's consent is an Ed25519 signature,
/// verified by the one Ed25519 precompile instruction placed right before this one; the program
/// rebuilds the message from the arguments ([`signed_message`]) and compares bytes.
///
/// A message creates at most one session, ever: its number must equal the wallet's
/// `message_counter`, which then goes up by one (and `revoke_all_sessions` bumps it too). It
/// cannot top up the session key or approve a token delegation. docs/message-grant.md is the
/// specification.
#[derive(Accounts)]
#[instruction(args: MessageGrantArgs)]
pub struct CreateSessionFromMessage<'info> {
    /// Pays the fee, the session's rent (refunded to it at close) and the wallet's rent on the
    /// owner's first session.
    #[account(mut)]
    pub sponsor: Signer<'info>,
    /// The session key: it signs, so only the app holding it can use the message.
    pub session_key: Signer<'info>,
    /// The owner: not a signer of the transaction; their consent is the Ed25519-verified
    /// message, checked in the handler against this key.
    /// CHECK: see above (`check_signature`).
    pub owner: UncheckedAccount<'info>,
    /// The new session.
    #[account(
        init,
        payer = sponsor,
        space = args.space(),
        seeds = [SESSION_SEED, owner.key().as_ref(), session_key.key().as_ref()],
        bump,
    )]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account, created on first use.
    #[account(
        init_if_needed,
        payer = sponsor,
        space = Wallet::SPACE,
        seeds = [WALLET_SEED, owner.key().as_ref()],
        bump,
    )]
    pub wallet: Box<Account<'info, Wallet>>,
    /// The instructions sysvar, read for the Ed25519 instruction.
    /// CHECK: address-checked.
    #[account(address = ix_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl CreateSessionFromMessage<'_> {
    /// The owner's vault and its bump: from the stored bump of an existing wallet
    /// ([`Wallet::vault`]); searched once for a new one (creation only, never a session-signed
    /// path).
    fn vault(&self, owner: &Pubkey) -> Result<(Pubkey, u8)> {
        if self.wallet.version == 0 {
            Ok(Pubkey::find_program_address(
                &[VAULT_SEED, owner.as_ref()],
                &crate::ID,
            ))
        } else {
            Ok((self.wallet.vault()?, self.wallet.vault_bump))
        }
    }

    fn validate_keys(&self, vault: &Pubkey) -> Result<()> {
        let key = self.session_key.key;
        require_keys_neq!(*self.sponsor.key, *key, SessionError::SponsorIsSessionKey);
        check_session_key(self.owner.key, key, vault, &self.wallet.key())
    }

    /// Checks that the one Ed25519 instruction of the transaction sits right before this one,
    /// verified `expected` and was signed by the owner. Anything else is refused: missing,
    /// after this one, several, another signer, or a key, signature or message read from
    /// another instruction.
    fn check_signature(&self, expected: &[u8]) -> Result<()> {
        let sysvar = self.instructions.to_account_info();
        let current = usize::from(ix_sysvar::load_current_index_checked(&sysvar)?);
        let data = sysvar.try_borrow_data()?;
        let count = instructions_sysvar::count(&data).ok_or(SessionError::MessageEd25519Missing)?;
        let mut ed25519_count = 0usize;
        for i in 0..count {
            let (program, _) = instructions_sysvar::instruction_at(&data, i)
                .ok_or(SessionError::MessageEd25519Missing)?;
            if program == ED25519_PROGRAM_ID {
                ed25519_count = ed25519_count.saturating_add(1);
            }
        }
        require!(ed25519_count <= 1, SessionError::MessageEd25519NotUnique);
        let (_, ed25519_data) = current
            .checked_sub(1)
            .and_then(|i| instructions_sysvar::instruction_at(&data, i))
            .filter(|(program, _)| *program == ED25519_PROGRAM_ID)
            .ok_or(SessionError::MessageEd25519Missing)?;
        let (signer, message) = ed25519::parse(ed25519_data)?;
        require_keys_eq!(
            signer,
            self.owner.key(),
            SessionError::MessageSignerNotOwner
        );
        require!(message == expected, SessionError::MessageMismatch);
        Ok(())
    }

    /// Checks the keys, the grant, the message's text fields, the Ed25519 instruction, the
    /// signer, the message bytes, its number and its deadline, in that order; then writes the
    /// session and bumps the wallet's message counter.
    pub fn handler(ctx: Context<Self>, args: MessageGrantArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let a = ctx.accounts;
        let owner = a.owner.key();
        let (vault, vault_bump) = a.vault(&owner)?;
        a.validate_keys(&vault)?;
        let grant = args.to_create_args().into_grant(now)?;
        args.check_text()?;
        let expected = signed_message(
            &args,
            &MessageContext {
                program_id: &crate::ID,
                cluster: CLUSTER,
                owner: &owner,
                session_key: &a.session_key.key(),
            },
        )?;
        a.check_signature(&expected)?;
        a.wallet.init_if_new(owner, ctx.bumps.wallet, vault_bump);
        require!(
            args.message_number == a.wallet.message_counter,
            SessionError::MessageNumberMismatch
        );
        require!(now < args.valid_until, SessionError::MessageExpired);
        a.wallet.message_counter = a
            .wallet
            .message_counter
            .checked_add(1)
            .ok_or(SessionError::MathOverflow)?;

        let keys = SessionKeys {
            bump: ctx.bumps.session,
            owner,
            session_key: a.session_key.key(),
            payer: a.sponsor.key(),
        };
        store_session(&mut a.session, grant, keys, now, a.wallet.nonce, 0, 0)?;
        emit!(MessageGrantUsed {
            owner,
            session: a.session.key(),
            sponsor: a.sponsor.key(),
            message_number: args.message_number,
        });
        Ok(())
    }
}
