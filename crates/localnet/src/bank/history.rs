//! What was sent: every processed transaction, kept for `getSignatureStatuses`,
//! `getTransaction` and `getSignaturesForAddress` (newest first, as a node answers).
use super::{internal, signature_param, Bank};
use crate::rpc;
use jsonrpc_core::{Error, Result};
use serde_json::Value;
use solana_rpc_client_api::{
    config::{RpcSignaturesForAddressConfig, RpcTransactionConfig},
    custom_error::RpcCustomError,
    response::RpcConfirmedTransactionStatusWithSignature,
};
use solana_sdk::{
    message::VersionedMessage, pubkey::Pubkey, signature::Signature,
    transaction::VersionedTransaction,
};
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, EncodedTransaction,
    EncodedTransactionWithStatusMeta, TransactionBinaryEncoding, TransactionConfirmationStatus,
    TransactionStatus, TransactionStatusMeta, UiAddressTableLookup, UiCompiledInstruction,
    UiMessage, UiRawMessage, UiTransaction, UiTransactionEncoding, UiTransactionStatusMeta,
};

/// Most signatures `getSignaturesForAddress` returns, as on a real node.
const MAX_SIGNATURES_FOR_ADDRESS: usize = 1000;

/// A processed transaction, kept for `getTransaction` and `getSignatureStatuses`.
pub(super) struct Record {
    /// Every account of the transaction (static, then loaded), for `getSignaturesForAddress`.
    pub(super) keys: Vec<Pubkey>,
    pub(super) slot: u64,
    pub(super) block_time: i64,
    pub(super) transaction: VersionedTransaction,
    pub(super) meta: TransactionStatusMeta,
}

impl Bank {
    pub(super) fn status(&self, sig: &Signature) -> Option<TransactionStatus> {
        let r = self.history.get(sig)?;
        Some(TransactionStatus {
            slot: r.slot,
            confirmations: None,
            status: r.meta.status.clone(),
            err: r.meta.status.clone().err(),
            confirmation_status: Some(TransactionConfirmationStatus::Finalized),
        })
    }

    pub(super) fn transaction(
        &self,
        sig: &Signature,
        config: RpcTransactionConfig,
    ) -> Result<Value> {
        let Some(r) = self.history.get(sig) else {
            return Ok(Value::Null);
        };
        let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
        let version = match (
            &r.transaction.message,
            config.max_supported_transaction_version,
        ) {
            (VersionedMessage::V0(_), None) => {
                return Err(RpcCustomError::UnsupportedTransactionVersion(0).into())
            }
            (_, None) => None,
            (_, Some(_)) => Some(r.transaction.version()),
        };
        let transaction = match encoding {
            UiTransactionEncoding::Json => EncodedTransaction::Json(ui_transaction(&r.transaction)),
            UiTransactionEncoding::Base64 | UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
                let bytes = bincode::serialize(&r.transaction).map_err(internal)?;
                match encoding {
                    UiTransactionEncoding::Base64 => {
                        use base64::Engine;
                        EncodedTransaction::Binary(
                            base64::engine::general_purpose::STANDARD.encode(bytes),
                            TransactionBinaryEncoding::Base64,
                        )
                    }
                    UiTransactionEncoding::Base58 => EncodedTransaction::Binary(
                        bs58::encode(bytes).into_string(),
                        TransactionBinaryEncoding::Base58,
                    ),
                    _ => EncodedTransaction::LegacyBinary(bs58::encode(bytes).into_string()),
                }
            }
            UiTransactionEncoding::JsonParsed => {
                return Err(Error::invalid_params(
                    "localnet: getTransaction supports json, base64 and base58 encodings, not jsonParsed",
                ))
            }
        };
        let mut meta = UiTransactionStatusMeta::from(r.meta.clone());
        if version.is_none() {
            meta.loaded_addresses =
                solana_transaction_status_client_types::option_serializer::OptionSerializer::Skip;
        }
        rpc::to_value(EncodedConfirmedTransactionWithStatusMeta {
            slot: r.slot,
            transaction: EncodedTransactionWithStatusMeta {
                transaction,
                meta: Some(meta),
                version,
            },
            block_time: Some(r.block_time),
        })
    }

    /// Newest first, as a node answers: `before` and `until` are exclusive, `limit` at most
    /// 1,000.
    pub(super) fn signatures_for(
        &self,
        address: &Pubkey,
        config: RpcSignaturesForAddressConfig,
    ) -> Result<Value> {
        let limit = config.limit.unwrap_or(MAX_SIGNATURES_FOR_ADDRESS);
        if limit == 0 || limit > MAX_SIGNATURES_FOR_ADDRESS {
            return Err(Error::invalid_params(format!(
                "Invalid limit; max {MAX_SIGNATURES_FOR_ADDRESS}"
            )));
        }
        let before = config.before.as_deref().map(signature_param).transpose()?;
        let until = config.until.as_deref().map(signature_param).transpose()?;
        let mut newest_first = self.order.iter().rev();
        let mut out = Vec::new();
        if let Some(before) = before {
            // Start after `before`; an unknown signature gives nothing, as on a node.
            if !newest_first.any(|s| *s == before) {
                return rpc::to_value(out);
            }
        }
        for sig in newest_first {
            if Some(*sig) == until || out.len() == limit {
                break;
            }
            let Some(r) = self.history.get(sig) else {
                continue;
            };
            if r.keys.contains(address) {
                out.push(RpcConfirmedTransactionStatusWithSignature {
                    signature: sig.to_string(),
                    slot: r.slot,
                    err: r.meta.status.clone().err().map(Into::into),
                    memo: None,
                    block_time: Some(r.block_time),
                    confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                });
            }
        }
        rpc::to_value(out)
    }
}

/// The `json` encoding of a transaction: the raw message, as a real node returns it.
fn ui_transaction(tx: &VersionedTransaction) -> UiTransaction {
    let message = &tx.message;
    UiTransaction {
        signatures: tx.signatures.iter().map(ToString::to_string).collect(),
        message: UiMessage::Raw(UiRawMessage {
            header: *message.header(),
            account_keys: message
                .static_account_keys()
                .iter()
                .map(ToString::to_string)
                .collect(),
            recent_blockhash: message.recent_blockhash().to_string(),
            instructions: message
                .instructions()
                .iter()
                .map(|ix| UiCompiledInstruction::from(ix, None))
                .collect(),
            address_table_lookups: message
                .address_table_lookups()
                .map(|l| l.iter().map(UiAddressTableLookup::from).collect()),
        }),
    }
}
