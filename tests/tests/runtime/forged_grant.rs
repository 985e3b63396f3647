//! A forged owner signature on `create_session_from_message`: the Ed25519 precompile refuses
//! it with its exact error before the program runs. No session, no wallet (or the wallet's
//! counter as it was), the player and the session key untouched, and the sponsor charged
//! exactly the transaction's fee.
use session_keys::{
    instructions::{MessageEnvelope, MessageGrantArgs},
    policy::CapsArgs,
};
use session_keys_tests::{
    client::{
        ix,
        message::{self, LOCALNET},
        pda,
        scope::program,
    },
    *,
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::TransactionError,
};

/// `PrecompileError::InvalidSignature` (solana-precompile-error), as the runtime reports a
/// failed Ed25519 verification: a custom error of the precompile's instruction.
const PRECOMPILE_INVALID_SIGNATURE: u32 = 2;

/// One signature's fee; the Ed25519 precompile's signatures are charged the same.
const FEE: u64 = 5_000;

fn grant_args(number: u64) -> MessageGrantArgs {
    MessageGrantArgs {
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
        label: "Forgery".into(),
        domain: "game.example".into(),
        message_number: number,
        valid_until: START + 300,
        envelope: MessageEnvelope::Text,
    }
}

/// What a refused grant must leave as it was.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    session: bool,
    counter: Option<u64>,
    player: u64,
    key: u64,
    sponsor: u64,
}

async fn observe(env: &mut TestEnv, player: &Pubkey, sponsor: &Pubkey) -> Observed {
    let key = env.key.pubkey();
    Observed {
        session: env.session_of(player, &key).await.is_some(),
        counter: env.wallet_of(player).await.map(|w| w.message_counter),
        player: env.lamports(player).await,
        key: env.lamports(&key).await,
        sponsor: env.lamports(sponsor).await,
    }
}

/// The sponsor's two instructions carrying `signature` over `signed` for `player`.
fn grant_ixs(
    sponsor: &Pubkey,
    player: &Pubkey,
    key: &Pubkey,
    args: MessageGrantArgs,
    signature: &Signature,
    signed: &[u8],
) -> [Instruction; 2] {
    [
        message::ed25519_instruction(player, signature, signed),
        ix::create_session_from_message(sponsor, player, key, args),
    ]
}

#[tokio::test]
async fn a_forged_owner_signature_is_refused_by_the_precompile_and_creates_nothing() {
    let mut env = TestEnv::new().await;
    let (player, key) = (Keypair::new(), env.key.insecure_clone());
    let sponsor = env.stranger.insecure_clone();
    let p = player.pubkey();
    let args = grant_args(0);
    let signed = message::grant_message(&args, &p, &key.pubkey(), LOCALNET).unwrap();
    let good = player.sign_message(&signed);
    let mut flipped = <[u8; 64]>::from(good);
    flipped[63] ^= 0x01;
    let someone = Keypair::new();
    let mut altered = signed.clone();
    *altered.last_mut().unwrap() ^= 0x01;
    // Each: (what, signature, message bytes in the Ed25519 instruction).
    let forgeries = [
        (
            "one bit of the signature flipped",
            Signature::from(flipped),
            signed.clone(),
        ),
        (
            "signed by someone else",
            someone.sign_message(&signed),
            signed.clone(),
        ),
        ("the message changed after signing", good, altered),
    ];
    for (name, signature, bytes) in forgeries {
        let before = observe(&mut env, &p, &sponsor.pubkey()).await;
        assert_eq!(
            before,
            Observed {
                session: false,
                counter: None,
                player: 0,
                key: before.key,
                sponsor: before.sponsor,
            }
        );
        let ixs = grant_ixs(
            &sponsor.pubkey(),
            &p,
            &key.pubkey(),
            args.clone(),
            &signature,
            &bytes,
        );
        let r = env.send(&ixs, &[&sponsor, &key]).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                0,
                InstructionError::Custom(PRECOMPILE_INVALID_SIGNATURE)
            )),
            "{name}"
        );
        // The transaction landed: the sponsor paid its three signatures (two in the
        // transaction, one verified by the precompile) and nothing else.
        assert_eq!(
            observe(&mut env, &p, &sponsor.pubkey()).await,
            Observed {
                sponsor: before.sponsor - 3 * FEE,
                ..before
            },
            "{name}"
        );
    }

    // The genuine signature over the same grant is accepted: the forgeries differed in it only.
    let ixs = grant_ixs(&sponsor.pubkey(), &p, &key.pubkey(), args, &good, &signed);
    env.send(&ixs, &[&sponsor, &key]).await.unwrap();
    let after = observe(&mut env, &p, &sponsor.pubkey()).await;
    assert_eq!((after.session, after.counter), (true, Some(1)));
}

#[tokio::test]
async fn a_forged_signature_leaves_an_existing_wallets_counter_as_it_was() {
    let mut env = TestEnv::new().await;
    let (player, key) = (Keypair::new(), env.key.insecure_clone());
    let sponsor = env.stranger.insecure_clone();
    let p = player.pubkey();
    // Message 0 used for another key: the wallet exists with counter 1.
    let other = Keypair::new();
    let first = grant_args(0);
    let signed = message::grant_message(&first, &p, &other.pubkey(), LOCALNET).unwrap();
    let ixs = grant_ixs(
        &sponsor.pubkey(),
        &p,
        &other.pubkey(),
        first,
        &player.sign_message(&signed),
        &signed,
    );
    env.send(&ixs, &[&sponsor, &other]).await.unwrap();
    let wallet = env.wallet_of(&p).await.unwrap();
    assert_eq!((wallet.message_counter, wallet.nonce), (1, 0));

    // Message 1 for the default key, its signature forged.
    let args = grant_args(1);
    let signed = message::grant_message(&args, &p, &key.pubkey(), LOCALNET).unwrap();
    let mut forged = <[u8; 64]>::from(player.sign_message(&signed));
    forged[0] ^= 0x80;
    let before = observe(&mut env, &p, &sponsor.pubkey()).await;
    let wallet_lamports = env.lamports(&pda::wallet(&p).0).await;
    let ixs = grant_ixs(
        &sponsor.pubkey(),
        &p,
        &key.pubkey(),
        args,
        &Signature::from(forged),
        &signed,
    );
    let r = env.send(&ixs, &[&sponsor, &key]).await;
    assert_eq!(
        r,
        Err(TransactionError::InstructionError(
            0,
            InstructionError::Custom(PRECOMPILE_INVALID_SIGNATURE)
        ))
    );
    assert_eq!(
        observe(&mut env, &p, &sponsor.pubkey()).await,
        Observed {
            sponsor: before.sponsor - 3 * FEE,
            ..before
        }
    );
    assert_eq!(before.counter, Some(1));
    assert_eq!(env.wallet_of(&p).await.unwrap(), wallet);
    assert_eq!(env.lamports(&pda::wallet(&p).0).await, wallet_lamports);
}
