//! Owner budgets and `preview` over JSON-RPC: the owner sets, reads and removes budgets, and
//! the preview (a `simulateTransaction`) gives the exact answer the real send then gets.
use super::{funded, set_time, SOL};
use crate::pay_example as pay;
use localnet::Localnet;
use session_keys_client::{
    ix, pda,
    rpc::{preview_transfer_sol, SessionClient, Verdict},
    scope::{caps, Scope},
    session_keys::{
        instructions::SessionStatus,
        policy::{BudgetCapsArgs, SOL_ASSET},
    },
    SessionError, WindowArgs,
};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// A multiple of 60: the rate limit's minute starts here.
const T0: i64 = 1_800_000_000;

fn budget(lifetime: Option<u64>, window: Option<(u32, u64)>) -> BudgetCapsArgs {
    BudgetCapsArgs {
        lifetime,
        window: window.map(|(seconds, cap)| WindowArgs { seconds, cap }),
    }
}

#[tokio::test]
async fn an_owner_sets_shows_and_removes_budgets() {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    set_time(&client, T0).await;
    // The pay-per-request world has a mint with a daily budget already.
    let world = pay::setup(&client).await.unwrap();
    let owner = &world.owner;
    let o = owner.pubkey();
    let b = client.budget(&o).await.unwrap().unwrap();
    assert_eq!((b.owner, b.entries.len()), (o, 1));
    let e = b.entries[0];
    assert_eq!(e.asset, world.mint);
    assert_eq!(
        (
            e.allowance.lifetime_cap,
            e.allowance.window_secs,
            e.allowance.window_cap
        ),
        (u64::MAX, pay::DAY, pay::DAILY_BUDGET)
    );

    // A SOL budget beside it, then changed: still two entries, the new caps in force.
    client
        .set_budget(owner, &SOL_ASSET, budget(Some(SOL), Some((3600, SOL / 2))))
        .await
        .unwrap();
    client
        .set_budget(owner, &SOL_ASSET, budget(Some(2 * SOL), None))
        .await
        .unwrap();
    let b = client.budget(&o).await.unwrap().unwrap();
    assert_eq!(b.entries.len(), 2);
    let sol = b.entries.iter().find(|e| e.asset == SOL_ASSET).unwrap();
    assert_eq!(
        (sol.allowance.lifetime_cap, sol.allowance.window_secs),
        (2 * SOL, 0)
    );

    // Bad input is refused by name, and changes nothing.
    for (asset, caps, error) in [
        (SOL_ASSET, budget(None, None), SessionError::InvalidBudget),
        (SOL_ASSET, budget(Some(0), None), SessionError::ZeroCap),
        (
            SOL_ASSET,
            budget(Some(SOL), Some((60, 2 * SOL))),
            SessionError::InvalidBudget,
        ),
        (
            SOL_ASSET,
            budget(None, Some((0, SOL))),
            SessionError::InvalidWindow,
        ),
        (
            Pubkey::new_unique(),
            budget(Some(1), None),
            SessionError::UnknownAsset,
        ),
    ] {
        let err = client.set_budget(owner, &asset, caps).await.unwrap_err();
        assert_eq!(err.session_error(), Some(error), "{caps:?}");
    }
    let err = client
        .remove_budget(owner, &Pubkey::new_unique())
        .await
        .unwrap_err();
    assert_eq!(err.session_error(), Some(SessionError::BudgetNotSet));
    assert_eq!(client.budget(&o).await.unwrap().unwrap().entries.len(), 2);

    // Removing shrinks the account, the rent back to the owner; the last one closes it.
    let address = pda::budget(&o).0;
    let before = client.rpc().get_balance(&address).await.unwrap();
    client.remove_budget(owner, &SOL_ASSET).await.unwrap();
    let after = client.rpc().get_balance(&address).await.unwrap();
    assert!(after < before, "{after} < {before}");
    assert_eq!(client.budget(&o).await.unwrap().unwrap().entries.len(), 1);
    client.remove_budget(owner, &world.mint).await.unwrap();
    assert!(client.budget(&o).await.unwrap().is_none());
    assert_eq!(client.rpc().get_balance(&address).await.unwrap(), 0);
}

/// A session key's SOL transfers to `to`, previewed then sent.
struct Transfers<'a> {
    client: &'a SessionClient,
    key: &'a Keypair,
    owner: Pubkey,
    to: Pubkey,
}

