// Parity with the Rust side, byte for byte: instruction data and account metas built by the Rust
// client, and account bytes written by the real program (sdk/test/golden.json, written by
// tests/tests/runtime/golden.rs and checked there against a fresh run).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountRole,
  address,
  createNoopSigner,
  getBase16Decoder,
  getBase16Encoder,
  type Address,
  type Instruction,
} from "@solana/kit";
import * as sdk from "../src/index";
import { golden } from "./fixtures";

const hex = (b: Uint8Array | { length: number }) => getBase16Decoder().decode(b as Uint8Array);
const unhex = (s: string) => new Uint8Array(getBase16Encoder().encode(s));
const owner = address(golden.owner);
const sessionKey = address(golden.sessionKey);
const signer = (a: string) => createNoopSigner(address(a));

type Key = { pubkey: string; isSigner: boolean; isWritable: boolean };
type Vector = { name: string; programId: string; keys: Key[]; data: string; inputs: Record<string, any> };

const isSigner = (r: AccountRole) => r === AccountRole.READONLY_SIGNER || r === AccountRole.WRITABLE_SIGNER;
const isWritable = (r: AccountRole) => r === AccountRole.WRITABLE || r === AccountRole.WRITABLE_SIGNER;

function assertIx(ix: Instruction, v: Vector) {
  assert.equal(ix.programAddress, v.programId, `${v.name}: program`);
  assert.deepEqual(
    (ix.accounts ?? []).map((k) => ({ pubkey: k.address as string, isSigner: isSigner(k.role), isWritable: isWritable(k.role) })),
    v.keys,
    `${v.name}: account metas`,
  );
  assert.equal(hex(ix.data ?? new Uint8Array()), v.data, `${v.name}: data`);
}

function vector(name: string): Vector {
  const v = golden.instructions.find((i: { name: string }) => i.name === name);
  assert.ok(v, `golden vector ${name}`);
  return v as Vector;
}

/** Instructions whose golden vectors are tested below when test/golden.json has them (the Rust side adds them). */
const GUARDRAIL_VECTORS = ["setBudget", "removeBudget", "previewTransferSol", "previewTransferToken", "previewExecute"];

test("every golden instruction has a parity test below", () => {
  const names: string[] = golden.instructions.map((i: { name: string }) => i.name);
  const covered = [
    "createSession",
    "createSessionFromMessage",
    "transferToken",
    "transferSol",
    "execute",
    "revokeSession",
    "revokeAllSessions",
    "closeSession",
    "depositSol",
    "withdrawSol",
    "withdrawToken",
    "closeVaultTokenAccount",
  ];
  assert.deepEqual(names.filter((n) => !GUARDRAIL_VECTORS.includes(n)).sort(), [...covered].sort());
});

test("program id and PDAs match the Rust client", async () => {
  assert.equal(sdk.SESSION_KEYS_PROGRAM_ADDRESS, golden.programId);
  const [session, bump] = await sdk.findSessionPda({ owner, sessionKey });
  assert.equal(session, golden.pdas.session);
  assert.equal(bump, golden.pdas.sessionBump);
  const a = await sdk.sessionAddresses(owner, sessionKey);
  const [budget] = await sdk.findBudgetPda({ owner });
  assert.deepEqual(a, { session: golden.pdas.session, wallet: golden.pdas.wallet, vault: golden.pdas.vault, budget });
  if (golden.pdas.budget !== undefined) assert.equal(budget, golden.pdas.budget);
  assert.equal((await sdk.findVaultPda({ owner }))[1], golden.pdas.vaultBump);
});

test("the session-signed gate passes the owner's budget PDA fifth, writable, on every golden vector", async () => {
  const [budget] = await sdk.findBudgetPda({ owner });
  for (const name of ["transferToken", "transferSol", "execute"]) {
    const k = vector(name).keys[4]!;
    assert.deepEqual(k, { pubkey: budget, isSigner: false, isWritable: true }, name);
  }
});

