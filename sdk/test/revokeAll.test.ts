// Revoke everything: the token-account filter (what the token programs accept, never a
// multisig dressed up as an account), the listing, and the order, chunks and report of
// `revokeEverything` against a fake RPC whose "program" writes the `AllSessionsRevoked` event
// (the real chain runs in e2e.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createKeyPairSignerFromPrivateKeyBytes,
  getAddressDecoder,
  getBase58Decoder,
  getBase58Encoder,
  getBase64Decoder,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getSignatureFromTransaction,
  getTransactionDecoder,
  type Address,
  type Transaction,
  type TransactionSendingSigner,
} from "@solana/kit";
import * as sdk from "../src/index";
import { blockhash } from "./fakes";
import { craftedMultisig, IMMUTABLE_OWNER, tokenAccountImage } from "./tokenImages";

const SPL = sdk.TOKEN_PROGRAM_ADDRESS;
const T22 = sdk.TOKEN_2022_PROGRAM_ADDRESS;
const key = (n: number) => createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(n));
const addr = (n: number) => getAddressDecoder().decode(new Uint8Array(32).fill(n));

async function parties() {
  const owner = await key(7);
  const [vault] = await sdk.findVaultPda({ owner: owner.address });
  return { owner, vault, mint: addr(3) };
}

test("a token account is what its token program accepts: SPL Token 165 bytes, Token-2022 also longer, never a mint", async () => {
  const { owner, vault, mint } = await parties();
  const real = tokenAccountImage({ mint, owner: owner.address, amount: 9n, delegate: vault, delegatedAmount: 5n, closeAuthority: addr(4) });
  const expected = {
    mint,
    owner: owner.address,
    amount: 9n,
    delegate: vault,
    delegatedAmount: 5n,
    frozen: false,
    isNative: null,
    closeAuthority: addr(4),
    dataLength: 165,
  };
  assert.deepEqual(sdk.parseTokenAccount(SPL, real), expected, "a real 165-byte account, SPL Token");
  assert.deepEqual(sdk.parseTokenAccount(T22, real), expected, "the same bytes, Token-2022");
  assert.equal(sdk.parseTokenAccount(sdk.SYSTEM_PROGRAM_ADDRESS, real), null, "not a token program's account");

  const withExtension = tokenAccountImage({ mint, owner: owner.address, delegate: vault, extensions: IMMUTABLE_OWNER });
  assert.equal(withExtension.length, 170);
  assert.equal(sdk.parseTokenAccount(T22, withExtension)?.delegate, vault, "Token-2022 with ImmutableOwner");
  assert.equal(sdk.parseTokenAccount(SPL, withExtension), null, "SPL Token reads exactly 165 bytes");
  const typeOnly = withExtension.slice(0, 166);
  assert.equal(sdk.parseTokenAccount(T22, typeOnly)?.dataLength, 166, "the account-type byte alone");

  // Mints: an 82-byte one, and a Token-2022 account whose type byte says mint.
  assert.equal(sdk.parseTokenAccount(SPL, new Uint8Array(82)), null);
  assert.equal(sdk.parseTokenAccount(T22, new Uint8Array(82)), null);
  const mintType = withExtension.slice();
  mintType[165] = 1;
  assert.equal(sdk.parseTokenAccount(T22, mintType), null, "account type 1 (mint)");
  mintType[165] = 0;
  assert.equal(sdk.parseTokenAccount(T22, mintType), null, "account type 0 (uninitialized)");

  // Uninitialized, an unknown state, and option tags other than 0 or 1.
  for (const [name, at, value] of [
    ["uninitialized (state 0)", 108, 0],
    ["state 3", 108, 3],
    ["delegate tag 2", 72, 2],
    ["delegate tag 256", 73, 1],
    ["is_native tag 2", 109, 2],
    ["close authority tag 2", 129, 2],
  ] as const) {
    const bad = real.slice();
    bad[at] = value;
    assert.equal(sdk.parseTokenAccount(SPL, bad), null, name);
    assert.equal(sdk.parseTokenAccount(T22, bad), null, name);
  }

  const frozen = tokenAccountImage({ mint, owner: owner.address, delegate: vault, state: 2 });
  assert.equal(sdk.parseTokenAccount(SPL, frozen)?.frozen, true, "frozen is a token account, marked frozen");
  const wrapped = tokenAccountImage({ mint, owner: owner.address, isNative: 2_039_280n });
  assert.equal(sdk.parseTokenAccount(SPL, wrapped)?.isNative, 2_039_280n);
});

