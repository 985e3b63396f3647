//! Owner budgets: caps that bind every session of an owner together, set and changed only by
//! the owner, charged atomically with the session's own caps, and impossible for a session key
//! to skip or swap.
use anchor_lang::{prelude::Pubkey, solana_program::instruction::AccountMeta};
use session_keys::{errors::SessionError, policy::SOL_ASSET, state::Budget};
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix, pda,
        scope::{caps, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{
    instruction::InstructionError, signature::Keypair, signer::Signer,
    transaction::TransactionError,
};

const HOUR: i64 = 3600;

/// A second session key of the default owner, with SOL caps `lifetime` (no window) and fees
/// topped up by the owner.
async fn second_sol_session(env: &mut TestEnv, lifetime: u64) -> Keypair {
    let key = Keypair::new();
    let owner = env.owner.insecure_clone();
    let args = Scope::until(START + 2 * HOUR)
        .sol(caps(lifetime))
        .top_up(SOL / 100)
        .build(START)
        .unwrap();
    let o = owner.pubkey();
    env.send(
        &[ix::create_session(&o, &o, &key.pubkey(), args, None)],
        &[&owner],
    )
    .await
    .unwrap();
    key
}

#[tokio::test]
async fn two_sessions_of_one_owner_are_stopped_together_by_the_owner_budget() {
    // Each session may move 1 SOL; the owner allows 0.6 SOL per hour across all of them.
    let (mut env, vault) = TestEnv::with_sol_session(5 * SOL, caps(SOL)).await;
    let second = second_sol_session(&mut env, SOL).await;
    let (o, k1, k2) = (env.owner.pubkey(), env.key.pubkey(), second.pubkey());
    env.set_budget(&SOL_ASSET, budget(Some(SOL), Some((3600, SOL * 6 / 10))))
        .await
        .unwrap();
    let to = Pubkey::new_unique();
    env.send_key(&[ix::transfer_sol(&k1, &o, &to, SOL * 4 / 10)])
        .await
        .unwrap();
    env.send(&[ix::transfer_sol(&k2, &o, &to, SOL / 10)], &[&second])
        .await
        .unwrap();

    // 0.5 SOL spent this hour: 0.2 more breaks the owner's window through either session,
    // though each session alone still has room.
    let before = env.snapshot(&[], &[vault, to]).await;
    let r = env
        .send(&[ix::transfer_sol(&k2, &o, &to, SOL * 2 / 10)], &[&second])
        .await;
    assert_session_error(r, SessionError::OwnerBudgetWindowExceeded);
    let r = env
        .send_key(&[ix::transfer_sol(&k1, &o, &to, SOL * 2 / 10)])
        .await;
    assert_session_error(r, SessionError::OwnerBudgetWindowExceeded);
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
    // Nothing was counted by the refusals, in the sessions or the budget.
    assert_eq!(
        env.session().await.unwrap().sol.unwrap().spent,
        SOL * 4 / 10
    );
    assert_eq!(
        env.session_of(&o, &k2).await.unwrap().sol.unwrap().spent,
        SOL / 10
    );
    let b = env.budget_of(&o).await.unwrap();
    assert_eq!(
        (
            b.entries[0].allowance.spent,
            b.entries[0].allowance.window_spent
        ),
        (SOL / 2, SOL / 2)
    );

    // The next hour the window reopens; the owner's lifetime cap (1 SOL) then stops them.
    env.set_time(START - START % HOUR + HOUR).await;
    env.send(&[ix::transfer_sol(&k2, &o, &to, SOL * 4 / 10)], &[&second])
        .await
        .unwrap();
    let r = env
        .send_key(&[ix::transfer_sol(&k1, &o, &to, SOL / 10 + 1)])
        .await;
    assert_session_error(r, SessionError::OwnerBudgetLifetimeExceeded);
    let (r, logs) = env
        .send_with_logs(
            &[ix::transfer_sol(&k1, &o, &to, SOL / 10)],
            &[&env.key.insecure_clone()],
        )
        .await;
    r.unwrap();
    assert_eq!(env.lamports(&to).await, SOL);
    let charged: Vec<_> = TestEnv::events(&logs)
        .into_iter()
        .filter_map(|e| match e {
            SessionEvent::BudgetCharged(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(charged.len(), 1);
    assert_eq!(
        (
            charged[0].asset,
            charged[0].amount,
            charged[0].lifetime_remaining
        ),
        (SOL_ASSET, SOL / 10, 0)
    );
}

#[tokio::test]
async fn the_session_cap_is_checked_first_and_named() {
    // Session: 0.3 SOL lifetime. Owner: 0.2 SOL. A 0.4 SOL spend breaks both: the session's
    // error wins; a 0.25 spend breaks only the owner's.
    let (mut env, _) = TestEnv::with_sol_session(5 * SOL, caps(SOL * 3 / 10)).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    env.set_budget(&SOL_ASSET, budget(Some(SOL / 5), None))
        .await
        .unwrap();
    let to = Pubkey::new_unique();
    let r = env
        .send_key(&[ix::transfer_sol(&k, &o, &to, SOL * 4 / 10)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    let r = env
        .send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 4)])
        .await;
    assert_session_error(r, SessionError::OwnerBudgetLifetimeExceeded);
    env.send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 5)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&to).await, SOL / 5);
}

