//! Token-2022 mints with extensions behave as documented in SECURITY.md.
use anchor_spl::token_2022::spl_token_2022::{
    self,
    error::TokenError,
    extension::{
        default_account_state::instruction::initialize_default_account_state,
        transfer_fee::instruction::initialize_transfer_fee_config,
        transfer_hook::instruction::initialize as initialize_transfer_hook, ExtensionType,
    },
    state::AccountState,
};
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix::{self, DelegateFrom, TokenTransfer},
        scope::{caps, Scope},
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer, transaction::TransactionError};

const T22: Pubkey = anchor_spl::token_2022::ID;

/// Owner and recipient accounts of `mint` (100 tokens for the owner unless `fund` is false),
/// and a session approving the vault for 50 tokens with a 20-token lifetime cap.
async fn setup(
    env: &mut TestEnv,
    mint: Pubkey,
    fund: bool,
) -> (Pubkey, Pubkey, Result<(), TransactionError>) {
    let owner = env.owner.pubkey();
    let from = env.create_token_account(&mint, &owner).await;
    let to = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    if fund {
        env.mint_to(&mint, &from, 100 * TOKEN).await;
    }
    let args = Scope::until(START + 60)
        .mint(mint, caps(20 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    let delegate = DelegateFrom {
        token_account: from,
        token_program: T22,
    };
    let r = env
        .send_owner(&[ix::create_session(
            &owner,
            &owner,
            &env.key.pubkey(),
            args,
            Some(delegate),
        )])
        .await;
    (from, to, r)
}

async fn transfer(
    env: &mut TestEnv,
    from: Pubkey,
    mint: Pubkey,
    to: Pubkey,
    amount: u64,
) -> Result<(), TransactionError> {
    let t = TokenTransfer {
        from,
        mint,
        to,
        token_program: T22,
    };
    let i = ix::transfer_token(&env.key.pubkey(), &env.owner.pubkey(), t, amount, DECIMALS);
    env.send_key(&[i]).await
}

#[tokio::test]
async fn transfer_fee_caps_count_the_amount_sent() {
    let mut env = TestEnv::new().await;
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
    let (from, to, r) = setup(&mut env, mint, true).await;
    r.unwrap();
    transfer(&mut env, from, mint, to, 10 * TOKEN)
        .await
        .unwrap();
    assert_eq!(env.balance(&from).await, 90 * TOKEN);
    assert_eq!(
        env.balance(&to).await,
        10 * TOKEN - TOKEN / 10,
        "the fee is withheld from the recipient"
    );
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        10 * TOKEN
    );
    assert_session_error(
        transfer(&mut env, from, mint, to, 10 * TOKEN + 1).await,
        SessionError::LifetimeCapExceeded,
    );
}

#[tokio::test]
async fn transfer_hook_mints_are_refused_with_a_named_error_before_anything_moves() {
    let mut env = TestEnv::new().await;
    let payer = env.ctx.payer.pubkey();
    let mint = env
        .create_mint_2022(&[ExtensionType::TransferHook], |m| {
            vec![initialize_transfer_hook(&T22, m, Some(payer), Some(hostile_target::ID)).unwrap()]
        })
        .await;
    let (from, to, r) = setup(&mut env, mint, true).await;
    r.unwrap();
    // transfer_token passes no extra accounts, so the hook could not run: the program says so
    // before charging anything, and neither Token-2022 nor the hook program is invoked.
    let r = transfer(&mut env, from, mint, to, TOKEN).await;
    assert_session_error(r, SessionError::TransferHookNotSupported);
    assert_eq!(env.balance(&from).await, 100 * TOKEN);
    assert_eq!(env.balance(&to).await, 0);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (0, 0));
}

#[tokio::test]
async fn non_transferable_mints_cannot_move() {
    let mut env = TestEnv::new().await;
    let mint = env
        .create_mint_2022(&[ExtensionType::NonTransferable], |m| {
            vec![spl_token_2022::instruction::initialize_non_transferable_mint(&T22, m).unwrap()]
        })
        .await;
    let (from, to, r) = setup(&mut env, mint, true).await;
    r.unwrap();
    let r = transfer(&mut env, from, mint, to, TOKEN).await;
    assert_custom(r, 0, TokenError::NonTransferable as u32);
    assert_eq!(env.balance(&from).await, 100 * TOKEN);
}

