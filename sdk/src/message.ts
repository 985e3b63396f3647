/**
 * The gasless grant's message (docs/message-grant.md): the text the owner's wallet shows and
 * signs, byte for byte what `create_session_from_message` rebuilds on chain from its arguments,
 * in one of two envelopes:
 *
 * - `Text`: the body's bytes alone (what `solana:signMessage` wallets display as text);
 * - `Offchain`: Solana's off-chain message format v0 (`@solana/offchain-messages` in kit):
 *   application domain = the program id, format UTF-8 (at most 1,232 bytes), one signatory
 *   (the owner).
 *
 * ```ts
 * const args = messageGrantArgs(scope(now + 3600n).program(program(GAME)).label("Dungeon").build(now), {
 *   domain: "game.example", messageNumber: await nextMessageNumber(rpc, owner), validUntil: now + 300n,
 * });
 * const text = await buildGrantMessage({ args, sessionKey, cluster: "devnet" });
 * const bytes = await grantMessageBytes({ args, owner, sessionKey, cluster: "devnet" });
 * ```
 */
import {
  compileOffchainMessageEnvelope,
  getArrayEncoder,
  getBase58Decoder,
  offchainMessageApplicationDomain,
  offchainMessageContentUtf8Of1232BytesMax,
  type Address,
  type OffchainMessageV0,
} from "@solana/kit";
import {
  getProgramScopeEncoder,
  MessageEnvelope,
  type CapsArgs,
  type CapsArgsArgs,
  type CreateSessionFromMessageInstructionData,
  type CreateSessionFromMessageInstructionDataArgs,
  type ProgramScope,
  type ProgramScopeArgs,
  type WindowArgsArgs,
} from "./generated";
import {
  SESSION_KEYS_ERROR__INVALID_DOMAIN,
  SESSION_KEYS_ERROR__LABEL_NOT_PRINTABLE,
  SESSION_KEYS_ERROR__LABEL_TOO_LONG,
  SESSION_KEYS_ERROR__MESSAGE_EXPIRED,
} from "./generated/errors";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { MAX_DOMAIN_LEN, MAX_LABEL_LEN } from "./generated/idl";
import { opt } from "./internal";
import { checkCreateSessionArgs, ScopeError, type Amount, type CreateSessionArgs } from "./scope";

/**
 * The cluster a message names. The program has it compiled in (its `mainnet`, `devnet` or
 * `testnet` cargo feature; `localnet` without one), so a message signed for one cluster is
 * refused on every other.
 */
export type Cluster = "mainnet-beta" | "devnet" | "testnet" | "localnet";

/** Every cluster name a message may carry. */
export const CLUSTERS: readonly Cluster[] = ["mainnet-beta", "devnet", "testnet", "localnet"];

/**
 * The arguments of `create_session_from_message` (`MessageGrantArgs`, Borsh, in this order):
 * `create_session`'s grant without top-up and delegation, plus what only the message carries
 * (`domain`, `messageNumber`, `validUntil`, `envelope`). The generated instruction's data
 * arguments.
 */
export type MessageGrantArgs = CreateSessionFromMessageInstructionDataArgs;

/** The same arguments as decoded from instruction data (options as kit `Option`s). */
export type MessageGrantArgsDecoded = Omit<CreateSessionFromMessageInstructionData, "discriminator">;

type AnyGrantArgs = MessageGrantArgs | MessageGrantArgsDecoded;
type AnyCaps = CapsArgsArgs | CapsArgs;

/**
 * `create_session` arguments (from `scope(...).build(now)`) turned into a message grant. A
 * message cannot move the owner's SOL or approve a token delegation (both need the owner's
 * transaction signature), so a top-up or a delegation is refused here rather than dropped.
 */
export function messageGrantArgs(
  args: CreateSessionArgs,
  message: { domain: string; messageNumber: Amount; validUntil: Amount; envelope?: MessageEnvelope },
): MessageGrantArgs {
  if (BigInt(args.topUpLamports) !== 0n) {
    throw new Error("a message grant cannot top up the session key: moving the owner's SOL needs their transaction signature");
  }
  if (opt<number | bigint>(args.delegateAmount) !== null) {
    throw new Error("a message grant cannot approve a token delegation: that needs the owner's transaction signature");
  }
  return {
    expiresAt: args.expiresAt,
    maxUses: args.maxUses,
    sol: args.sol,
    mints: args.mints,
    destinations: args.destinations,
    programs: args.programs,
    label: args.label,
    domain: message.domain,
    messageNumber: BigInt(message.messageNumber),
    validUntil: BigInt(message.validUntil),
    envelope: message.envelope ?? MessageEnvelope.Text,
  };
}