#[tokio::test]
async fn token_spends_and_execute_outflows_are_charged_to_the_budget() {
    let mut env = TestEnv::new().await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let vault = env.fund_vault(2 * SOL).await;
    let args = Scope::until(START + HOUR)
        .mint(env.mint, caps(100 * TOKEN))
        .sol(caps(SOL))
        .program(session_keys_tests::client::scope::program(example_game::ID))
        .delegate(100 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let mint = env.mint;
    env.set_budget(&mint, budget(Some(3 * TOKEN), None))
        .await
        .unwrap();
    env.set_budget(&SOL_ASSET, budget(Some(SOL / 10), None))
        .await
        .unwrap();

    env.send_transfer(2 * TOKEN).await.unwrap();
    let before = env.snapshot(&[env.owner_ata, env.recipient_ata], &[]).await;
    assert_session_error(
        env.send_transfer(TOKEN + 1).await,
        SessionError::OwnerBudgetLifetimeExceeded,
    );
    assert_eq!(
        env.snapshot(&[env.owner_ata, env.recipient_ata], &[]).await,
        before
    );

    // execute: the game charges 0.2 SOL for an item; the owner's SOL budget is 0.1.
    let treasury = game::treasury();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let vault_before = env.lamports(&vault).await;
    let r = env.execute(&[game::buy_item(&vault, 1, SOL / 5)]).await;
    assert_session_error(r, SessionError::OwnerBudgetLifetimeExceeded);
    assert_eq!(env.lamports(&vault).await, vault_before);
    let budget = env.budget_of(&o).await.unwrap();
    let spent: Vec<_> = budget
        .entries
        .iter()
        .map(|e| (e.asset, e.allowance.spent))
        .collect();
    // create_player's rent left the vault too, and was charged.
    let rent = spent.iter().find(|(a, _)| *a == SOL_ASSET).unwrap().1;
    assert!(rent > 0 && rent < SOL / 10, "player rent charged: {rent}");
    assert!(spent.contains(&(mint, 2 * TOKEN)));
    let _ = (treasury, k);
}

#[tokio::test]
async fn a_key_cannot_leave_out_or_swap_the_budget() {
    let (mut env, vault) = TestEnv::with_sol_session(5 * SOL, caps(SOL)).await;
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    env.set_budget(&SOL_ASSET, budget(Some(SOL / 10), None))
        .await
        .unwrap();
    let to = Pubkey::new_unique();
    let stranger = env.stranger.pubkey();
    let before = env.snapshot(&[], &[vault, to]).await;

    // Left out: transfer_sol then lacks an account; in execute the first call's program (read
    // only) shifts into the budget's place.
    let mut left_out = ix::transfer_sol(&k, &o, &to, SOL / 2);
    left_out.accounts.remove(4);
    assert_eq!(
        env.send_key(&[left_out]).await,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(anchor_lang::error::ErrorCode::AccountNotEnoughKeys as u32)
        ))
    );
    let mut left_out = ix::execute(&k, &o, &[game::create_player(&vault)]);
    left_out.accounts.remove(4);
    assert_eq!(
        env.send_key(&[left_out]).await,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(anchor_lang::error::ErrorCode::ConstraintMut as u32)
        ))
    );
    // Moved to the end of the calls' accounts, writable: the slot holds the program.
    let mut moved = ix::execute(&k, &o, &[game::create_player(&vault)]);
    let budget_meta = moved.accounts.remove(4);
    moved.accounts.insert(5, budget_meta);
    moved.accounts[4].is_writable = true;
    assert!(env.send_key(&[moved]).await.is_err());

    // Swapped: a fresh address, the stranger's (empty) budget address, the owner's wallet.
    for substitute in [
        Pubkey::new_unique(),
        pda::budget(&stranger).0,
        pda::wallet(&o).0,
    ] {
        let mut i = ix::transfer_sol(&k, &o, &to, SOL / 2);
        i.accounts[4] = AccountMeta::new(substitute, false);
        assert_session_error(env.send_key(&[i]).await, SessionError::WrongBudget);
    }
    // The same through execute.
    let mut i = ix::execute(&k, &o, &[game::create_player(&vault)]);
    i.accounts[4] = AccountMeta::new(pda::budget(&stranger).0, false);
    assert_session_error(env.send_key(&[i]).await, SessionError::WrongBudget);
    // A read-only budget: the runtime refuses the program's write.
    let mut i = ix::transfer_sol(&k, &o, &to, SOL / 20);
    i.accounts[4].is_writable = false;
    assert_eq!(
        env.send_key(&[i]).await,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(anchor_lang::error::ErrorCode::ConstraintMut as u32)
        ))
    );
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
}

