//! Security round 3, hostile review of the accounting change and the owner/session refactor,
//! tried in the bank.
//!
//! - `execute`'s balance diff: token increases offset a loss only in accounts that hold tokens
//!   for the owner (`TokenState::holds_for`), lamports credited to a token account never offset
//!   anything, wrapped SOL beyond its amount is SOL, the vault's own lamports net within a call.
//!   Every shape of destination (the owner's and the vault's accounts with every combination of
//!   delegate and close authority, accounts made the vault's during a batch), value lent and
//!   returned across calls and mints, wrapped SOL in and out, and the legitimate flows the rule
//!   could refuse or over-charge (moves between the owner's accounts, a swap into the vault's
//!   account, an ATA created inside the batch, lamports moved back into the vault).
//! - The owner-only instructions behind `OwnerSigned`, with every owner, wallet and vault
//!   substituted; the session-key checks of both grant paths; a dead session (out of uses,
//!   expired, revoked, in every combination) on the gate, verify-in-target and `close_session`,
//!   with the exact error precedence.
//!
//! Each case asserts the exact outcome and that nothing else moved: token amounts,
//! delegations, close authorities, lamports, session counters, the wallet's nonce and counter.
//!
//! No test here fails: no under-charge was found. What the review found is recorded where it
//! is tested: the gate's error precedence changed in the refactor (an exhausted session with a
//! wrong vault now says `UsesExhausted`, before it said `WrongVault`; harmless), and legitimate
//! flows the conservative rules over-charge or refuse (wrapping SOL in two calls costs twice
//! its amount in SOL caps; unwrapping is tampering; tokens moved into an account created in
//! the same batch are charged; a counterparty repaying through its own delegation to the
//! vault is `DelegationReduced`).
use anchor_lang::error::ErrorCode as Anchor;
use anchor_spl::{
    token::spl_token,
    token_2022::spl_token_2022::{
        self, instruction::AuthorityType, state::Account as TokenAccount,
    },
};
use example_game::Player;
use session_keys::{
    errors::SessionError,
    instructions::{MessageEnvelope, MessageGrantArgs},
    policy::CapsArgs,
    state::{Session, Wallet},
};
use session_keys_tests::{
    client::{
        ix::{self, TokenTransfer},
        message::{self, LOCALNET},
        pda,
        scope::{caps, instruction, program, ProgramScopeExt, Scope},
    },
    targets::{game, hostile},
    *,
};
use solana_sdk::{
    account::AccountSharedData,
    instruction::{Instruction, InstructionError},
    program_pack::Pack,
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::TransactionError,
};

const SPL: Pubkey = anchor_spl::token::ID;
const T22: Pubkey = anchor_spl::token_2022::ID;
const NATIVE: Pubkey = spl_token::native_mint::ID;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Everything an attack could move: each token account's full base state (amount, delegate,
/// delegated amount, close authority, state; `None` once closed), each key's lamports, the
/// default session and the owner's wallet.
#[derive(Debug, PartialEq)]
struct World {
    tokens: Vec<Option<TokenAccount>>,
    lamports: Vec<u64>,
    session: Option<Session>,
    wallet: Option<Wallet>,
}

async fn world(env: &mut TestEnv, tokens: &[Pubkey], keys: &[Pubkey]) -> World {
    let mut t = Vec::new();
    for key in tokens {
        t.push(
            env.account(key)
                .await
                .filter(|a| a.data.len() >= TokenAccount::LEN)
                .map(|a| TokenAccount::unpack_from_slice(&a.data[..TokenAccount::LEN]).unwrap()),
        );
    }
    let mut lamports = Vec::new();
    for key in keys {
        lamports.push(env.lamports(key).await);
    }
    let owner = env.owner.pubkey();
    World {
        tokens: t,
        lamports,
        session: env.session().await,
        wallet: env.wallet_of(&owner).await,
    }
}

/// A session (one hour) that may call the hostile target freely, with `sol` caps (none: no
/// lamport may leave) and caps on `mints`.
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

/// Replaces the default session by `args` (the owner revokes the old one first).
async fn regrant(env: &mut TestEnv, args: client::CreateSessionArgs) {
    if env.session().await.is_some() {
        env.revoke_own_session().await;
    }
    env.create_session(args).await.unwrap();
}

/// Moves `amount` of the default mint (SPL Token, 6 decimals) from `from` to `to`, the vault
/// signing (as owner or delegate of `from`).
fn move_tokens(
    vault: &Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    amount: u64,
) -> Instruction {
    hostile::steal_tokens(vault, from, mint, to, &SPL, amount, DECIMALS)
}

/// 165 bytes owned by SPL Token, uninitialized, paid by the stranger: not a token account
/// when `execute` takes its snapshot.
async fn uninitialized_spl_account(env: &mut TestEnv) -> Pubkey {
    let account = Keypair::new();
    let stranger = env.stranger.insecure_clone();
    let rent = env.ctx.banks_client.get_rent().await.unwrap();
    let create = solana_system_interface::instruction::create_account(
        &stranger.pubkey(),
        &account.pubkey(),
        rent.minimum_balance(TokenAccount::LEN),
        TokenAccount::LEN as u64,
        &SPL,
    );
    env.send(&[create], &[&stranger, &account]).await.unwrap();
    account.pubkey()
}

/// A token account of `mint` the stranger creates for itself, then (its own signature only)
/// gives a close authority `close` and hands to `new_owner`. SPL Token keeps a non-native
/// account's close authority when its owner changes.
async fn handed_over(
    env: &mut TestEnv,
    mint: &Pubkey,
    close: &Pubkey,
    new_owner: &Pubkey,
) -> Pubkey {
    let stranger = env.stranger.insecure_clone();
    let s = stranger.pubkey();
    let account = env.create_token_account(mint, &s).await;
    let set = |kind, to: &Pubkey| {
        spl_token_2022::instruction::set_authority(&SPL, &account, Some(to), kind, &s, &[]).unwrap()
    };
    env.send(
        &[
            set(AuthorityType::CloseAccount, close),
            set(AuthorityType::AccountOwner, new_owner),
        ],
        &[&stranger],
    )
    .await
    .unwrap();
    let a = env.token_account(&account).await;
    assert_eq!(
        (a.owner, a.close_authority, a.delegate),
        (*new_owner, Some(*close).into(), None.into())
    );
    account
}

/// An account of `mint` owned by the vault whose delegate is `delegate`, made so the only way a
/// session can: in one `execute` batch, the stranger's uninitialized account is initialized for
/// the vault (so it was not watched) and the vault approves `delegate` on it. Nothing moves
/// and nothing is charged; the batch uses one use.
async fn vault_account_delegated_to(env: &mut TestEnv, mint: &Pubkey, delegate: &Pubkey) -> Pubkey {
    let vault = pda::vault(&env.owner.pubkey()).0;
    let mule = uninitialized_spl_account(env).await;
    let init = spl_token_2022::instruction::initialize_account3(&SPL, &mule, mint, &vault).unwrap();
    let approve =
        spl_token_2022::instruction::approve(&SPL, &mule, delegate, &vault, &[], u64::MAX).unwrap();
    let spent_before = env.session().await.unwrap().mints[0].allowance.spent;
    env.execute(&[hostile::reenter(&init), hostile::reenter(&approve)])
        .await
        .unwrap();
    let a = env.token_account(&mule).await;
    assert_eq!(
        (a.owner, a.delegate, a.amount),
        (vault, Some(*delegate).into(), 0)
    );
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        spent_before
    );
    mule
}

