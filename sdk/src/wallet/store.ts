/**
 * A framework-agnostic store around `SessionWallet` (subscribe / getSnapshot, the shape of
 * React's `useSyncExternalStore`): opens the key for the connected owner, tracks the
 * session's status and what it may still spend, and exposes grant / revoke as actions.
 */
import type { Address, TransactionSigner } from "@solana/kit";
import { remaining, type Remaining } from "../allowance";
import type { TokenAccountRef } from "../instructions";
import type { CreateSessionArgs, Scope } from "../scope";
import type { SessionStatus } from "../sessions";
import type { Sent } from "../tx";
import { chainTime, SessionWallet, type SessionWalletOptions } from "./sessionWallet";

/** What a UI renders. */
export interface SessionSnapshot {
  /** The session wallet of the current owner, once opened. */
  wallet: SessionWallet | null;
  /** The session's status on chain (`missing` before a grant), or `null` while unknown. */
  status: SessionStatus | "missing" | null;
  /**
   * SOL the session may still spend under its own caps, if it has a SOL allowance. An owner
   * budget shared by all the owner's sessions can leave less: `sessionAllowances(session,
   * await fetchOwnerBudget(rpc, owner), now)` gives both together.
   */
  sol: Remaining | null;
  /** An action is running. */
  busy: boolean;
  /** The last action's error. */
  error: Error | null;
}

/** A session store: `subscribe`/`getSnapshot` for UIs, actions that update the snapshot. */
export interface SessionStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): SessionSnapshot;
  /** Opens (or restores) the key of `owner` and reads its session. */
  open(owner: Address): Promise<void>;
  /** Re-reads the session from chain. */
  refresh(): Promise<void>;
  /** `SessionWallet.grant` with the opened wallet. */
  grant(p: { ownerSigner: TransactionSigner; scope: Scope | CreateSessionArgs; sponsor?: TransactionSigner; topUpLamports?: bigint; delegate?: TokenAccountRef }): Promise<Sent | null>;
  /** `SessionWallet.grantByMessage` with the opened wallet (a gasless grant, paid by a sponsor). */
  grantByMessage(p: Parameters<SessionWallet["grantByMessage"]>[0]): Promise<Sent | null>;
  /** `SessionWallet.revoke`, then a fresh key for the same owner. */
  revoke(): Promise<Sent | null>;
}

/** A store for `SessionWallet.open(options)`; `owner` comes later, from the connected wallet. */
export function createSessionStore(options: Omit<SessionWalletOptions, "owner">): SessionStore {
  let snapshot: SessionSnapshot = { wallet: null, status: null, sol: null, busy: false, error: null };
  const listeners = new Set<() => void>();
  const set = (patch: Partial<SessionSnapshot>) => {
    snapshot = { ...snapshot, ...patch };
    for (const l of listeners) l();
  };
  const read = async (wallet: SessionWallet) => {
    const [status, session, now] = await Promise.all([wallet.status(), wallet.session(), chainTime(wallet.rpc)]);
    const sol = session && session.sol.__option === "Some" ? remaining(session.sol.value, now) : null;
    set({ status, sol });
  };
  const run = async <T>(f: () => Promise<T>): Promise<T | null> => {
    set({ busy: true, error: null });
    try {
      return await f();
    } catch (e) {
      set({ error: e instanceof Error ? e : new Error(String(e)) });
      return null;
    } finally {
      set({ busy: false });
    }
  };
  const wallet = () => {
    if (!snapshot.wallet) throw new Error("open(owner) first");
    return snapshot.wallet;
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
    async open(owner) {
      await run(async () => {
        const w = await SessionWallet.open({ ...options, owner });
        set({ wallet: w, status: null, sol: null });
        await read(w);
      });
    },
    async refresh() {
      await run(() => read(wallet()));
    },
    async grant(p) {
      return await run(async () => {
        const sent = await wallet().grant(p);
        await read(wallet());
        return sent;
      });
    },
    async grantByMessage(p) {
      return await run(async () => {
        const sent = await wallet().grantByMessage(p);
        await read(wallet());
        return sent;
      });
    },
    async revoke() {
      return await run(async () => {
        const w = wallet();
        const sent = await w.revoke();
        const next = await SessionWallet.open({ ...options, owner: w.owner });
        set({ wallet: next });
        await read(next);
        return sent;
      });
    },
  };
}