impl Transfers<'_> {
    /// The vault's and the destination's lamports.
    async fn balances(&self) -> (u64, u64) {
        let rpc = self.client.rpc();
        (
            rpc.get_balance(&pda::vault(&self.owner).0).await.unwrap(),
            rpc.get_balance(&self.to).await.unwrap(),
        )
    }

    /// Previews a transfer of `amount`, expecting `expected`, then sends it: the real send
    /// gets the same answer, and a refusal moves nothing.
    async fn check(&self, amount: u64, reference: Option<[u8; 16]>, expected: Verdict) {
        let (o, k) = (self.owner, self.key.pubkey());
        let r = reference.as_ref().map(|r| &r[..]);
        let (verdict, _) = preview_transfer_sol(self.client, &o, &k, &self.to, amount, r)
            .await
            .unwrap();
        assert_eq!(verdict, expected, "preview of {amount}");
        let before = self.balances().await;
        let sent = self
            .client
            .send(
                &[ix::transfer_sol_ref(&k, &o, &self.to, amount, r)],
                &[self.key],
            )
            .await;
        match expected {
            Verdict::Passes => {
                sent.unwrap();
                assert_eq!(
                    self.balances().await,
                    (before.0 - amount, before.1 + amount)
                );
            }
            Verdict::Refused(e) => {
                assert_eq!(sent.unwrap_err().session_error(), Some(e));
                assert_eq!(self.balances().await, before, "a refusal moves nothing");
            }
            Verdict::Failed(code) => panic!("unexpected failure {code}"),
        }
    }
}

#[tokio::test]
async fn preview_over_rpc_agrees_with_the_real_send() {
    let net = Localnet::start(0).unwrap();
    let client = SessionClient::new(net.url());
    set_time(&client, T0).await;
    let owner = funded(&client, 10 * SOL).await;
    let o = owner.pubkey();
    let key = Keypair::new();
    let k = key.pubkey();
    let args = Scope::until(T0 + 3600)
        .sol(caps(SOL))
        .rate_limit(3, 60)
        .reference_history(4)
        .top_up(SOL / 100)
        .build(T0)
        .unwrap();
    client
        .send(
            &[
                ix::deposit_sol(&o, 2 * SOL),
                ix::create_session(&o, &o, &k, args, None),
            ],
            &[&owner],
        )
        .await
        .unwrap();
    client
        .set_budget(&owner, &SOL_ASSET, budget(Some(SOL / 2), None))
        .await
        .unwrap();
    let t = Transfers {
        client: &client,
        key: &key,
        owner: o,
        to: Pubkey::new_unique(),
    };
    let to = t.to;

    // Passing, with a reference; the same reference again is refused.
    t.check(SOL / 10, Some([1; 16]), Verdict::Passes).await;
    t.check(
        SOL / 10,
        Some([1; 16]),
        Verdict::Refused(SessionError::ReferenceAlreadyUsed),
    )
    .await;
    // Within the session's caps (1 SOL) but beyond the owner's budget (0.4 left).
    let (_, p) = preview_transfer_sol(&client, &o, &k, &to, 1, None)
        .await
        .unwrap();
    let sol = p.assets[0];
    assert_eq!(sol.session.lifetime_remaining, SOL - SOL / 10);
    assert_eq!(sol.budget.unwrap().lifetime_remaining, SOL / 2 - SOL / 10);
    assert_eq!(sol.largest_next_spend, SOL / 2 - SOL / 10);
    t.check(
        SOL / 2,
        None,
        Verdict::Refused(SessionError::OwnerBudgetLifetimeExceeded),
    )
    .await;
    // Three uses a minute: two more pass, the fourth is rate limited.
    t.check(SOL / 10, Some([2; 16]), Verdict::Passes).await;
    t.check(SOL / 10, None, Verdict::Passes).await;
    t.check(SOL / 10, None, Verdict::Refused(SessionError::RateLimited))
        .await;
    let (_, p) = preview_transfer_sol(&client, &o, &k, &to, 1, None)
        .await
        .unwrap();
    assert_eq!(p.status, SessionStatus::RateLimited);
    assert_eq!((p.rate_remaining, p.rate_reopens_at), (0, T0 + 60));
    assert_eq!(p.uses_remaining, u32::MAX);
    // The next minute it passes again.
    set_time(&client, T0 + 60).await;
    t.check(SOL / 10, None, Verdict::Passes).await;
    let s = client.session(&o, &k).await.unwrap().unwrap();
    assert_eq!((s.uses, s.sol.unwrap().spent), (4, 4 * SOL / 10));
    assert_eq!(
        client.budget(&o).await.unwrap().unwrap().entries[0]
            .allowance
            .spent,
        4 * SOL / 10
    );
}
