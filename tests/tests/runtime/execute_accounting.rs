//! What `execute` accounts for beyond plain balances: which signatures reach a target, the
//! lamports of vault-controlled token accounts, the vault's delegation on owner accounts, and
//! value lent out inside a batch. Each case asserts the exact error and that nothing moved.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, program, Scope},
    },
    targets::{game, hostile},
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

const TOKEN_2022: Pubkey = anchor_spl::token_2022::ID;

/// Anchor's "a signer account did not sign" (in the target program).
const ACCOUNT_NOT_SIGNED: u32 = anchor_lang::error::ErrorCode::AccountNotSigner as u32;

#[tokio::test]
async fn a_co_signing_fee_payer_is_never_forwarded_and_loses_only_the_fee() {
    let mut env = TestEnv::new().await;
    env.create_session(
        Scope::until(START + 60)
            .program(game::session_scope(1_000))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    // A sponsor pays the fee and co-signs; the session key asks the game to make the sponsor
    // pay a new player's rent.
    let sponsor = env.stranger.insecure_clone();
    let key = env.key.insecure_clone();
    let before = env.lamports(&sponsor.pubkey()).await;
    let i = ix::execute(
        &key.pubkey(),
        &env.owner.pubkey(),
        &[game::create_player(&sponsor.pubkey())],
    );
    let r = env.send(&[i], &[&sponsor, &key]).await;
    assert_custom(r, 0, ACCOUNT_NOT_SIGNED);
    // Two signatures at 5,000 lamports: the fee, and nothing else.
    assert_eq!(env.lamports(&sponsor.pubkey()).await, before - 10_000);
    assert!(env
        .account(&game::player(&sponsor.pubkey()))
        .await
        .is_none());
    assert_eq!(env.session().await.unwrap().uses, 0);
}

/// A Token-2022 mint, and a vault-owned account of it holding 0.5 SOL above its rent.
async fn vault_account_with_excess_lamports(env: &mut TestEnv) -> (Pubkey, Pubkey, Pubkey) {
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.create_mint(&TOKEN_2022).await;
    let account = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &account, 10 * TOKEN).await;
    let tip = solana_system_interface::instruction::transfer(&owner, &account, SOL / 2);
    env.send_owner(&[tip]).await.unwrap();
    (vault, mint, account)
}

/// A session that may call the hostile target, with caps on `mint` and, if given, on SOL.
fn hostile_grant(mint: Pubkey, sol: Option<u64>) -> client::CreateSessionArgs {
    let scope = Scope::until(START + 60)
        .mint(mint, caps(TOKEN))
        .program(program(hostile_target::ID));
    match sol {
        Some(cap) => scope.sol(caps(cap)),
        None => scope,
    }
    .build(START)
    .unwrap()
}

#[tokio::test]
async fn excess_lamports_of_a_vault_token_account_are_charged_like_vault_sol() {
    let mut env = TestEnv::new().await;
    let (vault, mint, account) = vault_account_with_excess_lamports(&mut env).await;
    let thief = Pubkey::new_unique();
    env.create_session(hostile_grant(mint, None)).await.unwrap();
    let rich = env.lamports(&account).await;
    let steal = hostile::withdraw_excess_lamports(&vault, &account, &mint, &thief);
    // No SOL allowance: refused, nothing moved.
    let r = env.execute(std::slice::from_ref(&steal)).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.lamports(&account).await, rich);
    assert_eq!(env.lamports(&thief).await, 0);

    // With a SOL allowance it is spending like any other, charged to the lamport.
    env.revoke_own_session().await;
    env.create_session(hostile_grant(mint, Some(SOL)))
        .await
        .unwrap();
    env.execute(&[steal]).await.unwrap();
    assert_eq!(env.lamports(&thief).await, SOL / 2);
    assert_eq!(env.lamports(&account).await, rich - SOL / 2);
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, SOL / 2);
}

/// Delegate, delegated amount and balance of a token account.
async fn delegation(
    env: &mut TestEnv,
    account: &Pubkey,
) -> (solana_sdk::program_option::COption<Pubkey>, u64, u64) {
    let a = env.token_account(account).await;
    (a.delegate, a.delegated_amount, a.amount)
}

