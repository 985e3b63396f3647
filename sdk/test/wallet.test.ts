// SessionWallet: key generation, IndexedDB persistence (fake-indexeddb), one key per owner per
// app, forget; the owner's wallet through Wallet Standard and wallet-adapter signers; grant and
// revoke flows against a recording fake RPC (the real chain runs in the end-to-end tests).
import { test } from "node:test";
import assert from "node:assert/strict";
import { IDBFactory } from "fake-indexeddb";
import {
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromPrivateKeyBytes,
  createTransactionMessage,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  verifySignature,
  type Address,
  type KeyPairSigner,
  type Transaction,
} from "@solana/kit";
import * as sdk from "../src/index";
import { blockhash, fakeRpc } from "./fakes";

const seed = (n: number) => new Uint8Array(32).fill(n);
const APP = "https://game.example/session-test";

async function ownerKey(n = 7) {
  return await createKeyPairSignerFromPrivateKeyBytes(seed(n));
}

/** A Wallet Standard wallet holding one keypair, as the browser test registers it. */
function testWallet(key: KeyPairSigner, features: ("sign" | "send")[] = ["sign"], sent: Transaction[] = []) {
  const account = { address: key.address, publicKey: new Uint8Array(32), chains: ["solana:localnet"], features: [] as string[] };
  const decoder = getTransactionDecoder();
  const encoder = getTransactionEncoder();
  const sign = async (bytes: Uint8Array) => {
    const tx = decoder.decode(bytes);
    const [sigs] = await key.signTransactions([tx as never]);
    return { ...tx, signatures: { ...tx.signatures, ...sigs } } as Transaction;
  };
  const f: Record<string, unknown> = {};
  if (features.includes("sign")) {
    f["solana:signTransaction"] = {
      signTransaction: async (...inputs: { transaction: Uint8Array }[]) =>
        Promise.all(inputs.map(async (i) => ({ signedTransaction: new Uint8Array(encoder.encode(await sign(i.transaction))) }))),
    };
  }
  if (features.includes("send")) {
    f["solana:signAndSendTransaction"] = {
      signAndSendTransaction: async (...inputs: { transaction: Uint8Array }[]) =>
        Promise.all(
          inputs.map(async (i) => {
            const tx = await sign(i.transaction);
            sent.push(tx);
            return { signature: tx.signatures[key.address]! as Uint8Array };
          }),
        ),
    };
  }
  return { wallet: { name: "Test Wallet", accounts: [account], features: f }, account };
}

test("a new key is generated non-extractable, stored, and restored for the same owner and app", async () => {
  const storage = sdk.indexedDbKeyStore({ indexedDB: new IDBFactory() });
  const owner = (await ownerKey()).address;
  const rpc = fakeRpc().rpc;
  const w1 = await sdk.SessionWallet.open({ rpc, owner, app: APP, storage });
  assert.equal(w1.restored, false);
  assert.equal(w1.signer.keyPair.privateKey.extractable, false);
  assert.notEqual(w1.address, owner);
  const w2 = await sdk.SessionWallet.open({ rpc, owner, app: APP, storage });
  assert.equal(w2.restored, true);
  assert.equal(w2.address, w1.address, "restored on reload");
  // The restored key signs, and the signature verifies against the key's address.
  const msg = new TextEncoder().encode("hello");
  const [sig] = await w2.signer.signMessages([{ content: msg, signatures: {} }]);
  assert.ok(await verifySignature(w1.signer.keyPair.publicKey, sig![w1.address]!, msg));

  const other = (await ownerKey(8)).address;
  const w3 = await sdk.SessionWallet.open({ rpc, owner: other, app: APP, storage });
  assert.notEqual(w3.address, w1.address, "never shared across owners");
  const w4 = await sdk.SessionWallet.open({ rpc, owner, app: "another app", storage });
  assert.notEqual(w4.address, w1.address, "one key per app");

  await w2.forget();
  assert.throws(() => w2.signer, /forgotten/);
  const w5 = await sdk.SessionWallet.open({ rpc, owner, app: APP, storage });
  assert.equal(w5.restored, false);
  assert.notEqual(w5.address, w1.address, "a forgotten key is never restored");
  assert.equal((await sdk.SessionWallet.open({ rpc, owner: other, app: APP, storage })).address, w3.address, "other owners keep theirs");
});

test("Wallet Standard signTransaction and wallet-adapter signers sign alongside the session key", async () => {
  const owner = await ownerKey();
  const session = await ownerKey(9);
  const { wallet, account } = testWallet(owner);
  const ownerSigner = sdk.walletStandardSigner(wallet, account, "solana:localnet");
  const ix = sdk.systemTransferInstruction(session, owner.address, 1n);
  const tx = await signTransactionMessageWithSigners(
    pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(ownerSigner, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions([ix], m),
    ),
  );
  assert.ok(await verifySignature(owner.keyPair.publicKey, tx.signatures[owner.address]!, tx.messageBytes));
  assert.ok(await verifySignature(session.keyPair.publicKey, tx.signatures[session.address]!, tx.messageBytes));

  // wallet-adapter: the adapter signs its own transaction type; here wire bytes stand for it.
  const decoder = getTransactionDecoder();
  const encoder = getTransactionEncoder();
  const adapter = {
    publicKey: { toBase58: () => owner.address as string },
    signTransaction: async (bytes: Uint8Array) => {
      const t = decoder.decode(bytes);
      const [s] = await owner.signTransactions([t as never]);
      return new Uint8Array(encoder.encode({ ...t, signatures: { ...t.signatures, ...s } }));
    },
  };
  const adapterSigner = sdk.walletAdapterSigner(adapter, { deserialize: (b) => b, serialize: (b) => b });
  const [signed] = await adapterSigner.modifyAndSignTransactions([{ ...tx, signatures: { ...tx.signatures, [owner.address]: null } } as never]);
  assert.ok(await verifySignature(owner.keyPair.publicKey, signed!.signatures[owner.address]!, signed!.messageBytes));
  assert.ok(signed!.signatures[session.address], "the session key's signature is kept");

  const sendOnly = testWallet(owner, ["send"]);
  assert.ok("signAndSendTransactions" in sdk.walletStandardSigner(sendOnly.wallet, sendOnly.account, "solana:localnet"));
  assert.throws(() => sdk.walletStandardSigner({ ...wallet, features: {} }, account, "solana:localnet"), /supports neither/);
});

