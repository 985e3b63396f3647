//! What the program reads of a mint, read exactly as the token program that owns it reads it
//! (Token-2022's `StateWithExtensions::<Mint>::unpack`): today only whether a transfer hook
//! would run.
use super::TokenProgram;
use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022::{
    extension::{transfer_hook::TransferHook, BaseStateWithExtensions, StateWithExtensions},
    state::Mint,
};

/// The program a transfer of this mint would call, if Token-2022 reads `data` as a mint with a
/// `TransferHook` extension naming one. `None` for SPL Token (no extensions), for a hook
/// extension without a program (Token-2022 then calls nothing), and for data that is not a
/// mint (the token program refuses it on its own).
pub fn transfer_hook_program(program: TokenProgram, data: &[u8]) -> Option<Pubkey> {
    match program {
        TokenProgram::Token => None,
        TokenProgram::Token2022 => {
            let mint = StateWithExtensions::<Mint>::unpack(data).ok()?;
            let hook = mint.get_extension::<TransferHook>().ok()?;
            Option::<Pubkey>::from(hook.program_id)
        }
    }
}

/// Whether `data` is an initialized mint as its token program reads one: SPL Token's
/// `Mint::unpack` (exactly 82 bytes, initialized), Token-2022's
/// `StateWithExtensions::<Mint>::unpack`. What `set_budget` accepts as an asset.
pub fn is_mint(program: TokenProgram, data: &[u8]) -> bool {
    match program {
        TokenProgram::Token => {
            <anchor_spl::token::spl_token::state::Mint as solana_program_pack::Pack>::unpack(data)
                .is_ok()
        }
        TokenProgram::Token2022 => StateWithExtensions::<Mint>::unpack(data).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::extension::{
        BaseStateWithExtensionsMut, ExtensionType, StateWithExtensionsMut,
    };
    use solana_program_pack::Pack;

    /// The bytes Token-2022 writes for an initialized mint with a transfer hook naming
    /// `program_id` (or none).
    fn mint_with_hook(program_id: Option<Pubkey>) -> Vec<u8> {
        let len = ExtensionType::try_calculate_account_len::<Mint>(&[ExtensionType::TransferHook])
            .unwrap();
        let mut data = vec![0u8; len];
        let mut state = StateWithExtensionsMut::<Mint>::unpack_uninitialized(&mut data).unwrap();
        let hook = state.init_extension::<TransferHook>(true).unwrap();
        hook.program_id = program_id.try_into().unwrap();
        state.base = Mint {
            decimals: 6,
            is_initialized: true,
            ..Mint::default()
        };
        state.pack_base();
        state.init_account_type().unwrap();
        data
    }

    #[test]
    fn a_hook_program_is_read_from_a_token_2022_mint_only() {
        let hook = Pubkey::new_unique();
        let data = mint_with_hook(Some(hook));
        assert_eq!(
            transfer_hook_program(TokenProgram::Token2022, &data),
            Some(hook)
        );
        assert_eq!(transfer_hook_program(TokenProgram::Token, &data), None);
        // An extension without a program: nothing runs.
        let data = mint_with_hook(None);
        assert_eq!(transfer_hook_program(TokenProgram::Token2022, &data), None);
        // A plain mint, and bytes that are not a mint.
        let mut plain = vec![0u8; Mint::LEN];
        Mint::pack(
            Mint {
                decimals: 6,
                is_initialized: true,
                ..Mint::default()
            },
            &mut plain,
        )
        .unwrap();
        assert_eq!(transfer_hook_program(TokenProgram::Token2022, &plain), None);
        assert_eq!(
            transfer_hook_program(TokenProgram::Token2022, &[0; 355]),
            None
        );
    }
}
