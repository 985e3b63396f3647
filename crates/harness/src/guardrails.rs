//! Owner budgets and `preview` for a [`TestEnv`]: set and read the owner's budget, and ask the
//! program "would this pass?" through `simulateTransaction`, as a client does.
use crate::{client, TestEnv};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, AnchorDeserialize};
use session_keys::{
    instructions::Preview,
    policy::{BudgetCapsArgs, WindowArgs},
    state::Budget,
};
use solana_sdk::{
    signature::Keypair,
    signer::Signer,
    transaction::{Transaction, TransactionError},
};

/// Budget caps: a lifetime cap and/or a window.
pub fn budget(lifetime: Option<u64>, window: Option<(u32, u64)>) -> BudgetCapsArgs {
    BudgetCapsArgs {
        lifetime,
        window: window.map(|(seconds, cap)| WindowArgs { seconds, cap }),
    }
}

impl TestEnv {
    /// The owner sets the budget of `asset` (the all-zero address for SOL, or a mint).
    pub async fn set_budget(
        &mut self,
        asset: &Pubkey,
        caps: BudgetCapsArgs,
    ) -> Result<(), TransactionError> {
        let owner = self.owner.pubkey();
        self.send_owner(&[client::ix::set_budget(&owner, asset, caps)])
            .await
    }

    /// The owner's budget account, decoded, if it exists.
    pub async fn budget_of(&mut self, owner: &Pubkey) -> Option<Budget> {
        let account = self.account(&client::pda::budget(owner).0).await?;
        let mut data: &[u8] = &account.data;
        anchor_lang::AccountDeserialize::try_deserialize(&mut data).ok()
    }

    /// Runs `preview` (built by one of `client::ix::preview*`) in `simulateTransaction`, paid
    /// and signed by `payer` only, and decodes its return data.
    pub async fn preview_with(&mut self, ix: Instruction, payer: &Keypair) -> Preview {
        let tx = Transaction::new_signed_with_payer(
            &[ix],
            Some(&payer.pubkey()),
            &[payer],
            self.ctx.last_blockhash,
        );
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .expect("simulate preview");
        let details = sim.simulation_details.expect("simulation details");
        assert_eq!(
            sim.result,
            Some(Ok(())),
            "preview itself failed: {:?}",
            details.logs
        );
        let data = details.return_data.expect("preview returns data").data;
        Preview::try_from_slice(&data).expect("decode Preview")
    }

    /// [`Self::preview_with`] paid by the default session key.
    pub async fn preview(&mut self, ix: Instruction) -> Preview {
        let key = self.key.insecure_clone();
        self.preview_with(ix, &key).await
    }
}

/// The runtime's code for a transaction result, as `Preview::result` reports it: 0 for
/// success, the custom code of a failed instruction.
pub fn outcome(result: &Result<(), TransactionError>) -> u64 {
    use solana_sdk::instruction::InstructionError;
    match result {
        Ok(()) => 0,
        Err(TransactionError::InstructionError(_, InstructionError::Custom(n))) => u64::from(*n),
        Err(e) => panic!("not an instruction's custom error: {e:?}"),
    }
}
