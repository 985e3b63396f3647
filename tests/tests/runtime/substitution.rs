//! Account substitution, swept: every account of every instruction replaced by (a) a key with
//! no account, (b) the matching account of another owner, (c) an account owned by another
//! program; each is refused with its exact error and nothing moves.
use anchor_lang::error::ErrorCode as Anchor;
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix::{self, DelegateFrom},
        pda,
        scope::{caps, program, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::TransactionError,
};

/// What a substituted call must fail with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Session(SessionError),
    Anchor(Anchor),
}

impl Expect {
    fn result(&self) -> Result<(), TransactionError> {
        let e = match self {
            Self::Session(e) => code(*e),
            Self::Anchor(e) => *e as u32,
        };
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(e),
        ))
    }
}

/// Two owners, each with a live session (mint + SOL + the game), funded vaults, delegated
/// token accounts and vault token accounts.
struct World {
    env: TestEnv,
    /// Owner B, their session key, token account and vault token account.
    b: Keypair,
    key_b: Keypair,
    b_ata: Pubkey,
    vault_ata: Pubkey,
    b_vault_ata: Pubkey,
    /// A program-owned account of the hostile program (a "PDA of another program").
    foreign: Pubkey,
}

async fn world() -> World {
    let mut env = TestEnv::new().await;
    let mint = env.mint;
    let b = env.stranger.insecure_clone();
    let key_b = Keypair::new();
    let b_ata = env.create_token_account(&mint, &b.pubkey()).await;
    env.mint_to(&mint, &b_ata, 100 * TOKEN).await;
    let mut vault_atas = Vec::new();
    for (owner, key, ata) in [
        (env.owner.insecure_clone(), env.key.pubkey(), env.owner_ata),
        (b.insecure_clone(), key_b.pubkey(), b_ata),
    ] {
        let o = owner.pubkey();
        let vault = pda::vault(&o).0;
        let vault_ata = env.create_token_account(&mint, &vault).await;
        env.mint_to(&mint, &vault_ata, 10 * TOKEN).await;
        vault_atas.push(vault_ata);
        let args = Scope::until(START + 3600)
            .mint(mint, caps(50 * TOKEN))
            .sol(caps(SOL))
            .program(program(example_game::ID))
            .delegate(50 * TOKEN)
            .build(START)
            .unwrap();
        let delegate = DelegateFrom {
            token_account: ata,
            token_program: anchor_spl::token::ID,
        };
        let create = ix::create_session(&o, &o, &key, args, Some(delegate));
        env.send(&[ix::deposit_sol(&o, 2 * SOL), create], &[&owner])
            .await
            .unwrap();
    }
    // Any account the hostile program owns will do: a session-shaped copy at its own PDA.
    let foreign = Pubkey::find_program_address(&[b"session"], &hostile_target::ID).0;
    let session_a = pda::session(&env.owner.pubkey(), &env.key.pubkey()).0;
    let mut copy = env.account(&session_a).await.unwrap();
    copy.owner = hostile_target::ID;
    env.ctx.set_account(&foreign, &copy.into());
    World {
        env,
        b,
        key_b,
        b_ata,
        vault_ata: vault_atas[0],
        b_vault_ata: vault_atas[1],
        foreign,
    }
}

impl World {
    /// Every balance, lamport count and session counter an attack could change.
    async fn state(&mut self) -> Vec<u64> {
        let (a, b) = (self.env.owner.pubkey(), self.b.pubkey());
        let tokens = [
            self.env.owner_ata,
            self.b_ata,
            self.vault_ata,
            self.b_vault_ata,
            self.env.recipient_ata,
        ];
        let keys = [
            pda::vault(&a).0,
            pda::vault(&b).0,
            pda::session(&a, &self.env.key.pubkey()).0,
        ];
        let mut out = self.env.snapshot(&tokens, &keys).await;
        for (o, k) in [(a, self.env.key.pubkey()), (b, self.key_b.pubkey())] {
            let s = self.env.session_of(&o, &k).await.unwrap();
            out.extend([
                u64::from(s.uses),
                s.mints[0].allowance.spent,
                s.sol.unwrap().spent,
            ]);
            out.push(self.env.wallet_of(&o).await.unwrap().nonce);
        }
        out
    }

    /// Sends `i` with account `index` replaced by `substitute`, signed by `signers`.
    async fn sweep(
        &mut self,
        name: &str,
        i: &Instruction,
        signers: &[&Keypair],
        cases: &[(usize, Pubkey, Expect)],
    ) {
        for (index, substitute, expected) in cases {
            let (index, substitute) = (*index, *substitute);
            let mut forged = i.clone();
            forged.accounts[index].pubkey = substitute;
            let before = self.state().await;
            let result = self.env.send(&[forged], signers).await;
            assert_eq!(
                result,
                expected.result(),
                "{name}: account {index} replaced by {substitute}"
            );
            assert_eq!(
                self.state().await,
                before,
                "{name}: account {index}: nothing moved"
            );
        }
    }
}

