/**
 * Program errors: from a custom error code, from transaction or simulation logs, from a
 * transaction error object (`{ InstructionError: [index, { Custom: code }] }`) and from kit's
 * `SolanaError`s. Names and messages come from the IDL (src/generated/idl.ts).
 */
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { PROGRAM_ERRORS } from "./generated/idl";

/** A session-keys program error: its code (6000 and up), its Rust name and its message. */
export interface ProgramError {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** The program error behind a custom error code, or `null` if the code is not one of ours. */
export function programErrorFromCode(code: number | bigint): ProgramError | null {
  const n = Number(code);
  return PROGRAM_ERRORS.find((e) => e.code === n) ?? null;
}

/** The program error with this name (`"WindowCapExceeded"`), or `null`. */
export function programErrorFromName(name: string): ProgramError | null {
  return PROGRAM_ERRORS.find((e) => e.name === name) ?? null;
}

/**
 * The program error a failed transaction's logs report: the line
 * `Program <session-keys> failed: custom program error: 0x1780` (the innermost failing
 * session-keys invocation). Errors of other programs return `null`.
 */
export function programErrorFromLogs(
  logs: readonly string[] | null | undefined,
  programAddress: string = SESSION_KEYS_PROGRAM_ADDRESS,
): ProgramError | null {
  const prefix = `Program ${programAddress} failed: custom program error: 0x`;
  for (const line of logs ?? []) {
    if (line.startsWith(prefix)) return programErrorFromCode(parseInt(line.slice(prefix.length), 16));
  }
  return null;
}

/**
 * The custom code inside a transaction error as RPC returns it (`simulateTransaction`'s
 * `value.err`, `getSignatureStatuses`' `err`, `getTransaction`'s `meta.err`):
 * `{ InstructionError: [index, { Custom: code }] }`.
 */
export function customCodeFromTransactionError(err: unknown): { index: number; code: number } | null {
  if (!err || typeof err !== "object" || !("InstructionError" in err)) return null;
  const ie = (err as { InstructionError: unknown }).InstructionError;
  if (!Array.isArray(ie) || ie.length !== 2) return null;
  const [index, inner] = ie as [unknown, unknown];
  if (!inner || typeof inner !== "object" || !("Custom" in inner)) return null;
  return { index: Number(index), code: Number((inner as { Custom: unknown }).Custom) };
}

/**
 * Finds our program error anywhere in what a failed send or simulation gives back: kit's
 * `SolanaError` (its `context.code`, its `cause`, and the simulation `logs` kit attaches to
 * preflight failures), an RPC transaction error object, or a list of logs.
 *
 * A custom code alone does not tell which program raised it: when the logs are present, they
 * decide; without logs, a code is attributed to this program only when it is one of ours
 * (6000 and up) and, with `instructionPrograms`, only if the failing instruction is ours.
 */
export function decodeProgramError(
  error: unknown,
  options: { logs?: readonly string[]; instructionPrograms?: readonly string[]; programAddress?: string } = {},
): ProgramError | null {
  const programAddress = options.programAddress ?? SESSION_KEYS_PROGRAM_ADDRESS;
  const seen = new Set<unknown>();
  const logs: string[] = [...(options.logs ?? [])];
  let code: { index: number | null; code: number } | null = null;

  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== "object" || seen.has(e) || depth > 6) return;
    seen.add(e);
    const custom = customCodeFromTransactionError(e);
    if (custom && !code) code = custom;
    const ctx = (e as { context?: Record<string, unknown> }).context;
    if (ctx && typeof ctx === "object") {
      if (Array.isArray(ctx.logs)) logs.push(...(ctx.logs as string[]));
      if (typeof ctx.code === "number" && !code) {
        code = { index: typeof ctx.index === "number" ? ctx.index : null, code: ctx.code };
      }
      for (const v of Object.values(ctx)) visit(v, depth + 1);
    }
    if ("err" in (e as object)) visit((e as { err: unknown }).err, depth + 1);
    if ("cause" in (e as object)) visit((e as { cause: unknown }).cause, depth + 1);
  };
  if (Array.isArray(error)) logs.push(...(error as string[]));
  else visit(error, 0);

  if (logs.length) {
    const fromLogs = programErrorFromLogs(logs, programAddress);
    if (fromLogs || logs.some((l) => l.includes(" failed: "))) return fromLogs;
  }
  const found = code as { index: number | null; code: number } | null;
  if (!found) return null;
  if (options.instructionPrograms && found.index !== null) {
    if (options.instructionPrograms[found.index] !== programAddress) return null;
  }
  return programErrorFromCode(found.code);
}
