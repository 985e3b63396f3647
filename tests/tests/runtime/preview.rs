//! `preview`: "would this pass?" through `simulateTransaction`, checked against the real
//! instruction on the same bank, case by case.
use anchor_lang::prelude::Pubkey;
use session_keys::{
    errors::SessionError,
    instructions::{Preview, SessionStatus},
    policy::SOL_ASSET,
};
use session_keys_tests::{
    client::{
        ix,
        scope::{caps, CapsExt, Scope},
    },
    targets::{game, memo},
    *,
};
use solana_sdk::{signature::Keypair, signer::Signer};
use solana_system_interface::instruction as system_instruction;

/// A small deterministic generator (xorshift64*), so a failing case replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[tokio::test]
async fn preview_reports_state_allowances_and_the_owner_budget() {
    let mut env = TestEnv::new().await;
    env.fund_vault(2 * SOL).await;
    let args = Scope::until(START + 600)
        .sol(caps(SOL).per_instruction(SOL / 4).window(60, SOL / 2))
        .mint(env.mint, caps(10 * TOKEN))
        .max_uses(5)
        .rate_limit(3, 60)
        .delegate(10 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.set_budget(&SOL_ASSET, budget(Some(SOL / 3), None))
        .await
        .unwrap();
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    env.send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 5)])
        .await
        .unwrap();

    let p: Preview = env.preview(ix::preview(&o, &k, Status, vec![])).await;
    let window = START - START % 60;
    assert_eq!(p.now, START);
    assert_eq!(p.status, SessionStatus::Live);
    assert_eq!((p.expires_at, p.uses_remaining), (START + 600, 4));
    assert_eq!((p.rate_remaining, p.rate_reopens_at), (2, window + 60));
    assert_eq!(p.result, 0);
    let sol = p.assets[0];
    assert_eq!(sol.asset, SOL_ASSET);
    assert_eq!(
        (
            sol.session.lifetime_remaining,
            sol.session.window_remaining,
            sol.session.window_reopens_at
        ),
        (SOL - SOL / 5, SOL / 2 - SOL / 5, window + 60)
    );
    let owner = sol.budget.unwrap();
    assert_eq!(
        (owner.lifetime_remaining, owner.window_remaining),
        (SOL / 3 - SOL / 5, u64::MAX)
    );
    // Per instruction 0.25, window 0.3 left, owner 0.1333...: the owner's budget is tightest.
    assert_eq!(sol.largest_next_spend, SOL / 3 - SOL / 5);
    let token = p.assets[1];
    assert_eq!(
        (token.asset, token.budget, token.largest_next_spend),
        (env.mint, None, 10 * TOKEN)
    );

    // A proposed action answers with the exact error of the real one, and changes nothing.
    let p = env
        .preview(ix::preview_transfer_sol(&o, &k, &to, SOL / 5, None))
        .await;
    assert_eq!(
        p.result,
        u64::from(code(SessionError::OwnerBudgetLifetimeExceeded))
    );
    let r = env
        .send_key(&[ix::transfer_sol(&k, &o, &to, SOL / 5)])
        .await;
    assert_session_error(r, SessionError::OwnerBudgetLifetimeExceeded);
    assert_eq!(env.session().await.unwrap().uses, 1);

    // Expired and revoked sessions say so.
    env.set_time(START + 600).await;
    let p = env.preview(ix::preview(&o, &k, Status, vec![])).await;
    assert_eq!(
        (p.status, p.result),
        (
            SessionStatus::Expired,
            u64::from(code(SessionError::SessionExpired))
        )
    );
    env.set_time(START + 10).await;
    env.send_owner(&[ix::revoke_all_sessions(&o, &[])])
        .await
        .unwrap();
    let p = env.preview(ix::preview(&o, &k, Status, vec![])).await;
    assert_eq!(p.status, SessionStatus::Revoked);
}

use session_keys::instructions::PreviewAction::Status;

/// One session of the generated world: its key and whether it may call the game.
struct Agent {
    key: Keypair,
    game: bool,
}