const DOMAIN = /^[a-zA-Z0-9.:-]+$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Throws `InvalidDomain` unless `domain` is 1 to 64 (`MAX_DOMAIN_LEN`) bytes of `a-z A-Z 0-9 . - :`. */
export function checkDomain(domain: string): void {
  if (!DOMAIN.test(domain) || domain.length > MAX_DOMAIN_LEN) {
    throw new ScopeError(SESSION_KEYS_ERROR__INVALID_DOMAIN, `${JSON.stringify(domain)}: 1 to ${MAX_DOMAIN_LEN} characters of a-z A-Z 0-9 . - :`);
  }
}

/**
 * Throws `LabelTooLong` past 32 bytes, then `LabelNotPrintable` unless `label` is printable
 * ASCII (0x20..=0x7e), in the program's order.
 */
export function checkMessageLabel(label: string): void {
  const bytes = new TextEncoder().encode(label).length;
  if (bytes > MAX_LABEL_LEN) throw new ScopeError(SESSION_KEYS_ERROR__LABEL_TOO_LONG, `${bytes} bytes`);
  if (!PRINTABLE.test(label)) throw new ScopeError(SESSION_KEYS_ERROR__LABEL_NOT_PRINTABLE, `${JSON.stringify(label)}: only characters 0x20..=0x7e`);
}

/**
 * Throws the `ScopeError` the program would answer a message grant with at unix time `now`:
 * `create_session`'s grant rules first (without top-up or delegation), then the message's own
 * fields (domain, label) and its deadline (`MessageExpired` at or after `validUntil`).
 */
export function checkMessageGrantArgs(args: AnyGrantArgs, now: Amount): void {
  // A message grant has no top-up, delegation, rate limit or reference history.
  checkCreateSessionArgs({ ...args, topUpLamports: 0n, delegateAmount: null, usesWindow: null, referenceHistory: 0 }, now);
  checkDomain(args.domain);
  checkMessageLabel(args.label);
  if (BigInt(now) >= BigInt(args.validUntil)) {
    throw new ScopeError(SESSION_KEYS_ERROR__MESSAGE_EXPIRED, `valid until ${formatMessageDate(args.validUntil)}, now ${formatMessageDate(now)}`);
  }
}

/** Last second of the year 9999 (`9999-12-31 23:59:59 UTC`). */
const MAX_DATE = 253_402_300_799n;

/**
 * A unix time as the message writes it: `YYYY-MM-DD HH:MM:SS UTC` for the years 1970 to 9999,
 * `unix {seconds}` outside them.
 */
