//! `create_session`: the happy path and every rejection.
use session_keys::{
    constants::MAX_SESSION_DURATION, errors::SessionError, policy::NO_PER_INSTRUCTION_CAP,
};
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, CapsExt, Scope},
        MintAllowance,
    },
    *,
};
use solana_sdk::{
    pubkey::Pubkey,
    signer::Signer,
    transaction::{Transaction, TransactionError},
};

#[tokio::test]
async fn creates_session_wallet_and_delegation() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let key_before = env.lamports(&key).await;
    let args = Scope::until(START + 3600)
        .mint(
            env.mint,
            caps(50 * TOKEN)
                .per_instruction(20 * TOKEN)
                .window(60, 10 * TOKEN),
        )
        .sol(caps(SOL))
        .max_uses(7)
        .label("chess")
        .top_up(5_000_000)
        .delegate(60 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();

    let s = env.session().await.unwrap();
    assert_eq!((s.owner, s.session_key, s.payer), (owner, key, owner));
    assert_eq!(
        (s.created_at, s.expires_at, s.nonce),
        (START, START + 3600, 0)
    );
    assert_eq!((s.max_uses, s.uses, s.label.as_str()), (7, 0, "chess"));
    assert_eq!(s.bump, pda::session(&owner, &key).1);
    assert_eq!(
        s.mints,
        vec![MintAllowance {
            mint: env.mint,
            allowance: session_keys::policy::Allowance {
                lifetime_cap: 50 * TOKEN,
                spent: 0,
                per_instruction_cap: 20 * TOKEN,
                window_secs: 60,
                window_cap: 10 * TOKEN,
                window_start: START - START % 60,
                window_spent: 0,
            },
        }]
    );
    let sol = s.sol.unwrap();
    assert_eq!(
        (sol.lifetime_cap, sol.per_instruction_cap, sol.window_secs),
        (SOL, NO_PER_INSTRUCTION_CAP, 0)
    );

    let w = env.wallet_of(&owner).await.unwrap();
    assert_eq!((w.owner, w.nonce, w.version), (owner, 0, 1));
    assert_eq!(w.bump, pda::wallet(&owner).1);
    assert_eq!(w.vault_bump, pda::vault(&owner).1);

    let ata = env.token_account(&env.owner_ata.clone()).await;
    assert_eq!(ata.delegate, Some(pda::vault(&owner).0).into());
    assert_eq!(ata.delegated_amount, 60 * TOKEN);
    assert_eq!(env.lamports(&key).await, key_before + 5_000_000);

    // Sized exactly to what it holds.
    let size = env
        .account(&pda::session(&owner, &key).0)
        .await
        .unwrap()
        .data
        .len();
    assert_eq!(size, session_keys::state::Session::space(true, 1, 0, 0, 5));
}

#[tokio::test]
async fn separate_fee_payer_pays_rent() {
    let mut env = TestEnv::new().await;
    let (owner, key, payer) = (env.owner.pubkey(), env.key.pubkey(), env.stranger.pubkey());
    let args = Scope::until(START + 60).sol(caps(1)).build(START).unwrap();
    let owner_before = env.lamports(&owner).await;
    let ixn = ix::create_session(&owner, &payer, &key, args, None);
    let (o, p) = (env.owner.insecure_clone(), env.stranger.insecure_clone());
    env.send(&[ixn], &[&p, &o]).await.unwrap();
    assert_eq!(env.session().await.unwrap().payer, payer);
    assert_eq!(
        env.lamports(&owner).await,
        owner_before,
        "owner paid nothing"
    );
}

