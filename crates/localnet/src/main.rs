//! `localnet [--port N]`: serves the session-keys programs over JSON-RPC until Ctrl-C.
use localnet::{programs, Localnet, DEFAULT_PORT};

const USAGE: &str = "usage: localnet [--port N]

Serves the session-keys programs (native build inside solana-program-test's bank) over
Solana JSON-RPC on http://127.0.0.1:N (default 8899) and PubSub on ws://127.0.0.1:N+1.
--port 0 picks free ports. State is in memory only. Ctrl-C (SIGINT) or SIGTERM stops it.";

fn parse_port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = DEFAULT_PORT;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?;
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(port)
}

fn main() {
    let port = match parse_port() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("localnet: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let localnet = match Localnet::start(port) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("localnet: cannot start on port {port}: {e}");
            std::process::exit(1);
        }
    };
    println!("JSON-RPC URL: {}", localnet.url());
    println!("WebSocket URL: {}", localnet.ws_url());
    println!(
        "Faucet (requestAirdrop pays from it): {}",
        localnet.faucet()
    );
    println!("Programs:");
    for (name, id) in programs() {
        println!("  {name:<28} {id}");
    }
    println!("State is in memory only: it is gone when localnet stops.");
    println!("localnet ready: {}", localnet.url());

    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("localnet: cannot create the signal runtime");
        std::process::exit(1);
    };
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
    println!("localnet: stopping");
    localnet.shutdown();
    println!("localnet: stopped");
}