export function formatMessageDate(unixSeconds: Amount): string {
  const t = BigInt(unixSeconds);
  if (t < 0n || t > MAX_DATE) return `unix ${t}`;
  const iso = new Date(Number(t) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Lamports in SOL, up to 9 fraction digits without trailing zeros: `1500000000` → `1.5 SOL`. */
export function formatSol(lamports: Amount): string {
  const l = BigInt(lamports);
  const whole = l / 1_000_000_000n;
  const fraction = (l % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""} SOL`;
}

/** Token base units: `5000` → `5000 units` (the program does not read the mint's decimals). */
export const formatUnits = (amount: Amount): string => `${BigInt(amount)} units`;

/** `{lifetime} total[, {window cap} per {seconds}s][, {per instruction} per instruction]`. */
function capsText(c: AnyCaps, amount: (a: Amount) => string): string {
  let s = `${amount(c.lifetime)} total`;
  const w = opt<WindowArgsArgs>(c.window);
  if (w) s += `, ${amount(w.cap)} per ${w.seconds}s`;
  const perInstruction = opt<number | bigint>(c.perInstruction);
  if (perInstruction !== null) s += `, ${amount(perInstruction)} per instruction`;
  return s;
}

/** `any instruction`, `1 instruction rule` or `{n} instruction rules`, then `, session key co-signs`. */
function rulesText(p: ProgramScopeArgs | ProgramScope): string {
  const n = p.instructions.length;
  const rules = n === 0 ? "any instruction" : n === 1 ? "1 instruction rule" : `${n} instruction rules`;
  return p.passSessionSigner ? `${rules}, session key co-signs` : rules;
}

/** SHA-256 with WebCrypto (browsers, Node 20+, workers). */
async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/**
 * The `Rules hash` line's value: base58 of SHA-256 of the Borsh encoding of `programs` (u32 LE
 * count, then each `ProgramScope`). It binds every discriminator, argument and account rule,
 * which the readable lines only count.
 */
export async function grantRulesHash(programs: readonly (ProgramScopeArgs | ProgramScope)[]): Promise<string> {
  const borsh = getArrayEncoder(getProgramScopeEncoder()).encode(programs as ProgramScopeArgs[]);
  return getBase58Decoder().decode(await sha256(new Uint8Array(borsh)));
}

/** What a grant message is built from. */
export interface GrantMessageInput {
  args: AnyGrantArgs;
  /** The session key the message grants. */
  sessionKey: Address;
  /** The cluster the program runs on (see `Cluster`). */
  cluster: Cluster;
  /** The session-keys program (default: `SESSION_KEYS_PROGRAM_ADDRESS`). */
  programId?: Address;
}

/**
 * The message body, exactly as the program rebuilds it: lines joined by `\n`, no trailing
 * newline, ASCII only. Throws `InvalidDomain`, `LabelNotPrintable` or `LabelTooLong` (as
 * `ScopeError`s) for arguments the program would refuse for the message's sake, and an `Error`
 * for an unknown cluster.
 */
export async function buildGrantMessage(p: GrantMessageInput): Promise<string> {
  const { args } = p;
  checkDomain(args.domain);
  checkMessageLabel(args.label);
  if (!CLUSTERS.includes(p.cluster)) throw new Error(`unknown cluster ${JSON.stringify(p.cluster)}: one of ${CLUSTERS.join(", ")}`);
  const maxUses = opt<number>(args.maxUses);
  const sol = opt<AnyCaps>(args.sol);
  const lines = [
    `${args.domain} asks you to grant a session key`,
    `Program: ${p.programId ?? SESSION_KEYS_PROGRAM_ADDRESS}`,
    `Cluster: ${p.cluster}`,
    `Session key: ${p.sessionKey}`,
    `Expires: ${formatMessageDate(args.expiresAt)}`,
    // Verify-in-target never consumes a use: say what does.
    `Uses: ${maxUses === null ? "unlimited" : `${maxUses} transfers or execute batches`}`,
  ];
  if (sol) lines.push(`SOL: ${capsText(sol, formatSol)}`);
  for (const m of args.mints) lines.push(`Token ${m.mint}: ${capsText(m.caps, formatUnits)}`);
  // A session spends the vault's tokens and any delegation the owner gave the vault earlier.
  if (args.mints.length > 0) lines.push("Tokens from: your vault and your accounts that delegate to it");
  // An empty destination list allows every destination of transfer_token / transfer_sol.
  if (args.destinations.length === 0) {
    if (sol || args.mints.length > 0) lines.push("Send to: any address");
  } else {
    for (const d of args.destinations) lines.push(`Send to: ${d}`);
  }
  for (const prog of args.programs) lines.push(`Call ${prog.programId}: ${rulesText(prog)}`);
  if (args.programs.some((prog) => prog.instructions.length > 0)) lines.push(`Rules hash: ${await grantRulesHash(args.programs)}`);
  if (args.label) lines.push(`Label: ${args.label}`);
  lines.push(`Message ${BigInt(args.messageNumber)}, valid until ${formatMessageDate(args.validUntil)}`);
  return lines.join("\n");
}

/** The `Text` envelope: the body's bytes (ASCII, so its UTF-8 bytes). */
export function textEnvelope(body: string): Uint8Array {
  return new TextEncoder().encode(body);
}

/**
 * The `Offchain` envelope: `"\xffsolana offchain"`, version 0, application domain = `programId`,
 * format 1 (UTF-8, at most 1,232 bytes), one signer (`owner`), body length (u16 LE), body.
 */
export function offchainEnvelope(body: string, owner: Address, programId: Address = SESSION_KEYS_PROGRAM_ADDRESS): Uint8Array {
  const message: OffchainMessageV0 = {
    version: 0,
    applicationDomain: offchainMessageApplicationDomain(programId),
    content: offchainMessageContentUtf8Of1232BytesMax(body),
    requiredSignatories: [{ address: owner }],
  };
  return new Uint8Array(compileOffchainMessageEnvelope(message).content);
}

/**
 * The bytes the owner signs (and the Ed25519 instruction carries): the body in the envelope
 * `args.envelope` names.
 */
export async function grantMessageBytes(p: GrantMessageInput & { owner: Address }): Promise<Uint8Array> {
  const body = await buildGrantMessage(p);
  switch (Number(p.args.envelope)) {
    case MessageEnvelope.Text:
      return textEnvelope(body);
    case MessageEnvelope.Offchain:
      return offchainEnvelope(body, p.owner, p.programId);
    default:
      throw new Error(`unknown message envelope ${String(p.args.envelope)}`);
  }
}
