//! Caps and uses at their limits, with the exact error and proof that a refusal moved
//! nothing: two capped mints charged independently, running out of uses through `execute`
//! and through `transfer_sol`, `TooManyExecuteAccounts`, and the over-cap refusal on a
//! Token-2022 transfer-fee mint.
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{
        self,
        extension::{
            transfer_fee::{instruction::initialize_transfer_fee_config, TransferFeeAmount},
            BaseStateWithExtensions, ExtensionType, StateWithExtensions,
        },
    },
};
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix::{self, DelegateFrom, TokenTransfer},
        pda,
        scope::{caps, program, Scope},
    },
    targets::game,
    *,
};
use solana_sdk::{instruction::AccountMeta, pubkey::Pubkey, signer::Signer};

/// What a session-signed call can change besides balances: uses, SOL spent, each mint's
/// spent (in the session's order), and the owner's wallet nonce.
#[derive(Debug, PartialEq, Eq)]
struct Counters {
    uses: u32,
    sol_spent: Option<u64>,
    mints_spent: Vec<u64>,
    nonce: u64,
}

async fn counters(env: &mut TestEnv) -> Counters {
    let owner = env.owner.pubkey();
    let s = env.session().await.unwrap();
    Counters {
        uses: s.uses,
        sol_spent: s.sol.map(|a| a.spent),
        mints_spent: s.mints.iter().map(|m| m.allowance.spent).collect(),
        nonce: env.wallet_of(&owner).await.unwrap().nonce,
    }
}

/// Delegated amount of each of `accounts`.
async fn delegations(env: &mut TestEnv, accounts: &[Pubkey]) -> Vec<u64> {
    let mut out = Vec::new();
    for a in accounts {
        out.push(env.token_account(a).await.delegated_amount);
    }
    out
}

#[tokio::test]
async fn two_capped_mints_in_one_session_are_charged_independently() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let spl = spl_token::ID;
    // Mint A: the default mint (owner's account, recipient's account). Mint B: a second SPL
    // mint, the owner's account holding 1,000 and approving the vault directly.
    let (a, a_from, a_to) = (env.mint, env.owner_ata, env.recipient_ata);
    let b = env.create_mint(&spl).await;
    let b_from = env.create_token_account(&b, &owner).await;
    let b_to = env.create_token_account(&b, &env.recipient.clone()).await;
    env.mint_to(&b, &b_from, 1_000 * TOKEN).await;
    let approve =
        spl_token::instruction::approve(&spl, &b_from, &vault, &owner, &[], 100 * TOKEN).unwrap();
    env.send_owner(&[approve]).await.unwrap();
    let args = Scope::until(START + 3600)
        .mint(a, caps(10 * TOKEN))
        .mint(b, caps(4 * TOKEN))
        .delegate(100 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();

    let key = env.key.pubkey();
    let send = |mint: Pubkey, from: Pubkey, to: Pubkey, amount: u64| {
        let t = TokenTransfer {
            from,
            mint,
            to,
            token_program: spl,
        };
        ix::transfer_token(&key, &owner, t, amount, DECIMALS)
    };
    let accounts = [a_from, a_to, b_from, b_to];

    // A's whole cap: B's allowance is untouched.
    env.send_key(&[send(a, a_from, a_to, 10 * TOKEN)])
        .await
        .unwrap();
    let c = counters(&mut env).await;
    assert_eq!((c.uses, c.mints_spent.clone()), (1, vec![10 * TOKEN, 0]));
    // A is refused at its own cap, by one base unit.
    let before = env.snapshot(&accounts, &[]).await;
    let delegated = delegations(&mut env, &[a_from, b_from]).await;
    let r = env.send_key(&[send(a, a_from, a_to, 1)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&accounts, &[]).await, before);
    assert_eq!(delegations(&mut env, &[a_from, b_from]).await, delegated);
    assert_eq!(counters(&mut env).await, c);

    // B still has all of its cap, and spends it without touching A's.
    env.send_key(&[send(b, b_from, b_to, 4 * TOKEN)])
        .await
        .unwrap();
    let c = counters(&mut env).await;
    assert_eq!(
        (c.uses, c.mints_spent.clone()),
        (2, vec![10 * TOKEN, 4 * TOKEN])
    );
    let before = env.snapshot(&accounts, &[]).await;
    assert_eq!(
        before,
        vec![990 * TOKEN, 10 * TOKEN, 996 * TOKEN, 4 * TOKEN]
    );
    let delegated = delegations(&mut env, &[a_from, b_from]).await;
    assert_eq!(delegated, vec![90 * TOKEN, 96 * TOKEN]);
    let r = env.send_key(&[send(b, b_from, b_to, 1)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&accounts, &[]).await, before);
    assert_eq!(delegations(&mut env, &[a_from, b_from]).await, delegated);
    assert_eq!(counters(&mut env).await, c);
    assert_eq!(c.nonce, 0);
}

