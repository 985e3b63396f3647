/**
 * Allowance maths, the same as the program's `policy::caps` (checked against golden vectors
 * that the Rust side computes, in sdk/test/golden.json): windows are aligned to multiples of
 * their length from the unix epoch; a window's spending is forgotten once a later window
 * starts; a clock going backwards never reopens an older window.
 *
 * An owner's budget (`Budget`, one `Allowance` per asset, shared by all of the owner's
 * sessions) has the same maths; a spend is charged to the session first, then to the budget,
 * whose window and lifetime errors are the owner's own (`chargedWithBudget`). A rate limit
 * (`UsesWindow`) counts actions in the same aligned windows (`rateRemaining`, `rateReopensAt`).
 */
import type { Allowance, UsesWindow } from "./generated";
import {
  SESSION_KEYS_ERROR__LIFETIME_CAP_EXCEEDED,
  SESSION_KEYS_ERROR__OWNER_BUDGET_LIFETIME_EXCEEDED,
  SESSION_KEYS_ERROR__OWNER_BUDGET_WINDOW_EXCEEDED,
  SESSION_KEYS_ERROR__RATE_LIMITED,
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

/**
 * When the window in force at `now` ends (the first second of the next window), `null` if the
 * asset has no window. A clock behind the stored window reports the stored window's end.
 */
export function windowReopensAt(a: Allowance, now: bigint): bigint | null {
  if (a.windowSecs === 0) return null;
  const start = windowStart(now, a.windowSecs);
  return (start > a.windowStart ? start : a.windowStart) + BigInt(a.windowSecs);
}

/**
 * Largest amount one transfer may move at `now` given the session's caps and, when the owner
 * set one for this asset, the owner's budget (the tighter wins): the preview's
 * `largestNextSpend`.
 */
export function largestNextSpend(session: Allowance, budget: Allowance | null, now: bigint): bigint {
  const own = available(session, now);
  if (!budget) return own;
  const shared = available(budget, now);
  return shared < own ? shared : own;
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

/** Outcome of charging a spend to a session and to the owner's budget of its asset. */
export type BudgetCharge = { ok: true; session: Allowance; budget: Allowance | null } | { ok: false; error: ProgramError };

/**
 * The session's and the budget's allowances after moving `amount` at `now`, or the first cap
 * it breaks, in the program's order (`charge_all`): the session's caps (zero amount,
 * per-instruction, window, lifetime), then the owner's budget, whose window and lifetime
 * refusals are `OwnerBudgetWindowExceeded` and `OwnerBudgetLifetimeExceeded`. `budget` is
 * `null` when the owner set none for the asset.
 */
export function chargedWithBudget(session: Allowance, budget: Allowance | null, amount: bigint, now: bigint): BudgetCharge {
  const s = charged(session, amount, now);
  if (!s.ok) return s;
  if (!budget) return { ok: true, session: s.next, budget: null };
  const b = charged(budget, amount, now);
  if (b.ok) return { ok: true, session: s.next, budget: b.next };
  const owner = (code: SessionKeysError): BudgetCharge => ({ ok: false, error: programErrorFromCode(code)! });
  if (b.error.code === SESSION_KEYS_ERROR__WINDOW_CAP_EXCEEDED) return owner(SESSION_KEYS_ERROR__OWNER_BUDGET_WINDOW_EXCEEDED);
  if (b.error.code === SESSION_KEYS_ERROR__LIFETIME_CAP_EXCEEDED) return owner(SESSION_KEYS_ERROR__OWNER_BUDGET_LIFETIME_EXCEEDED);
  return b;
}

/** Actions a rate limit counted in the window in force at `now` (0 once a newer window has begun). */
export function rateUsedAt(w: UsesWindow, now: bigint): number {
  return windowStart(now, w.seconds) > w.start ? 0 : w.used;
}

/** Actions a rate limit still allows in the window in force at `now`. */
export function rateRemaining(w: UsesWindow, now: bigint): number {
  return Math.max(0, w.max - rateUsedAt(w, now));
}

/** When the rate limit's window in force at `now` ends: the first second a new action counts in a fresh window. */
export function rateReopensAt(w: UsesWindow, now: bigint): bigint {
  const start = windowStart(now, w.seconds);
  return (start > w.start ? start : w.start) + BigInt(w.seconds);
}

/** Outcome of one more action under a rate limit. */
export type RateUse = { ok: true; next: UsesWindow } | { ok: false; error: ProgramError; reopensAt: bigint };

/** The rate limit after one more action at `now`, or `RateLimited` with the time the window reopens. */
export function rateUsedOnce(w: UsesWindow, now: bigint): RateUse {
  if (rateRemaining(w, now) === 0) return { ok: false, error: programErrorFromCode(SESSION_KEYS_ERROR__RATE_LIMITED)!, reopensAt: rateReopensAt(w, now) };
  const start = windowStart(now, w.seconds);
  const next: UsesWindow = start > w.start ? { ...w, start, used: 1 } : { ...w, used: w.used + 1 };
  return { ok: true, next };
}
