//! Security round 3, hostile review: attacks on the token-account reader, `revoke_all_sessions`,
//! `execute`'s watch list and wrapped SOL, tried in the bank. Every fake a stranger can make
//! (SPL and Token-2022 multisigs with chosen signer keys, a Token-2022 mint, byte-for-byte
//! copies owned by another program or by the System program, an uninitialized account of a
//! token program) is listed where the program reads token accounts. Each test asserts the exact
//! outcome and that nothing else moved: lamports, token amounts, delegations, session counters
//! and the wallet's nonce and message counter.
//!
//! Three tests pin findings of this review, present before this round and fixed in it
//! (SECURITY.md rows 106-108; a regression panics with `VULNERABILITY: ...`): a vault-owned
//! token account whose other authorities are the thief's, or whose tokens cannot leave, was
//! credited as the owner's, so value moved into it was not charged (`a_vault_owned_account_whose_close_authority_is_the_thief_cannot_launder_vault_sol`,
//! `tokens_moved_into_a_vault_owned_account_the_thief_is_delegate_of_are_charged`,
//! `lamports_parked_in_a_vault_owned_account_of_the_attackers_mint_are_charged`).
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{
        self,
        extension::{
            transfer_hook::instruction::initialize as initialize_transfer_hook, ExtensionType,
        },
        state::{Account as TokenAccount, Mint},
    },
};
use session_keys::{
    errors::SessionError,
    instructions::{MessageEnvelope, MessageGrantArgs},
    policy::CapsArgs,
    state::Wallet,
};
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix::{self, DelegateFrom, TokenTransfer},
        message::{self, LOCALNET},
        pda,
        scope::{caps, program, Scope},
    },
    fakes::token_account_image,
    targets::hostile,
    *,
};
use solana_sdk::{
    account::{Account, AccountSharedData},
    instruction::{AccountMeta, Instruction, InstructionError},
    program_pack::Pack,
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::{Transaction, TransactionError},
};

const SPL: Pubkey = anchor_spl::token::ID;
const T22: Pubkey = anchor_spl::token_2022::ID;
const SYSTEM: Pubkey = anchor_lang::system_program::ID;
const NATIVE: Pubkey = spl_token::native_mint::ID;
/// SPL Token's (and Token-2022's) `AccountFrozen` and `NonNativeHasBalance`.
const ACCOUNT_FROZEN: u32 = 17;
const NON_NATIVE_HAS_BALANCE: u32 = 11;
/// Token-2022's `NonTransferable`.
const NON_TRANSFERABLE: u32 = 37;
/// JavaScript's `Number.MAX_SAFE_INTEGER`, 2^53 - 1.
const MAX_SAFE: u64 = (1 << 53) - 1;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// `image` with its state byte set to "frozen".
fn frozen(mut image: [u8; TokenAccount::LEN]) -> [u8; TokenAccount::LEN] {
    image[108] = 2;
    image
}

/// A byte-for-byte copy of `source` (data and lamports) at a new address, owned by `owner`:
/// what a program the attacker controls (or the System program, for data it was given) holds.
async fn copy_owned_by(env: &mut TestEnv, source: &Pubkey, owner: Pubkey) -> Pubkey {
    let a = env.account(source).await.expect("source exists");
    let copy = Pubkey::new_unique();
    env.ctx.set_account(
        &copy,
        &AccountSharedData::from(Account {
            lamports: a.lamports,
            data: a.data,
            owner,
            executable: false,
            rent_epoch: u64::MAX,
        }),
    );
    copy
}

/// A Token-2022 mint with an extension (its data is longer than a token account's, account
/// type "mint" at byte 165).
async fn token_2022_mint_with_extension(env: &mut TestEnv) -> Pubkey {
    let payer = env.ctx.payer.pubkey();
    let mint = env
        .create_mint_2022(&[ExtensionType::MintCloseAuthority], |m| {
            vec![
                spl_token_2022::instruction::initialize_mint_close_authority(&T22, m, Some(&payer))
                    .unwrap(),
            ]
        })
        .await;
    let data = env.account(&mint).await.unwrap().data;
    assert!(data.len() > TokenAccount::LEN);
    assert_eq!(data[TokenAccount::LEN], 1, "account type: mint");
    mint
}

/// An account the token program owns, 165 bytes, never initialized (the stranger paid).
async fn uninitialized_token_program_account(env: &mut TestEnv, program: &Pubkey) -> Pubkey {
    let k = Keypair::new();
    let stranger = env.stranger.insecure_clone();
    let rent = env.ctx.banks_client.get_rent().await.unwrap();
    let create = solana_system_interface::instruction::create_account(
        &stranger.pubkey(),
        &k.pubkey(),
        rent.minimum_balance(TokenAccount::LEN),
        TokenAccount::LEN as u64,
        program,
    );
    env.send(&[create], &[&stranger, &k]).await.unwrap();
    k.pubkey()
}

/// A mint of `token_program` whose mint and freeze authority is `authority`.
async fn mint_of(env: &mut TestEnv, token_program: &Pubkey, authority: &Keypair) -> Pubkey {
    let mint = Keypair::new();
    let rent = env.ctx.banks_client.get_rent().await.unwrap();
    let ixs = [
        solana_system_interface::instruction::create_account(
            &authority.pubkey(),
            &mint.pubkey(),
            rent.minimum_balance(Mint::LEN),
            Mint::LEN as u64,
            token_program,
        ),
        spl_token_2022::instruction::initialize_mint2(
            token_program,
            &mint.pubkey(),
            &authority.pubkey(),
            Some(&authority.pubkey()),
            DECIMALS,
        )
        .unwrap(),
    ];
    env.send(&ixs, &[authority, &mint]).await.unwrap();
    mint.pubkey()
}

/// `revoke_all_sessions` of `owner` with `metas` as its remaining accounts, exactly as given.
fn revoke_all_raw(owner: &Pubkey, metas: Vec<AccountMeta>) -> Instruction {
    let mut i = ix::revoke_all_sessions(owner, &[]);
    i.accounts.extend(metas);
    i
}

/// A (token account, token program) pair: the account writable, the program read-only.
fn pair(account: Pubkey, program: Pubkey) -> [AccountMeta; 2] {
    [
        AccountMeta::new(account, false),
        AccountMeta::new_readonly(program, false),
    ]
}

/// Full accounts (data, lamports, owner) of `keys`: a snapshot that proves nothing touched them.
async fn accounts(env: &mut TestEnv, keys: &[Pubkey]) -> Vec<Option<Account>> {
    let mut out = Vec::new();
    for k in keys {
        out.push(env.account(k).await);
    }
    out
}

/// Sends the owner's `revoke_all_sessions` and returns its event.
async fn revoke_all(env: &mut TestEnv, i: Instruction) -> session_keys::events::AllSessionsRevoked {
    let owner = env.owner.insecure_clone();
    let (r, logs) = env.send_with_logs(&[i], &[&owner]).await;
    r.unwrap();
    let mut events = TestEnv::events(&logs);
    match (events.pop(), events.is_empty()) {
        (Some(SessionEvent::AllSessionsRevoked(e)), true) => e,
        _ => panic!("one AllSessionsRevoked event: {logs:?}"),
    }
}

/// Delegate, delegated amount, amount and frozen state of a token account.
async fn delegation(env: &mut TestEnv, account: &Pubkey) -> (Option<Pubkey>, u64, u64, bool) {
    let a = env.token_account(account).await;
    (
        a.delegate.into(),
        a.delegated_amount,
        a.amount,
        a.is_frozen(),
    )
}

