//! A hostile `execute` target tries every escape with the vault's signature. Each is refused
//! with its exact error and nothing moves, or (plain spending) is charged to the caps.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix,
        scope::{caps, program, Scope},
    },
    targets::{game, hostile},
    *,
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
    signer::Signer,
    transaction::TransactionError,
};

struct Victim {
    env: TestEnv,
    vault: Pubkey,
    /// Vault-owned token account of the default mint (50 tokens).
    vault_tokens: Pubkey,
    /// Empty vault-owned token account of the default mint.
    empty_tokens: Pubkey,
    /// Thief's token account of the default mint.
    thief_tokens: Pubkey,
    thief: Pubkey,
}

/// Vault with 1 SOL and 50 tokens; the owner's account delegated to the vault for 100 tokens;
/// a session that may call the hostile program freely, with 0.01 SOL and 5 tokens of caps.
async fn victim() -> Victim {
    let mut env = TestEnv::new().await;
    let mint = env.mint;
    let vault = env.fund_vault(SOL).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    let empty_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 50 * TOKEN).await;
    let thief = Pubkey::new_unique();
    let thief_tokens = env.create_token_account(&mint, &thief).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 100))
        .mint(mint, caps(5 * TOKEN))
        .program(program(hostile_target::ID))
        .delegate(100 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    Victim {
        env,
        vault,
        vault_tokens,
        empty_tokens,
        thief_tokens,
        thief,
    }
}

impl Victim {
    async fn execute(&mut self, calls: &[Instruction]) -> Result<(), TransactionError> {
        self.env.execute(calls).await
    }

    /// Everything an attack could change: balances, lamports, token authorities, vault shape.
    async fn state(&mut self) -> (Vec<u64>, Vec<String>, Option<(Pubkey, usize)>, u32) {
        let owner_ata = self.env.owner_ata;
        let tokens = [
            self.vault_tokens,
            self.empty_tokens,
            owner_ata,
            self.thief_tokens,
        ];
        let numbers = self
            .env
            .snapshot(&tokens, &[self.vault, self.thief, self.empty_tokens])
            .await;
        let mut authorities = Vec::new();
        for t in tokens {
            let a = self.env.token_account(&t).await;
            authorities.push(format!(
                "{:?} {:?} {} {:?}",
                a.owner, a.delegate, a.delegated_amount, a.close_authority
            ));
        }
        let vault = self
            .env
            .account(&self.vault)
            .await
            .map(|a| (a.owner, a.data.len()));
        let uses = self.env.session().await.unwrap().uses;
        (numbers, authorities, vault, uses)
    }

    async fn assert_refused(&mut self, call: Instruction, expected: SessionError) {
        let before = self.state().await;
        assert_session_error(self.execute(&[call]).await, expected);
        assert_eq!(self.state().await, before, "nothing moved");
    }
}

#[tokio::test]
async fn draining_vault_lamports_is_capped() {
    let mut v = victim().await;
    let (vault, thief) = (v.vault, v.thief);
    // Within the SOL caps it is plain spending, and it is charged.
    v.execute(&[hostile::drain_lamports(&vault, &thief, SOL / 200)])
        .await
        .unwrap();
    assert_eq!(v.env.lamports(&thief).await, SOL / 200);
    assert_eq!(v.env.session().await.unwrap().sol.unwrap().spent, SOL / 200);
    // Beyond them it is refused.
    v.assert_refused(
        hostile::drain_lamports(&vault, &thief, SOL / 200 + 1),
        SessionError::LifetimeCapExceeded,
    )
    .await;
    v.assert_refused(
        hostile::drain_lamports(&vault, &thief, SOL / 2),
        SessionError::LifetimeCapExceeded,
    )
    .await;
}

#[tokio::test]
async fn reassigning_or_allocating_the_vault_is_refused() {
    let mut v = victim().await;
    let vault = v.vault;
    v.assert_refused(hostile::assign_vault(&vault), SessionError::VaultModified)
        .await;
    v.assert_refused(hostile::allocate_vault(&vault), SessionError::VaultModified)
        .await;
}

