//! `withdraw`: SOL or tokens out of the keypair's vault.
use super::{
    token::{associated, create_associated, mint_info},
    Ctx, Report, Res,
};
use crate::{
    amount,
    scope_file::{pubkey, SOL_DECIMALS},
};
use serde_json::json;
use session_keys_client::{
    ix::{self, TokenTransfer},
    pda,
};
use solana_sdk::signer::Signer;

/// Withdraws `amount_text` SOL, or of `--mint`, to `--to` (default: the owner, or its
/// associated token account, created if missing), after asking.
pub(super) async fn run(
    ctx: &Ctx,
    amount_text: &str,
    mint: Option<&str>,
    to: Option<&str>,
) -> Res<Report> {
    let owner = ctx.signer()?;
    let o = owner.pubkey();
    let vault = pda::vault(&o).0;
    let (ixs, what, dest) = match mint {
        None => {
            let lamports = amount::parse(amount_text, SOL_DECIMALS)?;
            let to = to.map_or(Ok(o), |t| pubkey(t, "--to"))?;
            (
                vec![ix::withdraw_sol(&o, &to, lamports)],
                format!("{amount_text} SOL"),
                to,
            )
        }
        Some(m) => {
            let mint = pubkey(m, "--mint")?;
            let (program, decimals) = mint_info(ctx, &mint).await?;
            let units = amount::parse(amount_text, decimals)?;
            let mut ixs = Vec::new();
            let to = match to {
                Some(t) => pubkey(t, "--to")?,
                None => {
                    ixs.push(create_associated(&o, &o, &mint, &program));
                    associated(&o, &mint, &program)
                }
            };
            let t = TokenTransfer {
                from: associated(&vault, &mint, &program),
                mint,
                to,
                token_program: program,
            };
            ixs.push(ix::withdraw_token(&o, t, units, decimals));
            (ixs, format!("{amount_text} of {mint}"), to)
        }
    };
    ctx.confirm(&format!("Withdraw {what} from vault {vault} to {dest}?"))?;
    let signature = ctx.send(&ixs, &[&owner]).await?;
    Ok(Report {
        json: json!({ "signature": signature, "to": dest.to_string() }),
        text: format!("withdrew {what} from vault {vault} to {dest}\nsignature {signature}\n"),
    })
}