#[tokio::test]
async fn only_the_owner_sets_or_removes_and_bad_budgets_are_refused_by_name() {
    let mut env = TestEnv::new().await;
    let o = env.owner.pubkey();
    let stranger = env.stranger.insecure_clone();
    let mint = env.mint;
    let cases = [
        (budget(None, None), SessionError::InvalidBudget),
        (budget(Some(0), None), SessionError::ZeroCap),
        (budget(None, Some((0, 5))), SessionError::InvalidWindow),
        (budget(None, Some((60, 0))), SessionError::InvalidWindow),
        (
            budget(Some(10), Some((60, 11))),
            SessionError::InvalidBudget,
        ),
    ];
    for (caps, e) in cases {
        assert_session_error(env.set_budget(&SOL_ASSET, caps).await, e);
    }
    assert!(
        env.account(&pda::budget(&o).0).await.is_none(),
        "nothing created"
    );

    // Unknown assets: no mint account, a token account, a mint-shaped account of another
    // program, the wrong mint passed.
    let mut no_mint = ix::set_budget(&o, &mint, budget(Some(1), None));
    no_mint.accounts.pop();
    assert_session_error(env.send_owner(&[no_mint]).await, SessionError::UnknownAsset);
    let ata = env.owner_ata;
    assert_session_error(
        env.set_budget(&ata, budget(Some(1), None)).await,
        SessionError::UnknownAsset,
    );
    let other_mint = env.create_mint(&anchor_spl::token::spl_token::ID).await;
    let mut swapped = ix::set_budget(&o, &mint, budget(Some(1), None));
    swapped.accounts.last_mut().unwrap().pubkey = other_mint;
    assert_session_error(env.send_owner(&[swapped]).await, SessionError::UnknownAsset);
    let fake = Pubkey::new_unique();
    let mint_image = env.account(&mint).await.unwrap();
    env.ctx.set_account(
        &fake,
        &solana_sdk::account::AccountSharedData::from(solana_sdk::account::Account {
            owner: hostile_target::ID,
            ..mint_image
        }),
    );
    assert_session_error(
        env.set_budget(&fake, budget(Some(1), None)).await,
        SessionError::UnknownAsset,
    );
    assert!(
        env.account(&pda::budget(&o).0).await.is_none(),
        "nothing created"
    );

    // Only the owner: a stranger signing cannot set or remove the owner's budget.
    env.set_budget(&SOL_ASSET, budget(Some(SOL), None))
        .await
        .unwrap();
    let mut i = ix::remove_budget(&stranger.pubkey(), &SOL_ASSET);
    i.accounts[1].pubkey = pda::budget(&o).0;
    assert_eq!(
        env.send(&[i], &[&stranger]).await,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
        ))
    );
    let mut i = ix::set_budget(&stranger.pubkey(), &SOL_ASSET, budget(Some(1), None));
    i.accounts[3].pubkey = pda::budget(&o).0;
    assert!(env.send(&[i], &[&stranger]).await.is_err());
    assert_eq!(
        env.budget_of(&o).await.unwrap().entries[0]
            .allowance
            .lifetime_cap,
        SOL
    );
    assert_session_error(
        env.send_owner(&[ix::remove_budget(&o, &mint)]).await,
        SessionError::BudgetNotSet,
    );
}