#[tokio::test]
async fn stealing_tokens_is_capped_from_vault_and_delegated_accounts() {
    let mut v = victim().await;
    let (vault, mint, spl) = (v.vault, v.env.mint, anchor_spl::token::ID);
    let (vault_tokens, thief_tokens, owner_ata) = (v.vault_tokens, v.thief_tokens, v.env.owner_ata);
    v.execute(&[hostile::steal_tokens(
        &vault,
        &vault_tokens,
        &mint,
        &thief_tokens,
        &spl,
        3 * TOKEN,
        DECIMALS,
    )])
    .await
    .unwrap();
    v.execute(&[hostile::steal_tokens(
        &vault,
        &owner_ata,
        &mint,
        &thief_tokens,
        &spl,
        2 * TOKEN,
        DECIMALS,
    )])
    .await
    .unwrap();
    assert_eq!(v.env.balance(&thief_tokens).await, 5 * TOKEN);
    assert_eq!(
        v.env.session().await.unwrap().mints[0].allowance.spent,
        5 * TOKEN
    );
    v.assert_refused(
        hostile::steal_tokens(
            &vault,
            &vault_tokens,
            &mint,
            &thief_tokens,
            &spl,
            1,
            DECIMALS,
        ),
        SessionError::LifetimeCapExceeded,
    )
    .await;
    v.assert_refused(
        hostile::steal_tokens(&vault, &owner_ata, &mint, &thief_tokens, &spl, 1, DECIMALS),
        SessionError::LifetimeCapExceeded,
    )
    .await;
}

#[tokio::test]
async fn tokens_of_an_uncapped_mint_cannot_leave() {
    let mut v = victim().await;
    let (vault, spl) = (v.vault, anchor_spl::token::ID);
    let other = v.env.create_mint(&spl).await;
    let loot = v.env.create_token_account(&other, &vault).await;
    let thief = v.thief;
    let thief_other = v.env.create_token_account(&other, &thief).await;
    v.env.mint_to(&other, &loot, 10 * TOKEN).await;
    let before = v.env.snapshot(&[loot, thief_other], &[]).await;
    let r = v
        .execute(&[hostile::steal_tokens(
            &vault,
            &loot,
            &other,
            &thief_other,
            &spl,
            TOKEN,
            DECIMALS,
        )])
        .await;
    assert_session_error(r, SessionError::TokenOutflowNotInScope);
    assert_eq!(v.env.snapshot(&[loot, thief_other], &[]).await, before);
}

#[tokio::test]
async fn authority_changes_on_vault_token_accounts_are_refused() {
    let mut v = victim().await;
    let (vault, mint, spl, thief) = (v.vault, v.env.mint, anchor_spl::token::ID, v.thief);
    let vault_tokens = v.vault_tokens;
    v.assert_refused(
        hostile::approve_thief(&vault, &vault_tokens, &mint, &thief, &spl),
        SessionError::TokenAccountTampered,
    )
    .await;
    v.assert_refused(
        hostile::take_authority(&vault, &vault_tokens, &mint, &thief, &spl, 2),
        SessionError::TokenAccountTampered,
    )
    .await;
    v.assert_refused(
        hostile::take_authority(&vault, &vault_tokens, &mint, &thief, &spl, 3),
        SessionError::TokenAccountTampered,
    )
    .await;
}

#[tokio::test]
async fn closing_a_vault_token_account_is_refused() {
    let mut v = victim().await;
    let (vault, mint, spl, thief) = (v.vault, v.env.mint, anchor_spl::token::ID, v.thief);
    let empty = v.empty_tokens;
    v.assert_refused(
        hostile::close_token_account(&vault, &empty, &mint, &thief, &spl),
        SessionError::TokenAccountTampered,
    )
    .await;
}

