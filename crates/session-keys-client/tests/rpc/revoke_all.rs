//! `SessionClient::revoke_all` and `delegated_token_accounts` against planted look-alikes.
use super::{funded, SOL};
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{
        self,
        state::{Account, Mint, Multisig},
    },
};
use localnet::Localnet;
use session_keys_client::{
    ix, pda,
    rpc::{SessionClient, SessionState, REVOKES_PER_TX, TOKEN_DELEGATE_OFFSET, TOKEN_OWNER_OFFSET},
    scope::{caps, Scope},
};
use session_keys_tests::fakes::{multisig_signers_imitating, token_account_image};
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
    response::UiAccountEncoding,
};
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
};
use solana_transaction_status_client_types::UiTransactionEncoding;

const ATA: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

async fn rent(client: &SessionClient, len: usize) -> u64 {
    client
        .rpc()
        .get_minimum_balance_for_rent_exemption(len)
        .await
        .unwrap()
}

fn create(
    payer: &Pubkey,
    account: &Pubkey,
    lamports: u64,
    len: usize,
    program: &Pubkey,
) -> Instruction {
    solana_system_interface::instruction::create_account(
        payer, account, lamports, len as u64, program,
    )
}

/// A mint of `program` whose mint and freeze authority is `owner`.
async fn mint(client: &SessionClient, owner: &Keypair, program: &Pubkey) -> Pubkey {
    let mint = Keypair::new();
    let o = owner.pubkey();
    let init =
        spl_token_2022::instruction::initialize_mint2(program, &mint.pubkey(), &o, Some(&o), 6);
    client
        .send(
            &[
                create(
                    &o,
                    &mint.pubkey(),
                    rent(client, Mint::LEN).await,
                    Mint::LEN,
                    program,
                ),
                init.unwrap(),
            ],
            &[owner, &mint],
        )
        .await
        .unwrap();
    mint.pubkey()
}

/// `owner`'s account of `mint` (a plain one, or the associated one, which under Token-2022
/// carries the ImmutableOwner extension: 170 bytes), holding 100 tokens, with `delegate`
/// approved for 10.
async fn delegated(
    client: &SessionClient,
    owner: &Keypair,
    mint: &Pubkey,
    program: &Pubkey,
    associated: bool,
    delegate: &Pubkey,
) -> Pubkey {
    let o = owner.pubkey();
    let account = Keypair::new();
    let (address, mut ixs, signers) = if associated {
        let address =
            Pubkey::find_program_address(&[o.as_ref(), program.as_ref(), mint.as_ref()], &ATA).0;
        let create_ata = Instruction {
            program_id: ATA,
            accounts: vec![
                AccountMeta::new(o, true),
                AccountMeta::new(address, false),
                AccountMeta::new_readonly(o, false),
                AccountMeta::new_readonly(*mint, false),
                AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
                AccountMeta::new_readonly(*program, false),
            ],
            data: vec![1],
        };
        (address, vec![create_ata], vec![owner])
    } else {
        let a = account.pubkey();
        let init = spl_token_2022::instruction::initialize_account3(program, &a, mint, &o);
        let ixs = vec![
            create(
                &o,
                &a,
                rent(client, Account::LEN).await,
                Account::LEN,
                program,
            ),
            init.unwrap(),
        ];
        (a, ixs, vec![owner, &account])
    };
    ixs.push(spl_token_2022::instruction::mint_to(program, mint, &address, &o, &[], 100).unwrap());
    ixs.push(
        spl_token_2022::instruction::approve(program, &address, delegate, &o, &[], 10).unwrap(),
    );
    client.send(&ixs, &signers).await.unwrap();
    address
}

async fn delegate_of(client: &SessionClient, account: &Pubkey) -> Option<Pubkey> {
    let data = client.rpc().get_account_data(account).await.unwrap();
    Account::unpack_from_slice(&data).unwrap().delegate.into()
}

