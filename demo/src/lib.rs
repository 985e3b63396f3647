//! A game grants a player's session key a 1-hour session with a 50-token cap and a
//! 10-token-per-minute window; the key plays without wallet prompts, is refused over its caps,
//! waits for the window to reset, and is refused for good once the owner revokes it.
#![allow(deprecated)]

use anchor_lang::AccountDeserialize;
use session_keys::errors::SessionError;
use session_keys::instructions::{MessageEnvelope, MessageGrantArgs};
use session_keys_harness::{
    client::{
        decode, ix, message, pda,
        scope::{caps, program, CapsExt, Scope},
    },
    targets::game,
    TestEnv, DECIMALS, SOL, START, TOKEN,
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
    signature::Keypair,
    signer::Signer,
    transaction::TransactionError,
};

type Step = Result<(), String>;

fn gold(base_units: u64) -> String {
    format!(
        "{}.{:02} GOLD",
        base_units / TOKEN,
        base_units % TOKEN / 10_000
    )
}

/// What a failed transaction means, in words.
fn explain(e: &TransactionError) -> String {
    match e {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
            match decode::error_from_code(*code) {
                Some(err) => format!("{err:?} ({code}): {err}"),
                None if *code == anchor_lang::error::ErrorCode::AccountNotInitialized as u32 => {
                    format!("AccountNotInitialized ({code}): the session account no longer exists")
                }
                None => format!("custom error {code}"),
            }
        }
        other => format!("{other:?}"),
    }
}

fn expect_refusal(r: Result<(), TransactionError>, expected: u32) -> Step {
    match r {
        Err(e @ TransactionError::InstructionError(0, InstructionError::Custom(code)))
            if code == expected =>
        {
            println!("    refused, as expected -> {}", explain(&e));
            Ok(())
        }
        Err(e) => Err(format!("refused for the wrong reason: {}", explain(&e))),
        Ok(()) => Err("the transfer went through but should have been refused".into()),
    }
}

