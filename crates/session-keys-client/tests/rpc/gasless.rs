//! The gasless grant over JSON-RPC: an owner with no SOL signs a message, a sponsor sends it
//! with `SessionClient::grant_by_message`, the session key plays; a replay is refused by name.
use super::SOL;
use localnet::Localnet;
use session_keys_client::{
    ix,
    message::{grant_message, LOCALNET},
    pda,
    rpc::SessionClient,
    scope::{caps, program},
    MessageEnvelope, MessageGrantArgs, SessionError,
};
use session_keys_tests::targets::game;
use solana_sdk::{signature::Keypair, signer::Signer};

#[tokio::test]
async fn a_sponsor_grants_by_message_over_rpc_and_a_replay_is_refused() {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    let sponsor = Keypair::new();
    let sig = client
        .rpc()
        .request_airdrop(&sponsor.pubkey(), 2 * SOL)
        .await
        .unwrap();
    client.rpc().poll_for_signature(&sig).await.unwrap();
    let (owner, key) = (Keypair::new(), Keypair::new());
    let (o, k) = (owner.pubkey(), key.pubkey());

    // The owner has no account at all; their next message number is 0.
    assert_eq!(client.rpc().get_balance(&o).await.unwrap(), 0);
    let number = client.next_message_number(&o).await.unwrap();
    assert_eq!(number, 0);
    let now = client.now().await.unwrap();
    let args = MessageGrantArgs {
        expires_at: now + 3600,
        max_uses: Some(10),
        sol: Some(caps(SOL / 100)),
        mints: vec![],
        destinations: vec![],
        programs: vec![program(example_game::ID)],
        label: "rpc".into(),
        domain: "game.example".into(),
        message_number: number,
        valid_until: now + 300,
        envelope: MessageEnvelope::Offchain,
    };
    let message = grant_message(&args, &o, &k, LOCALNET).unwrap();
    let signature = owner.sign_message(&message);

    let before = client.rpc().get_balance(&sponsor.pubkey()).await.unwrap();
    client
        .grant_by_message(&sponsor, &key, &o, args.clone(), &signature, LOCALNET)
        .await
        .unwrap();
    let session = client.session(&o, &k).await.unwrap().unwrap();
    assert_eq!((session.payer, session.max_uses), (sponsor.pubkey(), 10));
    assert_eq!(client.next_message_number(&o).await.unwrap(), 1);
    let session_rent = client
        .rpc()
        .get_balance(&pda::session(&o, &k).0)
        .await
        .unwrap();
    let wallet_rent = client.rpc().get_balance(&pda::wallet(&o).0).await.unwrap();
    assert_eq!(
        before - client.rpc().get_balance(&sponsor.pubkey()).await.unwrap(),
        session_rent + wallet_rent + 15_000
    );

    // The key plays, the sponsor paying the fee and the game account's rent (into the vault).
    let vault = pda::vault(&o).0;
    client
        .send(
            &[solana_system_interface::instruction::transfer(
                &sponsor.pubkey(),
                &vault,
                SOL / 100,
            )],
            &[&sponsor],
        )
        .await
        .unwrap();
    client
        .send(
            &[ix::execute(
                &k,
                &o,
                &[game::create_player(&vault), game::move_player(&vault, 1, 2)],
            )],
            &[&sponsor, &key],
        )
        .await
        .unwrap();
    assert!(client
        .rpc()
        .get_account(&game::player(&vault))
        .await
        .is_ok());
    assert_eq!(client.rpc().get_balance(&o).await.unwrap(), 0);

    // The session ends; the same signed message again is refused by name, before landing.
    client
        .send(
            &[ix::revoke_session(&k, &o, &k, &sponsor.pubkey())],
            &[&sponsor, &key],
        )
        .await
        .unwrap();
    let err = client
        .grant_by_message(&sponsor, &key, &o, args, &signature, LOCALNET)
        .await
        .unwrap_err();
    assert_eq!(
        err.session_error(),
        Some(SessionError::MessageNumberMismatch)
    );
    assert!(client.session(&o, &k).await.unwrap().is_none());
}
