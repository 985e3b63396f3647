/**
 * A builder for the arguments of `create_session` that refuses, before anything is signed,
 * every scope the program refuses, with the program's own error (same rules and order as
 * `CreateSessionArgs::check` in the program and `Scope::build` in the Rust client).
 *
 * ```ts
 * const args = scope(now + 3600)
 *   .sol(caps(1_000_000_000n).perInstruction(100_000_000n).window(3600, 500_000_000n))
 *   .program(program(GAME).instruction(instruction(MOVE_PLAYER)))
 *   .label("my game")
 *   .build(now);
 *
 * // a bot: at most 10 actions a minute, and no payment reference twice among its last 16
 * scope(now + 3600).sol(caps(1_000_000n)).rateLimit(10, 60).referenceHistory(16).build(now);
 * ```
 */
import { getArrayEncoder, type Address, type ReadonlyUint8Array } from "@solana/kit";
import {
  ArgKind,
  CmpOp,
  type CapsArgs,
  type CapsArgsArgs,
  type CreateSessionInstructionData,
  type CreateSessionInstructionDataArgs,
  getProgramScopeEncoder,
  type InstructionRuleArgs,
  type RateLimitArgsArgs,
  type WindowArgsArgs,
} from "./generated";
import {
  MAX_ACCOUNT_KEYS,
  MAX_ACCOUNT_RULES,
  MAX_DISCRIMINATOR_LEN,
  MAX_RAW_ARG_LEN,
  MAX_SESSION_SPACE,
  MAX_ARG_RULES,
  MAX_DESTINATIONS,
  MAX_INSTRUCTION_RULES,
  MAX_LABEL_LEN,
  MAX_MINTS,
  MAX_PROGRAMS,
  MAX_REFERENCE_HISTORY,
  MAX_SESSION_DURATION,
} from "./generated/idl";
import {
  SESSION_KEYS_ERROR__DESTINATIONS_WITH_PROGRAMS,
  SESSION_KEYS_ERROR__DUPLICATE_DESTINATION,
  SESSION_KEYS_ERROR__DUPLICATE_MINT,
  SESSION_KEYS_ERROR__DUPLICATE_PROGRAM,
  SESSION_KEYS_ERROR__EMPTY_SCOPE,
  SESSION_KEYS_ERROR__EXPIRY_IN_PAST,
  SESSION_KEYS_ERROR__EXPIRY_TOO_FAR,
  SESSION_KEYS_ERROR__INVALID_RATE_LIMIT,
  SESSION_KEYS_ERROR__INVALID_SCOPE_RULE,
  SESSION_KEYS_ERROR__INVALID_WINDOW,
  SESSION_KEYS_ERROR__LABEL_TOO_LONG,
  SESSION_KEYS_ERROR__MATH_OVERFLOW,
  SESSION_KEYS_ERROR__REFERENCE_HISTORY_TOO_LONG,
  SESSION_KEYS_ERROR__REFUSED_TARGET,
  SESSION_KEYS_ERROR__SESSION_TOO_LARGE,
  SESSION_KEYS_ERROR__TOO_MANY_DESTINATIONS,
  SESSION_KEYS_ERROR__TOO_MANY_MINTS,
  SESSION_KEYS_ERROR__TOO_MANY_PROGRAMS,
  SESSION_KEYS_ERROR__TOO_MANY_RULES,
  SESSION_KEYS_ERROR__ZERO_CAP,
  type SessionKeysError,
} from "./generated/errors";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { programErrorFromCode, programErrorFromName, type ProgramError } from "./errors";
import { opt } from "./internal";

const I64_MAX = (1n << 63n) - 1n;

/**
 * Programs `execute` never calls, whatever a scope says (the program's `is_refused_target`):
 * session-keys itself, System, SPL Token, Token-2022, Associated Token and the BPF loaders.
 */
