// Session status and classification, and reading the token delegation a new session inherits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getAddressEncoder, getBase16Encoder, type Address } from "@solana/kit";
import * as sdk from "../src/index";
import { golden } from "./fixtures";

const session = () => sdk.getSessionDecoder().decode(new Uint8Array(getBase16Encoder().encode(golden.accounts.session.data)));
const wallet = () => sdk.getWalletDecoder().decode(new Uint8Array(getBase16Encoder().encode(golden.accounts.wallet.data)));

test("status: revoked by nonce first, then expired, then exhausted, else live", () => {
  const s = session();
  const w = wallet();
  const expires = s.expiresAt;
  assert.equal(sdk.sessionStatus(s, w, expires - 1n), "live");
  assert.equal(sdk.sessionStatus(s, w, expires), "expired", "the expiry second itself is dead");
  assert.equal(sdk.sessionStatus(s, { ...w, nonce: w.nonce + 1n }, expires), "revoked", "revoked wins over expired");
  assert.equal(sdk.sessionStatus(s, null, expires - 1n), "live", "no wallet account read: nonce unknown");
  assert.equal(sdk.sessionStatus({ ...s, uses: s.maxUses }, w, expires - 1n), "exhausted");
  assert.equal(sdk.sessionStatus({ ...s, maxUses: sdk.UNLIMITED_USES, uses: 5 }, w, expires - 1n), "live");
  const spent = (a: sdk.Allowance) => ({ ...a, spent: a.lifetimeCap });
  const sol = s.sol.__option === "Some" ? s.sol.value : null;
  assert.ok(sol);
  const drained = { ...s, sol: { __option: "Some" as const, value: spent(sol) }, mints: s.mints.map((m) => ({ ...m, allowance: spent(m.allowance) })) };
  assert.equal(sdk.sessionStatus(drained, w, expires - 1n), "live", "programs still callable");
  assert.equal(sdk.sessionStatus({ ...drained, programs: [] }, w, expires - 1n), "exhausted", "nothing left to spend or call");

  const listed = [
    { address: "a" as Address, session: s, status: sdk.sessionStatus(s, w, expires - 1n) },
    { address: "b" as Address, session: s, status: sdk.sessionStatus(s, w, expires) },
  ];
  const c = sdk.classifySessions(listed);
  assert.deepEqual([c.live.length, c.expired.length, c.revoked.length, c.exhausted.length], [1, 1, 0, 0]);
});

test("a token account's delegation is read as its token program reads it (SPL Token and Token-2022)", () => {
  const enc = getAddressEncoder();
  const mint = golden.accounts.session.expected.mint as Address;
  const owner = golden.owner as Address;
  const vault = golden.pdas.vault as Address;
  const data = new Uint8Array(170); // 165 + Token-2022 account-type byte and extension room
  data.set(enc.encode(mint), 0);
  data.set(enc.encode(owner), 32);
  const view = new DataView(data.buffer);
  view.setBigUint64(64, 1_000n, true);
  data[108] = 1; // initialized
  data[165] = 2; // Token-2022 account type: account
  let d = sdk.decodeTokenDelegation(data, vault);
  assert.deepEqual(d, { mint, owner, amount: 1_000n, delegate: null, delegatedAmount: 0n, delegateIsVault: false });
  view.setUint32(72, 1, true);
  data.set(enc.encode(vault), 76);
  view.setBigUint64(121, 400n, true);
  d = sdk.decodeTokenDelegation(data, vault);
  assert.equal(d?.delegate, vault);
  assert.equal(d?.delegatedAmount, 400n);
  assert.equal(d?.delegateIsVault, true, "a new session with this mint inherits 400 of allowance");
  // A non-account has no delegation, whatever its bytes say at the token-account offsets.
  assert.equal(sdk.decodeTokenDelegation(new Uint8Array(100)), null, "shorter than a token account");
  assert.equal(sdk.decodeTokenDelegation(data, vault, sdk.TOKEN_PROGRAM_ADDRESS), null, "SPL Token accounts are exactly 165 bytes");
  assert.equal(sdk.decodeTokenDelegation(data, vault, sdk.SYSTEM_PROGRAM_ADDRESS), null, "not a token program's account");
  const multisig = new Uint8Array(355);
  multisig.set(data.subarray(0, 170));
  assert.equal(sdk.decodeTokenDelegation(multisig, vault), null, "a multisig dressed as a delegated account");
  data[108] = 0;
  assert.equal(sdk.decodeTokenDelegation(data, vault), null, "uninitialized");
});