test("grant builds one create_session for the owner's wallet, checked against the chain clock; revoke sweeps and forgets", async () => {
  const owner = await ownerKey();
  const sponsor = await ownerKey(11);
  const { wallet, account } = testWallet(owner);
  const fake = fakeRpc({ now: 1_800_000_000n, balance: 1_000_000n });
  const storage = sdk.memoryKeyStore();
  const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: owner.address, app: APP, storage });
  const game = address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");
  const scope = sdk.scope(1_800_003_600n).program(sdk.program(game)).label("game");

  // A scope the program would refuse never reaches the wallet.
  await assert.rejects(
    w.grant({ ownerSigner: sdk.walletStandardSigner(wallet, account, "solana:localnet"), scope: sdk.scope(1_700_000_000n).program(sdk.program(game)) }),
    (e: unknown) => e instanceof sdk.ScopeError && e.error.name === "ExpiryInPast",
  );
  assert.equal(fake.sent.length, 0);

  const sent = await w.grant({
    ownerSigner: sdk.walletStandardSigner(wallet, account, "solana:localnet"),
    scope,
    sponsor,
    topUpLamports: 5_000_000n,
  });
  assert.equal(fake.sent.length, 1);
  const tx = fake.sent[0]!;
  const message = compiled(tx);
  assert.equal(message.staticAccounts[0], sponsor.address, "the sponsor pays the fee");
  assert.ok(await verifySignature(owner.keyPair.publicKey, tx.signatures[owner.address]!, tx.messageBytes));
  assert.ok(await verifySignature(sponsor.keyPair.publicKey, tx.signatures[sponsor.address]!, tx.messageBytes));
  const ix = message.instructions[0]!;
  const data = sdk.getCreateSessionInstructionDataDecoder().decode(ix.data!);
  assert.equal(data.label, "game");
  assert.equal(data.topUpLamports, 5_000_000n);
  const keys = ix.accountIndices!.map((i) => message.staticAccounts[i]);
  assert.equal(keys[1], sponsor.address, "the sponsor pays the rent");
  assert.equal(keys[2], w.address, "the session key is the stored key");
  assert.equal(sent.events.length, 0);

  // revoke: revoke_session + a sweep of balance - fee to the owner, paid and signed by the key.
  fake.session = { payer: sponsor.address };
  const key = w.address;
  await w.revoke();
  const rtx = fake.sent[1]!;
  const rmsg = compiled(rtx);
  assert.equal(rmsg.staticAccounts[0], key, "the session key pays");
  assert.equal(rmsg.instructions.length, 2);
  assert.equal(rmsg.staticAccounts[rmsg.instructions[0]!.programAddressIndex], sdk.SESSION_KEYS_PROGRAM_ADDRESS);
  const sweep = rmsg.instructions[1]!;
  assert.equal(rmsg.staticAccounts[sweep.accountIndices![1]!], owner.address);
  assert.equal(new DataView(sweep.data!.buffer, sweep.data!.byteOffset).getBigUint64(4, true), 1_000_000n - 5000n);
  assert.equal(await storage.get(APP, owner.address), null, "the key is forgotten");
});

test("the before-expiry callback fires on time even 30 days ahead (beyond setTimeout's range)", async (t) => {
  const owner = await ownerKey();
  const fake = fakeRpc({ now: 1_800_000_000n });
  const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: owner.address, app: APP, storage: sdk.memoryKeyStore() });
  fake.session = { payer: owner.address, expiresAt: 1_800_000_000n + 30n * 86_400n };
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const fired: bigint[] = [];
  await w.onBeforeExpiry(60, (at) => fired.push(at));
  const total = (30 * 86_400 - 60) * 1000;
  t.mock.timers.tick(2 ** 31 - 1);
  assert.equal(fired.length, 0, "not after 24.8 days");
  t.mock.timers.tick(total - (2 ** 31 - 1) - 1);
  assert.equal(fired.length, 0, "not a millisecond early");
  t.mock.timers.tick(1);
  assert.deepEqual(fired, [1_800_000_000n + 30n * 86_400n]);
  const cancel = await w.onBeforeExpiry(60, () => fired.push(0n));
  cancel();
  t.mock.timers.tick(total);
  assert.equal(fired.length, 1, "cancelled");
});

/** The compiled message of a transaction (v0, no lookup tables). */
function compiled(tx: Transaction) {
  return getCompiledTransactionMessageDecoder().decode(tx.messageBytes) as unknown as {
    staticAccounts: Address[];
    instructions: { programAddressIndex: number; accountIndices?: number[]; data?: Uint8Array }[];
  };
}