#[tokio::test]
async fn two_capped_mints_spent_in_one_execute_batch_are_each_charged_their_own_amount() {
    let mut env = TestEnv::new().await;
    let spl = spl_token::ID;
    let vault = env.fund_vault(SOL).await;
    let treasury = game::treasury();
    let mut legs = Vec::new();
    for _ in 0..2 {
        let m = env.create_mint(&spl).await;
        let from = env.create_token_account(&m, &vault).await;
        env.mint_to(&m, &from, 100 * TOKEN).await;
        let to = env.create_token_account(&m, &treasury).await;
        legs.push((m, from, to));
    }
    let [(a, a_from, a_to), (b, b_from, b_to)] = legs[..] else {
        unreachable!()
    };
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 100))
        .mint(a, caps(5 * TOKEN))
        .mint(b, caps(3 * TOKEN))
        .program(program(example_game::ID))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let buy = |m: &Pubkey, from: &Pubkey, to: &Pubkey, price| {
        game::buy_item_token(&vault, from, m, to, &spl, 1, price)
    };
    let accounts = [a_from, a_to, b_from, b_to];

    // 2 of A and 3 of B in one batch: each mint charged its own amount.
    env.execute(&[
        buy(&a, &a_from, &a_to, 2 * TOKEN),
        buy(&b, &b_from, &b_to, 3 * TOKEN),
    ])
    .await
    .unwrap();
    let c = counters(&mut env).await;
    assert_eq!(
        (c.uses, c.mints_spent.clone()),
        (2, vec![2 * TOKEN, 3 * TOKEN])
    );

    // B is at its cap: one more unit of B is refused even with A spending within its own.
    let before = env.snapshot(&accounts, &[vault]).await;
    let r = env
        .execute(&[buy(&a, &a_from, &a_to, TOKEN), buy(&b, &b_from, &b_to, 1)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&accounts, &[vault]).await, before);
    assert_eq!(counters(&mut env).await, c);
    // A's remaining 3 are still there: B's cap did not consume them.
    env.execute(&[buy(&a, &a_from, &a_to, 3 * TOKEN)])
        .await
        .unwrap();
    let c = counters(&mut env).await;
    assert_eq!(
        (c.uses, c.mints_spent.clone()),
        (3, vec![5 * TOKEN, 3 * TOKEN])
    );
    let before = env.snapshot(&accounts, &[vault]).await;
    assert_eq!(before[..4], [95 * TOKEN, 5 * TOKEN, 97 * TOKEN, 3 * TOKEN]);
    let r = env.execute(&[buy(&a, &a_from, &a_to, 1)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&accounts, &[vault]).await, before);
    assert_eq!(counters(&mut env).await, c);
}

#[tokio::test]
async fn execute_runs_out_of_uses_after_max_uses_calls() {
    let mut env = TestEnv::new().await;
    let treasury = game::treasury();
    let vault = env.fund_vault(SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 2))
        .program(game::session_scope(SOL / 10))
        .max_uses(3)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    env.execute(&[game::move_player(&vault, 1, 0)])
        .await
        .unwrap();
    env.execute(&[game::buy_item(&vault, 1, 20_000_000)])
        .await
        .unwrap();
    let rent = env.lamports(&game::player(&vault)).await;
    let c = counters(&mut env).await;
    assert_eq!(
        (c.uses, c.sol_spent, c.nonce),
        (3, Some(rent + 20_000_000), 0)
    );

    // The fourth use: refused before the call runs, whatever it would do.
    let player_data = env.account(&game::player(&vault)).await.unwrap().data;
    let before = env.snapshot(&[], &[vault, treasury]).await;
    assert_eq!(before, vec![SOL - rent - 20_000_000, 20_000_000]);
    for call in [
        game::buy_item(&vault, 2, 20_000_000),
        game::move_player(&vault, 1, 0),
    ] {
        let r = env.execute(&[call]).await;
        assert_session_error(r, SessionError::UsesExhausted);
        assert_eq!(env.snapshot(&[], &[vault, treasury]).await, before);
        assert_eq!(counters(&mut env).await, c);
        let data = env.account(&game::player(&vault)).await.unwrap().data;
        assert_eq!(data, player_data);
    }
}

