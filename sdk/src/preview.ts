/**
 * "Would this pass?": the program's read-only `preview` instruction, run with
 * `simulateTransaction` (no signature checked, a blockhash supplied by the node, nothing
 * written). It answers, as return data, the session's state (live, expired, revoked, out of
 * uses, rate limited), what it may still spend per asset (its own caps and the owner's budget),
 * its uses and rate limit, and for a proposed action the exact error the real instruction would
 * return, or success.
 *
 * ```ts
 * const p = await preview(rpc, { owner, sessionKey, action: { kind: "transferSol", destination, amount: 5_000n, reference } });
 * if (!p.outcome.ok) console.log(p.outcome.error?.name); // e.g. "OwnerBudgetWindowExceeded"
 * ```
 *
 * What it cannot know (the program's preview says so too): a signature or writability the
 * real transaction lacks, what `execute`'s target programs do (their outflows are charged
 * after the calls) and the token programs' own refusals (balance, frozen account).
 */
import {
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type AccountMeta,
  type Address,
  type Blockhash,
  type Instruction,
  type Rpc,
  type SimulateTransactionApi,
} from "@solana/kit";
import {
  getPreviewDecoder,
  getPreviewInstruction,
  PreviewSessionStatus,
  type CapsPreview,
  type Preview,
  type PreviewActionArgs,
} from "./generated";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { decodeProgramError, programErrorFromCode, type ProgramError } from "./errors";
import { executeRemainingAccounts, innerCalls, type PaymentReference, type TokenTransferAccounts } from "./instructions";
import { SOL_ASSET } from "./budget";
import { sessionAddresses } from "./sessions";
import type { Amount } from "./scope";

/**
 * The action to preview: none (`status`), or one of the session-signed instructions with the
 * accounts the real one would take. The reference is sent as given (16 or 32 bytes passes
 * the program's length check; any other length is answered `InvalidReferenceLength`).
 */
export type PreviewActionSpec =
  | { kind: "status" }
  | { kind: "transferSol"; destination: Address; amount: Amount; reference?: PaymentReference | null }
  | ({ kind: "transferToken"; amount: Amount; reference?: PaymentReference | null } & TokenTransferAccounts)
  | { kind: "execute"; calls: readonly Instruction[]; reference?: PaymentReference | null };

const readonly = (address: Address): AccountMeta => ({ address, role: AccountRole.READONLY });

/**
 * The `preview` instruction of `action` (default: `status`) for the session of `owner` and
 * `sessionKey`: session, wallet, vault and budget PDAs (read-only, no signer), then the action's
 * accounts (`transferSol`: the destination; `transferToken`: from, mint, to, token program;
 * `execute`: the calls' programs and accounts, as `executeInstruction` appends them).
 */
export async function previewInstruction(p: { owner: Address; sessionKey: Address; action?: PreviewActionSpec }) {
  const { session, wallet, vault, budget } = await sessionAddresses(p.owner, p.sessionKey);
  const a = p.action ?? { kind: "status" };
  let action: PreviewActionArgs;
  let remaining: AccountMeta[];
  switch (a.kind) {
    case "status":
      action = { __kind: "Status" };
      remaining = [];
      break;
    case "transferSol":
      action = { __kind: "TransferSol", amount: BigInt(a.amount), reference: a.reference ?? null };
      remaining = [readonly(a.destination)];
      break;
    case "transferToken":
      action = { __kind: "TransferToken", amount: BigInt(a.amount), reference: a.reference ?? null };
      remaining = [a.from, a.mint, a.to, a.tokenProgram].map(readonly);
      break;
    case "execute":
      action = { __kind: "Execute", calls: innerCalls(a.calls), reference: a.reference ?? null };
      // A preview writes nothing and needs no signature: every account read-only.
      remaining = executeRemainingAccounts(a.calls, vault).map((m) => readonly(m.address));
      break;
  }
  const ix = getPreviewInstruction({ session, wallet, vault, budget, action });
  return Object.freeze({ ...ix, accounts: [...ix.accounts, ...remaining] });
}

/** Where a session stands for the preview (the program's `SessionStatus`). */
export type PreviewStatus = "live" | "expired" | "revoked" | "out-of-uses" | "rate-limited";

const STATUS: Record<PreviewSessionStatus, PreviewStatus> = {
  [PreviewSessionStatus.Live]: "live",
  [PreviewSessionStatus.Expired]: "expired",
  [PreviewSessionStatus.Revoked]: "revoked",
  [PreviewSessionStatus.OutOfUses]: "out-of-uses",
  [PreviewSessionStatus.RateLimited]: "rate-limited",
};

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

/** One cap set's standing: `null` where there is no such cap. */
export interface PreviewCaps {
  lifetimeRemaining: bigint;
  /** Left in the window in force, `null` without a window. */
  windowRemaining: bigint | null;
  /** When the window in force ends, `null` without a window. */
  windowReopensAt: bigint | null;
}

/** What the session may spend of one asset. */
export interface PreviewAsset {
  /** The mint, or `SOL_ASSET`. */
  asset: Address;
  sol: boolean;
  /** The session's own caps. */
  session: PreviewCaps;
  /** The owner's budget of the asset (shared by every session of the owner), `null` if none. */
  budget: PreviewCaps | null;
  /** Largest amount one transfer could move now: every cap of the session and of the budget. */
  largestNextSpend: bigint;
}

