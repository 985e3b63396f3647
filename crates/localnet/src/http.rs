//! JSON-RPC over HTTP/1.1: a small server on `std::net`, one thread per connection, in which
//! every read has a deadline; jsonrpc-core (the crate a real node's RPC service is built on)
//! parses the requests, answers batches and reports envelope errors, and every method is
//! forwarded to the bank thread.
//!
//! A client cannot stall it. A connection waits at most [`IDLE_TIMEOUT`] for a request; once a
//! request's first byte is in, its headers must be complete within [`HEAD_DEADLINE`] and the
//! body its `Content-Length` announces within [`BODY_DEADLINE`] of the headers (a deadline for
//! the whole body, not a timeout per read: a byte at a time does not extend it). A request
//! that misses its deadline is answered HTTP 408 with a JSON-RPC error (-32600) and its
//! connection closed; other connections are served meanwhile. (tiny_http, used before, has no
//! timeouts and reads a body in the thread that answers: four silent clients stopped every
//! worker.)
//!
//! Supported: `POST` of JSON-RPC (any path), `Content-Length` or chunked bodies up to
//! [`MAX_BODY`], `Expect: 100-continue`, keep-alive and pipelining, `OPTIONS` (CORS preflight),
//! `GET /health`. Every response carries the CORS headers a browser page needs.
use crate::BankHandle;
use jsonrpc_core::{IoHandler, Params};
use std::{
    collections::HashMap,
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, PoisonError,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// Largest request body accepted, in bytes. A transaction is at most 1,232 bytes (1,683 in
/// base58), so this leaves room for batches and 100-key `getMultipleAccounts` calls.
pub const MAX_BODY: usize = 64 * 1024;

/// Largest request head (request line and headers), in bytes.
pub const MAX_HEAD: usize = 16 * 1024;

/// Time a request's headers may take, from its first byte.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(5);

/// Time a request's body may take, from the end of its headers.
pub const BODY_DEADLINE: Duration = Duration::from_secs(5);

/// A connection with no request coming for this long is closed (a client's keep-alive pool
/// notices and reconnects).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Time a response may take to be written: a client that never reads cannot hold its thread.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// After an error that closes the connection, how long the rest of the request is read and
/// dropped, so that closing does not reset the connection before the client read the answer.
const LINGER: Duration = Duration::from_secs(1);

/// Every method the localnet answers.
pub const METHODS: &[&str] = &[
    "getVersion",
    "getHealth",
    "getGenesisHash",
    "getIdentity",
    "getSlot",
    "getBlockHeight",
    "getTransactionCount",
    "getEpochInfo",
    "getEpochSchedule",
    "getLatestBlockhash",
    "isBlockhashValid",
    "getFeeForMessage",
    "getMinimumBalanceForRentExemption",
    "getBalance",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getTokenAccountBalance",
    "requestAirdrop",
    "sendTransaction",
    "simulateTransaction",
    "getSignatureStatuses",
    "getTransaction",
    "getSignaturesForAddress",
    "getTokenAccountsByOwner",
    "localnet_setClock",
];

fn handler(bank: &BankHandle) -> IoHandler {
    let mut io = IoHandler::new();
    for method in METHODS {
        let bank = bank.clone();
        io.add_method(method, move |params: Params| {
            let bank = bank.clone();
            async move { bank.call(method, params).await }
        });
    }
    io
}

/// The JSON-RPC HTTP server: an accepting thread and one thread per open connection.
pub(crate) struct HttpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<HashMap<u64, TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Serves `listener` until [`stop`](Self::stop).
    pub(crate) fn start(listener: TcpListener, bank: &BankHandle) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<HashMap<u64, TcpStream>>> = Arc::default();
        let io = Arc::new(handler(bank));
        let (stopped, connections) = (stop.clone(), open.clone());
        let acceptor = std::thread::Builder::new()
            .name("localnet-http".into())
            .spawn(move || accept(&listener, &io, &stopped, &connections))?;
        Ok(Self {
            addr,
            stop,
            open,
            acceptor: Some(acceptor),
        })
    }

    /// Stops accepting, closes every open connection and waits for the accepting thread.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for stream in lock(&self.open).values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Wakes the accepting thread, which sees `stop`.
        if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
            if let Some(acceptor) = self.acceptor.take() {
                let _ = acceptor.join();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept(
    listener: &TcpListener,
    io: &Arc<IoHandler>,
    stop: &AtomicBool,
    open: &Arc<Mutex<HashMap<u64, TcpStream>>>,
) {
    let mut next_id = 0u64;
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) if stop.load(Ordering::SeqCst) => return,
            // Out of descriptors, say: try again shortly rather than spin.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let id = next_id;
        next_id += 1;
        {
            // Registered under the lock `stop` sweeps with: no connection escapes the sweep.
            let mut open = lock(open);
            if stop.load(Ordering::SeqCst) {
                return;
            }
            open.insert(id, handle);
        }
        let (io, connections) = (io.clone(), open.clone());
        let spawned = std::thread::Builder::new()
            .name("localnet-http-conn".into())
            .spawn(move || {
                serve(stream, &io);
                lock(&connections).remove(&id);
            });
        if spawned.is_err() {
            lock(open).remove(&id);
        }
    }
}