/// Runs the story; `Err` names the first step that did not behave as narrated.
pub async fn run() -> Step {
    println!("== Session keys demo: a game plays without wallet popups ==\n");
    let mut env = TestEnv::new().await;
    let (owner, key) = (env.owner.pubkey(), env.key.pubkey());
    let treasury = env.recipient_ata;
    println!("Alice (owner)     {owner}");
    println!("session key       {key}   (lives in the game client)");
    println!(
        "Alice's vault     {}   (PDA that signs for sessions)",
        pda::vault(&owner).0
    );
    println!(
        "Alice holds       {}\n",
        gold(env.balance(&env.owner_ata.clone()).await)
    );

    println!("1. Alice approves one session in her wallet: 1 hour, at most 50 GOLD in total,");
    println!("   at most 10 GOLD per minute, only to the game's treasury.");
    let args = Scope::until(START + 3600)
        .mint(env.mint, caps(50 * TOKEN).window(60, 10 * TOKEN))
        .destination(env.recipient)
        .label("Dungeon Quest")
        .delegate(50 * TOKEN)
        .build(START)
        .map_err(|e| format!("scope rejected: {e}"))?;
    env.create_session(args).await.map_err(|e| explain(&e))?;
    let session = env.session().await.ok_or("session missing")?;
    println!(
        "   session {} created, expires at unix {}\n",
        pda::session(&owner, &key).0,
        session.expires_at
    );

    println!("2. The player buys three potions; the game signs with the session key only.");
    for i in 1..=3 {
        let t = env.transfer_ix(3 * TOKEN).await;
        env.send_key(&[t])
            .await
            .map_err(|e| format!("potion {i}: {}", explain(&e)))?;
        let s = env.session().await.ok_or("session missing")?;
        let a = s.mints[0].allowance;
        println!(
            "   potion {i}: paid {} | left this minute {} | left in total {}",
            gold(3 * TOKEN),
            gold(a.window_remaining(START)),
            gold(a.lifetime_remaining())
        );
    }
    if env.balance(&treasury).await != 9 * TOKEN {
        return Err("treasury should hold 9 GOLD".into());
    }

    println!("\n3. A 5 GOLD sword in the same minute is over the per-minute cap:");
    let t = env.transfer_ix(5 * TOKEN).await;
    expect_refusal(
        env.send_key(&[t]).await,
        decode::error_code(SessionError::WindowCapExceeded),
    )?;

    println!("\n4. Paying someone outside the allow-list is refused too:");
    let mint = env.mint;
    let thief = env.create_token_account(&mint, &Pubkey::new_unique()).await;
    let t = env
        .transfer_accounts(&env.owner_ata.clone(), &mint, &thief)
        .await;
    let i = ix::transfer_token(&key, &owner, t, TOKEN, DECIMALS);
    expect_refusal(
        env.send_key(&[i]).await,
        decode::error_code(SessionError::DestinationNotAllowed),
    )?;

    println!("\n5. A minute passes; the window resets on its boundary and the sword goes through.");
    env.set_time(START + 60).await;
    let t = env.transfer_ix(5 * TOKEN).await;
    env.send_key(&[t])
        .await
        .map_err(|e| format!("sword: {}", explain(&e)))?;
    let a = env.session().await.ok_or("session missing")?.mints[0].allowance;
    println!(
        "   sword paid | left this minute {} | left in total {}",
        gold(a.window_remaining(START + 60)),
        gold(a.lifetime_remaining())
    );

    println!("\n6. Over the following minutes the player spends up to the 50 GOLD lifetime cap:");
    let mut minute = 2;
    while env.session().await.ok_or("session missing")?.mints[0]
        .allowance
        .lifetime_remaining()
        >= 10 * TOKEN
    {
        env.set_time(START + 60 * minute).await;
        let t = env.transfer_ix(10 * TOKEN).await;
        env.send_key(&[t])
            .await
            .map_err(|e| format!("minute {minute}: {}", explain(&e)))?;
        minute += 1;
    }
    let left = env.session().await.ok_or("session missing")?.mints[0]
        .allowance
        .lifetime_remaining();
    println!(
        "   spent {} in total, {} left",
        gold(50 * TOKEN - left),
        gold(left)
    );
    env.set_time(START + 60 * minute).await;
    let t = env.transfer_ix(left + TOKEN).await;
    expect_refusal(
        env.send_key(&[t]).await,
        decode::error_code(SessionError::LifetimeCapExceeded),
    )?;

    println!("\n7. Alice revokes the session from her wallet; rent comes back to her.");
    env.send_owner(&[ix::revoke_session(&owner, &owner, &key, &owner)])
        .await
        .map_err(|e| explain(&e))?;
    let t = env.transfer_ix(TOKEN).await;
    print!("   the game tries once more:");
    println!();
    expect_refusal(
        env.send_key(&[t]).await,
        anchor_lang::error::ErrorCode::AccountNotInitialized as u32,
    )?;

    let treasury_total = env.balance(&treasury).await;
    println!(
        "\nTreasury received {}; Alice keeps {}.",
        gold(treasury_total),
        gold(env.balance(&env.owner_ata.clone()).await)
    );
    if treasury_total + left != 50 * TOKEN {
        return Err("treasury total does not match the caps".into());
    }

    game_chapter(&mut env).await?;
    gasless_chapter(&mut env).await?;
    println!("\nEvery step behaved as narrated.");
    Ok(())
}

fn sol(lamports: u64) -> String {
    format!("{}.{:04} SOL", lamports / SOL, lamports % SOL / 100_000)
}