/** The proposed action's outcome: passes, or the error the real instruction would return. */
export type PreviewOutcome =
  | { ok: true }
  | {
      ok: false;
      /** The code as the runtime reports it (6000 and up: a session-keys error; Anchor's own codes as they are). */
      code: bigint;
      /** The session-keys error behind `code`, `null` for another (an Anchor or runtime) code. */
      error: ProgramError | null;
    };

/** The program's answer, typed. */
export interface PreviewResult {
  /** The chain's unix time the answer is for. */
  now: bigint;
  status: PreviewStatus;
  expiresAt: bigint;
  /** Uses left, `null` if unlimited. */
  usesRemaining: number | null;
  /** The rate limit, `null` if none: actions left in the window in force, and when it ends. */
  rate: { remaining: number; reopensAt: bigint } | null;
  /** SOL first if the session has SOL caps, then its mints. */
  assets: PreviewAsset[];
  outcome: PreviewOutcome;
  /** The decoded return data as the program wrote it. */
  raw: Preview;
  /** The simulation's logs. */
  logs: readonly string[];
}

/** The preview itself failed (the session does not exist, a wrong account): not an answer about the action. */
export class PreviewFailedError extends Error {
  constructor(
    /** The session-keys error, if ours. */
    readonly programError: ProgramError | null,
    readonly logs: readonly string[],
    override readonly cause: unknown,
  ) {
    super(`preview failed: ${programError ? `${programError.name}: ${programError.message}` : JSON.stringify(cause, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    this.name = "PreviewFailedError";
  }
}

const caps = (c: CapsPreview): PreviewCaps => ({
  lifetimeRemaining: c.lifetimeRemaining,
  windowRemaining: c.windowReopensAt === 0n && c.windowRemaining === U64_MAX ? null : c.windowRemaining,
  windowReopensAt: c.windowReopensAt === 0n ? null : c.windowReopensAt,
});

/** Types the program's `Preview` (return data, already decoded). */
export function previewResult(raw: Preview, logs: readonly string[] = []): PreviewResult {
  const outcome: PreviewOutcome =
    raw.result === 0n ? { ok: true } : { ok: false, code: raw.result, error: raw.result <= BigInt(U32_MAX) ? programErrorFromCode(raw.result) : null };
  return {
    now: raw.now,
    status: STATUS[raw.status],
    expiresAt: raw.expiresAt,
    usesRemaining: raw.usesRemaining === U32_MAX ? null : raw.usesRemaining,
    rate: raw.rateReopensAt === 0n && raw.rateRemaining === U32_MAX ? null : { remaining: raw.rateRemaining, reopensAt: raw.rateReopensAt },
    assets: raw.assets.map((a) => ({
      asset: a.asset,
      sol: a.asset === SOL_ASSET,
      session: caps(a.session),
      budget: a.budget.__option === "Some" ? caps(a.budget.value) : null,
      largestNextSpend: a.largestNextSpend,
    })),
    outcome,
    raw,
    logs,
  };
}

/** Decodes `preview`'s return data (the bytes, or `simulateTransaction`'s base64 string). */
export function decodePreview(data: Uint8Array | string): Preview {
  const bytes = typeof data === "string" ? new Uint8Array(getBase64Encoder().encode(data)) : data;
  return getPreviewDecoder().decode(bytes);
}

/** Any blockhash: the node replaces it (`replaceRecentBlockhash`). */
const PLACEHOLDER_BLOCKHASH = { blockhash: "11111111111111111111111111111111" as Blockhash, lastValidBlockHeight: 0n };

/**
 * Asks the program whether `action` (default: none, the session's state only) would pass for
 * the session of `owner` and `sessionKey`, through `simulateTransaction` with `sigVerify: false`
 * and `replaceRecentBlockhash: true`: nobody signs, nothing is written, no blockhash is fetched.
 * `feePayer` (default: the session key) must be an existing account with lamports: a session
 * key nobody funded (a gasless grant) needs another one, such as the owner or the sponsor.
 * Throws `PreviewFailedError` when the preview itself fails (e.g. no such session).
 */
export async function preview(
  rpc: Rpc<SimulateTransactionApi>,
  p: { owner: Address; sessionKey: Address; action?: PreviewActionSpec; feePayer?: Address },
): Promise<PreviewResult> {
  const ix = await previewInstruction(p);
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayer(p.feePayer ?? p.sessionKey, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(PLACEHOLDER_BLOCKHASH, m),
    (m) => appendTransactionMessageInstructions([ix], m),
  );
  const wire = getBase64EncodedWireTransaction(compileTransaction(message));
  const { value } = await rpc
    .simulateTransaction(wire, { encoding: "base64", sigVerify: false, replaceRecentBlockhash: true, commitment: "confirmed" })
    .send();
  const logs = value.logs ?? [];
  if (value.err) throw new PreviewFailedError(decodeProgramError(value.err, { logs }), logs, value.err);
  if (!value.returnData || value.returnData.programId !== SESSION_KEYS_PROGRAM_ADDRESS) {
    throw new PreviewFailedError(null, logs, "no return data from the session-keys program (a program built before `preview`?)");
  }
  return previewResult(decodePreview(value.returnData.data[0]), logs);
}