/// What a read waits for, and so how long it may take.
#[derive(Clone, Copy)]
enum Part {
    /// The first byte of the next request on a connection.
    Idle,
    /// A request's headers, from its first byte.
    Headers,
    /// A request's body, from the end of its headers.
    Body,
}

impl Part {
    fn limit(self) -> Duration {
        match self {
            Part::Idle => IDLE_TIMEOUT,
            Part::Headers => HEAD_DEADLINE,
            Part::Body => BODY_DEADLINE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Part::Idle => "next request",
            Part::Headers => "headers",
            Part::Body => "body",
        }
    }
}

/// Why a request could not be read.
enum Failed {
    /// The client closed the connection or it broke: nothing to answer.
    Gone,
    /// A deadline passed: 408.
    Late(Part),
    /// Malformed: 400, or another status.
    Refused(u16, String),
}

/// One connection's socket and the bytes read from it but not yet used.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Reads what is available into the buffer, waiting until `deadline` at most.
    fn fill(&mut self, deadline: Instant, part: Part) -> Result<(), Failed> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failed::Late(part));
        }
        self.stream
            .set_read_timeout(Some(left))
            .map_err(|_| Failed::Gone)?;
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(Failed::Gone),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(Failed::Late(part))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(_) => Err(Failed::Gone),
        }
    }

    /// The buffer's first `n` bytes, once they arrived before `deadline`.
    fn take(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, Failed> {
        while self.buf.len() < n {
            self.fill(deadline, Part::Body)?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// The next line (without its CRLF), no longer than `max`, before `deadline`.
    fn line(&mut self, max: usize, deadline: Instant) -> Result<String, Failed> {
        loop {
            if let Some(at) = find(&self.buf, b"\r\n") {
                let line = self.take(at + 2, deadline)?;
                return String::from_utf8(line[..at].to_vec()).map_err(|_| bad("not UTF-8"));
            }
            if self.buf.len() > max {
                return Err(bad("line too long"));
            }
            self.fill(deadline, Part::Body)?;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A request's line and headers (names in lower case).
struct Head {
    method: String,
    target: String,
    http_1_0: bool,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.split("\r\n");
        let mut line = lines.next()?.split(' ');
        let (method, target, version) = (line.next()?, line.next()?, line.next()?);
        if line.next().is_some() || !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
            return None;
        }
        let mut headers = Vec::new();
        for l in lines.filter(|l| !l.is_empty()) {
            let (name, value) = l.split_once(':')?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Some(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            http_1_0: version == "HTTP/1.0",
            headers,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the client keeps the connection open after this request.
    fn keep_alive(&self) -> bool {
        if self.http_1_0 {
            self.has_token("connection", "keep-alive")
        } else {
            !self.has_token("connection", "close")
        }
    }
}

/// A response about to be written.
struct Reply {
    status: u16,
    json: bool,
    body: String,
    /// Close the connection after it.
    close: bool,
}

impl Reply {
    fn json(status: u16, body: String) -> Self {
        Self {
            status,
            json: true,
            body,
            close: false,
        }
    }

    fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            json: false,
            body: body.to_owned(),
            close: false,
        }
    }

    /// A JSON-RPC error, after which the connection closes (the rest of the request was not
    /// read).
    fn error(status: u16, message: &str) -> Self {
        Self {
            close: true,
            ..Self::json(status, error_body(-32600, message))
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            413 => "Payload Too Large",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            _ => "",
        };
        let content_type = if self.json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST, GET, OPTIONS\r\n\
             Access-Control-Allow-Headers: content-type, solana-client\r\n\
             Access-Control-Max-Age: 86400\r\n{}\r\n",
            self.status,
            self.body.len(),
            if self.close {
                "Connection: close\r\n"
            } else {
                ""
            },
        )
        .into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

/// Serves one connection until the client closes it, a deadline passes or the server stops.
fn serve(stream: TcpStream, io: &IoHandler) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    loop {
        // The next request's first byte (it may already be buffered: pipelining).
        if conn.buf.is_empty()
            && conn
                .fill(Instant::now() + IDLE_TIMEOUT, Part::Idle)
                .is_err()
        {
            return;
        }
        let reply = match request(&mut conn, io) {
            Ok(reply) => reply,
            Err(Failed::Gone) => return,
            Err(Failed::Late(part)) => Reply::error(
                408,
                &format!(
                    "Invalid Request: the request's {} did not arrive within {} s",
                    part.name(),
                    part.limit().as_secs()
                ),
            ),
            Err(Failed::Refused(status, message)) => Reply::error(status, &message),
        };
        if conn.stream.write_all(&reply.bytes()).is_err() {
            return;
        }
        if reply.close {
            linger(&mut conn.stream);
            return;
        }
    }
}

/// Reads one request and answers it.
fn request(conn: &mut Conn, io: &IoHandler) -> Result<Reply, Failed> {
    let head_deadline = Instant::now() + HEAD_DEADLINE;
    let head_len = loop {
        if let Some(at) = find(&conn.buf, b"\r\n\r\n") {
            break at + 4;
        }
        if conn.buf.len() > MAX_HEAD {
            return Err(Failed::Refused(431, head_too_large()));
        }
        conn.fill(head_deadline, Part::Headers)?;
    };
    if head_len > MAX_HEAD {
        return Err(Failed::Refused(431, head_too_large()));
    }
    let head_bytes: Vec<u8> = conn.buf.drain(..head_len).collect();
    let head = Head::parse(&head_bytes).ok_or_else(|| bad("malformed request line or header"))?;
    let mut reply = match head.method.as_str() {
        "OPTIONS" => Reply::text(200, ""),
        "GET" if head.target == "/health" => Reply::text(200, "ok"),
        "POST" => {
            let body = body(conn, &head)?;
            match String::from_utf8(body) {
                Err(_) => Reply::json(200, error_body(-32700, "Parse error")),
                Ok(text) => Reply::json(200, io.handle_request_sync(&text).unwrap_or_default()),
            }
        }
        // A body we will not read may follow: close after answering.
        _ => Reply {
            close: true,
            ..Reply::text(405, "Method not allowed")
        },
    };
    reply.close |= !head.keep_alive();
    Ok(reply)
}

/// A JSON-RPC error with no id, as jsonrpc-core writes one.
fn error_body(code: i64, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": null,
    })
    .to_string()
}

fn bad(what: &str) -> Failed {
    Failed::Refused(400, format!("Invalid Request: {what}"))
}

fn too_large() -> Failed {
    Failed::Refused(
        413,
        format!("Invalid Request: request body larger than {MAX_BODY} bytes"),
    )
}

fn head_too_large() -> String {
    format!("Invalid Request: request headers larger than {MAX_HEAD} bytes")
}

/// The request's body, within [`BODY_DEADLINE`] of its headers.
fn body(conn: &mut Conn, head: &Head) -> Result<Vec<u8>, Failed> {
    let deadline = Instant::now() + BODY_DEADLINE;
    let chunked = match head.header("transfer-encoding") {
        None => false,
        Some(te) if te.to_ascii_lowercase().trim_end().ends_with("chunked") => true,
        Some(_) => {
            return Err(Failed::Refused(
                501,
                "Invalid Request: transfer encodings other than chunked are not supported".into(),
            ))
        }
    };
    let length = match (chunked, head.header("content-length")) {
        (true, _) | (false, None) => None,
        (false, Some(n)) => Some(
            n.parse::<usize>()
                .map_err(|_| bad("invalid Content-Length"))?,
        ),
    };
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    if head.has_token("expect", "100-continue") && conn.buf.is_empty() {
        conn.stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| Failed::Gone)?;
    }
    if !chunked {
        return conn.take(length.unwrap_or(0), deadline);
    }
    let mut body = Vec::new();
    loop {
        let line = conn.line(1024, deadline)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("invalid chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !conn.line(MAX_HEAD, deadline)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(too_large());
        }
        let chunk = conn.take(size + 2, deadline)?;
        if !chunk.ends_with(b"\r\n") {
            return Err(bad("malformed chunk"));
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Closes the sending side, then reads and drops what the client still sends for up to
/// [`LINGER`], so that the answer is not lost to a connection reset.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let end = Instant::now() + LINGER;
    let mut sink = [0u8; 8192];
    let mut dropped = 0usize;
    while dropped < 4 * MAX_BODY {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => dropped += n,
        }
    }
}