#[tokio::test]
async fn transfer_sol_runs_out_of_uses_after_max_uses_transfers() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let vault = env.fund_vault(5 * SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL))
        .max_uses(3)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let to = Pubkey::new_unique();
    let pay = |amount| ix::transfer_sol(&key, &owner, &to, amount);
    env.send_key(&[pay(SOL / 10)]).await.unwrap();
    env.send_key(&[pay(SOL / 10)]).await.unwrap();
    // One use left, two transfers in one transaction: the second is refused (instruction 1)
    // and the first is rolled back with it.
    let before = env.snapshot(&[], &[vault, to]).await;
    let c = counters(&mut env).await;
    assert_eq!((c.uses, c.sol_spent), (2, Some(SOL / 5)));
    let r = env.send_key(&[pay(SOL / 10), pay(SOL / 10)]).await;
    assert_custom(r, 1, code(SessionError::UsesExhausted));
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
    assert_eq!(counters(&mut env).await, c);

    // The third use alone lands; the fourth is refused.
    env.send_key(&[pay(SOL / 10)]).await.unwrap();
    let c = counters(&mut env).await;
    assert_eq!((c.uses, c.sol_spent, c.nonce), (3, Some(3 * SOL / 10), 0));
    let before = env.snapshot(&[], &[vault, to]).await;
    assert_eq!(before, vec![5 * SOL - 3 * SOL / 10, 3 * SOL / 10]);
    let r = env.send_key(&[pay(1)]).await;
    assert_session_error(r, SessionError::UsesExhausted);
    assert_eq!(env.snapshot(&[], &[vault, to]).await, before);
    assert_eq!(counters(&mut env).await, c);
}

#[tokio::test]
async fn too_many_execute_accounts_leaves_every_balance_and_counter_unchanged() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let (mint, owner_ata) = (env.mint, env.owner_ata);
    let treasury = game::treasury();
    let spl = spl_token::ID;
    let vault = env.fund_vault(SOL).await;
    let treasury_tokens = env.create_token_account(&mint, &treasury).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 2))
        .mint(mint, caps(10 * TOKEN))
        .program(program(example_game::ID))
        .delegate(10 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();

    // A batch that pays lamports and tokens, padded with repeated references to the
    // treasury (one key in the transaction, one more remaining account each) up to `total`
    // remaining accounts (each call's program included).
    let batch = |total: usize| {
        let mut calls = [
            game::buy_item(&vault, 1, 20_000_000),
            game::buy_item_token(&vault, &owner_ata, &mint, &treasury_tokens, &spl, 2, TOKEN),
        ];
        let used: usize = calls.iter().map(|c| 1 + c.accounts.len()).sum();
        calls[1]
            .accounts
            .extend((used..total).map(|_| AccountMeta::new_readonly(treasury, false)));
        ix::execute(&key, &owner, &calls)
    };
    let limit = usize::from(session_keys::constants::MAX_EXECUTE_ACCOUNTS);
    let refused = batch(limit + 1);
    // Session key, session, wallet, vault, budget, then the remaining accounts.
    assert_eq!(refused.accounts.len(), 5 + limit + 1);

    let tokens = [owner_ata, treasury_tokens];
    let lamports = [vault, treasury];
    let before = env.snapshot(&tokens, &lamports).await;
    let delegated = delegations(&mut env, &[owner_ata]).await;
    let c = counters(&mut env).await;
    let key_before = env.lamports(&key).await;
    let r = env.send_key(&[refused]).await;
    assert_session_error(r, SessionError::TooManyExecuteAccounts);
    assert_eq!(env.snapshot(&tokens, &lamports).await, before);
    assert_eq!(delegations(&mut env, &[owner_ata]).await, delegated);
    assert_eq!(counters(&mut env).await, c);
    assert_eq!(player_items(&mut env, &vault).await, 0);
    // The key paid its one signature's fee and nothing else.
    assert_eq!(env.lamports(&key).await, key_before - 5_000);

    // At the limit the same batch runs, and is charged: the refusal was the count alone.
    env.send_key(&[batch(limit)]).await.unwrap();
    let rent = env.lamports(&game::player(&vault)).await;
    assert_eq!(
        env.snapshot(&tokens, &lamports).await,
        vec![
            before[0] - TOKEN,
            before[1] + TOKEN,
            before[2] - 20_000_000,
            before[3] + 20_000_000
        ]
    );
    assert_eq!(
        counters(&mut env).await,
        Counters {
            uses: 2,
            sol_spent: Some(rent + 20_000_000),
            mints_spent: vec![TOKEN],
            nonce: 0,
        }
    );
    assert_eq!(player_items(&mut env, &vault).await, 2);
}