// ---------------------------------------------------------------------------------------------
// revoke_all_sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn fakes_of_every_shape_in_every_position_never_block_revoke_all_and_are_all_skipped() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let (mint, owner_ata) = (env.mint, env.owner_ata);
    let payer = env.ctx.payer.insecure_clone();

    // Real accounts: the owner's Token-2022 associated account (ImmutableOwner extension, so
    // 170 bytes of data) delegated to the vault; a frozen SPL account delegated to the vault;
    // the stranger's own account, which the stranger delegated to the owner's vault.
    let mint22 = env.create_mint(&T22).await;
    env.send_owner(&[hostile::create_ata(&owner, &owner, &mint22, &T22)])
        .await
        .unwrap();
    let ata22 = hostile::ata(&owner, &mint22, &T22);
    assert!(env.account(&ata22).await.unwrap().data.len() > TokenAccount::LEN);
    env.mint_to(&mint22, &ata22, 100 * TOKEN).await;
    let approve22 =
        spl_token_2022::instruction::approve(&T22, &ata22, &vault, &owner, &[], 40 * TOKEN)
            .unwrap();
    env.send_owner(&[approve22]).await.unwrap();
    let frozen_acc = env.create_token_account(&mint, &owner).await;
    env.mint_to(&mint, &frozen_acc, 10 * TOKEN).await;
    let approve =
        spl_token_2022::instruction::approve(&SPL, &frozen_acc, &vault, &owner, &[], 10 * TOKEN)
            .unwrap();
    env.send_owner(&[approve]).await.unwrap();
    let freeze =
        spl_token_2022::instruction::freeze_account(&SPL, &frozen_acc, &mint, &payer.pubkey(), &[])
            .unwrap();
    env.send(&[freeze], &[&payer]).await.unwrap();
    let stranger = env.stranger.insecure_clone();
    let stranger_acc = env.create_token_account(&mint, &stranger.pubkey()).await;
    env.mint_to(&mint, &stranger_acc, 7 * TOKEN).await;
    let approve = spl_token_2022::instruction::approve(
        &SPL,
        &stranger_acc,
        &vault,
        &stranger.pubkey(),
        &[],
        7 * TOKEN,
    )
    .unwrap();
    env.send(&[approve], &[&stranger]).await.unwrap();

    // Fakes: multisigs that read as the owner's account delegated to the vault (both
    // programs), as a vault-owned account, as a frozen delegated one; a Token-2022 mint; copies
    // of the owner's real accounts owned by the attacker's program and by the System program.
    let image = token_account_image(mint, owner, 1_000 * TOKEN, Some(vault));
    let f1 = env.plant_fake_token_account(&SPL, &image).await;
    let f2 = env.plant_fake_token_account(&T22, &image).await;
    let f3 = env
        .plant_fake_token_account(&T22, &token_account_image(mint, vault, 1_000 * TOKEN, None))
        .await;
    let f4 = env.plant_fake_token_account(&T22, &frozen(image)).await;
    let f5 = token_2022_mint_with_extension(&mut env).await;
    let f6 = copy_owned_by(&mut env, &owner_ata, hostile_target::ID).await;
    let f7 = copy_owned_by(&mut env, &owner_ata, SYSTEM).await;
    let f8 = copy_owned_by(&mut env, &ata22, hostile_target::ID).await;

    let untouched = [f1, f2, f3, f4, f5, f6, f7, f8, frozen_acc, stranger_acc];
    let before = accounts(&mut env, &untouched).await;
    let wallet_before = env.wallet_of(&owner).await.unwrap();
    assert_eq!(wallet_before.nonce, 0);

    // 16 pairs (the most allowed): the two real delegations among fakes, wrong pairings
    // (each real account with the other token program, a token program id as the account),
    // a duplicate of a pair already revoked, the frozen account, the stranger's account.
    let metas: Vec<AccountMeta> = [
        pair(f1, SPL),
        pair(owner_ata, T22),
        pair(f2, T22),
        pair(owner_ata, SPL),
        pair(f6, SPL),
        [
            AccountMeta::new_readonly(SPL, false),
            AccountMeta::new_readonly(owner_ata, false),
        ],
        pair(f3, T22),
        pair(ata22, SPL),
        pair(ata22, T22),
        pair(f7, SPL),
        pair(owner_ata, SPL),
        pair(f4, T22),
        pair(frozen_acc, SPL),
        pair(f5, T22),
        pair(stranger_acc, SPL),
        pair(f8, T22),
    ]
    .concat();
    let e = revoke_all(&mut env, revoke_all_raw(&owner, metas)).await;
    assert_eq!(e.revoked_delegations, vec![owner_ata, ata22]);
    assert_eq!(
        e.skipped_delegations,
        vec![
            f1,
            owner_ata,
            f2,
            f6,
            SPL,
            f3,
            ata22,
            f7,
            owner_ata,
            f4,
            frozen_acc,
            f5,
            stranger_acc,
            f8
        ]
    );
    let wallet = env.wallet_of(&owner).await.unwrap();
    assert_eq!((e.nonce, wallet.nonce), (1, 1));
    assert_eq!(e.message_counter, wallet.message_counter);

    // The real delegations are gone; the frozen one (the token program would refuse) and the
    // stranger's stay; every fake is byte for byte as it was.
    assert_eq!(
        delegation(&mut env, &owner_ata).await,
        (None, 0, 1_000 * TOKEN, false)
    );
    assert_eq!(
        delegation(&mut env, &ata22).await,
        (None, 0, 100 * TOKEN, false)
    );
    assert_eq!(
        delegation(&mut env, &frozen_acc).await,
        (Some(vault), 10 * TOKEN, 10 * TOKEN, true)
    );
    assert_eq!(
        delegation(&mut env, &stranger_acc).await,
        (Some(vault), 7 * TOKEN, 7 * TOKEN, false)
    );
    assert_eq!(accounts(&mut env, &untouched).await, before);

    // The session is dead and nothing moves.
    let tokens = [owner_ata, env.recipient_ata];
    let before = env.snapshot(&tokens, &[vault]).await;
    let session_before = env.session().await.unwrap();
    let r = env.send_transfer(TOKEN).await;
    assert_session_error(r, SessionError::SessionRevoked);
    assert_eq!(env.snapshot(&tokens, &[vault]).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
}

#[tokio::test]
async fn a_real_delegation_listed_read_only_or_with_a_non_token_program_and_the_owners_own_pdas_are_skipped_and_the_nonce_still_moves(
) {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let owner_ata = env.owner_ata;
    let metas = [
        vec![
            AccountMeta::new_readonly(owner_ata, false),
            AccountMeta::new_readonly(SPL, false),
        ],
        vec![
            AccountMeta::new_readonly(owner_ata, false),
            AccountMeta::new_readonly(SYSTEM, false),
        ],
        vec![
            AccountMeta::new_readonly(owner_ata, false),
            AccountMeta::new_readonly(hostile_target::ID, false),
        ],
        // The owner's own wallet and vault as "token accounts".
        pair(pda::wallet(&owner).0, SPL).to_vec(),
        pair(vault, T22).to_vec(),
    ]
    .concat();
    let e = revoke_all(&mut env, revoke_all_raw(&owner, metas)).await;
    assert!(e.revoked_delegations.is_empty());
    assert_eq!(
        e.skipped_delegations,
        vec![
            owner_ata,
            owner_ata,
            owner_ata,
            pda::wallet(&owner).0,
            vault
        ]
    );
    assert_eq!(env.wallet_of(&owner).await.unwrap().nonce, 1);
    // Skipped, so the delegation stays (the owner revokes it with SPL `revoke`), but every
    // session is dead.
    assert_eq!(
        delegation(&mut env, &owner_ata).await,
        (Some(vault), 50 * TOKEN, 1_000 * TOKEN, false)
    );
    let r = env.send_transfer(TOKEN).await;
    assert_session_error(r, SessionError::SessionRevoked);
    assert_eq!(env.balance(&owner_ata).await, 1_000 * TOKEN);
}