// ---------------------------------------------------------------------------------------------
// execute: token increases offset a loss only where the tokens stay the owner's
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn moves_between_the_owners_and_the_vaults_own_accounts_cost_nothing_and_cannot_eat_the_delegation(
) {
    let mut env = TestEnv::new().await;
    let (mint, owner_ata) = (env.mint, env.owner_ata);
    let vault = pda::vault(&env.owner.pubkey()).0;
    let vault_a = env.create_token_account(&mint, &vault).await;
    let vault_b = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_a, 50 * TOKEN).await;
    let thief = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    // A cap of one base unit, and the vault delegate of the owner's account for 20 tokens.
    let args = Scope::until(START + 3600)
        .mint(mint, caps(1))
        .program(program(hostile_target::ID))
        .delegate(20 * TOKEN)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    let tokens = [vault_a, vault_b, owner_ata, thief];
    let keys = [vault, vault_a, vault_b, owner_ata];

    // Legitimate: the vault's tokens into the owner's delegated account and into another vault
    // account. Nothing left the owner's control: nothing is charged, the delegation is intact.
    env.execute(&[
        move_tokens(&vault, &vault_a, &mint, &owner_ata, 30 * TOKEN),
        move_tokens(&vault, &vault_a, &mint, &vault_b, 10 * TOKEN),
    ])
    .await
    .unwrap();
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.mints[0].allowance.spent), (1, 0));
    assert_eq!(env.balance(&vault_a).await, 10 * TOKEN);
    assert_eq!(env.balance(&vault_b).await, 10 * TOKEN);
    let o = env.token_account(&owner_ata).await;
    assert_eq!(
        (o.amount, o.delegate, o.delegated_amount),
        (1_030 * TOKEN, Some(vault).into(), 20 * TOKEN)
    );

    // The way back through the vault's delegation nets to zero but eats the delegation.
    let before = world(&mut env, &tokens, &keys).await;
    let r = env
        .execute(&[move_tokens(&vault, &owner_ata, &mint, &vault_b, 5 * TOKEN)])
        .await;
    assert_session_error(r, SessionError::DelegationReduced);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
    // Back and forth in two calls: the second call alone is judged, and refused.
    let r = env
        .execute(&[
            move_tokens(&vault, &vault_b, &mint, &owner_ata, 5 * TOKEN),
            move_tokens(&vault, &owner_ata, &mint, &vault_b, 5 * TOKEN),
        ])
        .await;
    assert_session_error(r, SessionError::DelegationReduced);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
    // Two base units out to a thief against a cap of one.
    let r = env
        .execute(&[move_tokens(&vault, &vault_b, &mint, &thief, 2)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
}

/// An account of the default mint owned by the owner, with the close authority and delegate
/// the owner sets (its own signature).
async fn owner_account(
    env: &mut TestEnv,
    close: Option<Pubkey>,
    delegate: Option<Pubkey>,
) -> Pubkey {
    use spl_token_2022::instruction::{approve, set_authority};
    let (mint, owner) = (env.mint, env.owner.pubkey());
    let a = env.create_token_account(&mint, &owner).await;
    let mut ixs = Vec::new();
    if let Some(c) = close {
        ixs.push(
            set_authority(&SPL, &a, Some(&c), AuthorityType::CloseAccount, &owner, &[]).unwrap(),
        );
    }
    if let Some(d) = delegate {
        ixs.push(approve(&SPL, &a, &d, &owner, &[], u64::MAX).unwrap());
    }
    if !ixs.is_empty() {
        env.send_owner(&ixs).await.unwrap();
    }
    a
}

/// Where 10 tokens from the vault's account land, and whether that is free (the account holds
/// tokens for the owner) or charged.
struct Destination {
    name: &'static str,
    account: Pubkey,
    free: bool,
}

#[tokio::test]
async fn token_increases_offset_a_loss_only_in_accounts_that_hold_tokens_for_the_owner() {
    let mut env = TestEnv::new().await;
    let owner_kp = env.owner.insecure_clone();
    let owner = owner_kp.pubkey();
    let stranger = env.stranger.pubkey();
    let mint = env.mint;
    let vault = pda::vault(&owner).0;
    let source = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &source, 100 * TOKEN).await;
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();

    // The owner's accounts, each watched through one of the vault's roles, set by the owner.
    let owner_closable_by_vault = owner_account(&mut env, Some(vault), None).await;
    let owner_closable_by_owner_delegated_to_vault =
        owner_account(&mut env, Some(owner), Some(vault)).await;
    let owner_closable_by_vault_delegated_to_stranger =
        owner_account(&mut env, Some(vault), Some(stranger)).await;
    let owner_delegated_to_vault_closable_by_stranger =
        owner_account(&mut env, Some(stranger), Some(vault)).await;
    let owner_unwatched = owner_account(&mut env, None, None).await;
    // Vault-owned accounts the stranger prepared and handed over (its signature only).
    let vault_closable_by_owner = handed_over(&mut env, &mint, &owner, &vault).await;
    let vault_closable_by_vault = handed_over(&mut env, &mint, &vault, &vault).await;
    let vault_closable_by_stranger = handed_over(&mut env, &mint, &stranger, &vault).await;
    // Vault-owned accounts a session made in an earlier batch, delegated to the vault itself
    // and to the stranger.
    let vault_delegated_to_vault = vault_account_delegated_to(&mut env, &mint, &vault).await;
    let vault_delegated_to_stranger = vault_account_delegated_to(&mut env, &mint, &stranger).await;

    let destinations = [
        Destination {
            name: "owner's, vault may close",
            account: owner_closable_by_vault,
            free: true,
        },
        Destination {
            name: "owner's, owner may close, vault delegate",
            account: owner_closable_by_owner_delegated_to_vault,
            free: true,
        },
        Destination {
            name: "vault's, owner may close",
            account: vault_closable_by_owner,
            free: true,
        },
        Destination {
            name: "vault's, vault may close",
            account: vault_closable_by_vault,
            free: true,
        },
        Destination {
            name: "vault's, delegated to the vault itself",
            account: vault_delegated_to_vault,
            free: true,
        },
        Destination {
            name: "owner's, vault may close, stranger delegate (owner's approval)",
            account: owner_closable_by_vault_delegated_to_stranger,
            free: false,
        },
        Destination {
            name: "owner's, vault delegate, stranger may close",
            account: owner_delegated_to_vault_closable_by_stranger,
            free: false,
        },
        Destination {
            name: "vault's, stranger may close",
            account: vault_closable_by_stranger,
            free: false,
        },
        Destination {
            name: "vault's, stranger delegate",
            account: vault_delegated_to_stranger,
            free: false,
        },
        Destination {
            name: "owner's, no role of the vault (not watched)",
            account: owner_unwatched,
            free: false,
        },
    ];
    let all: Vec<Pubkey> = std::iter::once(source)
        .chain(destinations.iter().map(|d| d.account))
        .collect();
    let mut keys = all.clone();
    keys.push(vault);
    for d in &destinations {
        let before = world(&mut env, &all, &keys).await;
        let r = env
            .execute(&[move_tokens(&vault, &source, &mint, &d.account, 10 * TOKEN)])
            .await;
        if d.free {
            assert_eq!(r, Ok(()), "{}", d.name);
            let after = world(&mut env, &all, &keys).await;
            let (b, a) = (before.session.unwrap(), after.session.unwrap());
            assert_eq!(a.uses, b.uses + 1, "{}", d.name);
            assert_eq!(a.mints, b.mints, "{}: nothing charged", d.name);
            assert_eq!(env.balance(&d.account).await, 10 * TOKEN, "{}", d.name);
        } else {
            assert_eq!(
                r,
                Err(TransactionError::InstructionError(
                    0,
                    InstructionError::Custom(code(SessionError::LifetimeCapExceeded))
                )),
                "{}: 10 charged against a cap of 5",
                d.name
            );
            assert_eq!(world(&mut env, &all, &keys).await, before, "{}", d.name);
        }
    }
    // Charged to the base unit: 5 into the stranger-delegated account of the owner is exactly
    // the cap.
    env.execute(&[move_tokens(
        &vault,
        &source,
        &mint,
        &owner_closable_by_vault_delegated_to_stranger,
        5 * TOKEN,
    )])
    .await
    .unwrap();
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        5 * TOKEN
    );
}

// ---------------------------------------------------------------------------------------------
// execute: value lent and returned across calls and mints
// ---------------------------------------------------------------------------------------------

