//! `transfer_token`: caps, windows, expiry, scope and every substituted account.
use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token::spl_token;
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix::{self, TokenTransfer},
        pda,
        scope::{caps, CapsExt, Scope},
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// SPL Token error codes used below.
const TOKEN_MINT_MISMATCH: u32 = 3;
const TOKEN_DECIMALS_MISMATCH: u32 = 18;

async fn balances(env: &mut TestEnv) -> Vec<u64> {
    let (a, b) = (env.owner_ata, env.recipient_ata);
    let vault = pda::vault(&env.owner.pubkey()).0;
    env.snapshot(&[a, b], &[vault]).await
}

#[tokio::test]
async fn moves_tokens_and_counts() {
    let mut env = TestEnv::with_token_session(
        caps(50 * TOKEN)
            .per_instruction(20 * TOKEN)
            .window(60, 30 * TOKEN),
        1_000 * TOKEN,
    )
    .await;
    env.send_transfer(7 * TOKEN).await.unwrap();
    assert_eq!(env.balance(&env.owner_ata.clone()).await, 993 * TOKEN);
    assert_eq!(env.balance(&env.recipient_ata.clone()).await, 7 * TOKEN);
    let ata = env.token_account(&env.owner_ata.clone()).await;
    assert_eq!(ata.delegated_amount, 993 * TOKEN);
    let s = env.session().await.unwrap();
    let a = s.mints[0].allowance;
    assert_eq!((a.spent, a.window_spent, s.uses), (7 * TOKEN, 7 * TOKEN, 1));
    assert_eq!(a.available(START), 20 * TOKEN);
}

#[tokio::test]
async fn token_2022_mint_works_too() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(&anchor_spl::token_2022::ID).await;
    let owner = env.owner.pubkey();
    let from = env.create_token_account(&mint, &owner).await;
    let to = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    env.mint_to(&mint, &from, 100 * TOKEN).await;
    let args = Scope::until(START + 60)
        .mint(mint, caps(10 * TOKEN))
        .delegate(10 * TOKEN);
    let ixn = ix::create_session(
        &owner,
        &owner,
        &env.key.pubkey(),
        args.build(START).unwrap(),
        Some(ix::DelegateFrom {
            token_account: from,
            token_program: anchor_spl::token_2022::ID,
        }),
    );
    env.send_owner(&[ixn]).await.unwrap();
    let t = env.transfer_accounts(&from, &mint, &to).await;
    assert_eq!(t.token_program, anchor_spl::token_2022::ID);
    let ixn = ix::transfer_token(&env.key.pubkey(), &owner, t, 4 * TOKEN, DECIMALS);
    env.send_key(&[ixn]).await.unwrap();
    assert_eq!(env.balance(&to).await, 4 * TOKEN);
    assert_eq!(env.balance(&from).await, 96 * TOKEN);
}

#[tokio::test]
async fn spends_from_a_vault_owned_account() {
    let mut env = TestEnv::new().await;
    let (owner, mint) = (env.owner.pubkey(), env.mint);
    let vault = pda::vault(&owner).0;
    let vault_ata = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_ata, 30 * TOKEN).await;
    env.create_session(
        Scope::until(START + 60)
            .mint(mint, caps(10 * TOKEN))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    let to = env.recipient_ata;
    let t = env.transfer_accounts(&vault_ata, &mint, &to).await;
    let ixn = ix::transfer_token(&env.key.pubkey(), &owner, t, 10 * TOKEN, DECIMALS);
    env.send_key(std::slice::from_ref(&ixn)).await.unwrap();
    assert_eq!(env.balance(&vault_ata).await, 20 * TOKEN);
    assert_eq!(env.balance(&to).await, 10 * TOKEN);
    // The lifetime cap now binds even though the vault holds more.
    let ixn = ix::transfer_token(&env.key.pubkey(), &owner, t, 1, DECIMALS);
    assert_session_error(
        env.send_key(&[ixn]).await,
        SessionError::LifetimeCapExceeded,
    );
    assert_eq!(env.balance(&vault_ata).await, 20 * TOKEN);
}

#[tokio::test]
async fn per_instruction_cap() {
    let mut env =
        TestEnv::with_token_session(caps(50 * TOKEN).per_instruction(20 * TOKEN), 1_000 * TOKEN)
            .await;
    let before = balances(&mut env).await;
    let r = env.send_transfer(20 * TOKEN + 1).await;
    assert_session_error(r, SessionError::PerInstructionCapExceeded);
    assert_eq!(balances(&mut env).await, before);
    assert_eq!(env.session().await.unwrap().uses, 0);
    env.send_transfer(20 * TOKEN).await.unwrap();
}

