// The gasless grant's message (docs/message-grant.md): every line of the body, dates, SOL and
// units, plurals, the rules hash (recomputed here from hand-written Borsh bytes and node's
// SHA-256), both envelopes byte by byte, the Ed25519 instruction's canonical layout, and the
// builders' refusals. Parity with the program's own rebuild is in golden.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  address,
  createKeyPairSignerFromPrivateKeyBytes,
  getAddressEncoder,
  getBase16Decoder,
  getBase58Decoder,
  type Address,
} from "@solana/kit";
import * as sdk from "../src/index";

const key = (n: number) => createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(n));
const hex = (b: Uint8Array) => getBase16Decoder().decode(b);
const bytesOf = (a: Address) => new Uint8Array(getAddressEncoder().encode(a));
const GAME = address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");
const OTHER = address("k7FaK87WHGVXzkaoHb7CdVPgkKDQhZ29VLDeBVbDfYn");
const THIRD = address("swqrv48gsrwpBFbftEwnP2vB4jckpvfGJfXkwaniLCC");
const MOVE = new Uint8Array([0x11, 0x3a, 0x44, 0xdd, 0xba, 0x75, 0x8c, 0xe7]);
const BUY = new Uint8Array([0x50, 0x52, 0xc1, 0xc9, 0xd8, 0x1b, 0x46, 0xb8]);
const NOW = 1_800_000_000n;

function fullArgs(): sdk.MessageGrantArgs {
  const args = sdk
    .scope(1_800_003_600n)
    .maxUses(100)
    .sol(sdk.caps(1_500_000_000n).window(3600, 500_000_000n).perInstruction(100_000_000n))
    .mint(OTHER, sdk.caps(50_000_000n).window(60, 10_000_000n))
    .mint(THIRD, sdk.caps(1n).perInstruction(1n))
    .program(sdk.program(GAME).instruction(sdk.instruction(MOVE)).instruction(sdk.instruction(BUY).argU64(10, "le", 50_000_000n)))
    .program(sdk.program(address("Stake11111111111111111111111111111111111111")).withSessionSigner())
    .program(sdk.program(address("Vote111111111111111111111111111111111111111")).instruction(sdk.instruction(MOVE)))
    .label("Dungeon Quest")
    .build(NOW);
  return sdk.messageGrantArgs(args, { domain: "game.example:8080", messageNumber: 7n, validUntil: 1_800_000_300n });
}

test("dates: YYYY-MM-DD HH:MM:SS UTC from 1970 to 9999, `unix {n}` outside", () => {
  assert.equal(sdk.formatMessageDate(0), "1970-01-01 00:00:00 UTC");
  assert.equal(sdk.formatMessageDate(1_800_003_600n), "2027-01-15 09:00:00 UTC");
  assert.equal(sdk.formatMessageDate(253_402_300_799n), "9999-12-31 23:59:59 UTC");
  assert.equal(sdk.formatMessageDate(253_402_300_800n), "unix 253402300800");
  assert.equal(sdk.formatMessageDate(-1), "unix -1");
  assert.equal(sdk.formatMessageDate(-(2n ** 63n)), "unix -9223372036854775808");
  assert.equal(sdk.formatMessageDate(2n ** 63n - 1n), "unix 9223372036854775807");
});

test("SOL amounts: up to 9 fraction digits, no trailing zeros or point; tokens in units", () => {
  assert.equal(sdk.formatSol(1_500_000_000n), "1.5 SOL");
  assert.equal(sdk.formatSol(1n), "0.000000001 SOL");
  assert.equal(sdk.formatSol(0n), "0 SOL");
  assert.equal(sdk.formatSol(1_000_000_000n), "1 SOL");
  assert.equal(sdk.formatSol(123_456_789_012n), "123.456789012 SOL");
  assert.equal(sdk.formatSol(2n ** 64n - 1n), "18446744073.709551615 SOL");
  assert.equal(sdk.formatUnits(50_000_000n), "50000000 units");
});

