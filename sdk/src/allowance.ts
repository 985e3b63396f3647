/**
 * Allowance maths, the same as the program's `policy::caps` (checked against golden vectors
 * that the Rust side computes, in sdk/test/golden.json): windows are aligned to multiples of
 * their length from the unix epoch; a window's spending is forgotten once a later window
 * starts; a clock going backwards never reopens an older window.
 */
import type { Allowance } from "./generated";
import {
  SESSION_KEYS_ERROR__LIFETIME_CAP_EXCEEDED,
  SESSION_KEYS_ERROR__PER_INSTRUCTION_CAP_EXCEEDED,
  SESSION_KEYS_ERROR__WINDOW_CAP_EXCEEDED,
  SESSION_KEYS_ERROR__ZERO_AMOUNT,
  type SessionKeysError,
} from "./generated/errors";
import { programErrorFromCode, type ProgramError } from "./errors";
import { NO_PER_INSTRUCTION_CAP } from "./generated/idl";

const fail = (code: SessionKeysError): Charge => ({ ok: false, error: programErrorFromCode(code)! });

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/** Start of the window of length `secs` containing `now`; `now` itself when `secs` is 0. */
export function windowStart(now: bigint, secs: number): bigint {
  if (secs === 0) return now;
  const s = BigInt(secs);
  const start = now - (((now % s) + s) % s);
  return start < I64_MIN ? I64_MIN : start;
}

/** Spent amount of the window in force at `now` (0 once a newer window has begun). */
export function windowSpentAt(a: Allowance, now: bigint): bigint {
  if (a.windowSecs === 0 || windowStart(now, a.windowSecs) > a.windowStart) return 0n;
  return a.windowSpent;
}

/** Lifetime allowance not yet spent. */
export function lifetimeRemaining(a: Allowance): bigint {
  return a.spent >= a.lifetimeCap ? 0n : a.lifetimeCap - a.spent;
}

/** What is left in the window in force at `now`; `null` if the asset has no window. */
export function windowRemaining(a: Allowance, now: bigint): bigint | null {
  if (a.windowSecs === 0) return null;
  const spent = windowSpentAt(a, now);
  return spent >= a.windowCap ? 0n : a.windowCap - spent;
}

/** Largest amount one transfer may move at `now`, given every cap. */
export function available(a: Allowance, now: bigint): bigint {
  let left = lifetimeRemaining(a);
  if (a.perInstructionCap < left) left = a.perInstructionCap;
  const w = windowRemaining(a, now);
  if (w !== null && w < left) left = w;
  return left;
}

/** Outcome of charging an amount: the allowance after it, or the name of the cap it breaks. */
export type Charge = { ok: true; next: Allowance } | { ok: false; error: ProgramError };

/**
 * The allowance after moving `amount` at `now`, or the first cap it breaks, in the program's
 * order: zero amount, per-instruction, window, lifetime.
 */
export function charged(a: Allowance, amount: bigint, now: bigint): Charge {
  if (amount === 0n) return fail(SESSION_KEYS_ERROR__ZERO_AMOUNT);
  if (amount > a.perInstructionCap) return fail(SESSION_KEYS_ERROR__PER_INSTRUCTION_CAP_EXCEEDED);
  const next: Allowance = { ...a };
  if (a.windowSecs !== 0) {
    const start = windowStart(now, a.windowSecs);
    if (start > a.windowStart) {
      next.windowStart = start;
      next.windowSpent = 0n;
    }
    const spent = next.windowSpent + amount;
    if (spent > U64_MAX || spent > a.windowCap) return fail(SESSION_KEYS_ERROR__WINDOW_CAP_EXCEEDED);
    next.windowSpent = spent;
  }
  const spent = next.spent + amount;
  if (spent > U64_MAX || spent > a.lifetimeCap) return fail(SESSION_KEYS_ERROR__LIFETIME_CAP_EXCEEDED);
  next.spent = spent;
  return { ok: true, next };
}

/** Everything a UI shows for one asset at `now`. */
export interface Remaining {
  /** Lifetime allowance left. */
  lifetime: bigint;
  /** Left in the current window, `null` without a window. */
  window: bigint | null;
  /** The per-instruction cap, `null` if unlimited. */
  perInstruction: bigint | null;
  /** Largest single transfer allowed now. */
  available: bigint;
}

/** Lifetime, window and per-instruction room of an allowance at `now`. */
export function remaining(a: Allowance, now: bigint): Remaining {
  return {
    lifetime: lifetimeRemaining(a),
    window: windowRemaining(a, now),
    perInstruction: a.perInstructionCap === NO_PER_INSTRUCTION_CAP ? null : a.perInstructionCap,
    available: available(a, now),
  };
}
