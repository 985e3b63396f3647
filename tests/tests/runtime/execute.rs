//! `execute` against the example game: scope rules, caps on the effect, batches.
use anchor_lang::AccountDeserialize;
use example_game::Player;
use session_keys::{errors::SessionError, policy::CmpOp};
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, instruction, program, CapsExt, InstructionRuleExt, ProgramScopeExt, Scope},
    },
    targets::{game, hostile},
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

/// Most a single purchase may cost, by argument rule.
const MAX_PRICE: u64 = 50_000_000;

/// The game's scope: create_player, move_player, and buy_item with price ≤ MAX_PRICE paid to
/// the treasury.
fn game_scope() -> session_keys::policy::ProgramScope {
    game::session_scope(MAX_PRICE)
}

/// Vault funded with 2 SOL; a session with the game scope and 0.1 SOL lifetime, 0.06 per tx.
async fn game_env() -> (TestEnv, Pubkey) {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    env.fund_vault(2 * SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 10).per_instruction(60_000_000))
        .program(game_scope())
        .label("Dungeon Quest")
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    (env, pda::vault(&owner).0)
}

async fn player(env: &mut TestEnv, vault: &Pubkey) -> Player {
    let data = env.account(&game::player(vault)).await.unwrap().data;
    Player::try_deserialize(&mut &data[..]).unwrap()
}

#[tokio::test]
async fn game_session_plays_without_the_owner() {
    let (mut env, vault) = game_env().await;
    let vault_before = env.lamports(&vault).await;

    // Player creation: the vault pays the rent, which is charged to the SOL caps.
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let rent = vault_before - env.lamports(&vault).await;
    assert!(rent > 0);
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, rent);

    env.execute(&[game::move_player(&vault, 3, -2)])
        .await
        .unwrap();
    env.execute(&[game::move_player(&vault, 1, 1)])
        .await
        .unwrap();
    let p = player(&mut env, &vault).await;
    assert_eq!((p.x, p.y, p.authority), (4, -1, vault));

    env.execute(&[game::buy_item(&vault, 7, 20_000_000)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&game::treasury()).await, 20_000_000);
    assert_eq!(player(&mut env, &vault).await.items, 1);
    let s = env.session().await.unwrap();
    assert_eq!((s.sol.unwrap().spent, s.uses), (rent + 20_000_000, 4));
    assert_eq!(env.lamports(&vault).await, vault_before - rent - 20_000_000);
}

#[tokio::test]
async fn scope_rules_refuse_before_anything_runs() {
    let (mut env, vault) = game_env().await;
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let treasury = game::treasury();
    let before = env.snapshot(&[], &[vault, treasury]).await;

    // Price above the argument rule.
    let r = env
        .execute(&[game::buy_item(&vault, 1, MAX_PRICE + 1)])
        .await;
    assert_session_error(r, SessionError::ArgumentRuleViolated);
    // Paying another account than the treasury.
    let mut buy = game::buy_item(&vault, 1, 1_000_000);
    buy.accounts[2].pubkey = Pubkey::new_unique();
    assert_session_error(env.execute(&[buy]).await, SessionError::AccountRuleViolated);
    // An instruction of the game that the scope does not list.
    let r = env.execute(&[game::attack(&vault, &vault, 5)]).await;
    assert_session_error(r, SessionError::InstructionNotInScope);
    // A program that is not in scope.
    let r = env
        .execute(&[hostile::drain_lamports(&vault, &Pubkey::new_unique(), 1)])
        .await;
    assert_session_error(r, SessionError::ProgramNotInScope);
    // The System Program directly, whatever the scope.
    let transfer = solana_system_interface::instruction::transfer(&vault, &Pubkey::new_unique(), 1);
    assert_session_error(env.execute(&[transfer]).await, SessionError::RefusedTarget);
    // session-keys itself (re-entry by the front door).
    let own = ix::transfer_sol(&env.key.pubkey(), &env.owner.pubkey(), &vault, 1);
    assert_session_error(env.execute(&[own]).await, SessionError::RefusedTarget);

    assert_eq!(env.snapshot(&[], &[vault, treasury]).await, before);
    assert_eq!(env.session().await.unwrap().uses, 1);
}

