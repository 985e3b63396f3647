//! The events events.rs does not reach: `SessionClosed`, `SolWithdrawn`, `TokenWithdrawn`,
//! `VaultTokenAccountClosed` and `Executed`, each produced by a real instruction, decoded
//! from the transaction's log and compared field by field with the values the test chose.
use anchor_lang::Discriminator;
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix, pda,
        scope::{caps, program, Scope},
    },
    targets::{game, memo},
    *,
};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// Sends `ixs` signed by `signers`, expects success, and returns the decoded events.
async fn events_of(
    env: &mut TestEnv,
    ixs: &[solana_sdk::instruction::Instruction],
    signers: &[&Keypair],
) -> Vec<SessionEvent> {
    let (r, logs) = env.send_with_logs(ixs, signers).await;
    assert_eq!(r, Ok(()), "{logs:#?}");
    TestEnv::events(&logs)
}

#[tokio::test]
async fn session_closed_names_the_owner_the_session_and_the_rent_payer_it_refunded() {
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    // Rent paid by the stranger, so that owner and payer are different keys in the event.
    let payer = env.stranger.insecure_clone();
    let args = Scope::until(START + 60).sol(caps(1)).build(START).unwrap();
    let create = ix::create_session(&owner, &payer.pubkey(), &key, args, None);
    env.send(&[create], &[&payer, &env.owner.insecure_clone()])
        .await
        .unwrap();
    let session = pda::session(&owner, &key).0;
    let rent = env.lamports(&session).await;
    let payer_before = env.lamports(&payer.pubkey()).await;

    // Expired: the session key (a third party to the rent) sends the close.
    env.set_time(START + 60).await;
    let close = ix::close_session(&owner, &key, &payer.pubkey());
    let key_kp = env.key.insecure_clone();
    let events = events_of(&mut env, &[close], &[&key_kp]).await;
    let [SessionEvent::SessionClosed(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.session, session);
    assert_eq!(e.payer, payer.pubkey());
    assert!(env.account(&session).await.is_none());
    assert_eq!(env.lamports(&payer.pubkey()).await, payer_before + rent);
}

#[tokio::test]
async fn sol_and_token_withdrawals_name_the_owner_the_recipient_and_the_amount() {
    let mut env = TestEnv::new().await;
    let (owner, mint) = (env.owner.pubkey(), env.mint);
    let vault = env.fund_vault(3 * SOL).await;
    // The wallet account comes with the first session.
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let owner_kp = env.owner.insecure_clone();

    let to = Pubkey::new_unique();
    let withdraw = ix::withdraw_sol(&owner, &to, SOL + 7);
    let events = events_of(&mut env, &[withdraw], &[&owner_kp]).await;
    let [SessionEvent::SolWithdrawn(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((e.owner, e.to, e.amount), (owner, to, SOL + 7));
    assert_eq!(
        env.snapshot(&[], &[vault, to]).await,
        vec![2 * SOL - 7, SOL + 7]
    );

    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 5 * TOKEN).await;
    let recipient_ata = env.recipient_ata;
    let t = env
        .transfer_accounts(&vault_tokens, &mint, &recipient_ata)
        .await;
    let withdraw = ix::withdraw_token(&owner, t, 3 * TOKEN + 1, DECIMALS);
    let events = events_of(&mut env, &[withdraw], &[&owner_kp]).await;
    let [SessionEvent::TokenWithdrawn(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.mint, mint);
    assert_eq!(e.to, recipient_ata);
    assert_eq!(e.amount, 3 * TOKEN + 1);
    assert_eq!(
        env.snapshot(&[vault_tokens, recipient_ata], &[]).await,
        vec![2 * TOKEN - 1, 3 * TOKEN + 1]
    );
}

#[tokio::test]
async fn vault_token_account_closed_names_the_account_and_where_its_rent_went() {
    let mut env = TestEnv::new().await;
    let (owner, mint) = (env.owner.pubkey(), env.mint);
    let vault = pda::vault(&owner).0;
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    let rent = env.lamports(&vault_tokens).await;
    let destination = Pubkey::new_unique();
    let close =
        ix::close_vault_token_account(&owner, &vault_tokens, &destination, &anchor_spl::token::ID);
    let owner_kp = env.owner.insecure_clone();
    let events = events_of(&mut env, &[close], &[&owner_kp]).await;
    let [SessionEvent::VaultTokenAccountClosed(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(e.owner, owner);
    assert_eq!(e.token_account, vault_tokens);
    assert_eq!(e.destination, destination);
    assert!(env.account(&vault_tokens).await.is_none());
    assert_eq!(env.lamports(&destination).await, rent);
}

#[tokio::test]
async fn executed_reports_each_calls_program_discriminator_lamports_and_tokens_in_order() {
    use example_game::instruction as gi;
    let mut env = TestEnv::new().await;
    let (owner, key, mint) = (env.owner.pubkey(), env.key.pubkey(), env.mint);
    let (vault, session) = (pda::vault(&owner).0, pda::session(&owner, &key).0);
    let spl = anchor_spl::token::ID;
    env.fund_vault(SOL).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 10 * TOKEN).await;
    let treasury_tokens = env.create_token_account(&mint, &game::treasury()).await;
    let args = Scope::until(START + 60)
        .sol(caps(SOL / 10))
        .mint(mint, caps(5 * TOKEN))
        .program(program(example_game::ID))
        .program(program(memo::ID))
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let key_kp = env.key.insecure_clone();

    // Four calls, one of each kind of effect: rent paid from the vault, lamports paid from the
    // vault, tokens paid from the vault's token account, and nothing at all.
    let calls = [
        game::create_player(&vault),
        game::buy_item(&vault, 4, 20_000_000),
        game::buy_item_token(
            &vault,
            &vault_tokens,
            &mint,
            &treasury_tokens,
            &spl,
            5,
            2 * TOKEN + 3,
        ),
        game::move_player(&vault, 1, 1),
    ];
    let execute = ix::execute(&key, &owner, &calls);
    let events = events_of(&mut env, &[execute], &[&key_kp]).await;
    let rent = env.lamports(&game::player(&vault)).await;
    assert!(rent > 0);
    let seen: Vec<_> = events
        .iter()
        .map(|e| match e {
            SessionEvent::Executed(e) => (
                e.owner,
                e.session,
                e.program,
                e.discriminator,
                e.lamports,
                e.tokens
                    .iter()
                    .map(|t| (t.mint, t.amount))
                    .collect::<Vec<_>>(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    let g = example_game::ID;
    assert_eq!(
        seen,
        vec![
            (
                owner,
                session,
                g,
                gi::CreatePlayer::DISCRIMINATOR.try_into().unwrap(),
                rent,
                vec![]
            ),
            (
                owner,
                session,
                g,
                gi::BuyItem::DISCRIMINATOR.try_into().unwrap(),
                20_000_000,
                vec![]
            ),
            (
                owner,
                session,
                g,
                gi::BuyItemToken::DISCRIMINATOR.try_into().unwrap(),
                0,
                vec![(mint, 2 * TOKEN + 3)]
            ),
            (
                owner,
                session,
                g,
                gi::MovePlayer::DISCRIMINATOR.try_into().unwrap(),
                0,
                vec![]
            ),
        ]
    );
    // The events agree with what moved and what was charged.
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.uses, s.sol.unwrap().spent, s.mints[0].allowance.spent),
        (1, rent + 20_000_000, 2 * TOKEN + 3)
    );
    assert_eq!(env.balance(&treasury_tokens).await, 2 * TOKEN + 3);

    // Data shorter than 8 bytes is reported zero-padded.
    let execute = ix::execute(&key, &owner, &[memo::memo(b"hi")]);
    let events = events_of(&mut env, &[execute], &[&key_kp]).await;
    let [SessionEvent::Executed(e)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((e.owner, e.session, e.program), (owner, session, memo::ID));
    assert_eq!(e.discriminator, [b'h', b'i', 0, 0, 0, 0, 0, 0]);
    assert_eq!((e.lamports, e.tokens.len()), (0, 0));
}
