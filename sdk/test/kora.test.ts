// Gasless play through Kora, end to end: localnet and Kora (kora-cli 2.0.5 with deploy/kora/)
// run as separate processes, the game's gateway (sdk/examples/sponsor.ts) in front of Kora.
// A player with 0 SOL grants a session by one message, creates a player (the game's treasury
// pays its rent), moves, takes a free item and revokes, with 0 lamports in the owner's wallet,
// vault and session key throughout, every balance read on chain; Kora's payer spends exactly the
// fees and rent it accepted. Then every refusal, through the gateway and at Kora itself, each
// before anything is sent; the shipped kora.toml read back from the running Kora; and the
// figures of docs/12-gasless-play.md (spend per move and per grant, sizes, round trip).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AccountRole,
  address,
  createNoopSigner,
  generateKeyPairSigner,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getSignatureFromTransaction,
  getTransactionEncoder,
  lamports,
  partiallySignTransactionMessageWithSigners,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type Transaction,
} from "@solana/kit";
import * as sdk from "../src/index";
import { v0TransactionMessage } from "../src/internal";
import { buyItem, createPlayerFunded, decodePlayer, freePlayScope, GAME_PROGRAM, movePlayer, playerPda, treasuryPda } from "../web/game";
import { startGateway, startKora, REPO, type Kora } from "./kora";
import { startLocalnet, type Localnet } from "./localnet";
import type { SponsorService } from "../examples/sponsor";

const SOL = 1_000_000_000n;
const DOMAIN = "game.example";
const POLICY: sdk.SponsorPolicy = { cluster: "localnet", programs: [GAME_PROGRAM], domains: [DOMAIN] };
const MEMO_PROGRAM = address("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");
const SYSTEM = address("11111111111111111111111111111111");

let net: Localnet;
let kora: Kora;
let gateway: SponsorService;
/** A second gateway with a small per-player limit (3 paid transactions per minute). */
let strict: SponsorService;

before(async () => {
  net = await startLocalnet();
  kora = await startKora(net, 2n * SOL);
  gateway = await startGateway(net, kora, { policy: POLICY, playsPerMinute: 1000, ownerIntervalSeconds: 0 });
  strict = await startGateway(net, kora, { policy: POLICY, playsPerMinute: 3, ownerIntervalSeconds: 3600 });
  // The game funds its treasury, which pays its players' accounts' rent.
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(await treasuryPda(), lamports(SOL)).send());
});

after(async () => {
  await strict?.close();
  await gateway?.close();
  await kora?.stop();
  await net?.stop();
});

async function balance(a: Address) {
  return (await net.rpc.getBalance(a, { commitment: "confirmed" }).send()).value;
}

async function fee(signature: string) {
  const tx = await net.rpc.getTransaction(signature as never, { commitment: "confirmed", encoding: "json", maxSupportedTransactionVersion: 0 }).send();
  return tx!.meta!.fee;
}

async function accountRent(a: Address) {
  const { value } = await net.rpc.getAccountInfo(a, { encoding: "base64", commitment: "confirmed" }).send();
  assert.ok(value, `${a} exists`);
  return value.lamports;
}

/** The owner's wallet, vault and session key: all 0 lamports. */
async function assertNoSol(owner: Address, key: Address, when: string) {
  const { vault } = await sdk.sessionAddresses(owner, key);
  assert.deepEqual(
    { owner: await balance(owner), vault: await balance(vault), key: await balance(key) },
    { owner: 0n, vault: 0n, key: 0n },
    `0 SOL in the owner's wallet, vault and session key ${when}`,
  );
}

/** A 0-SOL player granted a free-play session through `via` (Kora pays). */
async function grantedPlayer(via: string) {
  const owner = await generateKeyPairSigner();
  const wallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app: "kora", storage: sdk.memoryKeyStore(), feePayer: sdk.kora(via) });
  const now = await sdk.chainTime(net.rpc);
  const sent = await wallet.grantByMessage({
    ownerSigner: owner,
    scope: sdk.scope(now + 3600n).program(freePlayScope()).label("Dungeon Quest"),
    domain: DOMAIN,
    cluster: "localnet",
  });
  return { owner, wallet, sent };
}

