// The sponsor's side of a gasless grant without a chain: the checks a sponsor runs before it
// signs (each refusal with its status and reason), the request's JSON form, the sponsor
// service example over loopback HTTP with a recording fake RPC, and SessionWallet's
// grant-by-message path with a fake Wallet Standard wallet that implements solana:signMessage.
// The real chain runs in gasless.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  address,
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  compressTransactionMessageUsingAddressLookupTables,
  createKeyPairSignerFromPrivateKeyBytes,
  createNoopSigner,
  signTransaction,
  createTransactionMessage,
  getBase16Decoder,
  getCompiledTransactionMessageDecoder,
  partiallySignTransactionMessageWithSigners,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  verifySignature,
  type Blockhash,
  type Instruction,
  type KeyPairSigner,
  type ReadonlyUint8Array,
  type V0CompiledTransactionMessage,
  type Transaction,
} from "@solana/kit";
import * as sdk from "../src/index";
import { startSponsorService } from "../examples/sponsor";
import { blockhash, fakeRpc, messageWallet } from "./fakes";

const key = (n: number) => createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(n));
const hex = (b: ReadonlyUint8Array) => getBase16Decoder().decode(b);
/** The compiled v0 message of a transaction (no lookup tables). */
const compiled = (tx: Transaction) => getCompiledTransactionMessageDecoder().decode(tx.messageBytes) as V0CompiledTransactionMessage;
const GAME = address("EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ");
const FOREIGN = address("k7FaK87WHGVXzkaoHb7CdVPgkKDQhZ29VLDeBVbDfYn");
const NOW = 1_800_000_000n;
const POLICY: sdk.SponsorPolicy = { cluster: "localnet", programs: [GAME], domains: ["game.example"] };

interface Parties {
  owner: KeyPairSigner;
  sessionKey: KeyPairSigner;
  sponsor: KeyPairSigner;
}

async function parties(): Promise<Parties> {
  return { owner: await key(7), sessionKey: await key(9), sponsor: await key(11) };
}

function gameArgs(patch: Partial<sdk.MessageGrantArgs> = {}, scope = sdk.scope(NOW + 3600n).program(sdk.program(GAME))) {
  return { ...sdk.messageGrantArgs(scope.label("game").build(NOW), { domain: "game.example", messageNumber: 0, validUntil: NOW + 300n }), ...patch };
}

/** A request as SessionWallet builds it: the owner signs the message, the session key the transaction. */
async function request(
  p: Parties,
  args: sdk.MessageGrantArgs = gameArgs(),
  opts: { cluster?: sdk.Cluster; signer?: KeyPairSigner; mutate?: (ixs: Instruction[]) => Instruction[]; feePayer?: KeyPairSigner } = {},
): Promise<sdk.GrantRequest> {
  const message = await sdk.grantMessageBytes({ args, owner: p.owner.address, sessionKey: p.sessionKey.address, cluster: opts.cluster ?? "localnet" });
  const signer = opts.signer ?? p.owner;
  const [sigs] = await signer.signMessages([{ content: message, signatures: {} }]);
  const signature = sigs![signer.address]!;
  let transaction: Transaction;
  if (!opts.mutate && !opts.feePayer) {
    transaction = await partiallySignTransactionMessageWithSigners(
      await sdk.sponsoredGrantTransactionMessage({ args, owner: p.owner.address, sessionKey: p.sessionKey, sponsor: p.sponsor.address, message, signature, blockhash }),
    );
  } else {
    const ixs = await sdk.sponsoredGrantInstructions({ args, owner: p.owner.address, sessionKey: p.sessionKey, sponsor: p.sponsor.address, message, signature });
    transaction = await partiallySignTransactionMessageWithSigners(
      pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(opts.feePayer ?? createNoopSigner(p.sponsor.address), m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
        (m) => appendTransactionMessageInstructions((opts.mutate ?? ((x) => x))(ixs), m),
      ),
    );
  }
  return { args, owner: p.owner.address, sessionKey: p.sessionKey.address, message, signature, transaction };
}

async function refused(r: sdk.GrantRequest, p: Parties, status: number, reason: RegExp, policy = POLICY, now = NOW) {
  await assert.rejects(sdk.checkGrantRequest(r, { sponsor: p.sponsor.address, policy, now }), (e: unknown) => {
    assert.ok(e instanceof sdk.GrantRefusedError, String(e));
    assert.equal(e.status, status, e.reason);
    assert.match(e.reason, reason);
    return true;
  });
}