#[tokio::test]
async fn caps_bind_the_effect_of_a_call() {
    let (mut env, vault) = game_env().await;
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let before = env.snapshot(&[], &[vault, game::treasury()]).await;
    // Allowed by the argument rule (≤ 50M), but above the per-instruction cap (60M) when two
    // purchases run in one batch: caps are counted over the batch.
    let r = env
        .execute(&[
            game::buy_item(&vault, 1, 40_000_000),
            game::buy_item(&vault, 2, 40_000_000),
        ])
        .await;
    assert_session_error(r, SessionError::PerInstructionCapExceeded);
    assert_eq!(env.snapshot(&[], &[vault, game::treasury()]).await, before);
    assert_eq!(
        player(&mut env, &vault).await.items,
        0,
        "the first call was rolled back too"
    );

    // Lifetime: 0.1 SOL minus the rent already spent.
    env.execute(&[game::buy_item(&vault, 1, 50_000_000)])
        .await
        .unwrap();
    let r = env.execute(&[game::buy_item(&vault, 2, 50_000_000)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    // Charged exactly: the player's rent, then one purchase; the refused one left no trace.
    let rent = env.lamports(&game::player(&vault)).await;
    let s = env.session().await.unwrap();
    assert_eq!(s.sol.unwrap().spent, rent + 50_000_000);
    assert_eq!(s.uses, 2);
}

#[tokio::test]
async fn a_batch_is_one_use_and_one_transaction() {
    let (mut env, vault) = game_env().await;
    env.execute(&[
        game::create_player(&vault),
        game::move_player(&vault, 1, 0),
        game::buy_item(&vault, 3, 1_000_000),
    ])
    .await
    .unwrap();
    let p = player(&mut env, &vault).await;
    assert_eq!((p.x, p.items), (1, 1));
    assert_eq!(env.session().await.unwrap().uses, 1);
}

#[tokio::test]
async fn session_without_sol_caps_cannot_spend_vault_lamports() {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(SOL).await;
    // A game session for moves only: no SOL allowance at all.
    let args = Scope::until(START + 60)
        .program(game_scope())
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    // Even player creation needs rent from the vault: refused.
    let r = env.execute(&[game::create_player(&vault)]).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.lamports(&vault).await, SOL);
}

#[tokio::test]
async fn token_purchases_are_charged_to_the_mint_caps() {
    let mut env = TestEnv::new().await;
    let mint = env.mint;
    let vault = env.fund_vault(SOL).await;
    let treasury_tokens = env.create_token_account(&mint, &game::treasury()).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 100 * TOKEN).await;
    let other = env.create_mint(&anchor_spl::token::ID).await;
    let other_vault_tokens = env.create_token_account(&other, &vault).await;
    let other_treasury = env.create_token_account(&other, &game::treasury()).await;
    env.mint_to(&other, &other_vault_tokens, 100 * TOKEN).await;

    let args = Scope::until(START + 3600)
        .sol(caps(SOL / 100))
        .mint(mint, caps(10 * TOKEN).per_instruction(6 * TOKEN))
        .program(program(example_game::ID))
        .delegate(20 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let spl = anchor_spl::token::ID;

    // From the vault's own token account.
    let buy = |from: &Pubkey, m: &Pubkey, to: &Pubkey, price| {
        game::buy_item_token(&vault, from, m, to, &spl, 1, price)
    };
    env.execute(&[buy(&vault_tokens, &mint, &treasury_tokens, 5 * TOKEN)])
        .await
        .unwrap();
    // From the owner's account, on which the vault is delegate.
    let owner_ata = env.owner_ata;
    env.execute(&[buy(&owner_ata, &mint, &treasury_tokens, 4 * TOKEN)])
        .await
        .unwrap();
    assert_eq!(env.balance(&treasury_tokens).await, 9 * TOKEN);
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        9 * TOKEN
    );

    let before = env
        .snapshot(
            &[vault_tokens, owner_ata, treasury_tokens, other_vault_tokens],
            &[],
        )
        .await;
    let r = env
        .execute(&[buy(&vault_tokens, &mint, &treasury_tokens, 2 * TOKEN)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    let r = env
        .execute(&[buy(&vault_tokens, &mint, &treasury_tokens, 7 * TOKEN)])
        .await;
    assert_session_error(r, SessionError::PerInstructionCapExceeded);
    // A mint the session has no caps for cannot leave, whatever the program scope allows.
    let r = env
        .execute(&[buy(&other_vault_tokens, &other, &other_treasury, TOKEN)])
        .await;
    assert_session_error(r, SessionError::TokenOutflowNotInScope);
    assert_eq!(
        env.snapshot(
            &[vault_tokens, owner_ata, treasury_tokens, other_vault_tokens],
            &[]
        )
        .await,
        before
    );
}

#[tokio::test]
async fn expired_revoked_and_malformed_calls() {
    let (mut env, vault) = game_env().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    // No calls at all.
    let r = env.send_key(&[ix::execute(&key, &owner, &[])]).await;
    assert_session_error(r, SessionError::InvalidInnerInstruction);
    // Remaining accounts that do not match the declared counts.
    let mut i = ix::execute(&key, &owner, &[game::create_player(&vault)]);
    i.accounts.pop();
    assert_session_error(
        env.send_key(&[i]).await,
        SessionError::InvalidInnerInstruction,
    );
    let mut i = ix::execute(&key, &owner, &[game::create_player(&vault)]);
    i.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(
            Pubkey::new_unique(),
            false,
        ));
    assert_session_error(
        env.send_key(&[i]).await,
        SessionError::InvalidInnerInstruction,
    );
    // Five calls: one more than allowed.
    let calls: Vec<_> = (0..5).map(|_| game::move_player(&vault, 1, 1)).collect();
    assert_session_error(
        env.execute(&calls).await,
        SessionError::InvalidInnerInstruction,
    );

    env.set_time(START + 3600).await;
    let r = env.execute(&[game::create_player(&vault)]).await;
    assert_session_error(r, SessionError::SessionExpired);
    env.set_time(START).await;
    env.send_owner(&[ix::revoke_all_sessions(&owner, &[])])
        .await
        .unwrap();
    let r = env.execute(&[game::create_player(&vault)]).await;
    assert_session_error(r, SessionError::SessionRevoked);
    assert!(env.account(&game::player(&vault)).await.is_none());
}

#[tokio::test]
async fn invalid_program_scopes_are_refused_at_creation() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let base = || Scope::until(START + 60);
    let g = example_game::ID;
    let cases = vec![
        (
            base().program(program(anchor_lang::system_program::ID)),
            SessionError::RefusedTarget,
        ),
        (
            base().program(program(anchor_spl::token::ID)),
            SessionError::RefusedTarget,
        ),
        (
            base().program(program(session_keys::ID)),
            SessionError::RefusedTarget,
        ),
        (
            base().program(program(g)).program(program(g)),
            SessionError::DuplicateProgram,
        ),
        (
            (0..5).fold(base(), |s, _| s.program(program(Pubkey::new_unique()))),
            SessionError::TooManyPrograms,
        ),
        (
            base().program(program(g).instruction(instruction(&[]))),
            SessionError::InvalidScopeRule,
        ),
        (
            base().program(program(g).instruction(instruction(&[1; 9]))),
            SessionError::InvalidScopeRule,
        ),
        (
            base().program(program(g).instruction(instruction(&[1]).arg(
                0,
                session_keys::policy::ArgKind::U64,
                CmpOp::Le,
                vec![1],
            ))),
            SessionError::InvalidScopeRule,
        ),
        (
            base().program(
                program(g)
                    .instruction((0..5).fold(instruction(&[1]), |r, i| r.arg_u8(i, CmpOp::Eq, 0))),
            ),
            SessionError::TooManyRules,
        ),
        (
            base().program((0..9).fold(program(g), |p, i| p.instruction(instruction(&[i])))),
            SessionError::TooManyRules,
        ),
    ];
    for (scope, expected) in cases {
        let args = scope.build_unchecked();
        assert_eq!(args.check(START), Err(expected));
        let r = env
            .send_owner(&[ix::create_session(&owner, &owner, &key, args, None)])
            .await;
        assert_session_error(r, expected);
    }
    assert!(env.session().await.is_none());
}