export const REFUSED_TARGETS: readonly string[] = [
  SESSION_KEYS_PROGRAM_ADDRESS,
  "11111111111111111111111111111111",
  "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
  "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
  "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
  "BPFLoader1111111111111111111111111111111111",
  "BPFLoader2111111111111111111111111111111111",
  "BPFLoaderUpgradeab1e11111111111111111111111",
  "LoaderV411111111111111111111111111111111111",
];

/** A scope the program would refuse; `error` is the program error it would return. */
export class ScopeError extends Error {
  readonly error: ProgramError;
  /**
   * `codeOrName` is the program error's code (a `SESSION_KEYS_ERROR__*` constant) or its name;
   * `detail` says which value broke the rule (appended to the program's message).
   */
  constructor(codeOrName: SessionKeysError | string, detail?: string) {
    const found = typeof codeOrName === "number" ? programErrorFromCode(codeOrName) : programErrorFromName(codeOrName);
    const name = String(codeOrName);
    const error = found ?? { code: -1, name, message: name };
    super(`${error.name}: ${error.message}${detail ? ` (${detail})` : ""}`);
    this.name = "ScopeError";
    this.error = error;
  }
}

const refuse = (code: SessionKeysError): never => {
  throw new ScopeError(code);
};

/** A u64 amount. */
export type Amount = bigint | number;

/** Caps for one asset: a required lifetime cap, optional per-instruction and window caps. */
export interface Caps {
  lifetime: Amount;
  perInstruction?: Amount;
  window?: { seconds: number; cap: Amount };
}

/** Caps that read like a sentence: `caps(50n).perInstruction(10n).window(60, 10n)`. */
export class CapsBuilder {
  constructor(readonly caps: Caps) {}
  /** Largest amount one instruction may move. */
  perInstruction(max: Amount): CapsBuilder {
    return new CapsBuilder({ ...this.caps, perInstruction: max });
  }
  /** At most `cap` per aligned window of `seconds`. */
  window(seconds: number, cap: Amount): CapsBuilder {
    return new CapsBuilder({ ...this.caps, window: { seconds, cap } });
  }
}

/** Caps with a lifetime cap (base units); chain `.perInstruction()` and `.window()`. */
export function caps(lifetime: Amount): CapsBuilder {
  return new CapsBuilder({ lifetime });
}

const plain = (c: Caps | CapsBuilder): Caps => (c instanceof CapsBuilder ? c.caps : c);

/** Operators of an argument rule. */
export type Op = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
const OPS: Record<Op, CmpOp> = { eq: CmpOp.Eq, ne: CmpOp.Ne, lt: CmpOp.Lt, le: CmpOp.Le, gt: CmpOp.Gt, ge: CmpOp.Ge };
const WIDTHS: Record<ArgKind, number | null> = {
  [ArgKind.U8]: 1,
  [ArgKind.U16]: 2,
  [ArgKind.U32]: 4,
  [ArgKind.U64]: 8,
  [ArgKind.U128]: 16,
  [ArgKind.Bytes]: null,
};

/** `data[offset..offset + width] <op> value`. */
export interface ArgRuleSpec {
  offset: number;
  kind: ArgKind;
  op: CmpOp;
  value: ReadonlyUint8Array;
}

/** An allowed instruction of a target program (a discriminator prefix of 1 to 8 bytes). */
export interface InstructionRuleSpec {
  discriminator: ReadonlyUint8Array;
  args: ArgRuleSpec[];
  accounts: { index: number; keys: Address[] }[];
}

/** Builder methods of an instruction rule. */
export interface InstructionRuleBuilder extends InstructionRuleSpec {
  /** `data[offset..offset+8]` as a little-endian u64, compared with `value`. */
  argU64(offset: number, op: Op, value: Amount): InstructionRuleBuilder;
  /** `data[offset]` compared with `value`. */
  argU8(offset: number, op: Op, value: number): InstructionRuleBuilder;
  /** Any argument rule: `value` is the little-endian bytes of the kind's width, or raw bytes. */
  arg(offset: number, kind: ArgKind, op: Op, value: ReadonlyUint8Array): InstructionRuleBuilder;
  /** The account at `index` of the inner instruction must be one of `keys` (1 to 3). */
  account(index: number, keys: Address[]): InstructionRuleBuilder;
}

