/**
 * TypeScript SDK for the session-keys program, for games and wallet adapters.
 *
 * Built on the program's IDL (`idl/session_keys.json`, generated from the Rust source and
 * checked in CI) and `@anchor-lang/core`'s Borsh coder, the maintained TypeScript client of
 * Anchor 1.x, so encoding follows the IDL exactly. Transactions use `@solana/web3.js` 1.x,
 * which `@anchor-lang/core` is built on.
 */
import { BN, BorshCoder, convertIdlToCamelCase, Idl, utils } from "@anchor-lang/core";
import {
  AccountMeta,
  Connection,
  GetProgramAccountsFilter,
  PublicKey,
  TransactionInstruction,
} from "@solana/web3.js";
import rawIdl from "./idl.json";

/** The IDL with camelCase names, as the coder uses it. */
export const IDL: Idl = convertIdlToCamelCase(rawIdl as Idl);
/** The program id. */
export const PROGRAM_ID = new PublicKey(rawIdl.address);
/** Borsh coder for instructions, accounts, events. */
export const coder = new BorshCoder(IDL);

const SESSION_SEED = Buffer.from("session");
const WALLET_SEED = Buffer.from("wallet");
const VAULT_SEED = Buffer.from("vault");

// ---------------------------------------------------------------- PDAs

/** The session PDA `["session", owner, sessionKey]` and its bump. */
export function sessionPda(owner: PublicKey, sessionKey: PublicKey, programId = PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([SESSION_SEED, owner.toBuffer(), sessionKey.toBuffer()], programId);
}

/** The owner's wallet PDA `["wallet", owner]` and its bump. */
export function walletPda(owner: PublicKey, programId = PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([WALLET_SEED, owner.toBuffer()], programId);
}

/** The owner's vault PDA `["vault", owner]` (holds SOL, SPL delegate, signs proxied calls). */
export function vaultPda(owner: PublicKey, programId = PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([VAULT_SEED, owner.toBuffer()], programId);
}

// ---------------------------------------------------------------- scope types

/** A u64 amount: bigint, safe integer, decimal string or BN. */
export type Amount = bigint | number | string | BN;

function bn(a: Amount): BN {
  return BN.isBN(a) ? (a as BN) : new BN(a.toString());
}

/** A recurring window: at most `cap` per `seconds`, aligned to the unix epoch. */
export interface WindowCaps {
  seconds: number;
  cap: Amount;
}

/** Caps for one asset: lifetime required; per-instruction and window optional. */
export interface Caps {
  lifetime: Amount;
  perInstruction?: Amount;
  window?: WindowCaps;
}

/** Argument kinds of an argument rule. */
export type ArgKind = "u8" | "u16" | "u32" | "u64" | "u128" | "bytes";
/** Operators of an argument rule. */
export type CmpOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** `data[offset..offset+width] <op> value`. */
export interface ArgRule {
  offset: number;
  kind: ArgKind;
  op: CmpOp;
  /** Little-endian bytes of the kind's width, or the raw bytes. */
  value: Uint8Array;
}

/** A rule on `amount`-like u64 arguments. */
export function argU64(offset: number, op: CmpOp, value: Amount): ArgRule {
  return { offset, kind: "u64", op, value: bn(value).toArrayLike(Buffer, "le", 8) };
}

/** A rule on one-byte arguments (a side, an enum tag). */
export function argU8(offset: number, op: CmpOp, value: number): ArgRule {
  return { offset, kind: "u8", op, value: Uint8Array.of(value) };
}

/** The account at `index` must be one of `keys` (1 to 3). */
export interface AccountRule {
  index: number;
  keys: PublicKey[];
}

/** An allowed instruction: a discriminator prefix (1 to 8 bytes) and optional rules. */
export interface InstructionRule {
  discriminator: Uint8Array;
  args?: ArgRule[];
  accounts?: AccountRule[];
}