#[tokio::test]
async fn session_key_signature_is_passed_on_only_when_granted() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let thief = Pubkey::new_unique();
    // The hostile program asks for the session key's own signature to drain its lamports.
    let drain_key = hostile::drain_lamports(&key, &thief, 1_000_000);
    for pass in [false, true] {
        let mut scope = program(hostile_target::ID);
        if pass {
            scope = scope.pass_session_signer();
        }
        if pass {
            env.send_owner(&[ix::revoke_session(&owner, &owner, &key, &owner)])
                .await
                .unwrap();
        }
        let args = Scope::until(START + 60)
            .program(scope)
            .build(START)
            .unwrap();
        env.create_session(args).await.unwrap();
        let key_before = env.lamports(&key).await;
        let r = env
            .send_key(&[ix::execute(&key, &owner, std::slice::from_ref(&drain_key))])
            .await;
        if pass {
            r.unwrap();
            assert_eq!(env.lamports(&thief).await, 1_000_000);
            assert_eq!(env.lamports(&key).await, key_before - 1_000_000 - 5000);
        } else {
            // Without the grant the key is passed as a non-signer: the target's signer check
            // fails (Anchor's AccountNotSigner, from the hostile program).
            assert_custom(r, 0, anchor_lang::error::ErrorCode::AccountNotSigner as u32);
            assert_eq!(env.lamports(&thief).await, 0);
        }
    }
}