#[tokio::test]
async fn seventeen_pairs_or_an_odd_list_are_refused_before_any_revoke_and_nothing_moves() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let owner_ata = env.owner_ata;
    let image = token_account_image(env.mint, owner, 1_000 * TOKEN, Some(vault));
    let fake = env.plant_fake_token_account(&T22, &image).await;
    let wallet_before = env.wallet_of(&owner).await.unwrap();
    let delegation_before = delegation(&mut env, &owner_ata).await;

    // The real account first, then 16 copies of a fake: 17 pairs.
    let mut metas = pair(owner_ata, SPL).to_vec();
    for _ in 0..16 {
        metas.extend(pair(fake, T22));
    }
    let r = env.send_owner(&[revoke_all_raw(&owner, metas)]).await;
    assert_session_error(r, SessionError::TooManyTokenAccounts);
    // An odd list: the real pair, then a fake without its program.
    let mut metas = pair(owner_ata, SPL).to_vec();
    metas.push(AccountMeta::new(fake, false));
    let r = env.send_owner(&[revoke_all_raw(&owner, metas)]).await;
    assert_session_error(r, SessionError::MissingDelegateAccounts);

    assert_eq!(env.wallet_of(&owner).await.unwrap(), wallet_before);
    assert_eq!(delegation(&mut env, &owner_ata).await, delegation_before);
    // The session still works: nothing was revoked.
    env.send_transfer(TOKEN).await.unwrap();
    assert_eq!(env.session().await.unwrap().uses, 1);
}

#[tokio::test]
async fn revoke_all_sent_twice_skips_what_the_first_revoked_and_draws_a_new_53_bit_counter() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let owner_ata = env.owner_ata;
    let i = ix::revoke_all_sessions(&owner, &[(owner_ata, SPL)]);

    // The very same signed transaction replayed is refused by the bank.
    let owner_kp = env.owner.insecure_clone();
    let blockhash = env.ctx.last_blockhash;
    let tx = Transaction::new_signed_with_payer(
        std::slice::from_ref(&i),
        Some(&owner),
        &[&owner_kp],
        blockhash,
    );
    env.ctx
        .banks_client
        .process_transaction(tx.clone())
        .await
        .unwrap();
    let wallet1 = env.wallet_of(&owner).await.unwrap();
    assert_eq!(wallet1.nonce, 1);
    assert!(wallet1.message_counter <= MAX_SAFE);
    let (replay, _) = env.send_versioned_with_logs(tx).await;
    assert_eq!(replay, Err(TransactionError::AlreadyProcessed));
    assert_eq!(
        env.wallet_of(&owner).await.unwrap(),
        wallet1,
        "not run twice"
    );
    env.ctx.last_blockhash = env.ctx.get_new_latest_blockhash().await.unwrap();

    // The same instruction in a new transaction: a second revocation, nothing left to revoke.
    let clock = env.clock().await;
    let e = revoke_all(&mut env, i).await;
    assert!(e.revoked_delegations.is_empty());
    assert_eq!(e.skipped_delegations, vec![owner_ata]);
    let wallet2 = env.wallet_of(&owner).await.unwrap();
    let expected = Wallet::message_counter_after_revoke(
        &owner,
        wallet1.message_counter,
        clock.slot,
        clock.unix_timestamp,
    );
    assert_eq!((wallet2.nonce, wallet2.message_counter), (2, expected));
    assert_ne!(wallet2.message_counter, wallet1.message_counter);
    assert!(wallet2.message_counter <= MAX_SAFE);
    assert_eq!(
        delegation(&mut env, &owner_ata).await,
        (None, 0, 1_000 * TOKEN, false)
    );
}

// ---------------------------------------------------------------------------------------------
// Signed grant messages around 2^53
// ---------------------------------------------------------------------------------------------

fn game_args(number: u64) -> MessageGrantArgs {
    MessageGrantArgs {
        expires_at: START + 3600,
        max_uses: Some(100),
        sol: Some(CapsArgs {
            lifetime: SOL / 100,
            per_instruction: None,
            window: None,
        }),
        mints: vec![],
        destinations: vec![],
        programs: vec![program(example_game::ID)],
        label: "Demo".into(),
        domain: "game.example".into(),
        message_number: number,
        valid_until: START + 300,
        envelope: MessageEnvelope::Text,
    }
}

/// The sponsor's instructions for a grant of message `number` to `key`, signed by `player`.
fn signed_grant(sponsor: &Pubkey, player: &Keypair, key: &Pubkey, number: u64) -> Vec<Instruction> {
    let args = game_args(number);
    let m = message::grant_message(&args, &player.pubkey(), key, LOCALNET).unwrap();
    let sig = player.sign_message(&m);
    message::sponsored_grant(sponsor, &player.pubkey(), key, args, &sig, LOCALNET)
        .unwrap()
        .to_vec()
}

/// Overwrites the wallet's message counter (bytes 51..59 of its data), as if a revocation had
/// drawn `value`.
async fn set_message_counter(env: &mut TestEnv, owner: &Pubkey, value: u64) {
    let address = pda::wallet(owner).0;
    let mut a = env.account(&address).await.unwrap();
    a.data[51..59].copy_from_slice(&value.to_le_bytes());
    env.ctx.set_account(&address, &AccountSharedData::from(a));
    assert_eq!(env.wallet_of(owner).await.unwrap().message_counter, value);
}

