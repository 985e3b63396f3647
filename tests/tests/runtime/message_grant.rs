//! `create_session_from_message`: a session from the owner's signed message, paid by a sponsor,
//! with no owner signature in the transaction. The happy paths (both envelopes, a player with
//! no SOL who then plays), and every attack of issue 12, each with its exact error and proof
//! that nothing was created or moved.
use session_keys::{
    errors::SessionError,
    instructions::{MessageEnvelope, MessageGrantArgs},
    policy::{CapsArgs, MessageContext},
};
use session_keys_tests::{
    client::{
        decode::SessionEvent,
        ix,
        message::{self, LOCALNET},
        pda,
        scope::{caps, program},
    },
    targets::game,
    *,
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::TransactionError,
};

/// Valid-until of the test messages: five minutes after [`START`].
const DEADLINE: i64 = START + 300;

/// The demo's grant: the example game, any instruction, 0.01 SOL for its accounts' rent.
fn game_args(number: u64, envelope: MessageEnvelope) -> MessageGrantArgs {
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
        valid_until: DEADLINE,
        envelope,
    }
}

/// The bytes `owner` signs for `key`.
fn message_for(args: &MessageGrantArgs, owner: &Pubkey, key: &Pubkey) -> Vec<u8> {
    message::grant_message(args, owner, key, LOCALNET).unwrap()
}

/// A bank with a sponsor (the default stranger, 10 SOL), a session key (the default key) and a
/// player who has never held SOL.
struct Sponsored {
    env: TestEnv,
    player: Keypair,
    sponsor: Keypair,
}

impl Sponsored {
    async fn new() -> Self {
        let env = TestEnv::new().await;
        let sponsor = env.stranger.insecure_clone();
        Self {
            env,
            player: Keypair::new(),
            sponsor,
        }
    }

    fn player(&self) -> Pubkey {
        self.player.pubkey()
    }

    fn key(&self) -> Pubkey {
        self.env.key.pubkey()
    }

    /// The player signs `args` for the default session key.
    fn sign(&self, args: &MessageGrantArgs) -> (Vec<u8>, Signature) {
        let m = message_for(args, &self.player(), &self.key());
        let sig = self.player.sign_message(&m);
        (m, sig)
    }

    /// The sponsor's two instructions for `args`, signed by the player.
    fn grant_ixs(&self, args: &MessageGrantArgs) -> Vec<Instruction> {
        let (_, sig) = self.sign(args);
        message::sponsored_grant(
            &self.sponsor.pubkey(),
            &self.player(),
            &self.key(),
            args.clone(),
            &sig,
            LOCALNET,
        )
        .unwrap()
        .to_vec()
    }

    /// Sends `ixs` paid by the sponsor and co-signed by the session key.
    async fn send(&mut self, ixs: &[Instruction]) -> Result<(), TransactionError> {
        let (sponsor, key) = (self.sponsor.insecure_clone(), self.env.key.insecure_clone());
        self.env.send(ixs, &[&sponsor, &key]).await
    }

    /// Sends `ixs` paid and signed by the sponsor alone.
    async fn send_sponsor(&mut self, ixs: &[Instruction]) -> Result<(), TransactionError> {
        let sponsor = self.sponsor.insecure_clone();
        self.env.send(ixs, &[&sponsor]).await
    }

    async fn grant(&mut self, args: &MessageGrantArgs) -> Result<(), TransactionError> {
        let ixs = self.grant_ixs(args);
        self.send(&ixs).await
    }

    async fn counter(&mut self) -> Option<u64> {
        let player = self.player();
        self.env.wallet_of(&player).await.map(|w| w.message_counter)
    }

    /// Nothing was created for the player: no session, the wallet's counter as it was, the
    /// player still without an account (no lamports), the session key's lamports unchanged.
    async fn assert_nothing_created(&mut self, counter: Option<u64>, key_lamports: u64) {
        let (player, key) = (self.player(), self.key());
        assert!(
            self.env.session_of(&player, &key).await.is_none(),
            "no session"
        );
        assert_eq!(self.counter().await, counter, "wallet counter unchanged");
        assert_eq!(
            self.env.lamports(&player).await,
            0,
            "the player holds nothing"
        );
        assert_eq!(self.env.lamports(&key).await, key_lamports, "key unchanged");
    }
}

