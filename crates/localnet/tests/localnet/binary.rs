//! The `localnet` binary: prints its URL and programs, serves, and exits 0 on Ctrl-C.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

#[test]
fn binary_serves_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_localnet"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().expect("localnet printed its URL").unwrap();
        if let Some(url) = line.strip_prefix("localnet ready: ") {
            break url.to_owned();
        }
        printed.push(line);
    };
    let printed = printed.join("\n");
    assert!(printed.contains(&session_keys::ID.to_string()), "{printed}");
    assert!(printed.contains("in memory"), "{printed}");

    let version = crate::common::call(&url, "getVersion", serde_json::json!([]));
    assert_eq!(version["result"]["solana-core"], "3.1.12");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success(), "exits 0 on Ctrl-C");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(rest.last().map(String::as_str), Some("localnet: stopped"));

    let bad = Command::new(env!("CARGO_BIN_EXE_localnet"))
        .args(["--port", "nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
