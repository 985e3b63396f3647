//! The two transfers the program makes with the owner's vault PDA signing, shared by the
//! session-signed instructions and the owner's withdrawals.
use crate::state::Wallet;
use anchor_lang::{prelude::*, system_program};
use anchor_spl::token_interface::{self, TransferChecked};

/// System transfer of `amount` lamports from the vault to `to`, signed by the vault.
pub fn vault_lamports<'info>(
    wallet: &Wallet,
    system_program: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let seeds = wallet.vault_seeds();
    system_program::transfer(
        CpiContext::new_with_signer(
            system_program.key(),
            system_program::Transfer {
                from: vault.clone(),
                to: to.clone(),
            },
            &[&seeds],
        ),
        amount,
    )
}

/// `transfer_checked` of `amount` from `from` to `to`, with the vault as authority (owner or
/// delegate of `from`), signed by the vault.
#[allow(clippy::too_many_arguments)]
pub fn vault_tokens<'info>(
    wallet: &Wallet,
    token_program: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let seeds = wallet.vault_seeds();
    token_interface::transfer_checked(
        CpiContext::new_with_signer(
            token_program.key(),
            TransferChecked {
                from: from.clone(),
                mint: mint.clone(),
                to: to.clone(),
                authority: vault.clone(),
            },
            &[&seeds],
        ),
        amount,
        decimals,
    )
}