/// Asserts that a sponsored grant failed in `create_session_from_message` (instruction 1,
/// after the Ed25519 instruction) with `e`.
#[track_caller]
fn assert_grant_error(r: Result<(), TransactionError>, e: SessionError) {
    assert_custom(r, 1, code(e));
}

#[tokio::test]
async fn player_without_sol_signs_a_message_the_sponsor_pays_and_the_key_plays() {
    let mut s = Sponsored::new().await;
    let (player, key, sponsor) = (s.player(), s.key(), s.sponsor.pubkey());
    let sponsor_before = s.env.lamports(&sponsor).await;
    let key_before = s.env.lamports(&key).await;
    let args = game_args(0, MessageEnvelope::Text);
    let ixs = s.grant_ixs(&args);
    let (sponsor_kp, key_kp) = (s.sponsor.insecure_clone(), s.env.key.insecure_clone());
    let (r, logs) = s.env.send_with_logs(&ixs, &[&sponsor_kp, &key_kp]).await;
    r.unwrap();

    // The session is the grant, paid by the sponsor; the wallet exists with counter 1.
    let session = s.env.session_of(&player, &key).await.unwrap();
    assert_eq!(
        (session.owner, session.session_key, session.payer),
        (player, key, sponsor)
    );
    assert_eq!(
        (session.expires_at, session.max_uses, session.uses),
        (START + 3600, 100, 0)
    );
    assert_eq!(session.sol.unwrap().lifetime_cap, SOL / 100);
    assert_eq!(session.programs, args.programs);
    assert_eq!(session.label, "Demo");
    let wallet = s.env.wallet_of(&player).await.unwrap();
    assert_eq!(
        (wallet.owner, wallet.nonce, wallet.message_counter),
        (player, 0, 1)
    );
    assert_eq!(wallet.vault_bump, pda::vault(&player).1);

    // The sponsor paid exactly two rents and three signatures (the transaction's two and the
    // Ed25519 precompile's one, which is charged like a transaction signature); the player
    // and the key paid nothing.
    let session_rent = s.env.lamports(&pda::session(&player, &key).0).await;
    let wallet_rent = s.env.lamports(&pda::wallet(&player).0).await;
    assert_eq!(
        sponsor_before - s.env.lamports(&sponsor).await,
        session_rent + wallet_rent + 3 * 5_000
    );
    assert_eq!(s.env.lamports(&player).await, 0);
    assert_eq!(s.env.lamports(&key).await, key_before);

    // Events: the whole grant, then the message's use.
    let events = TestEnv::events(&logs);
    let [SessionEvent::SessionCreated(created), SessionEvent::MessageGrantUsed(used)] = &events[..]
    else {
        panic!("events: {events:?}")
    };
    assert_eq!((created.payer, created.top_up_lamports), (sponsor, 0));
    assert_eq!(
        (used.owner, used.sponsor, used.message_number),
        (player, sponsor, 0)
    );

    // The player plays: the sponsor puts rent for the game account in the vault (anyone can)
    // and pays the fees; the session key creates the player and moves it.
    let vault = pda::vault(&player).0;
    let fund = solana_system_interface::instruction::transfer(&sponsor, &vault, SOL / 100);
    s.send_sponsor(&[fund]).await.unwrap();
    let play = ix::execute(
        &key,
        &player,
        &[
            game::create_player(&vault),
            game::move_player(&vault, 2, -1),
        ],
    );
    s.send(&[play]).await.unwrap();
    let account = s.env.account(&game::player(&vault)).await.unwrap();
    let p = <example_game::Player as anchor_lang::AccountDeserialize>::try_deserialize(
        &mut &account.data[..],
    )
    .unwrap();
    assert_eq!((p.x, p.y), (2, -1));
    assert_eq!(
        s.env.lamports(&player).await,
        0,
        "still no SOL of their own"
    );
    let session = s.env.session_of(&player, &key).await.unwrap();
    assert_eq!(session.uses, 1);
    assert_eq!(session.sol.unwrap().spent, account.lamports);

    // Revoking (the key may revoke its own session) returns the rent to the sponsor.
    let before = s.env.lamports(&sponsor).await;
    s.send(&[ix::revoke_session(&key, &player, &key, &sponsor)])
        .await
        .unwrap();
    assert_eq!(
        s.env.lamports(&sponsor).await,
        before + session_rent - 2 * 5_000
    );
}

