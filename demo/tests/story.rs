//! The demo is part of the test suite: it fails if any step does not behave as narrated.
#[tokio::test]
async fn demo_story_runs_as_narrated() {
    demo::run().await.unwrap();
}

/// The README shows part three's message byte for byte: the text (the `Text` envelope's bytes
/// exactly, lines joined by a single `\n`) and the off-chain envelope's 85-byte preamble.
#[test]
fn readme_shows_the_gasless_message_byte_for_byte() {
    use session_keys::instructions::MessageEnvelope;
    use session_keys_harness::client::message::{grant_message, grant_text, LOCALNET};
    use solana_sdk::signer::Signer;
    let readme = include_str!("../../README.md");
    let (bob, key) = demo::gasless_keys();
    let mut args = demo::gasless_grant();
    let text = grant_text(&args, &bob.pubkey(), &key.pubkey(), LOCALNET).unwrap();
    assert!(
        readme.contains(&format!("```text\n{text}\n```")),
        "README lacks the message:\n{text}"
    );
    assert!(readme.contains(&format!("{} bytes", text.len())));
    args.envelope = MessageEnvelope::Offchain;
    let offchain = grant_message(&args, &bob.pubkey(), &key.pubkey(), LOCALNET).unwrap();
    assert_eq!(&offchain[85..], text.as_bytes());
    let hex = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Signing domain, version, application domain (the program id), format, signer count, the
    // signer, the body length: each field on its own line of the README.
    for (at, len) in [(0, 16), (17, 32), (51, 32), (83, 2)] {
        let field = hex(&offchain[at..at + len]);
        assert!(readme.contains(&field), "README lacks {field}");
    }
    assert_eq!(hex(&offchain[16..17]), "00");
    assert_eq!(hex(&offchain[49..51]), "01 01");
}