#[tokio::test]
async fn revoke_all_kills_sessions_first_and_lists_only_real_token_accounts() {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    let owner = funded(&client, 10 * SOL).await;
    let stranger = funded(&client, SOL).await;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let err = client.revoke_all(&owner).await.unwrap_err();
    assert!(err.to_string().contains("no session-keys wallet"), "{err}");
    let now = client.now().await.unwrap();
    let args = Scope::until(now + 3600).sol(caps(SOL)).build(now).unwrap();
    let key = Pubkey::new_unique();
    client
        .send(&[ix::create_session(&o, &o, &key, args, None)], &[&owner])
        .await
        .unwrap();
    let nonce = client.wallet(&o).await.unwrap().unwrap().nonce;

    let spl_mint = mint(&client, &owner, &spl_token::ID).await;
    let mint_22 = mint(&client, &owner, &spl_token_2022::ID).await;
    let spl = delegated(&client, &owner, &spl_mint, &spl_token::ID, false, &vault).await;
    let ata_22 = delegated(&client, &owner, &mint_22, &spl_token_2022::ID, true, &vault).await;
    let frozen = delegated(
        &client,
        &owner,
        &mint_22,
        &spl_token_2022::ID,
        false,
        &vault,
    )
    .await;
    client
        .send(
            &[spl_token_2022::instruction::freeze_account(
                &spl_token_2022::ID,
                &frozen,
                &mint_22,
                &o,
                &[],
            )
            .unwrap()],
            &[&owner],
        )
        .await
        .unwrap();
    // Delegated to someone else: none of the vault's business.
    let other = delegated(
        &client,
        &owner,
        &mint_22,
        &spl_token_2022::ID,
        false,
        &stranger.pubkey(),
    )
    .await;
    // The stranger's multisig, reading as the owner's account delegated to the vault.
    let fake = Keypair::new();
    let signers = multisig_signers_imitating(&token_account_image(mint_22, o, 1_000, Some(vault)));
    let refs: Vec<&Pubkey> = signers.iter().collect();
    let init = spl_token_2022::instruction::initialize_multisig2(
        &spl_token_2022::ID,
        &fake.pubkey(),
        &refs,
        1,
    );
    client
        .send(
            &[
                create(
                    &stranger.pubkey(),
                    &fake.pubkey(),
                    rent(&client, Multisig::LEN).await,
                    Multisig::LEN,
                    &spl_token_2022::ID,
                ),
                init.unwrap(),
            ],
            &[&stranger, &fake],
        )
        .await
        .unwrap();
    let fake_before = client.rpc().get_account(&fake.pubkey()).await.unwrap();

    // The byte filters alone match the multisig: only the token program's reader tells.
    let mut delegate = vec![1, 0, 0, 0];
    delegate.extend_from_slice(vault.as_ref());
    let config = RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(TOKEN_OWNER_OFFSET, o.as_ref())),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(TOKEN_DELEGATE_OFFSET, &delegate)),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            ..Default::default()
        },
        ..Default::default()
    };
    let matched = client
        .rpc()
        .get_program_ui_accounts_with_config(&spl_token_2022::ID, config)
        .await
        .unwrap();
    assert!(matched.iter().any(|(k, _)| *k == fake.pubkey()));

    let listed = client.delegated_token_accounts(&o).await.unwrap();
    let mut addresses: Vec<(Pubkey, bool)> = listed.iter().map(|a| (a.address, a.frozen)).collect();
    addresses.sort();
    let mut expected = vec![(spl, false), (ata_22, false), (frozen, true)];
    expected.sort();
    assert_eq!(addresses, expected, "{listed:?}");
    let ata_listed = listed.iter().find(|a| a.address == ata_22).unwrap();
    assert_eq!(
        (
            ata_listed.token_program,
            ata_listed.mint,
            ata_listed.delegated_amount
        ),
        (spl_token_2022::ID, mint_22, 10)
    );

    let report = client.revoke_all(&owner).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.signatures.len(), 2);
    let mut revoked = report.revoked.clone();
    revoked.sort();
    let mut expected = vec![spl, ata_22];
    expected.sort();
    assert_eq!(revoked, expected);
    assert_eq!(report.skipped, Vec::<Pubkey>::new());
    assert_eq!(report.frozen, [frozen]);
    let wallet = client.wallet(&o).await.unwrap().unwrap();
    assert_eq!((report.nonce, wallet.nonce), (nonce + 2, nonce + 2));
    assert_eq!(report.message_counter, wallet.message_counter);
    let sessions = client.list_sessions(&o).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Revoked);

    // The first transaction carries the owner and the wallet only: nothing listed can fail it.
    let first = client
        .rpc()
        .get_transaction(&report.signatures[0], UiTransactionEncoding::Base64)
        .await
        .unwrap();
    let keys = first
        .transaction
        .transaction
        .decode()
        .unwrap()
        .message
        .static_account_keys()
        .to_vec();
    let mut keys_expected = vec![o, pda::wallet(&o).0, session_keys_client::PROGRAM_ID];
    keys_expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, keys_expected);

    assert_eq!(delegate_of(&client, &spl).await, None);
    assert_eq!(delegate_of(&client, &ata_22).await, None);
    assert_eq!(delegate_of(&client, &frozen).await, Some(vault));
    assert_eq!(delegate_of(&client, &other).await, Some(stranger.pubkey()));
    assert_eq!(
        client.rpc().get_account(&fake.pubkey()).await.unwrap(),
        fake_before
    );
}