/** A program `execute` may call. No instructions listed = any instruction. */
export interface ProgramScope {
  programId: PublicKey;
  passSessionSigner?: boolean;
  instructions?: InstructionRule[];
}

/** Everything a session grants. */
export interface SessionScope {
  /** Unix seconds; at most 30 days ahead. */
  expiresAt: number;
  maxUses?: number;
  sol?: Caps;
  mints?: { mint: PublicKey; caps: Caps }[];
  destinations?: PublicKey[];
  programs?: ProgramScope[];
  label?: string;
  topUpLamports?: Amount;
  delegateAmount?: Amount;
}

const KIND: Record<ArgKind, string> = { u8: "u8", u16: "u16", u32: "u32", u64: "u64", u128: "u128", bytes: "bytes" };
const OP: Record<CmpOp, string> = { eq: "eq", ne: "ne", lt: "lt", le: "le", gt: "gt", ge: "ge" };

function capsArgs(c: Caps) {
  return {
    lifetime: bn(c.lifetime),
    perInstruction: c.perInstruction === undefined ? null : bn(c.perInstruction),
    window: c.window ? { seconds: c.window.seconds, cap: bn(c.window.cap) } : null,
  };
}

function ruleArgs(r: InstructionRule) {
  const discriminator = Array.from({ length: 8 }, (_, i) => r.discriminator[i] ?? 0);
  return {
    discriminatorLen: r.discriminator.length,
    discriminator,
    args: (r.args ?? []).map((a) => ({
      offset: a.offset,
      kind: { [KIND[a.kind]]: {} },
      op: { [OP[a.op]]: {} },
      value: Buffer.from(a.value),
    })),
    accounts: (r.accounts ?? []).map((a) => ({ index: a.index, keys: a.keys })),
  };
}

/** The `CreateSessionArgs` the program expects, from a scope. */
export function createSessionArgs(s: SessionScope) {
  return {
    expiresAt: new BN(s.expiresAt),
    maxUses: s.maxUses ?? null,
    sol: s.sol ? capsArgs(s.sol) : null,
    mints: (s.mints ?? []).map((m) => ({ mint: m.mint, caps: capsArgs(m.caps) })),
    destinations: s.destinations ?? [],
    programs: (s.programs ?? []).map((p) => ({
      programId: p.programId,
      passSessionSigner: p.passSessionSigner ?? false,
      instructions: (p.instructions ?? []).map(ruleArgs),
    })),
    label: s.label ?? "",
    topUpLamports: bn(s.topUpLamports ?? 0),
    delegateAmount: s.delegateAmount === undefined ? null : bn(s.delegateAmount),
  };
}

// ---------------------------------------------------------------- instruction builders

/** Account metas in the IDL's order; an absent optional account is the program id (Anchor). */
function metas(name: string, keys: Record<string, PublicKey | undefined>): AccountMeta[] {
  const ix = IDL.instructions.find((i) => i.name === name);
  if (!ix) throw new Error(`unknown instruction ${name}`);
  // Composite groups (the session-signed `gate`) are flattened in order.
  type Item = { name: string; accounts?: Item[] };
  const flat = (items: Item[]): Item[] => items.flatMap((i) => (i.accounts ? flat(i.accounts) : [i]));
  return flat(ix.accounts as Item[]).map((a) => {
    const acc = a as { name: string; writable?: boolean; signer?: boolean; optional?: boolean; address?: string };
    const key = keys[acc.name] ?? (acc.address ? new PublicKey(acc.address) : undefined);
    if (!key) {
      if (acc.optional) return { pubkey: PROGRAM_ID, isSigner: false, isWritable: false };
      throw new Error(`${name}: missing account ${acc.name}`);
    }
    return { pubkey: key, isSigner: !!acc.signer, isWritable: !!acc.writable };
  });
}

