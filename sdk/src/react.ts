/**
 * React binding (`@session-keys/sdk/react`): one hook over a `SessionStore`.
 *
 * ```tsx
 * const store = createSessionStore({ rpc, app: "my-game" });     // once, outside components
 * function Game() {
 *   const { wallet, status, sol, busy, error } = useSessionWallet(store);
 *   ...
 * }
 * ```
 */
import { useSyncExternalStore } from "react";
// From the package's main entry (kept external in dist/react.js), so both entries share one
// copy of the SDK.
import type { SessionSnapshot, SessionStore } from "./index.js";

export { createSessionStore, type SessionSnapshot, type SessionStore } from "./index.js";

/** The store's snapshot, re-rendering on every change. */
export function useSessionWallet(store: SessionStore): SessionSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
