// The gateway's check in front of Kora (`checkPaymasterTransaction`), case by case against a
// fake RPC holding the sessions: what it pays for and each shape it refuses. The same check runs
// against localnet and a real Kora in kora.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountRole,
  appendTransactionMessageInstructions,
  createNoopSigner,
  createTransactionMessage,
  generateKeyPairSigner,
  getBase64Decoder,
  partiallySignTransactionMessageWithSigners,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type TransactionSigner,
} from "@solana/kit";
import * as sdk from "../src/index";
import { v0TransactionMessage } from "../src/internal";
import { blockhash } from "./fakes";
import { GAME_PROGRAM, movePlayer } from "../web/game";

const POLICY: sdk.SponsorPolicy = { cluster: "localnet", programs: [GAME_PROGRAM] };
const OTHER_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr" as Address;

/** A fake RPC holding one session per (owner, key), with the given scope programs. */
async function sessionsRpc(sessions: { owner: Address; key: Address; payer: Address; programs?: Address[] }[]) {
  const byAddress = new Map<string, Uint8Array>();
  for (const s of sessions) {
    const { session } = await sdk.sessionAddresses(s.owner, s.key);
    const data = sdk.getSessionEncoder().encode({
      version: 1,
      bump: 255,
      owner: s.owner,
      sessionKey: s.key,
      payer: s.payer,
      createdAt: 0n,
      expiresAt: 10_000n,
      nonce: 0n,
      maxUses: 100,
      uses: 0,
      sol: null,
      mints: [],
      destinations: [],
      programs: (s.programs ?? [GAME_PROGRAM]).map((programId) => ({ programId, instructions: [], coSigning: false }) as never),
      label: "",
      usesWindow: null,
      references: { capacity: 0, next: 0, entries: [] },
    });
    byAddress.set(session, new Uint8Array(data));
  }
  const b64 = getBase64Decoder();
  return {
    getAccountInfo: (addr: string) => ({
      send: async () => {
        const data = byAddress.get(addr);
        return { value: data ? { data: [b64.decode(data), "base64"], executable: false, lamports: 1n, owner: sdk.SESSION_KEYS_PROGRAM_ADDRESS, space: BigInt(data.length) } : null };
      },
    }),
  } as never;
}

async function setup() {
  const [kora, owner, key] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner(), generateKeyPairSigner()]);
  const rpc = await sessionsRpc([{ owner: owner.address, key: key.address, payer: kora.address }]);
  const { vault } = await sdk.sessionAddresses(owner.address, key.address);
  const move = await sdk.executeInstruction({ sessionKey: key, owner: owner.address, calls: [await movePlayer(vault, 1, 0)] });
  return { kora, owner, key, rpc, vault, move };
}

const tx = async (payer: Address | TransactionSigner, instructions: Instruction[]) =>
  await partiallySignTransactionMessageWithSigners(v0TransactionMessage(typeof payer === "string" ? createNoopSigner(payer) : payer, blockhash, instructions));

const check = (t: Awaited<ReturnType<typeof tx>>, kora: KeyPairSigner, rpc: never) =>
  sdk.checkPaymasterTransaction(t, { payer: kora.address, policy: POLICY, now: 0n, rpc });

const refused = async (p: Promise<unknown>, pattern: RegExp) =>
  await assert.rejects(p, (e: unknown) => e instanceof sdk.GrantRefusedError && pattern.test(e.reason));

const computeBudget = (data: number[]): Instruction => ({ programAddress: sdk.COMPUTE_BUDGET_PROGRAM_ADDRESS, data: new Uint8Array(data) });

test("a session move paid by Kora passes, with or without a compute unit limit, and names the player", async () => {
  const { kora, owner, key, rpc, move } = await setup();
  assert.deepEqual(await check(await tx(kora.address, [move]), kora, rpc), { kind: "play", owner: owner.address, sessionKey: key.address });
  const limit = computeBudget([2, 0x40, 0x0d, 0x03, 0]); // SetComputeUnitLimit(200,000)
  assert.equal((await check(await tx(kora.address, [limit, move]), kora, rpc)).kind, "play");
});

test("refused: a unit price, another payer, a legacy message, two players, another game's session, the key not the session's", async () => {
  const { kora, owner, key, rpc, move, vault } = await setup();
  const price = computeBudget([3, 1, 0, 0, 0, 0, 0, 0, 0]); // SetComputeUnitPrice(1)
  await refused(check(await tx(kora.address, [price, move]), kora, rpc), /only SetComputeUnitLimit is paid for/);
  await refused(check(await tx(key, [move]), kora, rpc), /must be the transaction's fee payer/);
  const legacy = await partiallySignTransactionMessageWithSigners(
    pipe(
      createTransactionMessage({ version: "legacy" }),
      (m) => setTransactionMessageFeePayerSigner(createNoopSigner(kora.address), m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions([move], m),
    ),
  );
  await refused(check(legacy, kora, rpc), /must be a v0 message/);

  // Two players in one transaction, and a session of another game.
  const [owner2, key2] = [await generateKeyPairSigner(), await generateKeyPairSigner()];
  const both = await sessionsRpc([
    { owner: owner.address, key: key.address, payer: kora.address },
    { owner: owner2.address, key: key2.address, payer: kora.address, programs: [OTHER_PROGRAM] },
  ]);
  const { vault: vault2 } = await sdk.sessionAddresses(owner2.address, key2.address);
  const move2 = await sdk.executeInstruction({ sessionKey: key2, owner: owner2.address, calls: [await movePlayer(vault2, 1, 0)] });
  await refused(check(await tx(kora.address, [move2]), kora, both), /scope includes program MemoSq4g\w+, which this paymaster does not pay for/);
  const sameGame = await sessionsRpc([
    { owner: owner.address, key: key.address, payer: kora.address },
    { owner: owner2.address, key: key2.address, payer: kora.address },
  ]);
  await refused(check(await tx(kora.address, [move, move2]), kora, sameGame), /one transaction may play for one player only/);

  // A signer that is not the session's key (the owner's session, another key).
  const stranger = await generateKeyPairSigner();
  const forged = { ...move, accounts: move.accounts!.map((a, i) => (i === 0 ? { address: stranger.address, role: AccountRole.READONLY_SIGNER, signer: stranger } : a)) } as Instruction;
  await refused(check(await tx(kora.address, [forged]), kora, rpc), /must be signed by the session's key/);
  void vault;
});

test("revoke: Kora's key only as the rent payer that gets the rent back", async () => {
  const { kora, owner, key, rpc } = await setup();
  const revoke = await sdk.revokeSessionInstruction({ authority: key, owner: owner.address, sessionKey: key.address, rentPayer: kora.address });
  assert.equal((await check(await tx(kora.address, [revoke]), kora, rpc)).kind, "play");
  // Kora's key as the revoking authority instead: refused.
  const asAuthority = { ...revoke, accounts: revoke.accounts!.map((a, i) => (i === 0 ? { address: kora.address, role: AccountRole.READONLY_SIGNER } : a)) } as Instruction;
  await refused(check(await tx(kora.address, [asAuthority]), kora, rpc), /uses the paymaster's key as an account/);
});