function build(name: string, keys: Record<string, PublicKey | undefined>, args: object): TransactionInstruction {
  return new TransactionInstruction({ programId: PROGRAM_ID, keys: metas(name, keys), data: coder.instruction.encode(name, args) });
}

/** `create_session`, signed by the owner (and `payer`, if another account pays the rent). */
export function createSession(p: {
  owner: PublicKey;
  sessionKey: PublicKey;
  scope: SessionScope;
  payer?: PublicKey;
  delegate?: { tokenAccount: PublicKey; tokenProgram: PublicKey };
}): TransactionInstruction {
  return build(
    "createSession",
    {
      owner: p.owner,
      payer: p.payer ?? p.owner,
      sessionKey: p.sessionKey,
      session: sessionPda(p.owner, p.sessionKey)[0],
      wallet: walletPda(p.owner)[0],
      vault: vaultPda(p.owner)[0],
      ownerTokenAccount: p.delegate?.tokenAccount,
      tokenProgram: p.delegate?.tokenProgram,
    },
    { args: createSessionArgs(p.scope) },
  );
}

/** `revoke_session`, signed by the owner or the session key; rent to `rentPayer`. */
export function revokeSession(p: { authority: PublicKey; owner: PublicKey; sessionKey: PublicKey; rentPayer: PublicKey }) {
  return build("revokeSession", { authority: p.authority, session: sessionPda(p.owner, p.sessionKey)[0], payer: p.rentPayer }, {});
}

/** `revoke_all_sessions`, signed by the owner. */
export function revokeAllSessions(p: { owner: PublicKey }) {
  return build("revokeAllSessions", { owner: p.owner, wallet: walletPda(p.owner)[0] }, {});
}

/** `close_session` of a dead session; anyone may send it. */
export function closeSession(p: { owner: PublicKey; sessionKey: PublicKey; rentPayer: PublicKey }) {
  return build(
    "closeSession",
    { session: sessionPda(p.owner, p.sessionKey)[0], wallet: walletPda(p.owner)[0], payer: p.rentPayer },
    {},
  );
}

/** `transfer_token`, signed by the session key. */
export function transferToken(p: {
  sessionKey: PublicKey;
  owner: PublicKey;
  from: PublicKey;
  mint: PublicKey;
  to: PublicKey;
  tokenProgram: PublicKey;
  amount: Amount;
  decimals: number;
}) {
  return build(
    "transferToken",
    {
      sessionKey: p.sessionKey,
      session: sessionPda(p.owner, p.sessionKey)[0],
      wallet: walletPda(p.owner)[0],
      vault: vaultPda(p.owner)[0],
      from: p.from,
      mint: p.mint,
      to: p.to,
      tokenProgram: p.tokenProgram,
    },
    { amount: bn(p.amount), decimals: p.decimals },
  );
}

/** `transfer_sol` from the vault, signed by the session key. */
export function transferSol(p: { sessionKey: PublicKey; owner: PublicKey; destination: PublicKey; amount: Amount }) {
  return build(
    "transferSol",
    {
      sessionKey: p.sessionKey,
      session: sessionPda(p.owner, p.sessionKey)[0],
      wallet: walletPda(p.owner)[0],
      vault: vaultPda(p.owner)[0],
      destination: p.destination,
    },
    { amount: bn(p.amount) },
  );
}

/** `deposit_sol` into the owner's vault. */
export function depositSol(p: { owner: PublicKey; amount: Amount }) {
  return build("depositSol", { owner: p.owner, vault: vaultPda(p.owner)[0] }, { amount: bn(p.amount) });
}

/** `withdraw_sol` from the vault, signed by the owner. */
export function withdrawSol(p: { owner: PublicKey; destination: PublicKey; amount: Amount }) {
  return build(
    "withdrawSol",
    { owner: p.owner, wallet: walletPda(p.owner)[0], vault: vaultPda(p.owner)[0], destination: p.destination },
    { amount: bn(p.amount) },
  );
}

