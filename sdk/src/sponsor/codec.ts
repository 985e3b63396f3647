/**
 * What travels between a player and a sponsor: the Borsh `MessageGrantArgs`, the request a
 * player sends (`GrantRequest`) and its JSON form, what `GET /sponsor` answers, and the refusal
 * a sponsor answers with (`GrantRefusedError`: an HTTP status and the reason).
 */
import {
  address,
  createDecoder,
  createEncoder,
  getBase64Decoder,
  getBase64Encoder,
  getTransactionDecoder,
  getTransactionEncoder,
  type Address,
  type Decoder,
  type Encoder,
  type ReadonlyUint8Array,
  type SignatureBytes,
  type Transaction,
} from "@solana/kit";
import {
  CREATE_SESSION_FROM_MESSAGE_DISCRIMINATOR,
  getCreateSessionFromMessageInstructionDataDecoder,
  getCreateSessionFromMessageInstructionDataEncoder,
} from "../generated";
import type { ProgramError } from "../errors";
import type { Cluster, MessageGrantArgs, MessageGrantArgsDecoded } from "../message";
import type { SignedGrant } from "./transaction";

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

/** What `GET {url}/sponsor` answers. */
export interface SponsorInfo {
  address: Address;
  cluster: Cluster;
  programId: Address;
  programs: Address[];
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