#[tokio::test]
async fn window_cap_then_rollover_at_the_exact_boundary() {
    // The 60 s window containing START is [w, w + 60).
    let w = START - START % 60;
    let mut env =
        TestEnv::with_token_session(caps(50 * TOKEN).window(60, 10 * TOKEN), 1_000 * TOKEN).await;
    env.set_time(w + 1).await;
    env.send_transfer(6 * TOKEN).await.unwrap();
    env.set_time(w + 59).await;
    env.send_transfer(4 * TOKEN).await.unwrap();
    let before = balances(&mut env).await;
    assert_session_error(env.send_transfer(1).await, SessionError::WindowCapExceeded);
    assert_eq!(balances(&mut env).await, before);

    env.set_time(w + 60).await;
    env.send_transfer(10 * TOKEN).await.unwrap();
    let a = env.session().await.unwrap().mints[0].allowance;
    assert_eq!(
        (a.window_start, a.window_spent, a.spent),
        (w + 60, 10 * TOKEN, 20 * TOKEN)
    );
}

#[tokio::test]
async fn clock_going_backwards_does_not_reopen_a_window() {
    let w = START - START % 60;
    let mut env =
        TestEnv::with_token_session(caps(50 * TOKEN).window(60, 10 * TOKEN), 1_000 * TOKEN).await;
    env.set_time(w + 60).await;
    env.send_transfer(10 * TOKEN).await.unwrap();
    env.set_time(w + 30).await;
    assert_session_error(env.send_transfer(1).await, SessionError::WindowCapExceeded);
}

/// Per-tx, window and lifetime caps hit in each order.
#[tokio::test]
async fn caps_hit_in_every_order() {
    let w = START - START % 60;
    // lifetime 25, window 10/60 s, per-tx 8.
    let c = caps(25).per_instruction(8).window(60, 10);
    let orders: [&[(i64, u64, Option<SessionError>)]; 3] = [
        // per-tx, then window, then lifetime
        &[
            (0, 9, Some(SessionError::PerInstructionCapExceeded)),
            (0, 8, None),
            (0, 3, Some(SessionError::WindowCapExceeded)),
            (60, 8, None),
            (120, 8, None),
            (180, 2, Some(SessionError::LifetimeCapExceeded)),
            (180, 1, None),
        ],
        // window, then lifetime, then per-tx
        &[
            (0, 8, None),
            (0, 3, Some(SessionError::WindowCapExceeded)),
            (60, 8, None),
            (120, 8, None),
            (180, 2, Some(SessionError::LifetimeCapExceeded)),
            (180, 9, Some(SessionError::PerInstructionCapExceeded)),
        ],
        // lifetime, then window, then per-tx
        &[
            (0, 8, None),
            (60, 8, None),
            (120, 8, None),
            (180, 2, Some(SessionError::LifetimeCapExceeded)),
            (180, 1, None),
            (180, 1, Some(SessionError::LifetimeCapExceeded)),
            (240, 9, Some(SessionError::PerInstructionCapExceeded)),
        ],
    ];
    for steps in orders {
        let mut env = TestEnv::with_token_session(c, 1_000 * TOKEN).await;
        let mut spent = 0;
        for &(t, amount, expected) in steps {
            env.set_time(w + t).await;
            let before = balances(&mut env).await;
            let r = env.send_transfer(amount).await;
            match expected {
                None => {
                    r.unwrap();
                    spent += amount;
                }
                Some(e) => {
                    assert_session_error(r, e);
                    assert_eq!(balances(&mut env).await, before);
                }
            }
            assert_eq!(env.balance(&env.recipient_ata.clone()).await, spent);
            assert_eq!(env.session().await.unwrap().mints[0].allowance.spent, spent);
        }
    }
}

#[tokio::test]
async fn expiry_to_the_exact_second() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 1_000 * TOKEN).await;
    env.set_time(START + 3599).await;
    env.send_transfer(TOKEN).await.unwrap();
    env.set_time(START + 3600).await;
    let before = balances(&mut env).await;
    assert_session_error(env.send_transfer(TOKEN).await, SessionError::SessionExpired);
    assert_eq!(balances(&mut env).await, before);
}

#[tokio::test]
async fn uses_are_limited() {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(50 * TOKEN))
        .max_uses(2)
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env.send_transfer(1).await.unwrap();
    env.send_transfer(1).await.unwrap();
    let before = balances(&mut env).await;
    assert_session_error(env.send_transfer(1).await, SessionError::UsesExhausted);
    assert_eq!(balances(&mut env).await, before);
    assert_eq!(env.session().await.unwrap().uses, 2);
}