#[tokio::test]
async fn messages_signed_before_revoke_all_with_numbers_around_2_pow_53_are_all_dead_after_it() {
    let mut env = TestEnv::new().await;
    let sponsor = env.stranger.insecure_clone();
    let player = Keypair::new();
    let p = player.pubkey();
    // A first grant creates the player's wallet.
    let k0 = Keypair::new();
    let ixs = signed_grant(&sponsor.pubkey(), &player, &k0.pubkey(), 0);
    env.send(&ixs, &[&sponsor, &k0]).await.unwrap();
    // The counter a revocation could have drawn: the largest 53-bit value. Its message works
    // and the counter then leaves 53 bits (sequential numbers are never masked).
    set_message_counter(&mut env, &p, MAX_SAFE).await;
    let k1 = Keypair::new();
    let ixs = signed_grant(&sponsor.pubkey(), &player, &k1.pubkey(), MAX_SAFE);
    env.send(&ixs, &[&sponsor, &k1]).await.unwrap();
    assert_eq!(
        env.wallet_of(&p).await.unwrap().message_counter,
        MAX_SAFE + 1
    );

    // Signed ahead, unused: the current number, the next, the numbers masking would wrap
    // to (0, 1), the last used one again, and u64::MAX.
    let numbers = [MAX_SAFE + 1, MAX_SAFE + 2, 0, 1, MAX_SAFE, u64::MAX];
    let ahead: Vec<(Keypair, Vec<Instruction>)> = numbers
        .iter()
        .map(|&n| {
            let k = Keypair::new();
            let ixs = signed_grant(&sponsor.pubkey(), &player, &k.pubkey(), n);
            (k, ixs)
        })
        .collect();

    let clock = env.clock().await;
    env.send(&[ix::revoke_all_sessions(&p, &[])], &[&sponsor, &player])
        .await
        .unwrap();
    let wallet = env.wallet_of(&p).await.unwrap();
    let expected =
        Wallet::message_counter_after_revoke(&p, MAX_SAFE + 1, clock.slot, clock.unix_timestamp);
    assert_eq!((wallet.nonce, wallet.message_counter), (1, expected));
    assert!(expected <= MAX_SAFE);
    assert!(!numbers.contains(&expected));
    let sponsor_before = env.lamports(&sponsor.pubkey()).await;
    for (k, ixs) in &ahead {
        let r = env.send(ixs, &[&sponsor, k]).await;
        assert_custom(r, 1, code(SessionError::MessageNumberMismatch));
        assert!(env.session_of(&p, &k.pubkey()).await.is_none());
        assert_eq!(env.wallet_of(&p).await.unwrap(), wallet);
    }
    // The sponsor paid the fees of the refused transactions (three signatures each: sponsor,
    // key, and the owner's in the Ed25519 instruction), nothing more.
    assert_eq!(
        env.lamports(&sponsor.pubkey()).await,
        sponsor_before - 15_000 * ahead.len() as u64
    );
    // The player never held SOL.
    assert_eq!(env.lamports(&p).await, 0);
}

/// Documents a limit rather than a break: the counter `revoke_all_sessions` draws is a hash of
/// public values (owner, old counter, slot, unix time). Whoever knows in which slot (and
/// second) a revocation will land can compute it, and a message the owner signed with that
/// number before the revocation is then accepted after it. It takes the owner's signature on
/// one message per guessed slot, so it matters only where one party both obtains grant
/// signatures and chooses when the owner's revocation lands.
#[tokio::test]
async fn a_message_numbered_with_the_counter_revoke_all_will_draw_in_a_known_slot_survives_it() {
    let mut env = TestEnv::new().await;
    let sponsor = env.stranger.insecure_clone();
    let player = Keypair::new();
    let p = player.pubkey();
    let k0 = Keypair::new();
    let ixs = signed_grant(&sponsor.pubkey(), &player, &k0.pubkey(), 0);
    env.send(&ixs, &[&sponsor, &k0]).await.unwrap();
    let clock = env.clock().await;
    let predicted = Wallet::message_counter_after_revoke(&p, 1, clock.slot, clock.unix_timestamp);
    let k = Keypair::new();
    let signed_before = signed_grant(&sponsor.pubkey(), &player, &k.pubkey(), predicted);

    env.send(&[ix::revoke_all_sessions(&p, &[])], &[&sponsor, &player])
        .await
        .unwrap();
    assert_eq!(env.clock().await.slot, clock.slot, "same slot");
    assert_eq!(env.wallet_of(&p).await.unwrap().message_counter, predicted);
    env.send(&signed_before, &[&sponsor, &k]).await.unwrap();
    assert!(env.session_of(&p, &k.pubkey()).await.is_some());
}

// ---------------------------------------------------------------------------------------------
// execute: fakes in the watch list
// ---------------------------------------------------------------------------------------------

/// A session that may call the hostile target with `sol` caps (none: no SOL may move) and
/// caps on `mints`.
fn hostile_session(sol: Option<u64>, mints: &[(Pubkey, u64)]) -> client::CreateSessionArgs {
    let mut s = Scope::until(START + 3600).program(program(hostile_target::ID));
    if let Some(cap) = sol {
        s = s.sol(caps(cap));
    }
    for (mint, cap) in mints {
        s = s.mint(*mint, caps(*cap));
    }
    s.build(START).unwrap()
}

#[tokio::test]
async fn lamports_credited_to_fakes_of_every_shape_never_offset_the_vaults_loss() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let mint = env.mint;
    let vault = env.fund_vault(2 * SOL).await;
    // Real vault-owned accounts to copy: an SPL one (165 bytes) and a Token-2022 associated
    // one (ImmutableOwner, 170 bytes).
    let vault_spl = env.create_token_account(&mint, &vault).await;
    let mint22 = env.create_mint(&T22).await;
    env.send_owner(&[hostile::create_ata(&owner, &vault, &mint22, &T22)])
        .await
        .unwrap();
    let vault_22 = hostile::ata(&vault, &mint22, &T22);

    let image = token_account_image(mint, vault, 0, None);
    let fakes = vec![
        env.plant_fake_token_account(&SPL, &image).await,
        env.plant_fake_token_account(&T22, &image).await,
        env.plant_fake_token_account(&T22, &frozen(image)).await,
        token_2022_mint_with_extension(&mut env).await,
        copy_owned_by(&mut env, &vault_spl, hostile_target::ID).await,
        copy_owned_by(&mut env, &vault_spl, SYSTEM).await,
        copy_owned_by(&mut env, &vault_22, hostile_target::ID).await,
        uninitialized_token_program_account(&mut env, &SPL).await,
        uninitialized_token_program_account(&mut env, &T22).await,
    ];
    env.create_session(hostile_session(None, &[]))
        .await
        .unwrap();
    let session_before = env.session().await.unwrap();
    for fake in &fakes {
        let mut keys = vec![vault, *fake];
        keys.extend(&fakes);
        let before = env.snapshot(&[], &keys).await;
        // The fake is the thief, and every fake is listed in the call too.
        let mut call = hostile::drain_lamports(&vault, fake, SOL / 2);
        call.accounts
            .extend(fakes.iter().map(|f| AccountMeta::new(*f, false)));
        let r = env.execute(&[call]).await;
        assert_session_error(r, SessionError::SolNotInScope);
        assert_eq!(env.snapshot(&[], &keys).await, before, "fake {fake}");
        assert_eq!(env.session().await.unwrap(), session_before);
    }

    // With a SOL allowance, lamports sent to a fake are charged in full.
    env.revoke_own_session().await;
    env.create_session(hostile_session(Some(SOL), &[]))
        .await
        .unwrap();
    let vault_before = env.lamports(&vault).await;
    env.execute(&[hostile::drain_lamports(&vault, &fakes[1], SOL / 2)])
        .await
        .unwrap();
    assert_eq!(env.lamports(&vault).await, vault_before - SOL / 2);
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, SOL / 2);
}

#[tokio::test]
async fn fakes_do_not_fill_the_watch_list_so_a_real_outflow_is_still_charged() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.mint;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 50 * TOKEN).await;
    let thief = Pubkey::new_unique();
    let thief_tokens = env.create_token_account(&mint, &thief).await;
    // 20 fakes reading as vault-owned accounts: were they watched, 16 would be the limit.
    let image = token_account_image(mint, vault, 50 * TOKEN, None);
    let mut fakes = Vec::new();
    for i in 0..20 {
        let program = if i % 2 == 0 { SPL } else { T22 };
        fakes.push(env.plant_fake_token_account(&program, &image).await);
    }
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();
    let steal = |amount| {
        let mut call = hostile::steal_tokens(
            &vault,
            &vault_tokens,
            &mint,
            &thief_tokens,
            &SPL,
            amount,
            DECIMALS,
        );
        call.accounts
            .extend(fakes.iter().map(|f| AccountMeta::new(*f, false)));
        call
    };
    let tokens = [vault_tokens, thief_tokens];
    let before = env.snapshot(&tokens, &[vault]).await;
    let r = env.execute(&[steal(6 * TOKEN)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&tokens, &[vault]).await, before);
    env.execute(&[steal(5 * TOKEN)]).await.unwrap();
    assert_eq!(env.balance(&thief_tokens).await, 5 * TOKEN);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (1, 5 * TOKEN));
}