test("the body names every part of the grant, one line each, in the spec's order", async () => {
  const args = fullArgs();
  const sessionKey = (await key(9)).address;
  const text = await sdk.buildGrantMessage({ args, sessionKey, cluster: "devnet" });
  const hash = await sdk.grantRulesHash(args.programs);
  assert.equal(
    text,
    [
      "game.example:8080 asks you to grant a session key",
      `Program: ${sdk.SESSION_KEYS_PROGRAM_ADDRESS}`,
      "Cluster: devnet",
      `Session key: ${sessionKey}`,
      "Expires: 2027-01-15 09:00:00 UTC",
      "Uses: 100 transfers or execute batches",
      "SOL: 1.5 SOL total, 0.5 SOL per 3600s, 0.1 SOL per instruction",
      `Token ${OTHER}: 50000000 units total, 10000000 units per 60s`,
      `Token ${THIRD}: 1 units total, 1 units per instruction`,
      "Tokens from: your vault and your accounts that delegate to it",
      "Send to: any address",
      `Call ${GAME}: 2 instruction rules`,
      "Call Stake11111111111111111111111111111111111111: any instruction, session key co-signs",
      "Call Vote111111111111111111111111111111111111111: 1 instruction rule",
      `Rules hash: ${hash}`,
      "Label: Dungeon Quest",
      "Message 7, valid until 2027-01-15 08:05:00 UTC",
    ].join("\n"),
  );
  assert.ok(!text.endsWith("\n"));
  assert.ok(/^[\x20-\x7e\n]+$/.test(text), "ASCII only");

  // Destinations, unlimited uses, no program rules (no hash line), no label (no label line),
  // another cluster and program id.
  const plain = sdk.messageGrantArgs(sdk.scope(1_800_000_060n).sol(sdk.caps(1n)).destination(OTHER).destination(THIRD).build(NOW), {
    domain: "a",
    messageNumber: 0,
    validUntil: 253_402_300_800n,
  });
  assert.equal(
    await sdk.buildGrantMessage({ args: plain, sessionKey, cluster: "mainnet-beta", programId: GAME }),
    [
      "a asks you to grant a session key",
      `Program: ${GAME}`,
      "Cluster: mainnet-beta",
      `Session key: ${sessionKey}`,
      "Expires: 2027-01-15 08:01:00 UTC",
      "Uses: unlimited",
      "SOL: 0.000000001 SOL total",
      `Send to: ${OTHER}`,
      `Send to: ${THIRD}`,
      "Message 0, valid until unix 253402300800",
    ].join("\n"),
  );
  const anyInstruction = { ...plain, sol: null, destinations: [], programs: [{ programId: GAME, passSessionSigner: false, instructions: [] }] };
  const t = await sdk.buildGrantMessage({ args: anyInstruction, sessionKey, cluster: "localnet" });
  assert.ok(t.includes(`\nCall ${GAME}: any instruction\n`));
  assert.ok(!t.includes("Rules hash"), "no rules, no hash line");
  assert.ok(!t.includes("SOL:"), "no SOL cap, no SOL line");
});

test("the rules hash is base58(SHA-256) of the programs' Borsh bytes, written out by hand here", async () => {
  const programs = sdk.scope(1_800_003_600n).program(sdk.program(GAME).instruction(sdk.instruction(MOVE.slice(0, 2)))).build(NOW).programs;
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  const borsh = new Uint8Array([
    ...u32(1), // one program
    ...bytesOf(GAME),
    0, // pass_session_signer
    ...u32(1), // one rule
    2, // discriminator_len
    0x11, 0x3a, 0, 0, 0, 0, 0, 0, // discriminator, padded to 8
    ...u32(0), // no argument rules
    ...u32(0), // no account rules
  ]);
  const expected = getBase58Decoder().decode(createHash("sha256").update(borsh).digest());
  assert.equal(await sdk.grantRulesHash(programs), expected);
  // The hash changes with any rule byte the readable lines only count.
  const other = sdk.scope(1_800_003_600n).program(sdk.program(GAME).instruction(sdk.instruction(MOVE.slice(0, 3)))).build(NOW).programs;
  assert.notEqual(await sdk.grantRulesHash(other), expected);
});