test("budget and preview instructions encode byte for byte (when golden.json has them)", async (t) => {
  const present = GUARDRAIL_VECTORS.filter((n) => golden.instructions.some((i: { name: string }) => i.name === n));
  if (present.length === 0) return t.skip("test/golden.json has no budget or preview vectors yet");
  const own = signer(golden.owner);
  const amount = (x: string | number | null | undefined) => (x === null || x === undefined ? undefined : BigInt(x));
  const ref = (x: string | null | undefined) => (x ? unhex(x) : null);
  for (const name of present) {
    const v = vector(name);
    const i = v.inputs;
    if (name === "setBudget") {
      const caps: sdk.BudgetCaps = {};
      if (i.lifetime !== null && i.lifetime !== undefined) caps.lifetime = BigInt(i.lifetime);
      if (i.window) caps.window = { seconds: i.window.seconds, cap: BigInt(i.window.cap) };
      assertIx(await sdk.setBudgetInstruction({ owner: own, asset: address(i.asset), caps }), v);
    } else if (name === "removeBudget") {
      assertIx(await sdk.removeBudgetInstruction({ owner: own, asset: address(i.asset) }), v);
    } else if (name === "previewTransferSol") {
      const action = { kind: "transferSol" as const, destination: address(i.destination), amount: amount(i.amount)!, reference: ref(i.reference) };
      assertIx(await sdk.previewInstruction({ owner, sessionKey, action }), v);
    } else if (name === "previewTransferToken") {
      const action = {
        kind: "transferToken" as const,
        from: address(i.from),
        mint: address(i.mint),
        to: address(i.to),
        tokenProgram: address(i.tokenProgram),
        amount: amount(i.amount)!,
        reference: ref(i.reference),
      };
      assertIx(await sdk.previewInstruction({ owner, sessionKey, action }), v);
    } else if (name === "previewExecute") {
      const inner = i.inner as Vector;
      const role = (k: Key) =>
        k.isSigner ? (k.isWritable ? AccountRole.WRITABLE_SIGNER : AccountRole.READONLY_SIGNER) : k.isWritable ? AccountRole.WRITABLE : AccountRole.READONLY;
      const call: Instruction = { programAddress: address(inner.programId), accounts: inner.keys.map((k) => ({ address: address(k.pubkey), role: role(k) })), data: unhex(inner.data) };
      assertIx(await sdk.previewInstruction({ owner, sessionKey, action: { kind: "execute", calls: [call], reference: ref(i.reference) } }), v);
    }
  }
});

test("create_session from the scope builder encodes byte for byte", async () => {
  const v = vector("createSession");
  const i = v.inputs;
  const caps = (c: { lifetime: string; perInstruction?: string; window?: { seconds: number; cap: string } }) => {
    let b = sdk.caps(BigInt(c.lifetime));
    if (c.perInstruction !== undefined) b = b.perInstruction(BigInt(c.perInstruction));
    if (c.window) b = b.window(c.window.seconds, BigInt(c.window.cap));
    return b;
  };
  let s = sdk.scope(i.expiresAt).maxUses(i.maxUses).sol(caps(i.sol)).label(i.label).topUp(BigInt(i.topUpLamports));
  for (const m of i.mints) s = s.mint(address(m.mint), caps(m.caps));
  for (const d of i.destinations) s = s.destination(address(d));
  for (const p of i.programs) {
    let prog = sdk.program(address(p.programId));
    for (const r of p.instructions) {
      let rule = sdk.instruction(unhex(r.discriminator));
      for (const a of r.argsU64Le ?? []) rule = rule.argU64(a.offset, "le", BigInt(a.value));
      for (const a of r.accounts ?? []) rule = rule.account(a.index, a.keys.map((k: string) => address(k)));
      prog = prog.instruction(rule);
    }
    s = s.program(prog);
  }
  const now = BigInt(golden.accounts.session.expected.createdAt);
  const ix = await sdk.createSessionInstruction({ owner: signer(golden.owner), sessionKey, args: s.build(now) });
  assertIx(ix, v);
});

test("create_session_from_message encodes byte for byte, and its arguments round-trip", async () => {
  const v = vector("createSessionFromMessage");
  const args = sdk.getMessageGrantArgsDecoder().decode(unhex(v.inputs.argsData));
  assert.equal(hex(sdk.getMessageGrantArgsEncoder().encode(args)), v.inputs.argsData);
  assert.equal(args.domain, "game.example");
  assert.equal(args.label, "Golden game");
  assert.equal(args.envelope, sdk.MessageEnvelope.Offchain);
  const ix = await sdk.createSessionFromMessageInstruction({ sponsor: signer(v.inputs.sponsor), sessionKey: signer(golden.sessionKey), owner, args });
  assertIx(ix, v);
  const parsed = sdk.getCreateSessionFromMessageInstructionDataDecoder().decode(unhex(v.data));
  assert.equal(parsed.messageNumber, args.messageNumber);
});

