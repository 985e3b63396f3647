//! Mints and associated token accounts, for the commands that move or show tokens.
use super::{Ctx, Res};
use anchor_lang::{
    prelude::Pubkey,
    solana_program::instruction::{AccountMeta, Instruction},
};
use anchor_spl::token_2022::spl_token_2022;

/// SPL Token.
const TOKEN: Pubkey = anchor_spl::token::ID;
/// Token-2022.
const TOKEN_2022: Pubkey = spl_token_2022::ID;
/// Associated Token Account program.
const ATA: Pubkey = Pubkey::from_str_const("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// Token program and decimals of `mint`.
pub(super) async fn mint_info(ctx: &Ctx, mint: &Pubkey) -> Res<(Pubkey, u8)> {
    let account = ctx
        .client
        .rpc()
        .get_account(mint)
        .await
        .map_err(|e| format!("cannot read mint {mint}: {e}"))?;
    if account.owner != TOKEN && account.owner != TOKEN_2022 {
        return Err(format!(
            "{mint} is not a token mint (owned by {})",
            account.owner
        ));
    }
    // Mint layout: decimals at byte 44 (after mint authority and supply).
    let decimals = *account
        .data
        .get(44)
        .ok_or_else(|| format!("{mint} is not a token mint"))?;
    Ok((account.owner, decimals))
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub(super) fn associated(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ATA,
    )
    .0
}

/// The ATA program's `CreateIdempotent`.
pub(super) fn create_associated(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ATA,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated(owner, mint, token_program), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}
