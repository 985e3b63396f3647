/**
 * "Revoke everything, now": the owner's incident response, which nothing a stranger creates
 * can block.
 *
 * 1. `revoke_all_sessions` with no token account, in a transaction of its own: the nonce bump
 *    that kills every session of the owner cannot be stopped by anything listed.
 * 2. Listing the owner's token accounts delegated to the vault, keeping only those the token
 *    programs themselves accept as token accounts (`parseTokenAccount`: never a multisig whose
 *    chosen bytes imitate one), and leaving out frozen ones (the token program refuses to
 *    revoke on them).
 * 3. `revoke_all_sessions` again with those accounts, at most 16 per transaction.
 * 4. Reporting what the program's `AllSessionsRevoked` events say it revoked and skipped,
 *    decoded from each confirmed transaction's logs, never what was listed.
 */
import {
  getBase58Decoder,
  getBase64Encoder,
  type Address,
  type Base58EncodedBytes,
  type GetProgramAccountsApi,
  type Rpc,
  type Signature,
  type TransactionSigner,
} from "@solana/kit";
import { findVaultPda } from "./generated";
import { MAX_REVOKE_TOKEN_ACCOUNTS } from "./generated/idl";
import { revokeAllSessionsInstruction, type TokenAccountRef } from "./instructions";
import { parseTokenAccount, TOKEN_2022_PROGRAM_ADDRESS, TOKEN_ACCOUNT_LEN, TOKEN_ACCOUNT_OFFSETS, TOKEN_PROGRAM_ADDRESS } from "./tokenAccount";
import { signAndSend, type SendRpc, type Sent } from "./tx";

/** The RPC methods `revokeEverything` uses. */
export type RevokeEverythingRpc = SendRpc & Rpc<GetProgramAccountsApi>;

/** A token account of the owner, accepted as one by its token program, delegated to the vault. */
export interface VaultDelegation extends TokenAccountRef {
  mint: Address;
  /** What the vault may still move from it. */
  delegatedAmount: bigint;
  /** Frozen: the token program refuses to revoke on it until the mint's freeze authority thaws it. */
  frozen: boolean;
}

/**
 * `getProgramAccounts` filters for the token accounts of `owner` whose delegate is `vault`:
 * owner at 32, delegate tag 1 at 72 and the vault at 76; for SPL Token also a data size of
 * 165 (Token-2022 accounts may be longer). The filters only narrow the scan: what they return
 * is still read with `parseTokenAccount`.
 */
export function vaultDelegationFilters(tokenProgram: Address, owner: Address, vault: Address) {
  const memcmp = (offset: number, bytes: string) => ({
    memcmp: { offset: BigInt(offset), bytes: bytes as Base58EncodedBytes, encoding: "base58" as const },
  });
  const o = TOKEN_ACCOUNT_OFFSETS;
  return [
    ...(tokenProgram === TOKEN_PROGRAM_ADDRESS ? [{ dataSize: BigInt(TOKEN_ACCOUNT_LEN) }] : []),
    memcmp(o.owner, owner),
    memcmp(o.delegate, getBase58Decoder().decode(new Uint8Array([1, 0, 0, 0]))),
    memcmp(o.delegate + 4, vault),
  ];
}

/**
 * Every token account of `owner` (SPL Token and Token-2022) delegated to the owner's vault, as
 * the token programs read them: whatever else the scan returns (a 355-byte multisig whose
 * signer slots read as such an account, a mint, an uninitialized account) is dropped.
 */
export async function listVaultDelegations(rpc: Rpc<GetProgramAccountsApi>, owner: Address): Promise<VaultDelegation[]> {
  const [vault] = await findVaultPda({ owner });
  const base64 = getBase64Encoder();
  const programs = [TOKEN_PROGRAM_ADDRESS, TOKEN_2022_PROGRAM_ADDRESS] as const;
  const scans = await Promise.all(
    programs.map((program) =>
      rpc.getProgramAccounts(program, { encoding: "base64", filters: vaultDelegationFilters(program, owner, vault) }).send(),
    ),
  );
  const out: VaultDelegation[] = [];
  programs.forEach((tokenProgram, i) => {
    for (const { pubkey, account } of scans[i]!) {
      if (account.owner !== tokenProgram) continue;
      const t = parseTokenAccount(tokenProgram, new Uint8Array(base64.encode(account.data[0])));
      if (!t || t.owner !== owner || t.delegate !== vault) continue;
      out.push({ tokenAccount: pubkey, tokenProgram, mint: t.mint, delegatedAmount: t.delegatedAmount, frozen: t.frozen });
    }
  });
  return out;
}