#[tokio::test]
async fn budgets_grow_shrink_close_and_survive_revoke_all() {
    let mut env = TestEnv::new().await;
    let o = env.owner.pubkey();
    let address = pda::budget(&o).0;
    let rent = |len: usize| solana_sdk::rent::Rent::default().minimum_balance(len);
    let mint = env.mint;

    env.set_budget(&SOL_ASSET, budget(Some(SOL), None))
        .await
        .unwrap();
    let a = env.account(&address).await.unwrap();
    assert_eq!((a.data.len(), a.lamports), (Budget::space(1), rent(130)));
    let owner_before = env.lamports(&o).await;
    env.set_budget(&mint, budget(None, Some((60, TOKEN))))
        .await
        .unwrap();
    let a = env.account(&address).await.unwrap();
    assert_eq!((a.data.len(), a.lamports), (214, rent(214)));
    // The owner paid the difference and the fee (5000 lamports).
    assert_eq!(
        owner_before - env.lamports(&o).await,
        rent(214) - rent(130) + 5000
    );

    // Changing keeps one entry per asset.
    env.set_budget(&mint, budget(Some(5 * TOKEN), None))
        .await
        .unwrap();
    assert_eq!(env.budget_of(&o).await.unwrap().entries.len(), 2);

    // revoke_all_sessions leaves budgets alone.
    env.send_owner(&[ix::revoke_all_sessions(&o, &[])])
        .await
        .unwrap();
    assert_eq!(env.budget_of(&o).await.unwrap().entries.len(), 2);

    let owner_before = env.lamports(&o).await;
    env.send_owner(&[ix::remove_budget(&o, &SOL_ASSET)])
        .await
        .unwrap();
    let a = env.account(&address).await.unwrap();
    assert_eq!((a.data.len(), a.lamports), (130, rent(130)));
    assert_eq!(
        env.lamports(&o).await - owner_before,
        rent(214) - rent(130) - 5000
    );
    let owner_before = env.lamports(&o).await;
    env.send_owner(&[ix::remove_budget(&o, &mint)])
        .await
        .unwrap();
    assert!(env.account(&address).await.is_none(), "closed");
    assert_eq!(env.lamports(&o).await - owner_before, rent(130) - 5000);

    // With the budget gone, sessions pass its empty address and spend under their own caps.
    let vault = env.fund_vault(SOL).await;
    let args = Scope::until(START + HOUR)
        .sol(caps(SOL / 2))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let (k, to) = (env.key.pubkey(), Pubkey::new_unique());
    env.send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 2)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&to).await, SOL / 2);
    let _ = vault;
}

#[tokio::test]
async fn at_most_eight_assets() {
    let mut env = TestEnv::new().await;
    let o = env.owner.pubkey();
    for _ in 0..session_keys::constants::MAX_BUDGET_ASSETS {
        let mint = env.create_mint(&anchor_spl::token::spl_token::ID).await;
        env.set_budget(&mint, budget(Some(1), None)).await.unwrap();
    }
    let a = env.account(&pda::budget(&o).0).await.unwrap();
    assert_eq!(a.data.len(), 718);
    assert_session_error(
        env.set_budget(&SOL_ASSET, budget(Some(1), None)).await,
        SessionError::TooManyBudgetAssets,
    );
}
