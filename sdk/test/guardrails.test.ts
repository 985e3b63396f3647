// Guardrails for bots and agents, without a chain: the scope builder's rate limit and reference
// history (arguments, refusals, session size), payment references on the session-signed
// instructions, owner budget builders and maths, the rate limit's maths, the preview's
// instruction and answer, and references in events. The numbers are the program's own (its
// unit tests in policy/limits.rs, policy/budget.rs and the size table of state/session.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountRole,
  address,
  createNoopSigner,
  getBase16Decoder,
  getAddressDecoder,
  getBase64Decoder,
  getU32Encoder,
  type Instruction,
} from "@solana/kit";
import * as sdk from "../src/index";

const hex = (b: Uint8Array | { length: number }) => getBase16Decoder().decode(b as Uint8Array);
const now = 1_800_000_000n;
const owner = address("GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB");
const key = createNoopSigner(address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ"));
const mint = address("So11111111111111111111111111111111111111112");
const refused = (f: () => unknown, name: string) =>
  assert.throws(f, (e: unknown) => e instanceof sdk.ScopeError && e.error.name === name, name);
const U64_MAX = (1n << 64n) - 1n;

test("the scope builder grants a rate limit and a reference history, after the caps' checks", () => {
  const base = sdk.scope(now + 60n).sol(sdk.caps(1000n));
  const args = base.rateLimit(10, 60).referenceHistory(16).build(now);
  assert.deepEqual(args.usesWindow, { uses: 10, seconds: 60 });
  assert.equal(args.referenceHistory, 16);
  assert.equal(base.build(now).usesWindow, null);
  assert.equal(base.build(now).referenceHistory, 0);
  // The instruction data ends with the two new fields: Some(uses, seconds), then the history.
  const data = sdk.getCreateSessionInstructionDataEncoder().encode(args);
  assert.equal(hex(data.slice(-10)), "01" + "0a000000" + "3c000000" + "10");
  // Refused in the program's order: zero rate limits, then a history past the maximum.
  refused(() => base.rateLimit(0, 60).build(now), "InvalidRateLimit");
  refused(() => base.rateLimit(3, 0).build(now), "InvalidRateLimit");
  refused(() => base.referenceHistory(sdk.MAX_REFERENCE_HISTORY + 1).build(now), "ReferenceHistoryTooLong");
  refused(() => base.sol(sdk.caps(0n)).rateLimit(0, 0).build(now), "ZeroCap");
  refused(() => base.rateLimit(0, 60).referenceHistory(99).build(now), "InvalidRateLimit");
});

test("sessionSpace counts the guardrails as the program does", () => {
  const oneMint = sdk.scope(now + 60n).sol(sdk.caps(5n)).mint(mint, sdk.caps(5n));
  // state/session.rs's size table: "1 mint + SOL caps, no label, no guardrails" is 298 bytes.
  assert.equal(sdk.sessionSpace(oneMint.build(now)), 298);
  assert.equal(sdk.limitsSpace(false, 0), 7, "policy::limits_space(false, 0)");
  // A rate limit adds 20 bytes, each remembered reference 33.
  assert.equal(sdk.sessionSpace(oneMint.rateLimit(1, 1).build(now)), 298 + 20);
  assert.equal(sdk.sessionSpace(oneMint.referenceHistory(3).build(now)), 298 + 99);
  assert.equal(sdk.sessionSpace(oneMint.rateLimit(1, 1).referenceHistory(16).build(now)), 298 + 20 + 528);
  // A history can push a grant past the largest session: SessionTooLarge, checked last.
  let big = sdk.scope(now + 60n).sol(sdk.caps(5n)).label("x".repeat(32));
  const fixed = (n: number) => getAddressDecoder().decode(new Uint8Array(32).fill(n));
  for (let i = 0; i < sdk.MAX_MINTS; i++) big = big.mint(fixed(i + 1), sdk.caps(5n));
  for (let i = 0; i < sdk.MAX_DESTINATIONS; i++) big = big.destination(fixed(i + 100));
  const fits = big.build(now);
  assert.ok(sdk.sessionSpace(fits) <= sdk.MAX_SESSION_SPACE);
  const tooBig = big.rateLimit(1, 60).referenceHistory(16);
  assert.ok(sdk.sessionSpace(tooBig.buildUnchecked()) > sdk.MAX_SESSION_SPACE);
  refused(() => tooBig.build(now), "SessionTooLarge");
});

test("payment references are 16 or 32 bytes, checked before anything is signed", async () => {
  for (const len of [0, 1, 15, 17, 31, 33, 64]) {
    refused(() => sdk.checkReference(new Uint8Array(len)), "InvalidReferenceLength");
    await assert.rejects(
      sdk.transferSolInstruction({ sessionKey: key, owner, destination: owner, amount: 1n, reference: new Uint8Array(len) }),
      (e: unknown) => e instanceof sdk.ScopeError && e.error.code === sdk.SESSION_KEYS_ERROR__INVALID_REFERENCE_LENGTH,
    );
  }
  assert.equal(sdk.checkReference(undefined), null);
  const ref = new Uint8Array(16).fill(7);
  const withRef = await sdk.transferSolInstruction({ sessionKey: key, owner, destination: owner, amount: 5n, reference: ref });
  const without = await sdk.transferSolInstruction({ sessionKey: key, owner, destination: owner, amount: 5n });
  // discriminator, amount, then Option<bytes>: 1, u32 length, the bytes; or 0.
  assert.equal(hex(withRef.data.slice(16)), "01" + hex(getU32Encoder().encode(16)) + hex(ref));
  assert.equal(hex(without.data.slice(16)), "00");
  const x = await sdk.executeInstruction({ sessionKey: key, owner, calls: [], reference: new Uint8Array(32) });
  assert.equal(hex(x.data.slice(-37)), "01" + "20000000" + "00".repeat(32));
});

test("every session-signed instruction passes the owner's budget PDA fifth, writable", async () => {
  const { session, wallet, vault, budget } = await sdk.sessionAddresses(owner, key.address);
  assert.equal(budget, (await sdk.findBudgetPda({ owner }))[0]);
  const gate = [
    { address: key.address, role: AccountRole.READONLY_SIGNER },
    { address: session, role: AccountRole.WRITABLE },
    { address: wallet, role: AccountRole.READONLY },
    { address: vault, role: AccountRole.WRITABLE },
    { address: budget, role: AccountRole.WRITABLE },
  ];
  const t = { from: owner, mint, to: owner, tokenProgram: address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA") };
  for (const ix of [
    await sdk.transferSolInstruction({ sessionKey: key, owner, destination: owner, amount: 1n }),
    await sdk.transferTokenInstruction({ sessionKey: key, owner, ...t, amount: 1n, decimals: 6 }),
    await sdk.executeInstruction({ sessionKey: key, owner, calls: [] }),
  ]) {
    assert.deepEqual(
      ix.accounts.slice(0, 5).map((a) => ({ address: a.address, role: a.role })),
      gate,
    );
  }
});

test("set_budget and remove_budget: accounts, data and the program's refusals", async () => {
  const own = createNoopSigner(owner);
  const { wallet, vault, budget } = await sdk.sessionAddresses(owner, key.address);
  const sol = await sdk.setBudgetInstruction({ owner: own, asset: sdk.SOL_ASSET, caps: { lifetime: 100n, window: { seconds: 60, cap: 50n } } });
  assert.deepEqual(
    sol.accounts.map((a) => [a.address, a.role]),
    [
      [owner, AccountRole.WRITABLE_SIGNER],
      [wallet, AccountRole.WRITABLE],
      [vault, AccountRole.READONLY],
      [budget, AccountRole.WRITABLE],
      [sdk.SYSTEM_PROGRAM_ADDRESS, AccountRole.READONLY],
    ],
  );
  const d = sdk.getSetBudgetInstructionDataDecoder().decode(sol.data);
  assert.equal(d.asset, sdk.SOL_ASSET);
  assert.deepEqual(d.lifetime, { __option: "Some", value: 100n });
  assert.deepEqual(d.window, { __option: "Some", value: { seconds: 60, cap: 50n } });
  assert.equal(hex(sol.data.slice(0, 8)), hex(sdk.SET_BUDGET_DISCRIMINATOR));
  // A mint's budget passes the mint as the remaining account, read-only.
  const m = await sdk.setBudgetInstruction({ owner: own, asset: mint, caps: { window: { seconds: 86_400, cap: 7n } } });
  assert.deepEqual(m.accounts[5], { address: mint, role: AccountRole.READONLY });
  assert.deepEqual(sdk.getSetBudgetInstructionDataDecoder().decode(m.data).lifetime, { __option: "None" });
  const r = await sdk.removeBudgetInstruction({ owner: own, asset: mint });
  assert.deepEqual(
    r.accounts.map((a) => [a.address, a.role]),
    [
      [owner, AccountRole.WRITABLE_SIGNER],
      [budget, AccountRole.WRITABLE],
      [sdk.SYSTEM_PROGRAM_ADDRESS, AccountRole.READONLY],
    ],
  );
  assert.equal(sdk.getRemoveBudgetInstructionDataDecoder().decode(r.data).asset, mint);
  // policy/budget.rs `bad_budgets_are_refused_by_name`, same cases, same errors.
  const cases: [sdk.BudgetCaps, string][] = [
    [{}, "InvalidBudget"],
    [{ lifetime: 0n }, "ZeroCap"],
    [{ window: { seconds: 0, cap: 5n } }, "InvalidWindow"],
    [{ window: { seconds: 60, cap: 0n } }, "InvalidWindow"],
    [{ lifetime: 10n, window: { seconds: 60, cap: 11n } }, "InvalidBudget"],
  ];
  for (const [caps, name] of cases) {
    refused(() => sdk.checkBudgetCaps(caps), name);
    await assert.rejects(sdk.setBudgetInstruction({ owner: own, asset: sdk.SOL_ASSET, caps }), (e: unknown) => e instanceof sdk.ScopeError && e.error.name === name);
  }
});

/** An allowance as the program builds it for a budget (`BudgetCapsArgs::allowance`) at `at`. */
function budgetAllowance(lifetime: bigint | null, window: [number, bigint] | null, at: bigint): sdk.Allowance {
  return {
    lifetimeCap: lifetime ?? U64_MAX,
    spent: 0n,
    perInstructionCap: sdk.NO_PER_INSTRUCTION_CAP,
    windowSecs: window?.[0] ?? 0,
    windowCap: window?.[1] ?? 0n,
    windowStart: window ? sdk.windowStart(at, window[0]) : at,
    windowSpent: 0n,
  };
}

test("a spend is charged to the session, then to the owner's budget, whose errors are the owner's", () => {
  const session: sdk.Allowance = { ...budgetAllowance(1000n, null, 0n), perInstructionCap: 500n };
  let budget = budgetAllowance(100n, [60, 50n], 0n);
  // policy/budget.rs `a_changed_budget_keeps_what_was_spent`, through the SDK.
  let r = sdk.chargedWithBudget(session, budget, 30n, 10n);
  assert.ok(r.ok);
  budget = r.budget!;
  assert.equal(budget.spent, 30n);
  const tightened = { ...budget, lifetimeCap: 40n, windowCap: 35n };
  r = sdk.chargedWithBudget(session, tightened, 6n, 30n);
  assert.ok(!r.ok && r.error.name === "OwnerBudgetWindowExceeded");
  r = sdk.chargedWithBudget(session, tightened, 11n, 61n);
  assert.ok(!r.ok && r.error.name === "OwnerBudgetLifetimeExceeded");
  assert.ok(sdk.chargedWithBudget(session, tightened, 10n, 61n).ok);
  // The session's own caps are checked first and keep their names.
  r = sdk.chargedWithBudget(session, tightened, 501n, 61n);
  assert.ok(!r.ok && r.error.name === "PerInstructionCapExceeded");
  r = sdk.chargedWithBudget(session, tightened, 0n, 61n);
  assert.ok(!r.ok && r.error.name === "ZeroAmount");
  // No budget for the asset: only the session is charged.
  r = sdk.chargedWithBudget(session, null, 400n, 61n);
  assert.ok(r.ok && r.budget === null && r.session.spent === 400n);
  // The largest next spend is the tighter of both.
  assert.equal(sdk.largestNextSpend(session, tightened, 30n), 5n);
  assert.equal(sdk.largestNextSpend(session, tightened, 61n), 10n);
  assert.equal(sdk.largestNextSpend(session, null, 61n), 500n);
  assert.equal(sdk.windowReopensAt(tightened, 30n), 60n);
  assert.equal(sdk.windowReopensAt(tightened, 61n), 120n);
  assert.equal(sdk.windowReopensAt(session, 61n), null);
});

test("budget and session views: what a UI shows per asset", () => {
  const budget: sdk.Budget = {
    discriminator: sdk.BUDGET_DISCRIMINATOR,
    version: 1,
    bump: 254,
    owner,
    entries: [
      { asset: sdk.SOL_ASSET, allowance: { ...budgetAllowance(null, [60, 50n], 0n), windowSpent: 20n } },
      { asset: mint, allowance: { ...budgetAllowance(9n, null, 0n), spent: 4n } },
    ],
  };
  const view = sdk.budgetView(budget, 30n);
  assert.deepEqual(view[0], {
    asset: sdk.SOL_ASSET,
    sol: true,
    remaining: { lifetime: U64_MAX, window: 30n, perInstruction: null, available: 30n, lifetimeCap: null, windowReopensAt: 60n },
  });
  assert.deepEqual(view[1]!.remaining, { lifetime: 5n, window: null, perInstruction: null, available: 5n, lifetimeCap: 9n, windowReopensAt: null });
  assert.deepEqual(sdk.budgetView(null, 30n), []);
  assert.equal(sdk.budgetAllowance(budget, mint)?.spent, 4n);
  const session = {
    sol: { __option: "Some" as const, value: { ...budgetAllowance(100n, null, 0n), perInstructionCap: 40n } },
    mints: [{ mint, allowance: budgetAllowance(3n, null, 0n) }],
  } as unknown as sdk.Session;
  const a = sdk.sessionAllowances(session, budget, 30n);
  assert.deepEqual(
    a.map((x) => [x.asset, x.largestNextSpend, x.budget?.available ?? null]),
    [
      [sdk.SOL_ASSET, 30n, 30n],
      [mint, 3n, 5n],
    ],
  );
});

test("the rate limit counts per aligned window, and names when it reopens", () => {
  // policy/limits.rs `a_rate_limit_counts_per_aligned_window`, through the SDK.
  let w: sdk.UsesWindow = { max: 2, seconds: 60, start: sdk.windowStart(100n, 60), used: 0 };
  assert.equal(w.start, 60n);
  for (const at of [100n, 119n]) {
    const r = sdk.rateUsedOnce(w, at);
    assert.ok(r.ok);
    w = r.next;
  }
  const stop = sdk.rateUsedOnce(w, 119n);
  assert.ok(!stop.ok && stop.error.code === sdk.SESSION_KEYS_ERROR__RATE_LIMITED && stop.reopensAt === 120n);
  assert.equal(sdk.rateReopensAt(w, 119n), 120n);
  assert.equal(sdk.rateRemaining(w, 119n), 0);
  const next = sdk.rateUsedOnce(w, 120n);
  assert.ok(next.ok);
  assert.deepEqual([next.next.start, next.next.used], [120n, 1]);
  // A clock that goes back does not reopen the older window.
  assert.equal(sdk.rateRemaining(next.next, 100n), 1);
  assert.equal(sdk.rateReopensAt(next.next, 100n), 180n);
  assert.equal(sdk.rateUsedAt(next.next, 200n), 0);
});

test("the preview instruction: read-only gate, the action, its accounts", async () => {
  const { session, wallet, vault, budget } = await sdk.sessionAddresses(owner, key.address);
  const gate = [session, wallet, vault, budget].map((a) => ({ address: a, role: AccountRole.READONLY }));
  const status = await sdk.previewInstruction({ owner, sessionKey: key.address });
  assert.deepEqual(status.accounts, gate);
  assert.equal(hex(status.data), hex(sdk.PREVIEW_DISCRIMINATOR) + "00");
  const ref = new Uint8Array(32).fill(1);
  const sol = await sdk.previewInstruction({ owner, sessionKey: key.address, action: { kind: "transferSol", destination: mint, amount: 9n, reference: ref } });
  assert.deepEqual(sol.accounts.slice(4), [{ address: mint, role: AccountRole.READONLY }]);
  const action = sdk.getPreviewInstructionDataDecoder().decode(sol.data).action;
  assert.ok(action.__kind === "TransferSol" && action.amount === 9n && action.reference.__option === "Some");
  const t = { from: owner, mint, to: key.address, tokenProgram: address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA") };
  const tok = await sdk.previewInstruction({ owner, sessionKey: key.address, action: { kind: "transferToken", ...t, amount: 3n } });
  assert.deepEqual(
    tok.accounts.slice(4).map((a) => a.address),
    [t.from, t.mint, t.to, t.tokenProgram],
  );
  assert.ok(tok.accounts.every((a) => a.role === AccountRole.READONLY));
  // execute: the same remaining accounts as the real instruction, every one read-only (a preview
  // writes nothing and needs no signature).
  const game = address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");
  const call: Instruction = {
    programAddress: game,
    accounts: [
      { address: vault, role: AccountRole.WRITABLE_SIGNER },
      { address: mint, role: AccountRole.WRITABLE },
    ],
    data: Uint8Array.of(1, 2, 3),
  };
  const real = await sdk.executeInstruction({ sessionKey: key, owner, calls: [call] });
  const prev = await sdk.previewInstruction({ owner, sessionKey: key.address, action: { kind: "execute", calls: [call] } });
  assert.deepEqual(
    prev.accounts.slice(4),
    real.accounts.slice(5).map((m) => ({ address: m.address, role: AccountRole.READONLY })),
  );
  const exec = sdk.getPreviewInstructionDataDecoder().decode(prev.data).action;
  assert.ok(exec.__kind === "Execute" && exec.calls[0]!.accountsLen === 2 && hex(exec.calls[0]!.data as Uint8Array) === "010203");
});

test("the preview's answer decodes from return data to a typed result", () => {
  const raw: sdk.PreviewArgs = {
    now: 130n,
    status: sdk.PreviewSessionStatus.RateLimited,
    expiresAt: 1000n,
    usesRemaining: 0xffff_ffff,
    rateRemaining: 0,
    rateReopensAt: 180n,
    assets: [
      {
        asset: sdk.SOL_ASSET,
        session: { lifetimeRemaining: 70n, windowRemaining: U64_MAX, windowReopensAt: 0n },
        budget: { lifetimeRemaining: U64_MAX, windowRemaining: 5n, windowReopensAt: 180n },
        largestNextSpend: 5n,
      },
      { asset: mint, session: { lifetimeRemaining: 3n, windowRemaining: 1n, windowReopensAt: 3600n }, budget: null, largestNextSpend: 1n },
    ],
    result: 6080n,
  };
  const base64 = getBase64Decoder().decode(sdk.getPreviewEncoder().encode(raw) as Uint8Array);
  const p = sdk.previewResult(sdk.decodePreview(base64));
  assert.equal(p.status, "rate-limited");
  assert.equal(p.usesRemaining, null, "unlimited uses");
  assert.deepEqual(p.rate, { remaining: 0, reopensAt: 180n });
  assert.deepEqual(p.assets[0], {
    asset: sdk.SOL_ASSET,
    sol: true,
    session: { lifetimeRemaining: 70n, windowRemaining: null, windowReopensAt: null },
    budget: { lifetimeRemaining: U64_MAX, windowRemaining: 5n, windowReopensAt: 180n },
    largestNextSpend: 5n,
  });
  assert.equal(p.assets[1]!.budget, null);
  assert.ok(!p.outcome.ok && p.outcome.code === 6080n && p.outcome.error?.name === "RateLimited");
  const ok = sdk.previewResult(sdk.decodePreview(sdk.getPreviewEncoder().encode({ ...raw, status: sdk.PreviewSessionStatus.Live, result: 0n, rateRemaining: 0xffff_ffff, rateReopensAt: 0n }) as Uint8Array));
  assert.deepEqual([ok.status, ok.outcome, ok.rate], ["live", { ok: true }, null]);
  // An Anchor code (not ours) keeps its number, with no session-keys error.
  const anchor = sdk.previewResult({ ...sdk.decodePreview(base64), result: 3012n });
  assert.ok(!anchor.outcome.ok && anchor.outcome.code === 3012n && anchor.outcome.error === null);
});

test("events carry the payment reference; a server finds its payment by reference", () => {
  const ref = new Uint8Array(16).fill(9);
  const event = {
    reference: ref,
    owner,
    session: key.address,
    to: mint,
    amount: 5n,
    lifetimeRemaining: 5n,
    windowRemaining: U64_MAX,
    usesRemaining: 3,
  } satisfies sdk.SolTransferredEventArgs;
  const bytes = sdk.getSolTransferredEventEncoder().encode(event) as Uint8Array;
  const id = sdk.SESSION_KEYS_PROGRAM_ADDRESS;
  const logs = [`Program ${id} invoke [1]`, `Program data: ${getBase64Decoder().decode(bytes)}`, `Program ${id} success`];
  const [e] = sdk.parseEvents(logs);
  assert.equal(e!.name, "SolTransferred");
  assert.equal(hex(sdk.eventReference(e!)!), hex(ref));
  assert.equal(sdk.eventsWithReference(logs, ref).length, 1);
  assert.equal(sdk.eventsWithReference(logs, new Uint8Array(16)).length, 0);
  const none = sdk.getSolTransferredEventEncoder().encode({ ...event, reference: null }) as Uint8Array;
  const [n] = sdk.parseEvents([`Program ${id} invoke [1]`, `Program data: ${getBase64Decoder().decode(none)}`, `Program ${id} success`]);
  assert.equal(sdk.eventReference(n!), null);
});

test("the new program errors come from the IDL with their codes", () => {
  const names: [number, string][] = [
    [6072, "OwnerBudgetWindowExceeded"],
    [6073, "OwnerBudgetLifetimeExceeded"],
    [6074, "WrongBudget"],
    [6075, "InvalidBudget"],
    [6076, "TooManyBudgetAssets"],
    [6077, "UnknownAsset"],
    [6078, "BudgetNotSet"],
    [6079, "InvalidRateLimit"],
    [6080, "RateLimited"],
    [6081, "InvalidReferenceLength"],
    [6082, "ReferenceAlreadyUsed"],
    [6083, "ReferencesNotEnabled"],
    [6084, "ReferenceHistoryTooLong"],
  ];
  for (const [code, name] of names) assert.equal(sdk.programErrorFromCode(code)?.name, name);
  assert.equal(sdk.SESSION_KEYS_ERROR__REFERENCE_ALREADY_USED, 6082);
});
