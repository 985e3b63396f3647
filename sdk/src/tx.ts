/**
 * Building, signing and sending a transaction with kit, confirmed by polling
 * `getSignatureStatuses` (no WebSocket needed), with failures decoded to the program's error.
 */
import {
  getBase58Decoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  isTransactionMessageWithSingleSendingSigner,
  signAndSendTransactionMessageWithSigners,
  signTransactionMessageWithSigners,
  type Commitment,
  type GetLatestBlockhashApi,
  type GetSignatureStatusesApi,
  type GetTransactionApi,
  type Instruction,
  type Rpc,
  type SendTransactionApi,
  type Signature,
  type Transaction,
  type TransactionSigner,
} from "@solana/kit";
import { decodeProgramError, type ProgramError } from "./errors";
import { parseEvents, type SessionKeysEvent } from "./events";
import { latestBlockhash, v0TransactionMessage } from "./internal";

/** The RPC methods sending needs. */
export type SendRpc = Rpc<GetLatestBlockhashApi & SendTransactionApi & GetSignatureStatusesApi & GetTransactionApi>;

/** A transaction that failed (in preflight or on chain), with our program's error if it raised one. */
export class TransactionFailedError extends Error {
  constructor(
    /** The session-keys error, decoded from the logs or the error code; `null` if another cause. */
    readonly programError: ProgramError | null,
    /** Logs of the failed simulation or transaction, when the node returned them. */
    readonly logs: readonly string[],
    /** What the RPC or kit threw or returned. */
    override readonly cause: unknown,
    readonly signature: Signature | null = null,
  ) {
    super(programError ? `${programError.name}: ${programError.message}` : `transaction failed: ${describe(cause)}`);
    this.name = "TransactionFailedError";
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  try {
    return JSON.stringify(e, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return String(e);
  }
}

/** A transaction message with `feePayer` paying fees and a fresh blockhash. */
async function transactionMessage(rpc: Rpc<GetLatestBlockhashApi>, feePayer: TransactionSigner, instructions: readonly Instruction[]) {
  return v0TransactionMessage(feePayer, await latestBlockhash(rpc), instructions);
}

/** A transaction with `feePayer` paying fees, signed by every signer its instructions carry. */
export async function signTransaction(
  rpc: Rpc<GetLatestBlockhashApi>,
  feePayer: TransactionSigner,
  instructions: readonly Instruction[],
): Promise<Transaction> {
  return await signTransactionMessageWithSigners(await transactionMessage(rpc, feePayer, instructions));
}

const RANK: Record<string, number> = { processed: 0, confirmed: 1, finalized: 2 };

/** Result of a confirmed transaction: its signature, logs and decoded events. */
export interface Sent {
  signature: Signature;
  logs: readonly string[];
  events: SessionKeysEvent[];
}

/**
 * Sends a signed transaction and polls until it reaches `commitment`. Throws
 * `TransactionFailedError` (with the decoded program error) on a preflight or on-chain failure.
 */
export async function sendAndConfirm(
  rpc: SendRpc,
  transaction: Transaction,
  options: { commitment?: Commitment; timeoutMs?: number; pollMs?: number } = {},
): Promise<Sent> {
  const commitment = options.commitment ?? "confirmed";
  const signature = getSignatureFromTransaction(transaction);
  try {
    await rpc
      .sendTransaction(getBase64EncodedWireTransaction(transaction), { encoding: "base64", preflightCommitment: commitment })
      .send();
  } catch (e) {
    const logs = findLogs(e);
    throw new TransactionFailedError(decodeProgramError(e, { logs }), logs, e, signature);
  }
  return await confirm(rpc, signature, commitment, options.timeoutMs ?? 30_000, options.pollMs ?? 250);
}

/** Polls a sent signature until `commitment`, then reads its logs and events. */
export async function confirm(
  rpc: SendRpc,
  signature: Signature,
  commitment: Commitment = "confirmed",
  timeoutMs = 30_000,
  pollMs = 250,
): Promise<Sent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status && status.confirmationStatus && RANK[status.confirmationStatus]! >= RANK[commitment]!) {
      const logs = await transactionLogs(rpc, signature, commitment);
      if (status.err) {
        throw new TransactionFailedError(decodeProgramError(status.err, { logs }), logs, status.err, signature);
      }
      return { signature, logs, events: parseEvents(logs) };
    }
    if (Date.now() > deadline) throw new Error(`transaction ${signature} not confirmed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function transactionLogs(rpc: SendRpc, signature: Signature, commitment: Commitment): Promise<readonly string[]> {
  const c = commitment === "processed" ? "confirmed" : commitment;
  const tx = await rpc.getTransaction(signature, { commitment: c, encoding: "json", maxSupportedTransactionVersion: 0 }).send();
  return tx?.meta?.logMessages ?? [];
}

function findLogs(e: unknown, depth = 0): string[] {
  if (!e || typeof e !== "object" || depth > 5) return [];
  const ctx = (e as { context?: { logs?: unknown } }).context;
  if (ctx && Array.isArray(ctx.logs)) return ctx.logs as string[];
  return findLogs((e as { cause?: unknown }).cause, depth + 1);
}

/**
 * Signs with every signer the instructions carry (fee payer first) and sends. A wallet that
 * only signs and sends (a kit `TransactionSendingSigner`, e.g. `walletStandardSigner` over
 * `solana:signAndSendTransaction`) sends it itself; the signature is then confirmed here.
 */
export async function signAndSend(
  rpc: SendRpc,
  feePayer: TransactionSigner,
  instructions: readonly Instruction[],
  options: { commitment?: Commitment; timeoutMs?: number } = {},
): Promise<Sent> {
  const message = await transactionMessage(rpc, feePayer, instructions);
  if (isTransactionMessageWithSingleSendingSigner(message)) {
    const signature = getBase58Decoder().decode(await signAndSendTransactionMessageWithSigners(message)) as Signature;
    return await confirm(rpc, signature, options.commitment, options.timeoutMs);
  }
  return await sendAndConfirm(rpc, await signTransactionMessageWithSigners(message), options);
}