#[tokio::test]
async fn a_watched_account_listed_many_times_in_one_or_several_calls_is_charged_once_per_real_outflow(
) {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.mint;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 50 * TOKEN).await;
    let thief = Pubkey::new_unique();
    let thief_tokens = env.create_token_account(&mint, &thief).await;
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();
    let steal = |amount| {
        let mut call = hostile::steal_tokens(
            &vault,
            &vault_tokens,
            &mint,
            &thief_tokens,
            &SPL,
            amount,
            DECIMALS,
        );
        for _ in 0..3 {
            call.accounts.push(AccountMeta::new(vault_tokens, false));
            call.accounts.push(AccountMeta::new(thief_tokens, false));
        }
        call
    };
    let tokens = [vault_tokens, thief_tokens];
    let before = env.snapshot(&tokens, &[vault]).await;
    let session_before = env.session().await.unwrap();
    // Two calls of 3: 6 against 5.
    let r = env.execute(&[steal(3 * TOKEN), steal(3 * TOKEN)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&tokens, &[vault]).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
    // 2 + 3: exactly the cap, charged once each.
    env.execute(&[steal(2 * TOKEN), steal(3 * TOKEN)])
        .await
        .unwrap();
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (1, 5 * TOKEN));
    assert_eq!(env.balance(&thief_tokens).await, 5 * TOKEN);
    // One more base unit: refused.
    let before = env.snapshot(&tokens, &[vault]).await;
    let r = env.execute(&[steal(1)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&tokens, &[vault]).await, before);
}

/// A trap for lamports: a token account whose owner is `vault`, created by a stranger, holding
/// 1 base unit that cannot leave. `frozen`: of an SPL Token mint the stranger controls, frozen by
/// it. Otherwise: of a Token-2022 non-transferable mint (nothing frozen). Returns (trap, its
/// mint, its token program, the error the token program gives `withdraw_token`).
async fn plant_trap(
    env: &mut TestEnv,
    vault: &Pubkey,
    frozen: bool,
) -> (Pubkey, Pubkey, Pubkey, u32) {
    if frozen {
        let attacker = env.stranger.insecure_clone();
        let mint = mint_of(env, &SPL, &attacker).await;
        let trap = env.create_token_account(&mint, vault).await;
        let mint_one =
            spl_token_2022::instruction::mint_to(&SPL, &mint, &trap, &attacker.pubkey(), &[], 1)
                .unwrap();
        let freeze = spl_token_2022::instruction::freeze_account(
            &SPL,
            &trap,
            &mint,
            &attacker.pubkey(),
            &[],
        )
        .unwrap();
        env.send(&[mint_one, freeze], &[&attacker]).await.unwrap();
        assert_eq!(delegation(env, &trap).await, (None, 0, 1, true));
        (trap, mint, SPL, ACCOUNT_FROZEN)
    } else {
        // The context payer (not the owner) is this mint's authority.
        let mint = env
            .create_mint_2022(&[ExtensionType::NonTransferable], |m| {
                vec![
                    spl_token_2022::instruction::initialize_non_transferable_mint(&T22, m).unwrap(),
                ]
            })
            .await;
        let trap = env.create_token_account(&mint, vault).await;
        env.mint_to(&mint, &trap, 1).await;
        assert_eq!(delegation(env, &trap).await, (None, 0, 1, false));
        (trap, mint, T22, NON_TRANSFERABLE)
    }
}

