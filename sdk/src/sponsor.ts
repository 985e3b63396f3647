/**
 * The sponsor's side of a gasless grant (docs/message-grant.md): the
 * `create_session_from_message` instruction, the sponsor's transaction
 * `[Ed25519 instruction, create_session_from_message]`, the request a player sends a sponsor,
 * the checks a sponsor runs before it pays, and an HTTP client for a sponsor service
 * (sdk/examples/sponsor.ts is one).
 *
 * Who builds the transaction: the player. The player's page has an RPC (for a blockhash) and
 * learns the sponsor's address once (`GET /sponsor`); it builds the transaction with the
 * sponsor as fee payer, signs it with the session key and sends it with the grant's parts in
 * one request. The sponsor rebuilds the transaction from those parts, its own address and the
 * request's blockhash and signs only if the bytes are equal, so it never signs anything it did
 * not build itself: no other instruction, no compute-unit price, no lookup table, its key in
 * no other place. One round trip, and the sponsor keeps no pending state between requests
 * (the alternative, "the sponsor builds, the player co-signs", needs two round trips and a
 * pending-transaction store, and gains nothing: the player has the RPC anyway).
 */
import {
  address,
  appendTransactionMessageInstructions,
  compileTransaction,
  createDecoder,
  createEncoder,
  createNoopSigner,
  createTransactionMessage,
  getBase64Decoder,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getPublicKeyFromAddress,
  getTransactionDecoder,
  getTransactionEncoder,
  getTransactionSize,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  verifySignature,
  type Address,
  type Blockhash,
  type Decoder,
  type Encoder,
  type Instruction,
  type ReadonlyUint8Array,
  type Signature,
  type SignatureBytes,
  type Transaction,
  type TransactionSigner,
} from "@solana/kit";
import {
  CREATE_SESSION_FROM_MESSAGE_DISCRIMINATOR,
  getCreateSessionFromMessageInstructionAsync,
  getCreateSessionFromMessageInstructionDataDecoder,
  getCreateSessionFromMessageInstructionDataEncoder,
} from "./generated";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { ED25519_PROGRAM_ADDRESS, getEd25519VerifyInstruction, parseEd25519VerifyInstruction } from "./ed25519";
import { programErrorFromName, type ProgramError } from "./errors";
import {
  checkMessageGrantArgs,
  grantMessageBytes,
  type Cluster,
  type MessageGrantArgs,
  type MessageGrantArgsDecoded,
} from "./message";
import { ScopeError } from "./scope";

/** The instructions sysvar the program reads the Ed25519 instruction from. */
export const INSTRUCTIONS_SYSVAR_ADDRESS = "Sysvar1nstructions1111111111111111111111111" as Address<"Sysvar1nstructions1111111111111111111111111">;

/** Largest transaction the network accepts (bytes). */
export const TRANSACTION_SIZE_LIMIT = 1232;

/**
 * Borsh encoder of `MessageGrantArgs` alone: the generated instruction data without its
 * 8-byte discriminator (Codama flattens the one struct argument into the data).
 */
export function getMessageGrantArgsEncoder(): Encoder<MessageGrantArgs> {
  const data = getCreateSessionFromMessageInstructionDataEncoder();
  return createEncoder({
    getSizeFromValue: (args: MessageGrantArgs) => data.encode(args).length - 8,
    write: (args: MessageGrantArgs, bytes, offset) => {
      const encoded = data.encode(args);
      bytes.set(encoded.subarray(8), offset);
      return offset + encoded.length - 8;
    },
  });
}

/** Borsh decoder of `MessageGrantArgs` alone (see `getMessageGrantArgsEncoder`). */
export function getMessageGrantArgsDecoder(): Decoder<MessageGrantArgsDecoded> {
  const decoder = getCreateSessionFromMessageInstructionDataDecoder();
  return createDecoder({
    read: (bytes, offset) => {
      const data = new Uint8Array(8 + bytes.length - offset);
      data.set(CREATE_SESSION_FROM_MESSAGE_DISCRIMINATOR);
      data.set(bytes.subarray(offset), 8);
      const [{ discriminator: _, ...args }, end] = decoder.read(data, 0);
      return [args, offset + end - 8];
    },
  });
}

const signerOf = (s: Address | TransactionSigner): TransactionSigner => (typeof s === "string" ? createNoopSigner(s) : s);

