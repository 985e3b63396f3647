//! A fee payer for bots: Kora (kora-cli 2.0.5, the Solana Foundation's gasless relayer) or the
//! game's gateway in front of it (sdk/examples/sponsor.ts), over its JSON-RPC
//! (`getPayerSigner`, `signAndSendTransaction`), so a session key with no SOL can act
//! (docs/12-gasless-play.md). The key signs; Kora signs as fee payer, sends and confirms; then
//! [`SessionClient::send_paid`] confirms on the client's own node.
//!
//! Kora answers every refusal with the JSON-RPC code -32000 and the reason in words; they come
//! back as a [`FeePayerError`]: `Refused` (policy or simulation), `RateLimited`, `Unavailable`.
use super::{Error, Result, SessionClient};
use crate::decode;
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use base64::Engine;
use serde_json::json;
use session_keys::errors::SessionError;
use solana_message::{v0, VersionedMessage};
use solana_rpc_client::{http_sender::HttpSender, rpc_sender::RpcSender};
use solana_rpc_client_api::{client_error::ErrorKind, request::RpcError, request::RpcRequest};
use solana_sdk::{
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::VersionedTransaction,
};
use std::str::FromStr;

/// Why the fee payer did not pay. Nothing was sent in any case.
#[derive(Debug, thiserror::Error)]
pub enum FeePayerError {
    /// Its policy refused the transaction, or its simulation failed (then `program` names the
    /// session-keys error when it was one).
    #[error("the fee payer refused: {message}")]
    Refused {
        /// The fee payer's reason.
        message: String,
        /// The session-keys error of a failed simulation.
        program: Option<SessionError>,
    },
    /// Too many requests: retry later.
    #[error("the fee payer is rate limiting: {0}")]
    RateLimited(String),
    /// It could not be reached, or did not answer JSON-RPC.
    #[error("the fee payer is unavailable: {0}")]
    Unavailable(String),
}

/// Classifies a JSON-RPC error message of Kora or the gateway (both answer -32000).
pub fn classify_refusal(message: &str) -> FeePayerError {
    let lower = message.to_ascii_lowercase();
    if ["rate limit", "too many requests", "usage limit", "retry in"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return FeePayerError::RateLimited(message.to_owned());
    }
    let program = lower
        .split("custom program error: 0x")
        .nth(1)
        .and_then(|hex| {
            let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
            u32::from_str_radix(&digits, 16).ok()
        })
        .and_then(decode::error_from_code);
    FeePayerError::Refused {
        message: message.to_owned(),
        program,
    }
}

/// Kora (or the gateway in front of it) at a URL.
pub struct Kora {
    // The sender itself: `RpcClient::send` takes positional parameters only, Kora's are named.
    http: HttpSender,
    url: String,
}

impl Kora {
    /// The fee payer at `url`.
    pub fn new(url: &str) -> Self {
        Self {
            http: HttpSender::new(url),
            url: url.to_owned(),
        }
    }

    async fn call(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        self.http
            .send(RpcRequest::Custom { method }, params)
            .await
            .map_err(|e| {
                Error::FeePayer(match e.kind() {
                    ErrorKind::RpcError(RpcError::RpcResponseError { message, .. }) => {
                        classify_refusal(message)
                    }
                    ErrorKind::Reqwest(r) if r.status().map(|s| s.as_u16()) == Some(429) => {
                        FeePayerError::RateLimited(format!("{}: HTTP 429", self.url))
                    }
                    ErrorKind::Reqwest(r) if r.status().is_some_and(|s| s.is_client_error()) => {
                        FeePayerError::Refused {
                            message: format!("{}: {r}", self.url),
                            program: None,
                        }
                    }
                    other => FeePayerError::Unavailable(format!("{}: {other}", self.url)),
                })
            })
    }

    /// `getPayerSigner`: the address that pays.
    pub async fn payer(&self) -> Result<Pubkey> {
        let r = self.call("getPayerSigner", json!({})).await?;
        let address = r["signer_address"].as_str().unwrap_or_default();
        Pubkey::from_str(address).map_err(|_| {
            Error::FeePayer(FeePayerError::Unavailable(format!(
                "{}: getPayerSigner answered {r}",
                self.url
            )))
        })
    }

    /// `signAndSendTransaction`: signs `tx` (its fee payer's slot empty) as fee payer and sends
    /// it; its signature.
    pub async fn sign_and_send(&self, tx: &VersionedTransaction) -> Result<Signature> {
        let wire = bincode::serialize(tx)
            .map_err(|e| Error::Account(format!("cannot serialize the transaction: {e}")))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(wire);
        let r = self
            .call("signAndSendTransaction", json!({ "transaction": b64 }))
            .await?;
        Signature::from_str(r["signature"].as_str().unwrap_or_default()).map_err(|_| {
            Error::FeePayer(FeePayerError::Unavailable(format!(
                "{}: signAndSendTransaction answered {r}",
                self.url
            )))
        })
    }
}

impl SessionClient {
    /// Sends `instructions` (after the compute-budget ones) in a v0 transaction whose fee
    /// `fee_payer` pays, signed by `signers` (the session key), and waits for confirmation on
    /// this client's node. The signers need no SOL. A refusal is [`Error::FeePayer`].
    pub async fn send_paid(
        &self,
        fee_payer: &Kora,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature> {
        let payer = fee_payer.payer().await?;
        let hash = self.rpc.get_latest_blockhash().await?;
        let message = v0::Message::try_compile(&payer, &self.with_budget(instructions), &[], hash)
            .map_err(|e| Error::Account(format!("cannot compile the v0 message: {e}")))?;
        let message = VersionedMessage::V0(message);
        let bytes = message.serialize();
        let keys = message.static_account_keys();
        let required = usize::from(message.header().num_required_signatures);
        let mut signatures = vec![Signature::default(); required];
        for signer in signers {
            let at = keys[..required]
                .iter()
                .position(|k| *k == signer.pubkey())
                .ok_or_else(|| Error::Account(format!("{} does not sign this", signer.pubkey())))?;
            signatures[at] = signer.sign_message(&bytes);
        }
        let tx = VersionedTransaction {
            signatures,
            message,
        };
        let signature = fee_payer.sign_and_send(&tx).await?;
        self.rpc
            .poll_for_signature(&signature)
            .await
            .map_err(|e| self.shift(e.into()))?;
        if let Some(Err(err)) = self.rpc.get_signature_status(&signature).await? {
            return Err(self.shift(super::from_transaction_error(err)));
        }
        Ok(signature)
    }
}
