//! `examples/pay_per_request.rs` against a localnet: the service sells calls for a token, an
//! agent's retried payment is refused on chain and served once, and the owner's daily budget
//! stops the swarm of three agents, though each session alone still has room.
use super::set_time;
use crate::pay_example as pay;
use anchor_spl::token::spl_token;
use session_keys_client::{
    rpc::{SessionClient, Verdict},
    SessionError,
};
use solana_sdk::{program_pack::Pack, pubkey::Pubkey, signer::Signer};

/// Ten minutes before a UTC midnight (a multiple of 60 too): the sessions, which live an hour,
/// see the owner's daily window roll over.
const T0: i64 = 1_800_057_000;

async fn tokens(client: &SessionClient, account: &Pubkey) -> u64 {
    let data = client.rpc().get_account_data(account).await.unwrap();
    spl_token::state::Account::unpack(&data).unwrap().amount
}

#[tokio::test]
async fn agents_pay_per_request_once_per_reference_within_the_owners_daily_budget() {
    let net = localnet::Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    // A frozen clock keeps the whole run inside one day (and one rate-limit minute).
    set_time(&client, T0).await;
    let world = pay::setup(&client).await.unwrap();
    let service = pay::Service::start(net.url(), world.offer()).unwrap();

    // Without payment: 402 with the price and a fresh 16-byte reference each time.
    let a = world.agents[0].quote(service.addr).unwrap();
    let b = world.agents[0].quote(service.addr).unwrap();
    assert_eq!(
        (a.amount, a.decimals, a.mint, a.pay_to),
        (pay::PRICE, pay::DECIMALS, world.mint, world.seller_tokens)
    );
    assert_eq!(a.reference.len(), 16);
    assert_ne!(a.reference, b.reference);
    // A request that says nothing of its payer gets no quote; a bogus payment is refused.
    let (status, _) = pay::http_get(service.addr, "/forecast", &[]).unwrap();
    assert_eq!(status, 400);
    let (status, _) = pay::http_get(service.addr, "/other", &[]).unwrap();
    assert_eq!(status, 404);
    let (status, body) = pay::http_get(
        service.addr,
        "/forecast",
        &[("X-Payment", "not-a-signature".into())],
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");

    let story = pay::story(&client, &world, &service).await.unwrap();

    // The retry with the same reference was refused on chain, and the call served once.
    assert_eq!(
        story.retry_refused_with,
        Some(SessionError::ReferenceAlreadyUsed)
    );
    assert_eq!(story.second_redeem_status, 409);

    // The swarm stopped at the owner's daily limit: five calls in all.
    let daily_calls = (pay::DAILY_BUDGET / pay::PRICE) as usize;
    assert_eq!(story.served.len(), daily_calls);
    assert_eq!(service.served(), daily_calls as u32);
    let (stopped_at, error) = story.stopped.unwrap();
    assert_eq!(error, SessionError::OwnerBudgetWindowExceeded);
    assert_eq!(
        tokens(&client, &world.seller_tokens).await,
        pay::DAILY_BUDGET
    );
    assert_eq!(
        tokens(&client, &world.owner_tokens).await,
        100 * pay::TOKEN - pay::DAILY_BUDGET
    );
    // Every payment's event carried its quote's reference; the budget counted each once.
    let budget = client.budget(&world.owner.pubkey()).await.unwrap().unwrap();
    assert_eq!(budget.entries[0].allowance.window_spent, pay::DAILY_BUDGET);

    // Each session alone still has room: the owner's budget is what stops every agent, and
    // the chain agrees with the preview.
    for (n, agent) in world.agents.iter().enumerate() {
        let quote = agent.quote(service.addr).unwrap();
        let (verdict, p) = agent.preview(&client, &quote).await.unwrap();
        assert_eq!(
            verdict,
            Verdict::Refused(SessionError::OwnerBudgetWindowExceeded),
            "agent {n}"
        );
        let asset = p.assets[0];
        assert!(
            asset.session.lifetime_remaining >= pay::PRICE,
            "agent {n}: {asset:?}"
        );
        assert_eq!(asset.largest_next_spend, 0, "agent {n}");
        assert_eq!(asset.budget.unwrap().window_remaining, 0);
        let spent = client
            .session(&world.owner.pubkey(), &agent.key.pubkey())
            .await
            .unwrap()
            .unwrap()
            .mints[0]
            .allowance
            .spent;
        let paid = story.served.iter().filter(|(a, _)| *a == n).count() as u64;
        assert_eq!(spent, paid * pay::PRICE, "agent {n}");
        assert!(spent < pay::SESSION_CAP);
        let err = agent.pay(&client, &quote).await.unwrap_err();
        assert_eq!(
            err.session_error(),
            Some(SessionError::OwnerBudgetWindowExceeded),
            "agent {n}"
        );
    }
    assert_eq!(
        tokens(&client, &world.seller_tokens).await,
        pay::DAILY_BUDGET,
        "refusals move nothing"
    );
    assert_eq!(service.served(), daily_calls as u32);

    // The next day the budget's window reopens, and the agent that was stopped buys again.
    let day = i64::from(pay::DAY);
    assert_eq!(T0 % day, day - 600);
    set_time(&client, T0 + 600).await;
    match world.agents[stopped_at]
        .buy(&client, service.addr)
        .await
        .unwrap()
    {
        pay::Bought::Served(_, body) => assert!(body["forecast"].is_string(), "{body}"),
        other => panic!("not served the next day: {other:?}"),
    }
    assert_eq!(
        tokens(&client, &world.seller_tokens).await,
        pay::DAILY_BUDGET + pay::PRICE
    );
    // The payment was made through the stopped agent's own session.
    let s = client
        .session(
            &world.owner.pubkey(),
            &world.agents[stopped_at].key.pubkey(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.references.entries.len(),
        story
            .served
            .iter()
            .filter(|(a, _)| *a == stopped_at)
            .count()
            + 1
    );

    // The service checks the event, not the agent's word: a quote paid through another
    // agent's session, or underpaid, is not served.
    let (zero, one) = (&world.agents[0], &world.agents[1]);
    let quote = one.quote(service.addr).unwrap();
    let paid = zero.pay(&client, &quote).await.unwrap();
    let (status, body) = one.redeem(service.addr, &paid).unwrap();
    assert_eq!(status, 402, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("session"),
        "{body}"
    );
    let mut quote = one.quote(service.addr).unwrap();
    quote.amount -= 1;
    let paid = one.pay(&client, &quote).await.unwrap();
    let (status, body) = one.redeem(service.addr, &paid).unwrap();
    assert_eq!(status, 402, "{body}");
    assert!(body["error"].as_str().unwrap().contains("price"), "{body}");
    assert_eq!(service.served(), daily_calls as u32 + 1);
}