/// An SPL Token mint whose mint authority is `authority` (handed over by the context payer):
/// the stand-in for a pool paying into the vault's account inside a call.
async fn mint_with_authority(env: &mut TestEnv, authority: &Pubkey) -> Pubkey {
    let mint = env.create_mint(&SPL).await;
    let payer = env.ctx.payer.insecure_clone();
    let hand = spl_token_2022::instruction::set_authority(
        &SPL,
        &mint,
        Some(authority),
        AuthorityType::MintTokens,
        &payer.pubkey(),
        &[],
    )
    .unwrap();
    env.send(&[hand], &[&payer]).await.unwrap();
    mint
}

/// `mint_to` of `amount` of `mint` into `account`, the vault signing as mint authority.
fn vault_mints(vault: &Pubkey, mint: &Pubkey, account: &Pubkey, amount: u64) -> Instruction {
    hostile::reenter(
        &spl_token_2022::instruction::mint_to(&SPL, mint, account, vault, &[], amount).unwrap(),
    )
}

#[tokio::test]
async fn a_swap_into_the_vaults_account_is_charged_its_input_and_value_lent_and_returned_is_charged(
) {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let a = env.mint;
    // B: the pool's payout, modelled as the vault minting (a test device; the README tells
    // owners never to give the vault a mint authority).
    let b = mint_with_authority(&mut env, &vault).await;
    let vault_a = env.create_token_account(&a, &vault).await;
    env.mint_to(&a, &vault_a, 100 * TOKEN).await;
    let vault_b = env.create_token_account(&b, &vault).await;
    let stranger = env.stranger.insecure_clone();
    let pool_a = env.create_token_account(&a, &stranger.pubkey()).await;
    let pool_b = env.create_token_account(&b, &stranger.pubkey()).await;
    let tokens = [vault_a, vault_b, pool_a, pool_b];
    let keys = [vault, vault_a, vault_b];
    // Caps on A only: B needs none to come in.
    env.create_session(hostile_session(None, &[(a, 5 * TOKEN)]))
        .await
        .unwrap();

    // A swap: 10 A out to the pool, 1,000 B in. B coming in does not pay for A going out.
    let swap = |amount_a| {
        [
            move_tokens(&vault, &vault_a, &a, &pool_a, amount_a),
            vault_mints(&vault, &b, &vault_b, 1_000 * TOKEN),
        ]
    };
    let before = world(&mut env, &tokens, &keys).await;
    let r = env.execute(&swap(10 * TOKEN)).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
    // Within the cap it works: A is charged, B is not.
    env.execute(&swap(5 * TOKEN)).await.unwrap();
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.uses, s.mints.len(), s.mints[0].allowance.spent),
        (1, 1, 5 * TOKEN)
    );
    assert_eq!(env.balance(&vault_b).await, 1_000 * TOKEN);

    // A flash loan of B: lent to the pool, the same amount minted back in the next call. The
    // vault ends whole; the loan still costs allowance.
    regrant(&mut env, hostile_session(None, &[(b, 5 * TOKEN)])).await;
    let before = world(&mut env, &tokens, &keys).await;
    let loan = [
        move_tokens(&vault, &vault_b, &b, &pool_b, 10 * TOKEN),
        vault_mints(&vault, &b, &vault_b, 10 * TOKEN),
    ];
    let r = env.execute(&loan).await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);

    // Repaid by pulling from the borrower's account on which it approved the vault: the
    // repayment uses the vault's delegation there without charging it, refused as such (a
    // borrower-delegated account is not the owner's: its decrease counts as an outflow).
    let approve = spl_token_2022::instruction::approve(
        &SPL,
        &pool_b,
        &vault,
        &stranger.pubkey(),
        &[],
        u64::MAX,
    )
    .unwrap();
    env.send(&[approve], &[&stranger]).await.unwrap();
    regrant(&mut env, hostile_session(None, &[(b, 50 * TOKEN)])).await;
    let before = world(&mut env, &tokens, &keys).await;
    let loan = [
        move_tokens(&vault, &vault_b, &b, &pool_b, 10 * TOKEN),
        move_tokens(&vault, &pool_b, &b, &vault_b, 10 * TOKEN),
    ];
    let r = env.execute(&loan).await;
    assert_session_error(r, SessionError::DelegationReduced);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
    // The loan alone is charged in full.
    env.execute(&loan[..1]).await.unwrap();
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        10 * TOKEN
    );
}

// ---------------------------------------------------------------------------------------------
// execute: lamports credited to a token account never offset anything
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn lamports_the_vault_pays_into_any_token_account_of_the_owner_or_the_vault_are_charged() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let mint = env.mint;
    let vault = env.fund_vault(3 * SOL).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    let vault_native = hostile::ata(&vault, &NATIVE, &SPL);
    let owner_native = hostile::ata(&owner, &NATIVE, &SPL);
    env.send_owner(&[
        hostile::create_ata(&owner, &vault, &NATIVE, &SPL),
        hostile::create_ata(&owner, &owner, &NATIVE, &SPL),
        spl_token_2022::instruction::approve(&SPL, &owner_native, &vault, &owner, &[], SOL)
            .unwrap(),
    ])
    .await
    .unwrap();
    let owner_closable_by_vault = owner_account(&mut env, Some(vault), None).await;
    let owner_delegated_to_vault = owner_account(&mut env, None, Some(vault)).await;
    let vault_closable_by_owner = handed_over(&mut env, &mint, &owner, &vault).await;
    let t22_mint = env.create_mint(&T22).await;
    let vault_t22 = env.create_token_account(&t22_mint, &vault).await;
    let sinks = [
        ("vault's account", vault_tokens),
        ("vault's wrapped SOL", vault_native),
        ("owner's wrapped SOL, vault delegate", owner_native),
        ("owner's account, vault may close", owner_closable_by_vault),
        ("owner's account, vault delegate", owner_delegated_to_vault),
        ("vault's account, owner may close", vault_closable_by_owner),
        ("vault's Token-2022 account", vault_t22),
    ];
    let mut keys: Vec<Pubkey> = sinks.iter().map(|(_, k)| *k).collect();
    keys.push(vault);
    let tokens: Vec<Pubkey> = sinks.iter().map(|(_, k)| *k).collect();

    // No SOL allowance: none of them may receive a lamport of the vault's.
    env.create_session(hostile_session(None, &[]))
        .await
        .unwrap();
    for (name, sink) in sinks {
        let before = world(&mut env, &tokens, &keys).await;
        let r = env
            .execute(&[hostile::drain_lamports(&vault, &sink, SOL / 10)])
            .await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(code(SessionError::SolNotInScope))
            )),
            "{name}"
        );
        assert_eq!(world(&mut env, &tokens, &keys).await, before, "{name}");
    }
    // With an allowance, each is charged to the lamport: one short is refused.
    regrant(&mut env, hostile_session(Some(SOL / 10 - 1), &[])).await;
    let before = world(&mut env, &tokens, &keys).await;
    let r = env
        .execute(&[hostile::drain_lamports(&vault, &vault_native, SOL / 10)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
    regrant(&mut env, hostile_session(Some(SOL / 10), &[])).await;
    env.execute(&[hostile::drain_lamports(&vault, &owner_native, SOL / 10)])
        .await
        .unwrap();
    assert_eq!(env.session().await.unwrap().sol.unwrap().spent, SOL / 10);
}

#[tokio::test]
async fn lamports_moved_back_into_the_vault_within_a_call_cost_nothing() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(SOL).await;
    // A vault-owned Token-2022 account holding 0.5 SOL above its rent.
    let mint = env.create_mint(&T22).await;
    let account = env.create_token_account(&mint, &vault).await;
    let tip = solana_system_interface::instruction::transfer(&owner, &account, SOL / 2);
    env.send_owner(std::slice::from_ref(&tip)).await.unwrap();
    env.create_session(hostile_session(None, &[]))
        .await
        .unwrap();
    let (vault_before, account_before) = (env.lamports(&vault).await, env.lamports(&account).await);
    // `WithdrawExcessLamports` into the vault itself: the account's loss is the vault's gain.
    let withdraw =
        spl_token_2022::instruction::withdraw_excess_lamports(&T22, &account, &vault, &vault, &[])
            .unwrap();
    env.execute(&[hostile::reenter(&withdraw)]).await.unwrap();
    assert_eq!(env.lamports(&vault).await, vault_before + SOL / 2);
    assert_eq!(env.lamports(&account).await, account_before - SOL / 2);
    let s = env.session().await.unwrap();
    assert_eq!((s.uses, s.sol), (1, None));
    // The same to anyone else: charged, and with no SOL allowance refused.
    env.send_owner(&[tip]).await.unwrap();
    let thief = Pubkey::new_unique();
    let keys = [vault, account, thief];
    let before = world(&mut env, &[account], &keys).await;
    let steal =
        spl_token_2022::instruction::withdraw_excess_lamports(&T22, &account, &thief, &vault, &[])
            .unwrap();
    let r = env.execute(&[hostile::reenter(&steal)]).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(world(&mut env, &[account], &keys).await, before);
}

