// SDK tests against golden vectors written by the Rust runtime tests
// (tests/tests/runtime/golden.rs): instruction bytes and real account bytes, byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BN } from "@anchor-lang/core";
import { PublicKey, TransactionInstruction } from "@solana/web3.js";
import * as sdk from "../src";

const golden = JSON.parse(readFileSync(join(__dirname, "..", "..", "test", "golden.json"), "utf8"));
const pk = (s: string) => new PublicKey(s);
const owner = pk(golden.owner);
const sessionKey = pk(golden.sessionKey);
const hex = (b: Buffer | Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => Buffer.from(s, "hex");

type Key = { pubkey: string; isSigner: boolean; isWritable: boolean };
function assertIx(ix: TransactionInstruction, vector: { programId: string; keys: Key[]; data: string }) {
  assert.equal(ix.programId.toBase58(), vector.programId);
  assert.deepEqual(
    ix.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
    vector.keys,
  );
  assert.equal(hex(ix.data), vector.data);
}

function vector(name: string) {
  const v = golden.instructions.find((i: { name: string }) => i.name === name);
  assert.ok(v, `golden vector ${name}`);
  return v;
}

function toIx(v: { programId: string; keys: Key[]; data: string }) {
  return new TransactionInstruction({
    programId: pk(v.programId),
    keys: v.keys.map((k) => ({ pubkey: pk(k.pubkey), isSigner: k.isSigner, isWritable: k.isWritable })),
    data: unhex(v.data),
  });
}

test("program id and PDAs match the Rust client", () => {
  assert.equal(sdk.PROGRAM_ID.toBase58(), golden.programId);
  const [session, bump] = sdk.sessionPda(owner, sessionKey);
  assert.equal(session.toBase58(), golden.pdas.session);
  assert.equal(bump, golden.pdas.sessionBump);
  assert.equal(sdk.walletPda(owner)[0].toBase58(), golden.pdas.wallet);
  const [vault, vaultBump] = sdk.vaultPda(owner);
  assert.equal(vault.toBase58(), golden.pdas.vault);
  assert.equal(vaultBump, golden.pdas.vaultBump);
});

test("create_session encodes byte for byte", () => {
  const v = vector("createSession");
  const i = v.inputs;
  const caps = (c: { lifetime: string; perInstruction?: string; window?: { seconds: number; cap: string } }) => ({
    lifetime: BigInt(c.lifetime),
    perInstruction: c.perInstruction === undefined ? undefined : BigInt(c.perInstruction),
    window: c.window,
  });
  const ix = sdk.createSession({
    owner,
    sessionKey,
    scope: {
      expiresAt: i.expiresAt,
      maxUses: i.maxUses,
      sol: caps(i.sol),
      mints: i.mints.map((m: { mint: string; caps: never }) => ({ mint: pk(m.mint), caps: caps(m.caps) })),
      destinations: i.destinations.map(pk),
      programs: i.programs.map((p: { programId: string; instructions: never[] }) => ({
        programId: pk(p.programId),
        instructions: p.instructions.map(
          (r: { discriminator: string; argsU64Le?: { offset: number; value: string }[]; accounts?: { index: number; keys: string[] }[] }) => ({
            discriminator: unhex(r.discriminator),
            args: (r.argsU64Le ?? []).map((a) => sdk.argU64(a.offset, "le", a.value)),
            accounts: (r.accounts ?? []).map((a) => ({ index: a.index, keys: a.keys.map(pk) })),
          }),
        ),
      })),
      label: i.label,
      topUpLamports: i.topUpLamports,
    },
  });
  assertIx(ix, v);
});

test("transfer_token, transfer_sol and every owner instruction encode byte for byte", () => {
  let v = vector("transferToken");
  assertIx(
    sdk.transferToken({
      sessionKey,
      owner,
      from: pk(v.inputs.from),
      mint: pk(v.inputs.mint),
      to: pk(v.inputs.to),
      tokenProgram: pk(v.inputs.tokenProgram),
      amount: v.inputs.amount,
      decimals: v.inputs.decimals,
    }),
    v,
  );
  v = vector("transferSol");
  assertIx(sdk.transferSol({ sessionKey, owner, destination: pk(v.inputs.destination), amount: BigInt(v.inputs.amount) }), v);
  v = vector("revokeSession");
  assertIx(sdk.revokeSession({ authority: pk(v.inputs.authority), owner, sessionKey, rentPayer: pk(v.inputs.rentPayer) }), v);
  assertIx(sdk.revokeAllSessions({ owner }), vector("revokeAllSessions"));
  v = vector("closeSession");
  assertIx(sdk.closeSession({ owner, sessionKey, rentPayer: pk(v.inputs.rentPayer) }), v);
  v = vector("depositSol");
  assertIx(sdk.depositSol({ owner, amount: new BN(v.inputs.amount) }), v);
  v = vector("withdrawSol");
  assertIx(sdk.withdrawSol({ owner, destination: pk(v.inputs.destination), amount: 77 }), v);
  v = vector("withdrawToken");
  assertIx(
    sdk.withdrawToken({
      owner,
      from: pk(v.inputs.from),
      mint: pk(v.inputs.mint),
      to: pk(v.inputs.to),
      tokenProgram: pk(v.inputs.tokenProgram),
      amount: v.inputs.amount,
      decimals: v.inputs.decimals,
    }),
    v,
  );
  v = vector("closeVaultTokenAccount");
  assertIx(
    sdk.closeVaultTokenAccount({
      owner,
      tokenAccount: pk(v.inputs.tokenAccount),
      destination: pk(v.inputs.destination),
      tokenProgram: pk(v.inputs.tokenProgram),
    }),
    v,
  );
});

test("execute flattens inner calls byte for byte", () => {
  const v = vector("execute");
  assertIx(sdk.execute({ sessionKey, owner, calls: [toIx(v.inputs.inner)] }), v);
});

test("session and wallet accounts decode, and re-encode to the same bytes", async () => {
  const raw = unhex(golden.accounts.session.data);
  const s = sdk.decodeSession(raw);
  const e = golden.accounts.session.expected;
  assert.equal(s.version, e.version);
  assert.equal(s.bump, e.bump);
  assert.equal(s.owner.toBase58(), e.owner);
  assert.equal(s.sessionKey.toBase58(), e.sessionKey);
  assert.equal(s.payer.toBase58(), e.payer);
  assert.equal(s.createdAt.toNumber(), e.createdAt);
  assert.equal(s.expiresAt.toNumber(), e.expiresAt);
  assert.equal(s.nonce.toString(), e.nonce);
  assert.equal(s.maxUses, e.maxUses);
  assert.equal(s.uses, e.uses);
  assert.equal(s.label, e.label);
  assert.equal(s.sol!.lifetimeCap.toString(), e.solLifetimeCap);
  assert.equal(s.sol!.windowStart.toNumber(), e.solWindowStart);
  assert.equal(s.mints[0].mint.toBase58(), e.mint);
  assert.equal(s.mints[0].allowance.windowCap.toString(), e.mintWindowCap);
  assert.deepEqual(s.destinations.map((d) => d.toBase58()), e.destinations);
  assert.equal((s.programs[0] as { programId: PublicKey }).programId.toBase58(), e.programId);
  assert.equal((s.programs[0] as { instructions: unknown[] }).instructions.length, e.ruleCount);
  assert.equal(hex(await sdk.coder.accounts.encode("session", s)), golden.accounts.session.data);

  const wraw = unhex(golden.accounts.wallet.data);
  const w = sdk.decodeWallet(wraw);
  const we = golden.accounts.wallet.expected;
  assert.equal(w.owner.toBase58(), we.owner);
  assert.equal(w.nonce.toString(), we.nonce);
  assert.equal(w.bump, we.bump);
  assert.equal(w.vaultBump, we.vaultBump);
  assert.equal(hex(await sdk.coder.accounts.encode("wallet", w)), golden.accounts.wallet.data);

  assert.throws(() => sdk.decodeSession(wraw), "a wallet is not a session");
});

test("errors decode from codes and from logs", () => {
  assert.deepEqual(sdk.errorFromCode(6016), {
    code: 6016,
    name: "WindowCapExceeded",
    msg: "Amount is above what is left in the current spending window: wait for the next window",
  });
  assert.equal(sdk.errorFromCode(6000)!.name, "SessionExpired");
  assert.equal(sdk.errorFromCode(5999), null);
  const logs = [`Program ${golden.programId} invoke [1]`, `Program ${golden.programId} failed: custom program error: 0x1770`];
  assert.equal(sdk.errorFromLogs(logs)!.name, "SessionExpired");
  assert.equal(sdk.errorFromLogs(["Program log: hello"]), null);
});

test("wallet adapters: filters, status and remaining allowance", () => {
  const s = sdk.decodeSession(unhex(golden.accounts.session.data));
  const w = sdk.decodeWallet(unhex(golden.accounts.wallet.data));
  const filters = sdk.sessionFilters(owner);
  assert.deepEqual(filters[1], { memcmp: { offset: 10, bytes: owner.toBase58() } });
  // The discriminator filter matches the real account's first 8 bytes.
  const disc = (filters[0] as { memcmp: { bytes: string } }).memcmp.bytes;
  assert.equal(hex(Buffer.from(require("@anchor-lang/core").utils.bytes.bs58.decode(disc))), golden.accounts.session.data.slice(0, 16));
  // The owner filter matches the bytes at offset 10.
  assert.equal(golden.accounts.session.data.slice(20, 84), hex(owner.toBuffer()));

  const expires = s.expiresAt.toNumber();
  assert.equal(sdk.status(s, w, expires - 1), "active");
  assert.equal(sdk.status(s, w, expires), "expired");
  const bumped = { ...w, nonce: w.nonce.addn(1) };
  assert.equal(sdk.status(s, bumped, expires - 1), "revoked");
  const sorted = sdk.classifySessions([{ account: s }, { account: { ...s, expiresAt: new BN(0) } }], w, expires - 1);
  assert.equal(sorted.active.length, 1);
  assert.equal(sorted.expired.length, 1);
  assert.equal(sorted.revoked.length, 0);

  // Mint: 50 tokens lifetime, 10 per 60 s window; 4 spent in the window starting at 1_800_000_000.
  const a = { ...s.mints[0].allowance, spent: new BN(4_000_000), windowSpent: new BN(4_000_000) };
  const now = s.createdAt.toNumber();
  let r = sdk.remaining(a, now + 59);
  assert.equal(r.lifetime.toString(), "46000000");
  assert.equal(r.window!.toString(), "6000000");
  assert.equal(r.perInstruction, null);
  assert.equal(r.available.toString(), "6000000");
  r = sdk.remaining(a, now + 60);
  assert.equal(r.window!.toString(), "10000000", "the window resets on its boundary");
  // SOL: per-tx cap 0.1 SOL binds first.
  r = sdk.remaining(s.sol!, now);
  assert.equal(r.perInstruction!.toString(), "100000000");
  assert.equal(r.available.toString(), "100000000");
});
