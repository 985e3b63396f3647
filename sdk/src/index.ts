/**
 * TypeScript SDK of the session-keys program, on @solana/kit.
 *
 * - `./generated`: the client Codama generates from idl/session_keys.json (instructions,
 *   accounts, types, PDAs, errors, event codecs), never edited by hand.
 * - The hand-written layer: PDAs for a session, the scope builder (refuses what the program
 *   refuses), allowance maths, error and event decoding, listing sessions, sending.
 * - Guardrails for bots and agents: owner budgets (./budget), rate limits and reference
 *   history in the scope builder, payment references on the session-signed instructions, and
 *   `preview()` ("would this pass?", ./preview).
 * - Revoke everything (./revokeAll): the nonce bump alone first, then the vault's delegations
 *   on the owner's token accounts, read as the token programs read them (./tokenAccount).
 * - `SessionWallet` (./wallet): a session key for games, kept in IndexedDB.
 * - Gasless grants: the message the owner signs (./message), the Ed25519 precompile
 *   instruction (./ed25519), the sponsor's transaction, request and checks (./sponsor).
 */
export * from "./generated";
export * from "./generated/idl";
export { EVENT_DECODERS, type SessionKeysEvents } from "./generated/events";
export * from "./allowance";
export * from "./budget";
export * from "./ed25519";
export * from "./errors";
export * from "./events";
export * from "./feePayer";
export * from "./instructions";
export * from "./message";
export * from "./preview";
export * from "./revokeAll";
export * from "./scope";
export * from "./sessions";
export * from "./sponsor";
export * from "./tokenAccount";
export * from "./tx";
export * from "./wallet";