// ---------------------------------------------------------------------------------------------
// execute: authorities set during the batch, on accounts the vault gets during the batch
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_account_made_the_vaults_and_given_a_thiefs_authority_in_the_same_batch_offsets_nothing()
{
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let mint = env.mint;
    let vault = env.fund_vault(SOL).await;
    let source = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &source, 100 * TOKEN).await;
    let thief = env.stranger.pubkey();
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();
    type Authority = fn(&Pubkey, &Pubkey, &Pubkey) -> Instruction;
    let roles: [(&str, Authority); 3] = [
        ("delegate", |mule, thief, vault| {
            spl_token_2022::instruction::approve(&SPL, mule, thief, vault, &[], u64::MAX).unwrap()
        }),
        ("close authority", |mule, thief, vault| {
            spl_token_2022::instruction::set_authority(
                &SPL,
                mule,
                Some(thief),
                AuthorityType::CloseAccount,
                vault,
                &[],
            )
            .unwrap()
        }),
        // The vault's own delegate: the tokens would stay the owner's, but the account was not
        // a token account at the snapshot, so it is not watched either: charged all the same
        // (conservative).
        ("vault itself as delegate", |mule, _, vault| {
            spl_token_2022::instruction::approve(&SPL, mule, vault, vault, &[], u64::MAX).unwrap()
        }),
    ];
    for (name, role) in roles {
        let mule = uninitialized_spl_account(&mut env).await;
        let init =
            spl_token_2022::instruction::initialize_account3(&SPL, &mule, &mint, &vault).unwrap();
        let batch = |amount| {
            [
                hostile::reenter(&init),
                hostile::reenter(&role(&mule, &thief, &vault)),
                move_tokens(&vault, &source, &mint, &mule, amount),
            ]
        };
        let keys = [vault, source, mule, owner];
        let before = world(&mut env, &[source], &keys).await;
        let r = env.execute(&batch(10 * TOKEN)).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(code(SessionError::LifetimeCapExceeded))
            )),
            "{name}"
        );
        assert_eq!(world(&mut env, &[source], &keys).await, before, "{name}");
        assert_eq!(
            env.account(&mule).await.unwrap().data,
            vec![0; 165],
            "{name}"
        );
    }
    // Lamports parked in such an account in the same batch: SOL, refused without allowance.
    let mule = uninitialized_spl_account(&mut env).await;
    let init =
        spl_token_2022::instruction::initialize_account3(&SPL, &mule, &mint, &vault).unwrap();
    let keys = [vault, source, mule];
    let before = world(&mut env, &[source], &keys).await;
    let r = env
        .execute(&[
            hostile::reenter(&init),
            hostile::reenter(&roles[1].1(&mule, &thief, &vault)),
            hostile::drain_lamports(&vault, &mule, SOL / 2),
        ])
        .await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(world(&mut env, &[source], &keys).await, before);
}

// ---------------------------------------------------------------------------------------------
// execute: wrapped SOL in and out of the vault's own accounts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn wrapping_sol_into_the_vaults_account_is_charged_as_sol_twice_and_unwrapping_is_refused() {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = env.fund_vault(5 * SOL).await;
    let wrapped = hostile::ata(&vault, &NATIVE, &SPL);
    let owner_native = hostile::ata(&owner, &NATIVE, &SPL);
    env.send_owner(&[
        hostile::create_ata(&owner, &vault, &NATIVE, &SPL),
        hostile::create_ata(&owner, &owner, &NATIVE, &SPL),
        spl_token_2022::instruction::approve(&SPL, &owner_native, &vault, &owner, &[], SOL)
            .unwrap(),
    ])
    .await
    .unwrap();
    // A second, non-associated wrapped-SOL account of the vault.
    let wrapped_2 = env.create_token_account(&NATIVE, &vault).await;
    let tokens = [wrapped, wrapped_2, owner_native];
    let keys = [vault, wrapped, wrapped_2, owner_native];
    let x = SOL;
    // The standard wrap: SOL into the account, then `SyncNative`, as two calls. The first is
    // charged as SOL (lamports credited to a token account offset nothing), the second again
    // (lamports beyond the amount decreased): 2x for SOL that never left the vault's account.
    let wrap = [
        hostile::drain_lamports(&vault, &wrapped, x),
        hostile::reenter(&spl_token_2022::instruction::sync_native(&SPL, &wrapped).unwrap()),
    ];
    for sol_cap in [None, Some(x), Some(2 * x - 1)] {
        regrant(&mut env, hostile_session(sol_cap, &[(NATIVE, 10 * SOL)])).await;
        let before = world(&mut env, &tokens, &keys).await;
        let r = env.execute(&wrap).await;
        let expected = if sol_cap.is_none() {
            SessionError::SolNotInScope
        } else {
            SessionError::LifetimeCapExceeded
        };
        assert_session_error(r, expected);
        assert_eq!(world(&mut env, &tokens, &keys).await, before, "{sol_cap:?}");
    }
    regrant(
        &mut env,
        hostile_session(Some(2 * x), &[(NATIVE, 10 * SOL)]),
    )
    .await;
    env.execute(&wrap).await.unwrap();
    assert_eq!(env.balance(&wrapped).await, x);
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.sol.unwrap().spent, s.mints[0].allowance.spent),
        (2 * x, 0)
    );

    // Wrapped SOL between the vault's two accounts, and into the owner's own account (vault
    // delegate): free.
    env.execute(&[
        hostile::steal_tokens(&vault, &wrapped, &NATIVE, &wrapped_2, &SPL, x / 2, 9),
        hostile::steal_tokens(&vault, &wrapped, &NATIVE, &owner_native, &SPL, x / 4, 9),
    ])
    .await
    .unwrap();
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.sol.unwrap().spent, s.mints[0].allowance.spent),
        (2 * x, 0)
    );
    assert_eq!(env.balance(&wrapped_2).await, x / 2);
    assert_eq!(env.balance(&owner_native).await, x / 4);

    // Unwrapping (closing the vault's wrapped-SOL account into the vault itself): a watched
    // account closed for good is tampering, even though every lamport comes home.
    let before = world(&mut env, &tokens, &keys).await;
    let close =
        spl_token_2022::instruction::close_account(&SPL, &wrapped_2, &vault, &vault, &[]).unwrap();
    let r = env.execute(&[hostile::reenter(&close)]).await;
    assert_session_error(r, SessionError::TokenAccountTampered);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);
}

