// Allowance maths, scope refusals and events against what the Rust side computes
// (sdk/test/golden-policy.json, written and checked by tests/tests/runtime/golden.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { getBase16Decoder, getBase16Encoder, getBase64Decoder, type Address } from "@solana/kit";
import * as sdk from "../src/index";
import policy from "./golden-policy.json";

const unhex = (s: string) => new Uint8Array(getBase16Encoder().encode(s));
const hex = (b: Uint8Array) => getBase16Decoder().decode(b);

type A = { lifetimeCap: string; spent: string; perInstructionCap: string; windowSecs: number; windowCap: string; windowStart: string; windowSpent: string };
const allowance = (a: A): sdk.Allowance => ({
  lifetimeCap: BigInt(a.lifetimeCap),
  spent: BigInt(a.spent),
  perInstructionCap: BigInt(a.perInstructionCap),
  windowSecs: a.windowSecs,
  windowCap: BigInt(a.windowCap),
  windowStart: BigInt(a.windowStart),
  windowSpent: BigInt(a.windowSpent),
});
const U64_MAX = (1n << 64n) - 1n;

test("allowance maths matches the program on every golden step", () => {
  const steps = policy.allowance as {
    before: A;
    now: string;
    amount: string;
    available: string;
    lifetimeRemaining: string;
    windowRemaining: string;
    windowSpentAt: string;
    result: { ok?: A; error?: number };
  }[];
  assert.ok(steps.length >= 300, "hundreds of steps");
  let oks = 0;
  const errors = new Set<string>();
  steps.forEach((s, i) => {
    const a = allowance(s.before);
    const now = BigInt(s.now);
    const where = `step ${i}: ${JSON.stringify(s)}`;
    assert.equal(sdk.available(a, now), BigInt(s.available), where);
    assert.equal(sdk.lifetimeRemaining(a), BigInt(s.lifetimeRemaining), where);
    assert.equal(sdk.windowRemaining(a, now) ?? U64_MAX, BigInt(s.windowRemaining), where);
    assert.equal(sdk.windowSpentAt(a, now), BigInt(s.windowSpentAt), where);
    const r = sdk.charged(a, BigInt(s.amount), now);
    if (s.result.ok) {
      assert.ok(r.ok, where);
      if (r.ok) assert.deepEqual(r.next, allowance(s.result.ok), where);
      oks++;
    } else {
      assert.ok(!r.ok, where);
      if (!r.ok) assert.equal(r.error.code, s.result.error, where);
      if (!r.ok) errors.add(r.error.name);
    }
  });
  // The walk reaches every outcome.
  assert.ok(oks > 50);
  assert.equal(errors.size, 4, [...errors].join());
});

test("remaining() reports what a UI shows", () => {
  const a = allowance({ lifetimeCap: "50", spent: "4", perInstructionCap: U64_MAX.toString(), windowSecs: 60, windowCap: "10", windowStart: "120", windowSpent: "4" });
  assert.deepEqual(sdk.remaining(a, 179n), { lifetime: 46n, window: 6n, perInstruction: null, available: 6n });
  assert.deepEqual(sdk.remaining(a, 180n), { lifetime: 46n, window: 10n, perInstruction: null, available: 10n });
  assert.equal(sdk.windowStart(-7n, 60), -60n, "windows align below zero too");
});

test("the scope check gives the program's verdict on every golden scope", () => {
  const decoder = sdk.getCreateSessionInstructionDataDecoder();
  const cases = policy.scopes as { name: string; now: string; data: string; error: number | null }[];
  assert.ok(cases.length >= 45);
  for (const c of cases) {
    const args = decoder.decode(unhex(c.data));
    let got: number | null = null;
    try {
      sdk.checkCreateSessionArgs(args, BigInt(c.now));
    } catch (e) {
      assert.ok(e instanceof sdk.ScopeError, `${c.name}: ${e}`);
      got = e.error.code;
    }
    assert.equal(got, c.error, `${c.name}: expected ${c.error === null ? "ok" : sdk.programErrorFromCode(c.error)?.name}`);
  }
});