/** What `revokeEverything` did, as the program's events say. */
export interface RevokeEverythingReport {
  /** The transaction that bumped the nonce with no account listed: every session died there. */
  killed: Sent;
  /** Every confirmed transaction, the nonce bump first. */
  signatures: Signature[];
  /** The wallet's nonce and message counter after the last confirmed transaction (its event). */
  nonce: bigint | null;
  messageCounter: bigint | null;
  /** Token accounts whose vault delegation the program revoked (`revokedDelegations`). */
  revoked: Address[];
  /** Token accounts sent but left alone by the program (`skippedDelegations`): not revoked. */
  skipped: Address[];
  /**
   * Token accounts delegated to the vault but frozen, so not sent: the delegation stays until
   * the mint's freeze authority thaws them (then run `revokeEverything` again). A session
   * cannot spend from a frozen account, but a later one would inherit the delegation.
   */
  frozen: Address[];
  /**
   * What did not complete after the nonce bump: the listing (`tokenAccounts` empty) or a later
   * transaction. Those delegations are not known to be revoked: run `revokeEverything` again.
   */
  failed: { tokenAccounts: Address[]; error: unknown }[];
}

/**
 * Revokes every session of `owner` at once, then the vault's delegation on every real token
 * account of the owner (see the module doc). The nonce bump goes first, alone: if it is refused
 * or not confirmed, this throws (`TransactionFailedError`, or a timeout: run it again) and
 * nothing is listed. Later failures do not throw: they are in `failed`, since every session
 * is already dead.
 *
 * `feePayer` defaults to the owner; `chunkSize` (1 to 16, default 16) is the number of token
 * accounts per later transaction. Works with any kit signer, including a wallet that only
 * signs and sends.
 */
export async function revokeEverything(p: {
  rpc: RevokeEverythingRpc;
  owner: TransactionSigner;
  feePayer?: TransactionSigner;
  chunkSize?: number;
}): Promise<RevokeEverythingReport> {
  const chunkSize = p.chunkSize ?? MAX_REVOKE_TOKEN_ACCOUNTS;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_REVOKE_TOKEN_ACCOUNTS) {
    throw new RangeError(`chunkSize must be an integer from 1 to ${MAX_REVOKE_TOKEN_ACCOUNTS}`);
  }
  const owner = p.owner.address;
  const feePayer = p.feePayer ?? p.owner;
  const send = async (delegations: readonly TokenAccountRef[]) =>
    await signAndSend(p.rpc, feePayer, [await revokeAllSessionsInstruction({ owner: p.owner, delegations })]);

  const killed = await send([]);
  const report: RevokeEverythingReport = {
    killed,
    signatures: [],
    nonce: null,
    messageCounter: null,
    revoked: [],
    skipped: [],
    frozen: [],
    failed: [],
  };
  /** Adds a confirmed transaction's `AllSessionsRevoked` event; false if it has none. */
  const record = (sent: Sent): boolean => {
    report.signatures.push(sent.signature);
    const event = sent.events.find((e) => e.name === "AllSessionsRevoked" && e.data.owner === owner);
    if (event?.name !== "AllSessionsRevoked") return false;
    report.nonce = event.data.nonce;
    report.messageCounter = event.data.messageCounter;
    report.revoked.push(...event.data.revokedDelegations);
    report.skipped.push(...event.data.skippedDelegations);
    return true;
  };
  record(killed);

  let delegations: VaultDelegation[];
  try {
    delegations = await listVaultDelegations(p.rpc, owner);
  } catch (error) {
    report.failed.push({ tokenAccounts: [], error });
    return report;
  }
  report.frozen = delegations.filter((d) => d.frozen).map((d) => d.tokenAccount);
  const revocable = delegations.filter((d) => !d.frozen);
  for (let i = 0; i < revocable.length; i += chunkSize) {
    const chunk = revocable.slice(i, i + chunkSize);
    const tokenAccounts = chunk.map((d) => d.tokenAccount);
    try {
      const sent = await send(chunk.map(({ tokenAccount, tokenProgram }) => ({ tokenAccount, tokenProgram })));
      if (!record(sent)) {
        report.failed.push({ tokenAccounts, error: new Error(`no AllSessionsRevoked event in the logs of ${sent.signature}`) });
      }
    } catch (error) {
      report.failed.push({ tokenAccounts, error });
    }
  }
  return report;
}