/// Part two: the game has its own on-chain program; the session drives it through `execute`,
/// with Alice's vault as the player's authority.
async fn game_chapter(env: &mut TestEnv) -> Step {
    println!("\n== Part two: playing the game's own program through execute ==\n");
    let owner = env.owner.pubkey();
    let vault = pda::vault(&owner).0;
    env.key = Keypair::new();
    let key = env.key.pubkey();
    env.send_owner(&[ix::deposit_sol(&owner, SOL / 2)])
        .await
        .map_err(|e| explain(&e))?;
    println!(
        "8. Alice deposits {} into her vault and grants a new key (topped up with",
        sol(SOL / 2)
    );
    println!(
        "   {} for fees): the game program only (create_player, move_player,",
        sol(TOP_UP)
    );
    println!(
        "   buy_item at most {} each, paid to the game's treasury), and at",
        sol(MAX_PRICE)
    );
    println!("   most {} of vault SOL in total.", sol(SOL_CAP));
    let scope = game::session_scope(MAX_PRICE);
    let now = env.now().await;
    let args = Scope::until(now + 3600)
        .sol(caps(SOL_CAP))
        .program(scope)
        .label("Dungeon Quest (on-chain)")
        .top_up(TOP_UP)
        .build(now)
        .map_err(|e| format!("scope rejected: {e}"))?;
    env.create_session(args).await.map_err(|e| explain(&e))?;

    let play = |calls: &[Instruction]| ix::execute(&key, &owner, calls);
    println!("\n9. The game creates the player and walks it around; only the session key signs.");
    env.send_key(&[play(&[
        game::create_player(&vault),
        game::move_player(&vault, 2, 1),
    ])])
    .await
    .map_err(|e| format!("create + move: {}", explain(&e)))?;
    env.send_key(&[play(&[game::move_player(&vault, 1, 3)])])
        .await
        .map_err(|e| format!("move: {}", explain(&e)))?;
    let player = player_of(env, &vault).await?;
    if (player.x, player.y, player.authority) != (3, 4, vault) {
        return Err(format!(
            "player should be at (3, 4), is at ({}, {})",
            player.x, player.y
        ));
    }
    let spent = env
        .session()
        .await
        .ok_or("session missing")?
        .sol
        .ok_or("no SOL caps")?
        .spent;
    println!(
        "   player at ({}, {}); its account's rent, {}, was charged to the SOL cap",
        player.x,
        player.y,
        sol(spent)
    );

    println!("\n10. The player buys a {} sword.", sol(SWORD));
    env.send_key(&[play(&[game::buy_item(&vault, 1, SWORD)])])
        .await
        .map_err(|e| format!("sword: {}", explain(&e)))?;
    let s = env.session().await.ok_or("session missing")?;
    let left = s.sol.ok_or("no SOL caps")?.lifetime_remaining();
    println!("    paid; {} of the SOL cap left", sol(left));

    println!(
        "\n11. A {} shield is within the price rule but over what is left of the cap:",
        sol(SHIELD)
    );
    expect_refusal(
        env.send_key(&[play(&[game::buy_item(&vault, 2, SHIELD)])])
            .await,
        decode::error_code(SessionError::LifetimeCapExceeded),
    )?;
    println!(
        "\n12. A crown priced just over {} breaks the game's price rule before anything runs:",
        sol(MAX_PRICE)
    );
    expect_refusal(
        env.send_key(&[play(&[game::buy_item(&vault, 3, MAX_PRICE + 1)])])
            .await,
        decode::error_code(SessionError::ArgumentRuleViolated),
    )?;
    if env.lamports(&game::treasury()).await != SWORD {
        return Err("the treasury should hold exactly the sword's price".into());
    }
    Ok(())
}

/// The game's player account whose authority is `vault`.
async fn player_of(env: &mut TestEnv, vault: &Pubkey) -> Result<example_game::Player, String> {
    let data = env
        .account(&game::player(vault))
        .await
        .ok_or("player missing")?
        .data;
    example_game::Player::try_deserialize(&mut &data[..]).map_err(|e| e.to_string())
}

const TOP_UP: u64 = 10_000_000;
const SOL_CAP: u64 = 60_000_000;
const MAX_PRICE: u64 = 50_000_000;
const SWORD: u64 = 30_000_000;
const SHIELD: u64 = 40_000_000;

/// Part three's time: the chapter sets the clock so that its message is the same on every run
/// (the README shows it byte for byte).
pub const GASLESS_AT: i64 = START + 86_400;

/// Bob, who has never held SOL, and the game's new session key for him: fixed keys, so the
/// message of part three is reproducible.
pub fn gasless_keys() -> (Keypair, Keypair) {
    (
        Keypair::new_from_array([0xB0; 32]),
        Keypair::new_from_array([0x5E; 32]),
    )
}

/// The grant of part three: the game program (any instruction), 0.01 SOL of vault SOL for its
/// accounts, 100 uses, an hour; the message is valid for five minutes.
pub fn gasless_grant() -> MessageGrantArgs {
    MessageGrantArgs {
        expires_at: GASLESS_AT + 3600,
        max_uses: Some(100),
        sol: Some(caps(GASLESS_SOL_CAP)),
        mints: vec![],
        destinations: vec![],
        programs: vec![program(example_game::ID)],
        label: "Dungeon Quest".into(),
        domain: "dungeon.example".into(),
        message_number: 0,
        valid_until: GASLESS_AT + 300,
        envelope: MessageEnvelope::Text,
    }
}

const GASLESS_SOL_CAP: u64 = 10_000_000;