/// Random sessions, budgets, clocks and actions: for every action, `preview` (simulated) and
/// the real instruction (sent right after, on the same bank) give the same outcome, and a
/// transfer passes only if its amount is within `largest_next_spend`.
#[tokio::test]
async fn preview_agrees_with_the_real_instruction_on_every_generated_case() {
    const SEEDS: [u64; 6] = [
        0x5eed_0001,
        0x5eed_0002,
        0x5eed_0003,
        0x5eed_0004,
        0x5eed_0005,
        0x5eed_0006,
    ];
    const STEPS: usize = 45;
    let mut outcomes = std::collections::BTreeMap::<u64, usize>::new();
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let mut env = TestEnv::new().await;
        let owner = env.owner.insecure_clone();
        let o = owner.pubkey();
        let vault = env.fund_vault(20 * SOL).await;
        // Destinations that exist (so no transfer fails on rent): the recipient and another.
        let other = Pubkey::new_unique();
        let (recipient, mint) = (env.recipient, env.mint);
        env.send_owner(&[
            system_instruction::transfer(&o, &recipient, SOL),
            system_instruction::transfer(&o, &other, SOL),
        ])
        .await
        .unwrap();
        let other_ata = env.create_token_account(&mint, &other).await;

        let mut agents = Vec::new();
        for n in 0..3 {
            let key = Keypair::new();
            let game = rng.chance(50);
            let lifetime = SOL / 10 * (1 + rng.below(5));
            let mut sol = caps(lifetime);
            if rng.chance(40) {
                sol = sol.per_instruction(lifetime / 2);
            }
            if rng.chance(40) {
                sol = sol.window(60, lifetime / 2);
            }
            let tokens = TOKEN * (1 + rng.below(50));
            let mut scope = Scope::until(START + 300 + rng.below(1200) as i64)
                .sol(sol)
                .mint(mint, caps(tokens))
                .top_up(SOL / 20)
                .reference_history(rng.below(3) as u8);
            if game {
                scope = scope.program(game::session_scope(SOL / 10));
            } else if rng.chance(50) {
                scope = scope.destination(recipient);
            }
            if rng.chance(40) {
                scope = scope.max_uses(3 + rng.below(6) as u32);
            }
            if rng.chance(40) {
                scope = scope.rate_limit(2 + rng.below(3) as u32, 60);
            }
            if n == 0 {
                scope = scope.delegate(1_000 * TOKEN);
            }
            let args = scope.build(START).unwrap();
            let delegate = (n == 0).then_some(ix::DelegateFrom {
                token_account: env.owner_ata,
                token_program: anchor_spl::token::spl_token::ID,
            });
            env.send(
                &[ix::create_session(&o, &o, &key.pubkey(), args, delegate)],
                &[&owner],
            )
            .await
            .unwrap();
            if game && !agents.iter().any(|a: &Agent| a.game) {
                let i = ix::execute(&key.pubkey(), &o, &[game::create_player(&vault)]);
                env.send(&[i], &[&key]).await.unwrap();
            }
            agents.push(Agent { key, game });
        }
        if rng.chance(70) {
            let lifetime = SOL / 10 * (2 + rng.below(8));
            let w = rng
                .chance(50)
                .then_some((60, (SOL / 10 * (1 + rng.below(4))).min(lifetime)));
            env.set_budget(&SOL_ASSET, budget(Some(lifetime), w))
                .await
                .unwrap();
        }
        if rng.chance(50) {
            env.set_budget(&mint, budget(Some(TOKEN * (5 + rng.below(40))), None))
                .await
                .unwrap();
        }

        let references: [[u8; 16]; 3] = [[1; 16], [2; 16], [3; 16]];
        let mut now = START;
        for step in 0..STEPS {
            if rng.chance(30) {
                now += rng.below(70) as i64;
                env.set_time(now).await;
            }
            if step == STEPS - 6 {
                // The owner tightens the SOL budget mid-run, then later kills everything.
                env.set_budget(&SOL_ASSET, budget(Some(SOL / 10), None))
                    .await
                    .unwrap();
            }
            if step == STEPS - 3 {
                env.send_owner(&[ix::revoke_all_sessions(&o, &[])])
                    .await
                    .unwrap();
            }
            let agent = &agents[rng.below(3) as usize];
            let k = agent.key.pubkey();
            let reference = rng.chance(40).then(|| references[rng.below(3) as usize]);
            let reference = reference.as_ref().map(|r| &r[..]);
            let (preview, real, amount) = match rng.below(3) {
                0 => {
                    let to = if rng.chance(70) { recipient } else { other };
                    let amount = [0, 1, SOL / 20, SOL / 7, SOL / 3, SOL][rng.below(6) as usize];
                    (
                        ix::preview_transfer_sol(&o, &k, &to, amount, reference),
                        ix::transfer_sol_ref(&k, &o, &to, amount, reference),
                        Some((0usize, amount)),
                    )
                }
                1 => {
                    let to = if rng.chance(70) {
                        env.recipient_ata
                    } else {
                        other_ata
                    };
                    let t = ix::TokenTransfer {
                        from: env.owner_ata,
                        mint,
                        to,
                        token_program: anchor_spl::token::spl_token::ID,
                    };
                    let amount = [0, 1, TOKEN, 7 * TOKEN, 30 * TOKEN][rng.below(5) as usize];
                    (
                        ix::preview_transfer_token(&o, &k, t, amount, reference),
                        ix::transfer_token_ref(&k, &o, t, amount, DECIMALS, reference),
                        Some((1usize, amount)),
                    )
                }
                _ => {
                    // Calls whose outcome the checks before the calls decide: a move (nothing
                    // leaves the vault), an item priced over the rule, a program out of scope.
                    let calls = match rng.below(3) {
                        0 if agent.game => vec![game::move_player(&vault, 1, 0)],
                        1 => vec![game::buy_item(&vault, 1, SOL)],
                        _ => vec![memo::memo(b"hi")],
                    };
                    (
                        ix::preview_execute(&o, &k, &calls, reference),
                        ix::execute_ref(&k, &o, &calls, reference),
                        None,
                    )
                }
            };
            let p = env.preview_with(preview, &agent.key).await;
            let result = env.send(&[real], &[&agent.key]).await;
            let real = outcome(&result);
            assert_eq!(
                p.result, real,
                "seed {seed:#x} step {step}: preview {p:?}, real {result:?}"
            );
            if let Some((asset, amount)) = amount {
                if real == 0 {
                    assert!(
                        amount <= p.assets[asset].largest_next_spend,
                        "seed {seed:#x} step {step}"
                    );
                }
            }
            *outcomes.entry(real).or_default() += 1;
        }
    }
    // The generated cases reach successes and many distinct refusals.
    assert!(outcomes.get(&0).copied().unwrap_or(0) >= 10, "{outcomes:?}");
    assert!(
        outcomes.len() >= 8,
        "too few distinct outcomes: {outcomes:?}"
    );
}

