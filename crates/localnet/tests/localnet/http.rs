//! The HTTP clients actually send is understood: keep-alive and pipelined requests, chunked
//! bodies, `Expect: 100-continue`, HTTP/1.0, a browser's CORS preflight, and malformed input
//! answered with an error instead of a hang.
use localnet::{Localnet, MAX_HEAD};
use serde_json::Value;
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::Duration,
};

const HEALTH: &str = r#"{"jsonrpc":"2.0","id":1,"method":"getHealth"}"#;

/// A connection whose reads fail after 5 s instead of hanging.
fn connect(url: &str) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

/// One response: status, headers (names in lower case) and body (by `Content-Length`).
fn response(reader: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>, String) {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    (status, headers, String::from_utf8(body).unwrap())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn post(body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: localnet\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn healthy(body: &str) -> bool {
    serde_json::from_str::<Value>(body).unwrap()["result"] == "ok"
}

/// The connection was closed by the server.
fn closed(reader: &mut BufReader<TcpStream>) -> bool {
    let mut rest = Vec::new();
    matches!(reader.read_to_end(&mut rest), Ok(0))
}

#[test]
fn the_http_clients_send_is_understood() {
    let net = Localnet::start(0).unwrap();
    let url = net.url();

    // Keep-alive: requests one after another on one connection, then two pipelined at once.
    let (mut s, mut r) = connect(url);
    for _ in 0..2 {
        s.write_all(post(HEALTH).as_bytes()).unwrap();
        let (status, headers, body) = response(&mut r);
        assert_eq!((status, header(&headers, "connection")), (200, None));
        assert!(healthy(&body), "{body}");
    }
    s.write_all(
        format!(
            "{}{}",
            post(HEALTH),
            post(r#"[{"jsonrpc":"2.0","id":7,"method":"getSlot"}]"#)
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(healthy(&response(&mut r).2));
    let batch: Value = serde_json::from_str(&response(&mut r).2).unwrap();
    assert_eq!(batch[0]["id"], 7);

    // A chunked body.
    let (half, rest) = HEALTH.split_at(10);
    s.write_all(
        format!(
            "POST / HTTP/1.1\r\nHost: localnet\r\nTransfer-Encoding: chunked\r\n\r\n\
             {:x}\r\n{half}\r\n{:x};ext=1\r\n{rest}\r\n0\r\n\r\n",
            half.len(),
            rest.len()
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(healthy(&response(&mut r).2));

    // `Expect: 100-continue`: the body is sent once the server asks for it.
    s.write_all(
        format!(
            "POST / HTTP/1.1\r\nHost: localnet\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            HEALTH.len()
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(response(&mut r).0, 100);
    s.write_all(HEALTH.as_bytes()).unwrap();
    assert!(healthy(&response(&mut r).2));

    // A browser's preflight, then `GET /health`; another GET is not allowed.
    s.write_all(
        b"OPTIONS / HTTP/1.1\r\nHost: localnet\r\nOrigin: http://page\r\n\
          Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
    )
    .unwrap();
    let (status, headers, _) = response(&mut r);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert!(header(&headers, "access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
    s.write_all(b"GET /health HTTP/1.1\r\nHost: localnet\r\n\r\n")
        .unwrap();
    assert_eq!(response(&mut r).2, "ok");
    s.write_all(b"GET /other HTTP/1.1\r\nHost: localnet\r\n\r\n")
        .unwrap();
    assert_eq!(response(&mut r).0, 405);
    assert!(closed(&mut r));

    // HTTP/1.0: answered, then closed.
    let (mut s, mut r) = connect(url);
    s.write_all(
        format!(
            "POST / HTTP/1.0\r\nContent-Length: {}\r\n\r\n{HEALTH}",
            HEALTH.len()
        )
        .as_bytes(),
    )
    .unwrap();
    let (status, headers, body) = response(&mut r);
    assert_eq!(
        (status, header(&headers, "connection")),
        (200, Some("close"))
    );
    assert!(healthy(&body));
    assert!(closed(&mut r));

    // Malformed or oversized heads get a JSON-RPC error and a closed connection.
    for (head, status) in [
        ("NONSENSE\r\n\r\n".to_owned(), 400),
        (
            "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n".to_owned(),
            400,
        ),
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n".to_owned(),
            501,
        ),
        (
            format!("POST / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "x".repeat(MAX_HEAD)),
            431,
        ),
    ] {
        let (mut s, mut r) = connect(url);
        s.write_all(head.as_bytes()).unwrap();
        let (got, _, body) = response(&mut r);
        assert_eq!(got, status, "{body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], -32600, "{error}");
        assert!(closed(&mut r));
    }
}