#[tokio::test]
async fn permanent_delegate_is_outside_the_sessions_control() {
    let mut env = TestEnv::new().await;
    let payer = env.ctx.payer.insecure_clone();
    let mint = env
        .create_mint_2022(&[ExtensionType::PermanentDelegate], |m| {
            vec![spl_token_2022::instruction::initialize_permanent_delegate(
                &T22,
                m,
                &payer.pubkey(),
            )
            .unwrap()]
        })
        .await;
    let (from, to, r) = setup(&mut env, mint, true).await;
    r.unwrap();
    // The session spends within its caps as usual...
    transfer(&mut env, from, mint, to, 5 * TOKEN).await.unwrap();
    // ...and the mint's permanent delegate can move the owner's tokens whatever the session
    // says: a property of the mint, documented as a limit.
    let i = spl_token_2022::instruction::transfer_checked(
        &T22,
        &from,
        &mint,
        &to,
        &payer.pubkey(),
        &[],
        7 * TOKEN,
        DECIMALS,
    )
    .unwrap();
    env.send(&[i], &[&payer]).await.unwrap();
    assert_eq!(env.balance(&from).await, 88 * TOKEN);
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        5 * TOKEN
    );
}

#[tokio::test]
async fn default_frozen_accounts_cannot_move_until_thawed() {
    let mut env = TestEnv::new().await;
    let mint = env
        .create_mint_2022(&[ExtensionType::DefaultAccountState], |m| {
            vec![initialize_default_account_state(&T22, m, &AccountState::Frozen).unwrap()]
        })
        .await;
    // Frozen accounts can neither receive the mint's tokens nor be approved: the owner's
    // delegate approval in create_session is refused, and no session is created.
    let (from, _to, r) = setup(&mut env, mint, false).await;
    assert_custom(r, 0, TokenError::AccountFrozen as u32);
    assert!(env.session().await.is_none());
    assert!(env.token_account(&from).await.is_frozen());
}

#[tokio::test]
async fn cpi_guard_blocks_the_in_instruction_approval_but_not_a_direct_one() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let mint = env.create_mint(&T22).await;
    let from = env.create_token_account(&mint, &owner).await;
    let to = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    env.mint_to(&mint, &from, 100 * TOKEN).await;
    let guard = targets::token_2022::cpi_guard(&from, &owner);
    env.send_owner(&guard).await.unwrap();

    // create_session approves through CPI with the owner's signature: CPI Guard refuses it.
    let args = Scope::until(START + 60)
        .mint(mint, caps(20 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    let delegate = DelegateFrom {
        token_account: from,
        token_program: T22,
    };
    let key = env.key.pubkey();
    let r = env
        .send_owner(&[ix::create_session(
            &owner,
            &owner,
            &key,
            args,
            Some(delegate),
        )])
        .await;
    assert_custom(r, 0, TokenError::CpiGuardApproveBlocked as u32);
    assert!(env.session().await.is_none());

    // The documented way: approve the vault directly, then create the session without it.
    let vault = session_keys_tests::client::pda::vault(&owner).0;
    let approve =
        spl_token_2022::instruction::approve(&T22, &from, &vault, &owner, &[], 50 * TOKEN).unwrap();
    let args = Scope::until(START + 60)
        .mint(mint, caps(20 * TOKEN))
        .build(START)
        .unwrap();
    env.send_owner(&[
        approve,
        ix::create_session(&owner, &owner, &key, args, None),
    ])
    .await
    .unwrap();
    // A delegate's transfer through CPI is allowed under CPI Guard.
    transfer(&mut env, from, mint, to, 5 * TOKEN).await.unwrap();
    assert_eq!(env.balance(&to).await, 5 * TOKEN);
}
