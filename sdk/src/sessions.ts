/**
 * Reading sessions from chain: PDAs, `fetchSession(owner, key)`, listing an owner's sessions
 * with `getProgramAccounts` + `memcmp`, classifying them, and the token delegation a new
 * session would inherit.
 */
import {
  getAddressEncoder,
  getBase58Decoder,
  getBase64Encoder,
  type Address,
  type Base58EncodedBytes,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type GetProgramAccountsApi,
  type Rpc,
} from "@solana/kit";
import {
  fetchMaybeSession,
  fetchMaybeWallet,
  findBudgetPda,
  findSessionPda,
  findVaultPda,
  findWalletPda,
  getSessionDecoder,
  SESSION_DISCRIMINATOR,
  type Session,
  type Wallet,
} from "./generated";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { lifetimeRemaining } from "./allowance";
import { UNLIMITED_USES } from "./generated/idl";
import { parseTokenAccount, TOKEN_2022_PROGRAM_ADDRESS, type TokenAccount } from "./tokenAccount";

/** Byte offset of `owner` in a session account: 8 (discriminator) + version + bump. */
export const SESSION_OWNER_OFFSET = 10;

/**
 * The addresses of an owner's session: session PDA, wallet PDA, vault PDA and the owner's
 * budget PDA (`["budget", owner]`), which every session-signed instruction passes whether or
 * not the owner set a budget.
 */
export interface SessionAddresses {
  session: Address;
  wallet: Address;
  vault: Address;
  budget: Address;
}

/** Derives the session, wallet, vault and budget PDAs of `owner` and `sessionKey`. */
export async function sessionAddresses(owner: Address, sessionKey: Address): Promise<SessionAddresses> {
  const [[session], [wallet], [vault], [budget]] = await Promise.all([
    findSessionPda({ owner, sessionKey }),
    findWalletPda({ owner }),
    findVaultPda({ owner }),
    findBudgetPda({ owner }),
  ]);
  return { session, wallet, vault, budget };
}

/** Where a session stands: usable, expired, revoked by the owner, or out of uses/allowance. */
export type SessionStatus = "live" | "expired" | "revoked" | "exhausted";

/**
 * A session's status at unix time `now`, in the program's order: a stale nonce (revoke all)
 * first, then expiry, then exhausted (no uses left, or nothing left to spend and no program to
 * call). A closed session (no account) is `revoked`.
 */
export function sessionStatus(session: Session, wallet: Wallet | null, now: bigint): SessionStatus {
  if (wallet && session.nonce !== wallet.nonce) return "revoked";
  if (now >= session.expiresAt) return "expired";
  if (session.maxUses !== UNLIMITED_USES && session.uses >= session.maxUses) return "exhausted";
  const allowances = [
    ...(session.sol.__option === "Some" ? [session.sol.value] : []),
    ...session.mints.map((m) => m.allowance),
  ];
  if (session.programs.length === 0 && allowances.every((a) => lifetimeRemaining(a) === 0n)) return "exhausted";
  return "live";
}

/** One listed session. */
export interface ListedSession {
  address: Address;
  session: Session;
  status: SessionStatus;
}

type ReadRpc = Rpc<GetAccountInfoApi & GetMultipleAccountsApi>;

/** `getProgramAccounts` filters selecting the sessions of `owner` (discriminator + owner). */
export function sessionFilters(owner: Address) {
  const base58 = getBase58Decoder();
  return [
    { memcmp: { offset: 0n, bytes: base58.decode(SESSION_DISCRIMINATOR) as Base58EncodedBytes, encoding: "base58" as const } },
    { memcmp: { offset: BigInt(SESSION_OWNER_OFFSET), bytes: owner as string as Base58EncodedBytes, encoding: "base58" as const } },
  ];
}

/** Every session of `owner` with its status at `now` (default: the local clock). */
export async function listSessions(
  rpc: Rpc<GetProgramAccountsApi & GetAccountInfoApi & GetMultipleAccountsApi>,
  owner: Address,
  now: bigint = BigInt(Math.floor(Date.now() / 1000)),
): Promise<{ wallet: Wallet | null; sessions: ListedSession[] }> {
  const [raw, wallet] = await Promise.all([
    rpc
      .getProgramAccounts(SESSION_KEYS_PROGRAM_ADDRESS, { encoding: "base64", filters: sessionFilters(owner) })
      .send(),
    fetchOwnerWallet(rpc, owner),
  ]);
  const base64 = getBase64Encoder();
  const decoder = getSessionDecoder();
  const sessions = raw.map(({ pubkey, account }) => {
    const session = decoder.decode(base64.encode(account.data[0]));
    return { address: pubkey, session, status: sessionStatus(session, wallet, now) };
  });
  sessions.sort((a, b) => (a.session.createdAt < b.session.createdAt ? -1 : a.session.createdAt > b.session.createdAt ? 1 : 0));
  return { wallet, sessions };
}