/// `preview` sent in a real transaction (not simulated) changes nothing: it has no signer,
/// every account is read-only and it calls no program.
#[tokio::test]
async fn a_preview_sent_for_real_writes_nothing() {
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(SOL).await;
    let args = Scope::until(START + 600)
        .sol(caps(SOL))
        .program(game::session_scope(SOL))
        .reference_history(2)
        .rate_limit(5, 60)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.set_budget(&SOL_ASSET, budget(Some(SOL), None))
        .await
        .unwrap();
    let (o, k) = (env.owner.pubkey(), env.key.pubkey());
    let to = Pubkey::new_unique();
    let watched = [
        session_keys_tests::client::pda::session(&o, &k).0,
        session_keys_tests::client::pda::budget(&o).0,
        session_keys_tests::client::pda::wallet(&o).0,
        vault,
    ];
    let mut before = Vec::new();
    for a in &watched {
        before.push(env.account(a).await);
    }
    let calls = [game::create_player(&vault)];
    for i in [
        ix::preview_transfer_sol(&o, &k, &to, SOL / 2, Some(&[1; 16])),
        ix::preview_execute(&o, &k, &calls, Some(&[2; 16])),
    ] {
        assert!(i.accounts.iter().all(|m| !m.is_signer && !m.is_writable));
        env.send_key(&[i]).await.unwrap();
    }
    let mut after = Vec::new();
    for a in &watched {
        after.push(env.account(a).await);
    }
    assert_eq!(before, after);
    assert!(
        env.account(&game::player(&vault)).await.is_none(),
        "no call was made"
    );
    assert!(env.account(&to).await.is_none());
}