#[tokio::test]
async fn closing_and_recreating_the_vaults_token_account_is_charged_to_sol() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let (mint, spl) = (env.mint, anchor_spl::token::ID);
    let vault = env.fund_vault(SOL).await;
    // The vault's (empty) associated token account, holding 0.5 SOL above its rent.
    let ata = hostile::ata(&vault, &mint, &spl);
    let create = hostile::create_ata(&owner, &vault, &mint, &spl);
    let tip = solana_system_interface::instruction::transfer(&owner, &ata, SOL / 2);
    env.send_owner(&[create, tip]).await.unwrap();
    let (rich, vault_before) = (env.lamports(&ata).await, env.lamports(&vault).await);
    let rent = rich - SOL / 2;
    let thief = Pubkey::new_unique();
    let attack = hostile::close_and_recreate(&vault, &mint, &thief);
    // Same address, same token state afterwards; the lamports are gone: no SOL allowance, no
    // attack.
    env.create_session(hostile_grant(mint, None)).await.unwrap();
    let r = env.execute(std::slice::from_ref(&attack)).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.lamports(&ata).await, rich);
    assert_eq!(env.lamports(&thief).await, 0);

    // With an allowance, the session pays for everything the thief got: the account's
    // lamports, of which the vault re-funded the rent.
    env.revoke_own_session().await;
    env.create_session(hostile_grant(mint, Some(SOL)))
        .await
        .unwrap();
    env.execute(&[attack]).await.unwrap();
    assert_eq!(env.lamports(&thief).await, rich);
    assert_eq!(env.lamports(&ata).await, rent);
    assert_eq!(env.lamports(&vault).await, vault_before - rent);
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, rich);
}

#[tokio::test]
async fn the_vaults_delegation_cannot_be_revoked_or_eaten_through_execute() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.create_mint(&TOKEN_2022).await;
    let owner_tokens = env.create_token_account(&mint, &owner).await;
    env.mint_to(&mint, &owner_tokens, 100 * TOKEN).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    let approve = anchor_spl::token_2022::spl_token_2022::instruction::approve(
        &TOKEN_2022,
        &owner_tokens,
        &vault,
        &owner,
        &[],
        50 * TOKEN,
    )
    .unwrap();
    env.send_owner(&[approve]).await.unwrap();
    env.create_session(
        Scope::until(START + 60)
            .mint(mint, caps(10 * TOKEN))
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let before = delegation(&mut env, &owner_tokens).await;
    assert_eq!(before, (Some(vault).into(), 50 * TOKEN, 100 * TOKEN));

    // Token-2022 lets the delegate revoke itself: nothing left, so refused.
    let revoke = hostile::revoke_vault_delegation(&vault, &owner_tokens, &mint);
    let r = env.execute(&[revoke]).await;
    assert_session_error(r, SessionError::DelegationReduced);
    assert_eq!(delegation(&mut env, &owner_tokens).await, before);

    // Moving the owner's tokens into the vault's own account nets to zero but eats the
    // delegation: refused too.
    let to_vault = hostile::steal_tokens(
        &vault,
        &owner_tokens,
        &mint,
        &vault_tokens,
        &TOKEN_2022,
        5 * TOKEN,
        DECIMALS,
    );
    let r = env.execute(&[to_vault]).await;
    assert_session_error(r, SessionError::DelegationReduced);
    assert_eq!(delegation(&mut env, &owner_tokens).await, before);
    assert_eq!(env.balance(&vault_tokens).await, 0);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (0, 0));
}

#[tokio::test]
async fn a_flash_loan_inside_a_batch_costs_allowance() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    let grant = |cap| {
        Scope::until(START + 60)
            .sol(caps(cap))
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap()
    };
    env.create_session(grant(SOL / 10)).await.unwrap();
    let lend = hostile::drain_lamports(&vault, &hostile::loan(), SOL / 2);
    let repay = hostile::repay_lamports(&vault, SOL / 2);
    // The vault ends where it started, but half of it was out: beyond the caps, refused.
    let r = env.execute(&[lend.clone(), repay.clone()]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.lamports(&vault).await, SOL);
    assert_eq!(env.lamports(&hostile::loan()).await, 0);

    // Within the caps the loan is allowed and charged in full, not netted to zero.
    env.send_owner(&[ix::revoke_session(
        &owner,
        &owner,
        &env.key.pubkey(),
        &owner,
    )])
    .await
    .unwrap();
    env.create_session(grant(SOL)).await.unwrap();
    env.execute(&[lend, repay]).await.unwrap();
    assert_eq!(env.lamports(&vault).await, SOL);
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, SOL / 2);
}