#[tokio::test]
async fn offchain_envelope_is_accepted() {
    let mut s = Sponsored::new().await;
    let args = game_args(0, MessageEnvelope::Offchain);
    let (m, _) = s.sign(&args);
    assert_eq!(&m[..16], b"\xffsolana offchain");
    s.grant(&args).await.unwrap();
    let (player, key) = (s.player(), s.key());
    assert!(s.env.session_of(&player, &key).await.is_some());
    assert_eq!(s.counter().await, Some(1));
}

#[tokio::test]
async fn a_used_message_never_creates_a_second_session() {
    let mut s = Sponsored::new().await;
    let (player, key, sponsor) = (s.player(), s.key(), s.sponsor.pubkey());
    let args = game_args(0, MessageEnvelope::Text);
    let ixs = s.grant_ixs(&args);
    s.send(&ixs).await.unwrap();

    // Replayed while the session lives: Anchor's `init` finds the session account already
    // there and the System Program refuses to allocate it again (the native harness surfaces
    // that as `InvalidInstructionData`, SBF as `AccountAlreadyInUse`; see create_session.rs).
    let before = s.env.session_of(&player, &key).await.unwrap();
    let r = s.send(&ixs).await;
    assert_eq!(
        r,
        Err(TransactionError::InstructionError(
            1,
            InstructionError::InvalidInstructionData
        ))
    );
    assert_eq!(s.env.session_of(&player, &key).await.unwrap(), before);
    assert_eq!(s.counter().await, Some(1));

    // Revoked (closed), then replayed: the number was used.
    s.send(&[ix::revoke_session(&key, &player, &key, &sponsor)])
        .await
        .unwrap();
    let key_lamports = s.env.lamports(&key).await;
    let r = s.send(&ixs).await;
    assert_grant_error(r, SessionError::MessageNumberMismatch);
    s.assert_nothing_created(Some(1), key_lamports).await;

    // The next number works, once.
    s.grant(&game_args(1, MessageEnvelope::Text)).await.unwrap();
    assert_eq!(s.counter().await, Some(2));
}

#[tokio::test]
async fn a_message_is_dead_after_its_session_is_closed() {
    let mut s = Sponsored::new().await;
    let (player, key, sponsor) = (s.player(), s.key(), s.sponsor.pubkey());
    let mut args = game_args(0, MessageEnvelope::Text);
    args.max_uses = Some(1);
    let ixs = s.grant_ixs(&args);
    s.send(&ixs).await.unwrap();
    // Use it up (a call that moves nothing), then anyone closes it: rent back to the sponsor.
    let vault = pda::vault(&player).0;
    let fund = solana_system_interface::instruction::transfer(&sponsor, &vault, SOL / 100);
    s.send_sponsor(&[fund]).await.unwrap();
    s.send(&[ix::execute(&key, &player, &[game::create_player(&vault)])])
        .await
        .unwrap();
    let sponsor_kp = s.sponsor.insecure_clone();
    s.env
        .send(
            &[ix::close_session(&player, &key, &sponsor)],
            &[&sponsor_kp],
        )
        .await
        .unwrap();
    assert!(s.env.session_of(&player, &key).await.is_none());

    let key_lamports = s.env.lamports(&key).await;
    let r = s.send(&ixs).await;
    assert_grant_error(r, SessionError::MessageNumberMismatch);
    s.assert_nothing_created(Some(1), key_lamports).await;
}

