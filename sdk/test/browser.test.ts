// The example game's page (web/) in a real headless Chromium driven by playwright-core, with a
// Wallet Standard test wallet registered in the page. Debian's chromium is installed with apt
// when missing. Without a chain: the session key is generated with WebCrypto (non-extractable),
// kept in IndexedDB and restored on reload. With localnet: one prompt grants a session, the
// game moves and buys with the session key alone, the page shows what is left, revoke closes
// the session and sweeps the key; every result is asserted through RPC; screenshots are saved.
// Gasless: an owner with 0 SOL signs one message (solana:signMessage) and a loopback sponsor
// service (sdk/examples/sponsor.ts) pays for the session. Free play: against localnet and Kora
// (kora-cli 2.0.5, started by the test with deploy/kora/) behind the game's gateway, a 0-SOL
// owner grants by one message, moves, takes an item and revokes, Kora paying every fee, with 0
// SOL in the owner's wallet, vault and session key before, during and after.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { address, createKeyPairSignerFromPrivateKeyBytes, generateKeyPairSigner, getBase64Encoder, lamports } from "@solana/kit";
import * as sdk from "../src/index";
import { startSponsorService } from "../examples/sponsor";
import { decodePlayer, GAME_PROGRAM, playerPda, treasuryPda } from "../web/game";
import { startGateway, startKora } from "./kora";
import { localnetMissing, startLocalnet, type Localnet } from "./localnet";

const here = dirname(fileURLToPath(import.meta.url)); // dist/test
const webDir = join(here, "..", "web");
const shots = join(here, "..", "..", "test-results");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The flags known to work on these machines (no sandbox as root, no background networking).
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SEED = "2a".repeat(32);

let server: Server;
let base = "";
let browser: Browser;

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const apt = (args: string[]) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (apt(["install", "-y", "chromium"]).status !== 0) {
    apt(["update"]);
    assert.equal(apt(["install", "-y", "chromium"]).status, 0, "apt-get install chromium");
  }
}