/** Sorts listed sessions by status. */
export function classifySessions(sessions: readonly ListedSession[]): Record<SessionStatus, ListedSession[]> {
  const out: Record<SessionStatus, ListedSession[]> = { live: [], expired: [], revoked: [], exhausted: [] };
  for (const s of sessions) out[s.status].push(s);
  return out;
}

/** The owner's wallet account (revocation nonce), or `null` before their first session. */
export async function fetchOwnerWallet(rpc: ReadRpc, owner: Address): Promise<Wallet | null> {
  const [wallet] = await findWalletPda({ owner });
  const account = await fetchMaybeWallet(rpc, wallet);
  return account.exists ? account.data : null;
}

/**
 * The number the owner's next grant message must carry: their wallet's `message_counter`, or
 * 0 before their first session (the wallet account does not exist yet).
 */
export async function nextMessageNumber(rpc: ReadRpc, owner: Address): Promise<bigint> {
  return (await fetchOwnerWallet(rpc, owner))?.messageCounter ?? 0n;
}

/** The session of `owner` for `sessionKey`, or `null` if there is none (never created or closed). */
export async function fetchSessionByKey(
  rpc: ReadRpc,
  owner: Address,
  sessionKey: Address,
): Promise<{ address: Address; session: Session } | null> {
  const [address] = await findSessionPda({ owner, sessionKey });
  const account = await fetchMaybeSession(rpc, address);
  return account.exists ? { address, session: account.data } : null;
}

/**
 * What an SPL Token / Token-2022 account says about its delegate: its mint, owner and amount,
 * the current delegate (or `null`) and what the delegate may still move (0 without one).
 */
export interface TokenDelegation extends Pick<TokenAccount, "mint" | "owner" | "amount" | "delegate" | "delegatedAmount"> {
  /** True if the delegate is the owner's vault: every session with this mint in scope can spend it. */
  delegateIsVault: boolean;
}

/**
 * The delegation of a token account of `tokenProgram`, read as that program reads it
 * (`parseTokenAccount`), or `null` if it is not a token account at all (a mint, a multisig, an
 * uninitialized account, the wrong length): a non-account has no delegation. The default
 * program, Token-2022, accepts every layout SPL Token accepts (exactly 165 bytes) and those
 * with extensions.
 */
export function decodeTokenDelegation(
  data: Uint8Array,
  vault: Address | null = null,
  tokenProgram: Address = TOKEN_2022_PROGRAM_ADDRESS,
): TokenDelegation | null {
  const account = parseTokenAccount(tokenProgram, data);
  if (!account) return null;
  const { mint, owner, amount, delegate } = account;
  return {
    mint,
    owner,
    amount,
    delegate,
    delegatedAmount: delegate === null ? 0n : account.delegatedAmount,
    delegateIsVault: delegate !== null && delegate === vault,
  };
}

/**
 * The delegation already on the owner's token account. A vault delegation left by an earlier
 * session (or approved directly) is inherited by every new session that lists the mint: show
 * it to the owner before they grant, and revoke it when it is no longer wanted. `null` when
 * there is no such account, or when its token program would not read it as a token account.
 */
export async function existingDelegation(
  rpc: Rpc<GetAccountInfoApi>,
  owner: Address,
  tokenAccount: Address,
): Promise<TokenDelegation | null> {
  const { value } = await rpc.getAccountInfo(tokenAccount, { encoding: "base64" }).send();
  if (!value) return null;
  const [vault] = await findVaultPda({ owner });
  return decodeTokenDelegation(new Uint8Array(getBase64Encoder().encode(value.data[0])), vault, value.owner);
}

/** The 32 bytes of an address (for comparisons and seeds). */
export const addressBytes = (a: Address): Uint8Array => new Uint8Array(getAddressEncoder().encode(a));
