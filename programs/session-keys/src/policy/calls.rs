//! Scope of arbitrary program calls (`execute`): which programs, which instructions (by
//! discriminator prefix), and rules on their arguments and accounts.
use super::PolicyResult;
use crate::{
    constants::{
        MAX_ACCOUNT_KEYS, MAX_ACCOUNT_RULES, MAX_ARG_RULES, MAX_DISCRIMINATOR_LEN,
        MAX_INSTRUCTION_RULES, MAX_RAW_ARG_LEN,
    },
    errors::SessionError,
};
use anchor_lang::prelude::*;

/// How the bytes of an argument are read.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// 1-byte unsigned.
    U8,
    /// 2-byte little-endian unsigned.
    U16,
    /// 4-byte little-endian unsigned.
    U32,
    /// 8-byte little-endian unsigned.
    U64,
    /// 16-byte little-endian unsigned.
    U128,
    /// Raw bytes, as long as the rule's value; only `Eq` and `Ne` apply.
    Bytes,
}

impl ArgKind {
    /// Width in bytes of an integer kind; `None` for raw bytes.
    pub fn width(self) -> Option<usize> {
        match self {
            Self::U8 => Some(1),
            Self::U16 => Some(2),
            Self::U32 => Some(4),
            Self::U64 => Some(8),
            Self::U128 => Some(16),
            Self::Bytes => None,
        }
    }
}

/// Comparison of the argument (left) with the rule's value (right).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `≠`
    Ne,
    /// `<`
    Lt,
    /// `≤`
    Le,
    /// `>`
    Gt,
    /// `≥`
    Ge,
}

impl CmpOp {
    fn holds(self, ord: core::cmp::Ordering) -> bool {
        use core::cmp::Ordering::*;
        match self {
            Self::Eq => ord == Equal,
            Self::Ne => ord != Equal,
            Self::Lt => ord == Less,
            Self::Le => ord != Greater,
            Self::Gt => ord == Greater,
            Self::Ge => ord != Less,
        }
    }
}

/// A rule on the instruction data: `data[offset..offset + width] <op> value`.
/// Serialized: 2 + 1 + 1 + 4 + value length bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ArgRule {
    /// Byte offset in the instruction data (discriminator included).
    pub offset: u16,
    /// How to read the bytes.
    pub kind: ArgKind,
    /// Comparison.
    pub op: CmpOp,
    /// Right-hand side: little-endian bytes of the kind's width, or the raw bytes.
    pub value: Vec<u8>,
}

impl ArgRule {
    /// Serialized size.
    pub fn size(&self) -> usize {
        8usize.saturating_add(self.value.len())
    }

    /// Rejects rules that could never be evaluated as written.
    pub fn validate(&self) -> PolicyResult<()> {
        let ok = match self.kind.width() {
            Some(width) => self.value.len() == width,
            None => {
                !self.value.is_empty()
                    && self.value.len() <= usize::from(MAX_RAW_ARG_LEN)
                    && matches!(self.op, CmpOp::Eq | CmpOp::Ne)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(SessionError::InvalidScopeRule)
        }
    }

    /// Whether `data` satisfies the rule; data too short to hold the argument fails.
    pub fn matches(&self, data: &[u8]) -> bool {
        let start = usize::from(self.offset);
        let Some(arg) = start
            .checked_add(self.value.len())
            .and_then(|end| data.get(start..end))
        else {
            return false;
        };
        let ord = match self.kind.width() {
            Some(_) => le_u128(arg).cmp(&le_u128(&self.value)),
            None => arg.cmp(self.value.as_slice()),
        };
        self.op.holds(ord)
    }
}

/// The first [`MAX_DISCRIMINATOR_LEN`] bytes of `data`, zero-padded: what an instruction
/// rule's prefix is compared with, and what `Executed` events report.
pub fn discriminator_of(data: &[u8]) -> [u8; MAX_DISCRIMINATOR_LEN as usize] {
    let mut out = [0u8; MAX_DISCRIMINATOR_LEN as usize];
    for (d, s) in out.iter_mut().zip(data) {
        *d = *s;
    }
    out
}

/// Little-endian unsigned value of up to 16 bytes.
fn le_u128(bytes: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    for (dst, src) in buf.iter_mut().zip(bytes) {
        *dst = *src;
    }
    u128::from_le_bytes(buf)
}

/// A rule on the instruction's accounts: the account at `index` must be one of `keys`.
/// Serialized: 1 + 4 + 32 per key bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct AccountRule {
    /// Index in the inner instruction's account list.
    pub index: u8,
    /// Allowed keys (1 to [`MAX_ACCOUNT_KEYS`]).
    pub keys: Vec<Pubkey>,
}

