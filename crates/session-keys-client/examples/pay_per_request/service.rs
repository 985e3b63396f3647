//! The service of the pay-per-request example: a loopback HTTP server (std only, one thread,
//! one connection at a time) that quotes a price with a fresh reference (402), then verifies a
//! payment from its transaction's `TokenTransferred` event alone and serves it once.
use super::hex;
use serde_json::{json, Value};
use session_keys_client::{decode::SessionEvent, pda, rpc::SessionClient};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signature},
    signer::Signer,
};
use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread::JoinHandle,
    time::Duration,
};

/// What the service sells a call for.
#[derive(Clone, Copy, Debug)]
pub struct Offer {
    /// The token it is paid in.
    pub mint: Pubkey,
    /// Its token account, where payments must land.
    pub pay_to: Pubkey,
    /// The price of one call, in base units.
    pub price: u64,
    /// The token's decimals.
    pub decimals: u8,
}

/// A quote the service issued: who will pay, and whether the call was served.
struct Quoted {
    owner: Pubkey,
    session_key: Pubkey,
    served: bool,
}

/// The quotes by reference, and how many calls were served.
#[derive(Default)]
struct Ledger {
    quotes: HashMap<[u8; 16], Quoted>,
    served: u32,
}

/// A loopback HTTP service selling `GET /forecast` (std only: one thread, one connection at a
/// time). Stopped when dropped.
pub struct Service {
    /// Where it listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Service {
    /// Starts the service on a free loopback port; it verifies payments through the JSON-RPC
    /// endpoint at `rpc_url`.
    pub fn start(rpc_url: &str, offer: Offer) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s, url) = (ledger.clone(), stop.clone(), rpc_url.to_owned());
        let thread = std::thread::spawn(move || {
            // The service has its own runtime and client: it shares nothing with the agents.
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let client = SessionClient::new(&url);
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let (status, body) = match read_request(&mut stream) {
                    Ok(request) => runtime.block_on(handle(&client, &offer, &l, &request)),
                    Err(e) => (400, json!({ "error": e })),
                };
                let _ = write_response(&mut stream, status, &body);
            }
        });
        Ok(Self {
            addr,
            ledger,
            stop,
            thread: Some(thread),
        })
    }

    /// How many calls were served (paid for and answered).
    pub fn served(&self) -> u32 {
        self.ledger.lock().map_or(0, |l| l.served)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread up so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A request's path and headers (names lower-cased).
struct Request {
    path: String,
    headers: HashMap<String, String>,
}

fn read_request(stream: &mut TcpStream) -> Result<Request, String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut words = line.split_whitespace();
    let (Some("GET"), Some(path)) = (words.next(), words.next()) else {
        return Err(format!("expected a GET request, got {:?}", line.trim()));
    };
    let path = path.to_owned();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            break;
        }
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break; // the empty line that ends the headers
        };
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    Ok(Request { path, headers })
}

fn write_response(stream: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        402 => "Payment Required",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Error",
    };
    let body = body.to_string();
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// A fresh, unpredictable 16-byte reference: the first half of a new ed25519 public key (its
/// seed comes from the operating system's random source).
fn fresh_reference() -> [u8; 16] {
    let key = Keypair::new().pubkey().to_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&key[..16]);
    out
}

fn header_key(request: &Request, name: &str) -> Result<Pubkey, (u16, Value)> {
    request
        .headers
        .get(name)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            (
                400,
                json!({ "error": format!("header {name}: a base58 public key is required") }),
            )
        })
}

/// Answers one request: a quote (402), the call (200), or why not.
async fn handle(
    client: &SessionClient,
    offer: &Offer,
    ledger: &Mutex<Ledger>,
    request: &Request,
) -> (u16, Value) {
    if request.path != "/forecast" {
        return (404, json!({ "error": "only GET /forecast is sold here" }));
    }
    let Some(payment) = request.headers.get("x-payment") else {
        // No payment yet: quote a price with a fresh reference, bound to the payer.
        let (owner, session_key) = match (
            header_key(request, "x-owner"),
            header_key(request, "x-session-key"),
        ) {
            (Ok(o), Ok(k)) => (o, k),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let reference = fresh_reference();
        if let Ok(mut l) = ledger.lock() {
            l.quotes.insert(
                reference,
                Quoted {
                    owner,
                    session_key,
                    served: false,
                },
            );
        }
        return (
            402,
            json!({
                "amount": offer.price,
                "decimals": offer.decimals,
                "mint": offer.mint.to_string(),
                "payTo": offer.pay_to.to_string(),
                "reference": hex(&reference),
            }),
        );
    };
    match verify(client, offer, ledger, payment).await {
        Ok(reference) => (
            200,
            json!({ "forecast": "sunny, 21 °C", "reference": hex(&reference) }),
        ),
        Err(e) => e,
    }
}

/// Checks the payment `signature` from its transaction's `TokenTransferred` event alone, and
/// marks its quote served. Returns the quote's reference.
async fn verify(
    client: &SessionClient,
    offer: &Offer,
    ledger: &Mutex<Ledger>,
    signature: &str,
) -> Result<[u8; 16], (u16, Value)> {
    let refuse = |status: u16, why: String| (status, json!({ "error": why }));
    let signature: Signature = signature
        .parse()
        .map_err(|_| refuse(400, "X-Payment: not a transaction signature".into()))?;
    let outcome = client
        .outcome(&signature)
        .await
        .map_err(|e| refuse(402, format!("payment {signature} not found: {e}")))?;
    if let Some(err) = outcome.err {
        return Err(refuse(402, format!("payment {signature} failed: {err}")));
    }
    let mut ledger = ledger
        .lock()
        .map_err(|_| refuse(500, "ledger poisoned".into()))?;
    for event in outcome.events {
        let SessionEvent::TokenTransferred(e) = event else {
            continue;
        };
        let Some(reference) = e
            .reference
            .as_deref()
            .and_then(|r| <[u8; 16]>::try_from(r).ok())
        else {
            continue;
        };
        let Some(quote) = ledger.quotes.get_mut(&reference) else {
            continue;
        };
        let why = if e.mint != offer.mint {
            Some(format!("paid in {}, not {}", e.mint, offer.mint))
        } else if e.to != offer.pay_to {
            Some(format!("paid to {}, not {}", e.to, offer.pay_to))
        } else if e.amount != offer.price {
            Some(format!("paid {}, the price is {}", e.amount, offer.price))
        } else if e.owner != quote.owner
            || e.session != pda::session(&quote.owner, &quote.session_key).0
        {
            Some("paid through another owner's or key's session than quoted".into())
        } else {
            None
        };
        if let Some(why) = why {
            return Err(refuse(402, why));
        }
        if quote.served {
            return Err(refuse(409, "this payment was already served".into()));
        }
        quote.served = true;
        ledger.served += 1;
        return Ok(reference);
    }
    Err(refuse(
        402,
        format!("transaction {signature} pays none of our quotes"),
    ))
}
