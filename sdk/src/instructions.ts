/**
 * Instruction builders that derive every PDA from the owner and the session key, on top of the
 * generated `get*Instruction` functions (which take every account). Byte-for-byte equal to the
 * Rust client's `ix::*` (golden vectors in sdk/test/golden.json).
 */
import {
  AccountRole,
  downgradeRoleToNonSigner,
  getU32Encoder,
  getU64Encoder,
  type AccountMeta,
  type Address,
  type Instruction,
  type ReadonlyUint8Array,
  type TransactionSigner,
} from "@solana/kit";
import {
  getCreateSessionInstruction,
  getExecuteInstruction,
  getRevokeAllSessionsInstruction,
  getRevokeSessionInstruction,
  getTransferSolInstruction,
  getTransferTokenInstruction,
} from "./generated";
import {
  SESSION_KEYS_ERROR__INVALID_REFERENCE_LENGTH,
  SESSION_KEYS_ERROR__MISSING_DELEGATE_ACCOUNTS,
  SESSION_KEYS_ERROR__SESSION_KEY_IS_OWNER,
} from "./generated/errors";
import { opt } from "./internal";
import { ScopeError, type CreateSessionArgs } from "./scope";
import { sessionAddresses } from "./sessions";

/** System Program address. */
export const SYSTEM_PROGRAM_ADDRESS = "11111111111111111111111111111111" as Address<"11111111111111111111111111111111">;

/** An owner token account and its token program (SPL Token or Token-2022). */
export interface TokenAccountRef {
  tokenAccount: Address;
  tokenProgram: Address;
}

/**
 * `create_session`: the owner grants `sessionKey` the scope in `args` (from `scope(...).build(now)`).
 * `payer` (default: the owner) pays the rent; `delegate` approves the vault on an owner token
 * account for `args.delegateAmount`.
 */
export async function createSessionInstruction(p: {
  owner: TransactionSigner;
  sessionKey: Address;
  args: CreateSessionArgs;
  payer?: TransactionSigner;
  delegate?: TokenAccountRef;
}) {
  if (p.owner.address === p.sessionKey) throw new ScopeError(SESSION_KEYS_ERROR__SESSION_KEY_IS_OWNER);
  if (opt(p.args.delegateAmount) !== null && !p.delegate) throw new ScopeError(SESSION_KEYS_ERROR__MISSING_DELEGATE_ACCOUNTS);
  const { session, wallet, vault } = await sessionAddresses(p.owner.address, p.sessionKey);
  return getCreateSessionInstruction({
    owner: p.owner,
    payer: p.payer ?? p.owner,
    sessionKey: p.sessionKey,
    session,
    wallet,
    vault,
    ownerTokenAccount: p.delegate?.tokenAccount,
    tokenProgram: p.delegate?.tokenProgram,
    ...p.args,
  });
}

/**
 * A payment reference: 16 or 32 bytes (a payment or request id). A session granted with a
 * reference history (`scope(...).referenceHistory(n)`) refuses a reference among its last `n`
 * with `ReferenceAlreadyUsed`, so a retried payment cannot pay twice; the reference comes
 * back in the instruction's event (`SolTransferred`, `TokenTransferred`, `Executed`).
 */
export type PaymentReference = ReadonlyUint8Array;

/**
 * The reference itself, or `null`; throws `ScopeError(InvalidReferenceLength)` unless it is 16
 * or 32 bytes, as the program would. Whether the session takes references at all
 * (`ReferencesNotEnabled`) and whether it used this one already (`ReferenceAlreadyUsed`) only
 * the session knows: ask `preview()`.
 */
export function checkReference(reference: PaymentReference | null | undefined): PaymentReference | null {
  if (reference === null || reference === undefined) return null;
  if (reference.length !== 16 && reference.length !== 32) {
    throw new ScopeError(SESSION_KEYS_ERROR__INVALID_REFERENCE_LENGTH, `${reference.length} bytes`);
  }
  return reference;
}

/** The session-signed gate: session, wallet, vault and budget PDAs of `owner` and the key. */
async function gate(owner: Address, sessionKey: TransactionSigner) {
  const { session, wallet, vault, budget } = await sessionAddresses(owner, sessionKey.address);
  return { sessionKey, session, wallet, vault, budget };
}

/** The token accounts of a `transfer_token` (and of its preview). */
export interface TokenTransferAccounts {
  /** Owner or vault token account the tokens leave. */
  from: Address;
  mint: Address;
  to: Address;
  tokenProgram: Address;
}

/**
 * `transfer_token`: the session key moves `amount` of `mint` from `from` to `to`, with an
 * optional payment `reference` (16 or 32 bytes).
 */