/** A transaction with Kora's payer as fee payer, signed by `signers` only (Kora's slot empty). */
async function unsignedForKora(instructions: Instruction[]): Promise<Transaction> {
  const { value } = await net.rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
  return await partiallySignTransactionMessageWithSigners(v0TransactionMessage(createNoopSigner(kora.payer), value, instructions));
}

/** How many transactions Kora's payer is in (each it pays for names it): nothing sent, no change. */
async function koraTransactions() {
  return (await net.rpc.getSignaturesForAddress(kora.payer, { commitment: "confirmed", limit: 1000 }).send()).length;
}

test("the shipped deploy/kora/kora.toml is the policy the running Kora reports (misspelt keys would be dropped)", async () => {
  const direct = sdk.kora(kora.url, { apiKey: kora.apiKey });
  const config = await direct.call<Record<string, any>>("getConfig");
  const v = config.validation_config;
  const toml = readFileSync(join(REPO, "deploy", "kora", "kora.toml"), "utf8");
  assert.equal(v.max_allowed_lamports, 4_200_000);
  assert.match(toml, /^max_allowed_lamports = 4200000$/m);
  assert.equal(v.max_signatures, 2);
  assert.deepEqual(new Set(v.allowed_programs), new Set([
    sdk.SESSION_KEYS_PROGRAM_ADDRESS,
    "ComputeBudget111111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111",
    SYSTEM,
    GAME_PROGRAM,
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
  ]));
  assert.deepEqual(v.fee_payer_policy.system, {
    allow_transfer: false,
    allow_assign: false,
    allow_create_account: true,
    allow_allocate: false,
    nonce: { allow_initialize: false, allow_advance: false, allow_withdraw: false, allow_authorize: false },
  });
  for (const family of ["spl_token", "token_2022"]) {
    for (const [k, allowed] of Object.entries(v.fee_payer_policy[family])) assert.equal(allowed, false, `${family}.${k}`);
  }
  assert.equal(v.price.type, "free");
  assert.equal(v.allow_durable_transactions, false);
  assert.deepEqual(config.enabled_methods, {
    liveness: true,
    estimate_transaction_fee: false,
    get_supported_tokens: false,
    get_payer_signer: true,
    sign_transaction: false,
    sign_and_send_transaction: true,
    transfer_transaction: false,
    get_blockhash: true,
    get_config: true,
  });
  assert.equal((await direct.getPayerSigner()).signerAddress, kora.payer);
  // Without the API key, Kora answers 401; a disabled method, 405: both typed refusals.
  await assert.rejects(sdk.kora(kora.url).getPayerSigner(), (e) => e instanceof sdk.FeePayerRefusedError && e.code === 401);
  await assert.rejects(direct.call("signTransaction", { transaction: "" }), (e) => e instanceof sdk.FeePayerRefusedError && e.code === 405);
  // The gateway names Kora's payer as the fee payer.
  assert.equal(await sdk.kora(gateway.url).address(), kora.payer);
});

/** Figures the docs quote, filled by the play test and checked against docs/12-gasless-play.md. */
const measured: Record<string, bigint | number> = {};

