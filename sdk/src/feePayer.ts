/**
 * Who pays a session transaction's fee. By default the session key does (it needs SOL); with a
 * `FeePayer` the app's paymaster does, so the session key and the owner's vault need none.
 * `kora(url)` is a fee payer that speaks Kora's JSON-RPC (the Solana Foundation's gasless
 * relayer, kora-cli 2.0.5), to Kora itself or to a gateway in front of it
 * (sdk/examples/sponsor.ts, docs/12-gasless-play.md), in plain JSON-RPC on kit: `@solana/kora`
 * 0.2.1 requires kit ^6, this SDK uses kit 8.
 *
 * Kora answers every refusal with the same JSON-RPC code (-32000); the reason is in the message.
 * `kora()` turns answers into typed errors: `FeePayerRefusedError` (its policy said no, or the
 * transaction failed its simulation), `FeePayerRateLimitedError` (too many requests),
 * `FeePayerUnavailableError` (cannot be reached, or answered something that is not JSON-RPC).
 */
import {
  getBase64EncodedWireTransaction,
  getTransactionDecoder,
  getBase64Encoder,
  type Address,
  type Signature,
  type Transaction,
} from "@solana/kit";
import { programErrorFromCode, type ProgramError } from "./errors";
import type { Sponsor } from "./sponsor";

/** The app's paymaster: names itself as fee payer, then signs as fee payer and sends. */
export interface FeePayer {
  /** The address that pays (the transaction's fee payer). */
  address(): Promise<Address>;
  /**
   * Signs `transaction` (already signed by every other signer, the fee payer's slot empty) as fee
   * payer and sends it; resolves with its signature once sent (not confirmed).
   */
  signAndSend(transaction: Transaction): Promise<Signature>;
}

/** A fee payer did not pay: why, in words, and the kind. */
export class FeePayerError extends Error {
  constructor(
    message: string,
    /** `refused`: its policy or the simulation said no. `rate_limited`: retry later. `unavailable`: not reached. */
    readonly kind: "refused" | "rate_limited" | "unavailable",
    /** The session-keys program's error, when the simulation failed on it. */
    readonly programError: ProgramError | null = null,
    /** The HTTP status or JSON-RPC code the fee payer answered, when it answered. */
    readonly code: number | null = null,
  ) {
    super(message);
    this.name = "FeePayerError";
  }
}

/** The fee payer's policy refused the transaction (or its simulation failed): nothing was sent. */
export class FeePayerRefusedError extends FeePayerError {
  constructor(message: string, programError: ProgramError | null = null, code: number | null = null) {
    super(message, "refused", programError, code);
    this.name = "FeePayerRefusedError";
  }
}

/** Too many requests: nothing was sent; retry later. */
export class FeePayerRateLimitedError extends FeePayerError {
  constructor(message: string, code: number | null = null) {
    super(message, "rate_limited", null, code);
    this.name = "FeePayerRateLimitedError";
  }
}

/** The fee payer could not be reached or did not answer JSON-RPC. */
export class FeePayerUnavailableError extends FeePayerError {
  constructor(message: string, code: number | null = null) {
    super(message, "unavailable", null, code);
    this.name = "FeePayerUnavailableError";
  }
}

/** What `kora()` calls: Kora's JSON-RPC methods, as kora-cli 2.0.5 names them. */
export interface KoraClient extends FeePayer {
  /** `getPayerSigner`: Kora's fee-payer address and where token fees go. */
  getPayerSigner(): Promise<{ signerAddress: Address; paymentAddress: Address }>;
  /** `signTransaction`: Kora's signature added, not sent (disabled in deploy/kora/kora.toml). */
  signTransaction(transaction: Transaction): Promise<Transaction>;
  /** `signAndSendTransaction`: signed by Kora and sent; its signature. */
  signAndSendTransaction(transaction: Transaction): Promise<{ signature: Signature; signedTransaction: Transaction }>;
  /** Any other method, raw. */
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
}

/** Options of `kora()`. */
export interface KoraOptions {
  /** Kora's API key (`x-api-key`), when calling Kora directly; a gateway holds its own. */
  apiKey?: string;
  fetch?: typeof fetch;
}

