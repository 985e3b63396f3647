//! Mints and token accounts for a [`TestEnv`]: SPL Token and Token-2022 (with extensions),
//! created and minted by the context payer.
use crate::{TestEnv, DECIMALS};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::token_2022::spl_token_2022::{self, state::Account as TokenAccountState};
use solana_sdk::{program_pack::Pack, signature::Keypair, signer::Signer};

impl TestEnv {
    /// Creates a mint owned by `token_program` with [`DECIMALS`]; the context payer is its mint
    /// and freeze authority.
    pub async fn create_mint(&mut self, token_program: &Pubkey) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token_2022::state::Mint::LEN;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &mint.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                token_program,
            ),
            spl_token_2022::instruction::initialize_mint2(
                token_program,
                &mint.pubkey(),
                &payer.pubkey(),
                Some(&payer.pubkey()),
                DECIMALS,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&payer, &mint]).await.unwrap();
        mint.pubkey()
    }

    /// Creates a token account of `mint` owned by `owner`: token program read from the mint,
    /// and, for Token-2022, the account extensions the mint's extensions require.
    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        use spl_token_2022::{
            extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions},
            state::Mint,
        };
        let mint_account = self.account(mint).await.expect("mint exists");
        let token_program = mint_account.owner;
        let mint_extensions = StateWithExtensions::<Mint>::unpack(&mint_account.data)
            .and_then(|m| m.get_extension_types())
            .unwrap_or_default();
        let len = ExtensionType::try_calculate_account_len::<TokenAccountState>(
            &ExtensionType::get_required_init_account_extensions(&mint_extensions),
        )
        .unwrap();
        let account = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = [
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &account.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &token_program,
            ),
            spl_token_2022::instruction::initialize_account3(
                &token_program,
                &account.pubkey(),
                mint,
                owner,
            )
            .unwrap(),
        ];
        self.send(&ixs, &[&payer, &account]).await.unwrap();
        account.pubkey()
    }

    /// Creates a Token-2022 mint with [`DECIMALS`] carrying `extensions`, initialised by
    /// `init` (instructions built for the new mint's address) before the mint itself; the
    /// context payer is mint and freeze authority.
    pub async fn create_mint_2022(
        &mut self,
        extensions: &[spl_token_2022::extension::ExtensionType],
        init: impl Fn(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.ctx.payer.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let len = spl_token_2022::extension::ExtensionType::try_calculate_account_len::<
            spl_token_2022::state::Mint,
        >(extensions)
        .unwrap();
        let t22 = anchor_spl::token_2022::ID;
        let mut ixs = vec![solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent.minimum_balance(len),
            len as u64,
            &t22,
        )];
        ixs.extend(init(&mint.pubkey()));
        ixs.push(
            spl_token_2022::instruction::initialize_mint2(
                &t22,
                &mint.pubkey(),
                &payer.pubkey(),
                Some(&payer.pubkey()),
                DECIMALS,
            )
            .unwrap(),
        );
        self.send(&ixs, &[&payer, &mint]).await.unwrap();
        mint.pubkey()
    }

    /// Mints `amount` of `mint` into `account`.
    pub async fn mint_to(&mut self, mint: &Pubkey, account: &Pubkey, amount: u64) {
        let token_program = self.account(mint).await.expect("mint exists").owner;
        let payer = self.ctx.payer.insecure_clone();
        let ix = spl_token_2022::instruction::mint_to(
            &token_program,
            mint,
            account,
            &payer.pubkey(),
            &[],
            amount,
        )
        .unwrap();
        self.send(&[ix], &[&payer]).await.unwrap();
    }

    /// The token program owning `mint`.
    pub async fn token_program_of(&mut self, mint: &Pubkey) -> Pubkey {
        self.account(mint).await.expect("mint exists").owner
    }
}