test("a 0-SOL player grants, creates a player, moves, takes an item and revokes, all paid by Kora", async (t) => {
  const payerStart = await balance(kora.payer);
  const treasuryStart = await balance(await treasuryPda());
  const { owner, wallet, sent: granted } = await grantedPlayer(gateway.url);
  const { session: sessionPda, wallet: walletPda, vault } = await sdk.sessionAddresses(owner.address, wallet.address);
  await assertNoSol(owner.address, wallet.address, "after the grant");
  const session = (await wallet.session())!;
  assert.equal(session.payer, kora.payer, "Kora paid the session's rent");
  const [sessionRent, walletRent, grantFee] = await Promise.all([accountRent(sessionPda), accountRent(walletPda), fee(granted.signature)]);
  assert.equal(grantFee, 15_000n, "Kora's and the session key's signatures and the Ed25519 precompile's, 5,000 each");
  const afterGrant = await balance(kora.payer);
  assert.equal(payerStart - afterGrant, sessionRent + walletRent + grantFee, "a grant costs Kora the two rents and the fee");
  measured.grant = payerStart - afterGrant;
  measured.sessionRent = sessionRent;
  measured.walletRent = walletRent;

  // Create the player: the treasury pays its rent, Kora the fee.
  const created = await wallet.execute([await createPlayerFunded(owner.address)]);
  const player = await playerPda(vault);
  const playerRent = await accountRent(player);
  assert.equal(treasuryStart - (await balance(await treasuryPda())), playerRent, "the game's treasury paid the player's rent");
  assert.equal(await fee(created.signature), 10_000n);
  await assertNoSol(owner.address, wallet.address, "after creating the player");

  const beforeMove = await balance(kora.payer);
  const moved = await wallet.execute([await movePlayer(vault, 1, 2)]);
  assert.equal(beforeMove - (await balance(kora.payer)), 10_000n, "a move costs Kora its fee, 10,000 lamports");
  measured.move = beforeMove - (await balance(kora.payer));
  await wallet.execute([await buyItem(vault, 7, 0n)]);
  const { value } = await net.rpc.getAccountInfo(player, { encoding: "base64", commitment: "confirmed" }).send();
  const p = decodePlayer(new Uint8Array(getBase64Encoder().encode(value!.data[0])));
  assert.deepEqual([p.x, p.y, p.items], [1, 2, 1]);
  await assertNoSol(owner.address, wallet.address, "while playing");

  // The size of a move with two signatures (Kora's and the key's).
  const tx = await net.rpc.getTransaction(moved.signature, { commitment: "confirmed", encoding: "base64", maxSupportedTransactionVersion: 0 }).send();
  measured.moveSize = getBase64Encoder().encode(tx!.transaction[0]).length;
  const grantTx = await net.rpc.getTransaction(granted.signature, { commitment: "confirmed", encoding: "base64", maxSupportedTransactionVersion: 0 }).send();
  measured.grantSize = getBase64Encoder().encode(grantTx!.transaction[0]).length;

  // Revoke: Kora pays the fee and gets the session's rent back.
  const beforeRevoke = await balance(kora.payer);
  const key = wallet.address;
  const revoked = (await wallet.revoke())!;
  assert.equal(await fee(revoked.signature), 10_000n);
  assert.equal((await balance(kora.payer)) - beforeRevoke, sessionRent - 10_000n, "the revoke returns the session's rent to Kora, less the fee");
  assert.equal((await net.rpc.getAccountInfo(sessionPda, { commitment: "confirmed" }).send()).value, null, "the session is closed");
  await assertNoSol(owner.address, key, "after the revoke");
  // Kora's payer, over the whole loop: the wallet account's rent and five fees.
  assert.equal(payerStart - (await balance(kora.payer)), walletRent + 15_000n + 4n * 10_000n);
  t.diagnostic(`grant ${measured.grant} lamports (${measured.grantSize} B), move ${measured.move} lamports (${measured.moveSize} B)`);
});