test("sessionSpace gives the program's session size on every golden grant", () => {
  // Written by the Rust side from `state/session.rs`, the one home of the size rule.
  const cases = (policy as { sessionSpace?: { name: string; data: string; space: number }[] }).sessionSpace;
  assert.ok(Array.isArray(cases) && cases.length > 0, "golden-policy.json has `sessionSpace` cases");
  const decoder = sdk.getCreateSessionInstructionDataDecoder();
  for (const c of cases) assert.equal(sdk.sessionSpace(decoder.decode(unhex(c.data))), c.space, c.name);
});

test("the scope builder refuses before anything is signed", () => {
  const now = 1_800_000_000n;
  const game = "EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ" as Address;
  const ok = () => sdk.scope(now + 60n).program(sdk.program(game));
  const refused = (f: () => unknown, name: string) =>
    assert.throws(f, (e: unknown) => e instanceof sdk.ScopeError && e.error.name === name, name);
  assert.equal(ok().build(now).programs.length, 1);
  refused(() => sdk.scope(now).program(sdk.program(game)).build(now), "ExpiryInPast");
  refused(() => sdk.scope(now + 60n).build(now), "EmptyScope");
  refused(() => ok().program(sdk.program(game)).build(now), "DuplicateProgram");
  refused(() => ok().program(sdk.program("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address)).build(now), "RefusedTarget");
  refused(() => ok().sol(sdk.caps(1n).perInstruction(0n)).build(now), "ZeroCap");
  refused(() => ok().sol(sdk.caps(1n).window(60, 0n)).build(now), "InvalidWindow");
  refused(() => ok().label("x".repeat(33)).build(now), "LabelTooLong");
  refused(() => sdk.scope(now + 60n).program(sdk.program(game).instruction(sdk.instruction(new Uint8Array(9)))).build(now), "InvalidScopeRule");
  const bytesLt = sdk.instruction(Uint8Array.of(1)).arg(8, sdk.ArgKind.Bytes, "lt", Uint8Array.of(1));
  refused(() => sdk.scope(now + 60n).program(sdk.program(game).instruction(bytesLt)).build(now), "InvalidScopeRule");
  // The SDK gives the message the program would give.
  try {
    ok().maxUses(0).build(now);
    assert.fail("max uses 0 accepted");
  } catch (e) {
    assert.match(String(e), /ZeroCap: A cap of zero grants nothing/);
  }
});

test("every event decodes from a \"Program data:\" log line to the Rust side's fields", () => {
  const events = policy.events as { name: string; data: string; fields: Record<string, unknown> }[];
  assert.deepEqual(events.map((e) => e.name).sort(), Object.keys(sdk.EVENT_DECODERS).sort(), "every event of the IDL has a vector");
  const b64 = getBase64Decoder();
  const id = sdk.SESSION_KEYS_PROGRAM_ADDRESS;
  const other = "EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ";
  for (const e of events) {
    const line = `Program data: ${b64.decode(unhex(e.data))}`;
    const logs = [
      `Program ${id} invoke [1]`,
      "Program log: Instruction: Something",
      `Program ${other} invoke [2]`,
      line, // logged by another program: not ours
      `Program ${other} success`,
      line,
      `Program ${id} consumed 1234 of 200000 compute units`,
      `Program ${id} success`,
      line, // outside any invocation
    ];
    const decoded = sdk.parseEvents(logs);
    assert.equal(decoded.length, 1, e.name);
    assert.equal(decoded[0]!.name, e.name);
    const fields = normalize(decoded[0]!.data) as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.fields)) assert.deepEqual(fields[k], v, `${e.name}.${k}`);
    // Every field, nested grant included: the decoded event re-encodes to the same bytes.
    const encoder = (sdk as unknown as Record<string, () => { encode(v: unknown): Uint8Array }>)[`get${e.name}EventEncoder`]!;
    assert.equal(hex(new Uint8Array(encoder().encode(decoded[0]!.data))), e.data, `${e.name} re-encodes`);
  }
  assert.equal(sdk.decodeEvent(new Uint8Array(16)), null);
});

/** bigint → decimal string, byte arrays → hex: the JSON the Rust side writes. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}
