//! Runtime tests: every instruction runs inside a real bank (see `session_keys_tests`).
#![allow(deprecated)]

mod attacks_round3;
mod close_session;
mod crafted_accounts;
mod create_session;
mod duplicates_and_limits;
mod events;
mod execute;
mod execute_accounting;
mod execute_attacks;
mod golden;
mod heap;
mod message_grant;
mod policy_edges;
mod revoke;
mod sizes;
mod substitution;
mod token_2022_extensions;
mod transfer_sol;
mod transfer_token;
mod vault;
mod verify;
