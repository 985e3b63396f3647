/**
 * The sponsor's side of a gasless grant (docs/message-grant.md), in four rooms:
 *
 * - `transaction.ts`: the `create_session_from_message` instruction and the sponsor's
 *   transaction `[Ed25519 instruction, create_session_from_message]`;
 * - `codec.ts`: what travels between a player and a sponsor: the request a player sends (and
 *   its JSON form), the sponsor's address and the refusal it answers with;
 * - `checks.ts`: the policy a sponsor pays for and the checks it runs before it signs;
 * - `http.ts`: a client for a sponsor service over HTTP (sdk/examples/sponsor.ts is one).
 *
 * Who builds the transaction: the player. The player's page has an RPC (for a blockhash) and
 * learns the sponsor's address once (`GET /sponsor`); it builds the transaction with the
 * sponsor as fee payer, signs it with the session key and sends it with the grant's parts in
 * one request. The sponsor rebuilds the transaction from those parts, its own address and the
 * request's blockhash and signs only if the bytes are equal, so it never signs anything it did
 * not build itself: no other instruction, no compute-unit price, no lookup table, its key in
 * no other place. One round trip, and the sponsor keeps no pending state between requests
 * (the alternative, "the sponsor builds, the player co-signs", needs two round trips and a
 * pending-transaction store, and gains nothing: the player has the RPC anyway).
 */
export * from "./transaction";
export * from "./codec";
export * from "./checks";
export * from "./http";
export * from "./gateway";