test("grant messages: the body and both envelopes are the program's bytes", async () => {
  const messages = golden.messages as {
    name: string;
    argsData: string;
    owner: string;
    sessionKey: string;
    programId: string;
    cluster: sdk.Cluster;
    text: string;
    textEnvelope: string;
    offchainEnvelope: string;
    signature: string;
    ed25519Data: string;
    ed25519ProgramId: string;
  }[];
  assert.deepEqual(messages.map((m) => m.name), ["full", "minimal"]);
  for (const m of messages) {
    const args = sdk.getMessageGrantArgsDecoder().decode(unhex(m.argsData));
    const input = { args, owner: address(m.owner), sessionKey: address(m.sessionKey), programId: address(m.programId), cluster: m.cluster };
    assert.equal(await sdk.buildGrantMessage(input), m.text, `${m.name}: text`);
    const text = await sdk.grantMessageBytes({ ...input, args: { ...args, envelope: sdk.MessageEnvelope.Text } });
    assert.equal(hex(text), m.textEnvelope, `${m.name}: Text envelope`);
    const offchain = await sdk.grantMessageBytes({ ...input, args: { ...args, envelope: sdk.MessageEnvelope.Offchain } });
    assert.equal(hex(offchain), m.offchainEnvelope, `${m.name}: Offchain envelope`);
    // The Ed25519 instruction the Rust client builds (solana_ed25519_program's layout) for the
    // owner's signature over the Text envelope, byte for byte.
    const ed = sdk.getEd25519VerifyInstruction({ publicKey: address(m.owner), signature: unhex(m.signature), message: text });
    assert.equal(ed.programAddress, m.ed25519ProgramId, `${m.name}: Ed25519 program`);
    assert.equal(hex(ed.data ?? new Uint8Array()), m.ed25519Data, `${m.name}: Ed25519 data`);
    assert.deepEqual(ed.accounts ?? [], [], `${m.name}: Ed25519 accounts`);
  }
  // The full message exercises every line kind but destinations, which the minimal one has.
  const full = messages[0]!.text;
  for (const line of ["\nSOL: ", "\nToken ", "\nCall ", "\nRules hash: ", "\nLabel: ", ", session key co-signs"]) assert.ok(full.includes(line), line);
  assert.ok(messages[1]!.text.includes("\nSend to: "));
  assert.ok(messages[1]!.text.includes("Uses: unlimited"));
});

test("transfer_token, transfer_sol and every owner instruction encode byte for byte", async () => {
  const key = signer(golden.sessionKey);
  const own = signer(golden.owner);
  const pdas = await sdk.sessionAddresses(owner, sessionKey);
  let v = vector("transferToken");
  let i = v.inputs;
  assertIx(
    await sdk.transferTokenInstruction({
      sessionKey: key,
      owner,
      from: address(i.from),
      mint: address(i.mint),
      to: address(i.to),
      tokenProgram: address(i.tokenProgram),
      amount: BigInt(i.amount),
      decimals: i.decimals,
    }),
    v,
  );
  v = vector("transferSol");
  assertIx(await sdk.transferSolInstruction({ sessionKey: key, owner, destination: address(v.inputs.destination), amount: BigInt(v.inputs.amount) }), v);
  v = vector("revokeSession");
  assertIx(
    await sdk.revokeSessionInstruction({ authority: signer(v.inputs.authority), owner, sessionKey, rentPayer: address(v.inputs.rentPayer) }),
    v,
  );
  v = vector("revokeAllSessions");
  const delegations = (v.inputs.delegations as { tokenAccount: string; tokenProgram: string }[]).map((d) => ({
    tokenAccount: address(d.tokenAccount),
    tokenProgram: address(d.tokenProgram),
  }));
  assert.equal(delegations.length, 2);
  assertIx(await sdk.revokeAllSessionsInstruction({ owner: own, delegations }), v);
  v = vector("closeSession");
  assertIx(sdk.getCloseSessionInstruction({ session: pdas.session, wallet: pdas.wallet, payer: address(v.inputs.rentPayer) }), v);
  v = vector("depositSol");
  assertIx(await sdk.getDepositSolInstructionAsync({ owner: own, amount: BigInt(v.inputs.amount) }), v);
  v = vector("withdrawSol");
  assertIx(
    sdk.getWithdrawSolInstruction({ owner: own, wallet: pdas.wallet, vault: pdas.vault, destination: address(v.inputs.destination), amount: 77n }),
    v,
  );
  v = vector("withdrawToken");
  i = v.inputs;
  assertIx(
    sdk.getWithdrawTokenInstruction({
      owner: own,
      wallet: pdas.wallet,
      vault: pdas.vault,
      from: address(i.from),
      mint: address(i.mint),
      to: address(i.to),
      tokenProgram: address(i.tokenProgram),
      amount: BigInt(i.amount),
      decimals: i.decimals,
    }),
    v,
  );
  v = vector("closeVaultTokenAccount");
  i = v.inputs;
  assertIx(
    sdk.getCloseVaultTokenAccountInstruction({
      owner: own,
      wallet: pdas.wallet,
      vault: pdas.vault,
      tokenAccount: address(i.tokenAccount),
      destination: address(i.destination),
      tokenProgram: address(i.tokenProgram),
    }),
    v,
  );
});