#[tokio::test]
async fn an_ata_the_vault_creates_inside_a_batch_costs_its_rent_and_tokens_moved_into_it_are_charged(
) {
    let mut env = TestEnv::new().await;
    let mint = env.mint;
    let vault = env.fund_vault(SOL).await;
    let source = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &source, 100 * TOKEN).await;
    let ata = hostile::ata(&vault, &mint, &SPL);
    let rent = env
        .ctx
        .banks_client
        .get_rent()
        .await
        .unwrap()
        .minimum_balance(TokenAccount::LEN);
    let create = hostile::reenter(&hostile::create_ata(&vault, &vault, &mint, &SPL));
    let keys = [vault, source, ata];

    // No SOL allowance: the vault cannot pay the rent.
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();
    let before = world(&mut env, &[source], &keys).await;
    let r = env.execute(std::slice::from_ref(&create)).await;
    assert_session_error(r, SessionError::SolNotInScope);
    assert_eq!(world(&mut env, &[source], &keys).await, before);
    assert!(env.account(&ata).await.is_none());

    // The rent, exactly: the new account is created; 10 tokens moved into it in the same batch
    // count against the cap of 5, although they stay in the vault's own account (the account
    // did not exist at the snapshot, so it is not watched).
    regrant(&mut env, hostile_session(Some(rent), &[(mint, 5 * TOKEN)])).await;
    let before = world(&mut env, &[source], &keys).await;
    let r = env
        .execute(&[
            create.clone(),
            move_tokens(&vault, &source, &mint, &ata, 10 * TOKEN),
        ])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &[source], &keys).await, before);
    assert!(env.account(&ata).await.is_none());
    env.execute(&[create, move_tokens(&vault, &source, &mint, &ata, 5 * TOKEN)])
        .await
        .unwrap();
    let s = env.session().await.unwrap();
    assert_eq!(
        (s.sol.unwrap().spent, s.mints[0].allowance.spent),
        (rent, 5 * TOKEN)
    );
    assert_eq!(env.balance(&ata).await, 5 * TOKEN);
    // In a later batch the account is watched: moving into it is free.
    env.execute(&[move_tokens(&vault, &source, &mint, &ata, 50 * TOKEN)])
        .await
        .unwrap();
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        5 * TOKEN
    );
}

// ---------------------------------------------------------------------------------------------
// Owner-only instructions behind `OwnerSigned`: every owner, wallet and vault substituted
// ---------------------------------------------------------------------------------------------

/// What a substituted owner instruction must fail with.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Session(SessionError),
    Anchor(Anchor),
}

impl Expect {
    fn result(self) -> Result<(), TransactionError> {
        let e = match self {
            Self::Session(e) => code(e),
            Self::Anchor(e) => e as u32,
        };
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(e),
        ))
    }
}

/// Owner A (the default owner) and owner B (the stranger), each with a wallet, a funded vault
/// and a vault token account (10 tokens) plus an empty one.
struct TwoOwners {
    env: TestEnv,
    b: Keypair,
    vault_a_tokens: Pubkey,
    vault_a_empty: Pubkey,
    vault_b_tokens: Pubkey,
    vault_b_empty: Pubkey,
    /// A byte copy of A's wallet owned by the hostile program.
    foreign_wallet: Pubkey,
    /// A session of A's.
    session_a: Pubkey,
}

impl TwoOwners {
    async fn new() -> Self {
        let mut env = TestEnv::new().await;
        let mint = env.mint;
        let b = env.stranger.insecure_clone();
        let mut accounts = Vec::new();
        let mut sessions = Vec::new();
        for owner in [env.owner.insecure_clone(), b.insecure_clone()] {
            let o = owner.pubkey();
            let vault = pda::vault(&o).0;
            let args = Scope::until(START + 3600)
                .sol(caps(1))
                .build(START)
                .unwrap();
            let key = Keypair::new().pubkey();
            sessions.push(pda::session(&o, &key).0);
            let create = ix::create_session(&o, &o, &key, args, None);
            env.send(&[ix::deposit_sol(&o, SOL), create], &[&owner])
                .await
                .unwrap();
            let full = env.create_token_account(&mint, &vault).await;
            env.mint_to(&mint, &full, 10 * TOKEN).await;
            accounts.push((full, env.create_token_account(&mint, &vault).await));
        }
        let foreign_wallet = Pubkey::find_program_address(&[b"wallet"], &hostile_target::ID).0;
        let mut copy = env
            .account(&pda::wallet(&env.owner.pubkey()).0)
            .await
            .unwrap();
        copy.owner = hostile_target::ID;
        env.ctx
            .set_account(&foreign_wallet, &AccountSharedData::from(copy));
        Self {
            env,
            b,
            vault_a_tokens: accounts[0].0,
            vault_a_empty: accounts[0].1,
            vault_b_tokens: accounts[1].0,
            vault_b_empty: accounts[1].1,
            foreign_wallet,
            session_a: sessions[0],
        }
    }

    /// Every lamport and token balance involved, and both wallets.
    async fn state(&mut self) -> (Vec<u64>, Vec<Option<Wallet>>) {
        let (a, b) = (self.env.owner.pubkey(), self.b.pubkey());
        let tokens = [
            self.vault_a_tokens,
            self.vault_a_empty,
            self.vault_b_tokens,
            self.vault_b_empty,
            self.env.owner_ata,
        ];
        let keys = [
            a,
            b,
            pda::vault(&a).0,
            pda::vault(&b).0,
            self.vault_a_empty,
            self.vault_b_empty,
        ];
        let snapshot = self.env.snapshot(&tokens, &keys).await;
        let wallets = vec![self.env.wallet_of(&a).await, self.env.wallet_of(&b).await];
        (snapshot, wallets)
    }
}

/// One forged variant of an owner instruction: the accounts replaced, who signs (and pays).
struct Forged {
    name: &'static str,
    replace: Vec<(usize, Pubkey)>,
    owner_signs: bool,
    by_b: bool,
    expect: Expect,
}

fn forged(name: &'static str, replace: Vec<(usize, Pubkey)>, expect: Expect) -> Forged {
    Forged {
        name,
        replace,
        owner_signs: true,
        by_b: false,
        expect,
    }
}

#[tokio::test]
async fn owner_only_instructions_refuse_every_substituted_owner_wallet_vault_and_account() {
    use Expect::{Anchor as A, Session as S};
    let mut w = TwoOwners::new().await;
    let (a, b) = (w.env.owner.pubkey(), w.b.pubkey());
    let wallet_b = pda::wallet(&b).0;
    let (vault_a, vault_b) = (pda::vault(&a).0, pda::vault(&b).0);
    let mint = w.env.mint;
    let owner_ata = w.env.owner_ata;

    let withdraw_sol = ix::withdraw_sol(&a, &a, SOL / 10);
    let withdraw_token = ix::withdraw_token(
        &a,
        TokenTransfer {
            from: w.vault_a_tokens,
            mint,
            to: owner_ata,
            token_program: SPL,
        },
        TOKEN,
        DECIMALS,
    );
    let close = ix::close_vault_token_account(&a, &w.vault_a_empty, &a, &SPL);
    // The shared gate, the same for all three (indices: 0 owner, 1 wallet, 2 vault).
    let gate = || {
        vec![
            forged("B's wallet", vec![(1, wallet_b)], S(SessionError::NotOwner)),
            forged("B's vault", vec![(2, vault_b)], S(SessionError::WrongVault)),
            forged(
                "a key that is no vault",
                vec![(2, Pubkey::new_unique())],
                S(SessionError::WrongVault),
            ),
            forged(
                "A's vault address derived under the hostile program",
                vec![(
                    2,
                    Pubkey::find_program_address(&[b"vault", a.as_ref()], &hostile_target::ID).0,
                )],
                S(SessionError::WrongVault),
            ),
            forged(
                "A's wallet bytes owned by another program",
                vec![(1, w.foreign_wallet)],
                A(Anchor::AccountOwnedByWrongProgram),
            ),
            forged(
                "A's session as the wallet",
                vec![(1, w.session_a)],
                A(Anchor::AccountDiscriminatorMismatch),
            ),
            forged(
                "A's vault as the wallet",
                vec![(1, vault_a)],
                A(Anchor::AccountOwnedByWrongProgram),
            ),
            forged(
                "no account at all",
                vec![(1, Pubkey::new_unique())],
                A(Anchor::AccountNotInitialized),
            ),
            Forged {
                name: "B signs with A's wallet and vault",
                replace: vec![(0, b)],
                owner_signs: true,
                by_b: true,
                expect: S(SessionError::NotOwner),
            },
            Forged {
                name: "B signs with its own wallet, A's vault",
                replace: vec![(0, b), (1, wallet_b)],
                owner_signs: true,
                by_b: true,
                expect: S(SessionError::WrongVault),
            },
            Forged {
                name: "A listed but not signing",
                replace: vec![],
                owner_signs: false,
                by_b: true,
                expect: A(Anchor::AccountNotSigner),
            },
        ]
    };
    let mut cases: Vec<(&str, &Instruction, Vec<Forged>)> = vec![
        ("withdraw_sol", &withdraw_sol, gate()),
        ("withdraw_token", &withdraw_token, gate()),
        ("close_vault_token_account", &close, gate()),
    ];
    // The vault-token-account check: another owner's vault account, the owner's own account.
    cases[1].2.extend([
        forged(
            "B's vault account as source",
            vec![(3, w.vault_b_tokens)],
            S(SessionError::WrongSourceAccount),
        ),
        forged(
            "B's vault account with B's vault",
            vec![(2, vault_b), (3, w.vault_b_tokens)],
            S(SessionError::WrongVault),
        ),
        forged(
            "A's own (delegated-to-nobody) account as source",
            vec![(3, owner_ata), (5, w.vault_a_empty)],
            S(SessionError::WrongSourceAccount),
        ),
    ]);
    cases[2].2.extend([
        forged(
            "B's empty vault account",
            vec![(3, w.vault_b_empty)],
            S(SessionError::WrongSourceAccount),
        ),
        forged(
            "B's empty vault account with B's vault",
            vec![(2, vault_b), (3, w.vault_b_empty)],
            S(SessionError::WrongVault),
        ),
        forged(
            "A's own account",
            vec![(3, owner_ata)],
            S(SessionError::WrongSourceAccount),
        ),
    ]);
    let (owner_kp, b_kp) = (w.env.owner.insecure_clone(), w.b.insecure_clone());
    for (name, base, variants) in &cases {
        for v in variants {
            let mut i = (*base).clone();
            for (index, key) in &v.replace {
                i.accounts[*index].pubkey = *key;
            }
            if !v.owner_signs {
                i.accounts[0].is_signer = false;
            }
            let signer = if v.by_b { &b_kp } else { &owner_kp };
            let before = w.state().await;
            let r = w.env.send(&[i], &[signer]).await;
            assert_eq!(r, v.expect.result(), "{name}: {}", v.name);
            let mut after = w.state().await;
            // The signer paid the fee of the failed transaction, nothing else.
            let payer_index = if v.by_b { 1 } else { 0 };
            after.0[5 + payer_index] += 5_000;
            assert_eq!(after, before, "{name}: {}: nothing moved", v.name);
        }
    }
    // A zero amount is refused before the vault is looked at (as before the refactor).
    let mut zero = ix::withdraw_sol(&a, &a, 0);
    zero.accounts[2].pubkey = vault_b;
    let r = w.env.send(&[zero], &[&owner_kp]).await;
    assert_session_error(r, SessionError::ZeroAmount);

    // And the genuine instructions work (the sweep above was not vacuous).
    let before = w.env.lamports(&vault_a).await;
    w.env
        .send(&[withdraw_sol, withdraw_token, close], &[&owner_kp])
        .await
        .unwrap();
    assert_eq!(w.env.lamports(&vault_a).await, before - SOL / 10);
    assert_eq!(w.env.balance(&w.vault_a_tokens.clone()).await, 9 * TOKEN);
    assert!(w.env.account(&w.vault_a_empty.clone()).await.is_none());
}

