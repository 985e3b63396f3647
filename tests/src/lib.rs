//! Fixtures of the runtime tests, over the shared harness.
//!
//! The runtime itself (program-test setup, syscall stubs, heap counting, [`TestEnv`], the
//! target programs' builders, lookup tables) lives in `session-keys-harness`, which the
//! localnet and the demo use too; it is re-exported here whole, so a test imports everything
//! from this crate. What only tests need stays here: [`fakes`], the accounts an attacker
//! plants.
// solana-program-test 3.1 marks its whole API "unstable" (deprecated); it is the harness the
// project is built on, pinned to an exact version.
#![allow(deprecated)]
pub use session_keys_harness::*;
pub use session_keys_harness::{alt, client, heap, stubs, targets};

pub mod fakes;

pub use fakes::PlantFakes;