test("a sponsor accepts exactly the grant it would build itself", async () => {
  const p = await parties();
  const r = await request(p);
  await sdk.checkGrantRequest(r, { sponsor: p.sponsor.address, policy: POLICY, now: NOW });
  // The blockhash is the player's choice (an old one only fails at no cost to the sponsor).
  const other = await request(p);
  const m = compiled(other.transaction);
  assert.equal(m.staticAccounts[0], p.sponsor.address, "the sponsor is the fee payer");
  assert.equal(m.instructions.length, 2);
  assert.equal(m.staticAccounts[m.instructions[0]!.programAddressIndex], sdk.ED25519_PROGRAM_ADDRESS);
  assert.equal(m.staticAccounts[m.instructions[1]!.programAddressIndex], sdk.SESSION_KEYS_PROGRAM_ADDRESS);
  assert.equal(other.transaction.signatures[p.sponsor.address], null, "the sponsor has not signed yet");
  assert.ok(await verifySignature(p.sessionKey.keyPair.publicKey, other.transaction.signatures[p.sessionKey.address]!, other.transaction.messageBytes));
});

test("a sponsor refuses what its policy does not pay for (403), before any signature check", async () => {
  const p = await parties();
  const foreign = gameArgs({}, sdk.scope(NOW + 3600n).program(sdk.program(GAME)).program(sdk.program(FOREIGN)));
  await refused(await request(p, foreign), p, 403, new RegExp(`program ${FOREIGN}, which this sponsor does not sponsor`));
  await refused(await request(p, gameArgs({}, sdk.scope(NOW + 3600n).sol(sdk.caps(1n)))), p, 403, /scope has none/);
  await refused(await request(p, gameArgs({}, sdk.scope(NOW + 3600n).program(sdk.program(GAME)).mint(FOREIGN, sdk.caps(5n)))), p, 403, /tokens/);
  await refused(await request(p, gameArgs({ domain: "evil.example" })), p, 403, /domain "evil.example"/);
  await refused(await request(p, gameArgs({}, sdk.scope(NOW + 86_401n).program(sdk.program(GAME)))), p, 403, /at most 86400 s/);
  const withSol = await request(p, gameArgs({}, sdk.scope(NOW + 3600n).program(sdk.program(GAME)).sol(sdk.caps(10n))));
  await sdk.checkGrantRequest(withSol, { sponsor: p.sponsor.address, policy: POLICY, now: NOW });
  await refused(withSol, p, 403, /spend SOL/, { ...POLICY, allowSol: false });
});