#[tokio::test]
async fn every_comparison_operator_and_a_one_byte_prefix_hold_at_runtime() {
    use anchor_lang::Discriminator;
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    // The treasury exists (rent-exempt) before the small purchases land in it.
    let fund = solana_system_interface::instruction::transfer(&owner, &game::treasury(), SOL);
    env.send_owner(&[fund]).await.unwrap();
    // `buy_item` matched by the first byte of its discriminator only; price at offset 10.
    let buy_prefix = &example_game::instruction::BuyItem::DISCRIMINATOR[..1];
    let scope = |op| {
        program(example_game::ID)
            .instruction(instruction(
                example_game::instruction::CreatePlayer::DISCRIMINATOR,
            ))
            .instruction(instruction(buy_prefix).arg_u64(10, op, 1_000))
    };
    let cases = [
        (CmpOp::Eq, [false, true, false]),
        (CmpOp::Ne, [true, false, true]),
        (CmpOp::Lt, [true, false, false]),
        (CmpOp::Le, [true, true, false]),
        (CmpOp::Gt, [false, false, true]),
        (CmpOp::Ge, [false, true, true]),
    ];
    let mut spent_total = 0;
    for (n, (op, expected)) in cases.into_iter().enumerate() {
        let args = Scope::until(START + 60)
            .sol(caps(SOL))
            .program(scope(op))
            .build(START)
            .unwrap();
        env.create_session(args).await.unwrap();
        if n == 0 {
            env.execute(&[game::create_player(&vault)]).await.unwrap();
        }
        for (price, allowed) in [999u64, 1_000, 1_001].into_iter().zip(expected) {
            let before = env.lamports(&game::treasury()).await;
            let r = env.execute(&[game::buy_item(&vault, 1, price)]).await;
            if allowed {
                assert_eq!(r, Ok(()), "{op:?} {price}");
                assert_eq!(env.lamports(&game::treasury()).await, before + price);
                spent_total += price;
            } else {
                assert_session_error(r, SessionError::ArgumentRuleViolated);
                assert_eq!(env.lamports(&game::treasury()).await, before);
            }
        }
        env.revoke_own_session().await;
    }
    // Eq, Ne, Lt, Le, Gt, Ge: the prices each one let through, summed.
    assert_eq!(spent_total, 1_000 + 2_000 + 999 + 1_999 + 1_001 + 2_001);
}

#[tokio::test]
async fn window_caps_bind_execute_and_reopen_in_the_next_window() {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(SOL).await;
    let args = Scope::until(START + 3600)
        .sol(caps(SOL).window(60, 30_000_000))
        .program(game_scope())
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    // The window starts at the aligned minute containing START; stay inside it.
    let window = START - START.rem_euclid(60);
    env.execute(&[game::create_player(&vault)]).await.unwrap();
    let rent = env.lamports(&game::player(&vault)).await;
    env.execute(&[game::buy_item(&vault, 1, 20_000_000)])
        .await
        .unwrap();
    let before = env.lamports(&vault).await;
    let r = env.execute(&[game::buy_item(&vault, 2, 10_000_000)]).await;
    assert_session_error(r, SessionError::WindowCapExceeded);
    assert_eq!(env.lamports(&vault).await, before);
    let s = env.session().await.unwrap().sol.unwrap();
    assert_eq!(
        (s.window_start, s.window_spent),
        (window, rent + 20_000_000)
    );
    // The next window opens at the next multiple of 60 s.
    env.set_time(window + 60).await;
    env.execute(&[game::buy_item(&vault, 2, 10_000_000)])
        .await
        .unwrap();
    let s = env.session().await.unwrap().sol.unwrap();
    assert_eq!(
        (s.window_start, s.window_spent, s.spent),
        (window + 60, 10_000_000, rent + 30_000_000)
    );
}