/// FINDING (fixed: lamports credited to a token account offset nothing). Anyone can create a token account whose owner is the victim's vault, of a mint the
/// attacker controls. `execute` watches it (the vault owns it) and counts its lamports as the
/// owner's, so lamports a target moves from the vault into it are not charged. But the attacker
/// leaves one token in it that cannot move (its mint freezes the account, or is
/// non-transferable): the token program then refuses to move that token and to close the
/// account (`NonNativeHasBalance`), session-keys has no other way out (no burn, no
/// `WithdrawExcessLamports`), so the lamports are locked for good. A stolen session key with no
/// SOL allowance at all, and any program in scope that pays the vault's lamports to an account
/// of the caller's choosing, can lock the whole vault; the caps never see it. The attacker
/// gains nothing; the owner loses it all.
#[tokio::test]
async fn lamports_parked_in_a_vault_owned_account_of_the_attackers_mint_are_charged() {
    let mut broken = Vec::new();
    for frozen in [true, false] {
        let mut env = TestEnv::new().await;
        let owner = env.owner.pubkey();
        let vault = pda::vault(&owner).0;
        env.send_owner(&[ix::deposit_sol(&owner, 2 * SOL)])
            .await
            .unwrap();
        let (trap, trap_mint, program, withdraw_error) = plant_trap(&mut env, &vault, frozen).await;

        // The stolen key's session: the hostile target in scope, no SOL allowance.
        env.create_session(hostile_session(None, &[]))
            .await
            .unwrap();
        let session_before = env.session().await.unwrap();
        let (vault_before, trap_before) = (env.lamports(&vault).await, env.lamports(&trap).await);
        let r = env
            .execute(&[hostile::drain_lamports(&vault, &trap, SOL)])
            .await;
        if r.is_ok() {
            // What the owner is left with: the lamports sit in the trap and cannot come out.
            assert_eq!(env.lamports(&vault).await, vault_before - SOL);
            assert_eq!(env.lamports(&trap).await, trap_before + SOL);
            let s = env.session().await.unwrap();
            assert_eq!((s.uses, s.sol), (1, None), "used, and charged nothing");
            let owner_trap_tokens = env.create_token_account(&trap_mint, &owner).await;
            let withdraw = ix::withdraw_token(
                &owner,
                TokenTransfer {
                    from: trap,
                    mint: trap_mint,
                    to: owner_trap_tokens,
                    token_program: program,
                },
                1,
                DECIMALS,
            );
            assert_custom(env.send_owner(&[withdraw]).await, 0, withdraw_error);
            let close = ix::close_vault_token_account(&owner, &trap, &owner, &program);
            assert_custom(env.send_owner(&[close]).await, 0, NON_NATIVE_HAS_BALANCE);
            assert_eq!(env.lamports(&trap).await, trap_before + SOL);
            broken.push(format!(
                "VULNERABILITY ({}): a session without SOL allowance moved 1 SOL from the vault \
                 into a vault-owned account of the attacker's mint, uncharged; the owner cannot \
                 get it back (withdraw_token: token error {withdraw_error}, \
                 close_vault_token_account: NonNativeHasBalance)",
                if frozen {
                    "SPL Token, frozen"
                } else {
                    "Token-2022, non-transferable"
                }
            ));
            continue;
        }
        assert_session_error(r, SessionError::SolNotInScope);
        assert_eq!(env.lamports(&vault).await, vault_before);
        assert_eq!(env.lamports(&trap).await, trap_before);
        assert_eq!(env.session().await.unwrap(), session_before);
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// execute: wrapped SOL
// ---------------------------------------------------------------------------------------------

/// The vault's wrapped-SOL associated account holding `amount` (synced) and `unsynced` more
/// lamports, plus 5 SOL in the vault. Returns (vault, account, rent of the account).
async fn vault_wrapped_sol(env: &mut TestEnv, amount: u64, unsynced: u64) -> (Pubkey, Pubkey, u64) {
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(5 * SOL).await;
    let ata = hostile::ata(&vault, &NATIVE, &SPL);
    env.send_owner(&[
        hostile::create_ata(&owner, &vault, &NATIVE, &SPL),
        solana_system_interface::instruction::transfer(&owner, &ata, amount),
        spl_token_2022::instruction::sync_native(&SPL, &ata).unwrap(),
    ])
    .await
    .unwrap();
    if unsynced > 0 {
        let tip = solana_system_interface::instruction::transfer(&owner, &ata, unsynced);
        env.send_owner(&[tip]).await.unwrap();
    }
    let rent = env.ctx.banks_client.get_rent().await.unwrap();
    let reserve = rent.minimum_balance(TokenAccount::LEN);
    assert_eq!(env.balance(&ata).await, amount);
    assert_eq!(env.lamports(&ata).await, reserve + amount + unsynced);
    (vault, ata, reserve)
}

/// A wrapped-SOL account of `thief` (created by the context payer).
async fn thief_wrapped_sol(env: &mut TestEnv, thief: &Pubkey) -> Pubkey {
    let payer = env.ctx.payer.insecure_clone();
    env.send(
        &[hostile::create_ata(&payer.pubkey(), thief, &NATIVE, &SPL)],
        &[&payer],
    )
    .await
    .unwrap();
    hostile::ata(thief, &NATIVE, &SPL)
}

#[tokio::test]
async fn closing_the_vaults_wrapped_sol_account_to_the_thief_is_tampering_and_nothing_moves() {
    let mut env = TestEnv::new().await;
    let (vault, ata, _) = vault_wrapped_sol(&mut env, SOL / 2, SOL / 4).await;
    let thief = Pubkey::new_unique();
    // Generous caps on both: only the tampering check stands in the way.
    env.create_session(hostile_session(Some(10 * SOL), &[(NATIVE, 10 * SOL)]))
        .await
        .unwrap();
    let session_before = env.session().await.unwrap();
    let close =
        spl_token_2022::instruction::close_account(&SPL, &ata, &thief, &vault, &[]).unwrap();
    let before = env.snapshot(&[ata], &[vault, ata, thief]).await;
    let r = env.execute(&[hostile::reenter(&close)]).await;
    assert_session_error(r, SessionError::TokenAccountTampered);
    assert_eq!(env.snapshot(&[ata], &[vault, ata, thief]).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
}

#[tokio::test]
async fn sync_native_inside_a_call_then_sending_the_wrapped_sol_out_charges_the_unsynced_part_as_sol(
) {
    let (amount, unsynced) = (SOL / 2, SOL / 4);
    let thief = Pubkey::new_unique();
    // Caps on the native mint only: the unsynced lamports are SOL, which may not move.
    let mut env = TestEnv::new().await;
    let (vault, ata, _) = vault_wrapped_sol(&mut env, amount, unsynced).await;
    let thief_ata = thief_wrapped_sol(&mut env, &thief).await;
    env.create_session(hostile_session(None, &[(NATIVE, 10 * SOL)]))
        .await
        .unwrap();
    let session_before = env.session().await.unwrap();
    let sync = hostile::reenter(&spl_token_2022::instruction::sync_native(&SPL, &ata).unwrap());
    let steal = hostile::steal_tokens(
        &vault,
        &ata,
        &NATIVE,
        &thief_ata,
        &SPL,
        amount + unsynced,
        9,
    );
    let keys = [vault, ata, thief_ata];
    let before = env.snapshot(&[ata, thief_ata], &keys).await;
    let r = env.execute(&[sync.clone(), steal.clone()]).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.snapshot(&[ata, thief_ata], &keys).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);

    // With a SOL allowance for the unsynced part it goes through. The sync itself is charged
    // as SOL and the wrapped amount sent out as the native mint: the unsynced lamports count
    // twice (over-charged, never under-charged).
    env.revoke_own_session().await;
    env.create_session(hostile_session(Some(unsynced), &[(NATIVE, 10 * SOL)]))
        .await
        .unwrap();
    env.execute(&[sync, steal]).await.unwrap();
    assert_eq!(env.balance(&thief_ata).await, amount + unsynced);
    assert_eq!(env.balance(&ata).await, 0);
    let s = env.session().await.unwrap();
    assert_eq!(s.sol.unwrap().spent, unsynced);
    assert_eq!(s.mints[0].allowance.spent, amount + unsynced);
}

#[tokio::test]
async fn closing_and_recreating_a_funded_wrapped_sol_account_charges_its_amount_to_the_native_mint_and_the_rest_to_sol(
) {
    let (amount, unsynced) = (SOL / 2, SOL / 4);
    let thief = Pubkey::new_unique();
    for sol_cap_short_by in [1, 0] {
        let mut env = TestEnv::new().await;
        let (vault, ata, reserve) = vault_wrapped_sol(&mut env, amount, unsynced).await;
        // The thief gets the whole account (amount, unsynced lamports, rent); the vault pays
        // the re-created account's rent: SOL is charged rent + unsynced, the native mint the
        // amount.
        let sol_due = reserve + unsynced;
        env.create_session(hostile_session(
            Some(sol_due - sol_cap_short_by),
            &[(NATIVE, amount)],
        ))
        .await
        .unwrap();
        let session_before = env.session().await.unwrap();
        let attack = hostile::close_and_recreate(&vault, &NATIVE, &thief);
        let keys = [vault, ata, thief];
        let before = env.snapshot(&[ata], &keys).await;
        let r = env.execute(&[attack]).await;
        if sol_cap_short_by > 0 {
            assert_session_error(r, SessionError::LifetimeCapExceeded);
            assert_eq!(env.snapshot(&[ata], &keys).await, before);
            assert_eq!(env.session().await.unwrap(), session_before);
        } else {
            r.unwrap();
            assert_eq!(env.lamports(&thief).await, reserve + amount + unsynced);
            assert_eq!(env.lamports(&ata).await, reserve);
            assert_eq!(env.balance(&ata).await, 0);
            assert_eq!(env.lamports(&vault).await, before[1] - reserve);
            let s = env.session().await.unwrap();
            assert_eq!(s.sol.unwrap().spent, sol_due);
            assert_eq!(s.mints[0].allowance.spent, amount);
        }
    }
}

#[tokio::test]
async fn an_owners_wrapped_sol_account_delegated_to_the_vault_is_capped_and_sol_tipped_into_it_stays_the_owners(
) {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(2 * SOL).await;
    let owner_native = hostile::ata(&owner, &NATIVE, &SPL);
    env.send_owner(&[
        hostile::create_ata(&owner, &owner, &NATIVE, &SPL),
        solana_system_interface::instruction::transfer(&owner, &owner_native, SOL),
        spl_token_2022::instruction::sync_native(&SPL, &owner_native).unwrap(),
        spl_token_2022::instruction::approve(&SPL, &owner_native, &vault, &owner, &[], SOL / 2)
            .unwrap(),
    ])
    .await
    .unwrap();
    let thief = Pubkey::new_unique();
    let thief_ata = thief_wrapped_sol(&mut env, &thief).await;
    env.create_session(hostile_session(None, &[(NATIVE, SOL / 5)]))
        .await
        .unwrap();
    let steal =
        |amount| hostile::steal_tokens(&vault, &owner_native, &NATIVE, &thief_ata, &SPL, amount, 9);
    let keys = [vault, owner_native, thief_ata];
    let tokens = [owner_native, thief_ata];

    // Beyond the native mint's cap: refused, delegation and balances unchanged.
    let before = env.snapshot(&tokens, &keys).await;
    let session_before = env.session().await.unwrap();
    let r = env.execute(&[steal(SOL / 5 + 1)]).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&tokens, &keys).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
    assert_eq!(
        delegation(&mut env, &owner_native).await,
        (Some(vault), SOL / 2, SOL, false)
    );

    // SOL from the vault into the owner's own wrapped-SOL account (not synced). Lamports
    // credited to a token account never offset a loss (the owner gets them back only by
    // closing it), so this needs a SOL allowance the session does not have: `SolNotInScope`,
    // nothing moved. The owner's close still returns every lamport.
    let vault_before = env.lamports(&vault).await;
    let native_before = env.lamports(&owner_native).await;
    let session_before = env.session().await.unwrap();
    let r = env
        .execute(&[hostile::drain_lamports(&vault, &owner_native, SOL / 10)])
        .await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.lamports(&vault).await, vault_before);
    assert_eq!(env.session().await.unwrap(), session_before);
    let tipped = 0;
    assert_eq!(env.lamports(&owner_native).await, native_before + tipped);
    assert_eq!(env.balance(&owner_native).await, SOL);
    let close =
        spl_token_2022::instruction::close_account(&SPL, &owner_native, &owner, &owner, &[])
            .unwrap();
    let owner_before = env.lamports(&owner).await;
    env.send_owner(&[close]).await.unwrap();
    assert_eq!(
        env.lamports(&owner).await,
        owner_before + native_before + tipped - 5_000
    );
}

