//! Localnet tests, one binary: clients no one here wrote (`RpcClient`, `PubsubClient`), bad
//! input, clients that stall, and the `localnet` binary itself.
#![allow(deprecated)]
mod binary;
mod clients;
mod common;
mod errors;
mod http;
mod kora_methods;
mod stalls;