#[tokio::test]
async fn revoke_all_also_revokes_the_vaults_delegations() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let spl = anchor_spl::token::ID;
    env.create_session(
        Scope::until(START + 60)
            .mint(env.mint, caps(10 * TOKEN))
            .delegate(10 * TOKEN)
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let (owner_ata, mint) = (env.owner_ata, env.mint);
    let undelegated = env.create_token_account(&mint, &owner).await;
    let vault = pda::vault(&owner).0;
    let elsewhere = env.create_token_account(&mint, &owner).await;
    let other = Pubkey::new_unique();
    let approve =
        spl_token::instruction::approve(&spl, &elsewhere, &other, &owner, &[], 7).unwrap();
    env.send_owner(&[approve]).await.unwrap();

    // A frozen account can neither be revoked nor spent; freeze one of the vault's.
    let frozen = env.create_token_account(&mint, &owner).await;
    let approve = spl_token::instruction::approve(&spl, &frozen, &vault, &owner, &[], 3).unwrap();
    env.send_owner(&[approve]).await.unwrap();
    let authority = env.ctx.payer.insecure_clone();
    let freeze =
        spl_token::instruction::freeze_account(&spl, &frozen, &mint, &authority.pubkey(), &[])
            .unwrap();
    env.send(&[freeze], &[&authority]).await.unwrap();

    // Nothing listed can block the kill switch: the vault's delegations go with the sessions;
    // an account without one, one delegated elsewhere, a frozen one and a read-only one are
    // skipped and keep what they have.
    let mut i = ix::revoke_all_sessions(
        &owner,
        &[
            (owner_ata, spl),
            (undelegated, spl),
            (elsewhere, spl),
            (frozen, spl),
        ],
    );
    i.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(
            owner_ata, false,
        ));
    i.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(
            spl, false,
        ));
    let (r, logs) = env
        .send_with_logs(&[i], &[&env.owner.insecure_clone()])
        .await;
    r.unwrap();
    assert_eq!(env.wallet_of(&owner).await.unwrap().nonce, 1);
    let a = env.token_account(&owner_ata).await;
    assert_eq!((a.delegate, a.delegated_amount), (None.into(), 0));
    assert_eq!(env.token_account(&elsewhere).await.delegated_amount, 7);
    assert_eq!(env.token_account(&frozen).await.delegated_amount, 3);
    let events = TestEnv::events(&logs);
    let [session_keys_client::decode::SessionEvent::AllSessionsRevoked(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.revoked_delegations, vec![owner_ata]);
    let i = env.transfer_ix(TOKEN).await;
    let r = env.send_key(&[i]).await;
    assert_session_error(r, SessionError::SessionRevoked);
}

use anchor_spl::token::spl_token;

#[tokio::test]
async fn more_watched_token_accounts_than_the_limit_are_refused_by_name() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.mint;
    let limit = usize::from(session_keys::constants::MAX_WATCHED_TOKEN_ACCOUNTS);
    let mut accounts = Vec::new();
    for _ in 0..=limit {
        accounts.push(env.create_token_account(&mint, &vault).await);
    }
    env.mint_to(&mint, &accounts[0], TOKEN).await;
    env.create_session(
        Scope::until(START + 60)
            .mint(mint, caps(TOKEN))
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let call = |watched: &[Pubkey]| {
        let mut i = hostile::steal_tokens(
            &vault,
            &accounts[0],
            &mint,
            &accounts[1],
            &anchor_spl::token::ID,
            1,
            DECIMALS,
        );
        i.accounts.extend(
            watched
                .iter()
                .map(|k| solana_sdk::instruction::AccountMeta::new_readonly(*k, false)),
        );
        i
    };
    // One more vault token account than the limit: refused before any call runs.
    let r = env.execute(&[call(&accounts[2..])]).await;
    assert_session_error(r, SessionError::TooManyWatchedAccounts);
    assert_eq!(env.balance(&accounts[0]).await, TOKEN);
    // Exactly the limit: the call runs (and moves within the vault, charging nothing).
    env.execute(&[call(&accounts[2..limit])]).await.unwrap();
    assert_eq!(env.balance(&accounts[1]).await, 1);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (1, 0));
}

#[tokio::test]
async fn wrapped_sol_is_charged_once_to_the_native_mint() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let (native, spl) = (spl_token::native_mint::ID, anchor_spl::token::ID);
    // The vault's wrapped-SOL account holding 1 SOL, and a thief's.
    let wrapped = env.create_token_account(&native, &vault).await;
    let fund = solana_system_interface::instruction::transfer(&owner, &wrapped, SOL);
    let sync = spl_token::instruction::sync_native(&spl, &wrapped).unwrap();
    env.send_owner(&[fund, sync]).await.unwrap();
    let thief = env
        .create_token_account(&native, &Pubkey::new_unique())
        .await;
    assert_eq!(env.balance(&wrapped).await, SOL);
    // Caps on the native mint only, no SOL allowance: the lamports moving with the amount are
    // not charged a second time as SOL.
    env.create_session(
        Scope::until(START + 60)
            .mint(native, caps(SOL))
            .program(program(hostile_target::ID))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let take = hostile::steal_tokens(&vault, &wrapped, &native, &thief, &spl, SOL / 4, 9);
    env.execute(&[take]).await.unwrap();
    assert_eq!(env.balance(&thief).await, SOL / 4);
    let s = env.session().await.unwrap();
    assert_eq!((s.mints[0].allowance.spent, s.sol), (SOL / 4, None));
}