/**
 * `create_session_from_message` (the generated builder, PDAs derived): `sponsor` pays the fee
 * and the rent, `sessionKey` co-signs, `owner` signed the message (checked against the Ed25519
 * instruction just before this one). Pass an address for a party that signs elsewhere (a no-op
 * signer stands in for it). Refuses a sponsor that is the session key and a session key that
 * is the owner, as the program does.
 */
export async function createSessionFromMessageInstruction(p: {
  sponsor: Address | TransactionSigner;
  sessionKey: Address | TransactionSigner;
  owner: Address;
  args: MessageGrantArgs | MessageGrantArgsDecoded;
}): Promise<Instruction> {
  const sponsor = signerOf(p.sponsor);
  const sessionKey = signerOf(p.sessionKey);
  if (sponsor.address === sessionKey.address) throw new ScopeError("SponsorIsSessionKey");
  if (sessionKey.address === p.owner) throw new ScopeError("SessionKeyIsOwner");
  return await getCreateSessionFromMessageInstructionAsync({ ...(p.args as MessageGrantArgs), sponsor, sessionKey, owner: p.owner });
}

/** The parts of a message grant, as the owner's wallet and the app produced them. */
export interface SignedGrant {
  args: MessageGrantArgs | MessageGrantArgsDecoded;
  owner: Address;
  sessionKey: Address;
  /** The bytes the owner signed (`grantMessageBytes`). */
  message: ReadonlyUint8Array;
  /** The owner's Ed25519 signature of `message`. */
  signature: ReadonlyUint8Array;
}

/** `[Ed25519 instruction, create_session_from_message]`, in the order the program requires. */
export async function sponsoredGrantInstructions(
  p: Omit<SignedGrant, "sessionKey"> & { sponsor: Address | TransactionSigner; sessionKey: Address | TransactionSigner },
): Promise<Instruction[]> {
  return [
    getEd25519VerifyInstruction({ publicKey: p.owner, signature: p.signature, message: p.message }),
    await createSessionFromMessageInstruction(p),
  ];
}

/**
 * The sponsor's transaction message (v0, no lookup table): `[computeBudget...]`, the Ed25519
 * instruction, `create_session_from_message`; the sponsor is the fee payer. Throws if the
 * transaction would exceed 1,232 bytes (a message grant with many rules may not fit).
 */