#[tokio::test]
async fn reentry_into_session_keys_is_refused_by_the_runtime() {
    let mut v = victim().await;
    let (owner, key, vault) = (v.env.owner.pubkey(), v.env.key.pubkey(), v.vault);
    // Control: the same forwarding path into another program works (the vault's signature
    // flows through the hostile program into the game).
    v.execute(&[hostile::reenter(&game::create_player(&vault))])
        .await
        .unwrap();
    assert!(v.env.account(&game::player(&vault)).await.is_some());

    // Into session-keys itself: the runtime refuses re-entry (A -> B -> A). On SBF that is
    // `ReentrancyNotAllowed`; the native harness cannot convert that error into a
    // `ProgramError` and reports `ProgramFailedToComplete` (see docs/09-testing.md).
    let inner = ix::transfer_sol(&key, &owner, &v.thief, 1);
    let before = v.state().await;
    let r = v.execute(&[hostile::reenter(&inner)]).await;
    assert_eq!(
        r,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::ProgramFailedToComplete
        ))
    );
    assert_eq!(v.state().await, before);
}

#[tokio::test]
async fn an_attack_after_a_legitimate_call_rolls_back_both() {
    let mut v = victim().await;
    let (vault, thief) = (v.vault, v.thief);
    let before = v.state().await;
    let r = v
        .execute(&[
            hostile::drain_lamports(&vault, &thief, 1_000),
            hostile::assign_vault(&vault),
        ])
        .await;
    assert_session_error(r, SessionError::VaultModified);
    assert_eq!(v.state().await, before);
}

#[tokio::test]
async fn adding_an_extension_to_a_vault_token_account_is_refused() {
    let mut v = victim().await;
    let vault = v.vault;
    let mint = v.env.create_mint(&anchor_spl::token_2022::ID).await;
    let account = v.env.create_token_account(&mint, &vault).await;
    let len = v.env.account(&account).await.unwrap().data.len();
    let before = (v.env.lamports(&vault).await, v.env.lamports(&account).await);
    let r = v.execute(&[hostile::add_extension(&vault, &account)]).await;
    assert_session_error(r, SessionError::TokenAccountTampered);
    assert_eq!(v.env.account(&account).await.unwrap().data.len(), len);
    assert_eq!(
        (v.env.lamports(&vault).await, v.env.lamports(&account).await),
        before
    );
}

#[tokio::test]
async fn tokens_pushed_into_a_watched_account_the_attacker_owns_are_still_charged() {
    let mut v = victim().await;
    let (vault, mint, spl) = (v.vault, v.env.mint, anchor_spl::token::ID);
    let vault_tokens = v.vault_tokens;
    // The attacker's own token account, with the vault as close authority so that `execute`
    // watches it: its increase must not offset the vault's loss.
    let thief = solana_sdk::signature::Keypair::new();
    let watched = v.env.create_token_account(&mint, &thief.pubkey()).await;
    let hand_over = anchor_spl::token::spl_token::instruction::set_authority(
        &spl,
        &watched,
        Some(&vault),
        anchor_spl::token::spl_token::instruction::AuthorityType::CloseAccount,
        &thief.pubkey(),
        &[],
    )
    .unwrap();
    let payer = v.env.ctx.payer.insecure_clone();
    v.env.send(&[hand_over], &[&payer, &thief]).await.unwrap();
    assert_eq!(
        v.env.token_account(&watched).await.close_authority,
        Some(vault).into()
    );
    let steal = |amount| {
        hostile::steal_tokens(
            &vault,
            &vault_tokens,
            &mint,
            &watched,
            &spl,
            amount,
            DECIMALS,
        )
    };
    // 6 tokens against 5 of caps: refused, although the watched total did not change.
    let before = v.env.snapshot(&[vault_tokens, watched], &[]).await;
    let r = v.execute(&[steal(6 * TOKEN)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(v.env.snapshot(&[vault_tokens, watched], &[]).await, before);
    // 5 tokens: charged in full.
    v.execute(&[steal(5 * TOKEN)]).await.unwrap();
    assert_eq!(v.env.balance(&watched).await, 5 * TOKEN);
    let s = v.env.session().await.unwrap();
    assert_eq!(s.mints[0].allowance.spent, 5 * TOKEN);
}