test("refusals: outside the policy, Kora's key as source or signer, over the lamport limit, a player over the usage limit; nothing sent", async () => {
  const payerStart = await balance(kora.payer);
  const direct = sdk.kora(kora.url, { apiKey: kora.apiKey });
  const viaGateway = sdk.kora(gateway.url);
  const someone = await generateKeyPairSigner();
  const refusedBy = async (client: sdk.KoraClient, tx: Transaction, pattern: RegExp, kind: Function = sdk.FeePayerRefusedError) => {
    const [sent, lamportsBefore] = [await koraTransactions(), await balance(kora.payer)];
    await assert.rejects(client.signAndSend(tx), (e: unknown) => {
      assert.ok(e instanceof kind, `${(e as Error).name}: ${(e as Error).message}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
    assert.equal(await koraTransactions(), sent, "nothing was sent");
    assert.equal(await balance(kora.payer), lamportsBefore, "Kora's payer paid nothing");
  };

  // A program outside the policy (SPL Memo): the gateway, and Kora's allowed_programs.
  const memo: Instruction = { programAddress: MEMO_PROGRAM, data: new TextEncoder().encode("hi") };
  const memoTx = await unsignedForKora([memo]);
  await refusedBy(viaGateway, memoTx, /calls program MemoSq4g.*does not pay for/);
  await refusedBy(direct, memoTx, /Program MemoSq4g\w+ is not in the allowed list/);

  // Kora's key as a transfer source: the gateway (System is not an outer instruction it pays
  // for), and Kora's fee-payer policy (allow_transfer = false).
  const drain = sdk.systemTransferInstruction(createNoopSigner(kora.payer), someone.address, 1_000_000n);
  const drainTx = await unsignedForKora([drain]);
  await refusedBy(viaGateway, drainTx, /calls program 1{32}.*does not pay for/);
  await refusedBy(direct, drainTx, /Fee payer cannot be used for 'System Transfer'/);

  // Kora's key as a signer or account of a session instruction: refused by the gateway (Kora
  // 2.0.5 does not parse session-keys' instructions).
  const { owner, wallet, sent: granted } = await grantedPlayer(strict.url);
  const { vault } = await sdk.sessionAddresses(owner.address, wallet.address);
  await wallet.execute([await createPlayerFunded(owner.address)]);
  const move = await sdk.executeInstruction({ sessionKey: wallet.signer, owner: owner.address, calls: [await movePlayer(vault, 1, 0)] });
  const withKora = { ...move, accounts: [...move.accounts!, { address: kora.payer, role: AccountRole.WRITABLE }] };
  await refusedBy(viaGateway, await unsignedForKora([withKora]), /uses the paymaster's key as an account: it may only be the fee payer/);
  // A session of another game: a session whose scope names the Memo program.
  const other = await generateKeyPairSigner();
  const otherWallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: other.address, app: "other", storage: sdk.memoryKeyStore() });
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(other.address, lamports(SOL)).send());
  const now = await sdk.chainTime(net.rpc);
  await otherWallet.grant({ ownerSigner: other, scope: sdk.scope(now + 600n).program(sdk.program(MEMO_PROGRAM)).topUp(0n) });
  const otherExec = await sdk.executeInstruction({ sessionKey: otherWallet.signer, owner: other.address, calls: [{ ...memo, accounts: [] }] });
  await refusedBy(viaGateway, await unsignedForKora([otherExec]), /the session's scope includes program MemoSq4g\w+, which this paymaster does not pay for/);

  // Over the lamport limit: a grant whose session is larger (a 32-byte label) pays more rent
  // than Kora's max_allowed_lamports (4,200,000) allows; the gateway passes it (its scope is this game's),
  // Kora refuses it from the simulation's account creations.
  const big = await generateKeyPairSigner();
  const bigWallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: big.address, app: "big", storage: sdk.memoryKeyStore(), feePayer: viaGateway });
  const bigScope = sdk
    .scope(now + 3600n)
    .program(freePlayScope())
    .label("Dungeon Quest: the long season 2");
  await assert.rejects(
    bigWallet.grantByMessage({ ownerSigner: big, scope: bigScope, domain: DOMAIN, cluster: "localnet" }),
    (e: unknown) => e instanceof sdk.FeePayerRefusedError && /Total transfer amount \d+ exceeds maximum allowed 4200000/.test((e as Error).message),
  );
  assert.equal(await bigWallet.session(), null, "no session was created");

  // A player over the usage limit: the strict gateway pays 3 session transactions per player
  // per minute (the creation above was the first) and one grant per player per hour.
  for (let i = 0; i < 2; i++) await wallet.execute([await movePlayer(vault, 1, 0)]);
  const fourth = await wallet.execute([await movePlayer(vault, 1, 0)]).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(fourth instanceof sdk.FeePayerRateLimitedError, `the fourth transaction is rate limited: ${String(fourth)}`);
  assert.match((fourth as Error).message, /over 3 paid transactions per minute: retry in \d+ s/);
  const again = await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app: "again", storage: sdk.memoryKeyStore(), feePayer: sdk.kora(strict.url) });
  await assert.rejects(
    again.grantByMessage({ ownerSigner: owner, scope: sdk.scope(now + 3600n).program(freePlayScope()), domain: DOMAIN, cluster: "localnet" }),
    (e: unknown) => e instanceof sdk.FeePayerRateLimitedError && /one session per owner per 3600 s/.test((e as Error).message),
  );
  assert.equal(await again.session(), null);

  // Kora's payer lost only what it accepted: the one grant (its two rents and fee), the
  // player's creation and two moves (10,000 each). The other game's session was paid by its owner.
  const { session: sessionPda, wallet: walletPda } = await sdk.sessionAddresses(owner.address, wallet.address);
  const grantCost = (await accountRent(sessionPda)) + (await accountRent(walletPda)) + (await fee(granted.signature));
  assert.equal(payerStart - (await balance(kora.payer)), grantCost + 3n * 10_000n, "Kora's payer lost only what it accepted");
});

test("measured: a move through Kora against the same move paid by the session key, same run", async (t) => {
  const storage = sdk.memoryKeyStore();
  const owner = await generateKeyPairSigner();
  const viaKora = await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app: "timing", storage, feePayer: sdk.kora(gateway.url) });
  const now = await sdk.chainTime(net.rpc);
  await viaKora.grantByMessage({ ownerSigner: owner, scope: sdk.scope(now + 3600n).program(freePlayScope()), domain: DOMAIN, cluster: "localnet" });
  const { vault } = await sdk.sessionAddresses(owner.address, viaKora.address);
  await viaKora.execute([await createPlayerFunded(owner.address)]);
  // The same key, paying its own fees (the direct path needs SOL in the key).
  const direct = await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app: "timing", storage });
  assert.equal(direct.address, viaKora.address);
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(direct.address, lamports(SOL / 100n)).send());
  const times: Record<"kora" | "direct", number[]> = { kora: [], direct: [] };
  for (let i = 0; i < 8; i++) {
    for (const [name, w] of [["kora", viaKora], ["direct", direct]] as const) {
      const start = performance.now();
      await w.execute([await movePlayer(vault, 1, 0)]);
      times[name].push(performance.now() - start);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [k, d] = [median(times.kora), median(times.direct)];
  measured.koraMs = k;
  measured.directMs = d;
  t.diagnostic(`move round trip (send to confirmed, median of 8): through Kora ${k.toFixed(1)} ms, direct ${d.toFixed(1)} ms, ratio ${(k / d).toFixed(2)}`);
  assert.ok(k > 0 && d > 0);
});

test("the figures in docs/12-gasless-play.md and the README are the ones measured here", () => {
  assert.ok(measured.grant && measured.move && measured.moveSize && measured.grantSize, "the play test ran first");
  const fmt = (n: bigint | number) => BigInt(n).toLocaleString("en-US");
  for (const file of [join(REPO, "docs", "12-gasless-play.md"), join(REPO, "README.md")]) {
    const text = readFileSync(file, "utf8");
    for (const [what, value] of [
      ["grant spend", measured.grant],
      ["move spend", measured.move],
      ["move size", measured.moveSize],
      ["grant size", measured.grantSize],
    ] as const) {
      assert.ok(text.includes(fmt(value!)), `${file} quotes the ${what}: ${fmt(value!)}`);
    }
  }
});
