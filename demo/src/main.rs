//! `cargo run -p demo`: the story, narrated; exits non-zero if any step misbehaves.
#[tokio::main]
async fn main() {
    // The runtime logs every program invocation at debug level; keep the story readable unless
    // the reader asks for them (`RUST_LOG=debug cargo run -p demo`).
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    if let Err(e) = demo::run().await {
        eprintln!("\nDEMO FAILED: {e}");
        std::process::exit(1);
    }
}
