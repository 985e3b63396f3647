/**
 * What a sponsor pays for (`SponsorPolicy`) and every check it runs before it signs a grant
 * request (`checkGrantRequest`): its policy first (403), then the program's own rules, the
 * message and the owner's signature (400/401), then the transaction, which must be byte for
 * byte the one the sponsor would have built itself.
 */
import {
  compileTransaction,
  getCompiledTransactionMessageDecoder,
  getPublicKeyFromAddress,
  verifySignature,
  type Address,
  type Blockhash,
  type SignatureBytes,
} from "@solana/kit";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "../generated/programs";
import { ED25519_PROGRAM_ADDRESS, parseEd25519VerifyInstruction } from "../ed25519";
import { hex, opt, sameBytes } from "../internal";
import { checkMessageGrantArgs, grantMessageBytes, type Cluster } from "../message";
import { ScopeError } from "../scope";
import { GrantRefusedError, type GrantRequest } from "./codec";
import { sponsoredGrantTransactionMessage } from "./transaction";

/** What a sponsor pays for. Anything else is refused with 403 before any signature check. */
export interface SponsorPolicy {
  /** The cluster the sponsor pays on (the message must name it). */
  cluster: Cluster;
  /** The programs a sponsored session may call: every program in the scope must be listed, and there must be one. */
  programs: readonly Address[];
  /** When set, the message's `domain` must be one of these (the sponsor's own apps). */
  domains?: readonly string[];
  /** May the session spend the owner's vault SOL (a `sol` cap)? Default true: the owner's own funds. */
  allowSol?: boolean;
  /** May the session spend tokens (mint caps)? Default false. */
  allowMints?: boolean;
  /** Longest session paid for, in seconds. Default one day. */
  maxSessionSeconds?: number;
}

/**
 * Every check a sponsor runs before it signs, cheapest first; throws a `GrantRefusedError`
 * with the status and the reason. When it returns, `request.transaction` is byte for byte the
 * transaction the sponsor would have built itself (its key only as fee payer and `sponsor`),
 * the owner signed exactly the message these arguments make, the session key signed the
 * transaction, and the grant is within `policy` and the program's rules at `now` (the chain's
 * clock). What it cannot know offline (the owner's message counter) the program checks in
 * preflight, which costs the sponsor nothing.
 */
