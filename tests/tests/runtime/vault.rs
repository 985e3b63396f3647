//! `deposit_sol`, `withdraw_sol`, `withdraw_token`, `close_vault_token_account`: owner-only,
//! so funds and rent are never stuck in the vault.
use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        ix, pda,
        scope::{caps, Scope},
    },
    *,
};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

#[tokio::test]
async fn deposit_and_withdraw_sol() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    assert_session_error(
        env.send_owner(&[ix::deposit_sol(&owner, 0)]).await,
        SessionError::ZeroAmount,
    );
    env.send_owner(&[ix::deposit_sol(&owner, 3 * SOL)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&vault).await, 3 * SOL);

    // The wallet account is created by the first session.
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let to = Pubkey::new_unique();
    env.send_owner(&[ix::withdraw_sol(&owner, &to, SOL)])
        .await
        .unwrap();
    assert_eq!(env.snapshot(&[], &[vault, to]).await, vec![2 * SOL, SOL]);

    // A stranger cannot withdraw from the owner's vault, with their own wallet or the owner's.
    let stranger = env.stranger.insecure_clone();
    let mut i = ix::withdraw_sol(&stranger.pubkey(), &stranger.pubkey(), SOL);
    i.accounts[1].pubkey = pda::wallet(&owner).0;
    i.accounts[2].pubkey = vault;
    assert_session_error(env.send(&[i], &[&stranger]).await, SessionError::NotOwner);
    let args = Scope::until(START + 60).sol(caps(1)).build(START).unwrap();
    let k = solana_sdk::signature::Keypair::new();
    let s = stranger.pubkey();
    env.send(
        &[ix::create_session(&s, &s, &k.pubkey(), args, None)],
        &[&stranger],
    )
    .await
    .unwrap();
    let mut i = ix::withdraw_sol(&s, &s, SOL);
    i.accounts[2].pubkey = vault;
    assert_session_error(env.send(&[i], &[&stranger]).await, SessionError::WrongVault);
    assert_eq!(env.lamports(&vault).await, 2 * SOL);
}

#[tokio::test]
async fn withdraw_token_from_vault_account() {
    let mut env = TestEnv::new().await;
    let (owner, mint) = (env.owner.pubkey(), env.mint);
    let vault = pda::vault(&owner).0;
    let vault_ata = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_ata, 5 * TOKEN).await;
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let owner_ata = env.owner_ata;
    let t = env.transfer_accounts(&vault_ata, &mint, &owner_ata).await;
    env.send_owner(&[ix::withdraw_token(&owner, t, 5 * TOKEN, DECIMALS)])
        .await
        .unwrap();
    assert_eq!(env.balance(&vault_ata).await, 0);
    assert_eq!(env.balance(&owner_ata).await, 1_005 * TOKEN);

    // Only vault-owned accounts: the owner's own account is not a vault account.
    let recipient_ata = env.recipient_ata;
    let t = env
        .transfer_accounts(&owner_ata, &mint, &recipient_ata)
        .await;
    let r = env
        .send_owner(&[ix::withdraw_token(&owner, t, TOKEN, DECIMALS)])
        .await;
    assert_session_error(r, SessionError::WrongSourceAccount);
    // The session key cannot withdraw.
    env.mint_to(&mint, &vault_ata, TOKEN).await;
    let key = env.key.pubkey();
    let t = env
        .transfer_accounts(&vault_ata, &mint, &recipient_ata)
        .await;
    let mut i = ix::withdraw_token(&key, t, TOKEN, DECIMALS);
    i.accounts[1].pubkey = pda::wallet(&owner).0;
    assert_session_error(env.send_key(&[i]).await, SessionError::NotOwner);
    assert_eq!(env.balance(&vault_ata).await, TOKEN);
}

#[tokio::test]
async fn close_empty_vault_token_account_returns_rent() {
    let mut env = TestEnv::new().await;
    let (owner, mint) = (env.owner.pubkey(), env.mint);
    let vault = pda::vault(&owner).0;
    let spl = anchor_spl::token::ID;
    let vault_ata = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_ata, TOKEN).await;
    env.create_session(Scope::until(START + 60).sol(caps(1)).build(START).unwrap())
        .await
        .unwrap();
    let rent = env.lamports(&vault_ata).await;
    let to = Pubkey::new_unique();

    // Not empty: the token program refuses (NonNativeHasBalance).
    let i = ix::close_vault_token_account(&owner, &vault_ata, &to, &spl);
    assert_custom(env.send_owner(std::slice::from_ref(&i)).await, 0, 11);
    // Not the vault's account: the owner's own token account.
    let owner_ata = env.owner_ata;
    let other = ix::close_vault_token_account(&owner, &owner_ata, &to, &spl);
    assert_session_error(
        env.send_owner(&[other]).await,
        SessionError::WrongSourceAccount,
    );
    // Not the owner: the session key, with the owner's wallet.
    let key = env.key.pubkey();
    let mut by_key = ix::close_vault_token_account(&key, &vault_ata, &key, &spl);
    by_key.accounts[1].pubkey = pda::wallet(&owner).0;
    by_key.accounts[2].pubkey = vault;
    assert_session_error(env.send_key(&[by_key]).await, SessionError::NotOwner);
    assert_eq!(env.lamports(&to).await, 0);

    // Emptied by the owner, then closed: the rent goes where the owner says.
    let t = env.transfer_accounts(&vault_ata, &mint, &owner_ata).await;
    env.send_owner(&[ix::withdraw_token(&owner, t, TOKEN, DECIMALS)])
        .await
        .unwrap();
    env.send_owner(&[i]).await.unwrap();
    assert!(env.account(&vault_ata).await.is_none());
    assert_eq!(env.lamports(&to).await, rent);
}