// ---------------------------------------------------------------------------------------------
// transfer_token: fakes as accounts, hook mints with the wrong program
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_fake_as_source_or_destination_of_transfer_token_is_not_a_token_account() {
    let mut env = TestEnv::with_token_session(caps(50 * TOKEN), 50 * TOKEN).await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let (mint, owner_ata, recipient_ata) = (env.mint, env.owner_ata, env.recipient_ata);
    let image = token_account_image(mint, owner, 1_000 * TOKEN, Some(vault));
    let fake_spl = env.plant_fake_token_account(&SPL, &image).await;
    let fake_22 = env.plant_fake_token_account(&T22, &image).await;
    let key = env.key.pubkey();
    let tokens = [owner_ata, recipient_ata];
    let before = env.snapshot(&tokens, &[vault]).await;
    let session_before = env.session().await.unwrap();
    for (from, to, program) in [
        (fake_spl, recipient_ata, SPL),
        (fake_22, recipient_ata, T22),
        (owner_ata, fake_spl, SPL),
        (owner_ata, fake_22, SPL),
    ] {
        let t = TokenTransfer {
            from,
            mint,
            to,
            token_program: program,
        };
        let i = ix::transfer_token(&key, &owner, t, TOKEN, DECIMALS);
        let key_kp = env.key.insecure_clone();
        let (r, logs) = env.send_with_logs(&[i], &[&key_kp]).await;
        // Anchor's `InterfaceAccount<TokenAccount>` reads it with Token-2022's unpack, which
        // refuses a 355-byte account: before any token program runs.
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::InvalidAccountData
            ))
        );
        assert!(
            !logs
                .iter()
                .any(|l| l.contains(&format!("Program {SPL} invoke"))
                    || l.contains(&format!("Program {T22} invoke"))),
            "{logs:?}"
        );
    }
    assert_eq!(env.snapshot(&tokens, &[vault]).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
}

#[tokio::test]
async fn a_hook_mint_named_with_spl_token_as_its_program_skips_the_hook_check_but_moves_nothing() {
    let mut env = TestEnv::new().await;
    let payer = env.ctx.payer.pubkey();
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env
        .create_mint_2022(&[ExtensionType::TransferHook], |m| {
            vec![initialize_transfer_hook(&T22, m, Some(payer), Some(hostile_target::ID)).unwrap()]
        })
        .await;
    let from = env.create_token_account(&mint, &owner).await;
    env.mint_to(&mint, &from, 100 * TOKEN).await;
    let to = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    let args = Scope::until(START + 3600)
        .mint(mint, caps(50 * TOKEN))
        .delegate(50 * TOKEN)
        .build(START)
        .unwrap();
    let key = env.key.pubkey();
    let create = ix::create_session(
        &owner,
        &owner,
        &key,
        args,
        Some(DelegateFrom {
            token_account: from,
            token_program: T22,
        }),
    );
    env.send_owner(&[create]).await.unwrap();
    let session_before = env.session().await.unwrap();
    let before = env.snapshot(&[from, to], &[vault]).await;
    for program in [SPL, T22] {
        let t = TokenTransfer {
            from,
            mint,
            to,
            token_program: program,
        };
        let key_kp = env.key.insecure_clone();
        let (r, logs) = env
            .send_with_logs(
                &[ix::transfer_token(&key, &owner, t, TOKEN, DECIMALS)],
                &[&key_kp],
            )
            .await;
        assert!(
            !logs
                .iter()
                .any(|l| l.contains(&hostile_target::ID.to_string())),
            "the hook program never runs: {logs:?}"
        );
        if program == SPL {
            // The hook check reads only a mint its token program owns; SPL Token then refuses
            // the Token-2022 account (not its 165-byte layout).
            assert_eq!(
                r,
                Err(TransactionError::InstructionError(
                    0,
                    InstructionError::InvalidAccountData
                ))
            );
            assert!(
                logs.iter()
                    .any(|l| l.starts_with(&format!("Program {SPL} failed"))),
                "{logs:?}"
            );
        } else {
            assert_session_error(r, SessionError::TransferHookNotSupported);
        }
        assert_eq!(env.snapshot(&[from, to], &[vault]).await, before);
        assert_eq!(env.session().await.unwrap(), session_before);
    }
}

