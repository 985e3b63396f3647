//! Token queries: mint decimals, parsed token accounts, `getTokenAccountBalance` and
//! `getTokenAccountsByOwner` (over the same index as `getProgramAccounts`).
use super::{pubkey_param, Bank};
use jsonrpc_core::{Error, Result};
use serde_json::Value;
use solana_account_decoder::{
    parse_account_data::SplTokenAdditionalDataV2,
    parse_token::{
        get_token_account_mint, is_known_spl_token_id, parse_token_v3, TokenAccountType,
    },
};
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcTokenAccountsFilter},
    response::RpcKeyedAccount,
};
use solana_sdk::{account::Account, pubkey::Pubkey};

impl Bank {
    /// Decimals of `mint`, if it is a mint.
    pub(super) async fn decimals(&self, mint: &Pubkey) -> Option<u8> {
        let account = self.account(mint).await.ok()??;
        match parse_token_v3(&account.data, None).ok()? {
            TokenAccountType::Mint(m) => Some(m.decimals),
            _ => None,
        }
    }

    /// What the token program's account holds, with the mint's decimals applied.
    pub(super) async fn parse_token(&self, account: &Account) -> Option<TokenAccountType> {
        if !is_known_spl_token_id(&account.owner) {
            return None;
        }
        let extra = match get_token_account_mint(&account.data) {
            Some(mint) => Some(SplTokenAdditionalDataV2::with_decimals(
                self.decimals(&mint).await?,
            )),
            None => None,
        };
        parse_token_v3(&account.data, extra.as_ref()).ok()
    }

    /// `getTokenAccountBalance`: the amount of the token account at `key`, decimals applied.
    pub(super) async fn token_account_balance(&self, key: &Pubkey) -> Result<Value> {
        let account = self
            .account(key)
            .await?
            .ok_or_else(|| Error::invalid_params("Invalid param: could not find account"))?;
        let amount = match self.parse_token(&account).await {
            Some(TokenAccountType::Account(a)) => a.token_amount,
            _ => return Err(Error::invalid_params("Invalid param: not a Token account")),
        };
        self.respond(amount).await
    }

    pub(super) async fn token_accounts_by_owner(
        &self,
        owner: &Pubkey,
        filter: RpcTokenAccountsFilter,
        config: &RpcAccountInfoConfig,
    ) -> Result<Value> {
        let (mint, program) = match filter {
            RpcTokenAccountsFilter::Mint(m) => (Some(pubkey_param(&m)?), None),
            RpcTokenAccountsFilter::ProgramId(p) => {
                let p = pubkey_param(&p)?;
                if !is_known_spl_token_id(&p) {
                    return Err(Error::invalid_params(
                        "Invalid param: unrecognized Token program id",
                    ));
                }
                (None, Some(p))
            }
        };
        let mut out = Vec::new();
        for key in &self.index {
            let Some(account) = self.account(key).await? else {
                continue;
            };
            if !is_known_spl_token_id(&account.owner) || program.is_some_and(|p| p != account.owner)
            {
                continue;
            }
            // Token account layout: mint (0..32), owner (32..64).
            let Some(account_mint) = get_token_account_mint(&account.data) else {
                continue;
            };
            if account.data.get(32..64) != Some(owner.as_ref())
                || mint.is_some_and(|m| m != account_mint)
            {
                continue;
            }
            out.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: self.encode_account(key, &account, config).await?,
            });
        }
        self.respond(out).await
    }
}
