//! Parameter handling shared by the methods: positional arguments with optional trailing
//! ones, and the binary decoding a real node applies to transactions and messages.
use base64::Engine;
use jsonrpc_core::{Error, Params, Result};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status_client_types::{TransactionBinaryEncoding, UiTransactionEncoding};

/// Largest packet a transaction may fill, in bytes.
const PACKET_DATA_SIZE: usize = 1232;
/// Longest base58 text of a packet.
const MAX_BASE58_SIZE: usize = 1683;
/// Longest base64 text of a packet.
const MAX_BASE64_SIZE: usize = 1644;

/// Positional parameters. `Params::None` counts as no argument; named parameters are refused,
/// as on a real node.
pub struct Args(Vec<Value>);

impl Args {
    /// Checks the shape of `params`.
    pub fn new(params: Params) -> Result<Self> {
        match params {
            Params::None => Ok(Self(Vec::new())),
            Params::Array(v) => Ok(Self(v)),
            Params::Map(_) => Err(Error::invalid_params(
                "Invalid params: expected an array of positional parameters",
            )),
        }
    }

    /// The required argument at `i`.
    pub fn req<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        let v = self.0.get(i).ok_or_else(|| {
            Error::invalid_params(format!("Invalid params: missing parameter {i}"))
        })?;
        serde_json::from_value(v.clone())
            .map_err(|e| Error::invalid_params(format!("Invalid params: parameter {i}: {e}")))
    }

    /// The optional argument at `i` (absent or `null` is `None`).
    pub fn opt<T: DeserializeOwned>(&self, i: usize) -> Result<Option<T>> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.req(i).map(Some),
        }
    }
}

/// Serializes a response value.
pub fn to_value(v: impl Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error {
        code: jsonrpc_core::ErrorCode::InternalError,
        message: format!("Internal error: {e}"),
        data: None,
    })
}

/// Decodes a transaction sent as `data` in the request's `encoding` (base58 when absent), with
/// a real node's messages: what `sendTransaction` and `simulateTransaction` share.
pub fn decode_transaction(
    data: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction> {
    let binary = encoding
        .unwrap_or(UiTransactionEncoding::Base58)
        .into_binary_encoding()
        .ok_or_else(|| {
            Error::invalid_params(format!(
                "unsupported encoding: {encoding:?}. Supported encodings: base58, base64"
            ))
        })?;
    decode(data, binary)
}

/// Decodes a base58/base64 bincode blob of at most one packet, with a real node's messages.
pub fn decode<T: DeserializeOwned>(data: &str, encoding: TransactionBinaryEncoding) -> Result<T> {
    let type_name = std::any::type_name::<T>();
    let bytes = match encoding {
        TransactionBinaryEncoding::Base58 => {
            if data.len() > MAX_BASE58_SIZE {
                return Err(Error::invalid_params(format!(
                    "base58 encoded {type_name} too large: {} bytes (max: encoded/raw {MAX_BASE58_SIZE}/{PACKET_DATA_SIZE})",
                    data.len()
                )));
            }
            bs58::decode(data)
                .into_vec()
                .map_err(|e| Error::invalid_params(format!("invalid base58 encoding: {e:?}")))?
        }
        TransactionBinaryEncoding::Base64 => {
            if data.len() > MAX_BASE64_SIZE {
                return Err(Error::invalid_params(format!(
                    "base64 encoded {type_name} too large: {} bytes (max: encoded/raw {MAX_BASE64_SIZE}/{PACKET_DATA_SIZE})",
                    data.len()
                )));
            }
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| Error::invalid_params(format!("invalid base64 encoding: {e:?}")))?
        }
    };
    if bytes.len() > PACKET_DATA_SIZE {
        return Err(Error::invalid_params(format!(
            "decoded {type_name} too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            bytes.len()
        )));
    }
    use bincode::Options;
    bincode::options()
        .with_limit(PACKET_DATA_SIZE as u64)
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .deserialize_from(&bytes[..])
        .map_err(|e| Error::invalid_params(format!("failed to deserialize {type_name}: {e}")))
}

/// Parameters of `localnet_setClock`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetClock {
    /// Freezes the Clock's unix time at this value.
    pub unix_timestamp: Option<i64>,
    /// Warps the bank forward to this slot.
    pub slot: Option<u64>,
    /// Lets the unix time follow the machine's clock again.
    #[serde(default)]
    pub wall_clock: bool,
}
