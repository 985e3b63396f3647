//! `deposit`: SOL or tokens from the keypair into its vault.
use super::{
    token::{associated, create_associated, mint_info},
    Ctx, Report, Res,
};
use crate::{
    amount,
    scope_file::{pubkey, SOL_DECIMALS},
};
use anchor_spl::token_2022::spl_token_2022;
use serde_json::json;
use session_keys_client::{ix, pda};
use solana_sdk::signer::Signer;

/// Deposits `amount_text` SOL, or of `--mint` from `--from` (default: the owner's associated
/// token account) into the vault's associated token account, created if missing.
pub(super) async fn run(
    ctx: &Ctx,
    amount_text: &str,
    mint: Option<&str>,
    from: Option<&str>,
) -> Res<Report> {
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let (ixs, what) = match mint {
        None => {
            let lamports = amount::parse(amount_text, SOL_DECIMALS)?;
            (
                vec![ix::deposit_sol(&o, lamports)],
                format!("{amount_text} SOL"),
            )
        }
        Some(m) => {
            let mint = pubkey(m, "--mint")?;
            let (program, decimals) = mint_info(ctx, &mint).await?;
            let units = amount::parse(amount_text, decimals)?;
            let from = match from {
                Some(f) => pubkey(f, "--from")?,
                None => associated(&o, &mint, &program),
            };
            let to = associated(&vault, &mint, &program);
            let transfer = spl_token_2022::instruction::transfer_checked(
                &program,
                &from,
                &mint,
                &to,
                &o,
                &[],
                units,
                decimals,
            )
            .map_err(|e| format!("cannot build the transfer: {e}"))?;
            (
                vec![create_associated(&o, &vault, &mint, &program), transfer],
                format!("{amount_text} of {mint}"),
            )
        }
    };
    let signature = ctx.send(&ixs, &[&owner]).await?;
    Ok(Report {
        json: json!({ "signature": signature, "vault": vault.to_string() }),
        text: format!("deposited {what} into vault {vault}\nsignature {signature}\n"),
    })
}
