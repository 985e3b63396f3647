/**
 * The check in front of Kora (docs/12-gasless-play.md): what a game's gateway runs on a
 * transaction before it asks Kora to sign it as fee payer. Kora 2.0.5 checks the programs it
 * allows, the lamports its key pays out and its key's use in System and token instructions
 * (deploy/kora/kora.toml); it does not parse the session-keys program's instructions, and 2.0.5
 * predates the fix of advisory GHSA-x442-m7cc-hr92 (an inner instruction it does not recognize
 * skips its fee-payer policy). So this check allows, as outer instructions, only:
 *
 * - a gasless grant, `[Ed25519, create_session_from_message]`, byte for byte the transaction
 *   `checkGrantRequest` rebuilds (Kora's key only as fee payer and `sponsor`), for a scope the
 *   game pays for (`SponsorPolicy`);
 * - session play: `transfer_sol`, `transfer_token`, `execute` and `revoke_session`, each signed by
 *   the session key of a session whose scope is this game's (its programs all in the policy, no
 *   destinations, no mints unless allowed), optionally after Compute Budget's unit limit;
 *
 * with Kora's key nowhere but the fee payer (and the `payer` of a `revoke_session` of a session
 * it paid for, which receives the rent back). It names the player (the session's owner) so the
 * gateway can limit each player.
 */
import {
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type Address,
  type GetAccountInfoApi,
  type ReadonlyUint8Array,
  type Rpc,
  type Transaction,
} from "@solana/kit";
import { fetchMaybeSession, type Session } from "../generated/accounts";
import {
  CREATE_SESSION_FROM_MESSAGE_DISCRIMINATOR,
  EXECUTE_DISCRIMINATOR,
  getCreateSessionFromMessageInstructionDataDecoder,
  REVOKE_SESSION_DISCRIMINATOR,
  TRANSFER_SOL_DISCRIMINATOR,
  TRANSFER_TOKEN_DISCRIMINATOR,
} from "../generated/instructions";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "../generated/programs";
import { ED25519_PROGRAM_ADDRESS, parseEd25519VerifyInstruction } from "../ed25519";
import { sameBytes } from "../internal";
import { checkGrantRequest, type SponsorPolicy } from "./checks";
import { GrantRefusedError } from "./codec";

/** The Compute Budget program. */
export const COMPUTE_BUDGET_PROGRAM_ADDRESS = "ComputeBudget111111111111111111111111111111" as Address;

/** What a checked transaction is, and whose. */
export interface CheckedTransaction {
  kind: "grant" | "play";
  /** The player: the grant's owner, or the owner of the session that signs. */
  owner: Address;
  /** The session key that signed it. */
  sessionKey: Address;
}

const PLAY = [
  ["transfer_sol", TRANSFER_SOL_DISCRIMINATOR],
  ["transfer_token", TRANSFER_TOKEN_DISCRIMINATOR],
  ["execute", EXECUTE_DISCRIMINATOR],
  ["revoke_session", REVOKE_SESSION_DISCRIMINATOR],
] as const;

const refuse = (reason: string): never => {
  throw new GrantRefusedError(403, reason);
};

/** The session's scope is the game's: every program in the policy, no destinations, mints only if allowed. */
function checkSessionScope(session: Session, policy: SponsorPolicy) {
  if (session.programs.length === 0) refuse("the session calls none of this game's programs: this paymaster pays only for this game");
  for (const p of session.programs) {
    if (!policy.programs.includes(p.programId)) refuse(`the session's scope includes program ${p.programId}, which this paymaster does not pay for`);
  }
  if (session.destinations.length > 0) refuse("this paymaster does not pay for sessions with transfer destinations");
  if (session.mints.length > 0 && !policy.allowMints) refuse("this paymaster does not pay for sessions that spend tokens");
}

/**
 * Every check the gateway runs before Kora sees `wire` (a base64 or decoded transaction whose
 * fee payer is `payer`, Kora's key). Throws a `GrantRefusedError` (403 policy, 400 malformed,
 * 401 signature) with the reason; returns the player it is for.
 */