use Expect::{Anchor as A, Session as S};

#[tokio::test]
async fn transfer_token_every_account() {
    let mut w = world().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let i = w.env.transfer_ix(TOKEN).await;
    let key = w.env.key.insecure_clone();
    let nobody = Pubkey::new_unique();
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (
            1,
            pda::session(&b, &w.key_b.pubkey()).0,
            S(SessionError::WrongSessionKey),
        ),
        (1, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (
            1,
            pda::wallet(&a).0,
            A(Anchor::AccountDiscriminatorMismatch),
        ),
        (2, nobody, A(Anchor::AccountNotInitialized)),
        (2, pda::wallet(&b).0, S(SessionError::WrongWallet)),
        (2, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (3, nobody, S(SessionError::WrongVault)),
        (3, pda::vault(&b).0, S(SessionError::WrongVault)),
        (4, nobody, S(SessionError::WrongBudget)),
        (4, pda::budget(&b).0, S(SessionError::WrongBudget)),
        (
            4,
            Pubkey::find_program_address(&[b"budget", a.as_ref()], &hostile_target::ID).0,
            S(SessionError::WrongBudget),
        ),
        (
            3,
            Pubkey::find_program_address(&[b"vault", a.as_ref()], &hostile_target::ID).0,
            S(SessionError::WrongVault),
        ),
        (5, nobody, A(Anchor::AccountNotInitialized)),
        (5, w.b_ata, S(SessionError::WrongSourceAccount)),
        (5, w.b_vault_ata, S(SessionError::WrongSourceAccount)),
        (5, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (6, nobody, S(SessionError::MintNotInScope)),
        (6, w.foreign, S(SessionError::MintNotInScope)),
        (7, nobody, A(Anchor::AccountNotInitialized)),
        (7, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (
            8,
            anchor_lang::system_program::ID,
            A(Anchor::InvalidProgramId),
        ),
        (8, hostile_target::ID, A(Anchor::InvalidProgramId)),
    ];
    w.sweep("transfer_token", &i, &[&key], &cases).await;
}

#[tokio::test]
async fn transfer_sol_every_account() {
    let mut w = world().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let i = ix::transfer_sol(&w.env.key.pubkey(), &a, &w.env.recipient, SOL / 10);
    let key = w.env.key.insecure_clone();
    let nobody = Pubkey::new_unique();
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (
            1,
            pda::session(&b, &w.key_b.pubkey()).0,
            S(SessionError::WrongSessionKey),
        ),
        (1, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (2, pda::wallet(&b).0, S(SessionError::WrongWallet)),
        (2, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (3, nobody, S(SessionError::WrongVault)),
        (3, pda::vault(&b).0, S(SessionError::WrongVault)),
        (4, nobody, S(SessionError::WrongBudget)),
        (4, pda::budget(&b).0, S(SessionError::WrongBudget)),
        (
            4,
            Pubkey::find_program_address(&[b"budget", a.as_ref()], &hostile_target::ID).0,
            S(SessionError::WrongBudget),
        ),
        (6, hostile_target::ID, A(Anchor::InvalidProgramId)),
    ];
    w.sweep("transfer_sol", &i, &[&key], &cases).await;
}

#[tokio::test]
async fn execute_every_fixed_account() {
    let mut w = world().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let vault = pda::vault(&a).0;
    let i = ix::execute(&w.env.key.pubkey(), &a, &[game::create_player(&vault)]);
    let key = w.env.key.insecure_clone();
    let nobody = Pubkey::new_unique();
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (
            1,
            pda::session(&b, &w.key_b.pubkey()).0,
            S(SessionError::WrongSessionKey),
        ),
        (1, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (2, pda::wallet(&b).0, S(SessionError::WrongWallet)),
        (3, nobody, S(SessionError::WrongVault)),
        (3, pda::vault(&b).0, S(SessionError::WrongVault)),
        (4, nobody, S(SessionError::WrongBudget)),
        (4, pda::budget(&b).0, S(SessionError::WrongBudget)),
        (
            4,
            Pubkey::find_program_address(&[b"budget", a.as_ref()], &hostile_target::ID).0,
            S(SessionError::WrongBudget),
        ),
        // The inner call's authority: A's session signs only for A's vault, so B's vault reaches
        // the game as a non-signer and the game's own signer check refuses it.
        (6, pda::vault(&b).0, A(Anchor::AccountNotSigner)),
    ];
    w.sweep("execute", &i, &[&key], &cases).await;
}

#[tokio::test]
async fn owner_instructions_every_account() {
    let mut w = world().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let key = w.env.key.pubkey();
    let owner = w.env.owner.insecure_clone();
    let nobody = Pubkey::new_unique();

    let revoke = ix::revoke_session(&a, &a, &key, &a);
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (
            1,
            pda::session(&b, &w.key_b.pubkey()).0,
            S(SessionError::UnauthorizedRevoker),
        ),
        (1, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (
            1,
            pda::wallet(&a).0,
            A(Anchor::AccountDiscriminatorMismatch),
        ),
        (2, nobody, S(SessionError::WrongRentPayer)),
        (2, b, S(SessionError::WrongRentPayer)),
    ];
    w.sweep("revoke_session", &revoke, &[&owner], &cases).await;

    let revoke_all = ix::revoke_all_sessions(&a, &[]);
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (1, pda::wallet(&b).0, S(SessionError::NotOwner)),
        (1, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (
            1,
            pda::session(&a, &key).0,
            A(Anchor::AccountDiscriminatorMismatch),
        ),
    ];
    w.sweep("revoke_all_sessions", &revoke_all, &[&owner], &cases)
        .await;

    let withdraw = ix::withdraw_sol(&a, &a, SOL / 10);
    let cases = [
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (1, pda::wallet(&b).0, S(SessionError::NotOwner)),
        (2, nobody, S(SessionError::WrongVault)),
        (2, pda::vault(&b).0, S(SessionError::WrongVault)),
        (4, hostile_target::ID, A(Anchor::InvalidProgramId)),
    ];
    w.sweep("withdraw_sol", &withdraw, &[&owner], &cases).await;

    let (mint, owner_ata) = (w.env.mint, w.env.owner_ata);
    let t = w
        .env
        .transfer_accounts(&w.vault_ata.clone(), &mint, &owner_ata)
        .await;
    let withdraw_token = ix::withdraw_token(&a, t, TOKEN, DECIMALS);
    let cases = [
        (1, pda::wallet(&b).0, S(SessionError::NotOwner)),
        (2, pda::vault(&b).0, S(SessionError::WrongVault)),
        (3, w.b_vault_ata, S(SessionError::WrongSourceAccount)),
        // The destination itself as the source: Anchor refuses duplicate mutable accounts.
        (3, owner_ata, A(Anchor::ConstraintDuplicateMutableAccount)),
        (3, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (
            6,
            anchor_lang::system_program::ID,
            A(Anchor::InvalidProgramId),
        ),
    ];
    w.sweep("withdraw_token", &withdraw_token, &[&owner], &cases)
        .await;

    let deposit = ix::deposit_sol(&a, SOL);
    let cases = [
        (1, pda::vault(&b).0, A(Anchor::ConstraintSeeds)),
        (1, nobody, A(Anchor::ConstraintSeeds)),
        (2, hostile_target::ID, A(Anchor::InvalidProgramId)),
    ];
    w.sweep("deposit_sol", &deposit, &[&owner], &cases).await;
}

#[tokio::test]
async fn close_and_create_every_account() {
    let mut w = world().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let key = w.env.key.pubkey();
    w.env.set_time(START + 3600).await;
    let payer = w.env.ctx.payer.insecure_clone();
    let close = ix::close_session(&a, &key, &a);
    let nobody = Pubkey::new_unique();
    let cases = [
        (0, nobody, A(Anchor::AccountNotInitialized)),
        (0, w.foreign, A(Anchor::AccountOwnedByWrongProgram)),
        (1, pda::wallet(&b).0, S(SessionError::WrongWallet)),
        (1, nobody, A(Anchor::AccountNotInitialized)),
        (2, nobody, S(SessionError::WrongRentPayer)),
    ];
    w.sweep("close_session", &close, &[&payer], &cases).await;

    // create_session: PDAs that are not the ones of this owner and key.
    let owner = w.env.owner.insecure_clone();
    let new_key = Keypair::new().pubkey();
    let args = Scope::until(START + 7200)
        .sol(caps(1))
        .build(START + 3600)
        .unwrap();
    let create = ix::create_session(&a, &a, &new_key, args, None);
    let cases = [
        (3, pda::session(&a, &key).0, A(Anchor::ConstraintSeeds)),
        (3, nobody, A(Anchor::ConstraintSeeds)),
        (4, pda::wallet(&b).0, A(Anchor::ConstraintSeeds)),
        (5, pda::vault(&b).0, A(Anchor::ConstraintSeeds)),
    ];
    w.sweep("create_session", &create, &[&owner], &cases).await;
}