/// Each invalid scope, sent without the client's own check, is refused by the program.
#[tokio::test]
async fn rejects_invalid_scopes() {
    let mut env = TestEnv::new().await;
    let m = env.mint;
    let base = || Scope::until(START + 60);
    let cases: Vec<(Scope, SessionError)> = vec![
        (Scope::until(START).sol(caps(1)), SessionError::ExpiryInPast),
        (
            Scope::until(START - 1).sol(caps(1)),
            SessionError::ExpiryInPast,
        ),
        (
            Scope::until(START + MAX_SESSION_DURATION + 1).sol(caps(1)),
            SessionError::ExpiryTooFar,
        ),
        (base(), SessionError::EmptyScope),
        (base().sol(caps(0)), SessionError::ZeroCap),
        (
            base().mint(m, caps(5).per_instruction(0)),
            SessionError::ZeroCap,
        ),
        (base().sol(caps(1)).max_uses(0), SessionError::ZeroCap),
        (
            base().mint(m, caps(5).window(0, 5)),
            SessionError::InvalidWindow,
        ),
        (
            base().mint(m, caps(5).window(60, 0)),
            SessionError::InvalidWindow,
        ),
        (
            base().mint(m, caps(5)).mint(m, caps(6)),
            SessionError::DuplicateMint,
        ),
        (
            (0..5).fold(base(), |s, _| s.mint(Pubkey::new_unique(), caps(1))),
            SessionError::TooManyMints,
        ),
        (
            (0..9).fold(base().sol(caps(1)), |s, _| {
                s.destination(Pubkey::new_unique())
            }),
            SessionError::TooManyDestinations,
        ),
        (
            base().sol(caps(1)).destination(m).destination(m),
            SessionError::DuplicateDestination,
        ),
        (
            base().sol(caps(1)).label(&"x".repeat(33)),
            SessionError::LabelTooLong,
        ),
    ];
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    for (scope, expected) in cases {
        let args = scope.build_unchecked();
        assert_eq!(args.check(START), Err(expected), "client-side check agrees");
        let before = env.lamports(&owner).await;
        let result = env
            .send_owner(&[ix::create_session(&owner, &owner, &key, args, None)])
            .await;
        assert_session_error(result, expected);
        assert_eq!(
            env.lamports(&owner).await,
            before - 5000,
            "only the fee was paid"
        );
        assert!(env.session().await.is_none());
    }
}

#[tokio::test]
async fn rejects_owner_as_session_key() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let args = Scope::until(START + 60).sol(caps(1)).build(START).unwrap();
    let result = env
        .send_owner(&[ix::create_session(&owner, &owner, &owner, args, None)])
        .await;
    assert_session_error(result, SessionError::SessionKeyIsOwner);
}

#[tokio::test]
async fn delegate_approval_needs_accounts_and_a_scoped_mint() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    // Delegate amount without the token accounts.
    let args = Scope::until(START + 60)
        .mint(env.mint, caps(5))
        .delegate(5)
        .build(START)
        .unwrap();
    let result = env
        .send_owner(&[ix::create_session(&owner, &owner, &key, args, None)])
        .await;
    assert_session_error(result, SessionError::MissingDelegateAccounts);

    // Approving a token account whose mint the session cannot spend.
    let other = env.create_mint(&anchor_spl::token::ID).await;
    let args = Scope::until(START + 60)
        .mint(other, caps(5))
        .delegate(5)
        .build(START)
        .unwrap();
    assert_session_error(
        env.create_session(args).await,
        SessionError::DelegateMintNotGranted,
    );
    assert_eq!(
        env.token_account(&env.owner_ata.clone())
            .await
            .delegated_amount,
        0
    );
}

#[tokio::test]
async fn cannot_create_for_someone_else_or_twice() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let args = Scope::until(START + 60).sol(caps(1)).build(START).unwrap();
    let stranger = env.stranger.insecure_clone();

    // The stranger lists the owner as a non-signer: Anchor refuses (AccountNotSigner).
    let mut forged = ix::create_session(&owner, &stranger.pubkey(), &key, args.clone(), None);
    forged.accounts[0].is_signer = false;
    let result = env.send(&[forged], &[&stranger]).await;
    assert_custom(
        result,
        0,
        anchor_lang::error::ErrorCode::AccountNotSigner as u32,
    );

    // The stranger leaves the owner's signature out: the runtime refuses the transaction.
    let ixn = ix::create_session(&owner, &stranger.pubkey(), &key, args.clone(), None);
    let mut tx = Transaction::new_with_payer(&[ixn], Some(&stranger.pubkey()));
    tx.partial_sign(&[&stranger], env.ctx.last_blockhash);
    let result = env.ctx.banks_client.process_transaction(tx).await;
    assert_eq!(
        result.unwrap_err().unwrap(),
        TransactionError::SignatureFailure
    );
    assert!(env.session().await.is_none());

    env.create_session(args.clone()).await.unwrap();
    // A second session for the same pair is refused by Anchor's `init`: the PDA is already a
    // program account and the System Program refuses to allocate it again. The native harness
    // surfaces that refusal from inside the CPI as `InvalidInstructionData` (on SBF the System
    // Program's own `AccountAlreadyInUse`); either way nothing changes.
    let before = env.session().await.unwrap();
    let result = env.create_session(args).await;
    assert_eq!(
        result,
        Err(TransactionError::InstructionError(
            0,
            solana_sdk::instruction::InstructionError::InvalidInstructionData
        ))
    );
    assert_eq!(env.session().await.unwrap(), before);
}