test("envelopes: Text is the body's bytes; Offchain is the v0 off-chain message around it", async () => {
  const owner = (await key(7)).address;
  const sessionKey = (await key(9)).address;
  const args = fullArgs();
  const body = await sdk.buildGrantMessage({ args, sessionKey, cluster: "localnet" });
  const text = await sdk.grantMessageBytes({ args, owner, sessionKey, cluster: "localnet" });
  assert.equal(hex(text), hex(new TextEncoder().encode(body)));

  const off = await sdk.grantMessageBytes({ args: { ...args, envelope: sdk.MessageEnvelope.Offchain }, owner, sessionKey, cluster: "localnet" });
  const bodyBytes = new TextEncoder().encode(body);
  const expected = new Uint8Array([
    0xff, ...new TextEncoder().encode("solana offchain"),
    0, // version
    ...bytesOf(sdk.SESSION_KEYS_PROGRAM_ADDRESS), // application domain
    1, // format: UTF-8, at most 1,232 bytes
    1, // one signer
    ...bytesOf(owner),
    bodyBytes.length & 0xff,
    bodyBytes.length >> 8,
    ...bodyBytes,
  ]);
  assert.equal(hex(off), hex(expected));
  assert.equal(hex(sdk.offchainEnvelope(body, owner, GAME).subarray(17, 49)), hex(bytesOf(GAME)), "the domain is the program id given");
});

test("the builders refuse what the program refuses, with the program's error name", async () => {
  const sessionKey = (await key(9)).address;
  const args = fullArgs();
  const refused = async (patch: Partial<sdk.MessageGrantArgs>, name: string, cluster: sdk.Cluster = "localnet") =>
    assert.rejects(sdk.buildGrantMessage({ args: { ...args, ...patch }, sessionKey, cluster }), (e: unknown) => {
      assert.ok(e instanceof sdk.ScopeError, String(e));
      assert.equal(e.error.name, name);
      assert.equal(e.error.code, sdk.programErrorFromName(name)!.code, "a program error, with its code");
      assert.ok(e.error.code >= 6000);
      return true;
    });
  for (const domain of ["", "a".repeat(65), "game example", "game.example/path", "gäme.example", "game_example"]) await refused({ domain }, "InvalidDomain");
  await sdk.buildGrantMessage({ args: { ...args, domain: "A-z.0:9".padEnd(64, "x") }, sessionKey, cluster: "localnet" });
  for (const label of ["line\nbreak", "tab\t", "caf\u00e9", "\u007f"]) await refused({ label }, "LabelNotPrintable");
  await refused({ label: "x".repeat(33) }, "LabelTooLong");
  await refused({ label: "\n".repeat(33) }, "LabelTooLong"); // the grant rule comes first, as on chain
  await sdk.buildGrantMessage({ args: { ...args, label: " ~".repeat(16) }, sessionKey, cluster: "localnet" });
  await assert.rejects(sdk.buildGrantMessage({ args, sessionKey, cluster: "mainnet" as sdk.Cluster }), /unknown cluster "mainnet"/);
  await assert.rejects(sdk.grantMessageBytes({ args: { ...args, envelope: 2 as sdk.MessageEnvelope }, owner: sessionKey, sessionKey, cluster: "localnet" }), /unknown message envelope 2/);

  // What a message cannot carry.
  const base = sdk.scope(1_800_003_600n).program(sdk.program(GAME));
  assert.throws(() => sdk.messageGrantArgs(base.topUp(1n).build(NOW), { domain: "a", messageNumber: 0, validUntil: NOW + 1n }), /cannot top up/);
  assert.throws(() => sdk.messageGrantArgs(base.delegate(5n).build(NOW), { domain: "a", messageNumber: 0, validUntil: NOW + 1n }), /cannot approve a token delegation/);

  // The deadline, and the grant rules before it.
  const check = (a: sdk.MessageGrantArgs, now: bigint, name: string) =>
    assert.throws(() => sdk.checkMessageGrantArgs(a, now), (e: unknown) => e instanceof sdk.ScopeError && e.error.name === name);
  check(args, 1_800_000_300n, "MessageExpired");
  sdk.checkMessageGrantArgs(args, 1_800_000_299n);
  check({ ...args, expiresAt: NOW }, NOW, "ExpiryInPast");
  check({ ...args, domain: "x y" }, NOW, "InvalidDomain");
});

