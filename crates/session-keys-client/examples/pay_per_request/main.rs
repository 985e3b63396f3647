//! Pay-per-request for AI agents: a loopback HTTP service sells an API call for a token amount,
//! and a swarm of agents, each on its own session key of one owner, pays for calls through its
//! session.
//!
//! ```sh
//! cargo run -p localnet &                                        # or any cluster with a faucet
//! cargo run -p session-keys-client --example pay_per_request -- http://127.0.0.1:8899
//! ```
//!
//! The protocol (HTTP 402, "Payment Required"):
//! 1. The agent asks `GET /forecast` with `X-Owner` and `X-Session-Key` (who will pay). The
//!    service answers **402** with a JSON price: `amount`, `decimals`, `mint`, `payTo` (its
//!    token account) and a fresh 16-byte `reference` (hex), bound to that owner and key.
//! 2. The agent asks `preview` whether the payment would pass, then pays with
//!    `transfer_token_ref` carrying the reference, signed by its session key alone.
//! 3. The agent asks again with `X-Payment: <signature>`. The service reads the transaction
//!    (`getTransaction`), decodes its `TokenTransferred` event (only events logged inside the
//!    session-keys program count) and checks mint, destination, amount, reference and that the
//!    session is the one of the owner and key the quote was made for; then it serves, **once**
//!    per reference (**409** after that).
//!
//! What the program adds: a retried payment with the same reference is refused on chain
//! (`ReferenceAlreadyUsed`), so an agent that lost the response cannot pay twice; and the
//! owner's budget (a daily window across all its sessions) stops the whole swarm at the
//! owner's limit with `OwnerBudgetWindowExceeded`, though each session alone has room.
//!
//! A real service would also want the redeeming request signed by the session key, so that a
//! stranger who sees the payment on chain cannot redeem it first; this example serves whoever
//! presents the payment of a quote first.
//!
//! Files: `service.rs` (the HTTP service and its verification), `agent.rs` (quote, preview,
//! pay, redeem), this one (the world, the story, `main`).
mod agent;
mod service;

pub use agent::{http_get, Agent, Bought};
pub use service::{Offer, Service};

use anchor_spl::token::spl_token;
use session_keys_client::{
    ix::{self, DelegateFrom},
    rpc::{Error as RpcError, SessionClient},
    scope::{caps, Scope},
    session_keys::policy::BudgetCapsArgs,
    SessionError, WindowArgs,
};
use solana_sdk::{
    instruction::Instruction, program_pack::Pack, pubkey::Pubkey, signature::Keypair,
    signature::Signature, signer::Signer,
};

/// One SOL in lamports.
pub const SOL: u64 = 1_000_000_000;
/// Decimals of the token the service is paid in.
pub const DECIMALS: u8 = 6;
/// One token in base units.
pub const TOKEN: u64 = 1_000_000;
/// The price of one call: a quarter of a token.
pub const PRICE: u64 = TOKEN / 4;
/// What each agent's session may spend over its life: four calls.
pub const SESSION_CAP: u64 = 4 * PRICE;
/// What the owner lets all its agents together spend per day: five calls.
pub const DAILY_BUDGET: u64 = 5 * PRICE;
/// The owner budget's window: a day.
pub const DAY: u32 = 86_400;
/// How many agents the owner runs.
pub const AGENTS: usize = 3;
/// How many payment references each session remembers (and refuses again).
pub const REFERENCE_HISTORY: u8 = 16;