before(async () => {
  ensureChromium();
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = join(webDir, path === "/" ? "index.html" : path);
    if (!file.startsWith(webDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

async function open(page: Page, rpc: string, sponsor?: string, param = "sponsor") {
  await page.addInitScript(`window.__TEST_WALLET_SEED__ = "${SEED}";`);
  await page.addInitScript({ path: join(webDir, "test-wallet.js") });
  const extra = sponsor ? `&${param}=${encodeURIComponent(sponsor)}` : "";
  await page.goto(`${base}/index.html?rpc=${encodeURIComponent(rpc)}${extra}`);
  await page.waitForSelector("body[data-ready=true]");
}

/** Clicks `#<action>` and returns the page's log line for it (`<action>: ok` or the error). */
async function act(page: Page, action: string, timeout = 60_000) {
  const prefix = `${action}: `;
  const lines = () => page.locator("#log div").allTextContents();
  const count = (await lines()).filter((l) => l.startsWith(prefix)).length;
  await page.click(`#${action}`);
  await page.waitForFunction(
    ([p, n]) => [...document.querySelectorAll("#log div")].filter((d) => d.textContent!.startsWith(p as string)).length > (n as number),
    [prefix, count],
    { timeout },
  );
  return (await lines()).filter((l) => l.startsWith(prefix)).pop()!;
}

const connect = (page: Page) => act(page, "connect");

test("the page keeps a non-extractable session key in IndexedDB across reloads", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await open(page, "http://127.0.0.1:9"); // no chain needed for keys
  const owner = (await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(Buffer.from(SEED, "hex")))).address;
  const first = await connect(page);
  assert.equal(first, "connect: ok");
  const logs = await page.locator("#log div").allTextContents();
  assert.ok(logs.includes("session key generated into IndexedDB (non-extractable: true)"), logs.join("\n"));
  assert.equal(await page.textContent("#owner"), owner);
  const key = (await page.textContent("#key"))!;
  assert.match(key, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
  assert.notEqual(key, owner);

  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await connect(page);
  const after = await page.locator("#log div").allTextContents();
  assert.ok(after.includes("session key restored from IndexedDB (non-extractable: true)"), after.join("\n"));
  assert.equal(await page.textContent("#key"), key, "the same key after a reload");
  await page.screenshot({ path: join(shots, "session-key.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

const missing = localnetMissing();
test("grant with one prompt, play with the session key, revoke: results on chain", { skip: missing ?? false }, async () => {
  const net: Localnet = await startLocalnet();
  const context = await browser.newContext();
  try {
    const rpc = net.rpc;
    const owner = (await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(Buffer.from(SEED, "hex")))).address;
    const airdrop = await rpc.requestAirdrop(owner, lamports(2_000_000_000n)).send();
    await sdk.confirm(rpc, airdrop);
    const page = await context.newPage();
    await open(page, net.url);
    assert.equal(await connect(page), "connect: ok");
    const key = address((await page.textContent("#key"))!);

    assert.equal(await act(page, "grant"), "grant: ok");
    await page.waitForSelector("#status[data-status=live]", { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__TEST_WALLET_PROMPTS__), 1, "one wallet prompt");

    assert.equal(await act(page, "move"), "move: ok");
    await page.waitForSelector("#player[data-x='1']", { timeout: 60_000 });
    assert.equal(await act(page, "buy"), "buy: ok");
    await page.waitForSelector("#player[data-items='1']", { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__TEST_WALLET_PROMPTS__), 1, "no further prompt");
    await page.screenshot({ path: join(shots, "game-playing.png"), fullPage: true });

    // On chain: the session, the player and the treasury.
    const found = await sdk.fetchSessionByKey(rpc, owner, key);
    assert.ok(found, "the session exists");
    assert.equal(found.session.label, "Dungeon Quest");
    const [vault] = await sdk.findVaultPda({ owner });
    const info = await rpc.getAccountInfo(await playerPda(vault), { encoding: "base64" }).send();
    const player = decodePlayer(new Uint8Array(getBase64Encoder().encode(info.value!.data[0])));
    assert.deepEqual([player.x, player.y, player.items, player.authority], [1, 2, 1, vault]);
    assert.equal((await rpc.getBalance(await treasuryPda()).send()).value, 20_000_000n);
    const left = await page.textContent("#left");
    assert.ok(found.session.sol.__option === "Some");
    assert.equal(left, `${sdk.lifetimeRemaining(found.session.sol.value)} lamports`);

    assert.equal(await act(page, "revoke"), "revoke: ok");
    await page.waitForSelector("#status[data-status=missing]", { timeout: 60_000 });
    assert.equal(await sdk.fetchSessionByKey(rpc, owner, key), null, "the session is closed");
    assert.equal((await rpc.getBalance(key).send()).value, 0n, "the key's lamports went back to the owner");
    assert.notEqual(await page.textContent("#key"), key, "a new key replaces the revoked one");
    await page.screenshot({ path: join(shots, "game-revoked.png"), fullPage: true });
  } finally {
    await context.close();
    await net.stop();
  }
});

test("gasless: an owner with 0 SOL signs one message in the page, a loopback sponsor pays", { skip: missing ?? false }, async () => {
  const net: Localnet = await startLocalnet();
  const context = await browser.newContext();
  const sponsor = await generateKeyPairSigner();
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(sponsor.address, lamports(1_000_000_000n)).send());
  const host = new URL(base).host;
  const service = await startSponsorService({ rpc: net.rpc, sponsor, policy: { cluster: "localnet", programs: [GAME_PROGRAM], domains: [host] } });
  try {
    const rpc = net.rpc;
    const owner = (await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(Buffer.from(SEED, "hex")))).address;
    assert.equal((await rpc.getBalance(owner).send()).value, 0n, "the owner has no SOL");
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await open(page, net.url, service.url);
    assert.equal(await connect(page), "connect: ok");
    const key = address((await page.textContent("#key"))!);

    assert.equal(await act(page, "grant-message"), "grant-message: ok");
    await page.waitForSelector("#status[data-status=live]", { timeout: 60_000 });
    const messages = (await page.evaluate(() => window.__TEST_WALLET_MESSAGES__)) ?? [];
    assert.equal(messages.length, 1, "one message prompt");
    assert.equal(await page.evaluate(() => window.__TEST_WALLET_PROMPTS__ ?? 0), 0, "no transaction prompt");
    assert.match(messages[0]!, new RegExp(`^${host.replace(/\./g, "\\.")} asks you to grant a session key\nProgram: ${sdk.SESSION_KEYS_PROGRAM_ADDRESS}\nCluster: localnet\nSession key: ${key}\n`));
    assert.match(messages[0]!, /\nLabel: Dungeon Quest\nMessage 0, valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    const logs = await page.locator("#log div").allTextContents();
    assert.ok(logs.some((l) => /^granted by message in \S+; events: SessionCreated, MessageGrantUsed$/.test(l)), logs.join("\n"));
    await page.screenshot({ path: join(shots, "game-gasless.png"), fullPage: true });

    const found = await sdk.fetchSessionByKey(rpc, owner, key);
    assert.ok(found, "the session exists");
    assert.equal(found.session.payer, sponsor.address, "the sponsor paid the rent");
    assert.equal(found.session.label, "Dungeon Quest");
    assert.equal((await rpc.getBalance(owner).send()).value, 0n, "the owner still has no SOL");
    assert.equal(await sdk.nextMessageNumber(rpc, owner), 1n);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await service.close();
    await net.stop();
  }
});

test("Play free through Kora: a 0-SOL owner grants, moves, takes an item and revokes; every balance on chain", async () => {
  const net: Localnet = await startLocalnet();
  const kora = await startKora(net);
  const host = new URL(base).host;
  const gateway = await startGateway(net, kora, { policy: { cluster: "localnet", programs: [GAME_PROGRAM], domains: [host] } });
  const context = await browser.newContext();
  try {
    const rpc = net.rpc;
    const treasury = await treasuryPda();
    await sdk.confirm(rpc, await rpc.requestAirdrop(treasury, lamports(1_000_000_000n)).send());
    const owner = (await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(Buffer.from(SEED, "hex")))).address;
    const [vault] = await sdk.findVaultPda({ owner });
    const balance = async (a: string) => (await rpc.getBalance(address(a), { commitment: "confirmed" }).send()).value;
    const noSol = async (key: string, when: string) =>
      assert.deepEqual([await balance(owner), await balance(vault), await balance(key)], [0n, 0n, 0n], `0 SOL in the owner's wallet, vault and session key ${when}`);
    const payerStart = await balance(kora.payer);
    const treasuryStart = await balance(treasury);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await open(page, net.url, gateway.url, "kora");
    assert.equal(await connect(page), "connect: ok");
    const key = address((await page.textContent("#key"))!);
    await noSol(key, "before");
    assert.equal(await page.textContent("#buy"), "Take a free item");

    assert.equal(await act(page, "grant-message"), "grant-message: ok");
    await page.waitForSelector("#status[data-status=live]", { timeout: 60_000 });
    assert.equal(((await page.evaluate(() => window.__TEST_WALLET_MESSAGES__)) ?? []).length, 1, "one message prompt");
    assert.equal(await page.evaluate(() => window.__TEST_WALLET_PROMPTS__ ?? 0), 0, "no transaction prompt");
    const found = await sdk.fetchSessionByKey(rpc, owner, key);
    assert.ok(found, "the session exists");
    assert.equal(found.session.payer, kora.payer, "Kora paid the session's rent");
    const player = await playerPda(vault);
    const playerRent = (await rpc.getAccountInfo(player, { encoding: "base64", commitment: "confirmed" }).send()).value!.lamports;
    assert.equal(treasuryStart - (await balance(treasury)), playerRent, "the game's treasury paid the player's rent");
    await noSol(key, "after the grant");

    assert.equal(await act(page, "move"), "move: ok");
    await page.waitForSelector("#player[data-x='1']", { timeout: 60_000 });
    await noSol(key, "after a move");
    assert.equal(await act(page, "buy"), "buy: ok");
    await page.waitForSelector("#player[data-items='1']", { timeout: 60_000 });
    await noSol(key, "after taking an item");
    assert.equal(await page.textContent("#balances"), "0 / 0 / 0", "the page shows 0 lamports in the wallet, vault and key");
    const info = await rpc.getAccountInfo(player, { encoding: "base64", commitment: "confirmed" }).send();
    const p = decodePlayer(new Uint8Array(getBase64Encoder().encode(info.value!.data[0])));
    assert.deepEqual([p.x, p.y, p.items, p.authority], [1, 2, 1, vault]);
    await page.screenshot({ path: join(shots, "game-free-play.png"), fullPage: true });

    // Kora paid five transactions: the grant (three signatures), the player's creation, the
    // move, the item and the revoke (two each).
    const [sessionPda, walletPda] = [found.address, (await sdk.sessionAddresses(owner, key)).wallet];
    const sessionRent = (await rpc.getAccountInfo(sessionPda, { encoding: "base64", commitment: "confirmed" }).send()).value!.lamports;
    const payerBeforeRevoke = await balance(kora.payer);
    const walletRent = (await rpc.getAccountInfo(walletPda, { encoding: "base64", commitment: "confirmed" }).send()).value!.lamports;
    assert.equal(await act(page, "revoke"), "revoke: ok");
    await page.waitForSelector("#status[data-status=missing]", { timeout: 60_000 });
    assert.equal(await sdk.fetchSessionByKey(rpc, owner, key), null, "the session is closed");
    await noSol(key, "after the revoke");
    assert.equal(payerStart - (await balance(kora.payer)), walletRent + 15_000n + 4n * 10_000n, "Kora spent the wallet account's rent and the fees; the session's rent came back");
    assert.equal((await balance(kora.payer)) - payerBeforeRevoke, sessionRent - 10_000n, "the revoke returned the session's rent to Kora, less its fee");
    await page.screenshot({ path: join(shots, "game-free-revoked.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await gateway.close();
    await kora.stop();
    await net.stop();
  }
});