#[tokio::test]
async fn revoke_all_kills_sessions_and_signed_unused_messages() {
    let mut s = Sponsored::new().await;
    let (player, key, sponsor) = (s.player(), s.key(), s.sponsor.pubkey());
    s.grant(&game_args(0, MessageEnvelope::Text)).await.unwrap();
    // Signed in advance, unused: message 1 (the counter now), 2 and 3 (the next numbers, as a
    // phishing page would ask for), each for its own key.
    let signed_ahead: Vec<(Keypair, Vec<Instruction>)> = [1, 2, 3]
        .into_iter()
        .map(|number| {
            let k = Keypair::new();
            let args = game_args(number, MessageEnvelope::Text);
            let m = message_for(&args, &player, &k.pubkey());
            let sig = s.player.sign_message(&m);
            let ixs =
                message::sponsored_grant(&sponsor, &player, &k.pubkey(), args, &sig, LOCALNET)
                    .unwrap();
            (k, ixs.to_vec())
        })
        .collect();

    // The owner revokes everything (the sponsor pays the fee; the owner signs).
    let (sponsor_kp, player_kp) = (s.sponsor.insecure_clone(), s.player.insecure_clone());
    let clock = s.env.clock().await;
    s.env
        .send(
            &[ix::revoke_all_sessions(&player, &[])],
            &[&sponsor_kp, &player_kp],
        )
        .await
        .unwrap();
    let wallet = s.env.wallet_of(&player).await.unwrap();
    // The counter is not 2: it is a hash of the owner, the old counter and the revocation's
    // slot and time, which no message signed before can carry.
    let expected = session_keys::state::Wallet::message_counter_after_revoke(
        &player,
        1,
        clock.slot,
        clock.unix_timestamp,
    );
    assert_eq!((wallet.nonce, wallet.message_counter), (1, expected));
    assert!(expected > 3);
    // The first session is dead...
    let session = s.env.session_of(&player, &key).await.unwrap();
    assert_eq!(
        session.check_live(START, wallet.nonce),
        Err(SessionError::SessionRevoked)
    );
    // ...and no message signed in advance creates anything, whatever its number.
    for (k, ixs) in &signed_ahead {
        let r = s.env.send(ixs, &[&sponsor_kp, k]).await;
        assert_grant_error(r, SessionError::MessageNumberMismatch);
        assert!(s.env.session_of(&player, &k.pubkey()).await.is_none());
        assert_eq!(s.counter().await, Some(expected));
    }
    // A message signed now, with the new counter, works.
    s.send(&[ix::revoke_session(&key, &player, &key, &sponsor)])
        .await
        .unwrap();
    s.grant(&game_args(expected, MessageEnvelope::Text))
        .await
        .unwrap();
    assert_eq!(s.counter().await, Some(expected + 1));
}

/// Sends the sponsor's instructions for `signed` (what the player signed: built with `cx`)
/// while the instruction carries `args`.
async fn send_signed_bytes(
    s: &mut Sponsored,
    signer: &Keypair,
    signed: &[u8],
    args: MessageGrantArgs,
) -> Result<(), TransactionError> {
    let ixs = [
        message::ed25519_instruction(&signer.pubkey(), &signer.sign_message(signed), signed),
        ix::create_session_from_message(&s.sponsor.pubkey(), &s.player(), &s.key(), args),
    ];
    s.send(&ixs).await
}