function le(value: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = value;
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** An instruction whose data starts with `discriminator` (Anchor's are 8 bytes). */
export function instruction(discriminator: ReadonlyUint8Array): InstructionRuleBuilder {
  const make = (r: InstructionRuleSpec): InstructionRuleBuilder => ({
    ...r,
    arg: (offset, kind, op, value) => make({ ...r, args: [...r.args, { offset, kind, op: OPS[op], value }] }),
    argU64: (offset, op, value) => make({ ...r, args: [...r.args, { offset, kind: ArgKind.U64, op: OPS[op], value: le(BigInt(value), 8) }] }),
    argU8: (offset, op, value) => make({ ...r, args: [...r.args, { offset, kind: ArgKind.U8, op: OPS[op], value: Uint8Array.of(value) }] }),
    account: (index, keys) => make({ ...r, accounts: [...r.accounts, { index, keys: [...keys] }] }),
  });
  return make({ discriminator, args: [], accounts: [] });
}

/** A program the session may call through `execute`; no instruction rule = every instruction. */
export interface ProgramScopeSpec {
  programId: Address;
  passSessionSigner: boolean;
  instructions: InstructionRuleSpec[];
}

/** Builder methods of a program scope. */
export interface ProgramScopeBuilder extends ProgramScopeSpec {
  /** Allows one instruction; once any is listed, only listed ones pass. */
  instruction(rule: InstructionRuleSpec): ProgramScopeBuilder;
  /** Lets the session key's own signature through to this program. */
  withSessionSigner(): ProgramScopeBuilder;
}

/** Every instruction of `programId` (narrow it with `.instruction(...)`). */
export function program(programId: Address): ProgramScopeBuilder {
  const make = (p: ProgramScopeSpec): ProgramScopeBuilder => ({
    ...p,
    instruction: (rule) => make({ ...p, instructions: [...p.instructions, rule] }),
    withSessionSigner: () => make({ ...p, passSessionSigner: true }),
  });
  return make({ programId, passSessionSigner: false, instructions: [] });
}

/** Everything a session grants, before checking. */
export interface ScopeSpec {
  expiresAt: Amount;
  maxUses?: number;
  sol?: Caps;
  mints: { mint: Address; caps: Caps }[];
  destinations: Address[];
  programs: ProgramScopeSpec[];
  label: string;
  topUpLamports: Amount;
  delegateAmount?: Amount;
  /** At most `uses` actions per aligned window of `seconds`. */
  rateLimit?: { uses: number; seconds: number };
  /** Payment references remembered (and refused again), 0 to `MAX_REFERENCE_HISTORY`. */
  referenceHistory?: number;
}

/** Fluent scope builder; `build(now)` checks it and returns the instruction arguments. */
export class Scope {
  private constructor(readonly spec: ScopeSpec) {}

  /** A session that dies at `expiresAt` (unix seconds) and grants nothing yet. */
  static until(expiresAt: Amount): Scope {
    return new Scope({ expiresAt, mints: [], destinations: [], programs: [], label: "", topUpLamports: 0 });
  }
  private with(patch: Partial<ScopeSpec>): Scope {
    return new Scope({ ...this.spec, ...patch });
  }
  /** Lets the session spend lamports from the owner's vault within `caps`. */
  sol(c: Caps | CapsBuilder): Scope {
    return this.with({ sol: plain(c) });
  }
  /** Lets the session move `mint` within `caps`. */
  mint(mint: Address, c: Caps | CapsBuilder): Scope {
    return this.with({ mints: [...this.spec.mints, { mint, caps: plain(c) }] });
  }
  /** Adds a destination (token account, token account owner, or SOL recipient). */
  destination(key: Address): Scope {
    return this.with({ destinations: [...this.spec.destinations, key] });
  }
  /** Lets the session call a program through `execute`, within the program's rules. */
  program(p: ProgramScopeSpec): Scope {
    const { programId, passSessionSigner, instructions } = p;
    const rules = instructions.map(({ discriminator, args, accounts }) => ({ discriminator, args, accounts }));
    return this.with({ programs: [...this.spec.programs, { programId, passSessionSigner, instructions: rules }] });
  }
  /** Limits the number of uses (transfers and `execute` calls). */
  maxUses(uses: number): Scope {
    return this.with({ maxUses: uses });
  }
  /**
   * Rate limit: at most `uses` actions (transfers and `execute` batches) per aligned window of
   * `seconds`, on top of `maxUses`; a use past it is refused with `RateLimited` until the
   * window reopens (the Rust client's `Scope::rate_limit`).
   */
  rateLimit(uses: number, seconds: number): Scope {
    return this.with({ rateLimit: { uses, seconds } });
  }
  /**
   * Remembers the last `n` payment references and refuses them again with
   * `ReferenceAlreadyUsed` (33 bytes of session rent each, at most `MAX_REFERENCE_HISTORY`);
   * 0 (the default): the session takes no reference (the Rust client's
   * `Scope::reference_history`).
   */
  referenceHistory(n: number): Scope {
    return this.with({ referenceHistory: n });
  }
  /** Label for wallet UIs (at most 32 UTF-8 bytes). */
  label(label: string): Scope {
    return this.with({ label });
  }
  /** Lamports the owner sends to the session key in the same instruction, for its fees. */
  topUp(lamports: Amount): Scope {
    return this.with({ topUpLamports: lamports });
  }
  /** Approves the vault as SPL delegate for `amount` on the owner's token account. */
  delegate(amount: Amount): Scope {
    return this.with({ delegateAmount: amount });
  }
  /** Checks every rule the program checks, as of unix time `now`, and returns the arguments. */
  build(now: Amount): CreateSessionArgs {
    const args = this.buildUnchecked();
    checkCreateSessionArgs(args, now);
    return args;
  }
  /** The arguments without any check (to test what the program itself refuses). */
  buildUnchecked(): CreateSessionArgs {
    return toArgs(this.spec);
  }
}

/** Shorthand for `Scope.until(expiresAt)`. */
export const scope = (expiresAt: Amount): Scope => Scope.until(expiresAt);

/** The data arguments of `create_session` (what the generated builder takes). */
export type CreateSessionArgs = CreateSessionInstructionDataArgs;

function capsArgs(c: Caps) {
  return {
    lifetime: BigInt(c.lifetime),
    perInstruction: c.perInstruction === undefined ? null : BigInt(c.perInstruction),
    window: c.window === undefined ? null : { seconds: c.window.seconds, cap: BigInt(c.window.cap) },
  };
}

function ruleArgs(r: InstructionRuleSpec) {
  const d = new Uint8Array(MAX_DISCRIMINATOR_LEN);
  d.set(r.discriminator.slice(0, MAX_DISCRIMINATOR_LEN));
  return {
    discriminatorLen: Math.min(r.discriminator.length, 255),
    discriminator: d,
    args: r.args.map((a) => ({ offset: a.offset, kind: a.kind, op: a.op, value: a.value })),
    accounts: r.accounts.map((a) => ({ index: a.index, keys: a.keys })),
  };
}

function toArgs(s: ScopeSpec): CreateSessionArgs {
  return {
    expiresAt: BigInt(s.expiresAt),
    maxUses: s.maxUses ?? null,
    sol: s.sol ? capsArgs(s.sol) : null,
    mints: s.mints.map((m) => ({ mint: m.mint, caps: capsArgs(m.caps) })),
    destinations: s.destinations,
    programs: s.programs.map((p) => ({
      programId: p.programId,
      passSessionSigner: p.passSessionSigner,
      instructions: p.instructions.map(ruleArgs),
    })),
    label: s.label,
    topUpLamports: BigInt(s.topUpLamports),
    delegateAmount: s.delegateAmount === undefined ? null : BigInt(s.delegateAmount),
    usesWindow: s.rateLimit ? { uses: s.rateLimit.uses, seconds: s.rateLimit.seconds } : null,
    referenceHistory: s.referenceHistory ?? 0,
  };
}

const hasDuplicates = (items: readonly string[]) => new Set(items).size !== items.length;

type AnyCaps = CapsArgsArgs | CapsArgs;

function checkCaps(c: AnyCaps): void {
  const perInstruction = opt<number | bigint>(c.perInstruction);
  if (BigInt(c.lifetime) === 0n || (perInstruction !== null && BigInt(perInstruction) === 0n)) refuse(SESSION_KEYS_ERROR__ZERO_CAP);
  const w = opt<WindowArgsArgs>(c.window);
  if (w && (w.seconds === 0 || BigInt(w.cap) === 0n)) refuse(SESSION_KEYS_ERROR__INVALID_WINDOW);
}

function checkRule(r: InstructionRuleArgs): void {
  if (r.args.length > MAX_ARG_RULES || r.accounts.length > MAX_ACCOUNT_RULES) refuse(SESSION_KEYS_ERROR__TOO_MANY_RULES);
  const lenOk = r.discriminatorLen >= 1 && r.discriminatorLen <= MAX_DISCRIMINATOR_LEN;
  const accountsOk = r.accounts.every((a) => a.keys.length >= 1 && a.keys.length <= MAX_ACCOUNT_KEYS);
  if (!lenOk || !accountsOk) refuse(SESSION_KEYS_ERROR__INVALID_SCOPE_RULE);
  for (const a of r.args) {
    const width = WIDTHS[a.kind];
    const ok =
      width !== null
        ? a.value.length === width
        : a.value.length >= 1 && a.value.length <= MAX_RAW_ARG_LEN && (a.op === CmpOp.Eq || a.op === CmpOp.Ne);
    if (!ok) refuse(SESSION_KEYS_ERROR__INVALID_SCOPE_RULE);
  }
}

/**
 * Throws the `ScopeError` the program would answer these `create_session` arguments with at
 * unix time `now`, checking in the program's order (`CreateSessionArgs::check`). Accepts the
 * builder's output and decoded instruction data alike.
 */
export function checkCreateSessionArgs(args: CreateSessionArgs | CreateSessionInstructionData, nowIn: Amount): void {
  const now = BigInt(nowIn);
  const expiresAt = BigInt(args.expiresAt);
  if (expiresAt <= now) refuse(SESSION_KEYS_ERROR__EXPIRY_IN_PAST);
  const latest = now + BigInt(MAX_SESSION_DURATION);
  if (latest > I64_MAX) refuse(SESSION_KEYS_ERROR__MATH_OVERFLOW);
  if (expiresAt > latest) refuse(SESSION_KEYS_ERROR__EXPIRY_TOO_FAR);
  const sol = opt<AnyCaps>(args.sol);
  if (!sol && args.mints.length === 0 && args.programs.length === 0) refuse(SESSION_KEYS_ERROR__EMPTY_SCOPE);
  if (args.mints.length > MAX_MINTS) refuse(SESSION_KEYS_ERROR__TOO_MANY_MINTS);
  if (args.destinations.length > MAX_DESTINATIONS) refuse(SESSION_KEYS_ERROR__TOO_MANY_DESTINATIONS);
  if (new TextEncoder().encode(args.label).length > MAX_LABEL_LEN) refuse(SESSION_KEYS_ERROR__LABEL_TOO_LONG);
  if (hasDuplicates(args.mints.map((m) => m.mint))) refuse(SESSION_KEYS_ERROR__DUPLICATE_MINT);
  if (hasDuplicates(args.destinations)) refuse(SESSION_KEYS_ERROR__DUPLICATE_DESTINATION);
  if (args.programs.length > MAX_PROGRAMS) refuse(SESSION_KEYS_ERROR__TOO_MANY_PROGRAMS);
  const ids = args.programs.map((p) => p.programId);
  if (hasDuplicates(ids)) refuse(SESSION_KEYS_ERROR__DUPLICATE_PROGRAM);
  if (ids.some((id) => REFUSED_TARGETS.includes(id))) refuse(SESSION_KEYS_ERROR__REFUSED_TARGET);
  for (const p of args.programs) {
    if (p.instructions.length > MAX_INSTRUCTION_RULES) refuse(SESSION_KEYS_ERROR__TOO_MANY_RULES);
    p.instructions.forEach(checkRule);
  }
  if (args.destinations.length > 0 && args.programs.length > 0) refuse(SESSION_KEYS_ERROR__DESTINATIONS_WITH_PROGRAMS);
  const delegate = opt<number | bigint>(args.delegateAmount);
  if (opt<number>(args.maxUses) === 0 || (delegate !== null && BigInt(delegate) === 0n)) refuse(SESSION_KEYS_ERROR__ZERO_CAP);
  if (sol) checkCaps(sol);
  args.mints.forEach((m) => checkCaps(m.caps));
  const rate = opt<RateLimitArgsArgs>(args.usesWindow);
  if (rate && (rate.uses === 0 || rate.seconds === 0)) refuse(SESSION_KEYS_ERROR__INVALID_RATE_LIMIT);
  if (args.referenceHistory > MAX_REFERENCE_HISTORY) refuse(SESSION_KEYS_ERROR__REFERENCE_HISTORY_TOO_LONG);
  if (sessionSpace(args) > MAX_SESSION_SPACE) refuse(SESSION_KEYS_ERROR__SESSION_TOO_LARGE);
}

/** Bytes of a session account before its variable part (`SESSION_FIXED_SIZE` in the program). */
const SESSION_FIXED_SIZE = 8 + 1 + 1 + 32 * 3 + 8 * 3 + 4 + 4;
/** Stored size of one allowance and of one mint's caps. */
const ALLOWANCE_SIZE = 52;
const MINT_ALLOWANCE_SIZE = 32 + ALLOWANCE_SIZE;
/** Stored size of a rate limit (`UsesWindow`: max, seconds, start, used) and of one remembered reference (length + 32 bytes). */
const USES_WINDOW_SIZE = 4 + 4 + 8 + 4;
const REFERENCE_SIZE = 1 + 32;

/**
 * Bytes of a session's guardrails after its label (the program's `policy::limits_space`): the
 * rate limit's option tag and, if set, the limit; then the reference history (capacity, next,
 * vector length) allocated full at grant, `REFERENCE_SIZE` per remembered reference.
 */
export function limitsSpace(hasRateLimit: boolean, referenceHistory: number): number {
  return 1 + (hasRateLimit ? USES_WINDOW_SIZE : 0) + 1 + 1 + 4 + REFERENCE_SIZE * referenceHistory;
}

/**
 * Exact size of the session account these arguments create (the program's
 * `CreateSessionArgs::space`: `Session::space` plus the guardrails, `limitsSpace`), held to the
 * program by the `sessionSpace` golden cases (test/golden-policy.json).
 */
export function sessionSpace(args: CreateSessionArgs | CreateSessionInstructionData): number {
  // The stored program scopes are the arguments' own Borsh bytes.
  const programs = getArrayEncoder(getProgramScopeEncoder()).encode(args.programs).length - 4;
  const label = new TextEncoder().encode(args.label).length;
  return (
    SESSION_FIXED_SIZE +
    1 +
    (opt<AnyCaps>(args.sol) ? ALLOWANCE_SIZE : 0) +
    4 +
    MINT_ALLOWANCE_SIZE * args.mints.length +
    4 +
    32 * args.destinations.length +
    4 +
    programs +
    4 +
    label +
    limitsSpace(opt<RateLimitArgsArgs>(args.usesWindow) !== null, args.referenceHistory)
  );
}
