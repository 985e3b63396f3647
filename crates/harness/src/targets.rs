//! Instruction builders for the two test targets: the example game and the hostile program.
use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, system_program, InstructionData,
    ToAccountMetas,
};

fn build(
    program_id: Pubkey,
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
) -> Instruction {
    Instruction {
        program_id,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// The example game.
pub mod game {
    use super::*;
    use example_game::{accounts, instruction, ID, PLAYER_SEED, TREASURY_SEED};

    /// Player PDA of `authority`.
    pub fn player(authority: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(&[PLAYER_SEED, authority.as_ref()], &ID).0
    }

    /// The treasury PDA.
    pub fn treasury() -> Pubkey {
        Pubkey::find_program_address(&[TREASURY_SEED], &ID).0
    }

    /// The scope a game session grants: `create_player`, `move_player`, and `buy_item` with a
    /// price (after the 8-byte discriminator and the 2-byte item id) of at most `max_price`,
    /// paid to the treasury (account index 2).
    pub fn session_scope(max_price: u64) -> session_keys::policy::ProgramScope {
        use anchor_lang::Discriminator;
        use session_keys::policy::CmpOp;
        use session_keys_client::scope::{
            instruction as rule, program, InstructionRuleExt, ProgramScopeExt,
        };
        program(ID)
            .instruction(rule(instruction::CreatePlayer::DISCRIMINATOR))
            .instruction(rule(instruction::MovePlayer::DISCRIMINATOR))
            .instruction(
                rule(instruction::BuyItem::DISCRIMINATOR)
                    .arg_u64(10, CmpOp::Le, max_price)
                    .account(2, &[treasury()]),
            )
    }

    /// `create_player`, paid by `authority`.
    pub fn create_player(authority: &Pubkey) -> Instruction {
        build(
            ID,
            accounts::CreatePlayer {
                authority: *authority,
                player: player(authority),
                system_program: system_program::ID,
            },
            instruction::CreatePlayer {},
        )
    }

    /// `create_player_funded` for `owner`'s vault: the player's rent paid by the game's
    /// treasury.
    pub fn create_player_funded(owner: &Pubkey) -> Instruction {
        let authority = &session_keys_client::pda::vault(owner).0;
        build(
            ID,
            accounts::CreatePlayerFunded {
                authority: *authority,
                owner: *owner,
                player: player(authority),
                treasury: treasury(),
                system_program: system_program::ID,
            },
            instruction::CreatePlayerFunded {},
        )
    }

    /// `move_player`.
    pub fn move_player(authority: &Pubkey, dx: i8, dy: i8) -> Instruction {
        build(
            ID,
            accounts::Act {
                authority: *authority,
                player: player(authority),
            },
            instruction::MovePlayer { dx, dy },
        )
    }

    /// `move_as_owner` on `owner`'s player, signed by `signer` (the owner, or a session key
    /// passing `session` and `wallet`).
    pub fn move_as_owner(
        signer: &Pubkey,
        owner: &Pubkey,
        session: Option<(Pubkey, Pubkey)>,
        dx: i8,
        dy: i8,
    ) -> Instruction {
        let mut ix = build(
            ID,
            accounts::MoveAsOwner {
                auth: session_keys::verify::__client_accounts_session_auth::SessionAuth {
                    signer: *signer,
                    session: session.map(|s| s.0),
                    wallet: session.map(|s| s.1),
                },
                player: player(owner),
            },
            instruction::MoveAsOwner { dx, dy },
        );
        // Anchor marks an absent optional account with the id of the program being called.
        // The nested client struct comes from session-keys and uses session-keys' id, so an
        // absent session would read as present: use the game's id instead.
        for meta in &mut ix.accounts {
            if meta.pubkey == session_keys::ID {
                meta.pubkey = ID;
            }
        }
        ix
    }

    /// `attack` on `target`'s player.
    pub fn attack(authority: &Pubkey, target: &Pubkey, damage: u16) -> Instruction {
        build(
            ID,
            accounts::Attack {
                authority: *authority,
                player: player(authority),
                target: player(target),
            },
            instruction::Attack { damage },
        )
    }

    /// `buy_item` for `price` lamports.
    pub fn buy_item(authority: &Pubkey, item: u16, price: u64) -> Instruction {
        build(
            ID,
            accounts::BuyItem {
                authority: *authority,
                player: player(authority),
                treasury: treasury(),
                system_program: system_program::ID,
            },
            instruction::BuyItem { _item: item, price },
        )
    }

    /// `buy_item_token` for `price` base units from `from`.
    pub fn buy_item_token(
        authority: &Pubkey,
        from: &Pubkey,
        mint: &Pubkey,
        treasury_tokens: &Pubkey,
        token_program: &Pubkey,
        item: u16,
        price: u64,
    ) -> Instruction {
        build(
            ID,
            accounts::BuyItemToken {
                authority: *authority,
                player: player(authority),
                from: *from,
                mint: *mint,
                treasury: treasury(),
                treasury_tokens: *treasury_tokens,
                token_program: *token_program,
            },
            instruction::BuyItemToken { _item: item, price },
        )
    }
}

/// The hostile target.
pub mod hostile {
    use super::*;
    use hostile_target::{accounts, instruction, ID};

    /// Lamports from `vault` to `thief`.
    pub fn drain_lamports(vault: &Pubkey, thief: &Pubkey, amount: u64) -> Instruction {
        build(
            ID,
            accounts::Vault2 {
                vault: *vault,
                thief: *thief,
                system_program: system_program::ID,
            },
            instruction::DrainLamports { amount },
        )
    }

    /// Reassign the vault.
    pub fn assign_vault(vault: &Pubkey) -> Instruction {
        build(
            ID,
            accounts::VaultOnly {
                vault: *vault,
                system_program: system_program::ID,
            },
            instruction::AssignVault {},
        )
    }

    /// Give the vault data.
    pub fn allocate_vault(vault: &Pubkey) -> Instruction {
        build(
            ID,
            accounts::VaultOnly {
                vault: *vault,
                system_program: system_program::ID,
            },
            instruction::AllocateVault {},
        )
    }

    fn tokens(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief: &Pubkey,
        token_program: &Pubkey,
    ) -> accounts::Tokens {
        accounts::Tokens {
            vault: *vault,
            token_account: *account,
            mint: *mint,
            thief: *thief,
            token_program: *token_program,
        }
    }

    /// Move tokens from `account` to `thief_tokens`.
    pub fn steal_tokens(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief_tokens: &Pubkey,
        token_program: &Pubkey,
        amount: u64,
        decimals: u8,
    ) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, thief_tokens, token_program),
            instruction::StealTokens { amount, decimals },
        )
    }

    /// Approve `thief` as delegate of `account`.
    pub fn approve_thief(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief: &Pubkey,
        token_program: &Pubkey,
    ) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, thief, token_program),
            instruction::ApproveThief { amount: u64::MAX },
        )
    }

    /// Hand owner (`kind` 2) or close authority (`kind` 3) of `account` to `thief`.
    pub fn take_authority(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief: &Pubkey,
        token_program: &Pubkey,
        kind: u8,
    ) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, thief, token_program),
            instruction::TakeAuthority { kind },
        )
    }

    /// Close `account`, rent to `thief`.
    pub fn close_token_account(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief: &Pubkey,
        token_program: &Pubkey,
    ) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, thief, token_program),
            instruction::CloseTokenAccount {},
        )
    }

    /// Grow a vault-owned Token-2022 account with an extension, the vault paying.
    pub fn add_extension(vault: &Pubkey, account: &Pubkey) -> Instruction {
        build(
            ID,
            accounts::AddExtension {
                vault: *vault,
                token_account: *account,
                token_program: anchor_spl::token_2022::ID,
                system_program: system_program::ID,
            },
            instruction::AddExtension {},
        )
    }

    /// Revoke the vault's delegation on `account` (Token-2022, the vault signing as delegate).
    pub fn revoke_vault_delegation(vault: &Pubkey, account: &Pubkey, mint: &Pubkey) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, vault, &anchor_spl::token_2022::ID),
            instruction::RevokeVaultDelegation {},
        )
    }

    /// Token-2022 `WithdrawExcessLamports` from a vault-owned `account` to `thief`.
    pub fn withdraw_excess_lamports(
        vault: &Pubkey,
        account: &Pubkey,
        mint: &Pubkey,
        thief: &Pubkey,
    ) -> Instruction {
        build(
            ID,
            tokens(vault, account, mint, thief, &anchor_spl::token_2022::ID),
            instruction::WithdrawExcessLamports {},
        )
    }

    /// The associated token account program.
    pub const ATA_PROGRAM: Pubkey =
        anchor_lang::prelude::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

    /// The associated token account of `wallet` for `mint` under `token_program`.
    pub fn ata(wallet: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(
            &[wallet.as_ref(), token_program.as_ref(), mint.as_ref()],
            &ATA_PROGRAM,
        )
        .0
    }

    /// The associated token program's `Create`, `funder` paying.
    pub fn create_ata(
        funder: &Pubkey,
        wallet: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Instruction {
        use anchor_lang::prelude::AccountMeta;
        Instruction {
            program_id: ATA_PROGRAM,
            accounts: vec![
                AccountMeta::new(*funder, true),
                AccountMeta::new(ata(wallet, mint, token_program), false),
                AccountMeta::new_readonly(*wallet, false),
                AccountMeta::new_readonly(*mint, false),
                AccountMeta::new_readonly(system_program::ID, false),
                AccountMeta::new_readonly(*token_program, false),
            ],
            data: vec![0],
        }
    }

    /// Close the vault's ATA of `mint` to `thief` and re-create it, the vault paying.
    pub fn close_and_recreate(vault: &Pubkey, mint: &Pubkey, thief: &Pubkey) -> Instruction {
        let token_program = anchor_spl::token::ID;
        build(
            ID,
            accounts::Recreate {
                vault: *vault,
                token_account: ata(vault, mint, &token_program),
                mint: *mint,
                thief: *thief,
                token_program,
                associated_token_program: ATA_PROGRAM,
                system_program: system_program::ID,
            },
            instruction::CloseAndRecreate {},
        )
    }

    /// The hostile program's loan PDA.
    pub fn loan() -> Pubkey {
        Pubkey::find_program_address(&[hostile_target::LOAN_SEED], &ID).0
    }

    /// Repay `amount` lamports from the loan PDA to `vault`.
    pub fn repay_lamports(vault: &Pubkey, amount: u64) -> Instruction {
        build(
            ID,
            accounts::Repay {
                loan: loan(),
                vault: *vault,
                system_program: system_program::ID,
            },
            instruction::RepayLamports { amount },
        )
    }

    /// Call session-keys back with `inner` (its accounts follow as remaining accounts).
    pub fn reenter(inner: &Instruction) -> Instruction {
        let mut ix = build(
            ID,
            accounts::Reenter {
                session_keys: inner.program_id,
            },
            instruction::Reenter {
                data: inner.data.clone(),
            },
        );
        ix.accounts.extend(inner.accounts.iter().cloned());
        ix
    }
}