/** `withdraw_token` from a vault-owned token account, signed by the owner. */
export function withdrawToken(p: {
  owner: PublicKey;
  from: PublicKey;
  mint: PublicKey;
  to: PublicKey;
  tokenProgram: PublicKey;
  amount: Amount;
  decimals: number;
}) {
  return build(
    "withdrawToken",
    {
      owner: p.owner,
      wallet: walletPda(p.owner)[0],
      vault: vaultPda(p.owner)[0],
      from: p.from,
      mint: p.mint,
      to: p.to,
      tokenProgram: p.tokenProgram,
    },
    { amount: bn(p.amount), decimals: p.decimals },
  );
}

/** `close_vault_token_account`: closes an empty vault-owned token account, rent to `destination`. */
export function closeVaultTokenAccount(p: {
  owner: PublicKey;
  tokenAccount: PublicKey;
  destination: PublicKey;
  tokenProgram: PublicKey;
}) {
  return build(
    "closeVaultTokenAccount",
    {
      owner: p.owner,
      wallet: walletPda(p.owner)[0],
      vault: vaultPda(p.owner)[0],
      tokenAccount: p.tokenAccount,
      destination: p.destination,
      tokenProgram: p.tokenProgram,
    },
    {},
  );
}

/**
 * `execute`: each of `calls` runs with the owner's vault signing. Build the inner instructions
 * with the vault as their authority; its signer flag is dropped (the program signs for it).
 */
export function execute(p: { sessionKey: PublicKey; owner: PublicKey; calls: TransactionInstruction[] }) {
  const vault = vaultPda(p.owner)[0];
  const ix = build(
    "execute",
    { sessionKey: p.sessionKey, session: sessionPda(p.owner, p.sessionKey)[0], wallet: walletPda(p.owner)[0], vault },
    { calls: p.calls.map((c) => ({ accountsLen: c.keys.length, data: Buffer.from(c.data) })) },
  );
  for (const c of p.calls) {
    ix.keys.push({ pubkey: c.programId, isSigner: false, isWritable: false });
    for (const k of c.keys) {
      ix.keys.push({ pubkey: k.pubkey, isSigner: k.isSigner && !k.pubkey.equals(vault), isWritable: k.isWritable });
    }
  }
  return ix;
}

// ---------------------------------------------------------------- accounts

/** Caps and counters of one asset, as stored. */
export interface Allowance {
  lifetimeCap: BN;
  spent: BN;
  perInstructionCap: BN;
  windowSecs: number;
  windowCap: BN;
  windowStart: BN;
  windowSpent: BN;
}

/** A decoded session account. */
export interface Session {
  version: number;
  bump: number;
  owner: PublicKey;
  sessionKey: PublicKey;
  payer: PublicKey;
  createdAt: BN;
  expiresAt: BN;
  nonce: BN;
  maxUses: number;
  uses: number;
  sol: Allowance | null;
  mints: { mint: PublicKey; allowance: Allowance }[];
  destinations: PublicKey[];
  programs: unknown[];
  label: string;
}

/** A decoded wallet account. */
export interface Wallet {
  version: number;
  bump: number;
  vaultBump: number;
  owner: PublicKey;
  nonce: BN;
}

/** Decodes a session account's data (checks the discriminator). */
export function decodeSession(data: Buffer): Session {
  return coder.accounts.decode("session", data) as Session;
}

/** Decodes a wallet account's data (checks the discriminator). */
export function decodeWallet(data: Buffer): Wallet {
  return coder.accounts.decode("wallet", data) as Wallet;
}

// ---------------------------------------------------------------- errors

/** A program error: code (6000+), name and the message shown to users. */
export interface SessionError {
  code: number;
  name: string;
  msg: string;
}

const ERRORS: SessionError[] = (rawIdl.errors ?? []) as SessionError[];

/** The program error behind a custom error code, if it is one of ours. */
export function errorFromCode(code: number): SessionError | null {
  return ERRORS.find((e) => e.code === code) ?? null;
}

