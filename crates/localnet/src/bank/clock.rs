//! Time on the bank: the Clock sysvar's unix time (the machine's clock, or frozen by
//! `localnet_setClock`), slots, block height, epochs and blockhashes.
use super::{internal, Bank, Notice};
use crate::rpc;
use jsonrpc_core::{Error, Result};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentLevel;
use solana_sdk::{
    clock::Clock,
    hash::Hash,
    message::{Message, VersionedMessage},
    signature::Signature,
    signer::Signer,
    transaction::{TransactionError, VersionedTransaction},
};

/// How the Clock sysvar's unix time is chosen.
#[derive(Clone, Copy, Debug)]
pub(super) enum ClockMode {
    /// The machine's clock plus an offset (the default: time flows like on a real cluster).
    Wall { offset: i64 },
    /// Fixed at a value set by `localnet_setClock`, until the next call.
    Frozen(i64),
}

impl ClockMode {
    pub(super) fn now(self) -> i64 {
        match self {
            ClockMode::Wall { offset } => wall_clock().saturating_add(offset),
            ClockMode::Frozen(t) => t,
        }
    }
}

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Bank {
    /// Moves the Clock sysvar to the chosen unix time if it is not there.
    pub(super) async fn sync_clock(&mut self) -> Result<()> {
        let clock = self.clock_sysvar().await?;
        let now = self.clock.now();
        if clock.unix_timestamp != now {
            self.ctx.set_sysvar(&Clock {
                unix_timestamp: now,
                ..clock
            });
        }
        Ok(())
    }

    async fn clock_sysvar(&self) -> Result<Clock> {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .map_err(internal)
    }

    pub(super) async fn slot(&self) -> Result<u64> {
        self.ctx
            .banks_client
            .get_root_slot()
            .await
            .map_err(internal)
    }

    pub(super) async fn block_height(&self) -> Result<u64> {
        self.ctx
            .banks_client
            .get_root_block_height()
            .await
            .map_err(internal)
    }

    pub(super) async fn latest_blockhash(&self) -> Result<(Hash, u64)> {
        self.ctx
            .banks_client
            .get_latest_blockhash_with_commitment(CommitmentLevel::Processed)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("no blockhash"))
    }

    /// Asks the bank itself: a transaction with no instruction and this blockhash is simulated,
    /// and the bank refuses it only if the blockhash is unknown or too old.
    pub(super) async fn blockhash_is_valid(&self, hash: Hash) -> Result<bool> {
        let payer = self.ctx.payer.pubkey();
        let message = Message::new_with_blockhash(&[], Some(&payer), &hash);
        let tx = VersionedTransaction {
            signatures: vec![Signature::default()],
            message: VersionedMessage::Legacy(message),
        };
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(internal)?;
        Ok(!matches!(
            sim.result,
            Some(Err(TransactionError::BlockhashNotFound))
        ))
    }

    pub(super) async fn epoch_info(&self) -> Result<Value> {
        let slot = self.slot().await?;
        let schedule = &self.ctx.genesis_config().epoch_schedule;
        let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
        Ok(json!({
            "epoch": epoch,
            "slotIndex": slot_index,
            "slotsInEpoch": schedule.get_slots_in_epoch(epoch),
            "absoluteSlot": slot,
            "blockHeight": self.block_height().await?,
            "transactionCount": self.transaction_count,
        }))
    }

    /// Warps the bank to `slot` (a fresh blockhash each time), keeping the chosen unix time.
    pub(super) async fn advance_slot(&mut self, slot: u64) -> Result<()> {
        let parent = self.slot().await?;
        self.ctx
            .warp_to_slot(slot)
            .map_err(|e| Error::invalid_params(format!("cannot warp to slot {slot}: {e:?}")))?;
        self.sync_clock().await?;
        let _ = self.notices.send(Notice::Slot { slot, parent });
        Ok(())
    }

    pub(super) async fn set_clock(&mut self, params: rpc::SetClock) -> Result<Value> {
        if let Some(slot) = params.slot {
            let current = self.slot().await?;
            if slot <= current {
                return Err(Error::invalid_params(format!(
                    "slot must move forward: current slot is {current}, asked for {slot}"
                )));
            }
        }
        match (params.unix_timestamp, params.wall_clock) {
            (Some(_), true) => {
                return Err(Error::invalid_params(
                    "give either unixTimestamp (freeze the clock there) or wallClock: true",
                ))
            }
            (Some(t), false) => self.clock = ClockMode::Frozen(t),
            (None, true) => self.clock = ClockMode::Wall { offset: 0 },
            (None, false) => {}
        }
        if let Some(slot) = params.slot {
            self.advance_slot(slot).await?;
        }
        self.sync_clock().await?;
        let clock = self.clock_sysvar().await?;
        Ok(json!({
            "slot": clock.slot,
            "epoch": clock.epoch,
            "unixTimestamp": clock.unix_timestamp,
            "frozen": matches!(self.clock, ClockMode::Frozen(_)),
        }))
    }
}