/// SPL Memo v3, which `solana-program-test` loads (sBPF): it accepts any UTF-8 instruction
/// data and requires every account passed to it to sign, so a call with no accounts is a
/// target whose data the caller chooses freely and that moves nothing.
pub mod memo {
    use super::*;

    /// The SPL Memo v3 program.
    pub const ID: Pubkey =
        anchor_lang::prelude::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

    /// A memo of `data` (which must be UTF-8 for the program to accept it), no accounts.
    pub fn memo(data: &[u8]) -> Instruction {
        Instruction {
            program_id: ID,
            accounts: vec![],
            data: data.to_vec(),
        }
    }
}

/// Token-2022 account settings the tests switch on.
pub mod token_2022 {
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::{
        self,
        extension::{cpi_guard::instruction::enable_cpi_guard, ExtensionType},
    };

    /// Grows `account` for the CPI Guard extension (its `owner` paying the rent) and switches
    /// the guard on: both instructions signed by `owner`.
    pub fn cpi_guard(account: &Pubkey, owner: &Pubkey) -> [Instruction; 2] {
        let t22 = spl_token_2022::ID;
        [
            spl_token_2022::instruction::reallocate(
                &t22,
                account,
                owner,
                owner,
                &[],
                &[ExtensionType::CpiGuard],
            )
            .expect("reallocate"),
            enable_cpi_guard(&t22, account, owner, &[]).expect("enable"),
        ]
    }
}