test("a 355-byte Token-2022 multisig crafted to read as the owner's account delegated to the vault is refused", async () => {
  const { owner, vault } = await parties();
  const fake = craftedMultisig(owner.address, vault);
  assert.equal(fake.data.length, 355);
  assert.deepEqual([...fake.data.subarray(0, 3)], [1, 11, 1], "a valid multisig: m = 1, n = 11, initialized");
  assert.equal(new Set(fake.signers).size, 11, "11 distinct signer slots");
  assert.equal(fake.data[165], 2, "byte 165 says 'account'");
  // Its first 165 bytes are a perfect token account of the owner, delegated to the vault...
  const base = sdk.parseTokenAccount(SPL, fake.data.subarray(0, 165));
  assert.deepEqual([base?.owner, base?.delegate, base?.frozen, base?.delegatedAmount], [owner.address, vault, false, 1_000_000n]);
  // ...and one more byte would make it a Token-2022 account: only the multisig length refuses it.
  const longer = new Uint8Array(356);
  longer.set(fake.data);
  assert.equal(sdk.parseTokenAccount(T22, longer)?.delegate, vault);
  assert.equal(sdk.parseTokenAccount(T22, fake.data), null, "Token-2022 never reads 355 bytes as an account");
  assert.equal(sdk.parseTokenAccount(SPL, fake.data), null);
});

/** One account a `getProgramAccounts` scan returns. */
interface Scanned {
  pubkey: Address;
  program: Address;
  data: Uint8Array;
  /** The owner program the RPC reports (default: `program`). */
  owner?: Address;
}

/**
 * A fake RPC: `getProgramAccounts` answers `scanned` (ignoring the filters, which it records),
 * and each sent `revoke_all_sessions` is "run" by a program that revokes the pairs whose account
 * is in `revocable` and skips the others, writing its event to the transaction's logs.
 */
function fakeChain(p: { owner: Address; scanned: Scanned[]; revocable: Set<Address>; failSend?: (n: number) => boolean }) {
  const b64 = getBase64Decoder();
  const sent: { transaction: Transaction; pairs: Address[]; accounts: Address[] }[] = [];
  const scans: { program: Address; filters: unknown }[] = [];
  const logs = new Map<string, string[]>();
  let nonce = 10n;
  let calls = 0;
  const ok = <T>(v: T) => ({ send: async () => v });
  const fail = <T>(e: unknown) => ({ send: async (): Promise<T> => Promise.reject(e) });
  /** Runs a transaction: returns its signature. */
  const run = (transaction: Transaction) => {
    const signature = getSignatureFromTransaction(transaction);
    const message = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes) as unknown as {
      staticAccounts: Address[];
      instructions: { programAddressIndex: number; accountIndices?: number[] }[];
    };
    const [ix] = message.instructions;
    assert.equal(message.instructions.length, 1, "one instruction per transaction");
    assert.equal(message.staticAccounts[ix!.programAddressIndex], sdk.SESSION_KEYS_PROGRAM_ADDRESS);
    const accounts = (ix!.accountIndices ?? []).map((i) => message.staticAccounts[i]!);
    const pairs = accounts.slice(2).filter((_, i) => i % 2 === 0);
    sent.push({ transaction, pairs, accounts });
    nonce += 1n;
    const event = sdk.getAllSessionsRevokedEventEncoder().encode({
      owner: p.owner,
      nonce,
      messageCounter: 1000n + nonce,
      revokedDelegations: pairs.filter((a) => p.revocable.has(a)),
      skippedDelegations: pairs.filter((a) => !p.revocable.has(a)),
    });
    const program = sdk.SESSION_KEYS_PROGRAM_ADDRESS;
    logs.set(signature, [`Program ${program} invoke [1]`, `Program data: ${b64.decode(new Uint8Array(event))}`, `Program ${program} success`]);
    return signature;
  };
  const rpc = {
    getLatestBlockhash: () => ok({ value: blockhash }),
    sendTransaction: (wire: string) => {
      const transaction = getTransactionDecoder().decode(getBase64Encoder().encode(wire));
      if (p.failSend?.(calls++)) return fail(new Error("node unreachable"));
      return ok(run(transaction));
    },
    getSignatureStatuses: () => ok({ value: [{ confirmationStatus: "confirmed", err: null }] }),
    getTransaction: (signature: string) => ok({ meta: { logMessages: logs.get(signature) ?? [] } }),
    getProgramAccounts: (program: Address, config: { filters: unknown }) => {
      scans.push({ program, filters: config.filters });
      return ok(
        p.scanned
          .filter((s) => s.program === program)
          .map((s) => ({
            pubkey: s.pubkey,
            account: { data: [b64.decode(s.data), "base64"], owner: s.owner ?? s.program, lamports: 1n, executable: false, space: BigInt(s.data.length) },
          })),
      );
    },
  } as unknown as sdk.RevokeEverythingRpc;
  return { rpc, sent, scans, run };
}