// ---------------------------------------------------------------------------------------------
// Both grant paths share the session-key checks
// ---------------------------------------------------------------------------------------------

/// A message grant of the example game for `owner` and `key`, number 0.
fn game_grant(owner: &Keypair, key: &Pubkey, sponsor: &Pubkey) -> Vec<Instruction> {
    let args = MessageGrantArgs {
        expires_at: START + 3600,
        max_uses: Some(10),
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
        message_number: 0,
        valid_until: START + 300,
        envelope: MessageEnvelope::Text,
    };
    let m = message::grant_message(&args, &owner.pubkey(), key, LOCALNET).unwrap();
    let sig = owner.sign_message(&m);
    message::sponsored_grant(sponsor, &owner.pubkey(), key, args, &sig, LOCALNET)
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn the_session_key_is_never_the_owner_the_sponsor_or_the_owners_accounts_on_either_path() {
    let mut env = TestEnv::new().await;
    let owner_kp = env.owner.insecure_clone();
    let owner = owner_kp.pubkey();
    let args = || {
        Scope::until(START + 60)
            .sol(caps(SOL))
            .build(START)
            .unwrap()
    };

    // create_session: the owner (also paying), the vault, the wallet.
    for (name, key, e) in [
        ("owner", owner, SessionError::SessionKeyIsOwner),
        (
            "vault",
            pda::vault(&owner).0,
            SessionError::SessionKeyIsProgramAccount,
        ),
        (
            "wallet",
            pda::wallet(&owner).0,
            SessionError::SessionKeyIsProgramAccount,
        ),
    ] {
        let before = env.lamports(&owner).await;
        let r = env
            .send_owner(&[ix::create_session(&owner, &owner, &key, args(), None)])
            .await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(code(e))
            )),
            "{name}"
        );
        assert!(env.session_of(&owner, &key).await.is_none(), "{name}");
        assert!(env.wallet_of(&owner).await.is_none(), "{name}");
        assert_eq!(
            env.lamports(&owner).await,
            before - 5_000,
            "{name}: the fee only"
        );
    }
    // The key may pay its own session's rent (and gets it back at close).
    let key_kp = env.key.insecure_clone();
    let key = key_kp.pubkey();
    env.send(
        &[ix::create_session(&owner, &key, &key, args(), None)],
        &[&key_kp, &owner_kp],
    )
    .await
    .unwrap();
    assert_eq!(env.session().await.unwrap().payer, key);

    // create_session_from_message: the player's own key as session key, with a sponsor, and
    // as sponsor too (the sponsor check comes first, as before the refactor).
    let player = Keypair::new();
    let sponsor = env.stranger.insecure_clone();
    let p = player.pubkey();
    // The player holds SOL for the fee when it pays it itself.
    let fund = solana_system_interface::instruction::transfer(&sponsor.pubkey(), &p, SOL);
    env.send(&[fund], &[&sponsor]).await.unwrap();
    let cases = [
        (sponsor.pubkey(), SessionError::SessionKeyIsOwner),
        (p, SessionError::SponsorIsSessionKey),
    ];
    for (payer, e) in cases {
        let ixs = game_grant(&player, &p, &payer);
        let r = if payer == p {
            env.send(&ixs, &[&player]).await
        } else {
            env.send(&ixs, &[&sponsor, &player]).await
        };
        assert_custom(r, 1, code(e));
        assert!(env.session_of(&p, &p).await.is_none());
        assert!(env.wallet_of(&p).await.is_none());
    }
    // The same message for a real key goes through (the cases above were not vacuous).
    let real_key = Keypair::new();
    let ixs = game_grant(&player, &real_key.pubkey(), &sponsor.pubkey());
    env.send(&ixs, &[&sponsor, &real_key]).await.unwrap();
    assert!(env.session_of(&p, &real_key.pubkey()).await.is_some());
}

// ---------------------------------------------------------------------------------------------
// A dead session on every path, with the error precedence
// ---------------------------------------------------------------------------------------------

/// The owner has a player and a funded vault; the default key's session (until `START + 600`,
/// `max_uses` uses) may move SOL, call the hostile target, and move the owner's player through
/// verify-in-target.
async fn dead_session_env(max_uses: u32) -> TestEnv {
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    env.fund_vault(SOL).await;
    env.send_owner(&[game::create_player(&owner)])
        .await
        .unwrap();
    use anchor_lang::Discriminator;
    let args = Scope::until(START + 600)
        .sol(caps(SOL / 10))
        .program(program(hostile_target::ID))
        .program(program(example_game::ID).instruction(instruction(
            example_game::instruction::MoveAsOwner::DISCRIMINATOR,
        )))
        .max_uses(max_uses)
        .build(START)
        .unwrap();
    env.create_session(args).await.unwrap();
    env
}