#[tokio::test]
async fn a_message_for_another_program_cluster_key_or_owner_is_refused() {
    let mut s = Sponsored::new().await;
    let (player, key) = (s.player(), s.key());
    let key_lamports = s.env.lamports(&key).await;
    let args = game_args(0, MessageEnvelope::Offchain);
    let other_program = Pubkey::new_unique();
    let other_key = Pubkey::new_unique();
    let other_owner = Pubkey::new_unique();
    let build = |program_id: &Pubkey, cluster: &str, owner: &Pubkey, session_key: &Pubkey| {
        session_keys::policy::message::signed_message(
            &args,
            &MessageContext {
                program_id,
                cluster,
                owner,
                session_key,
            },
        )
        .unwrap()
    };
    let cases = [
        (
            "another program",
            build(&other_program, LOCALNET, &player, &key),
        ),
        (
            "another cluster",
            build(&session_keys::ID, "mainnet-beta", &player, &key),
        ),
        (
            "another session key",
            build(&session_keys::ID, LOCALNET, &player, &other_key),
        ),
        (
            "another owner in the envelope",
            build(&session_keys::ID, LOCALNET, &other_owner, &key),
        ),
    ];
    for (name, signed) in cases {
        let player_kp = s.player.insecure_clone();
        let r = send_signed_bytes(&mut s, &player_kp, &signed, args.clone()).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(code(SessionError::MessageMismatch))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }

    // Signed by another owner (a valid signature, but not the owner's), or by the session key.
    let good = message_for(&args, &player, &key);
    let someone = Keypair::new();
    let session_key = s.env.key.insecure_clone();
    for (name, signer) in [
        ("another owner", &someone),
        ("the session key", &session_key),
    ] {
        let r = send_signed_bytes(&mut s, signer, &good, args.clone()).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(code(SessionError::MessageSignerNotOwner))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }
}

#[tokio::test]
async fn any_change_to_the_grant_after_signing_is_refused() {
    let mut s = Sponsored::new().await;
    let key_lamports = s.env.lamports(&s.key()).await;
    let mut signed_args = game_args(0, MessageEnvelope::Text);
    signed_args.mints = vec![session_keys::instructions::MintCapsArgs {
        mint: s.env.mint,
        caps: caps(10 * TOKEN),
    }];
    type Change = fn(&mut MessageGrantArgs);
    let changes: [(&str, Change); 18] = [
        ("expiry", |a| a.expires_at += 1),
        ("uses", |a| a.max_uses = None),
        ("SOL lifetime", |a| a.sol.as_mut().unwrap().lifetime += 1),
        ("SOL per instruction", |a| {
            a.sol.as_mut().unwrap().per_instruction = Some(1)
        }),
        ("SOL window", |a| {
            a.sol.as_mut().unwrap().window = Some(session_keys::policy::WindowArgs {
                seconds: 60,
                cap: SOL / 1000,
            })
        }),
        ("SOL removed", |a| a.sol = None),
        ("mint per instruction", |a| {
            a.mints[0].caps.per_instruction = Some(TOKEN)
        }),
        ("mint window", |a| {
            a.mints[0].caps.window = Some(session_keys::policy::WindowArgs {
                seconds: 60,
                cap: TOKEN,
            })
        }),
        ("mint", |a| a.mints[0].mint = Pubkey::new_unique()),
        ("mint cap", |a| a.mints[0].caps.lifetime *= 2),
        ("program", |a| {
            a.programs[0].program_id = Pubkey::new_unique()
        }),
        ("co-signing", |a| a.programs[0].pass_session_signer = true),
        ("label", |a| a.label = "Demp".into()),
        ("label removed", |a| a.label = String::new()),
        ("domain", |a| a.domain = "game.exampl".into()),
        ("number", |a| a.message_number = 1),
        ("deadline", |a| a.valid_until += 1),
        ("envelope", |a| a.envelope = MessageEnvelope::Offchain),
    ];
    let signed = message_for(&signed_args, &s.player(), &s.key());
    for (name, change) in changes {
        let mut sent = signed_args.clone();
        change(&mut sent);
        let player_kp = s.player.insecure_clone();
        let r = send_signed_bytes(&mut s, &player_kp, &signed, sent).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(code(SessionError::MessageMismatch))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }
    // An instruction rule changed: the rules hash line differs.
    let mut ruled = signed_args.clone();
    ruled.programs = vec![game::session_scope(100)];
    let signed = message_for(&ruled, &s.player(), &s.key());
    let mut sent = ruled.clone();
    sent.programs = vec![game::session_scope(101)];
    let player_kp = s.player.insecure_clone();
    let r = send_signed_bytes(&mut s, &player_kp, &signed, sent).await;
    assert_grant_error(r, SessionError::MessageMismatch);
    s.assert_nothing_created(None, key_lamports).await;
    // And the unchanged grant is accepted.
    s.grant(&signed_args).await.unwrap();
}