#[tokio::test]
async fn zero_amount_is_refused() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 1_000 * TOKEN).await;
    assert_session_error(env.send_transfer(0).await, SessionError::ZeroAmount);
}

#[tokio::test]
async fn destination_allow_list() {
    let mut env = TestEnv::new().await;
    let (mint, owner) = (env.mint, env.owner.pubkey());
    let allowed_owner = Pubkey::new_unique();
    let by_owner = env.create_token_account(&mint, &allowed_owner).await;
    let listed = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    let args = Scope::until(START + 60)
        .mint(mint, caps(50 * TOKEN))
        .destination(allowed_owner)
        .destination(listed)
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let from = env.owner_ata;
    for to in [by_owner, listed] {
        let t = env.transfer_accounts(&from, &mint, &to).await;
        let ixn = ix::transfer_token(&env.key.pubkey(), &owner, t, TOKEN, DECIMALS);
        env.send_key(&[ixn]).await.unwrap();
        assert_eq!(env.balance(&to).await, TOKEN);
    }
    let before = balances(&mut env).await;
    assert_session_error(
        env.send_transfer(TOKEN).await,
        SessionError::DestinationNotAllowed,
    );
    assert_eq!(balances(&mut env).await, before);
}

#[tokio::test]
async fn mint_not_in_scope() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 1_000 * TOKEN).await;
    let owner = env.owner.pubkey();
    let other = env.create_mint(&anchor_spl::token::ID).await;
    let from = env.create_token_account(&other, &owner).await;
    let to = env
        .create_token_account(&other, &Pubkey::new_unique())
        .await;
    env.mint_to(&other, &from, 10 * TOKEN).await;
    let t = env.transfer_accounts(&from, &other, &to).await;
    let ixn = ix::transfer_token(&env.key.pubkey(), &owner, t, TOKEN, DECIMALS);
    assert_session_error(env.send_key(&[ixn]).await, SessionError::MintNotInScope);
    assert_eq!(env.balance(&from).await, 10 * TOKEN);
}

#[tokio::test]
async fn fake_mint_token_program_and_decimals() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 1_000 * TOKEN).await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let before = balances(&mut env).await;

    // Wrong decimals: the token program refuses.
    let t = env
        .transfer_accounts(
            &env.owner_ata.clone(),
            &env.mint.clone(),
            &env.recipient_ata.clone(),
        )
        .await;
    let r = env
        .send_key(&[ix::transfer_token(&key, &owner, t, TOKEN, DECIMALS + 1)])
        .await;
    assert_custom(r, 0, TOKEN_DECIMALS_MISMATCH);

    // A fake token program (any other executable): Anchor's interface check refuses.
    let fake = TokenTransfer {
        token_program: anchor_lang::system_program::ID,
        ..t
    };
    let r = env
        .send_key(&[ix::transfer_token(&key, &owner, fake, TOKEN, DECIMALS)])
        .await;
    assert_custom(r, 0, AnchorError::InvalidProgramId as u32);

    // Token-2022 named as the program for SPL Token accounts: the token program refuses.
    let t22 = TokenTransfer {
        token_program: anchor_spl::token_2022::ID,
        ..t
    };
    let r = env
        .send_key(&[ix::transfer_token(&key, &owner, t22, TOKEN, DECIMALS)])
        .await;
    // Token-2022 cannot write accounts SPL Token owns: the runtime refuses with
    // `ExternalAccountDataModified`, which the native harness reports as
    // `ProgramFailedToComplete` (see docs/09-testing.md).
    assert_eq!(
        r,
        Err(solana_sdk::transaction::TransactionError::InstructionError(
            0,
            solana_sdk::instruction::InstructionError::ProgramFailedToComplete
        ))
    );

    // A scoped mint key with the token accounts of another mint: the token program refuses.
    let other = env.create_mint(&anchor_spl::token::ID).await;
    let from = env.create_token_account(&other, &owner).await;
    env.mint_to(&other, &from, 10 * TOKEN).await;
    let approve = spl_token::instruction::approve(
        &spl_token::ID,
        &from,
        &pda::vault(&owner).0,
        &owner,
        &[],
        10 * TOKEN,
    )
    .unwrap();
    env.send_owner(&[approve]).await.unwrap();
    let mixed = TokenTransfer { from, ..t };
    let r = env
        .send_key(&[ix::transfer_token(&key, &owner, mixed, TOKEN, DECIMALS)])
        .await;
    assert_custom(r, 0, TOKEN_MINT_MISMATCH);

    // A "token account" owned by another program: Anchor's owner check refuses.
    let r = env
        .send_key(&[ix::transfer_token(
            &key,
            &owner,
            TokenTransfer {
                from: pda::session(&owner, &key).0,
                ..t
            },
            TOKEN,
            DECIMALS,
        )])
        .await;
    assert_custom(r, 0, AnchorError::AccountOwnedByWrongProgram as u32);

    assert_eq!(balances(&mut env).await, before);
    assert_eq!(env.balance(&from).await, 10 * TOKEN);
    assert_eq!(env.session().await.unwrap().uses, 0);
}