test("the Ed25519 instruction has exactly the canonical layout, and the parser accepts nothing else", async () => {
  const owner = (await key(7)).address;
  const message = new TextEncoder().encode("hello");
  const signature = new Uint8Array(64).map((_, i) => i);
  const ix = sdk.getEd25519VerifyInstruction({ publicKey: owner, signature, message });
  assert.equal(ix.programAddress, "Ed25519SigVerify111111111111111111111111111");
  assert.equal((ix as { accounts?: unknown[] }).accounts, undefined, "no accounts");
  const data = ix.data as Uint8Array;
  assert.equal(
    hex(data),
    "0100" + "3000ffff" + "1000ffff" + "7000" + "0500" + "ffff" + hex(bytesOf(owner)) + hex(signature) + hex(message),
  );
  assert.equal(data.length, 112 + 5);
  assert.deepEqual(sdk.parseEd25519VerifyInstruction(data), { publicKey: owner, signature, message });

  const bent = (at: number, value: number) => {
    const d = data.slice();
    d[at] = value;
    return sdk.parseEd25519VerifyInstruction(d);
  };
  assert.equal(bent(0, 2), null, "two signatures");
  assert.equal(bent(1, 1), null, "padding");
  assert.equal(bent(4, 0), null, "signature read from instruction 0");
  assert.equal(bent(8, 0), null, "public key read from instruction 0");
  assert.equal(bent(14, 0), null, "message read from instruction 0");
  assert.equal(bent(6, 17), null, "public key offset");
  assert.equal(bent(10, 113), null, "message offset");
  assert.equal(bent(12, 4), null, "message length short of the end");
  assert.equal(sdk.parseEd25519VerifyInstruction(data.slice(0, 111)), null, "truncated");
  assert.throws(() => sdk.getEd25519VerifyInstruction({ publicKey: owner, signature: signature.slice(1), message }), /64 bytes/);
});

test("walletStandardMessageSigner signs through solana:signMessage and refuses a wallet that changes the bytes", async () => {
  const owner = await key(7);
  const { messageWallet } = await import("./fakes");
  const message = new TextEncoder().encode("game.example asks you to grant a session key");
  const honest = messageWallet(owner);
  const signer = sdk.walletStandardMessageSigner(honest.wallet, honest.account);
  const signature = await sdk.signAndVerifyMessage(signer, message);
  assert.equal(signature.length, 64);
  assert.deepEqual(honest.asked, [message], "one prompt, with exactly the message");

  const tampering = messageWallet(owner, { tamper: true });
  await assert.rejects(
    sdk.signAndVerifyMessage(sdk.walletStandardMessageSigner(tampering.wallet, tampering.account), message),
    /signed other bytes than the message/,
  );
  // A signer whose signature does not verify (another key answering for the owner).
  const impostor = await key(8);
  const lying = {
    address: owner.address,
    signMessages: async (ms: Parameters<typeof impostor.signMessages>[0]) =>
      (await impostor.signMessages(ms)).map((d) => ({ [owner.address]: d[impostor.address]! })),
  };
  await assert.rejects(sdk.signAndVerifyMessage(lying, message), /does not verify/);
  const silent = { address: owner.address, signMessages: async () => [{}] };
  await assert.rejects(sdk.signAndVerifyMessage(silent, message), /no signature/);
  assert.throws(() => sdk.walletStandardMessageSigner({ ...honest.wallet, features: {} }, honest.account), /does not support solana:signMessage/);
});
