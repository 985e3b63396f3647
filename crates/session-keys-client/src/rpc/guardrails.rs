//! Guardrails over RPC: the owner's budget (read, set, remove) and `preview`, the program's
//! "would this pass?" answered by `simulateTransaction` (no owner signature, nothing written).
use super::{Error, Result, SessionClient};
use crate::{decode, ix, pda};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, AnchorDeserialize};
use base64::Engine;
use session_keys::{
    errors::SessionError, instructions::Preview, policy::BudgetCapsArgs, state::Budget,
};
use solana_rpc_client_api::config::RpcSimulateTransactionConfig;
use solana_sdk::{
    signature::{Keypair, Signature},
    signer::Signer,
    transaction::Transaction,
};

/// What `preview` says about a proposed action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check of the real instruction passes.
    Passes,
    /// The real instruction would fail with this program error.
    Refused(SessionError),
    /// The real instruction would fail with another code (an Anchor account check, say).
    Failed(u64),
}

impl Verdict {
    /// Reads `Preview::result`.
    pub fn of(result: u64) -> Self {
        match result {
            0 => Self::Passes,
            code => u32::try_from(code)
                .ok()
                .and_then(decode::error_from_code)
                .map_or(Self::Failed(code), Self::Refused),
        }
    }
}

impl SessionClient {
    /// The owner's budget, if one is set.
    pub async fn budget(&self, owner: &Pubkey) -> Result<Option<Budget>> {
        let address = pda::budget(owner).0;
        // No account, or lamports sent to the address before the owner's first `set_budget`
        // (a System account with no data): no budget. Only the program allocates there.
        match self.account_data(&address).await? {
            Some((data, _)) if !data.is_empty() => {
                anchor_lang::AccountDeserialize::try_deserialize(&mut data.as_slice())
                    .map(Some)
                    .map_err(|e| Error::Account(format!("budget {address}: {e}")))
            }
            _ => Ok(None),
        }
    }

    /// The owner sets (or changes) the budget of `asset` (the all-zero address for SOL).
    pub async fn set_budget(
        &self,
        owner: &Keypair,
        asset: &Pubkey,
        caps: BudgetCapsArgs,
    ) -> Result<Signature> {
        let i = ix::set_budget(&owner.pubkey(), asset, caps);
        self.send(&[i], &[owner]).await
    }

    /// The owner removes the budget of `asset`.
    pub async fn remove_budget(&self, owner: &Keypair, asset: &Pubkey) -> Result<Signature> {
        let i = ix::remove_budget(&owner.pubkey(), asset);
        self.send(&[i], &[owner]).await
    }

    /// Runs a `preview` instruction (built with `ix::preview*`) in `simulateTransaction` with
    /// `fee_payer` as the payer (any existing account: the signature is not checked and the
    /// blockhash is replaced), and decodes its answer.
    pub async fn preview(&self, preview: Instruction, fee_payer: &Pubkey) -> Result<Preview> {
        let mut tx = Transaction::new_with_payer(&[preview], Some(fee_payer));
        tx.signatures = vec![Signature::default(); 1];
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            commitment: Some(self.rpc.commitment()),
            ..RpcSimulateTransactionConfig::default()
        };
        let sim = self
            .rpc
            .simulate_transaction_with_config(&tx, config)
            .await?
            .value;
        if let Some(err) = sim.err {
            return Err(Error::Account(format!(
                "preview failed: {err:?} {:?}",
                sim.logs.unwrap_or_default()
            )));
        }
        let data = sim
            .return_data
            .ok_or_else(|| Error::Account("preview returned no data".into()))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.data.0)
            .map_err(|e| Error::Account(format!("preview return data: {e}")))?;
        Preview::try_from_slice(&bytes).map_err(|e| Error::Account(format!("preview: {e}")))
    }
}

/// Signer-free convenience: the verdict and the answer for a `transfer_sol` the session key
/// would send.
pub async fn preview_transfer_sol(
    client: &SessionClient,
    owner: &Pubkey,
    session_key: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    reference: Option<&[u8]>,
) -> Result<(Verdict, Preview)> {
    let i = ix::preview_transfer_sol(owner, session_key, destination, amount, reference);
    let p = client.preview(i, session_key).await?;
    Ok((Verdict::of(p.result), p))
}