#[tokio::test]
async fn a_message_past_its_deadline_is_refused() {
    let mut s = Sponsored::new().await;
    let key_lamports = s.env.lamports(&s.key()).await;
    let ixs = s.grant_ixs(&game_args(0, MessageEnvelope::Text));
    s.env.set_time(DEADLINE).await;
    let r = s.send(&ixs).await;
    assert_grant_error(r, SessionError::MessageExpired);
    s.assert_nothing_created(None, key_lamports).await;
    // One second earlier it would have worked.
    s.env.set_time(DEADLINE - 1).await;
    s.send(&ixs).await.unwrap();
}

/// Ed25519 instruction data with the given header fields, then `tail`.
fn ed25519_data(signatures: u8, offsets: &[[u16; 7]], tail: &[u8]) -> Vec<u8> {
    let mut d = vec![signatures, 0];
    for o in offsets {
        for v in o {
            d.extend_from_slice(&v.to_le_bytes());
        }
    }
    d.extend_from_slice(tail);
    d
}

fn ed25519_ix(data: Vec<u8>) -> Instruction {
    Instruction {
        program_id: session_keys::instructions::ED25519_PROGRAM_ID,
        accounts: vec![],
        data,
    }
}

#[tokio::test]
async fn malformed_ed25519_instructions_are_refused() {
    let mut s = Sponsored::new().await;
    let (player, key) = (s.player(), s.key());
    let key_lamports = s.env.lamports(&key).await;
    let args = game_args(0, MessageEnvelope::Text);
    let (m, sig) = s.sign(&args);
    let ours = ix::create_session_from_message(&s.sponsor.pubkey(), &player, &key, args.clone());
    let len = m.len() as u16;
    const THIS: u16 = u16::MAX;
    let tail = [player.as_ref(), sig.as_ref(), &m[..]].concat();

    // Two signatures, both valid (the same one twice): the precompile passes, the program
    // refuses.
    let two = ed25519_data(
        2,
        &[[48 + 14, THIS, 16 + 14, THIS, 112 + 14, len, THIS]; 2],
        &tail,
    );
    // Offsets that name the Ed25519 instruction by its index (0) instead of "this one".
    let explicit = ed25519_data(1, &[[48, 0, 16, 0, 112, len, 0]], &tail);
    // The message read from our own instruction's data (index 1), which the player signed.
    let ours_sig = s.player.sign_message(&ours.data);
    let elsewhere = ed25519_data(
        1,
        &[[48, THIS, 16, THIS, 0, ours.data.len() as u16, 1]],
        &[player.as_ref(), ours_sig.as_ref()].concat(),
    );
    // The public key read from another place in the instruction (after the message), with a
    // decoy where the standard layout has it.
    let moved_key = ed25519_data(
        1,
        &[[48, THIS, 112 + len, THIS, 112, len, THIS]],
        &[&[9u8; 32][..], sig.as_ref(), &m[..], player.as_ref()].concat(),
    );
    for (name, data) in [
        ("two signatures", two),
        ("explicit instruction index", explicit),
        ("message from another instruction", elsewhere),
        ("public key from elsewhere", moved_key),
    ] {
        let r = s.send(&[ed25519_ix(data), ours.clone()]).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(code(SessionError::MessageEd25519Malformed))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }

    // A forged signature never reaches the program: the precompile fails the transaction.
    let mut forged = sig.as_ref().to_vec();
    forged[0] ^= 1;
    let bad = message::ed25519_instruction(&player, &Signature::try_from(&forged[..]).unwrap(), &m);
    let r = s.send(&[bad, ours.clone()]).await;
    assert!(
        matches!(r, Err(TransactionError::InstructionError(0, _))),
        "{r:?}"
    );
    s.assert_nothing_created(None, key_lamports).await;
}

