//! `examples/bot.rs` against a localnet: three trades fit in the window cap, the fourth is
//! refused by the program and the bot stops cleanly.
use crate::bot_example as bot;
use serde_json::json;
use session_keys_client::{pda, rpc::SessionClient, SessionError};
use solana_rpc_client_api::request::RpcRequest;
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

#[tokio::test]
async fn bot_spends_up_to_the_window_cap_and_stops() {
    let net = localnet::Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url()).with_compute_budget(200_000, 1_000);
    // A frozen clock keeps the whole run inside one window.
    let _: serde_json::Value = client
        .rpc()
        .send(
            RpcRequest::Custom {
                method: "localnet_setClock",
            },
            json!([{ "unixTimestamp": 1_800_000_000 }]),
        )
        .await
        .unwrap();
    let bot_key = Keypair::new();
    let market = Pubkey::new_unique();
    let owner = bot::setup(&client, &bot_key, &market).await.unwrap();

    let report = bot::run(&client, &owner.pubkey(), &bot_key, &market, 10)
        .await
        .unwrap();
    assert_eq!(report.trades, 3);
    assert_eq!(report.spent, 3 * bot::TRADE);
    assert_eq!(report.stopped_by, Some(SessionError::WindowCapExceeded));
    assert_eq!(report.window_left, Some(bot::WINDOW_CAP - 3 * bot::TRADE));
    assert_eq!(
        client.rpc().get_balance(&market).await.unwrap(),
        3 * bot::TRADE
    );
    let session = client
        .session(&owner.pubkey(), &bot_key.pubkey())
        .await
        .unwrap()
        .unwrap();
    let sol = session.sol.unwrap();
    assert_eq!((sol.spent, session.uses), (3 * bot::TRADE, 3));
    assert_eq!(
        client
            .rpc()
            .get_balance(&pda::vault(&owner.pubkey()).0)
            .await
            .unwrap(),
        2 * bot::SOL - 3 * bot::TRADE
    );
}