test("a sponsor refuses a message, signature or transaction that is not the grant (400/401)", async () => {
  const p = await parties();
  await refused(await request(p, gameArgs(), { cluster: "devnet" }), p, 400, /not the one these arguments make on localnet/);
  const signed = await request(p);
  await refused({ ...signed, args: { ...signed.args, label: "gamf" } }, p, 400, /not the one these arguments make/);
  await refused(await request(p, gameArgs(), { signer: p.sessionKey }), p, 401, /owner's signature of the message does not verify/);
  await refused(await request(p), p, 400, /MessageExpired/, POLICY, NOW + 300n);
  await refused({ ...signed, owner: p.sponsor.address }, p, 400, /cannot be the owner or the session key/);

  // Transactions that would make the sponsor sign something else.
  const drain: Instruction = sdk.systemTransferInstruction(createNoopSigner(p.sponsor.address), FOREIGN, 1_000_000_000n);
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [...ixs, drain] }), p, 400, /exactly \[Ed25519, create_session_from_message\], not 3/);
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [drain, ixs[1]!] }), p, 400, /first instruction must be the Ed25519 precompile/);
  await refused(
    await request(p, gameArgs(), { mutate: (ixs) => [{ ...ixs[0]!, accounts: [{ address: p.sponsor.address, role: AccountRole.WRITABLE }] }, ixs[1]!] }),
    p,
    400,
    /Ed25519 precompile, with no accounts/,
  );
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [ixs[1]!, ixs[0]!] }), p, 400, /first instruction must be the Ed25519/);
  await refused(await request(p, gameArgs(), { feePayer: p.sessionKey }), p, 400, /sponsor must be the transaction's fee payer/);
  const otherMessage = await request(p, gameArgs({ messageNumber: 1n }));
  await refused(
    await request(p, gameArgs(), {
      mutate: (ixs) => [sdk.getEd25519VerifyInstruction({ publicKey: p.owner.address, signature: otherMessage.signature, message: otherMessage.message }), ixs[1]!],
    }),
    p,
    400,
    /Ed25519 instruction does not carry the owner's signature of this message/,
  );
  // The same instructions with a compute-unit price the sponsor never agreed to.
  const price: Instruction = { programAddress: address("ComputeBudget111111111111111111111111111111"), data: new Uint8Array([3, 1, 0, 0, 0, 0, 0, 0, 1]) };
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [price, ...ixs] }), p, 400, /not 3 instructions/);
  // Unsigned by the session key.
  const unsigned = { ...signed, transaction: { ...signed.transaction, signatures: { ...signed.transaction.signatures, [p.sessionKey.address]: null } } };
  await refused(unsigned as sdk.GrantRequest, p, 401, /session key's signature of the transaction is missing/);

  // The right message and Ed25519 instruction, but create_session_from_message carrying other
  // arguments: only the final byte-for-byte rebuild sees it.
  const otherArgs = await sdk.createSessionFromMessageInstruction({
    sponsor: createNoopSigner(p.sponsor.address),
    sessionKey: p.sessionKey,
    owner: p.owner.address,
    args: gameArgs({ label: "gamf" }),
  });
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [ixs[0]!, otherArgs] }), p, 400, /not the sponsored grant these arguments make/);
  // The sponsor's key also in the session key's place (the SDK's builder refuses that, so the
  // account is swapped by hand).
  const sponsorTwice = (ix: Instruction): Instruction => ({
    ...ix,
    accounts: (ix.accounts ?? []).map((a, i) => (i === 1 ? { address: p.sponsor.address, role: AccountRole.READONLY_SIGNER } : a)),
  });
  await refused(await request(p, gameArgs(), { mutate: (ixs) => [ixs[0]!, sponsorTwice(ixs[1]!)] }), p, 400, /may only be the `sponsor` account/);
  // A legacy message, and a v0 message that loads a lookup table.
  const ixs = await sdk.sponsoredGrantInstructions({ args: signed.args, owner: p.owner.address, sessionKey: p.sessionKey, sponsor: p.sponsor.address, message: signed.message, signature: signed.signature });
  const build = async (version: "legacy" | 0, table: boolean) => {
    const m = pipe(
      createTransactionMessage({ version }),
      (m) => setTransactionMessageFeePayerSigner(createNoopSigner(p.sponsor.address), m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions(ixs, m),
    );
    const compressed = table
      ? compressTransactionMessageUsingAddressLookupTables(m as never, {
          [FOREIGN]: [address("Sysvar1nstructions1111111111111111111111111"), address("11111111111111111111111111111111")],
        })
      : m;
    return { ...signed, transaction: await partiallySignTransactionMessageWithSigners(compressed as never) } as sdk.GrantRequest;
  };
  await refused(await build("legacy", false), p, 400, /must be a v0 message/);
  const withTable = await build(0, true);
  assert.equal((compiled(withTable.transaction).addressTableLookups ?? []).length, 1, "the table is used");
  await refused(withTable, p, 400, /must not load address lookup tables/);
});

test("the request survives JSON, and a malformed one is refused naming its field", async () => {
  const p = await parties();
  const r = await request(p);
  const back = sdk.decodeGrantRequest(JSON.parse(JSON.stringify(sdk.encodeGrantRequest(r))));
  assert.equal(back.owner, r.owner);
  assert.equal(back.sessionKey, r.sessionKey);
  assert.equal(hex(back.message), hex(r.message));
  assert.equal(hex(back.transaction.messageBytes), hex(r.transaction.messageBytes));
  assert.equal(back.args.label, "game");
  assert.equal(back.args.validUntil, NOW + 300n);
  await sdk.checkGrantRequest(back, { sponsor: p.sponsor.address, policy: POLICY, now: NOW });
  const json = sdk.encodeGrantRequest(r);
  const bad = (patch: Record<string, unknown>, field: string) =>
    assert.throws(() => sdk.decodeGrantRequest({ ...json, ...patch }), (e: unknown) => e instanceof sdk.GrantRefusedError && e.status === 400 && e.reason.includes(`\`${field}\``));
  bad({ owner: 5 }, "owner");
  bad({ owner: "not base58!" }, "owner");
  bad({ signature: "AAAA" }, "signature");
  bad({ args: Buffer.concat([Buffer.from(json.args, "base64"), Buffer.from([0])]).toString("base64") }, "args");
  bad({ transaction: "AAAA" }, "transaction");
  assert.throws(() => sdk.decodeGrantRequest(null), /`args` must be a string/);
});

