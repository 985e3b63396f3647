// The React binding: the store's snapshot follows open / grant / revoke, and the hook renders it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { address, createKeyPairSignerFromPrivateKeyBytes } from "@solana/kit";
import * as sdk from "../src/index";
import { createSessionStore, useSessionWallet } from "../src/react";
import { fakeRpc } from "./fakes";

test("the session store tracks the wallet, and useSessionWallet renders its snapshot", async () => {
  const owner = await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(7));
  const fake = fakeRpc({ now: 1_800_000_000n, balance: 1_000_000n });
  const store = createSessionStore({ rpc: fake.rpc, app: "react", storage: sdk.memoryKeyStore() });
  const View = () => {
    const s = useSessionWallet(store);
    return createElement("p", null, `status=${s.status} key=${s.wallet ? "yes" : "no"} busy=${s.busy}`);
  };
  assert.equal(renderToString(createElement(View)), "<p>status=null key=no busy=false</p>");

  let changes = 0;
  const unsubscribe = store.subscribe(() => changes++);
  await store.open(owner.address);
  assert.ok(changes >= 2, "subscribers hear busy and the result");
  assert.equal(store.getSnapshot().status, "missing");
  assert.equal(renderToString(createElement(View)), "<p>status=missing key=yes busy=false</p>");

  const game = address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");
  const refused = await store.grant({ ownerSigner: owner, scope: sdk.scope(1_700_000_000n).program(sdk.program(game)) });
  assert.equal(refused, null);
  assert.match(String(store.getSnapshot().error), /ExpiryInPast/);
  const sent = await store.grant({ ownerSigner: owner, scope: sdk.scope(1_800_000_600n).program(sdk.program(game)) });
  assert.ok(sent);
  assert.equal(store.getSnapshot().error, null);
  assert.equal(fake.sent.length, 1, "one transaction for the grant");

  // A gasless grant through the store: refused by the builder before any prompt, as an error in
  // the snapshot (this key already has a session on the fake chain after the grant above).
  fake.session = { payer: owner.address, expiresAt: 1_800_000_600n };
  const sponsor: sdk.Sponsor = { address: async () => owner.address, submit: async () => assert.fail("not reached") };
  const gasless = await store.grantByMessage({ ownerSigner: owner, scope: sdk.scope(1_800_000_600n).program(sdk.program(game)), domain: "game.example", cluster: "localnet", sponsor });
  assert.equal(gasless, null);
  assert.match(String(store.getSnapshot().error), /already has a session/);
  fake.session = null;

  const first = store.getSnapshot().wallet!.address;
  fake.session = { payer: owner.address };
  await store.revoke();
  fake.session = null;
  assert.notEqual(store.getSnapshot().wallet!.address, first, "a fresh key after revoke");
  unsubscribe();
});