impl AccountRule {
    /// Serialized size.
    pub fn size(&self) -> usize {
        5usize.saturating_add(32usize.saturating_mul(self.keys.len()))
    }
}

/// An allowed instruction of a program, with optional argument and account rules.
/// Serialized: 1 + 8 + 4 + args + 4 + accounts bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InstructionRule {
    /// How many bytes of `discriminator` are compared (1 to 8).
    pub discriminator_len: u8,
    /// Prefix the instruction data must start with (first `discriminator_len` bytes).
    pub discriminator: [u8; 8],
    /// Every argument rule must hold.
    pub args: Vec<ArgRule>,
    /// Every account rule must hold.
    pub accounts: Vec<AccountRule>,
}

impl InstructionRule {
    /// Serialized size.
    pub fn size(&self) -> usize {
        let args = self
            .args
            .iter()
            .map(ArgRule::size)
            .fold(0usize, usize::saturating_add);
        let accounts = self
            .accounts
            .iter()
            .map(AccountRule::size)
            .fold(0usize, usize::saturating_add);
        17usize.saturating_add(args).saturating_add(accounts)
    }

    /// The compared prefix.
    pub fn prefix(&self) -> &[u8] {
        let len = usize::from(self.discriminator_len).min(usize::from(MAX_DISCRIMINATOR_LEN));
        self.discriminator.get(..len).unwrap_or(&[])
    }

    /// Checks the rule is within the limits and can be evaluated as written.
    pub fn validate(&self) -> PolicyResult<()> {
        if self.args.len() > usize::from(MAX_ARG_RULES)
            || self.accounts.len() > usize::from(MAX_ACCOUNT_RULES)
        {
            return Err(SessionError::TooManyRules);
        }
        let len_ok = (1..=MAX_DISCRIMINATOR_LEN).contains(&self.discriminator_len);
        let accounts_ok = self
            .accounts
            .iter()
            .all(|r| !r.keys.is_empty() && r.keys.len() <= usize::from(MAX_ACCOUNT_KEYS));
        if !len_ok || !accounts_ok {
            return Err(SessionError::InvalidScopeRule);
        }
        self.args.iter().try_for_each(ArgRule::validate)
    }

    /// Checks the argument and account rules against a call whose data starts with the prefix.
    fn check<'a>(
        &self,
        data: &[u8],
        key_at: &impl Fn(usize) -> Option<&'a Pubkey>,
    ) -> PolicyResult<()> {
        if !self.args.iter().all(|r| r.matches(data)) {
            return Err(SessionError::ArgumentRuleViolated);
        }
        let accounts_ok = self
            .accounts
            .iter()
            .all(|r| key_at(usize::from(r.index)).is_some_and(|k| r.keys.contains(k)));
        if !accounts_ok {
            return Err(SessionError::AccountRuleViolated);
        }
        Ok(())
    }
}

/// A program the session may call through `execute`. Serialized: 32 + 1 + 4 + rules bytes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProgramScope {
    /// The target program.
    pub program_id: Pubkey,
    /// Whether the session key's own signature may be passed on to this program (for example
    /// as a fee payer of the program's accounts). Off by default: only the vault signs.
    pub pass_session_signer: bool,
    /// Allowed instructions; empty allows every instruction of the program.
    pub instructions: Vec<InstructionRule>,
}

impl ProgramScope {
    /// Checks the number of instruction rules and each rule.
    pub fn validate(&self) -> PolicyResult<()> {
        if self.instructions.len() > usize::from(MAX_INSTRUCTION_RULES) {
            return Err(SessionError::TooManyRules);
        }
        self.instructions
            .iter()
            .try_for_each(InstructionRule::validate)
    }

    /// Serialized size.
    pub fn size(&self) -> usize {
        let rules = self
            .instructions
            .iter()
            .map(InstructionRule::size)
            .fold(0usize, usize::saturating_add);
        37usize.saturating_add(rules)
    }
}

/// Programs `execute` never calls, whatever a scope says: this program (re-entry), the System
/// Program, SPL Token, Token-2022, Associated Token, and the BPF loaders. Transfers go through
/// `transfer_sol` / `transfer_token`, where caps apply directly to the amount.
pub fn is_refused_target(program: &Pubkey) -> bool {
    const REFUSED: [Pubkey; 9] = [
        crate::ID,
        anchor_lang::system_program::ID,
        anchor_spl::token::ID,
        anchor_spl::token_2022::ID,
        pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
        pubkey!("BPFLoader1111111111111111111111111111111111"),
        pubkey!("BPFLoader2111111111111111111111111111111111"),
        pubkey!("BPFLoaderUpgradeab1e11111111111111111111111"),
        pubkey!("LoaderV411111111111111111111111111111111111"),
    ];
    REFUSED.contains(program)
}