export async function sponsoredGrantTransactionMessage(
  p: Omit<SignedGrant, "sessionKey"> & {
    sponsor: Address | TransactionSigner;
    sessionKey: Address | TransactionSigner;
    blockhash: { blockhash: Blockhash; lastValidBlockHeight: bigint };
    /** Compute-budget instructions placed first (the sponsor's policy must then allow them). */
    computeBudget?: readonly Instruction[];
  },
) {
  const instructions = [...(p.computeBudget ?? []), ...(await sponsoredGrantInstructions(p))];
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(signerOf(p.sponsor), m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(p.blockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const size = getTransactionSize(compileTransaction(message));
  if (size > TRANSACTION_SIZE_LIMIT) {
    throw new Error(`the sponsored grant transaction is ${size} bytes, over the ${TRANSACTION_SIZE_LIMIT}-byte limit: grant fewer rules or a shorter label`);
  }
  return message;
}

/** What a player sends a sponsor: the signed grant and the transaction the session key signed. */
export interface GrantRequest extends SignedGrant {
  /** The sponsored transaction (`sponsoredGrantTransactionMessage`), signed by the session key only. */
  transaction: Transaction;
}

/** `GrantRequest` as JSON: addresses as base58, bytes as base64. */
export interface GrantRequestJson {
  /** Borsh `MessageGrantArgs`. */
  args: string;
  owner: string;
  sessionKey: string;
  message: string;
  signature: string;
  /** The wire transaction. */
  transaction: string;
}

const b64 = (bytes: ReadonlyUint8Array) => getBase64Decoder().decode(bytes);
const unb64 = (s: string) => new Uint8Array(getBase64Encoder().encode(s));

/** A request as JSON for an HTTP sponsor. */
export function encodeGrantRequest(r: GrantRequest): GrantRequestJson {
  return {
    args: b64(getMessageGrantArgsEncoder().encode(r.args as MessageGrantArgs)),
    owner: r.owner,
    sessionKey: r.sessionKey,
    message: b64(r.message),
    signature: b64(r.signature),
    transaction: b64(getTransactionEncoder().encode(r.transaction)),
  };
}

/** A request back from JSON; throws a `GrantRefusedError` (400) naming the malformed field. */
export function decodeGrantRequest(json: unknown): GrantRequest & { args: MessageGrantArgsDecoded } {
  const field = (name: keyof GrantRequestJson): string => {
    const v = (json as Record<string, unknown> | null)?.[name];
    if (typeof v !== "string") throw new GrantRefusedError(400, `malformed request: \`${name}\` must be a string`);
    return v;
  };
  const parse = <T>(name: keyof GrantRequestJson, f: (s: string) => T): T => {
    const s = field(name);
    try {
      return f(s);
    } catch (e) {
      throw new GrantRefusedError(400, `malformed request: \`${name}\` (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const exact = <T>(bytes: Uint8Array, decoder: Decoder<T>): T => {
    const [value, read] = decoder.read(bytes, 0);
    if (read !== bytes.length) throw new Error(`${bytes.length - read} trailing bytes`);
    return value;
  };
  return {
    args: parse("args", (s) => exact(unb64(s), getMessageGrantArgsDecoder())),
    owner: parse("owner", address),
    sessionKey: parse("sessionKey", address),
    message: parse("message", unb64),
    signature: parse("signature", (s) => exactLength(unb64(s), 64) as SignatureBytes),
    transaction: parse("transaction", (s) => exact(unb64(s), getTransactionDecoder())),
  };
}

function exactLength(bytes: ReadonlyUint8Array, n: number): Uint8Array {
  if (bytes.length !== n) throw new Error(`${bytes.length} bytes, expected ${n}`);
  return new Uint8Array(bytes);
}

/** A sponsor's refusal: an HTTP status and the reason. */
export class GrantRefusedError extends Error {
  constructor(
    /** 400 malformed or inconsistent, 401 a signature does not verify, 403 against the sponsor's policy, 429 rate-limited, 422 the program refused, 502 the chain could not be reached. */
    readonly status: number,
    readonly reason: string,
    /** The session-keys error when the program refused the transaction. */
    readonly programError: ProgramError | null = null,
  ) {
    super(reason);
    this.name = "GrantRefusedError";
  }
}

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

const hex = (b: ReadonlyUint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const sameBytes = (a: ReadonlyUint8Array, b: ReadonlyUint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

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
  const hasSol = args.sol !== null && !(typeof args.sol === "object" && "__option" in args.sol && args.sol.__option === "None");
  if (hasSol && policy.allowSol === false) throw new GrantRefusedError(403, "this sponsor does not pay for sessions that spend SOL");
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

/** A sponsor as the session wallet sees it: an address to name as fee payer, and a submit call. */
export interface Sponsor {
  /** The sponsor's fee-payer address. */
  address(): Promise<Address>;
  /**
   * Checks the request, signs as fee payer, sends, and resolves once the transaction is
   * confirmed; rejects with a `GrantRefusedError` otherwise.
   */
  submit(request: GrantRequest): Promise<{ signature: Signature }>;
}

/** What `GET {url}/sponsor` answers. */
export interface SponsorInfo {
  address: Address;
  cluster: Cluster;
  programId: Address;
  programs: Address[];
}

/**
 * A sponsor service over HTTP (sdk/examples/sponsor.ts): `GET {url}/sponsor` for its address,
 * `POST {url}/grant` with the request as JSON. A refusal (non-2xx) rejects with a
 * `GrantRefusedError` carrying the service's status, reason and program error name.
 */
export function httpSponsor(url: string, fetchImpl: typeof fetch = globalThis.fetch): Sponsor {
  const base = url.replace(/\/+$/, "");
  let info: Promise<SponsorInfo> | null = null;
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, init);
    } catch (e) {
      throw new GrantRefusedError(502, `the sponsor at ${base} cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = (await res.json().catch(() => null)) as { error?: string; programError?: string } | null;
    if (!res.ok) {
      const programError = body?.programError ? programErrorFromName(body.programError) : null;
      throw new GrantRefusedError(res.status, body?.error ?? `the sponsor answered ${res.status}`, programError);
    }
    return body as T;
  };
  return {
    async address() {
      info ??= call<SponsorInfo>("/sponsor").catch((e) => {
        info = null;
        throw e;
      });
      return (await info).address;
    },
    async submit(request) {
      const body = await call<{ signature: Signature }>("/grant", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeGrantRequest(request)),
      });
      if (typeof body?.signature !== "string") throw new GrantRefusedError(502, "the sponsor answered without a signature");
      return { signature: body.signature };
    },
  };
}