export async function checkGrantRequest(request: GrantRequest, ctx: { sponsor: Address; policy: SponsorPolicy; now: bigint }): Promise<void> {
  const { policy, sponsor } = ctx;
  const { args, owner, sessionKey } = request;
  // The SDK's own program id: the generated builders and PDAs use it (a deployment under
  // another id regenerates the SDK from its IDL, see the README).
  const programId = SESSION_KEYS_PROGRAM_ADDRESS;
  if (owner === sponsor || sessionKey === sponsor) throw new GrantRefusedError(400, "the sponsor cannot be the owner or the session key");
  if (owner === sessionKey) throw new GrantRefusedError(400, "the session key cannot be the owner");

  // Policy: only what this sponsor pays for.
  if (args.programs.length === 0) throw new GrantRefusedError(403, "this sponsor pays only for sessions that call its programs: the scope has none");
  for (const p of args.programs) {
    if (!policy.programs.includes(p.programId)) {
      throw new GrantRefusedError(403, `the scope includes program ${p.programId}, which this sponsor does not sponsor`);
    }
  }
  if (args.mints.length > 0 && !policy.allowMints) throw new GrantRefusedError(403, "this sponsor does not pay for sessions that spend tokens");
  if (args.destinations.length > 0) throw new GrantRefusedError(403, "this sponsor does not pay for sessions with transfer destinations");
  if (opt(args.sol) !== null && policy.allowSol === false) throw new GrantRefusedError(403, "this sponsor does not pay for sessions that spend SOL");
  if (policy.domains && !policy.domains.includes(args.domain)) throw new GrantRefusedError(403, `this sponsor does not pay for the domain ${JSON.stringify(args.domain)}`);
  const maxSeconds = BigInt(policy.maxSessionSeconds ?? 86_400);
  if (BigInt(args.expiresAt) - ctx.now > maxSeconds) throw new GrantRefusedError(403, `this sponsor pays for sessions of at most ${maxSeconds} s`);

  // The program's own rules, so a refused grant is answered here and not by a failed send.
  try {
    checkMessageGrantArgs(args, ctx.now);
  } catch (e) {
    if (e instanceof ScopeError) throw new GrantRefusedError(400, e.message, e.error.code >= 0 ? e.error : null);
    throw e;
  }

  // The owner signed exactly the message these arguments make.
  let expected: Uint8Array;
  try {
    expected = await grantMessageBytes({ args, owner, sessionKey, cluster: policy.cluster, programId });
  } catch (e) {
    throw new GrantRefusedError(400, `the grant's message cannot be built: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!sameBytes(expected, request.message)) {
    throw new GrantRefusedError(400, `the signed message is not the one these arguments make on ${policy.cluster}`);
  }
  if (!(await verifySignature(await getPublicKeyFromAddress(owner), request.signature as SignatureBytes, request.message))) {
    throw new GrantRefusedError(401, "the owner's signature of the message does not verify");
  }

  // The transaction: the sponsor's key only as fee payer and `sponsor`, and nothing but the grant.
  const tx = request.transaction;
  let compiled: ReturnType<ReturnType<typeof getCompiledTransactionMessageDecoder>["decode"]>;
  try {
    compiled = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
  } catch (e) {
    throw new GrantRefusedError(400, `malformed transaction message (${e instanceof Error ? e.message : String(e)})`);
  }
  if (compiled.version !== 0) throw new GrantRefusedError(400, "the transaction must be a v0 message");
  if ((compiled.addressTableLookups ?? []).length > 0) throw new GrantRefusedError(400, "the transaction must not load address lookup tables");
  const accounts = compiled.staticAccounts;
  if (accounts[0] !== sponsor) throw new GrantRefusedError(400, "the sponsor must be the transaction's fee payer");
  if (accounts.indexOf(sponsor, 1) !== -1) throw new GrantRefusedError(400, "the sponsor's key appears twice in the transaction");
  if (compiled.instructions.length !== 2) throw new GrantRefusedError(400, `the transaction must hold exactly [Ed25519, create_session_from_message], not ${compiled.instructions.length} instructions`);
  const [ed, grant] = compiled.instructions as [(typeof compiled.instructions)[number], (typeof compiled.instructions)[number]];
  if (accounts[ed.programAddressIndex] !== ED25519_PROGRAM_ADDRESS || (ed.accountIndices ?? []).length > 0) {
    throw new GrantRefusedError(400, "the first instruction must be the Ed25519 precompile, with no accounts");
  }
  if (accounts[grant.programAddressIndex] !== programId) throw new GrantRefusedError(400, "the second instruction must be create_session_from_message");
  const uses = (grant.accountIndices ?? []).flatMap((a, i) => (a === 0 ? [i] : []));
  if (uses.length !== 1 || uses[0] !== 0) throw new GrantRefusedError(400, "the sponsor's key may only be the `sponsor` account of create_session_from_message");
  const parsed = parseEd25519VerifyInstruction(ed.data ?? new Uint8Array());
  if (!parsed || parsed.publicKey !== owner || !sameBytes(parsed.signature, request.signature) || !sameBytes(parsed.message, request.message)) {
    throw new GrantRefusedError(400, "the Ed25519 instruction does not carry the owner's signature of this message in the canonical layout");
  }
  const rebuilt = compileTransaction(
    await sponsoredGrantTransactionMessage({
      ...request,
      sponsor,
      blockhash: { blockhash: compiled.lifetimeToken as Blockhash, lastValidBlockHeight: 0n },
    }),
  );
  if (!sameBytes(rebuilt.messageBytes, tx.messageBytes)) {
    throw new GrantRefusedError(400, `the transaction is not the sponsored grant these arguments make (expected message ${hex(rebuilt.messageBytes).slice(0, 16)}…)`);
  }
  const keySignature = tx.signatures[sessionKey];
  if (!keySignature || !(await verifySignature(await getPublicKeyFromAddress(sessionKey), keySignature, tx.messageBytes))) {
    throw new GrantRefusedError(401, "the session key's signature of the transaction is missing or does not verify");
  }
}
