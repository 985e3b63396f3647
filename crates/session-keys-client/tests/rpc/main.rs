//! The `rpc` feature against a localnet started by each test (one binary, one link).
#[allow(dead_code)]
#[path = "../../examples/bot.rs"]
mod bot_example;

mod bot;
mod gasless;
mod revoke_all;
mod sessions;
