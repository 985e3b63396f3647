//! A trading bot on a session key: it pays for trades out of its owner's vault, within the
//! session's window cap, and stops cleanly when the program says the window is spent.
//!
//! ```sh
//! cargo run -p localnet &                                        # or any cluster with a faucet
//! cargo run -p session-keys-client --example bot -- http://127.0.0.1:8899
//! ```
//!
//! The bot reads what it may still spend before each trade (for its log), but the chain is
//! the authority: another process sharing the session may have spent since, so the bot sends
//! and stops on the program's `WindowCapExceeded`, decoded from the preflight failure.
use session_keys_client::{
    decode::SessionEvent,
    ix,
    rpc::{remaining, Error, SessionClient},
    scope::{caps, CapsExt, Scope},
    SessionError,
};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// What one trade costs.
pub const TRADE: u64 = SOL / 10;
/// The session's cap per window: three and a half trades.
pub const WINDOW_CAP: u64 = 3 * TRADE + TRADE / 2;
/// Window length in seconds.
pub const WINDOW_SECS: u32 = 3600;

/// How a run ended.
#[derive(Debug)]
pub struct Report {
    /// Trades that went through.
    pub trades: u32,
    /// Lamports they spent.
    pub spent: u64,
    /// The program error that stopped the bot, `None` if it ran out of planned trades.
    pub stopped_by: Option<SessionError>,
    /// What the window had left after the last trade, as its `SolTransferred` event said.
    pub window_left: Option<u64>,
}

/// Funds an owner, deposits into its vault and grants `bot` a session that may pay `market`
/// up to [`WINDOW_CAP`] per window, for an hour. Returns the owner.
pub async fn setup(
    client: &SessionClient,
    bot: &Keypair,
    market: &Pubkey,
) -> Result<Keypair, Error> {
    let owner = Keypair::new();
    for (key, lamports) in [(owner.pubkey(), 5 * SOL), (bot.pubkey(), SOL / 10)] {
        let sig = client.rpc().request_airdrop(&key, lamports).await?;
        client.rpc().poll_for_signature(&sig).await?;
    }
    let now = client.now().await?;
    let args = Scope::until(now + 3600)
        .sol(caps(10 * TRADE).window(WINDOW_SECS, WINDOW_CAP))
        .destination(*market)
        .label("example bot")
        .build(now)
        .map_err(|e| Error::Account(format!("scope: {e:?}")))?;
    let o = owner.pubkey();
    client
        .send(
            &[
                ix::deposit_sol(&o, 2 * SOL),
                ix::create_session(&o, &o, &bot.pubkey(), args, None),
            ],
            &[&owner],
        )
        .await?;
    Ok(owner)
}

/// Trades [`TRADE`] lamports to `market` up to `max_trades` times; stops at the window cap.
pub async fn run(
    client: &SessionClient,
    owner: &Pubkey,
    bot: &Keypair,
    market: &Pubkey,
    max_trades: u32,
) -> Result<Report, Error> {
    let mut report = Report {
        trades: 0,
        spent: 0,
        stopped_by: None,
        window_left: None,
    };
    while report.trades < max_trades {
        let session = client
            .session(owner, &bot.pubkey())
            .await?
            .ok_or_else(|| Error::Account("no session for this bot".into()))?;
        let nonce = client.wallet(owner).await?.map(|w| w.nonce);
        let sol = remaining(&session, nonce, client.now().await?)[0];
        println!(
            "trade {}: may spend {} now, {} left in this window",
            report.trades + 1,
            sol.now,
            sol.window
        );
        let trade = ix::transfer_sol(&bot.pubkey(), owner, market, TRADE);
        match client.send(&[trade], &[bot]).await {
            Ok(signature) => {
                report.trades += 1;
                report.spent += TRADE;
                // The program's event says what is left, in the same transaction.
                for event in client.outcome(&signature).await?.events {
                    if let SessionEvent::SolTransferred(e) = event {
                        report.window_left = Some(e.window_remaining);
                    }
                }
                println!(
                    "  bought for {TRADE} lamports ({signature}); window left: {:?}",
                    report.window_left
                );
            }
            Err(e) if e.session_error() == Some(SessionError::WindowCapExceeded) => {
                println!("  window cap reached: stopping until the next window");
                report.stopped_by = e.session_error();
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8899".into());
    // A compute-unit limit and a priority fee on every transaction, as a bot on a busy
    // cluster would set them.
    let client = SessionClient::new(&url).with_compute_budget(200_000, 1_000);
    let bot = Keypair::new();
    let market = Pubkey::new_unique();
    let owner = setup(&client, &bot, &market).await?;
    let report = run(&client, &owner.pubkey(), &bot, &market, 10).await?;
    println!("{report:?}");
    Ok(())
}
