//! `cargo run -p demo`: the story, narrated; exits non-zero if any step misbehaves.
#[tokio::main]
async fn main() {
    if let Err(e) = demo::run().await {
        eprintln!("\nDEMO FAILED: {e}");
        std::process::exit(1);
    }
}