/** The owner's scan results: real accounts, a frozen one, and everything a filter must drop. */
async function ownerAccounts() {
  const { owner, vault, mint } = await parties();
  const o = owner.address;
  const delegated = { mint, owner: o, amount: 10n, delegate: vault, delegatedAmount: 10n };
  const a = {
    spl: addr(20),
    t22: addr(21),
    frozen: addr(22),
    fake: addr(23),
    mint2022: addr(24),
    uninit: addr(25),
    stranger: addr(26),
    wrongOwnerProgram: addr(27),
  };
  const mintImage = tokenAccountImage({ ...delegated, extensions: IMMUTABLE_OWNER });
  mintImage[165] = 1;
  const scanned: Scanned[] = [
    { pubkey: a.spl, program: SPL, data: tokenAccountImage(delegated) },
    { pubkey: a.t22, program: T22, data: tokenAccountImage({ ...delegated, extensions: IMMUTABLE_OWNER }) },
    { pubkey: a.frozen, program: T22, data: tokenAccountImage({ ...delegated, state: 2 }) },
    { pubkey: a.fake, program: T22, data: craftedMultisig(o, vault).data },
    { pubkey: a.mint2022, program: T22, data: mintImage },
    { pubkey: a.uninit, program: SPL, data: tokenAccountImage({ ...delegated, state: 0 }) },
    // What a node that ignored the filters would return: another owner's, and another program's.
    { pubkey: a.stranger, program: SPL, data: tokenAccountImage({ ...delegated, owner: addr(9) }) },
    { pubkey: a.wrongOwnerProgram, program: SPL, data: tokenAccountImage(delegated), owner: sdk.SYSTEM_PROGRAM_ADDRESS },
  ];
  return { owner, vault, mint, a, scanned };
}

test("listing: getProgramAccounts on both token programs, kept only if the token program accepts it", async () => {
  const { owner, vault, a, scanned } = await ownerAccounts();
  const chain = fakeChain({ owner: owner.address, scanned, revocable: new Set() });
  const listed = await sdk.listVaultDelegations(chain.rpc, owner.address);
  assert.deepEqual(
    listed.map((d) => [d.tokenAccount, d.tokenProgram, d.frozen]),
    [
      [a.spl, SPL, false],
      [a.t22, T22, false],
      [a.frozen, T22, true],
    ],
    "never the multisig, the mint, the uninitialized account, another owner's or another program's",
  );
  assert.equal(listed[0]!.delegatedAmount, 10n);
  const b58 = (bytes: number[]) => getBase58Decoder().decode(new Uint8Array(bytes));
  const memcmps = [
    { memcmp: { offset: 32n, bytes: owner.address, encoding: "base58" } },
    { memcmp: { offset: 72n, bytes: b58([1, 0, 0, 0]), encoding: "base58" } },
    { memcmp: { offset: 76n, bytes: vault, encoding: "base58" } },
  ];
  assert.deepEqual(chain.scans, [
    { program: SPL, filters: [{ dataSize: 165n }, ...memcmps] },
    { program: T22, filters: memcmps },
  ]);
  assert.deepEqual([...getBase58Encoder().encode(b58([1, 0, 0, 0]))], [1, 0, 0, 0]);
});

test("revokeEverything: the nonce bump alone first, then real unfrozen delegations by 16; the report is the events'", async () => {
  const { owner, a, scanned } = await ownerAccounts();
  const { vault, mint } = await parties();
  // 17 more real accounts: two later transactions (16 + 3).
  const more = Array.from({ length: 17 }, (_, i) => addr(100 + i));
  for (const pubkey of more) {
    scanned.push({ pubkey, program: SPL, data: tokenAccountImage({ mint, owner: owner.address, delegate: vault, delegatedAmount: 1n }) });
  }
  // The "program" skips one real account (say, a delegation that changed since the listing).
  const revocable = new Set([a.spl, ...more]);
  const chain = fakeChain({ owner: owner.address, scanned, revocable });
  const report = await sdk.revokeEverything({ rpc: chain.rpc, owner });

  assert.equal(chain.sent.length, 3);
  const [kill, first, second] = chain.sent;
  const [wallet] = await sdk.findWalletPda({ owner: owner.address });
  assert.deepEqual(kill!.accounts, [owner.address, wallet], "the nonce bump lists no token account");
  assert.equal(chain.scans.length, 2, "listed once");
  assert.equal(first!.pairs.length, 16);
  // In the listing's order: SPL Token's scan, then Token-2022's.
  assert.deepEqual(first!.pairs, [a.spl, ...more.slice(0, 15)]);
  assert.deepEqual(second!.pairs, [...more.slice(15), a.t22]);
  for (const { accounts } of chain.sent.slice(1)) {
    assert.ok(!accounts.includes(a.fake) && !accounts.includes(a.frozen), "never the multisig or a frozen account");
    const programs = accounts.slice(2).filter((_, i) => i % 2 === 1);
    assert.ok(programs.every((p) => p === SPL || p === T22));
  }

  assert.deepEqual(report.signatures, chain.sent.map((s) => getSignatureFromTransaction(s.transaction)));
  assert.equal(report.killed.signature, report.signatures[0]);
  assert.deepEqual(report.revoked.sort(), [a.spl, ...more].sort(), "what the events say was revoked");
  assert.deepEqual(report.skipped, [a.t22], "listed and sent, but the event says skipped: reported as skipped");
  assert.deepEqual(report.frozen, [a.frozen], "frozen: not sent, the delegation stays");
  assert.deepEqual(report.failed, []);
  assert.deepEqual([report.nonce, report.messageCounter], [13n, 1013n], "from the last event");

  await assert.rejects(sdk.revokeEverything({ rpc: chain.rpc, owner, chunkSize: 17 }), RangeError);
  await assert.rejects(sdk.revokeEverything({ rpc: chain.rpc, owner, chunkSize: 0 }), RangeError);
});