/// Why a step failed.
#[derive(Debug)]
pub enum Error {
    /// The chain or the RPC node said no.
    Chain(RpcError),
    /// The HTTP exchange failed or answered something unexpected.
    Http(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Chain(e) => write!(f, "{e}"),
            Error::Http(e) => write!(f, "http: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<RpcError> for Error {
    fn from(e: RpcError) -> Self {
        Error::Chain(e)
    }
}

impl Error {
    /// The program's error, if the program refused.
    pub fn session_error(&self) -> Option<SessionError> {
        match self {
            Error::Chain(e) => e.session_error(),
            Error::Http(_) => None,
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of lower- or upper-case hex, `None` if it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The owner, the service's seller, the token, and the owner's agents.
pub struct World {
    /// The owner of every session.
    pub owner: Keypair,
    /// The token.
    pub mint: Pubkey,
    /// The owner's token account (100 tokens, the vault its delegate).
    pub owner_tokens: Pubkey,
    /// The service's token account.
    pub seller_tokens: Pubkey,
    /// The agents, one session each.
    pub agents: Vec<Agent>,
}

impl World {
    /// What the service sells a call for.
    pub fn offer(&self) -> Offer {
        Offer {
            mint: self.mint,
            pay_to: self.seller_tokens,
            price: PRICE,
            decimals: DECIMALS,
        }
    }
}

async fn airdrop(client: &SessionClient, to: &Pubkey, lamports: u64) -> Result<(), Error> {
    let sig = client
        .rpc()
        .request_airdrop(to, lamports)
        .await
        .map_err(RpcError::from)?;
    client
        .rpc()
        .poll_for_signature(&sig)
        .await
        .map_err(RpcError::from)?;
    Ok(())
}

async fn rent(client: &SessionClient, len: usize) -> Result<u64, Error> {
    Ok(client
        .rpc()
        .get_minimum_balance_for_rent_exemption(len)
        .await
        .map_err(RpcError::from)?)
}

/// A new SPL Token account of `owner` for `mint`, paid by `payer`: its instructions and key.
async fn token_account(
    client: &SessionClient,
    payer: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<(Vec<Instruction>, Keypair), Error> {
    let account = Keypair::new();
    let len = spl_token::state::Account::LEN;
    let create = solana_system_interface::instruction::create_account(
        payer,
        &account.pubkey(),
        rent(client, len).await?,
        len as u64,
        &spl_token::ID,
    );
    let init =
        spl_token::instruction::initialize_account3(&spl_token::ID, &account.pubkey(), mint, owner)
            .map_err(|e| Error::Http(e.to_string()))?;
    Ok((vec![create, init], account))
}

/// Sets the world up: an owner with 100 tokens of a new mint, a seller's token account, and
/// [`AGENTS`] sessions of the owner, each allowed [`SESSION_CAP`] of the token over an hour,
/// 10 payments a minute and a history of [`REFERENCE_HISTORY`] references; then the owner's
/// budget: [`DAILY_BUDGET`] per day across all of them.
pub async fn setup(client: &SessionClient) -> Result<World, Error> {
    let owner = Keypair::new();
    let o = owner.pubkey();
    airdrop(client, &o, 5 * SOL).await?;
    let mint = Keypair::new();
    let m = mint.pubkey();
    let len = spl_token::state::Mint::LEN;
    let mut ixs = vec![
        solana_system_interface::instruction::create_account(
            &o,
            &m,
            rent(client, len).await?,
            len as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(&spl_token::ID, &m, &o, None, DECIMALS)
            .map_err(|e| Error::Http(e.to_string()))?,
    ];
    let (owner_ixs, owner_tokens) = token_account(client, &o, &m, &o).await?;
    let seller = Pubkey::new_unique();
    let (seller_ixs, seller_tokens) = token_account(client, &o, &m, &seller).await?;
    ixs.extend(owner_ixs);
    ixs.extend(seller_ixs);
    ixs.push(
        spl_token::instruction::mint_to(
            &spl_token::ID,
            &m,
            &owner_tokens.pubkey(),
            &o,
            &[],
            100 * TOKEN,
        )
        .map_err(|e| Error::Http(e.to_string()))?,
    );
    client
        .send(&ixs, &[&owner, &mint, &owner_tokens, &seller_tokens])
        .await?;

    let now = client.now().await?;
    let mut agents = Vec::with_capacity(AGENTS);
    for n in 0..AGENTS {
        let key = Keypair::new();
        let mut scope = Scope::until(now + 3600)
            .mint(m, caps(SESSION_CAP))
            .rate_limit(10, 60)
            .reference_history(REFERENCE_HISTORY)
            .top_up(SOL / 100)
            .label(&format!("agent {n}"));
        // The first grant makes the vault the delegate of the owner's token account; every
        // session spends through that one delegation.
        let delegate = (n == 0).then_some(DelegateFrom {
            token_account: owner_tokens.pubkey(),
            token_program: spl_token::ID,
        });
        if delegate.is_some() {
            scope = scope.delegate(100 * TOKEN);
        }
        let args = scope
            .build(now)
            .map_err(|e| Error::Http(format!("scope: {e:?}")))?;
        client
            .send(
                &[ix::create_session(&o, &o, &key.pubkey(), args, delegate)],
                &[&owner],
            )
            .await?;
        agents.push(Agent {
            key,
            owner: o,
            from: owner_tokens.pubkey(),
        });
    }
    let daily = BudgetCapsArgs {
        lifetime: None,
        window: Some(WindowArgs {
            seconds: DAY,
            cap: DAILY_BUDGET,
        }),
    };
    client.set_budget(&owner, &m, daily).await?;
    Ok(World {
        owner,
        mint: m,
        owner_tokens: owner_tokens.pubkey(),
        seller_tokens: seller_tokens.pubkey(),
        agents,
    })
}

/// What the story came to.
#[derive(Debug)]
pub struct Story {
    /// The program's error for the retried payment (same reference).
    pub retry_refused_with: Option<SessionError>,
    /// The service's status when the first payment was presented a second time.
    pub second_redeem_status: u16,
    /// Calls served, in order: (agent index, payment signature).
    pub served: Vec<(usize, Signature)>,
    /// The agent the swarm stopped at, and the error its preview gave.
    pub stopped: Option<(usize, SessionError)>,
}

/// The story: agent 0 buys a call and retries its payment (refused on chain, served once);
/// then the agents buy in turn until the owner's daily budget stops them.
pub async fn story(
    client: &SessionClient,
    world: &World,
    service: &Service,
) -> Result<Story, Error> {
    let first = &world.agents[0];
    let quote = first.quote(service.addr)?;
    println!(
        "agent 0: 402, pay {} base units to {} with reference {}",
        quote.amount,
        quote.pay_to,
        hex(&quote.reference)
    );
    let paid = first.pay(client, &quote).await?;
    println!("agent 0: paid ({paid}); the response is lost, so it pays again");
    let retry = first.pay(client, &quote).await;
    let retry_refused_with = match retry {
        Ok(sig) => return Err(Error::Http(format!("the retry paid twice: {sig}"))),
        Err(e) => e.session_error(),
    };
    println!("agent 0: the retry is refused on chain: {retry_refused_with:?}");
    let (status, body) = first.redeem(service.addr, &paid)?;
    if status != 200 {
        return Err(Error::Http(format!("first redeem: {status} {body}")));
    }
    println!("agent 0: served {body}");
    let (second_redeem_status, body) = first.redeem(service.addr, &paid)?;
    println!("agent 0: presenting it again: {second_redeem_status} {body}");

    let mut served = vec![(0, paid)];
    let mut stopped = None;
    // The swarm: agents 1, 2, 0, 1, ... each buy one call per turn.
    for turn in 1..=4 * AGENTS {
        let n = turn % AGENTS;
        match world.agents[n].buy(client, service.addr).await? {
            Bought::Served(signature, _) => {
                println!("agent {n}: paid and served ({signature})");
                served.push((n, signature));
            }
            Bought::Stopped(e) => {
                println!("agent {n}: preview says the payment would be refused: {e:?}: {e}");
                stopped = Some((n, e));
                break;
            }
        }
    }
    Ok(Story {
        retry_refused_with,
        second_redeem_status,
        served,
        stopped,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8899".into());
    let client = SessionClient::new(&url);
    let world = setup(&client).await?;
    let service = Service::start(&url, world.offer())?;
    println!("service on http://{}/forecast", service.addr);
    let story = story(&client, &world, &service).await?;
    println!("{story:?}");
    println!("calls served: {}", service.served());
    Ok(())
}
