//! What a token account is: the bytes of an account owned by SPL Token or Token-2022, read
//! exactly as the owning token program reads them, and the few facts about it that `execute`
//! and `revoke_all_sessions` rely on (who controls it, whether tokens in it stay the owner's).
use anchor_lang::prelude::Pubkey;
use anchor_spl::{token::spl_token, token_2022::spl_token_2022};
use solana_program_pack::Pack;
use spl_token_2022::extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions};

/// Length of an SPL token account's base layout.
pub const TOKEN_ACCOUNT_LEN: usize = spl_token::state::Account::LEN;

/// The token program that owns an account. The two read the same bytes differently: SPL Token
/// accepts exactly the 165-byte layout; Token-2022 also accepts extensions after it, but never
/// a 355-byte account (a multisig) or one whose account-type byte says mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProgram {
    /// SPL Token.
    Token,
    /// SPL Token-2022.
    Token2022,
}

impl TokenProgram {
    /// The token program with this id, if it is one.
    pub fn of(program_id: &Pubkey) -> Option<Self> {
        if *program_id == spl_token::ID {
            Some(Self::Token)
        } else if *program_id == spl_token_2022::ID {
            Some(Self::Token2022)
        } else {
            None
        }
    }
}

/// The fields of a token account that a call could abuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenState {
    /// Mint.
    pub mint: Pubkey,
    /// Owner.
    pub owner: Pubkey,
    /// Balance.
    pub amount: u64,
    /// Delegate, if any.
    pub delegate: Option<Pubkey>,
    /// Account state: 1 initialized, 2 frozen.
    pub state: u8,
    /// Amount the delegate may still move.
    pub delegated_amount: u64,
    /// Close authority, if any.
    pub close_authority: Option<Pubkey>,
    /// Length of the account data: a change means extensions were added (Token-2022
    /// `reallocate`), which a call must not do to an account the vault controls.
    pub data_len: usize,
    /// A wrapped-SOL account: its lamports move with its token amount.
    pub is_native: bool,
    /// Carries Token-2022's `ConfidentialTransferAccount` extension: part of its balance is
    /// encrypted and invisible to a balance diff.
    pub confidential: bool,
}

impl TokenState {
    /// Reads `data` exactly as `program` does: SPL Token's `Account::unpack` (exactly 165
    /// bytes, initialized, valid tags) or Token-2022's `StateWithExtensions::<Account>::unpack`
    /// (165 bytes or more but never 355, initialized, account-type byte "account" and zero
    /// padding). `None` for anything the token program itself would refuse as a token account:
    /// a mint, a multisig, uninitialized or malformed data. The two parsers are the token
    /// programs' own (from their interface crates), not a copy of their layout.
    pub fn parse(program: TokenProgram, data: &[u8]) -> Option<Self> {
        match program {
            TokenProgram::Token => {
                let a = spl_token::state::Account::unpack(data).ok()?;
                Some(Self {
                    mint: a.mint,
                    owner: a.owner,
                    amount: a.amount,
                    delegate: a.delegate.into(),
                    state: a.state as u8,
                    delegated_amount: a.delegated_amount,
                    close_authority: a.close_authority.into(),
                    data_len: data.len(),
                    is_native: a.is_native.is_some(),
                    confidential: false,
                })
            }
            TokenProgram::Token2022 => {
                let s = StateWithExtensions::<spl_token_2022::state::Account>::unpack(data).ok()?;
                // Extension types are listed only when there are any (the list is a heap
                // allocation, which a bump heap never gets back). Extension data Token-2022
                // cannot walk is treated as hiding a confidential balance: refused, never
                // trusted.
                let confidential = !s.get_tlv_data().is_empty()
                    && s.get_extension_types().map_or(true, |types| {
                        types.contains(&ExtensionType::ConfidentialTransferAccount)
                    });
                let a = s.base;
                Some(Self {
                    mint: a.mint,
                    owner: a.owner,
                    amount: a.amount,
                    delegate: a.delegate.into(),
                    state: a.state as u8,
                    delegated_amount: a.delegated_amount,
                    close_authority: a.close_authority.into(),
                    data_len: data.len(),
                    is_native: a.is_native.is_some(),
                    confidential,
                })
            }
        }
    }

