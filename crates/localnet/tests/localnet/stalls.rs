//! Idle clients cannot stall the server: connections that announce a body and never send it,
//! send it a byte at a time, or never finish their headers leave every other request answered
//! at once, and each gets HTTP 408 with a JSON-RPC error when its deadline passes.
//!
//! Every read here has its own timeout, so a server that stalls fails the test instead of
//! hanging it.
use localnet::{Localnet, BODY_DEADLINE, HEAD_DEADLINE};
use serde_json::Value;
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

/// Longest wait for a request that nothing stalls.
const PROMPT: Duration = Duration::from_secs(3);

fn connect(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("http://")).unwrap()
}

/// A connection that sent `head` and nothing more.
fn stalled(url: &str, head: &str) -> TcpStream {
    let mut stream = connect(url);
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

fn announcing(length: usize, extra: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localnet\r\nContent-Type: application/json\r\n{extra}\
         Content-Length: {length}\r\n\r\n"
    )
}

/// Reads a response until the server closes the connection, for at most `limit`: the status,
/// the body and when it was complete. `None` if nothing complete came in time.
fn response(stream: &mut TcpStream, limit: Duration) -> Option<(u16, String, Instant)> {
    let end = Instant::now() + limit;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = end.checked_duration_since(Instant::now())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None
            }
            // Reset after a complete answer: the server closed without reading the rest.
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!("{e}"),
        }
    }
    let text = String::from_utf8(raw).ok()?;
    // An interim `100 Continue` may come first.
    let text = text
        .strip_prefix("HTTP/1.1 100 Continue\r\n\r\n")
        .unwrap_or(&text);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body, Instant::now()))
}

/// One JSON-RPC call on a fresh connection, answered within [`PROMPT`] or `None`.
fn call_promptly(url: &str, method: &str) -> Option<Value> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}"}}"#);
    let mut stream = stalled(
        url,
        &format!("{}{body}", announcing(body.len(), "Connection: close\r\n")),
    );
    let (status, body, _) = response(&mut stream, PROMPT)?;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).ok()
}

#[test]
fn idle_clients_cannot_stall_the_server() {
    let net = Localnet::start(0).unwrap();
    let url = net.url();
    let start = Instant::now();
    // Eight connections announce a body, small and large, and never send it; one more asks for
    // `100 Continue` first.
    let mut bodies: Vec<TcpStream> = (0..8)
        .map(|i| stalled(url, &announcing(if i % 2 == 0 { 100 } else { 4096 }, "")))
        .collect();
    bodies.push(stalled(url, &announcing(100, "Expect: 100-continue\r\n")));
    // One sends its body a byte every 300 ms (100 bytes would take 30 s): a deadline, not a
    // timeout per read, stops it.
    let mut dribble = stalled(url, &announcing(100, ""));
    let mut writer = dribble.try_clone().unwrap();
    let dribbler = std::thread::spawn(move || {
        while writer.write_all(b" ").is_ok() {
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    // One never finishes its headers.
    let mut head = stalled(url, "POST / HTTP/1.1\r\nHost: localnet\r\nContent-");

    // Meanwhile, anyone else is answered at once.
    for method in ["getHealth", "getSlot", "getHealth"] {
        let answer = call_promptly(url, method)
            .unwrap_or_else(|| panic!("{method} not answered within {PROMPT:?}"));
        assert!(answer.get("result").is_some(), "{answer}");
    }

    // Each stalled connection gets 408 with a JSON-RPC error once its deadline passed, then is
    // closed.
    let limit = BODY_DEADLINE.max(HEAD_DEADLINE) + PROMPT;
    for (i, stream) in bodies.iter_mut().chain([&mut dribble]).enumerate() {
        let (status, body, at) =
            response(stream, limit).unwrap_or_else(|| panic!("connection {i}: no answer"));
        assert_eq!(status, 408, "connection {i}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], -32600, "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("within {} s", BODY_DEADLINE.as_secs())),
            "{error}"
        );
        assert!(
            at - start >= BODY_DEADLINE,
            "connection {i}: answered early"
        );
    }
    let (status, body, at) = response(&mut head, limit).expect("headers: no answer");
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("headers"), "{body}");
    assert!(at - start >= HEAD_DEADLINE);
    dribbler.join().unwrap();

    assert!(call_promptly(url, "getHealth").is_some(), "still serving");
}

fn chunked(extra: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localnet\r\nContent-Type: application/json\r\n{extra}\
         Transfer-Encoding: chunked\r\n\r\n"
    )
}

#[test]
fn a_stalled_chunked_body_gets_408_at_the_body_deadline() {
    let net = Localnet::start(0).unwrap();
    let url = net.url();
    let start = Instant::now();
    // Chunked bodies that stop partway, then send nothing: a chunk announced and cut short,
    // one whose size line never ends, one whole chunk with no last chunk after it, and a
    // partial chunk after `100 Continue`.
    let json = r#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#;
    let size = format!("{:x}\r\n", json.len());
    let partial = format!("{size}{}", &json[..json.len() / 2]);
    let mut streams: Vec<TcpStream> = [
        format!("{}{partial}", chunked("")),
        format!("{}{}", chunked(""), &size[..1]),
        format!("{}{size}{json}\r\n", chunked("")),
        format!("{}{partial}", chunked("Expect: 100-continue\r\n")),
    ]
    .iter()
    .map(|request| stalled(url, request))
    .collect();

    // Meanwhile, anyone else is answered at once, before the stalled bodies' deadline: the
    // same chunked request sent whole among them.
    let mut whole = stalled(
        url,
        &format!(
            "{}{size}{json}\r\n0\r\n\r\n",
            chunked("Connection: close\r\n")
        ),
    );
    let (status, body, _) = response(&mut whole, PROMPT).expect("whole chunked body: no answer");
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["result"], "ok", "{answer}");
    for method in ["getHealth", "getSlot", "getHealth"] {
        let answer = call_promptly(url, method)
            .unwrap_or_else(|| panic!("{method} not answered within {PROMPT:?}"));
        assert!(answer.get("result").is_some(), "{answer}");
    }
    assert!(
        start.elapsed() < BODY_DEADLINE,
        "others were not served while the chunked bodies stalled"
    );

    // Each stalled body gets 408 with a JSON-RPC error (-32600) once the deadline passed, and
    // within a few seconds of it.
    for (i, stream) in streams.iter_mut().enumerate() {
        let (status, body, at) = response(stream, BODY_DEADLINE + PROMPT).unwrap_or_else(|| {
            panic!("chunked {i}: no answer within {:?}", BODY_DEADLINE + PROMPT)
        });
        assert_eq!(status, 408, "chunked {i}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], -32600, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("body")
                && message.contains(&format!("within {} s", BODY_DEADLINE.as_secs())),
            "chunked {i}: {error}"
        );
        let elapsed = at - start;
        assert!(
            elapsed >= BODY_DEADLINE,
            "chunked {i}: answered early, after {elapsed:?}"
        );
        assert!(
            elapsed <= BODY_DEADLINE + PROMPT,
            "chunked {i}: answered late, after {elapsed:?}"
        );
    }

    assert!(call_promptly(url, "getHealth").is_some(), "still serving");
}