test("revokeEverything: a failed nonce bump throws; a failure after it is reported, never thrown", async () => {
  const { owner, a, scanned } = await ownerAccounts();
  const down = fakeChain({ owner: owner.address, scanned, revocable: new Set([a.spl]), failSend: () => true });
  await assert.rejects(sdk.revokeEverything({ rpc: down.rpc, owner }), (e: unknown) => e instanceof sdk.TransactionFailedError);
  assert.equal(down.scans.length, 0, "nothing listed before the bump landed");

  const later = fakeChain({ owner: owner.address, scanned, revocable: new Set([a.spl, a.t22]), failSend: (n) => n === 1 });
  const report = await sdk.revokeEverything({ rpc: later.rpc, owner, chunkSize: 1 });
  assert.equal(report.signatures.length, 2, "the bump and the second chunk");
  assert.deepEqual(report.revoked, [a.t22]);
  assert.equal(report.failed.length, 1);
  assert.deepEqual(report.failed[0]!.tokenAccounts, [a.spl], "not revoked: run again");
});

test("revokeEverything with a wallet that only signs and sends (solana:signAndSendTransaction)", async () => {
  const { owner, a, scanned } = await ownerAccounts();
  const chain = fakeChain({ owner: owner.address, scanned, revocable: new Set([a.spl, a.t22]) });
  const sendingOwner: TransactionSendingSigner = {
    address: owner.address,
    async signAndSendTransactions(transactions) {
      const out = [];
      for (const t of transactions) {
        const [signature] = await owner.signTransactions([t as never]);
        out.push(getBase58Encoder().encode(chain.run({ ...t, signatures: { ...t.signatures, ...signature } } as Transaction)));
      }
      return out as never;
    },
  };
  const report = await sdk.revokeEverything({ rpc: chain.rpc, owner: sendingOwner });
  assert.equal(chain.sent.length, 2);
  assert.deepEqual(report.revoked, [a.spl, a.t22]);
  assert.deepEqual(report.frozen, [a.frozen]);
});

test("AllSessionsRevoked: the new skippedDelegations decodes; an older program's event reads as none skipped; a cut one, as no event", async () => {
  const { owner } = await parties();
  const current = new Uint8Array(
    sdk.getAllSessionsRevokedEventEncoder().encode({
      owner: owner.address,
      nonce: 1n,
      messageCounter: 2n,
      revokedDelegations: [addr(5)],
      skippedDelegations: [addr(6)],
    }),
  );
  const program = sdk.SESSION_KEYS_PROGRAM_ADDRESS;
  const logs = (bytes: Uint8Array) => [`Program ${program} invoke [1]`, `Program data: ${getBase64Decoder().decode(bytes)}`, `Program ${program} success`];
  const fields = (bytes: Uint8Array) =>
    sdk.parseEvents(logs(bytes)).map((e) => (e.name === "AllSessionsRevoked" ? [e.data.revokedDelegations, e.data.skippedDelegations] : e.name));
  assert.deepEqual(fields(current), [[[addr(5)], [addr(6)]]]);
  // A program built before the field: kit reads the missing last vector as empty.
  assert.deepEqual(fields(current.subarray(0, current.length - 36)), [[[addr(5)], []]]);
  // Cut inside a vector: not decoded, and the caller does not throw.
  assert.deepEqual(fields(current.subarray(0, current.length - 50)), []);
});
