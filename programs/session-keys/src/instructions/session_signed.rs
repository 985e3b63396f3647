use crate::emit;
use crate::{
    errors::SessionError,
    events::BudgetCharged,
    policy::{self, Allowance, Asset, Reference},
    state::{Budget, Session, Wallet},
};
use anchor_lang::prelude::*;

/// The accounts every session-signed instruction (`transfer_token`, `transfer_sol`, `execute`)
/// starts with, and the one gate they pass: signed by the session's key, the owner's wallet,
/// the owner's vault, the owner's budget.
///
/// Anchor nests it in the IDL as a group named `gate`; the Rust client and the TypeScript SDK
/// flatten it (session key, session, wallet, vault, budget come first, in this order).
#[derive(Accounts)]
pub struct SessionSigned<'info> {
    /// The session key; usually also the fee payer.
    pub session_key: Signer<'info>,
    /// The session acting.
    #[account(mut, has_one = session_key @ SessionError::WrongSessionKey)]
    pub session: Box<Account<'info, Session>>,
    /// The owner's wallet account (revocation nonce, vault and budget bumps).
    #[account(constraint = wallet.owner == session.owner @ SessionError::WrongWallet)]
    pub wallet: Box<Account<'info, Wallet>>,
    /// The owner's vault PDA: pays SOL transfers and signs every CPI (hence writable).
    /// CHECK: checked by [`SessionSigned::check`] with the stored bump (one hash, no search).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The owner's budget PDA `["budget", owner]`, passed whether or not the owner set a
    /// budget (an address with no account means none); read only when this program owns it.
    /// CHECK: address checked by [`SessionSigned::check`] with the bump the wallet stores.
    #[account(mut)]
    pub budget: UncheckedAccount<'info>,
}

impl SessionSigned<'_> {
    /// The gate: the session is usable ([`Session::check_usable`]: unexpired, not revoked
    /// under the owner's current nonce, a use left), within its rate limit, `vault` is the
    /// owner's vault and `budget` the owner's budget address, and `reference` (if any) is a
    /// valid one the session has not used. The key and the wallet were checked by the
    /// account constraints.
    pub fn check(&self, now: i64, reference: Option<&[u8]>) -> Result<Option<Reference>> {
        check_gate(
            &self.session,
            &self.wallet,
            (self.vault.key, self.budget.key),
            now,
            reference,
        )
    }

    /// Charges every `(asset, amount)` to the session's caps, then to the owner's budget
    /// (loaded once, written back once), in that order: the first cap broken names the error.
    /// Returns the session's allowance after each charge. The transaction reverts every
    /// charge if a later step fails.
    /// Emits `BudgetCharged` for every asset the owner's budget counted.
    pub fn charge(
        &mut self,
        charges: &[(Asset, u64)],
        now: i64,
        outflow: bool,
    ) -> Result<Vec<Allowance>> {
        let mut budget = load_budget(&self.budget)?;
        let after = charge_all(&mut self.session, budget.as_mut(), charges, now, outflow)?;
        if let Some(budget) = budget {
            {
                let info = self.budget.to_account_info();
                let mut data = info.try_borrow_mut_data()?;
                let mut writer: &mut [u8] = &mut data;
                budget.try_serialize(&mut writer)?;
            }
            for (asset, amount) in charges {
                if let Some(a) = budget.get(*asset) {
                    emit!(BudgetCharged {
                        owner: budget.owner,
                        session: self.session.key(),
                        asset: policy::asset_address(*asset),
                        amount: *amount,
                        lifetime_remaining: a.lifetime_remaining(),
                        window_remaining: a.window_remaining(now),
                    });
                }
            }
        }
        Ok(after)
    }

    /// After the instruction's effect: one use (count and rate window) and the reference.
    pub fn record(&mut self, now: i64, reference: Option<Reference>) -> Result<()> {
        let session = &mut self.session;
        session.record_use(now)?;
        session.record_reference(reference);
        Ok(())
    }
}

/// The gate on plain values, shared with `preview`: usable, rate, the `(vault, budget)`
/// addresses, then `reference` (if any), which it returns parsed. Logs when the rate limit
/// reopens.
pub fn check_gate(
    session: &Session,
    wallet: &Wallet,
    (vault, budget): (&Pubkey, &Pubkey),
    now: i64,
    reference: Option<&[u8]>,
) -> Result<Option<Reference>> {
    session.check_usable(now, wallet.nonce)?;
    if let Some(at) = session.rate_reopens_at(now) {
        msg!("rate limited until unix time {}", at);
        return Err(SessionError::RateLimited.into());
    }
    wallet.check_vault(vault)?;
    wallet.check_budget(budget)?;
    Ok(session.check_reference(reference)?)
}

/// Reads the budget at an already checked address: `None` when no account of this program is
/// there (never created, or closed), else Anchor's reader (owner and discriminator).
pub fn load_budget(info: &AccountInfo) -> Result<Option<Budget>> {
    if info.owner != &crate::ID || info.data_is_empty() {
        return Ok(None);
    }
    let data = info.try_borrow_data()?;
    let mut slice: &[u8] = &data;
    Ok(Some(Budget::try_deserialize(&mut slice)?))
}

/// Charges to the session (mapping a mint out of scope for `execute`), then to the budget.
pub fn charge_all(
    session: &mut Session,
    budget: Option<&mut Budget>,
    charges: &[(Asset, u64)],
    now: i64,
    outflow: bool,
) -> Result<Vec<Allowance>> {
    let mut after = Vec::with_capacity(charges.len());
    for (asset, amount) in charges {
        let a = session.charge(*asset, *amount, now).map_err(|e| match e {
            SessionError::MintNotInScope if outflow => SessionError::TokenOutflowNotInScope,
            e => e,
        })?;
        after.push(a);
    }
    if let Some(budget) = budget {
        for (asset, amount) in charges {
            budget.charge(*asset, *amount, now)?;
        }
        budget.invariant()?;
    }
    Ok(after)
}