/// Every path a session acts on: the gate (`transfer_sol`, `execute`) and verify-in-target
/// (the game's `move_as_owner`); with `wrong_vault`, the gate's two with another vault (verify
/// takes none).
fn every_path(env: &TestEnv, wrong_vault: bool) -> Vec<(&'static str, Instruction)> {
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let vault = pda::vault(&owner).0;
    // A funded account, so that one lamport may land there.
    let thief = env.stranger.pubkey();
    let mut paths = vec![
        ("transfer_sol", ix::transfer_sol(&key, &owner, &thief, 1)),
        (
            "execute",
            ix::execute(&key, &owner, &[hostile::drain_lamports(&vault, &thief, 1)]),
        ),
        (
            "verify-in-target",
            game::move_as_owner(
                &key,
                &owner,
                Some((pda::session(&owner, &key).0, pda::wallet(&owner).0)),
                1,
                0,
            ),
        ),
    ];
    if wrong_vault {
        // The gate's vault replaced (verify-in-target takes no vault).
        paths.truncate(2);
        for (_, i) in &mut paths {
            i.accounts[3].pubkey = pda::vault(&Pubkey::new_unique()).0;
        }
    }
    paths
}

async fn position(env: &mut TestEnv) -> (i32, i32) {
    use anchor_lang::AccountDeserialize;
    let data = env
        .account(&game::player(&env.owner.pubkey()))
        .await
        .unwrap()
        .data;
    let p = Player::try_deserialize(&mut &data[..]).unwrap();
    (p.x, p.y)
}

/// Every path refused with `e`, nothing moved (vault, recipient, session, wallet, player).
async fn all_refused(env: &mut TestEnv, wrong_vault: bool, e: SessionError, when: &str) {
    let vault = pda::vault(&env.owner.pubkey()).0;
    let keys = [vault, env.stranger.pubkey()];
    for (name, i) in every_path(env, wrong_vault) {
        let before = (world(env, &[], &keys).await, position(env).await);
        let r = env.send_key(&[i]).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(code(e))
            )),
            "{when}: {name}"
        );
        assert_eq!(
            (world(env, &[], &keys).await, position(env).await),
            before,
            "{when}: {name}"
        );
    }
}

/// `close_session` by a stranger: refused while the session is usable, else it closes.
async fn close_by_stranger(env: &mut TestEnv) -> Result<(), TransactionError> {
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let stranger = env.stranger.insecure_clone();
    env.send(&[ix::close_session(&owner, &key, &owner)], &[&stranger])
        .await
}

#[tokio::test]
async fn a_session_out_of_uses_expired_or_revoked_is_dead_on_every_path_in_a_fixed_order() {
    let mut env = dead_session_env(1).await;
    // Alive: the gate's vault check applies; it cannot be closed.
    all_refused(
        &mut env,
        true,
        SessionError::WrongVault,
        "alive, wrong vault",
    )
    .await;
    assert_session_error(
        close_by_stranger(&mut env).await,
        SessionError::SessionStillActive,
    );
    // Verify-in-target works and uses nothing; the one use goes to a transfer.
    let verify = every_path(&env, false).pop().unwrap().1;
    env.send_key(&[verify]).await.unwrap();
    env.send_key(&[every_path(&env, false).remove(0).1])
        .await
        .unwrap();
    assert_eq!(env.session().await.unwrap().uses, 1);

    // Out of uses: every path says so, also with a wrong vault (the use count is part of
    // `check_usable` and comes first now: before the refactor the gate checked the vault
    // before the uses, so this case said `WrongVault`).
    all_refused(&mut env, false, SessionError::UsesExhausted, "out of uses").await;
    all_refused(
        &mut env,
        true,
        SessionError::UsesExhausted,
        "out of uses, wrong vault",
    )
    .await;
    // Out of uses and expired: expiry first.
    env.set_time(START + 600).await;
    all_refused(
        &mut env,
        false,
        SessionError::SessionExpired,
        "out of uses, expired",
    )
    .await;
    // Out of uses, expired and revoked: revocation first.
    let owner = env.owner.pubkey();
    env.send_owner(&[ix::revoke_all_sessions(&owner, &[])])
        .await
        .unwrap();
    all_refused(
        &mut env,
        false,
        SessionError::SessionRevoked,
        "out of uses, expired, revoked",
    )
    .await;
    all_refused(
        &mut env,
        true,
        SessionError::SessionRevoked,
        "out of uses, expired, revoked, wrong vault",
    )
    .await;
    // Dead: anyone closes it, the rent goes back to its payer.
    let session = pda::session(&owner, &env.key.pubkey()).0;
    let (rent, before) = (env.lamports(&session).await, env.lamports(&owner).await);
    close_by_stranger(&mut env).await.unwrap();
    assert!(env.account(&session).await.is_none());
    assert_eq!(env.lamports(&owner).await, before + rent);

    // Revoked with uses left and time left: revoked on every path, and closable.
    let mut env = dead_session_env(5).await;
    let owner = env.owner.pubkey();
    env.send_owner(&[ix::revoke_all_sessions(&owner, &[])])
        .await
        .unwrap();
    all_refused(&mut env, false, SessionError::SessionRevoked, "revoked").await;
    all_refused(
        &mut env,
        true,
        SessionError::SessionRevoked,
        "revoked, wrong vault",
    )
    .await;
    close_by_stranger(&mut env).await.unwrap();

    // Expired with uses left: expired everywhere (a wrong vault too), and closable.
    let mut env = dead_session_env(5).await;
    env.set_time(START + 600).await;
    all_refused(&mut env, false, SessionError::SessionExpired, "expired").await;
    all_refused(
        &mut env,
        true,
        SessionError::SessionExpired,
        "expired, wrong vault",
    )
    .await;
    close_by_stranger(&mut env).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Token-2022 accounts that a CPI guard, a default-frozen mint or a permanent delegate affect
// ---------------------------------------------------------------------------------------------

/// SPL Token's and Token-2022's `AccountFrozen`.
const ACCOUNT_FROZEN: u32 = 17;

#[tokio::test]
async fn token_2022_guarded_default_frozen_and_permanent_delegate_accounts_are_accounted_as_documented(
) {
    use spl_token_2022::extension::{
        default_account_state::instruction::initialize_default_account_state, ExtensionType,
    };
    use spl_token_2022::state::AccountState;
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let payer = env.ctx.payer.insecure_clone();
    let thief = env.stranger.pubkey();
    let steal = |from: &Pubkey, mint: &Pubkey, to: &Pubkey, amount| {
        hostile::steal_tokens(&vault, from, mint, to, &T22, amount, DECIMALS)
    };

    // The owner's account under CPI Guard, the vault approved directly (the guard refuses an
    // approval through CPI): the delegate's moves still work through `execute`; tokens in are
    // free, tokens out are charged to the base unit.
    let mint = env.create_mint(&T22).await;
    let guarded = env.create_token_account(&mint, &owner).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &guarded, 100 * TOKEN).await;
    env.mint_to(&mint, &vault_tokens, 100 * TOKEN).await;
    let [grow, guard] = targets::token_2022::cpi_guard(&guarded, &owner);
    env.send_owner(&[
        grow,
        guard,
        spl_token_2022::instruction::approve(&T22, &guarded, &vault, &owner, &[], 30 * TOKEN)
            .unwrap(),
    ])
    .await
    .unwrap();
    let thief_tokens = env.create_token_account(&mint, &thief).await;
    env.create_session(hostile_session(None, &[(mint, 5 * TOKEN)]))
        .await
        .unwrap();
    env.execute(&[steal(&vault_tokens, &mint, &guarded, 50 * TOKEN)])
        .await
        .unwrap();
    let tokens = [guarded, vault_tokens, thief_tokens];
    let before = world(&mut env, &tokens, &[vault]).await;
    let r = env
        .execute(&[steal(&guarded, &mint, &thief_tokens, 5 * TOKEN + 1)])
        .await;
    assert_session_error(r, SessionError::LifetimeCapExceeded);
    assert_eq!(world(&mut env, &tokens, &[vault]).await, before);
    env.execute(&[steal(&guarded, &mint, &thief_tokens, 5 * TOKEN)])
        .await
        .unwrap();
    let g = env.token_account(&guarded).await;
    assert_eq!(
        (g.amount, g.delegated_amount),
        (145 * TOKEN, 25 * TOKEN),
        "the 50 in stayed the owner's; 5 went out on the delegation"
    );
    assert_eq!(
        env.session().await.unwrap().mints[0].allowance.spent,
        5 * TOKEN
    );

    // A default-frozen mint: the vault's new account is frozen, so nothing can come in (the
    // token program refuses before the diff); once the issuer thaws it, moving in is free.
    let frozen_mint = env
        .create_mint_2022(&[ExtensionType::DefaultAccountState], |m| {
            vec![initialize_default_account_state(&T22, m, &AccountState::Frozen).unwrap()]
        })
        .await;
    let source = env.create_token_account(&frozen_mint, &vault).await;
    let frozen = env.create_token_account(&frozen_mint, &vault).await;
    let thaw = |a: &Pubkey| {
        spl_token_2022::instruction::thaw_account(&T22, a, &frozen_mint, &payer.pubkey(), &[])
            .unwrap()
    };
    env.send(&[thaw(&source)], &[&payer]).await.unwrap();
    env.mint_to(&frozen_mint, &source, 10 * TOKEN).await;
    regrant(&mut env, hostile_session(None, &[(frozen_mint, 1)])).await;
    let before = world(&mut env, &[source, frozen], &[vault]).await;
    let r = env
        .execute(&[steal(&source, &frozen_mint, &frozen, TOKEN)])
        .await;
    assert_custom(r, 0, ACCOUNT_FROZEN);
    assert_eq!(world(&mut env, &[source, frozen], &[vault]).await, before);
    env.send(&[thaw(&frozen)], &[&payer]).await.unwrap();
    env.execute(&[steal(&source, &frozen_mint, &frozen, TOKEN)])
        .await
        .unwrap();
    assert_eq!(env.session().await.unwrap().mints[0].allowance.spent, 0);

    // Documented limit (SECURITY.md, "State the balance diff cannot see"): a mint whose
    // permanent delegate is the vault. The owner's account of it, with no delegation to the
    // vault, is not watched, so a session with no caps at all for that mint empties it
    // uncharged. Owners must never give the vault such a role.
    let pd_mint = env
        .create_mint_2022(&[ExtensionType::PermanentDelegate], |m| {
            vec![
                spl_token_2022::instruction::initialize_permanent_delegate(&T22, m, &vault)
                    .unwrap(),
            ]
        })
        .await;
    let owner_pd = env.create_token_account(&pd_mint, &owner).await;
    env.mint_to(&pd_mint, &owner_pd, 10 * TOKEN).await;
    let thief_pd = env.create_token_account(&pd_mint, &thief).await;
    regrant(&mut env, hostile_session(None, &[])).await;
    env.execute(&[steal(&owner_pd, &pd_mint, &thief_pd, 10 * TOKEN)])
        .await
        .unwrap();
    assert_eq!(env.balance(&thief_pd).await, 10 * TOKEN);
    assert!(env.session().await.unwrap().mints.is_empty());
}