/** A fake RPC whose sends create the session (what the chain would do) and are recorded. */
function chainFake() {
  const fake = fakeRpc({ now: NOW });
  const send = fake.rpc.sendTransaction.bind(fake.rpc);
  (fake.rpc as unknown as Record<string, unknown>).sendTransaction = (wire: string, config: unknown) => {
    const r = (send as (w: string, c: unknown) => unknown)(wire, config);
    const tx = fake.sent[fake.sent.length - 1]!;
    const m = compiled(tx);
    fake.session = { payer: m.staticAccounts[0]!, expiresAt: NOW + 3600n };
    return r;
  };
  return fake;
}

test("SessionWallet.grantByMessage: one signMessage prompt, the sponsor service pays, the session is remembered", async () => {
  const p = await parties();
  const fake = chainFake();
  const service = await startSponsorService({ rpc: fake.rpc, sponsor: p.sponsor, policy: POLICY });
  try {
    const info = (await (await fetch(`${service.url}/sponsor`)).json()) as sdk.SponsorInfo;
    assert.deepEqual(info, { address: p.sponsor.address, cluster: "localnet", programId: sdk.SESSION_KEYS_PROGRAM_ADDRESS, programs: [GAME] });

    const { wallet, account, asked } = messageWallet(p.owner);
    const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: p.owner.address, app: "gasless", storage: sdk.memoryKeyStore() });
    const ownerSigner = sdk.walletStandardMessageSigner(wallet, account);
    const scope = sdk.scope(NOW + 3600n).program(sdk.program(GAME)).label("Dungeon");
    const sent = await w.grantByMessage({ ownerSigner, scope, domain: "game.example", cluster: "localnet", sponsor: service.url });
    assert.equal(w.grantSignature, sent.signature, "remembered as granted");

    // The wallet showed the message SessionWallet built for its own key, once.
    assert.equal(asked.length, 1);
    const text = new TextDecoder().decode(asked[0]);
    assert.match(text, new RegExp(`^game.example asks you to grant a session key\nProgram: ${sdk.SESSION_KEYS_PROGRAM_ADDRESS}\nCluster: localnet\nSession key: ${w.address}\n`));
    assert.match(text, /\nLabel: Dungeon\nMessage 0, valid until 2027-01-15 08:05:00 UTC$/);

    // What reached the chain: signed by the sponsor (fee payer) and the session key, nothing else.
    assert.equal(fake.sent.length, 1);
    const tx = fake.sent[0]!;
    const m = compiled(tx);
    assert.equal(m.staticAccounts[0], p.sponsor.address);
    assert.deepEqual(Object.keys(tx.signatures).sort(), [p.sponsor.address, w.address].sort());
    assert.ok(await verifySignature(p.sponsor.keyPair.publicKey, tx.signatures[p.sponsor.address]!, tx.messageBytes));
    assert.ok(await verifySignature(w.signer.keyPair.publicKey, tx.signatures[w.address]!, tx.messageBytes));
    const ed = sdk.parseEd25519VerifyInstruction(m.instructions[0]!.data!);
    assert.equal(ed?.publicKey, p.owner.address);
    assert.equal(hex(ed!.message), hex(asked[0]!));

    // The same owner again within the hour: refused by the service (429), nothing sent.
    fake.session = null;
    const again = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: p.owner.address, app: "gasless-2", storage: sdk.memoryKeyStore() });
    await assert.rejects(again.grantByMessage({ ownerSigner, scope, domain: "game.example", cluster: "localnet", sponsor: service.url }), (e: unknown) => {
      assert.ok(e instanceof sdk.GrantRefusedError, String(e));
      assert.equal(e.status, 429);
      assert.match(e.reason, /one session per owner per 3600 s/);
      return true;
    });
    assert.equal(fake.sent.length, 1);
    assert.equal(again.grantSignature, null);

    // Another owner whose scope names a program the sponsor does not pay for: 403, nothing sent.
    const other = await key(12);
    const ow = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: other.address, app: "gasless", storage: sdk.memoryKeyStore() });
    const o = messageWallet(other);
    await assert.rejects(
      ow.grantByMessage({
        ownerSigner: sdk.walletStandardMessageSigner(o.wallet, o.account),
        scope: scope.program(sdk.program(FOREIGN)),
        domain: "game.example",
        cluster: "localnet",
        sponsor: service.url,
      }),
      (e: unknown) => e instanceof sdk.GrantRefusedError && e.status === 403 && e.reason.includes(FOREIGN),
    );
    assert.equal(fake.sent.length, 1);

    // HTTP details: a body over the limit, a wrong method, an unknown route, not JSON.
    const post = (body: string) => fetch(`${service.url}/grant`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal((await post("x".repeat(20_000))).status, 413);
    const notJson = await post("{");
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /not JSON/);
    assert.equal((await fetch(`${service.url}/grant`)).status, 405);
    assert.equal((await fetch(`${service.url}/nope`)).status, 404);
  } finally {
    await service.close();
  }
});

