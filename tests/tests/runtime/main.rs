//! Runtime tests: every instruction runs inside a real bank (see `session_keys_tests`).
#![allow(deprecated)]

mod attacks_guardrails;
mod attacks_round3;
mod attacks_round3_accounting;
mod budgets;
mod caps_and_uses;
mod close_session;
mod crafted_accounts;
mod create_session;
mod duplicates_and_limits;
mod events;
mod events_more;
mod execute;
mod execute_accounting;
mod execute_attacks;
mod expiry_edges;
mod forged_grant;
mod game_funded_player;
mod golden;
mod heap;
mod message_grant;
mod policy_edges;
mod preview;
mod rate_limits;
mod references;
mod rent_payer;
mod revoke;
mod rules_at_runtime;
mod sizes;
mod substitution;
mod token_2022_extensions;
mod transfer_sol;
mod transfer_token;
mod vault;
mod verify;
