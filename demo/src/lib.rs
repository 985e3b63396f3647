//! A game grants a player's session key a 1-hour session with a 50-token cap and a
//! 10-token-per-minute window; the key plays without wallet prompts, is refused over its caps,
//! waits for the window to reset, and is refused for good once the owner revokes it.
#![allow(deprecated)]

use session_keys::errors::SessionError;
use session_keys_tests::{
    client::{
        decode, ix, pda,
        scope::{caps, CapsExt, Scope},
    },
    TestEnv, DECIMALS, START, TOKEN,
};
use solana_sdk::{
    instruction::InstructionError, pubkey::Pubkey, signer::Signer, transaction::TransactionError,
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
        "\nTreasury received {}; Alice keeps {}. Every step behaved as narrated.",
        gold(treasury_total),
        gold(env.balance(&env.owner_ata.clone()).await)
    );
    if treasury_total + left != 50 * TOKEN {
        return Err("treasury total does not match the caps".into());
    }
    Ok(())
}
