//! v0 transactions with an address lookup table: the road bots and games take once a session
//! lives long enough to be worth a table (the Rust client's `create_lookup_table` builds one
//! over RPC). Used to measure sizes and heap on that road.
use super::TestEnv;
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use solana_sdk::{
    account::Account,
    hash::Hash,
    message::{v0, AddressLookupTableAccount, VersionedMessage},
    signature::Keypair,
    signer::Signer,
    transaction::VersionedTransaction,
};

/// The Address Lookup Table program.
pub const ALT_PROGRAM: Pubkey = solana_sdk::pubkey!("AddressLookupTab1e1111111111111111111111111");

impl TestEnv {
    /// Writes an address lookup table holding `addresses` (extended in slot 0, so active now).
    pub async fn lookup_table(&mut self, addresses: Vec<Pubkey>) -> AddressLookupTableAccount {
        assert!(addresses.len() <= 256);
        // `LookupTableMeta` (56 bytes): state tag 1 (lookup table), deactivation slot u64::MAX,
        // last extended slot 0, start index 0, no authority, padding; then the addresses.
        let mut data = vec![0u8; 56];
        data[0..4].copy_from_slice(&1u32.to_le_bytes());
        data[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
        for a in &addresses {
            data.extend_from_slice(a.as_ref());
        }
        let key = Pubkey::new_unique();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let account = Account {
            lamports: rent.minimum_balance(data.len()),
            data,
            owner: ALT_PROGRAM,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(&key, &account.into());
        if self.clock().await.slot == 0 {
            self.ctx.warp_to_slot(2).expect("warp");
        }
        AddressLookupTableAccount { key, addresses }
    }
}

/// A v0 transaction of `ixs` paid by `signers[0]`, every other key looked up in `table`.
pub fn v0_tx(
    ixs: &[Instruction],
    signers: &[&Keypair],
    table: &AddressLookupTableAccount,
    blockhash: Hash,
) -> VersionedTransaction {
    let message = v0::Message::try_compile(
        &signers[0].pubkey(),
        ixs,
        std::slice::from_ref(table),
        blockhash,
    )
    .expect("compiles");
    VersionedTransaction::try_new(VersionedMessage::V0(message), signers).expect("signs")
}

/// Every non-signer key of `ixs` but the top-level program ids: what a lookup table can hold.
pub fn lookup_keys(ixs: &[Instruction]) -> Vec<Pubkey> {
    let programs: Vec<Pubkey> = ixs.iter().map(|i| i.program_id).collect();
    let mut keys: Vec<Pubkey> = Vec::new();
    for m in ixs.iter().flat_map(|i| &i.accounts) {
        if !m.is_signer && !programs.contains(&m.pubkey) && !keys.contains(&m.pubkey) {
            keys.push(m.pubkey);
        }
    }
    keys
}

/// Wire size of a transaction: signature count, signatures, message.
pub fn tx_bytes(tx: &VersionedTransaction) -> usize {
    1 + 64 * tx.signatures.len() + tx.message.serialize().len()
}
