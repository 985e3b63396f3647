//! Sessions for a [`TestEnv`]: grants of the default key (token, SOL, program scopes), the
//! session-signed calls it makes, and the vault funding those grants start from.
use crate::{client, TestEnv, DECIMALS, START};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::token::spl_token;
use solana_sdk::{signer::Signer, transaction::TransactionError};

impl TestEnv {
    /// Accounts of a transfer of `mint` from `from` to `to`.
    pub async fn transfer_accounts(
        &mut self,
        from: &Pubkey,
        mint: &Pubkey,
        to: &Pubkey,
    ) -> client::ix::TokenTransfer {
        client::ix::TokenTransfer {
            from: *from,
            mint: *mint,
            to: *to,
            token_program: self.token_program_of(mint).await,
        }
    }

    /// `transfer_token` of the default mint from the owner's account to the recipient's.
    pub async fn transfer_ix(&mut self, amount: u64) -> Instruction {
        let (from, mint, to) = (self.owner_ata, self.mint, self.recipient_ata);
        let t = self.transfer_accounts(&from, &mint, &to).await;
        client::ix::transfer_token(
            &self.key.pubkey(),
            &self.owner.pubkey(),
            t,
            amount,
            DECIMALS,
        )
    }

    /// Creates a session for the default key with `args`, approving the vault on the owner's
    /// token account when `args.delegate_amount` is set.
    pub async fn create_session(
        &mut self,
        args: client::CreateSessionArgs,
    ) -> Result<(), TransactionError> {
        let delegate = args.delegate_amount.map(|_| client::ix::DelegateFrom {
            token_account: self.owner_ata,
            token_program: spl_token::ID,
        });
        let (owner, key) = (self.owner.pubkey(), self.key.pubkey());
        let ix = client::ix::create_session(&owner, &owner, &key, args, delegate);
        self.send_owner(&[ix]).await
    }

    /// A bank with a session on the default mint with `caps`, for an hour from [`START`], the
    /// vault approved as delegate of the owner's account for `delegate`.
    pub async fn with_token_session(caps: session_keys::policy::CapsArgs, delegate: u64) -> Self {
        let mut env = Self::new().await;
        env.token_session(caps, delegate).await;
        env
    }

    /// Creates the default key's session on the default mint with `caps` (an hour from
    /// [`START`]), approving the vault for `delegate` on the owner's account.
    pub async fn token_session(&mut self, caps: session_keys::policy::CapsArgs, delegate: u64) {
        let args = client::scope::Scope::until(START + 3600)
            .mint(self.mint, caps)
            .delegate(delegate)
            .build(START)
            .unwrap();
        self.create_session(args).await.unwrap();
    }

    /// A bank whose vault holds `deposit` lamports and whose default session may move SOL
    /// under `caps` for two hours from [`START`]. Returns the vault too.
    pub async fn with_sol_session(
        deposit: u64,
        caps: session_keys::policy::CapsArgs,
    ) -> (Self, Pubkey) {
        let mut env = Self::new().await;
        let vault = env.fund_vault(deposit).await;
        let args = client::scope::Scope::until(START + 7200)
            .sol(caps)
            .build(START)
            .unwrap();
        env.create_session(args).await.unwrap();
        (env, vault)
    }

    /// The owner deposits `lamports` into the vault (`deposit_sol`) and gets the vault's
    /// address: where a session that spends SOL or pays rent through `execute` starts.
    pub async fn fund_vault(&mut self, lamports: u64) -> Pubkey {
        let owner = self.owner.pubkey();
        self.send_owner(&[client::ix::deposit_sol(&owner, lamports)])
            .await
            .unwrap();
        client::pda::vault(&owner).0
    }

    /// Session-signed `transfer_token` of `amount` from the owner's account to the recipient.
    pub async fn send_transfer(&mut self, amount: u64) -> Result<(), TransactionError> {
        let ix = self.transfer_ix(amount).await;
        self.send_key(&[ix]).await
    }

    /// Session-signed `execute` of `calls` with the default key.
    pub async fn execute(&mut self, calls: &[Instruction]) -> Result<(), TransactionError> {
        let ix = client::ix::execute(&self.key.pubkey(), &self.owner.pubkey(), calls);
        self.send_key(&[ix]).await
    }

    /// The owner revokes the default key's session (rent back to the owner), so that the same
    /// key can be granted again.
    pub async fn revoke_own_session(&mut self) {
        let (owner, key) = (self.owner.pubkey(), self.key.pubkey());
        self.send_owner(&[client::ix::revoke_session(&owner, &owner, &key, &owner)])
            .await
            .unwrap();
    }
}