    /// Whether the account is frozen (the token program refuses to move or revoke on it).
    pub fn frozen(&self) -> bool {
        self.state == spl_token::state::AccountState::Frozen as u8
    }

    /// Whether the vault has any authority over this account.
    pub fn controlled_by(&self, vault: &Pubkey) -> bool {
        self.owner == *vault
            || self.delegate.as_ref() == Some(vault)
            || self.close_authority.as_ref() == Some(vault)
    }

    /// Whether the owner or the vault owns this account (its balance and lamports are theirs).
    pub fn ours(&self, owner: &Pubkey, vault: &Pubkey) -> bool {
        self.owner == *owner || self.owner == *vault
    }

    /// Whether tokens credited to this account stay the owner's: it is ours, no one but the
    /// vault is its delegate, no one but the owner or the vault may close it, and it is not
    /// frozen. Only such increases offset a call's outflow.
    pub fn holds_for(&self, owner: &Pubkey, vault: &Pubkey) -> bool {
        let delegate_ok = self.delegate.is_none_or(|d| d == *vault);
        let close_ok = self
            .close_authority
            .is_none_or(|c| c == *owner || c == *vault);
        self.ours(owner, vault) && delegate_ok && close_ok && !self.frozen()
    }

    /// Whether `after` keeps every authority of `self`. The delegated amount may only go
    /// down, and the delegate may only disappear together with a zero delegated amount (SPL
    /// Token clears it when a delegated transfer uses the last of it); how much of the
    /// vault's delegation went is checked by [`CallEffects`].
    pub fn authorities_kept(&self, after: &Self) -> bool {
        let delegate_ok = after.delegate == self.delegate
            || (after.delegate.is_none() && after.delegated_amount == 0);
        self.mint == after.mint
            && self.data_len == after.data_len
            && self.is_native == after.is_native
            && self.confidential == after.confidential
            && self.owner == after.owner
            && self.close_authority == after.close_authority
            && self.state == after.state
            && delegate_ok
            && after.delegated_amount <= self.delegated_amount
    }
}

