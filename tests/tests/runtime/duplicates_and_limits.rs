//! Duplicate accounts in one instruction, u64 limits, and a long random run of transfers and
//! clock moves checked step by step against an independent model.
use anchor_lang::error::ErrorCode as Anchor;
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, program, CapsExt, Scope},
    },
    targets::hostile,
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn token_account_as_both_source_and_destination() {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(10 * TOKEN))
        .delegate(10 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let (ata, mint) = (env.owner_ata, env.mint);
    let t = env.transfer_accounts(&ata, &mint, &ata).await;
    let i = ix::transfer_token(&env.key.pubkey(), &env.owner.pubkey(), t, TOKEN, DECIMALS);
    assert_custom(
        env.send_key(&[i]).await,
        0,
        Anchor::ConstraintDuplicateMutableAccount as u32,
    );
    assert_eq!(env.session().await.unwrap().mints[0].allowance.spent, 0);
    assert_eq!(env.balance(&ata).await, 1_000 * TOKEN);
}

#[tokio::test]
async fn sol_to_the_vault_itself_is_refused_and_charges_nothing() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    env.create_session(
        Scope::until(START + 60)
            .sol(caps(SOL / 10))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    // SOL sent back to the vault itself moves nothing: refused, and charges nothing.
    let r = env
        .send_key(&[ix::transfer_sol(
            &env.key.pubkey(),
            &owner,
            &vault,
            SOL / 10,
        )])
        .await;
    assert_session_error(r, SessionError::SelfTransfer);
    assert_eq!(env.lamports(&vault).await, SOL);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.sol.unwrap().spent), (0, 0));
    // The whole allowance is still there.
    let to = Pubkey::new_unique();
    env.send_key(&[ix::transfer_sol(&env.key.pubkey(), &owner, &to, SOL / 10)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&to).await, SOL / 10);
}

#[tokio::test]
async fn an_account_listed_twice_in_execute_is_counted_once() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.mint;
    let vault_ata = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_ata, 20 * TOKEN).await;
    let thief = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    let args = Scope::until(START + 60)
        .mint(mint, caps(5 * TOKEN))
        .program(program(hostile_target::ID))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let spl = anchor_spl::token::ID;
    let steal = |n| hostile::steal_tokens(&vault, &vault_ata, &mint, &thief, &spl, n, DECIMALS);
    // Two calls over the same account: 2 + 2 tokens, charged 4 (not 2, not 8).
    let i = ix::execute(
        &env.key.pubkey(),
        &owner,
        &[steal(2 * TOKEN), steal(2 * TOKEN)],
    );
    env.send_key(&[i]).await.unwrap();
    assert_eq!(env.balance(&thief).await, 4 * TOKEN);
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        4 * TOKEN
    );
    // And over the batch the cap still binds: 1 + 1 > 1 left.
    let i = ix::execute(
        &env.key.pubkey(),
        &owner,
        &[steal(TOKEN / 2), steal(TOKEN / 2 + 1)],
    );
    assert_session_error(env.send_key(&[i]).await, SessionError::LifetimeCapExceeded);
    assert_eq!(env.balance(&thief).await, 4 * TOKEN);
}

#[tokio::test]
async fn u64_limit_caps_and_amounts() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    env.fund_vault(SOL).await;
    let max = u64::MAX;
    let args = Scope::until(START + 60)
        .mint(
            env.mint,
            caps(max).per_instruction(max).window(u32::MAX, max),
        )
        .sol(caps(max).window(1, max))
        .delegate(max)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    // The caps allow u64::MAX; the token and system programs refuse what does not exist, and
    // nothing is charged.
    let i = env.transfer_ix(max).await;
    assert_custom(env.send_key(&[i]).await, 0, 1); // SPL Token: InsufficientFunds
    let i = ix::transfer_sol(&env.key.pubkey(), &owner, &Pubkey::new_unique(), max);
    assert_custom(env.send_key(&[i]).await, 0, 1); // System: ResultWithNegativeLamports
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.mints[0].allowance.spent, s.sol.unwrap().spent, s.uses),
        (0, 0, 0)
    );
    // Real amounts still work under u64::MAX caps.
    let i = env.transfer_ix(1_000 * TOKEN).await;
    env.send_key(&[i]).await.unwrap();
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        1_000 * TOKEN
    );
}

/// The reference model of the runtime run: windows are indexed from the epoch and never
/// reopen when the clock goes back.
struct Model {
    spent: u64,
    window_index: i64,
    window_spent: u64,
}

const LIFETIME: u64 = 60 * TOKEN;
const PER_TX: u64 = 12 * TOKEN;
const WINDOW: i64 = 45;
const WINDOW_CAP: u64 = 30 * TOKEN;

impl Model {
    fn charge(&mut self, amount: u64, now: i64) -> Result<(), SessionError> {
        let index = now.div_euclid(WINDOW).max(self.window_index);
        let in_window = if index > self.window_index {
            0
        } else {
            self.window_spent
        };
        if amount == 0 {
            return Err(SessionError::ZeroAmount);
        }
        if amount > PER_TX {
            return Err(SessionError::PerInstructionCapExceeded);
        }
        if in_window + amount > WINDOW_CAP {
            return Err(SessionError::WindowCapExceeded);
        }
        if self.spent + amount > LIFETIME {
            return Err(SessionError::LifetimeCapExceeded);
        }
        self.window_index = index;
        self.window_spent = in_window + amount;
        self.spent += amount;
        Ok(())
    }
}

#[tokio::test]
async fn random_run_matches_the_model_step_by_step() {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 3600)
        .mint(
            env.mint,
            caps(LIFETIME)
                .per_instruction(PER_TX)
                .window(WINDOW as u32, WINDOW_CAP),
        )
        .delegate(LIFETIME)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let mut model = Model {
        spent: 0,
        window_index: START.div_euclid(WINDOW),
        window_spent: 0,
    };
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let (mut now, mut accepted, mut refused) = (START, 0, 0);
    for step in 0..60 {
        now += next(100) as i64 - 20; // clock moves -20..+79 s
        let amount = next(15) * TOKEN + if next(4) == 0 { 1 } else { 0 };
        env.set_time(now).await;
        let expected = model.charge(amount, now);
        let i = env.transfer_ix(amount).await;
        let got = env.send_key(&[i]).await;
        match expected {
            Ok(()) => {
                assert_eq!(got, Ok(()), "step {step}: {amount} at {now}");
                accepted += 1;
            }
            Err(e) => {
                assert_session_error(got, e);
                refused += 1;
            }
        }
        let a = env.session().await.unwrap().mints[0].allowance;
        assert_eq!(a.spent, model.spent, "step {step}");
        assert_eq!(a.window_start, model.window_index * WINDOW, "step {step}");
        assert_eq!(a.window_spent, model.window_spent, "step {step}");
        assert_eq!(
            env.balance(&env.recipient_ata.clone()).await,
            model.spent,
            "step {step}"
        );
    }
    assert!(
        accepted > 5 && refused > 5,
        "both paths exercised: {accepted} accepted, {refused} refused"
    );
}
