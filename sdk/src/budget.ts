/**
 * Owner budgets: caps per asset (SOL and each mint) that bind every session of an owner
 * together, now and later, held in the owner's budget PDA `["budget", owner]`. Only the owner
 * sets (`setBudgetInstruction`) and removes (`removeBudgetInstruction`) them; every spend of
 * every session is charged to its session and to the budget of its asset, and the tighter one
 * wins (`chargedWithBudget` in ./allowance). `revoke_all_sessions` leaves budgets in place.
 *
 * ```ts
 * await signAndSend(rpc, owner, [await setBudgetInstruction({ owner, asset: SOL_ASSET, caps: { window: { seconds: 86_400, cap: 2n * SOL } } })]);
 * const budget = await fetchOwnerBudget(rpc, owner.address);
 * ```
 */
import type { Address, GetAccountInfoApi, Rpc, TransactionSigner } from "@solana/kit";
import { AccountRole } from "@solana/kit";
import {
  fetchMaybeBudget,
  findBudgetPda,
  getRemoveBudgetInstructionAsync,
  getSetBudgetInstructionAsync,
  type Allowance,
  type Budget,
  type Session,
} from "./generated";
import {
  SESSION_KEYS_ERROR__INVALID_BUDGET,
  SESSION_KEYS_ERROR__INVALID_WINDOW,
  SESSION_KEYS_ERROR__ZERO_CAP,
} from "./generated/errors";
import { largestNextSpend, remaining, windowReopensAt, type Remaining } from "./allowance";
import { ScopeError, type Amount } from "./scope";

/** The budget address that stands for native SOL: all zeros (no mint has it). */
export const SOL_ASSET = "11111111111111111111111111111111" as Address<"11111111111111111111111111111111">;

const U64_MAX = (1n << 64n) - 1n;

/** An owner budget for one asset: a lifetime cap, a recurring window cap, or both. */
export interface BudgetCaps {
  /** Most all sessions together may ever move (base units). */
  lifetime?: Amount;
  /** Most all sessions together may move per aligned window of `seconds`. */
  window?: { seconds: number; cap: Amount };
}

/**
 * Throws the `ScopeError` the program answers `set_budget` with for these caps, in its order:
 * no cap at all (`InvalidBudget`), a zero lifetime (`ZeroCap`), a zero window length or cap
 * (`InvalidWindow`), a window cap above the lifetime cap (`InvalidBudget`).
 */
export function checkBudgetCaps(caps: BudgetCaps): void {
  if (caps.lifetime === undefined && caps.window === undefined) throw new ScopeError(SESSION_KEYS_ERROR__INVALID_BUDGET, "no cap");
  if (caps.lifetime !== undefined && BigInt(caps.lifetime) === 0n) throw new ScopeError(SESSION_KEYS_ERROR__ZERO_CAP);
  if (caps.window) {
    if (caps.window.seconds === 0 || BigInt(caps.window.cap) === 0n) throw new ScopeError(SESSION_KEYS_ERROR__INVALID_WINDOW);
    if (caps.lifetime !== undefined && BigInt(caps.window.cap) > BigInt(caps.lifetime)) {
      throw new ScopeError(SESSION_KEYS_ERROR__INVALID_BUDGET, "window cap above the lifetime cap");
    }
  }
}

/**
 * `set_budget`: the owner sets or changes the budget of `asset` (`SOL_ASSET`, or a mint, then
 * passed as the remaining account the program reads) across all of its sessions. A changed
 * budget keeps what was already spent. Creates the wallet and budget accounts on first use
 * (the owner pays their rent).
 */
export async function setBudgetInstruction(p: { owner: TransactionSigner; asset: Address; caps: BudgetCaps }) {
  checkBudgetCaps(p.caps);
  const ix = await getSetBudgetInstructionAsync({
    owner: p.owner,
    asset: p.asset,
    lifetime: p.caps.lifetime === undefined ? null : BigInt(p.caps.lifetime),
    window: p.caps.window ? { seconds: p.caps.window.seconds, cap: BigInt(p.caps.window.cap) } : null,
  });
  if (p.asset === SOL_ASSET) return ix;
  return Object.freeze({ ...ix, accounts: [...ix.accounts, { address: p.asset, role: AccountRole.READONLY }] });
}

/** `remove_budget`: the owner removes the budget of `asset` (`BudgetNotSet` if it has none); the last one closes the account. */
export async function removeBudgetInstruction(p: { owner: TransactionSigner; asset: Address }) {
  return await getRemoveBudgetInstructionAsync({ owner: p.owner, asset: p.asset });
}

/** The owner's budget account, or `null` if the owner has set none (or removed the last one). */
export async function fetchOwnerBudget(rpc: Rpc<GetAccountInfoApi>, owner: Address): Promise<Budget | null> {
  const [address] = await findBudgetPda({ owner });
  const account = await fetchMaybeBudget(rpc, address);
  return account.exists ? account.data : null;
}

/** The budget of `asset` (`SOL_ASSET` or a mint) in `budget`, or `null`. */
export function budgetAllowance(budget: Budget | null, asset: Address): Allowance | null {
  return budget?.entries.find((e) => e.asset === asset)?.allowance ?? null;
}

/** What a UI shows of one asset's owner budget at a time. */
export interface BudgetRemaining extends Remaining {
  /** The lifetime cap, `null` when only a window was set. */
  lifetimeCap: bigint | null;
  /** When the window in force ends, `null` without a window. */
  windowReopensAt: bigint | null;
}

/** One budget allowance at `now`. */
export function budgetRemaining(a: Allowance, now: bigint): BudgetRemaining {
  return {
    ...remaining(a, now),
    lifetimeCap: a.lifetimeCap === U64_MAX ? null : a.lifetimeCap,
    windowReopensAt: windowReopensAt(a, now),
  };
}

/** Every asset of an owner's budget at `now`, in the account's order. */
export function budgetView(budget: Budget | null, now: bigint): { asset: Address; sol: boolean; remaining: BudgetRemaining }[] {
  return (budget?.entries ?? []).map((e) => ({ asset: e.asset, sol: e.asset === SOL_ASSET, remaining: budgetRemaining(e.allowance, now) }));
}

/** What one session may still spend of one asset, its own caps and the owner's budget together. */
export interface SessionAssetAllowance {
  /** The mint, or `SOL_ASSET`. */
  asset: Address;
  /** The session's own caps. */
  session: Remaining & { windowReopensAt: bigint | null };
  /** The owner's budget of the asset (shared by all the owner's sessions), `null` if none. */
  budget: BudgetRemaining | null;
  /** Largest single transfer allowed now: every cap of both. */
  largestNextSpend: bigint;
}

/**
 * Per asset of `session` (SOL first, then its mints, as the preview orders them), what it may
 * still spend at `now` given the owner's `budget`: the preview's `assets`, computed from
 * fetched accounts (`preview()` asks the program itself).
 */
export function sessionAllowances(session: Session, budget: Budget | null, now: bigint): SessionAssetAllowance[] {
  const assets: [Address, Allowance][] = [
    ...(session.sol.__option === "Some" ? [[SOL_ASSET, session.sol.value] as [Address, Allowance]] : []),
    ...session.mints.map((m) => [m.mint, m.allowance] as [Address, Allowance]),
  ];
  return assets.map(([asset, a]) => {
    const b = budgetAllowance(budget, asset);
    return {
      asset,
      session: { ...remaining(a, now), windowReopensAt: windowReopensAt(a, now) },
      budget: b ? budgetRemaining(b, now) : null,
      largestNextSpend: largestNextSpend(a, b, now),
    };
  });
}
