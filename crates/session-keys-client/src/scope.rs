//! A builder for [`CreateSessionArgs`] that checks, before anything is sent, every rule the
//! program checks on the arguments (it runs the program's own code).
use anchor_lang::prelude::Pubkey;
use session_keys::{
    errors::SessionError,
    instructions::{CreateSessionArgs, MintCapsArgs},
    policy::{
        AccountRule, ArgKind, ArgRule, CapsArgs, CmpOp, InstructionRule, ProgramScope,
        UsesWindowArgs, WindowArgs,
    },
};

/// Caps for one asset: a required lifetime cap plus optional per-instruction and window caps.
pub fn caps(lifetime: u64) -> CapsArgs {
    CapsArgs {
        lifetime,
        per_instruction: None,
        window: None,
    }
}

/// Extension methods to read caps like a sentence: `caps(50).per_instruction(10).window(60, 10)`.
pub trait CapsExt {
    /// Largest single transfer.
    fn per_instruction(self, max: u64) -> Self;
    /// At most `cap` per aligned window of `seconds`.
    fn window(self, seconds: u32, cap: u64) -> Self;
}

impl CapsExt for CapsArgs {
    fn per_instruction(mut self, max: u64) -> Self {
        self.per_instruction = Some(max);
        self
    }
    fn window(mut self, seconds: u32, cap: u64) -> Self {
        self.window = Some(WindowArgs { seconds, cap });
        self
    }
}

/// Builds the scope of a new session.
#[derive(Clone, Debug)]
pub struct Scope(CreateSessionArgs);

impl Scope {
    /// A session that dies at `expires_at` (unix seconds) and grants nothing yet.
    pub fn until(expires_at: i64) -> Self {
        Self(CreateSessionArgs {
            expires_at,
            max_uses: None,
            sol: None,
            mints: Vec::new(),
            destinations: Vec::new(),
            programs: Vec::new(),
            label: String::new(),
            top_up_lamports: 0,
            delegate_amount: None,
            uses_window: None,
            reference_history: 0,
        })
    }
    /// Rate limit: at most `uses` actions per aligned window of `seconds`.
    pub fn rate_limit(mut self, uses: u32, seconds: u32) -> Self {
        self.0.uses_window = Some(UsesWindowArgs { uses, seconds });
        self
    }
    /// Remembers the last `n` payment references and refuses them again (33 bytes of rent
    /// each, at most `MAX_REFERENCE_HISTORY`).
    pub fn reference_history(mut self, n: u8) -> Self {
        self.0.reference_history = n;
        self
    }
    /// Lets the session spend lamports from the vault within `caps`.
    pub fn sol(mut self, caps: CapsArgs) -> Self {
        self.0.sol = Some(caps);
        self
    }
    /// Lets the session move `mint` within `caps`.
    pub fn mint(mut self, mint: Pubkey, caps: CapsArgs) -> Self {
        self.0.mints.push(MintCapsArgs { mint, caps });
        self
    }
    /// Adds a destination (token account, token account owner, or SOL recipient).
    pub fn destination(mut self, key: Pubkey) -> Self {
        self.0.destinations.push(key);
        self
    }
    /// Lets the session call a program through `execute`, within the program's rules.
    pub fn program(mut self, scope: ProgramScope) -> Self {
        self.0.programs.push(scope);
        self
    }
    /// Limits the number of transfers.
    pub fn max_uses(mut self, uses: u32) -> Self {
        self.0.max_uses = Some(uses);
        self
    }
    /// Label for wallet UIs.
    pub fn label(mut self, label: &str) -> Self {
        self.0.label = label.to_owned();
        self
    }
    /// Lamports sent from the owner to the session key for fees.
    pub fn top_up(mut self, lamports: u64) -> Self {
        self.0.top_up_lamports = lamports;
        self
    }
    /// Approves the vault as delegate for `amount` on the owner's token account.
    pub fn delegate(mut self, amount: u64) -> Self {
        self.0.delegate_amount = Some(amount);
        self
    }
    /// Checks every rule as of `now` and returns the arguments.
    pub fn build(self, now: i64) -> Result<CreateSessionArgs, SessionError> {
        self.0.check(now)?;
        Ok(self.0)
    }
    /// The arguments without any check, to test what the program itself rejects.
    pub fn build_unchecked(self) -> CreateSessionArgs {
        self.0
    }
}

/// Every instruction of `program_id` (add [`ProgramScopeExt::instruction`] to narrow it).
pub fn program(program_id: Pubkey) -> ProgramScope {
    ProgramScope {
        program_id,
        pass_session_signer: false,
        instructions: Vec::new(),
    }
}

/// Builder methods on [`ProgramScope`].
pub trait ProgramScopeExt {
    /// Allows one instruction (with its rules); once any is listed, only listed ones pass.
    fn instruction(self, rule: InstructionRule) -> Self;
    /// Lets the session key's own signature through to this program.
    fn pass_session_signer(self) -> Self;
}

impl ProgramScopeExt for ProgramScope {
    fn instruction(mut self, rule: InstructionRule) -> Self {
        self.instructions.push(rule);
        self
    }
    fn pass_session_signer(mut self) -> Self {
        self.pass_session_signer = true;
        self
    }
}

/// An instruction whose data starts with `discriminator` (1 to 8 bytes; Anchor's are 8).
pub fn instruction(discriminator: &[u8]) -> InstructionRule {
    let mut d = [0u8; 8];
    for (dst, src) in d.iter_mut().zip(discriminator) {
        *dst = *src;
    }
    InstructionRule {
        discriminator_len: u8::try_from(discriminator.len()).unwrap_or(u8::MAX),
        discriminator: d,
        args: Vec::new(),
        accounts: Vec::new(),
    }
}

/// Builder methods on [`InstructionRule`].
pub trait InstructionRuleExt {
    /// `data[offset..offset+8]` as a little-endian u64, compared with `value`.
    fn arg_u64(self, offset: u16, op: CmpOp, value: u64) -> Self;
    /// `data[offset]` compared with `value`.
    fn arg_u8(self, offset: u16, op: CmpOp, value: u8) -> Self;
    /// Any argument rule.
    fn arg(self, offset: u16, kind: ArgKind, op: CmpOp, value: Vec<u8>) -> Self;
    /// The account at `index` must be one of `keys`.
    fn account(self, index: u8, keys: &[Pubkey]) -> Self;
}

impl InstructionRuleExt for InstructionRule {
    fn arg_u64(self, offset: u16, op: CmpOp, value: u64) -> Self {
        self.arg(offset, ArgKind::U64, op, value.to_le_bytes().to_vec())
    }
    fn arg_u8(self, offset: u16, op: CmpOp, value: u8) -> Self {
        self.arg(offset, ArgKind::U8, op, vec![value])
    }
    fn arg(mut self, offset: u16, kind: ArgKind, op: CmpOp, value: Vec<u8>) -> Self {
        self.args.push(ArgRule {
            offset,
            kind,
            op,
            value,
        });
        self
    }
    fn account(mut self, index: u8, keys: &[Pubkey]) -> Self {
        self.accounts.push(AccountRule {
            index,
            keys: keys.to_vec(),
        });
        self
    }
}