/** The program error named in transaction logs ("custom program error: 0x1780"), if any. */
export function errorFromLogs(logs: string[]): SessionError | null {
  const program = `Program ${PROGRAM_ID.toBase58()} failed: custom program error: 0x`;
  for (const line of logs) {
    const at = line.indexOf(program);
    if (at >= 0) return errorFromCode(parseInt(line.slice(at + program.length), 16));
  }
  return null;
}

// ---------------------------------------------------------------- allowance and status

const U64_MAX = new BN("18446744073709551615");

function windowStart(now: BN, secs: number): BN {
  if (secs === 0) return now;
  return now.sub(now.umod(new BN(secs)));
}

/** Spent amount of the window in force at `now` (0 once a newer window has begun). */
export function windowSpentAt(a: Allowance, now: number): BN {
  if (a.windowSecs === 0 || windowStart(new BN(now), a.windowSecs).gt(a.windowStart)) return new BN(0);
  return a.windowSpent;
}

/** What one asset may still move: lifetime left, window left (null without a window), and the
 * largest single transfer allowed right now. */
export function remaining(a: Allowance, now: number) {
  const lifetime = BN.max(a.lifetimeCap.sub(a.spent), new BN(0));
  const window = a.windowSecs === 0 ? null : BN.max(a.windowCap.sub(windowSpentAt(a, now)), new BN(0));
  let available = BN.min(lifetime, a.perInstructionCap);
  if (window) available = BN.min(available, window);
  return { lifetime, window, perInstruction: a.perInstructionCap.eq(U64_MAX) ? null : a.perInstructionCap, available };
}

/** Where a session stands. */
export type SessionStatus = "active" | "expired" | "revoked";

/** Active while `now < expiresAt` and its nonce equals the wallet's; revoked takes precedence. */
export function status(session: Session, wallet: Wallet | null, now: number): SessionStatus {
  if (wallet && !session.nonce.eq(wallet.nonce)) return "revoked";
  if (session.expiresAt.lte(new BN(now))) return "expired";
  return "active";
}

/** Sorts sessions into active, expired and revoked-by-nonce. */
export function classifySessions<T extends { account: Session }>(sessions: T[], wallet: Wallet | null, now: number) {
  const out: Record<SessionStatus, T[]> = { active: [], expired: [], revoked: [] };
  for (const s of sessions) out[status(s.account, wallet, now)].push(s);
  return out;
}

// ---------------------------------------------------------------- wallet adapters

/** Byte offset of `owner` in a session account: 8 discriminator + version + bump. */
export const SESSION_OWNER_OFFSET = 10;

/** `getProgramAccounts` filters listing the sessions of `owner`. */
export function sessionFilters(owner: PublicKey): GetProgramAccountsFilter[] {
  const account = (IDL.accounts ?? []).find((a) => a.name === "session");
  if (!account) throw new Error("IDL has no session account");
  return [
    { memcmp: { offset: 0, bytes: utils.bytes.bs58.encode(Buffer.from(account.discriminator)) } },
    { memcmp: { offset: SESSION_OWNER_OFFSET, bytes: owner.toBase58() } },
  ];
}

/** Fetches and classifies every session of `owner`, for a wallet's "connected apps" screen. */
export async function fetchSessions(connection: Connection, owner: PublicKey, now = Math.floor(Date.now() / 1000)) {
  const [raw, walletInfo] = await Promise.all([
    connection.getProgramAccounts(PROGRAM_ID, { filters: sessionFilters(owner) }),
    connection.getAccountInfo(walletPda(owner)[0]),
  ]);
  const wallet = walletInfo ? decodeWallet(walletInfo.data) : null;
  const sessions = raw.map((r) => ({ pubkey: r.pubkey, account: decodeSession(r.account.data) }));
  return { wallet, ...classifySessions(sessions, wallet, now) };
}