/// Part three: a player with 0 SOL signs one message; the game's sponsor pays; the key plays.
async fn gasless_chapter(env: &mut TestEnv) -> Step {
    println!("\n== Part three: a player with no SOL signs one message and plays ==\n");
    env.set_time(GASLESS_AT).await;
    let (bob, key) = gasless_keys();
    let sponsor = env.stranger.insecure_clone();
    let (b, k, sp) = (bob.pubkey(), key.pubkey(), sponsor.pubkey());
    if env.lamports(&b).await != 0 {
        return Err("Bob should have no SOL".into());
    }
    println!("Bob (owner, 0 SOL) {b}");
    println!("session key        {k}");
    println!("game's sponsor     {sp}");
    let args = gasless_grant();
    let text = message::grant_text(&args, &b, &k, message::LOCALNET).map_err(|e| e.to_string())?;
    println!(
        "\n13. Bob's wallet shows this message ({} bytes) and he signs it; no transaction:\n",
        text.len()
    );
    for line in text.lines() {
        println!("    | {line}");
    }
    let bytes =
        message::grant_message(&args, &b, &k, message::LOCALNET).map_err(|e| e.to_string())?;
    let signature = bob.sign_message(&bytes);

    println!(
        "\n14. The sponsor sends [Ed25519 check, create_session_from_message], signed by itself"
    );
    println!("    and the session key, and pays the fee and the rent:");
    let ixs = message::sponsored_grant(&sp, &b, &k, args.clone(), &signature, message::LOCALNET)
        .map_err(|e| e.to_string())?;
    let before = env.lamports(&sp).await;
    env.send(&ixs, &[&sponsor, &key])
        .await
        .map_err(|e| explain(&e))?;
    let session_rent = env.lamports(&pda::session(&b, &k).0).await;
    let wallet_rent = env.lamports(&pda::wallet(&b).0).await;
    let paid = before - env.lamports(&sp).await;
    println!(
        "    sponsor paid {paid} lamports: session rent {session_rent} (back at close), Bob's"
    );
    println!(
        "    wallet account {wallet_rent} (first session only), fees {} (3 signatures)",
        paid - session_rent - wallet_rent
    );
    let rent = env
        .ctx
        .banks_client
        .get_rent()
        .await
        .map_err(|e| e.to_string())?;
    if session_rent != rent.minimum_balance(264) || wallet_rent != rent.minimum_balance(60) {
        return Err(
            "the session (264 bytes) and the wallet (60 bytes) should be rent-exempt".into(),
        );
    }
    if paid != session_rent + wallet_rent + 15_000 {
        return Err("the sponsor should pay exactly rent and three signatures".into());
    }

    println!(
        "\n15. The sponsor puts {} in Bob's vault for the game's account rent (anyone",
        sol(GASLESS_SOL_CAP)
    );
    println!(
        "    may pay into a vault) and pays the fees; the key creates Bob's player and moves."
    );
    let vault = pda::vault(&b).0;
    env.send(
        &[solana_system_interface::instruction::transfer(
            &sp,
            &vault,
            GASLESS_SOL_CAP,
        )],
        &[&sponsor],
    )
    .await
    .map_err(|e| explain(&e))?;
    let play = ix::execute(
        &k,
        &b,
        &[game::create_player(&vault), game::move_player(&vault, 1, 1)],
    );
    env.send(&[play], &[&sponsor, &key])
        .await
        .map_err(|e| format!("play: {}", explain(&e)))?;
    let player = player_of(env, &vault).await?;
    println!(
        "    Bob's player is at ({}, {}); Bob still has {} lamports",
        player.x,
        player.y,
        env.lamports(&b).await
    );
    if (player.x, player.y) != (1, 1) || env.lamports(&b).await != 0 {
        return Err("Bob should play without any SOL".into());
    }

    println!("\n16. The key ends the session (rent back to the sponsor); the same signed message,");
    println!("    sent again, creates nothing: a message is good for one session, ever.");
    env.send(&[ix::revoke_session(&k, &b, &k, &sp)], &[&sponsor, &key])
        .await
        .map_err(|e| explain(&e))?;
    match env.send(&ixs, &[&sponsor, &key]).await {
        Err(e @ TransactionError::InstructionError(1, InstructionError::Custom(code)))
            if code == decode::error_code(SessionError::MessageNumberMismatch) =>
        {
            println!("    refused, as expected -> {}", explain(&e));
            Ok(())
        }
        Err(e) => Err(format!(
            "replay refused for the wrong reason: {}",
            explain(&e)
        )),
        Ok(()) => Err("the replayed message created a session".into()),
    }
}