test("execute flattens the inner call (vault signer flag dropped) byte for byte", async () => {
  const v = vector("execute");
  const inner = v.inputs.inner as Vector;
  const role = (k: Key) =>
    k.isSigner ? (k.isWritable ? AccountRole.WRITABLE_SIGNER : AccountRole.READONLY_SIGNER) : k.isWritable ? AccountRole.WRITABLE : AccountRole.READONLY;
  const call: Instruction = {
    programAddress: address(inner.programId),
    accounts: inner.keys.map((k) => ({ address: address(k.pubkey), role: role(k) })),
    data: unhex(inner.data),
  };
  assertIx(await sdk.executeInstruction({ sessionKey: signer(golden.sessionKey), owner, calls: [call] }), v);
});

test("the generated parsers read every golden instruction back", () => {
  for (const v of golden.instructions as Vector[]) {
    const data = unhex(v.data);
    const kind = sdk.identifySessionKeysInstruction({ data });
    // The preview vectors are one instruction (`preview`) with three actions.
    const name = v.name.startsWith("preview") ? "preview" : v.name;
    assert.equal(sdk.SessionKeysInstruction[kind], name.charAt(0).toUpperCase() + name.slice(1), v.name);
  }
  const create = vector("createSession");
  const parsed = sdk.getCreateSessionInstructionDataDecoder().decode(unhex(create.data));
  assert.equal(parsed.expiresAt, BigInt(create.inputs.expiresAt));
  assert.equal(parsed.label, "golden");
  assert.equal(hex(sdk.getCreateSessionInstructionDataEncoder().encode(parsed)), create.data);
});

test("session and wallet accounts decode, and re-encode to the same bytes", async () => {
  const raw = unhex(golden.accounts.session.data);
  const s = sdk.getSessionDecoder().decode(raw);
  const e = golden.accounts.session.expected;
  assert.equal(s.version, e.version);
  assert.equal(s.bump, e.bump);
  assert.equal(s.owner, e.owner);
  assert.equal(s.sessionKey, e.sessionKey);
  assert.equal(s.payer, e.payer);
  assert.equal(s.createdAt, BigInt(e.createdAt));
  assert.equal(s.expiresAt, BigInt(e.expiresAt));
  assert.equal(s.nonce, BigInt(e.nonce));
  assert.equal(s.maxUses, e.maxUses);
  assert.equal(s.uses, e.uses);
  assert.equal(s.label, e.label);
  assert.equal(s.sol.__option, "Some");
  if (s.sol.__option === "Some") {
    assert.equal(s.sol.value.lifetimeCap, BigInt(e.solLifetimeCap));
    assert.equal(s.sol.value.windowStart, BigInt(e.solWindowStart));
  }
  assert.equal(s.mints[0]!.mint, e.mint);
  assert.equal(s.mints[0]!.allowance.windowCap, BigInt(e.mintWindowCap));
  assert.deepEqual(s.destinations, e.destinations);
  assert.equal(s.programs[0]!.programId, e.programId);
  assert.equal(s.programs[0]!.instructions.length, e.ruleCount);
  assert.equal(s.usesWindow.__option, "None", "no rate limit");
  assert.deepEqual(s.references, { capacity: 0, next: 0, entries: [] }, "no reference history");
  assert.equal(hex(sdk.getSessionEncoder().encode(s)), golden.accounts.session.data);
  assert.equal(sdk.identifySessionKeysAccount(raw), sdk.SessionKeysAccount.Session);

  const wraw = unhex(golden.accounts.wallet.data);
  const w = sdk.getWalletDecoder().decode(wraw);
  const we = golden.accounts.wallet.expected;
  assert.equal(w.owner, we.owner);
  assert.equal(w.nonce, BigInt(we.nonce));
  assert.equal(w.bump, we.bump);
  assert.equal(w.vaultBump, we.vaultBump);
  assert.equal(w.messageCounter, BigInt(we.messageCounter));
  assert.equal(w.budgetBump, (await sdk.findBudgetPda({ owner }))[1], "the wallet stores the budget PDA's bump");
  assert.equal(wraw.length, 60);
  assert.equal(hex(sdk.getWalletEncoder().encode(w)), golden.accounts.wallet.data);
  assert.equal(sdk.identifySessionKeysAccount(wraw), sdk.SessionKeysAccount.Wallet);
});

test("the listing filters match the real account's bytes", () => {
  const data = golden.accounts.session.data as string;
  const [disc, own] = sdk.sessionFilters(owner);
  assert.equal(disc!.memcmp.offset, 0n);
  assert.equal(own!.memcmp.offset, 10n);
  assert.equal(own!.memcmp.bytes, golden.owner);
  assert.equal(data.slice(0, 16), hex(sdk.SESSION_DISCRIMINATOR));
  assert.equal(data.slice(20, 84), hex(sdk.addressBytes(owner as Address)));
});