test("the sponsor service's hourly budget stops a script of throwaway owners", async () => {
  const p = await parties();
  const fake = chainFake();
  const service = await startSponsorService({ rpc: fake.rpc, sponsor: p.sponsor, policy: POLICY, maxGrantsPerHour: 1 });
  try {
    const scope = sdk.scope(NOW + 3600n).program(sdk.program(GAME)).label("Dungeon");
    const grantFor = async (owner: KeyPairSigner) => {
      const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: owner.address, app: "budget", storage: sdk.memoryKeyStore() });
      const m = messageWallet(owner);
      return w.grantByMessage({ ownerSigner: sdk.walletStandardMessageSigner(m.wallet, m.account), scope, domain: "game.example", cluster: "localnet", sponsor: service.url });
    };
    await grantFor(p.owner);
    fake.session = null;
    await assert.rejects(grantFor(await key(13)), (e: unknown) => {
      assert.ok(e instanceof sdk.GrantRefusedError, String(e));
      assert.equal(e.status, 429);
      assert.match(e.reason, /budget of 1 grants per hour is spent/);
      return true;
    });
    assert.equal(fake.sent.length, 1, "the second owner's grant was not sent");
  } finally {
    await service.close();
  }
});

test("grantByMessage refuses before any prompt: a top-up, a scope the program refuses, a grant too big for a transaction, a live session", async () => {
  const p = await parties();
  const fake = chainFake();
  const { wallet, account, asked } = messageWallet(p.owner);
  const ownerSigner = sdk.walletStandardMessageSigner(wallet, account);
  let submitted = 0;
  const sponsor: sdk.Sponsor = {
    address: async () => p.sponsor.address,
    submit: async () => {
      submitted++;
      throw new Error("not reached");
    },
  };
  const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: p.owner.address, app: "gasless", storage: sdk.memoryKeyStore() });
  const base = { ownerSigner, domain: "game.example", cluster: "localnet" as const, sponsor };
  await assert.rejects(w.grantByMessage({ ...base, scope: sdk.scope(NOW + 3600n).program(sdk.program(GAME)).topUp(1n) }), /cannot top up/);
  await assert.rejects(w.grantByMessage({ ...base, scope: sdk.scope(NOW - 1n).program(sdk.program(GAME)) }), (e: unknown) => e instanceof sdk.ScopeError && e.error.name === "ExpiryInPast");
  await assert.rejects(w.grantByMessage({ ...base, domain: "game example", scope: sdk.scope(NOW + 60n).program(sdk.program(GAME)) }), (e: unknown) => e instanceof sdk.ScopeError && e.error.name === "InvalidDomain");
  const other = await key(8);
  await assert.rejects(w.grantByMessage({ ...base, ownerSigner: other, scope: sdk.scope(NOW + 60n).program(sdk.program(GAME)) }), /not this wallet's owner/);
  // Too big for one transaction (checked before the prompt): 4 programs with 4 rules each.
  let big = sdk.scope(NOW + 60n);
  for (const id of [GAME, FOREIGN, address("Stake11111111111111111111111111111111111111"), address("Vote111111111111111111111111111111111111111")]) {
    let prog = sdk.program(id);
    for (let i = 0; i < 4; i++) prog = prog.instruction(sdk.instruction(new Uint8Array(8).fill(i)));
    big = big.program(prog);
  }
  await assert.rejects(w.grantByMessage({ ...base, scope: big }), /the sponsored grant transaction is \d+ bytes, over the 1232-byte limit/);
  fake.session = { payer: p.sponsor.address, expiresAt: NOW + 60n };
  await assert.rejects(w.grantByMessage({ ...base, scope: sdk.scope(NOW + 60n).program(sdk.program(GAME)) }), /already has a session/);
  assert.equal(asked.length, 0, "the wallet was never asked");
  assert.equal(submitted, 0);
  assert.equal(fake.sent.length, 0);
});