export async function transferTokenInstruction(
  p: TokenTransferAccounts & {
    sessionKey: TransactionSigner;
    owner: Address;
    amount: bigint | number;
    decimals: number;
    reference?: PaymentReference | null;
  },
) {
  const reference = checkReference(p.reference);
  return getTransferTokenInstruction({
    ...(await gate(p.owner, p.sessionKey)),
    from: p.from,
    mint: p.mint,
    to: p.to,
    tokenProgram: p.tokenProgram,
    amount: p.amount,
    decimals: p.decimals,
    reference,
  });
}

/**
 * `transfer_sol`: the session key sends `amount` lamports from the owner's vault, with an
 * optional payment `reference` (16 or 32 bytes).
 */
export async function transferSolInstruction(p: {
  sessionKey: TransactionSigner;
  owner: Address;
  destination: Address;
  amount: bigint | number;
  reference?: PaymentReference | null;
}) {
  const reference = checkReference(p.reference);
  return getTransferSolInstruction({ ...(await gate(p.owner, p.sessionKey)), destination: p.destination, amount: p.amount, reference });
}

/** The accounts `execute` (and its preview) append after its own: each call's program, then its accounts (the vault's signer flag dropped). */
export function executeRemainingAccounts(calls: readonly Instruction[], vault: Address): AccountMeta[] {
  const remaining: AccountMeta[] = [];
  for (const c of calls) {
    remaining.push({ address: c.programAddress, role: AccountRole.READONLY });
    for (const m of c.accounts ?? []) {
      remaining.push(m.address === vault ? { address: m.address, role: downgradeRoleToNonSigner(m.role) } : m);
    }
  }
  return remaining;
}

/** `execute`'s `InnerCall`s: each call's account count and data. */
export const innerCalls = (calls: readonly Instruction[]) =>
  calls.map((c) => ({ accountsLen: c.accounts?.length ?? 0, data: c.data ?? new Uint8Array() }));

/**
 * `execute`: runs `calls` with the owner's vault as their signing authority, with an optional
 * payment `reference` (16 or 32 bytes; every `Executed` event of the batch carries it). Build
 * each inner instruction with the vault as its authority: its signer flag is dropped here (the
 * program signs for it with the vault's seeds); every other account is passed on as it is.
 */
export async function executeInstruction(p: {
  sessionKey: TransactionSigner;
  owner: Address;
  calls: readonly Instruction[];
  reference?: PaymentReference | null;
}) {
  const reference = checkReference(p.reference);
  const g = await gate(p.owner, p.sessionKey);
  const ix = getExecuteInstruction({ ...g, calls: innerCalls(p.calls), reference });
  return Object.freeze({ ...ix, accounts: [...ix.accounts, ...executeRemainingAccounts(p.calls, g.vault)] });
}

/** `revoke_session` by the owner or the session key; the rent goes back to `rentPayer`. */
export async function revokeSessionInstruction(p: {
  authority: TransactionSigner;
  owner: Address;
  sessionKey: Address;
  rentPayer: Address;
}) {
  const { session } = await sessionAddresses(p.owner, p.sessionKey);
  return getRevokeSessionInstruction({ authority: p.authority, session, payer: p.rentPayer });
}

/**
 * `revoke_all_sessions`: bumps the owner's nonce (every session dies) and revokes the vault's
 * delegation on each of `delegations` (owner token accounts) in the same instruction.
 */
export async function revokeAllSessionsInstruction(p: { owner: TransactionSigner; delegations?: readonly TokenAccountRef[] }) {
  const { wallet } = await sessionAddresses(p.owner.address, p.owner.address);
  const ix = getRevokeAllSessionsInstruction({ owner: p.owner, wallet });
  const remaining: AccountMeta[] = (p.delegations ?? []).flatMap((d) => [
    { address: d.tokenAccount, role: AccountRole.WRITABLE },
    { address: d.tokenProgram, role: AccountRole.READONLY },
  ]);
  return remaining.length ? Object.freeze({ ...ix, accounts: [...ix.accounts, ...remaining] }) : ix;
}

/** A System Program transfer of `lamports` from `from` (signer) to `to`. */
export function systemTransferInstruction(from: TransactionSigner, to: Address, lamports: bigint) {
  const data = new Uint8Array(12);
  data.set(getU32Encoder().encode(2), 0);
  data.set(getU64Encoder().encode(lamports), 4);
  return Object.freeze({
    programAddress: SYSTEM_PROGRAM_ADDRESS,
    accounts: [
      { address: from.address, role: AccountRole.WRITABLE_SIGNER as const, signer: from },
      { address: to, role: AccountRole.WRITABLE as const },
    ],
    data,
  });
}