#[tokio::test]
async fn the_ed25519_instruction_must_be_the_one_right_before() {
    let mut s = Sponsored::new().await;
    let (player, key) = (s.player(), s.key());
    let key_lamports = s.env.lamports(&key).await;
    let [ed, ours] = s
        .grant_ixs(&game_args(0, MessageEnvelope::Text))
        .try_into()
        .unwrap();
    let noop = solana_system_interface::instruction::transfer(&s.sponsor.pubkey(), &key, 0);
    let cases: [(&str, Vec<Instruction>, u8, SessionError); 5] = [
        (
            "missing",
            vec![ours.clone()],
            0,
            SessionError::MessageEd25519Missing,
        ),
        (
            "after ours",
            vec![ours.clone(), ed.clone()],
            0,
            SessionError::MessageEd25519Missing,
        ),
        (
            "not right before",
            vec![ed.clone(), noop.clone(), ours.clone()],
            2,
            SessionError::MessageEd25519Missing,
        ),
        (
            "duplicated",
            vec![ed.clone(), ed.clone(), ours.clone()],
            2,
            SessionError::MessageEd25519NotUnique,
        ),
        (
            "another one after ours",
            vec![ed.clone(), ours.clone(), ed.clone()],
            1,
            SessionError::MessageEd25519NotUnique,
        ),
    ];
    for (name, ixs, index, e) in cases {
        let r = s.send(&ixs).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                index,
                InstructionError::Custom(code(e))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }
    assert!(s.env.session_of(&player, &key).await.is_none());
}

#[tokio::test]
async fn the_sponsor_cannot_be_the_session_key() {
    let mut s = Sponsored::new().await;
    let (player, key) = (s.player(), s.key());
    let key_lamports = s.env.lamports(&key).await;
    let args = game_args(0, MessageEnvelope::Text);
    let (m, sig) = s.sign(&args);
    let ixs = [
        message::ed25519_instruction(&player, &sig, &m),
        ix::create_session_from_message(&key, &player, &key, args),
    ];
    let key_kp = s.env.key.insecure_clone();
    let r = s.env.send(&ixs, &[&key_kp]).await;
    assert_grant_error(r, SessionError::SponsorIsSessionKey);
    // The key paid the fee of the failed transaction (its signature and the Ed25519 one).
    s.assert_nothing_created(None, key_lamports - 2 * 5_000)
        .await;
}

