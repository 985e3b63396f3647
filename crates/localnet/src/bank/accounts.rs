//! Account queries: one account, many, and `getProgramAccounts` over the index of every
//! address the localnet has seen (the bank itself cannot be scanned through `BanksClient`).
use super::{internal, Bank};
use crate::rpc;
use jsonrpc_core::{Error, Result};
use serde_json::Value;
use solana_account_decoder::{
    encode_ui_account,
    parse_account_data::{AccountAdditionalDataV3, SplTokenAdditionalDataV2},
    parse_token::{get_token_account_mint, is_known_spl_token_id},
};
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::RpcFilterType,
    response::{RpcKeyedAccount, UiAccount, UiAccountEncoding},
};
use solana_sdk::{account::Account, pubkey::Pubkey};

/// Largest account data a base58 encoding is given for, as on a real node.
const MAX_BASE58_BYTES: usize = 128;
/// Most filters `getProgramAccounts` takes, as on a real node.
const MAX_FILTERS: usize = 4;

impl Bank {
    pub(super) async fn account(&self, key: &Pubkey) -> Result<Option<Account>> {
        self.ctx
            .banks_client
            .get_account(*key)
            .await
            .map_err(internal)
    }

    pub(super) async fn ui_account(
        &self,
        key: &Pubkey,
        config: &RpcAccountInfoConfig,
    ) -> Result<Option<UiAccount>> {
        let Some(account) = self.account(key).await? else {
            return Ok(None);
        };
        self.encode_account(key, &account, config).await.map(Some)
    }

    pub(super) async fn encode_account(
        &self,
        key: &Pubkey,
        account: &Account,
        config: &RpcAccountInfoConfig,
    ) -> Result<UiAccount> {
        let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
        if matches!(
            encoding,
            UiAccountEncoding::Binary | UiAccountEncoding::Base58
        ) {
            let len = config.data_slice.map_or(account.data.len(), |s| {
                s.length.min(account.data.len().saturating_sub(s.offset))
            });
            if len > MAX_BASE58_BYTES {
                return Err(Error::invalid_params(format!(
                    "Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, \
                     please use Base64 encoding."
                )));
            }
        }
        let mut extra = None;
        if encoding == UiAccountEncoding::JsonParsed && is_known_spl_token_id(&account.owner) {
            if let Some(mint) = get_token_account_mint(&account.data) {
                if let Some(decimals) = self.decimals(&mint).await {
                    extra = Some(AccountAdditionalDataV3 {
                        spl_token_additional_data: Some(SplTokenAdditionalDataV2::with_decimals(
                            decimals,
                        )),
                    });
                }
            }
        }
        Ok(encode_ui_account(
            key,
            account,
            encoding,
            extra,
            config.data_slice,
        ))
    }

    pub(super) async fn program_accounts(
        &self,
        program: &Pubkey,
        config: RpcProgramAccountsConfig,
    ) -> Result<Value> {
        let filters = config.filters.unwrap_or_default();
        if filters.len() > MAX_FILTERS {
            return Err(Error::invalid_params(format!(
                "Too many filters provided; max {MAX_FILTERS}"
            )));
        }
        for f in &filters {
            f.verify()
                .map_err(|e| Error::invalid_params(format!("Invalid param: {e:?}")))?;
        }
        let mut out = Vec::new();
        for key in &self.index {
            let Some(account) = self.account(key).await? else {
                continue;
            };
            if account.owner != *program || !filters.iter().all(|f| matches(f, &account.data)) {
                continue;
            }
            out.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: self
                    .encode_account(key, &account, &config.account_config)
                    .await?,
            });
        }
        if config.with_context.unwrap_or(false) {
            self.respond(out).await
        } else {
            rpc::to_value(out)
        }
    }
}

fn matches(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(n) => data.len() as u64 == *n,
        RpcFilterType::Memcmp(m) => m.bytes_match(data),
        RpcFilterType::TokenAccountState => get_token_account_mint(data).is_some(),
    }
}
