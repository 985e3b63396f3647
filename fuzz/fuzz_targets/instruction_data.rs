//! Arbitrary instruction data through the program's own decoders and argument checks: nothing
//! may panic, and whatever `CreateSessionArgs::check` accepts must be creatable (every
//! allowance builds, the account fits a single allocation).
#![no_main]
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};
use libfuzzer_sys::fuzz_target;
use session_keys::{
    instruction as ix,
    policy::{message, Allowance, MessageContext},
};

const NOW: i64 = 1_800_000_000;

fn decode<T: AnchorDeserialize + Discriminator>(data: &[u8]) -> Option<T> {
    let rest = data.strip_prefix(T::DISCRIMINATOR)?;
    T::deserialize(&mut &rest[..]).ok()
}

fuzz_target!(|data: &[u8]| {
    // Every instruction's arguments, as the dispatcher would decode them.
    if let Some(create) = decode::<ix::CreateSession>(data) {
        let args = create.args;
        let space = args.space();
        if args.check(NOW).is_ok() {
            let max = usize::from(session_keys::constants::MAX_SESSION_SPACE);
            assert!(space <= max, "accepted scope of {space} bytes");
            if let Some(sol) = &args.sol {
                assert!(Allowance::from_args(sol, NOW).is_ok());
            }
            for m in &args.mints {
                assert!(Allowance::from_args(&m.caps, NOW).is_ok());
            }
        }
    }
    // A message grant: whatever the arguments, the rebuilt message never panics, and a grant
    // the rules accept has a text that starts with its domain and carries its number.
    if let Some(m) = decode::<ix::CreateSessionFromMessage>(data) {
        let args = m.args;
        let (id, owner, key) = (
            session_keys::ID,
            Pubkey::new_from_array([1; 32]),
            Pubkey::new_from_array([2; 32]),
        );
        let cx = MessageContext {
            program_id: &id,
            cluster: "localnet",
            owner: &owner,
            session_key: &key,
        };
        let signed = message::signed_message(&args, &cx);
        if args.check_text().is_ok() && args.to_create_args().check(NOW).is_ok() {
            let body = message::message_body(&args, &cx).expect("accepted grant renders");
            assert!(body.starts_with(&args.domain));
            assert!(body.contains(&format!("\nMessage {}, valid until ", args.message_number)));
            assert!(signed.is_ok());
        }
    }
    // Raw bytes as an Ed25519 instruction's data and as the instructions sysvar.
    let _ = message::ed25519::parse(data);
    if let Some(n) = message::instructions_sysvar::count(data) {
        for i in 0..n.min(64) {
            let _ = message::instructions_sysvar::instruction_at(data, i);
        }
    }
    let _ = decode::<ix::Execute>(data);
    let _ = decode::<ix::TransferToken>(data);
    let _ = decode::<ix::TransferSol>(data);
    let _ = decode::<ix::WithdrawToken>(data);
    // Raw bytes as stored accounts: the decoders must fail cleanly.
    let mut d = data;
    let _ =
        <session_keys::state::Session as anchor_lang::AccountDeserialize>::try_deserialize(&mut d);
    let _ = session_keys::policy::TokenState::parse(data);
});