#[tokio::test]
async fn the_message_text_and_the_grant_rules_are_checked() {
    let mut s = Sponsored::new().await;
    let key_lamports = s.env.lamports(&s.key()).await;
    let player = s.player();
    type Case = (&'static str, fn(&mut MessageGrantArgs), SessionError);
    let cases: [Case; 6] = [
        (
            "a line break in the domain",
            |a| a.domain = "game.example\nSOL: 0".into(),
            SessionError::InvalidDomain,
        ),
        (
            "a space in the domain",
            |a| a.domain = "game example".into(),
            SessionError::InvalidDomain,
        ),
        (
            "an empty domain",
            |a| a.domain = String::new(),
            SessionError::InvalidDomain,
        ),
        (
            "a line break in the label",
            |a| a.label = "Demo\nSOL: 0".into(),
            SessionError::LabelNotPrintable,
        ),
        (
            "an empty scope",
            |a| {
                a.sol = None;
                a.programs.clear();
            },
            SessionError::EmptyScope,
        ),
        (
            "expiry in the past",
            |a| a.expires_at = START - 1,
            SessionError::ExpiryInPast,
        ),
    ];
    for (name, change, e) in cases {
        let mut args = game_args(0, MessageEnvelope::Text);
        change(&mut args);
        // Signed as sent (built by hand: the client's builder refuses bad text first).
        let signed = session_keys::policy::message::signed_message(
            &args,
            &MessageContext {
                program_id: &session_keys::ID,
                cluster: LOCALNET,
                owner: &player,
                session_key: &s.key(),
            },
        )
        .unwrap();
        let player_kp = s.player.insecure_clone();
        let r = send_signed_bytes(&mut s, &player_kp, &signed, args).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(code(e))
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }
    // The client's builder refuses the same text before anything is signed.
    let mut args = game_args(0, MessageEnvelope::Text);
    args.domain = "game example".into();
    assert_eq!(
        message::grant_message(&args, &player, &s.key(), LOCALNET),
        Err(SessionError::InvalidDomain)
    );
}

#[tokio::test]
async fn substituted_accounts_are_refused() {
    use anchor_lang::error::ErrorCode as Anchor;
    let mut s = Sponsored::new().await;
    let key_lamports = s.env.lamports(&s.key()).await;
    let [ed, ours] = s
        .grant_ixs(&game_args(0, MessageEnvelope::Text))
        .try_into()
        .unwrap();
    let other = s.env.owner.pubkey();
    // Accounts: sponsor, session key, owner, session, wallet, instructions, system program.
    let cases: [(&str, usize, Pubkey, u32); 5] = [
        (
            "another owner's session",
            3,
            pda::session(&other, &s.key()).0,
            Anchor::ConstraintSeeds as u32,
        ),
        (
            "another owner's wallet",
            4,
            pda::wallet(&other).0,
            Anchor::ConstraintSeeds as u32,
        ),
        (
            "a fake instructions sysvar",
            5,
            Pubkey::new_unique(),
            Anchor::ConstraintAddress as u32,
        ),
        (
            "the clock instead of the instructions sysvar",
            5,
            solana_sdk::sysvar::clock::ID,
            Anchor::ConstraintAddress as u32,
        ),
        (
            "another system program",
            6,
            example_game::ID,
            Anchor::InvalidProgramId as u32,
        ),
    ];
    for (name, index, key, error) in cases {
        let mut bad = ours.clone();
        bad.accounts[index].pubkey = key;
        let r = s.send(&[ed.clone(), bad]).await;
        assert_eq!(
            r,
            Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(error)
            )),
            "{name}"
        );
        s.assert_nothing_created(None, key_lamports).await;
    }
}

/// Another program may call `create_session_from_message` through CPI (here the hostile target
/// forwards it). "Right before" is by top-level index, so the Ed25519 instruction sits right
/// before the caller's instruction; the caller gains nothing: the owner's, the sponsor's and
/// the session key's signatures are still needed, and the session is exactly the one the
/// message shows. Changing the forwarded arguments is refused as in a direct call.
#[tokio::test]
async fn a_call_through_another_program_creates_exactly_the_signed_session() {
    use session_keys_tests::targets::hostile;
    let mut s = Sponsored::new().await;
    let (player, key, sponsor) = (s.player(), s.key(), s.sponsor.pubkey());
    let key_lamports = s.env.lamports(&key).await;
    let args = game_args(0, MessageEnvelope::Text);
    let [ed, ours] = s.grant_ixs(&args).try_into().unwrap();

    // Forwarded arguments changed by the caller: refused (inside the CPI, instruction 1).
    let mut changed = args.clone();
    changed.max_uses = None;
    let tampered = ix::create_session_from_message(&sponsor, &player, &key, changed);
    let r = s.send(&[ed.clone(), hostile::reenter(&tampered)]).await;
    assert_grant_error(r, SessionError::MessageMismatch);
    s.assert_nothing_created(None, key_lamports).await;

    // Forwarded unchanged: the same session as a direct call, paid by the sponsor.
    s.send(&[ed, hostile::reenter(&ours)]).await.unwrap();
    let session = s.env.session_of(&player, &key).await.unwrap();
    assert_eq!(
        (
            session.owner,
            session.payer,
            session.max_uses,
            session.programs.clone()
        ),
        (player, sponsor, 100, args.programs.clone())
    );
    assert_eq!(s.counter().await, Some(1));
}