/// The static account keys of a confirmed transaction.
async fn keys_of(client: &SessionClient, signature: &Signature) -> Vec<Pubkey> {
    client
        .rpc()
        .get_transaction(signature, UiTransactionEncoding::Base64)
        .await
        .unwrap()
        .transaction
        .transaction
        .decode()
        .unwrap()
        .message
        .static_account_keys()
        .to_vec()
}

#[tokio::test]
async fn revoke_all_revokes_thirteen_delegations_in_chunks_after_the_nonce_bump() {
    assert_eq!(REVOKES_PER_TX, 12);
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    let owner = funded(&client, 10 * SOL).await;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let now = client.now().await.unwrap();
    let args = Scope::until(now + 3600).sol(caps(SOL)).build(now).unwrap();
    client
        .send(
            &[ix::create_session(
                &o,
                &o,
                &Pubkey::new_unique(),
                args,
                None,
            )],
            &[&owner],
        )
        .await
        .unwrap();
    let nonce = client.wallet(&o).await.unwrap().unwrap().nonce;

    // 13 real token accounts of the owner, each approved to the vault: 7 under SPL Token, 6
    // under Token-2022, so that a chunk spans both programs.
    let spl_mint = mint(&client, &owner, &spl_token::ID).await;
    let mint_22 = mint(&client, &owner, &spl_token_2022::ID).await;
    let mut accounts = Vec::new();
    for i in 0..REVOKES_PER_TX + 1 {
        let (mint, program) = if i < 7 {
            (&spl_mint, &spl_token::ID)
        } else {
            (&mint_22, &spl_token_2022::ID)
        };
        accounts.push(delegated(&client, &owner, mint, program, false, &vault).await);
    }
    for a in &accounts {
        assert_eq!(delegate_of(&client, a).await, Some(vault));
    }
    let mut expected = accounts.clone();
    expected.sort();
    let mut listed: Vec<Pubkey> = client
        .delegated_token_accounts(&o)
        .await
        .unwrap()
        .iter()
        .map(|a| a.address)
        .collect();
    listed.sort();
    assert_eq!(listed, expected);

    let report = client.revoke_all(&owner).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.skipped, Vec::<Pubkey>::new());
    assert_eq!(report.frozen, Vec::<Pubkey>::new());
    let mut revoked = report.revoked.clone();
    revoked.sort();
    assert_eq!(revoked, expected, "exactly the 13, each once");

    // 1 nonce bump + 12 + 1, each bumping the nonce.
    assert_eq!(report.signatures.len(), 3, "{:?}", report.signatures);
    let wallet = client.wallet(&o).await.unwrap().unwrap();
    assert_eq!((report.nonce, wallet.nonce), (nonce + 3, nonce + 3));
    assert_eq!(report.message_counter, wallet.message_counter);

    // Token accounts each transaction carries: none in the first, then 12, then 1, each of
    // the 13 in exactly one.
    let mut per_tx = Vec::new();
    let mut carried = Vec::new();
    for signature in &report.signatures {
        let keys = keys_of(&client, signature).await;
        let listed: Vec<Pubkey> = keys.into_iter().filter(|k| accounts.contains(k)).collect();
        per_tx.push(listed.len());
        carried.extend(listed);
    }
    assert_eq!(per_tx, [0, REVOKES_PER_TX, 1]);
    carried.sort();
    assert_eq!(carried, expected);
    let mut first = keys_of(&client, &report.signatures[0]).await;
    first.sort();
    let mut first_expected = vec![o, pda::wallet(&o).0, session_keys_client::PROGRAM_ID];
    first_expected.sort();
    assert_eq!(first, first_expected);

    for a in &accounts {
        assert_eq!(delegate_of(&client, a).await, None, "{a} still delegated");
    }
    assert!(client
        .delegated_token_accounts(&o)
        .await
        .unwrap()
        .is_empty());
    let sessions = client.list_sessions(&o).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Revoked);
}