test("an injected sponsor gets {args, owner, sessionKey, message, signature, transaction}; the Offchain envelope is signed whole", async () => {
  const p = await parties();
  const fake = chainFake();
  const { wallet, account, asked } = messageWallet(p.owner);
  const got: sdk.GrantRequest[] = [];
  const sponsor: sdk.Sponsor = {
    address: async () => p.sponsor.address,
    async submit(r) {
      got.push(r);
      await sdk.checkGrantRequest(r, { sponsor: p.sponsor.address, policy: POLICY, now: NOW });
      return await sdk.sendAndConfirm(fake.rpc, await signTransaction([p.sponsor.keyPair], r.transaction));
    },
  };
  const w = await sdk.SessionWallet.open({ rpc: fake.rpc, owner: p.owner.address, app: "gasless", storage: sdk.memoryKeyStore() });
  await w.grantByMessage({
    ownerSigner: sdk.walletStandardMessageSigner(wallet, account),
    scope: sdk.scope(NOW + 3600n).program(sdk.program(GAME)),
    domain: "game.example",
    cluster: "localnet",
    sponsor,
    envelope: sdk.MessageEnvelope.Offchain,
    validForSeconds: 60,
  });
  assert.equal(got.length, 1);
  const r = got[0]!;
  assert.equal(r.owner, p.owner.address);
  assert.equal(r.sessionKey, w.address);
  assert.equal(r.args.envelope, sdk.MessageEnvelope.Offchain);
  assert.equal(BigInt(r.args.validUntil), NOW + 60n);
  assert.equal(hex(r.message), hex(asked[0]!), "the wallet signed the whole off-chain message");
  assert.equal(asked[0]![0], 0xff);
  assert.equal(new TextDecoder().decode(asked[0]!.subarray(1, 16)), "solana offchain");
  assert.equal(fake.sent.length, 1);
  const rebuilt = compileTransaction(
    await sdk.sponsoredGrantTransactionMessage({ ...r, sponsor: p.sponsor.address, blockhash: { blockhash: blockhash.blockhash as Blockhash, lastValidBlockHeight: 0n } }),
  );
  assert.equal(hex(fake.sent[0]!.messageBytes), hex(rebuilt.messageBytes));
});

test("a grant too big for one transaction is refused by the builder, with the size", async () => {
  const p = await parties();
  // Within the program's limits (the session fits its 1,232 bytes), but the transaction carries
  // the arguments, the message and the signature.
  let s = sdk.scope(NOW + 3600n).label("x".repeat(32));
  for (const id of [GAME, FOREIGN, address("Stake11111111111111111111111111111111111111"), address("Vote111111111111111111111111111111111111111")]) {
    let prog = sdk.program(id);
    for (let i = 0; i < 4; i++) prog = prog.instruction(sdk.instruction(new Uint8Array(8).fill(i)).argU64(8, "le", 1n));
    s = s.program(prog);
  }
  assert.ok(sdk.sessionSpace(s.build(NOW)) <= 1232);
  const args = sdk.messageGrantArgs(s.build(NOW), { domain: "game.example", messageNumber: 0, validUntil: NOW + 60n });
  const message = await sdk.grantMessageBytes({ args, owner: p.owner.address, sessionKey: p.sessionKey.address, cluster: "localnet" });
  await assert.rejects(
    sdk.sponsoredGrantTransactionMessage({ args, owner: p.owner.address, sessionKey: p.sessionKey, sponsor: p.sponsor.address, message, signature: new Uint8Array(64), blockhash }),
    /the sponsored grant transaction is \d+ bytes, over the 1232-byte limit/,
  );
});