export async function checkPaymasterTransaction(
  transaction: Transaction,
  ctx: { payer: Address; policy: SponsorPolicy; now: bigint; rpc: Rpc<GetAccountInfoApi> },
): Promise<CheckedTransaction> {
  const { payer, policy } = ctx;
  let compiled: ReturnType<ReturnType<typeof getCompiledTransactionMessageDecoder>["decode"]>;
  try {
    compiled = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes);
  } catch (e) {
    throw new GrantRefusedError(400, `malformed transaction message (${e instanceof Error ? e.message : String(e)})`);
  }
  if (compiled.version !== 0) throw new GrantRefusedError(400, "the transaction must be a v0 message");
  const accounts = compiled.staticAccounts;
  if (accounts[0] !== payer) refuse(`the paymaster ${payer} must be the transaction's fee payer`);
  if ((compiled.addressTableLookups ?? []).length > 0) refuse("the transaction must not load address lookup tables (the paymaster checks every account)");
  if (accounts.indexOf(payer, 1) !== -1) refuse("the paymaster's key appears twice in the transaction");
  const instructions = compiled.instructions;
  const programOf = (i: (typeof instructions)[number]) => accounts[i.programAddressIndex];

  // A gasless grant: exactly the sponsored grant transaction, checked as the sponsor checks it.
  const grant = instructions.find(
    (i) => programOf(i) === SESSION_KEYS_PROGRAM_ADDRESS && sameBytes((i.data ?? new Uint8Array()).slice(0, 8), CREATE_SESSION_FROM_MESSAGE_DISCRIMINATOR),
  );
  if (grant) {
    const ed = instructions[0];
    if (!ed || programOf(ed) !== ED25519_PROGRAM_ADDRESS) refuse("a grant must be [Ed25519, create_session_from_message]");
    const parsed = parseEd25519VerifyInstruction(ed!.data ?? new Uint8Array());
    if (!parsed) throw new GrantRefusedError(400, "the Ed25519 instruction is not in the canonical layout");
    let args;
    try {
      const { discriminator: _, ...rest } = getCreateSessionFromMessageInstructionDataDecoder().decode(grant.data ?? new Uint8Array());
      args = rest;
    } catch (e) {
      throw new GrantRefusedError(400, `malformed create_session_from_message data (${e instanceof Error ? e.message : String(e)})`);
    }
    const keys = grant.accountIndices ?? [];
    const sessionKey = accounts[keys[1] ?? -1];
    const owner = accounts[keys[2] ?? -1];
    if (!sessionKey || !owner) throw new GrantRefusedError(400, "create_session_from_message lacks its accounts");
    await checkGrantRequest(
      { args, owner, sessionKey, message: parsed!.message, signature: parsed!.signature, transaction },
      { sponsor: payer, policy, now: ctx.now },
    );
    return { kind: "grant", owner, sessionKey };
  }

  // Session play: Compute Budget's unit limit, then session-keys' session-key instructions.
  let found: { owner: Address; sessionKey: Address } | null = null;
  if (instructions.length === 0) refuse("the transaction has no instructions");
  for (const [n, i] of instructions.entries()) {
    const program = programOf(i);
    const data: ReadonlyUint8Array = i.data ?? new Uint8Array();
    const keys = i.accountIndices ?? [];
    if (program === COMPUTE_BUDGET_PROGRAM_ADDRESS) {
      // SetComputeUnitLimit (tag 2) only: a unit price would raise what the paymaster pays.
      if (data[0] !== 2 || data.length !== 5 || keys.length > 0) refuse(`instruction ${n}: of Compute Budget, only SetComputeUnitLimit is paid for`);
      continue;
    }
    if (program !== SESSION_KEYS_PROGRAM_ADDRESS) refuse(`instruction ${n} calls program ${program}, which this paymaster does not pay for as an outer instruction`);
    const name = PLAY.find(([, d]) => sameBytes(data.slice(0, 8), d))?.[0];
    if (!name) refuse(`instruction ${n}: of session-keys, only transfer_sol, transfer_token, execute, revoke_session and create_session_from_message are paid for`);
    // The paymaster's key: never in these instructions, except as the rent payer a revoke pays back.
    for (const [slot, k] of keys.entries()) {
      if (k === 0 && !(name === "revoke_session" && slot === 2)) refuse(`instruction ${n} (${name}) uses the paymaster's key as an account: it may only be the fee payer`);
    }
    const signer = accounts[keys[0] ?? -1];
    const sessionAddress = accounts[keys[1] ?? -1];
    if (!signer || !sessionAddress) throw new GrantRefusedError(400, `instruction ${n} (${name}) lacks its accounts`);
    const account = await fetchMaybeSession(ctx.rpc, sessionAddress);
    if (!account.exists) refuse(`instruction ${n} (${name}): ${sessionAddress} is not a session`);
    const session = (account as { data: Session }).data;
    if (session.sessionKey !== signer) refuse(`instruction ${n} (${name}) must be signed by the session's key`);
    checkSessionScope(session, policy);
    if (found && found.owner !== session.owner) refuse("one transaction may play for one player only");
    found = { owner: session.owner, sessionKey: signer };
  }
  if (!found) refuse("the transaction holds no session instruction");
  // Only the fee payer and the session key sign (Kora also caps signatures).
  if (compiled.header.numSignerAccounts !== 2) refuse(`the paymaster pays for transactions of exactly two signers (itself and the session key), not ${compiled.header.numSignerAccounts}`);
  if (accounts[1] !== found!.sessionKey) refuse("the session key must be the second signer");
  return { kind: "play", ...found! };
}

/** Decodes a base64 wire transaction (as Kora's methods take it). */
export function decodeWireTransaction(base64: string): Transaction {
  try {
    return getTransactionDecoder().decode(getBase64Encoder().encode(base64));
  } catch (e) {
    throw new GrantRefusedError(400, `malformed transaction (${e instanceof Error ? e.message : String(e)})`);
  }
}