/// Decides whether a call to `program` with `data` and accounts (`key_at(i)` is the i-th
/// account's key) is in scope, returning the program's scope entry.
pub fn check_call<'s, 'a>(
    scopes: &'s [ProgramScope],
    program: &Pubkey,
    data: &[u8],
    key_at: impl Fn(usize) -> Option<&'a Pubkey>,
) -> PolicyResult<&'s ProgramScope> {
    if is_refused_target(program) {
        return Err(SessionError::RefusedTarget);
    }
    let scope = scopes
        .iter()
        .find(|s| s.program_id == *program)
        .ok_or(SessionError::ProgramNotInScope)?;
    if scope.instructions.is_empty() {
        return Ok(scope);
    }
    let mut result = Err(SessionError::InstructionNotInScope);
    for rule in scope
        .instructions
        .iter()
        .filter(|r| data.starts_with(r.prefix()))
    {
        result = rule.check(data, &key_at);
        if result.is_ok() {
            return Ok(scope);
        }
    }
    result.map(|_| scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(disc: &[u8], args: Vec<ArgRule>, accounts: Vec<AccountRule>) -> InstructionRule {
        let mut discriminator = [0u8; 8];
        discriminator[..disc.len()].copy_from_slice(disc);
        InstructionRule {
            discriminator_len: disc.len() as u8,
            discriminator,
            args,
            accounts,
        }
    }

    fn u64_rule(offset: u16, op: CmpOp, v: u64) -> ArgRule {
        ArgRule {
            offset,
            kind: ArgKind::U64,
            op,
            value: v.to_le_bytes().to_vec(),
        }
    }

    #[test]
    fn refused_targets_whatever_the_scope() {
        for p in [
            crate::ID,
            anchor_lang::system_program::ID,
            anchor_spl::token::ID,
            anchor_spl::token_2022::ID,
            pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
            pubkey!("BPFLoader1111111111111111111111111111111111"),
            pubkey!("BPFLoader2111111111111111111111111111111111"),
            pubkey!("BPFLoaderUpgradeab1e11111111111111111111111"),
            pubkey!("LoaderV411111111111111111111111111111111111"),
        ] {
            let scopes = [ProgramScope {
                program_id: p,
                pass_session_signer: false,
                instructions: vec![],
            }];
            assert_eq!(
                check_call(&scopes, &p, &[], |_| None),
                Err(SessionError::RefusedTarget)
            );
        }
    }

    #[test]
    fn program_and_instruction_matching() {
        let game = Pubkey::new_unique();
        let scopes = [ProgramScope {
            program_id: game,
            pass_session_signer: false,
            instructions: vec![
                rule(&[1, 2, 3, 4, 5, 6, 7, 8], vec![], vec![]),
                rule(&[9], vec![], vec![]),
            ],
        }];
        assert!(check_call(&scopes, &game, &[1, 2, 3, 4, 5, 6, 7, 8, 0xff], |_| None).is_ok());
        assert!(check_call(&scopes, &game, &[9], |_| None).is_ok());
        assert_eq!(
            check_call(&scopes, &game, &[1, 2, 3], |_| None),
            Err(SessionError::InstructionNotInScope)
        );
        assert_eq!(
            check_call(&scopes, &Pubkey::new_unique(), &[9], |_| None),
            Err(SessionError::ProgramNotInScope)
        );
        let open = [ProgramScope {
            program_id: game,
            pass_session_signer: false,
            instructions: vec![],
        }];
        assert!(check_call(&open, &game, &[], |_| None).is_ok());
    }

    #[test]
    fn argument_rules_every_operator() {
        let data = |v: u64| [&[7u8][..], &v.to_le_bytes()].concat();
        let cases = [
            (CmpOp::Eq, 5, 5, true),
            (CmpOp::Eq, 5, 6, false),
            (CmpOp::Ne, 5, 6, true),
            (CmpOp::Ne, 5, 5, false),
            (CmpOp::Lt, 5, 4, true),
            (CmpOp::Lt, 5, 5, false),
            (CmpOp::Le, 5, 5, true),
            (CmpOp::Le, 5, 6, false),
            (CmpOp::Gt, 5, 6, true),
            (CmpOp::Gt, 5, 5, false),
            (CmpOp::Ge, 5, 5, true),
            (CmpOp::Ge, 5, 4, false),
            // Little-endian across bytes: 256 > 255.
            (CmpOp::Gt, 255, 256, true),
        ];
        for (op, bound, arg, ok) in cases {
            assert_eq!(
                u64_rule(1, op, bound).matches(&data(arg)),
                ok,
                "{op:?} {bound} {arg}"
            );
        }
        // Too short to hold the argument: fails.
        assert!(!u64_rule(1, CmpOp::Ge, 0).matches(&[7, 1, 2]));
        // Offset near u16::MAX does not overflow.
        assert!(!u64_rule(u16::MAX, CmpOp::Ge, 0).matches(&[0; 16]));
        let raw = ArgRule {
            offset: 0,
            kind: ArgKind::Bytes,
            op: CmpOp::Eq,
            value: vec![1, 2],
        };
        assert!(raw.matches(&[1, 2, 3]));
        assert!(!raw.matches(&[1, 3]));
        let wide = ArgRule {
            offset: 0,
            kind: ArgKind::U128,
            op: CmpOp::Le,
            value: u128::MAX.to_le_bytes().to_vec(),
        };
        assert!(wide.matches(&[0xff; 16]));
    }

    #[test]
    fn invalid_rules_are_rejected() {
        let bad_width = ArgRule {
            offset: 0,
            kind: ArgKind::U64,
            op: CmpOp::Eq,
            value: vec![1],
        };
        assert_eq!(bad_width.validate(), Err(SessionError::InvalidScopeRule));
        let ordered_bytes = ArgRule {
            offset: 0,
            kind: ArgKind::Bytes,
            op: CmpOp::Lt,
            value: vec![1],
        };
        assert_eq!(
            ordered_bytes.validate(),
            Err(SessionError::InvalidScopeRule)
        );
        let empty_bytes = ArgRule {
            offset: 0,
            kind: ArgKind::Bytes,
            op: CmpOp::Eq,
            value: vec![],
        };
        assert_eq!(empty_bytes.validate(), Err(SessionError::InvalidScopeRule));
        assert_eq!(
            rule(&[], vec![], vec![]).validate(),
            Err(SessionError::InvalidScopeRule)
        );
        let mut nine = rule(&[1], vec![], vec![]);
        nine.discriminator_len = 9;
        assert_eq!(nine.validate(), Err(SessionError::InvalidScopeRule));
        let no_keys = rule(
            &[1],
            vec![],
            vec![AccountRule {
                index: 0,
                keys: vec![],
            }],
        );
        assert_eq!(no_keys.validate(), Err(SessionError::InvalidScopeRule));
    }

    #[test]
    fn account_rules() {
        let (game, market, other) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let scopes = [ProgramScope {
            program_id: game,
            pass_session_signer: false,
            instructions: vec![rule(
                &[1],
                vec![u64_rule(1, CmpOp::Le, 1_000_000)],
                vec![AccountRule {
                    index: 1,
                    keys: vec![market],
                }],
            )],
        }];
        let keys = [other, market];
        let ok_data = [&[1u8][..], &500u64.to_le_bytes()].concat();
        assert!(check_call(&scopes, &game, &ok_data, |i| keys.get(i)).is_ok());
        let wrong = [market, other];
        assert_eq!(
            check_call(&scopes, &game, &ok_data, |i| wrong.get(i)),
            Err(SessionError::AccountRuleViolated)
        );
        assert_eq!(
            check_call(&scopes, &game, &ok_data, |i| keys[..1].get(i)),
            Err(SessionError::AccountRuleViolated)
        );
        let big = [&[1u8][..], &1_000_001u64.to_le_bytes()].concat();
        assert_eq!(
            check_call(&scopes, &game, &big, |i| keys.get(i)),
            Err(SessionError::ArgumentRuleViolated)
        );
    }

    #[test]
    fn sizes_match_serialization() {
        let r = rule(
            &[1, 2],
            vec![
                u64_rule(8, CmpOp::Le, 5),
                ArgRule {
                    offset: 1,
                    kind: ArgKind::Bytes,
                    op: CmpOp::Eq,
                    value: vec![1; 3],
                },
            ],
            vec![AccountRule {
                index: 0,
                keys: vec![Pubkey::new_unique(); 2],
            }],
        );
        let p = ProgramScope {
            program_id: Pubkey::new_unique(),
            pass_session_signer: true,
            instructions: vec![r.clone(), r],
        };
        assert_eq!(
            anchor_lang::prelude::borsh::to_vec(&p).unwrap().len(),
            p.size()
        );
    }
}