// ---------------------------------------------------------------------------------------------
// A vault-owned account under CPI Guard would hold tokens the owner can never withdraw
// ---------------------------------------------------------------------------------------------

/// Token-2022's `CpiGuardOwnerChangeBlocked` ("Account ownership cannot be changed while CPI
/// Guard is enabled") and `CpiGuardSettingsLocked`.
const CPI_GUARD_OWNER_CHANGE_BLOCKED: u32 = 47;
const CPI_GUARD_SETTINGS_LOCKED: u32 = 41;

/// The trap that would beat `holds_for`: CPI Guard refuses every move of an account's tokens
/// that its owner signs through a CPI, and only the owner can switch it off, outside any CPI.
/// The vault signs only through CPIs, so a vault-owned account under the guard would take
/// tokens in as "the owner's" (vault-owned, no delegate, no close authority, not frozen) and
/// never let them out. It cannot be made: Token-2022 refuses to change the owner of a guarded
/// account, and refuses to enable the guard through a CPI. An account that carries the
/// (disabled) extension is harmless: moves into it are free and the owner withdraws them.
#[tokio::test]
async fn a_vault_owned_account_under_cpi_guard_cannot_be_made_so_credited_tokens_stay_withdrawable()
{
    use spl_token_2022::extension::{cpi_guard::instruction::enable_cpi_guard, ExtensionType};
    let mut env = TestEnv::new().await;
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    let mint = env.create_mint(&T22).await;
    let vault_tokens = env.create_token_account(&mint, &vault).await;
    env.mint_to(&mint, &vault_tokens, 100 * TOKEN).await;
    let owner_tokens = env.create_token_account(&mint, &owner).await;
    let thief = env.stranger.insecure_clone();
    let t = thief.pubkey();
    let trap = env.create_token_account(&mint, &t).await;
    let grow = spl_token_2022::instruction::reallocate(
        &T22,
        &trap,
        &t,
        &t,
        &[],
        &[ExtensionType::CpiGuard],
    )
    .unwrap();
    let hand_over = spl_token_2022::instruction::set_authority(
        &T22,
        &trap,
        Some(&vault),
        AuthorityType::AccountOwner,
        &t,
        &[],
    )
    .unwrap();

    // Guard on, then hand over: Token-2022 refuses the owner change.
    let r = env
        .send(
            &[
                grow.clone(),
                enable_cpi_guard(&T22, &trap, &t, &[]).unwrap(),
                hand_over.clone(),
            ],
            &[&thief],
        )
        .await;
    assert_custom(r, 2, CPI_GUARD_OWNER_CHANGE_BLOCKED);
    // Hand over with the extension switched off, then have the vault switch it on through
    // `execute`: Token-2022 refuses it inside a CPI.
    env.send(&[grow, hand_over], &[&thief]).await.unwrap();
    env.create_session(hostile_session(None, &[(mint, 1)]))
        .await
        .unwrap();
    let tokens = [vault_tokens, trap, owner_tokens];
    let keys = [vault, vault_tokens, trap];
    let before = world(&mut env, &tokens, &keys).await;
    let enable = hostile::reenter(&enable_cpi_guard(&T22, &trap, &vault, &[]).unwrap());
    let r = env.execute(&[enable]).await;
    assert_custom(r, 0, CPI_GUARD_SETTINGS_LOCKED);
    assert_eq!(world(&mut env, &tokens, &keys).await, before);

    // The vault's account with the guard off: tokens in are free, and the owner gets them out.
    env.execute(&[hostile::steal_tokens(
        &vault,
        &vault_tokens,
        &mint,
        &trap,
        &T22,
        100 * TOKEN,
        DECIMALS,
    )])
    .await
    .unwrap();
    assert_eq!(env.session().await.unwrap().mints[0].allowance.spent, 0);
    let withdraw = ix::withdraw_token(
        &owner,
        TokenTransfer {
            from: trap,
            mint,
            to: owner_tokens,
            token_program: T22,
        },
        100 * TOKEN,
        DECIMALS,
    );
    env.send_owner(&[withdraw]).await.unwrap();
    assert_eq!(env.balance(&owner_tokens).await, 100 * TOKEN);

    // Another account-side extension a stranger may add before handing an account over:
    // Token-2022 lets `Reallocate` add `NonTransferableAccount` to an account of a transferable
    // mint, but transfers out of it still work (the mint decides), so it is no trap either.
    let trap = env.create_token_account(&mint, &t).await;
    env.send(
        &[
            spl_token_2022::instruction::reallocate(
                &T22,
                &trap,
                &t,
                &t,
                &[],
                &[ExtensionType::NonTransferableAccount],
            )
            .unwrap(),
            spl_token_2022::instruction::set_authority(
                &T22,
                &trap,
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
    env.mint_to(&mint, &vault_tokens, 10 * TOKEN).await;
    env.execute(&[hostile::steal_tokens(
        &vault,
        &vault_tokens,
        &mint,
        &trap,
        &T22,
        10 * TOKEN,
        DECIMALS,
    )])
    .await
    .unwrap();
    assert_eq!(env.session().await.unwrap().mints[0].allowance.spent, 0);
    let withdraw = ix::withdraw_token(
        &owner,
        TokenTransfer {
            from: trap,
            mint,
            to: owner_tokens,
            token_program: T22,
        },
        10 * TOKEN,
        DECIMALS,
    );
    env.send_owner(&[withdraw]).await.unwrap();
    assert_eq!(env.balance(&owner_tokens).await, 110 * TOKEN);
}