/// Test fixtures shared with the accounting tests ([`super::effects`]).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::state::{Account, AccountState};
    use solana_program_option::COption;

    /// An initialized, unfrozen account of a fixed mint, owned by `owner`, holding `amount`.
    pub fn account(owner: Pubkey, amount: u64) -> TokenState {
        TokenState {
            mint: Pubkey::new_from_array([9; 32]),
            owner,
            amount,
            delegate: None,
            state: 1,
            delegated_amount: 0,
            close_authority: None,
            data_len: TOKEN_ACCOUNT_LEN,
            is_native: false,
            confidential: false,
        }
    }

    /// The bytes SPL Token 2022 itself writes for `t` (base layout).
    pub fn packed(t: &TokenState) -> Vec<u8> {
        let option = |k: Option<Pubkey>| match k {
            Some(k) => COption::Some(k),
            None => COption::None,
        };
        let account = Account {
            mint: t.mint,
            owner: t.owner,
            amount: t.amount,
            delegate: option(t.delegate),
            state: if t.state == 2 {
                AccountState::Frozen
            } else {
                AccountState::Initialized
            },
            is_native: if t.is_native {
                COption::Some(0)
            } else {
                COption::None
            },
            delegated_amount: t.delegated_amount,
            close_authority: option(t.close_authority),
        };
        let mut d = vec![0u8; Account::LEN];
        Account::pack(account, &mut d).unwrap();
        d
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::extension::AccountType;

    const STATE_AT: usize = 108;
    const DELEGATE_AT: usize = 72;

    #[test]
    fn parses_what_the_token_programs_pack() {
        let vault = Pubkey::new_unique();
        let mut t = account(vault, 5);
        t.delegate = Some(Pubkey::new_unique());
        t.delegated_amount = 3;
        t.close_authority = Some(vault);
        for program in [TokenProgram::Token, TokenProgram::Token2022] {
            assert_eq!(TokenState::parse(program, &packed(&t)), Some(t));
            let mut frozen = account(Pubkey::new_unique(), u64::MAX);
            frozen.state = 2;
            assert!(frozen.frozen());
            assert_eq!(TokenState::parse(program, &packed(&frozen)), Some(frozen));
            let mut wrapped = t;
            wrapped.is_native = true;
            assert_eq!(TokenState::parse(program, &packed(&wrapped)), Some(wrapped));
            assert_eq!(TokenState::parse(program, &[0; 82]), None);
            let mut uninit = packed(&t);
            uninit[STATE_AT] = 0;
            assert_eq!(TokenState::parse(program, &uninit), None);
            let mut bad_tag = packed(&t);
            bad_tag[DELEGATE_AT] = 7;
            assert_eq!(TokenState::parse(program, &bad_tag), None);
        }
        // Extensions: ImmutableOwner (7, empty) then ConfidentialTransferAccount (5).
        let account_type = AccountType::Account as u8;
        let mut ext = packed(&t);
        ext.extend_from_slice(&[account_type, 7, 0, 0, 0, 5, 0, 2, 0, 9, 9]);
        let with_ext = TokenState {
            data_len: ext.len(),
            confidential: true,
            ..t
        };
        assert_eq!(
            TokenState::parse(TokenProgram::Token2022, &ext),
            Some(with_ext)
        );
        // SPL Token reads exactly 165 bytes: the same data is not its account.
        assert_eq!(TokenState::parse(TokenProgram::Token, &ext), None);
        let mut ext = packed(&t);
        ext.extend_from_slice(&[account_type, 0, 0]);
        assert_eq!(
            TokenState::parse(TokenProgram::Token2022, &ext),
            Some(TokenState { data_len: 168, ..t })
        );
        ext[TOKEN_ACCOUNT_LEN] = AccountType::Mint as u8; // a Token-2022 mint with extensions
        assert_eq!(TokenState::parse(TokenProgram::Token2022, &ext), None);
        assert!(t.controlled_by(&vault));
        assert!(!account(Pubkey::new_unique(), 1).controlled_by(&vault));
    }

    /// The crafted account of security round 3: a 355-byte multisig whose signer slots read,
    /// at the token-account offsets, as an initialized account delegated to the vault, with
    /// byte 165 = 2 ("account"). The old hand parser took it for a token account; both token
    /// programs refuse it, and so does the program now.
    #[test]
    fn a_multisig_dressed_as_a_token_account_is_not_one() {
        let (owner, vault) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut fake = account(owner, 1_000);
        fake.delegate = Some(vault);
        fake.delegated_amount = 1_000;
        let mut data = packed(&fake);
        data.resize(355, 0);
        data[TOKEN_ACCOUNT_LEN] = AccountType::Account as u8;
        for program in [TokenProgram::Token, TokenProgram::Token2022] {
            assert_eq!(TokenState::parse(program, &data), None);
        }
        assert!(
            StateWithExtensions::<spl_token_2022::state::Account>::unpack(&data).is_err(),
            "Token-2022 itself refuses it"
        );
    }

    /// Security round 3: the program's view of a token account must be the token programs'
    /// view, byte for byte. Arbitrary bytes of every interesting shape (165; 166 to 170; 355,
    /// a multisig's length; 165 + account type + TLV entries; anything up to 400), with state
    /// bytes, option tags, account-type bytes and padding chosen among the valid and the
    /// invalid, go to `TokenState::parse` and to each token program's own reader:
    /// - SPL Token: `Account::unpack` (what the program and `Pack` use);
    /// - Token-2022: `StateWithExtensions::<Account>::unpack`, the processor's zero-copy
    ///   `PodStateWithExtensions::<PodAccount>::unpack`, and the RPC filter
    ///   `GenericTokenAccount::valid_account_data`.
    mod agrees_with_the_token_programs {
        use super::*;
        use anchor_lang::AccountDeserialize;
        use anchor_spl::{
            token_2022::spl_token_2022::{
                extension::PodStateWithExtensions, generic_token_account::GenericTokenAccount,
                pod::PodAccount,
            },
            token_interface::TokenAccount,
        };
        use proptest::prelude::*;

        fn tag() -> impl Strategy<Value = [u8; 4]> {
            prop_oneof![Just([0, 0, 0, 0]), Just([1, 0, 0, 0]), any::<[u8; 4]>(),]
        }

        fn small_byte(valid: u8) -> impl Strategy<Value = u8> {
            prop_oneof![0..=valid, any::<u8>()]
        }

        /// 165 bytes whose state byte and option tags are mostly in range.
        fn base() -> impl Strategy<Value = Vec<u8>> {
            (
                prop::collection::vec(any::<u8>(), TOKEN_ACCOUNT_LEN),
                small_byte(2),
                tag(),
                tag(),
                tag(),
            )
                .prop_map(|(mut d, state, delegate, native, close)| {
                    d[STATE_AT] = state;
                    d[DELEGATE_AT..DELEGATE_AT + 4].copy_from_slice(&delegate);
                    d[109..113].copy_from_slice(&native);
                    d[129..133].copy_from_slice(&close);
                    d
                })
        }

        /// What follows the base: nothing, 1 to 5 bytes, up to a multisig's 355 bytes, an
        /// account-type byte and TLV entries, or anything.
        fn rest() -> impl Strategy<Value = Vec<u8>> {
            let entry = (prop_oneof![0u16..=30, any::<u16>()], 0u16..=12)
                .prop_flat_map(|(ty, len)| {
                    (
                        Just(ty),
                        prop_oneof![Just(len), any::<u16>()],
                        prop::collection::vec(any::<u8>(), usize::from(len)),
                    )
                })
                .prop_map(|(ty, len, value)| {
                    let mut e = ty.to_le_bytes().to_vec();
                    e.extend_from_slice(&len.to_le_bytes());
                    e.extend_from_slice(&value);
                    e
                });
            prop_oneof![
                Just(vec![]),
                prop::collection::vec(any::<u8>(), 1..=5),
                (small_byte(3), prop::collection::vec(any::<u8>(), 355 - 166)).prop_map(
                    |(ty, mut tail)| {
                        tail.insert(0, ty);
                        tail
                    }
                ),
                (small_byte(3), prop::collection::vec(entry, 0..4), 0usize..3).prop_map(
                    |(ty, entries, slack)| {
                        let mut r = vec![ty];
                        r.extend(entries.concat());
                        r.resize(r.len() + slack, 0);
                        r
                    }
                ),
                prop::collection::vec(any::<u8>(), 0..235),
            ]
        }

        fn same_fields(t: &TokenState, a: &spl_token_2022::state::Account, len: usize) -> bool {
            t.mint == a.mint
                && t.owner == a.owner
                && t.amount == a.amount
                && t.delegate == Option::from(a.delegate)
                && t.state == a.state as u8
                && t.delegated_amount == a.delegated_amount
                && t.close_authority == Option::from(a.close_authority)
                && t.is_native == a.is_native.is_some()
                && t.data_len == len
        }

        fn check(data: &[u8]) -> Result<(), TestCaseError> {
            // SPL Token.
            let ours = TokenState::parse(TokenProgram::Token, data);
            match spl_token::state::Account::unpack(data) {
                Ok(a) => {
                    let t =
                        ours.ok_or_else(|| TestCaseError::fail("SPL Token reads an account"))?;
                    prop_assert_eq!(t.data_len, TOKEN_ACCOUNT_LEN);
                    prop_assert_eq!((t.mint, t.owner, t.amount), (a.mint, a.owner, a.amount));
                    prop_assert_eq!(t.delegate, Option::from(a.delegate));
                    prop_assert_eq!(t.close_authority, Option::from(a.close_authority));
                    prop_assert_eq!(t.delegated_amount, a.delegated_amount);
                    prop_assert_eq!(t.state, a.state as u8);
                    prop_assert_eq!(t.is_native, a.is_native.is_some());
                    prop_assert!(!t.confidential);
                }
                Err(_) => prop_assert_eq!(ours, None),
            }
            // Token-2022.
            let ours = TokenState::parse(TokenProgram::Token2022, data);
            let theirs = StateWithExtensions::<spl_token_2022::state::Account>::unpack(data);
            match &theirs {
                Ok(s) => {
                    let t =
                        ours.ok_or_else(|| TestCaseError::fail("Token-2022 reads an account"))?;
                    prop_assert!(same_fields(&t, &s.base, data.len()));
                    let confidential = match s.get_extension_types() {
                        Ok(types) => types.contains(&ExtensionType::ConfidentialTransferAccount),
                        Err(_) => true,
                    };
                    prop_assert_eq!(t.confidential, confidential);
                }
                Err(_) => prop_assert_eq!(ours, None),
            }
            // The processor's own zero-copy reader accepts everything we accept, and refuses
            // nothing we accept; it only also takes option tags and state bytes that no token
            // program ever writes (its readers of those fields fail later).
            let pod = PodStateWithExtensions::<PodAccount>::unpack(data);
            if ours.is_some() {
                prop_assert!(pod.is_ok());
                prop_assert!(spl_token_2022::state::Account::valid_account_data(data));
            }
            if pod.is_ok() && ours.is_none() {
                let base = &data[..TOKEN_ACCOUNT_LEN];
                prop_assert!(spl_token_2022::state::Account::unpack(base).is_err());
            }
            // Anchor's `InterfaceAccount<TokenAccount>` (transfer_token, withdraw_token,
            // close_vault_token_account, create_session) reads both owners' accounts with
            // Token-2022's reader. SPL Token initializes data only at 82 (mint), 165 (account)
            // and 355 (multisig) bytes, and leaves any other length zeroed: on all of those,
            // Anchor's reader agrees with SPL Token's.
            let anchor = TokenAccount::try_deserialize_unchecked(&mut &data[..]).is_ok();
            if matches!(data.len(), 82 | TOKEN_ACCOUNT_LEN | 355) || data.iter().all(|b| *b == 0) {
                prop_assert_eq!(anchor, spl_token::state::Account::unpack(data).is_ok());
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4_000))]
            #[test]
            fn on_every_shape_of_bytes(base in base(), rest in rest()) {
                let mut data = base;
                data.extend_from_slice(&rest);
                check(&data)?;
                // Every prefix length the shapes above can miss.
                check(&data[..data.len().min(TOKEN_ACCOUNT_LEN - 1)])?;
            }

            #[test]
            fn on_real_accounts_with_any_extension_bytes(
                owner in any::<[u8; 32]>(),
                amount in any::<u64>(),
                delegated in any::<bool>(),
                tlv in prop::collection::vec(any::<u8>(), 0..40),
            ) {
                let mut t = account(Pubkey::new_from_array(owner), amount);
                if delegated {
                    t.delegate = Some(Pubkey::new_unique());
                    t.delegated_amount = amount / 2;
                }
                let mut data = packed(&t);
                check(&data)?;
                data.push(AccountType::Account as u8);
                data.extend_from_slice(&tlv);
                check(&data)?;
            }
        }

        /// The lengths the issue names, each with an account-type byte of "account".
        #[test]
        fn at_the_named_lengths() {
            let t = account(Pubkey::new_unique(), 7);
            for len in [165usize, 166, 167, 168, 169, 170, 355] {
                let mut data = packed(&t);
                data.resize(len, 0);
                if len > TOKEN_ACCOUNT_LEN {
                    data[TOKEN_ACCOUNT_LEN] = AccountType::Account as u8;
                }
                check(&data).unwrap();
                check(&vec![0; len]).unwrap();
                let ours = TokenState::parse(TokenProgram::Token2022, &data);
                assert_eq!(ours.is_some(), len != 355, "length {len}");
                assert_eq!(
                    TokenState::parse(TokenProgram::Token, &data).is_some(),
                    len == 165
                );
            }
        }
    }
}
