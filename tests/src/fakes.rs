//! Accounts a stranger can create that imitate the owner's: the crafted-token-account class of
//! security round 3. Anyone can create a token multisig (355 bytes, about 0.0034 SOL of rent)
//! and choose all 11 of its signer keys, 352 bytes of the account's data. At the offsets of a
//! token account those bytes can spell "an initialized account of mint M, owner O, delegate D"
//! with byte 165 set to 2 (Token-2022's account-type "account"): a parser that checks length
//! and that byte, and not the token program's own rules, takes the multisig for a token account.
use crate::TestEnv;
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::AccountType,
    state::{Account, AccountState, Multisig},
};
use solana_sdk::{program_pack::Pack, signature::Keypair, signer::Signer};

/// The token-account image a fake should show: `owner`'s account of `mint` holding `amount`,
/// with `delegate` approved for all of it.
pub fn token_account_image(
    mint: Pubkey,
    owner: Pubkey,
    amount: u64,
    delegate: Option<Pubkey>,
) -> [u8; Account::LEN] {
    let account = Account {
        mint,
        owner,
        amount,
        delegate: delegate.into(),
        state: AccountState::Initialized,
        is_native: None.into(),
        delegated_amount: if delegate.is_some() { amount } else { 0 },
        close_authority: None.into(),
    };
    let mut image = [0u8; Account::LEN];
    Account::pack(account, &mut image).expect("packs");
    image
}

/// The 11 signer keys (and `m`) of a multisig whose data reads as `image` from byte 3 on, with
/// byte 165 = [`AccountType::Account`]. Bytes 0 to 2 are the multisig's own `m`, `n` and
/// "initialized" (1, 11, 1): the fake's mint differs from the image's in its first 3 bytes only.
pub fn multisig_signers_imitating(image: &[u8; Account::LEN]) -> [Pubkey; 11] {
    let mut data = [0u8; Multisig::LEN];
    data[..Account::LEN].copy_from_slice(image);
    data[Account::LEN] = AccountType::Account as u8;
    std::array::from_fn(|i| {
        let at = 3 + 32 * i;
        Pubkey::new_from_array(data[at..at + 32].try_into().expect("32 bytes"))
    })
}

/// Fakes a [`TestEnv`]'s stranger plants (an extension of the harness's `TestEnv`, which this
/// crate cannot add inherent methods to; in scope through the crate root's re-export).
// `async fn` in a public trait: the fixture only runs on the tests' own runtime, so the
// future's auto traits need no bound.
#[allow(async_fn_in_trait)]
pub trait PlantFakes {
    /// The stranger creates and initializes, under `token_program`, a multisig whose data
    /// imitates `image` ([`multisig_signers_imitating`]); returns its address. Nothing of the
    /// owner's is touched or signs.
    async fn plant_fake_token_account(
        &mut self,
        token_program: &Pubkey,
        image: &[u8; Account::LEN],
    ) -> Pubkey;
}

impl PlantFakes for TestEnv {
    async fn plant_fake_token_account(
        &mut self,
        token_program: &Pubkey,
        image: &[u8; Account::LEN],
    ) -> Pubkey {
        let fake = Keypair::new();
        let stranger = self.stranger.insecure_clone();
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        let signers = multisig_signers_imitating(image);
        let refs: Vec<&Pubkey> = signers.iter().collect();
        let ixs: [Instruction; 2] = [
            solana_system_interface::instruction::create_account(
                &stranger.pubkey(),
                &fake.pubkey(),
                rent.minimum_balance(Multisig::LEN),
                Multisig::LEN as u64,
                token_program,
            ),
            spl_token_2022::instruction::initialize_multisig2(
                token_program,
                &fake.pubkey(),
                &refs,
                1,
            )
            .expect("instruction"),
        ];
        self.send(&ixs, &[&stranger, &fake])
            .await
            .expect("anyone can create a multisig");
        let data = self.account(&fake.pubkey()).await.expect("created").data;
        assert_eq!(data.len(), Multisig::LEN);
        assert_eq!(&data[3..Account::LEN], &image[3..], "reads as the image");
        assert_eq!(data[Account::LEN], AccountType::Account as u8);
        fake.pubkey()
    }
}