// ---------------------------------------------------------------------------------------------
// revoke_all_sessions on Token-2022 accounts whose state a third party (or the owner) changed
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn revoke_all_lands_on_an_account_under_cpi_guard_and_on_one_whose_mint_was_paused() {
    use spl_token_2022::extension::pausable;
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let payer = env.ctx.payer.insecure_clone();
    let approve = |account: &Pubkey| {
        spl_token_2022::instruction::approve(&T22, account, &vault, &owner, &[], 30 * TOKEN)
            .unwrap()
    };
    // The owner's account under CPI Guard (set by the owner), the vault approved directly.
    let mint = env.create_mint(&T22).await;
    let guarded = env.create_token_account(&mint, &owner).await;
    env.mint_to(&mint, &guarded, 100 * TOKEN).await;
    let [grow, guard] = targets::token_2022::cpi_guard(&guarded, &owner);
    env.send_owner(&[grow, guard, approve(&guarded)])
        .await
        .unwrap();
    // The owner's account of a pausable mint (the context payer is its pause authority),
    // delegated to the vault, then the mint paused by its authority.
    let pausable_mint = env
        .create_mint_2022(&[ExtensionType::Pausable], |m| {
            vec![pausable::instruction::initialize(&T22, m, &payer.pubkey()).unwrap()]
        })
        .await;
    let paused = env.create_token_account(&pausable_mint, &owner).await;
    env.mint_to(&pausable_mint, &paused, 100 * TOKEN).await;
    env.send_owner(&[approve(&paused)]).await.unwrap();
    let pause = pausable::instruction::pause(&T22, &pausable_mint, &payer.pubkey(), &[]).unwrap();
    env.send(&[pause], &[&payer]).await.unwrap();
    env.create_session(
        Scope::until(START + 60)
            .mint(mint, caps(TOKEN))
            .build(START)
            .unwrap(),
    )
    .await
    .unwrap();
    for account in [guarded, paused] {
        assert_eq!(
            delegation(&mut env, &account).await,
            (Some(vault), 30 * TOKEN, 100 * TOKEN, false)
        );
    }

    let e = revoke_all(
        &mut env,
        ix::revoke_all_sessions(&owner, &[(guarded, T22), (paused, T22)]),
    )
    .await;
    assert_eq!(e.revoked_delegations, vec![guarded, paused]);
    assert!(e.skipped_delegations.is_empty());
    assert_eq!(env.wallet_of(&owner).await.unwrap().nonce, 1);
    for account in [guarded, paused] {
        assert_eq!(
            delegation(&mut env, &account).await,
            (None, 0, 100 * TOKEN, false)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// execute: vault-owned accounts whose other authorities are the thief's
// ---------------------------------------------------------------------------------------------

/// FINDING (theft; fixed: lamports credited to a token account offset nothing). SPL Token keeps a non-native account's close authority when its owner
/// changes. The thief creates a token account, makes itself close authority, then hands
/// ownership to the victim's vault: no signature of the owner or the vault is needed. `execute`
/// watches that account (the vault owns it) and credits its lamports as the owner's, so a
/// target moves the vault's SOL into it uncharged; the thief, as close authority, then closes
/// it to itself. A session with no SOL allowance at all empties the vault.
#[tokio::test]
async fn a_vault_owned_account_whose_close_authority_is_the_thief_cannot_launder_vault_sol() {
    use spl_token_2022::instruction::{set_authority, AuthorityType};
    let mut env = TestEnv::new().await;
    let vault = env.fund_vault(2 * SOL).await;
    let thief = env.stranger.insecure_clone();
    let t = thief.pubkey();
    let mint = env.mint;
    let laundry = env.create_token_account(&mint, &t).await;
    env.send(
        &[
            set_authority(
                &SPL,
                &laundry,
                Some(&t),
                AuthorityType::CloseAccount,
                &t,
                &[],
            )
            .unwrap(),
            set_authority(
                &SPL,
                &laundry,
                Some(&vault),
                AuthorityType::AccountOwner,
                &t,
                &[],
            )
            .unwrap(),
        ],
        &[&thief],
    )
    .await
    .unwrap();
    let a = env.token_account(&laundry).await;
    assert_eq!((a.owner, a.close_authority), (vault, Some(t).into()));

    env.create_session(hostile_session(None, &[]))
        .await
        .unwrap();
    let session_before = env.session().await.unwrap();
    let keys = [vault, laundry, t];
    let before = env.snapshot(&[], &keys).await;
    let r = env
        .execute(&[hostile::drain_lamports(&vault, &laundry, SOL)])
        .await;
    if r.is_ok() {
        // The thief closes the vault's "own" account to itself.
        let close =
            spl_token_2022::instruction::close_account(&SPL, &laundry, &t, &t, &[]).unwrap();
        env.send(&[close], &[&thief]).await.unwrap();
        let after = env.snapshot(&[], &keys).await;
        let s = env.session().await.unwrap();
        panic!(
            "VULNERABILITY: the vault lost {} lamports and the thief gained {} (fees aside), with \
             a session without SOL allowance (charged: {:?}, uses {})",
            before[0] - after[0],
            after[2] - before[2],
            s.sol,
            s.uses
        );
    }
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(env.snapshot(&[], &keys).await, before);
    assert_eq!(env.session().await.unwrap(), session_before);
}

/// FINDING (theft; fixed: only accounts that hold tokens for the owner offset). `execute` snapshots which token accounts the vault controls before the
/// first call; an account that only becomes one during a call is not watched. One batch
/// initializes a token account the thief prepared (uninitialized, so not watched) with the
/// vault as owner and approves the thief as its delegate, moving nothing. The next batch moves
/// the vault's tokens into it: the account is the vault's, so the move nets to zero and is not
/// charged; the thief then takes them as delegate.
#[tokio::test]
async fn tokens_moved_into_a_vault_owned_account_the_thief_is_delegate_of_are_charged() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.mint;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 50 * TOKEN).await;
    let thief = env.stranger.insecure_clone();
    let t = thief.pubkey();
    let thief_tokens = env.create_token_account(&mint, &t).await;
    // Prepared by the thief: 165 bytes of SPL Token, uninitialized.
    let mule = uninitialized_token_program_account(&mut env, &SPL).await;
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();

    // Batch 1: the vault becomes the mule's owner and the thief its delegate; nothing moves.
    let init =
        spl_token_2022::instruction::initialize_account3(&SPL, &mule, &mint, &vault).unwrap();
    let approve =
        spl_token_2022::instruction::approve(&SPL, &mule, &t, &vault, &[], u64::MAX).unwrap();
    let r1 = env
        .execute(&[hostile::reenter(&init), hostile::reenter(&approve)])
        .await;
    // Batch 2: 50 tokens (the cap is 5) from the vault's account into the mule.
    let tokens = [vault_tokens, mule, thief_tokens];
    let before = env.snapshot(&tokens[..1], &[vault]).await;
    let session_before = env.session().await.unwrap();
    let r2 = if r1.is_ok() {
        env.execute(&[hostile::steal_tokens(
            &vault,
            &vault_tokens,
            &mint,
            &mule,
            &SPL,
            50 * TOKEN,
            DECIMALS,
        )])
        .await
    } else {
        r1.clone()
    };
    if r2.is_ok() {
        // The thief, as delegate, takes them.
        let take = spl_token_2022::instruction::transfer_checked(
            &SPL,
            &mule,
            &mint,
            &thief_tokens,
            &t,
            &[],
            50 * TOKEN,
            DECIMALS,
        )
        .unwrap();
        env.send(&[take], &[&thief]).await.unwrap();
        let s = env.session().await.unwrap();
        panic!(
            "VULNERABILITY: the thief holds {} base units of the vault's tokens; the session's cap \
             is {} and it was charged {} over {} uses",
            env.balance(&thief_tokens).await,
            5 * TOKEN,
            s.mints[0].allowance.spent,
            s.uses
        );
    }
    // Batch 1 moves nothing and is allowed; batch 2's 50 tokens land in an account the thief
    // can empty, so they offset nothing: charged in full, over the cap of 5. Nothing left the
    // vault and nothing was charged.
    assert_eq!(r1, Ok(()));
    assert_session_error(r2, SessionError::LifetimeCapExceeded);
    assert_eq!(env.snapshot(&tokens[..1], &[vault]).await, before);
    assert_eq!(env.balance(&thief_tokens).await, 0);
    assert_eq!(env.session().await.unwrap(), session_before);
}