/// Owner A's session key against owner B's session, wallet, vault and token account.
#[tokio::test]
async fn cross_owner_substitution() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 1_000 * TOKEN).await;
    let (a, key_a) = (env.owner.pubkey(), env.key.pubkey());
    let mint = env.mint;
    // Owner B with their own session key, session and delegated token account.
    let b = env.stranger.insecure_clone();
    let key_b = Keypair::new();
    let b_ata = env.create_token_account(&mint, &b.pubkey()).await;
    env.mint_to(&mint, &b_ata, 100 * TOKEN).await;
    let args = Scope::until(START + 60)
        .mint(mint, caps(50 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    let ixn = ix::create_session(
        &b.pubkey(),
        &b.pubkey(),
        &key_b.pubkey(),
        args,
        Some(ix::DelegateFrom {
            token_account: b_ata,
            token_program: anchor_spl::token::ID,
        }),
    );
    env.send(&[ixn], &[&b]).await.unwrap();

    let to = env.recipient_ata;
    let good = env.transfer_ix(TOKEN).await;
    let before = env.snapshot(&[env.owner_ata, b_ata, to], &[]).await;
    let mut cases = Vec::new();
    // Key A signs with B's session.
    let mut i = good.clone();
    i.accounts[1].pubkey = pda::session(&b.pubkey(), &key_b.pubkey()).0;
    cases.push((i, SessionError::WrongSessionKey));
    // A's session with B's wallet.
    let mut i = good.clone();
    i.accounts[2].pubkey = pda::wallet(&b.pubkey()).0;
    cases.push((i, SessionError::WrongWallet));
    // A's session with B's vault.
    let mut i = good.clone();
    i.accounts[3].pubkey = pda::vault(&b.pubkey()).0;
    cases.push((i, SessionError::WrongVault));
    // A's session draining B's token account (B's vault is its delegate, not A's).
    let mut i = good.clone();
    i.accounts[5].pubkey = b_ata;
    cases.push((i, SessionError::WrongSourceAccount));
    for (i, e) in cases {
        assert_session_error(env.send_key(&[i]).await, e);
    }
    // Even with B's vault AND B's token account, A's session cannot sign for B's vault.
    let mut i = good.clone();
    i.accounts[3].pubkey = pda::vault(&b.pubkey()).0;
    i.accounts[5].pubkey = b_ata;
    assert_session_error(env.send_key(&[i]).await, SessionError::WrongVault);

    // A stranger's key cannot use A's session.
    let t = env
        .transfer_accounts(&env.owner_ata.clone(), &mint, &to)
        .await;
    let mut i = ix::transfer_token(&key_b.pubkey(), &a, t, TOKEN, DECIMALS);
    i.accounts[1].pubkey = pda::session(&a, &key_a).0;
    assert_session_error(
        env.send(&[i], &[&b, &key_b]).await,
        SessionError::WrongSessionKey,
    );
    assert_eq!(env.snapshot(&[env.owner_ata, b_ata, to], &[]).await, before);
    assert_eq!(env.session().await.unwrap().uses, 0);
}

#[tokio::test]
async fn a_missing_or_small_delegation_gets_a_named_error() {
    let mut env = TestEnv::new().await;
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(50 * TOKEN))
        .delegate(TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let before = balances(&mut env).await;
    // The delegated amount is a second, independent limit: named before the token program
    // would answer with its bare `InsufficientFunds`.
    let r = env.send_transfer(2 * TOKEN).await;
    assert_session_error(r, SessionError::DelegationTooSmall);
    assert_eq!(balances(&mut env).await, before);

    // The owner revokes the vault directly: the next transfer says to re-approve.
    let owner = env.owner.pubkey();
    let revoke =
        spl_token::instruction::revoke(&spl_token::ID, &env.owner_ata, &owner, &[]).unwrap();
    env.send_owner(&[revoke]).await.unwrap();
    let r = env.send_transfer(TOKEN).await;
    assert_session_error(r, SessionError::DelegationMissing);
    assert_eq!(balances(&mut env).await, before);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (0, 0));
}