const RATE_LIMIT = /rate limit|too many requests|usage limit|retry in/i;

/** The typed error of a JSON-RPC error object from Kora or the gateway. */
export function feePayerError(error: { code?: number; message?: string; data?: unknown }, who: string): FeePayerError {
  const message = `${who}: ${error.message ?? "refused"}`;
  const code = typeof error.code === "number" ? error.code : null;
  const kind = (error.data as { kind?: string } | undefined)?.kind;
  if (kind === "rate_limited" || RATE_LIMIT.test(error.message ?? "")) return new FeePayerRateLimitedError(message, code);
  if (kind === "unavailable") return new FeePayerUnavailableError(message, code);
  // A failed simulation names the program's error in the text ("custom program error: 0x1771").
  const custom = /custom program error: 0x([0-9a-f]+)/i.exec(error.message ?? "");
  return new FeePayerRefusedError(message, custom ? programErrorFromCode(parseInt(custom[1]!, 16)) : null, code);
}

/**
 * A fee payer over Kora's JSON-RPC at `url` (Kora, or the gateway in front of it). Its
 * `address()` is asked once and kept.
 */
export function kora(url: string, options: KoraOptions = {}): KoraClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const who = `the fee payer at ${url}`;
  let id = 0;
  let payer: Promise<{ signerAddress: Address; paymentAddress: Address }> | null = null;
  const encode = (t: Transaction) => getBase64EncodedWireTransaction(t) as string;
  const decode = (b64: string) => getTransactionDecoder().decode(getBase64Encoder().encode(b64));

  const call = async <T>(method: string, params: Record<string, unknown> = {}): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(options.apiKey ? { "x-api-key": options.apiKey } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
      });
    } catch (e) {
      throw new FeePayerUnavailableError(`${who} cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    if (res.status === 429) throw new FeePayerRateLimitedError(`${who} answered 429: too many requests`, 429);
    if (res.status === 401) throw new FeePayerRefusedError(`${who} answered 401: a missing or wrong API key`, null, 401);
    if (res.status === 405) throw new FeePayerRefusedError(`${who} answered 405: ${method} is disabled there`, null, 405);
    let body: { result?: T; error?: { code?: number; message?: string; data?: unknown } };
    try {
      body = JSON.parse(text);
    } catch {
      throw new FeePayerUnavailableError(`${who} answered HTTP ${res.status}, not JSON-RPC: ${text.slice(0, 200)}`, res.status);
    }
    if (body.error) throw feePayerError(body.error, who);
    if (!res.ok || body.result === undefined) throw new FeePayerUnavailableError(`${who} answered HTTP ${res.status} without a result`, res.status);
    return body.result;
  };

  const client: KoraClient = {
    call,
    getPayerSigner() {
      payer ??= call<{ signer_address: string; payment_address: string }>("getPayerSigner").then(
        (r) => ({ signerAddress: r.signer_address as Address, paymentAddress: r.payment_address as Address }),
        (e) => {
          payer = null;
          throw e;
        },
      );
      return payer;
    },
    async address() {
      return (await client.getPayerSigner()).signerAddress;
    },
    async signTransaction(transaction) {
      const r = await call<{ signed_transaction: string }>("signTransaction", { transaction: encode(transaction) });
      return decode(r.signed_transaction);
    },
    async signAndSendTransaction(transaction) {
      const r = await call<{ signature: string; signed_transaction: string }>("signAndSendTransaction", { transaction: encode(transaction) });
      return { signature: r.signature as Signature, signedTransaction: decode(r.signed_transaction) };
    },
    async signAndSend(transaction) {
      return (await client.signAndSendTransaction(transaction)).signature;
    },
  };
  return client;
}

/** A fee payer as the sponsor of a gasless grant (`SessionWallet.grantByMessage`): it pays the fee and the rent. */
export function feePayerSponsor(feePayer: FeePayer): Sponsor {
  return {
    address: () => feePayer.address(),
    async submit(request) {
      return { signature: await feePayer.signAndSend(request.transaction) };
    },
  };
}
