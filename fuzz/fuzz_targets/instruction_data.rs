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
            let grant = args.clone().into_grant(NOW).expect("checked grant builds");
            assert!(grant.references.capacity <= session_keys::constants::MAX_REFERENCE_HISTORY);
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
    // An owner budget: whatever caps are accepted build an allowance that keeps the invariant,
    // and a change never forgets what was counted.
    if let Some(b) = decode::<ix::SetBudget>(data) {
        if let Ok(first) = b.caps.allowance(None, NOW) {
            assert!(first.invariant().is_ok());
            let spent = first.charged(1, NOW).unwrap_or(first);
            if let Ok(changed) = b.caps.allowance(Some(&spent), NOW + 1) {
                assert!(session_keys::policy::budget_invariant(&changed).is_ok());
                assert_eq!(changed.spent, spent.spent);
            }
        }
    }
    let _ = decode::<ix::RemoveBudget>(data);
    let _ = decode::<ix::Preview>(data);
    let _ = decode::<ix::Execute>(data);
    let _ = decode::<ix::TransferToken>(data);
    let _ = decode::<ix::TransferSol>(data);
    let _ = decode::<ix::WithdrawToken>(data);
    // Raw bytes as stored accounts: the decoders must fail cleanly.
    let mut d = data;
    let _ =
        <session_keys::state::Session as anchor_lang::AccountDeserialize>::try_deserialize(&mut d);
    let mut d = data;
    let _ =
        <session_keys::state::Budget as anchor_lang::AccountDeserialize>::try_deserialize(&mut d);
    token_account_views_agree(data);
    token_account_views_agree(&as_token_account(data));
});

/// Bytes as a token account: the program's reader and each token program's own must agree on
/// whether it is one (security round 3: a looser reader let a multisig pass for an account).
fn token_account_views_agree(data: &[u8]) {
    use anchor_spl::{token::spl_token, token_2022::spl_token_2022};
    use session_keys::policy::{TokenProgram, TokenState};
    use solana_program_pack::Pack;
    use spl_token_2022::extension::StateWithExtensions;
    let ours = TokenState::parse(TokenProgram::Token, data);
    let theirs = spl_token::state::Account::unpack(data).ok();
    assert_eq!(ours.is_some(), theirs.is_some(), "SPL Token disagrees");
    if let (Some(t), Some(a)) = (ours, theirs) {
        assert_eq!(
            (t.owner, t.amount, t.delegated_amount),
            (a.owner, a.amount, a.delegated_amount)
        );
    }
    let ours = TokenState::parse(TokenProgram::Token2022, data);
    let theirs = StateWithExtensions::<spl_token_2022::state::Account>::unpack(data).ok();
    assert_eq!(ours.is_some(), theirs.is_some(), "Token-2022 disagrees");
    if let (Some(t), Some(s)) = (ours, theirs) {
        assert_eq!(
            (t.owner, t.delegate),
            (s.base.owner, s.base.delegate.into())
        );
    }
}

/// The fuzzer's bytes shaped like a token account: the base layout with a valid state byte and
/// option tags, then whatever follows (account type, extensions, a multisig's length), so the
/// interesting lengths are reached often.
fn as_token_account(data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    if d.len() < 165 {
        d.resize(165, 0);
    }
    let pick = d.first().copied().unwrap_or(0);
    d[108] = 1 + pick % 2; // initialized or frozen
    for tag in [72usize, 109, 129] {
        d[tag..tag + 4].copy_from_slice(&[u8::from(pick & 4 != 0), 0, 0, 0]);
    }
    match pick % 5 {
        0 => d.truncate(165),
        1 => d.resize(355, 0),
        _ => {}
    }
    if d.len() > 165 && pick % 3 != 0 {
        d[165] = 2;
    }
    d
}
