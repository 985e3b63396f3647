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
import { SESSION_KEYS_ERROR__MISSING_DELEGATE_ACCOUNTS, SESSION_KEYS_ERROR__SESSION_KEY_IS_OWNER } from "./generated/errors";
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

/** `transfer_token`: the session key moves `amount` of `mint` from `from` to `to`. */
export async function transferTokenInstruction(p: {
  sessionKey: TransactionSigner;
  owner: Address;
  from: Address;
  mint: Address;
  to: Address;
  tokenProgram: Address;
  amount: bigint | number;
  decimals: number;
}) {
  const { session, wallet, vault } = await sessionAddresses(p.owner, p.sessionKey.address);
  return getTransferTokenInstruction({ ...p, session, wallet, vault });
}

/** `transfer_sol`: the session key sends `amount` lamports from the owner's vault. */
export async function transferSolInstruction(p: {
  sessionKey: TransactionSigner;
  owner: Address;
  destination: Address;
  amount: bigint | number;
}) {
  const { session, wallet, vault } = await sessionAddresses(p.owner, p.sessionKey.address);
  return getTransferSolInstruction({ ...p, session, wallet, vault });
}

/**
 * `execute`: runs `calls` with the owner's vault as their signing authority. Build each inner
 * instruction with the vault as its authority: its signer flag is dropped here (the program
 * signs for it with the vault's seeds); every other account is passed on as it is.
 */
export async function executeInstruction(p: { sessionKey: TransactionSigner; owner: Address; calls: readonly Instruction[] }) {
  const { session, wallet, vault } = await sessionAddresses(p.owner, p.sessionKey.address);
  const ix = getExecuteInstruction({
    sessionKey: p.sessionKey,
    session,
    wallet,
    vault,
    calls: p.calls.map((c) => ({ accountsLen: c.accounts?.length ?? 0, data: c.data ?? new Uint8Array() })),
  });
  const remaining: AccountMeta[] = [];
  for (const c of p.calls) {
    remaining.push({ address: c.programAddress, role: AccountRole.READONLY });
    for (const m of c.accounts ?? []) {
      remaining.push(m.address === vault ? { address: m.address, role: downgradeRoleToNonSigner(m.role) } : m);
    }
  }
  return Object.freeze({ ...ix, accounts: [...ix.accounts, ...remaining] });
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