async fn player_items(env: &mut TestEnv, vault: &Pubkey) -> u32 {
    use anchor_lang::AccountDeserialize;
    let data = env.account(&game::player(vault)).await.unwrap().data;
    example_game::Player::try_deserialize(&mut &data[..])
        .unwrap()
        .items
}

/// Source balance, destination balance, fee withheld in the destination, and the vault's
/// delegated amount on the source.
async fn fee_state(env: &mut TestEnv, from: &Pubkey, to: &Pubkey) -> (u64, u64, u64, u64) {
    (
        env.balance(from).await,
        env.balance(to).await,
        withheld(env, to).await,
        env.token_account(from).await.delegated_amount,
    )
}

/// Fee withheld in a Token-2022 account of a transfer-fee mint.
async fn withheld(env: &mut TestEnv, account: &Pubkey) -> u64 {
    let data = env.account(account).await.unwrap().data;
    let state = StateWithExtensions::<spl_token_2022::state::Account>::unpack(&data).unwrap();
    u64::from(
        state
            .get_extension::<TransferFeeAmount>()
            .unwrap()
            .withheld_amount,
    )
}

#[tokio::test]
async fn an_over_cap_transfer_on_a_transfer_fee_mint_moves_nothing() {
    const T22: Pubkey = anchor_spl::token_2022::ID;
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let payer = env.ctx.payer.pubkey();
    // 1% fee, at most 1 token.
    let mint = env
        .create_mint_2022(&[ExtensionType::TransferFeeConfig], |m| {
            vec![
                initialize_transfer_fee_config(&T22, m, Some(&payer), Some(&payer), 100, TOKEN)
                    .unwrap(),
            ]
        })
        .await;
    let from = env.create_token_account(&mint, &owner).await;
    let to = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    env.mint_to(&mint, &from, 100 * TOKEN).await;
    let args = Scope::until(START + 60)
        .mint(mint, caps(20 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    let delegate = DelegateFrom {
        token_account: from,
        token_program: T22,
    };
    env.send_owner(&[ix::create_session(
        &owner,
        &owner,
        &env.key.pubkey(),
        args,
        Some(delegate),
    )])
    .await
    .unwrap();
    let t = TokenTransfer {
        from,
        mint,
        to,
        token_program: T22,
    };
    let send =
        |env: &TestEnv, amount| ix::transfer_token(&env.key.pubkey(), &owner, t, amount, DECIMALS);

    // 10 sent: 9.9 arrive, 0.1 withheld, 10 charged.
    let i = send(&env, 10 * TOKEN);
    env.send_key(&[i]).await.unwrap();
    let after_first = fee_state(&mut env, &from, &to).await;
    assert_eq!(
        after_first,
        (90 * TOKEN, 10 * TOKEN - TOKEN / 10, TOKEN / 10, 40 * TOKEN)
    );
    let c = counters(&mut env).await;
    assert_eq!((c.uses, c.mints_spent.clone()), (1, vec![10 * TOKEN]));

    // 10 + 1 more would pass the 20-token cap (the fee counts as sent): refused, nothing moved.
    let i = send(&env, 10 * TOKEN + 1);
    let r = env.send_key(&[i]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(fee_state(&mut env, &from, &to).await, after_first);
    assert_eq!(counters(&mut env).await, c);

    // Exactly the cap still lands: the refusal was by one base unit.
    let i = send(&env, 10 * TOKEN);
    env.send_key(&[i]).await.unwrap();
    assert_eq!(
        fee_state(&mut env, &from, &to).await,
        (
            80 * TOKEN,
            2 * (10 * TOKEN - TOKEN / 10),
            2 * (TOKEN / 10),
            30 * TOKEN
        )
    );
    let c = counters(&mut env).await;
    assert_eq!((c.uses, c.mints_spent), (2, vec![20 * TOKEN]));
}
