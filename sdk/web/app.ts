/**
 * The example game's page: connect a Wallet Standard wallet, grant a session with one prompt
 * (deposit and create_session in one transaction), then move and buy with the session key
 * alone, show what the session may still spend, and revoke. `?rpc=<url>` picks the cluster
 * (default http://127.0.0.1:8899, localnet). With `?sponsor=<url>` (a sponsor service,
 * sdk/examples/sponsor.ts), "Play free" grants by a signed message instead: the owner signs
 * one message (`solana:signMessage`), the sponsor pays the fee and the rent. With
 * `?kora=<url>` (the game's gateway in front of Kora, sdk/examples/sponsor.ts and
 * docs/12-gasless-play.md), the whole game is free: "Play free" grants by a message paid by
 * Kora, and every session transaction (create the player, move, take a free item, revoke) is
 * paid by Kora: the owner's wallet, vault and session key hold no SOL. The player account's rent
 * comes from the game's treasury (`create_player_funded`).
 */
import { address, createSolanaRpc, getBase64Encoder, type Address } from "@solana/kit";
import {
  caps,
  chainTime,
  findVaultPda,
  getDepositSolInstructionAsync,
  remaining,
  scope,
  SessionWallet,
  instruction,
  kora,
  program,
  walletStandardMessageSigner,
  walletStandardSigner,
  type Cluster,
  type StandardAccount,
  type StandardWallet,
} from "../src/index";
import { buyItem, createPlayer, createPlayerFunded, decodePlayer, DISCRIMINATORS, freePlayScope, GAME_PROGRAM, gameScope, movePlayer, playerPda } from "./game";

const params = new URLSearchParams(location.search);
const rpcUrl = params.get("rpc") ?? "http://127.0.0.1:8899";
const chain = params.get("chain") ?? "solana:localnet";
const sponsorUrl = params.get("sponsor");
const koraUrl = params.get("kora");
/** Kora pays every session transaction: free play (no SOL anywhere, items are free). */
const feePayer = koraUrl ? kora(koraUrl) : undefined;
const cluster = (params.get("cluster") ?? "localnet") as Cluster;
const rpc = createSolanaRpc(rpcUrl);
const APP = `${location.origin}/example-game`;
const SOL = 1_000_000_000n;
const PRICE = 20_000_000n;

const $ = (id: string) => document.getElementById(id)!;
const button = (id: string) => $(id) as HTMLButtonElement;
const log = (line: string, error = false) => {
  const div = document.createElement("div");
  div.textContent = line;
  if (error) div.className = "error";
  $("log").append(div);
};

// Wallet Standard discovery (the protocol of @wallet-standard/app, in a few lines).
const wallets: StandardWallet[] = [];
const api = {
  register: (...ws: StandardWallet[]) => {
    wallets.push(...ws);
    return () => {};
  },
};
window.addEventListener("wallet-standard:register-wallet", ((e: CustomEvent) => e.detail(api)) as EventListener);
window.dispatchEvent(new CustomEvent("wallet-standard:app-ready", { detail: api }));

let wallet: StandardWallet | null = null;
let account: StandardAccount | null = null;
let session: SessionWallet | null = null;

async function vault(owner: Address) {
  return (await findVaultPda({ owner }))[0];
}

async function refresh() {
  if (!session) return;
  $("key").textContent = session.address;
  const [status, s, now] = await Promise.all([session.status(), session.session(), chainTime(rpc)]);
  $("status").textContent = status;
  $("status").dataset.status = status;
  const live = status === "live";
  button("grant").disabled = live;
  button("grant-message").disabled = live || !(sponsorUrl || koraUrl);
  for (const id of ["move", "buy", "revoke"]) button(id).disabled = !live;
  if (s && s.sol.__option === "Some") {
    const r = remaining(s.sol.value, now);
    $("left").textContent = `${r.lifetime} lamports`;
    $("available").textContent = `${r.available} lamports`;
  } else {
    $("left").textContent = $("available").textContent = "-";
  }
  // What the player holds: in free play through Kora, 0 / 0 / 0 from start to end.
  const held = await Promise.all([session.owner, await vault(session.owner), session.address].map(async (a) => (await rpc.getBalance(a).send()).value));
  $("balances").textContent = held.join(" / ");
  const player = await rpc.getAccountInfo(await playerPda(await vault(session.owner)), { encoding: "base64" }).send();
  if (player.value) {
    const p = decodePlayer(new Uint8Array(getBase64Encoder().encode(player.value.data[0])));
    $("player").textContent = `(${p.x}, ${p.y}), ${p.items} item(s)`;
    $("player").dataset.x = String(p.x);
    $("player").dataset.items = String(p.items);
  }
}

async function run(what: string, f: () => Promise<unknown>) {
  try {
    await f();
    log(`${what}: ok`);
  } catch (e) {
    log(`${what}: ${e instanceof Error ? e.message : String(e)}`, true);
  }
  await refresh().catch((e) => log(`refresh: ${e}`, true));
  document.body.dataset.busy = "false";
}

button("connect").onclick = () =>
  run("connect", async () => {
    wallet = wallets[0] ?? null;
    if (!wallet) throw new Error("no Wallet Standard wallet found");
    const connect = wallet.features["standard:connect"] as { connect(): Promise<{ accounts: readonly StandardAccount[] }> };
    account = (await connect.connect()).accounts[0] ?? null;
    if (!account) throw new Error("the wallet has no account");
    $("owner").textContent = account.address;
    session = await SessionWallet.open({ rpc, owner: address(account.address), app: APP, feePayer });
    $("key").textContent = session.address;
    log(`session key ${session.restored ? "restored from" : "generated into"} IndexedDB (non-extractable: ${!session.signer.keyPair.privateKey.extractable})`);
    button("grant").disabled = false;
    button("grant-message").disabled = !(sponsorUrl || koraUrl);
    if (feePayer) button("buy").textContent = "Take a free item";
  });

button("grant").onclick = () =>
  run("grant", async () => {
    if (!session || !wallet || !account) throw new Error("connect first");
    const owner = session.owner;
    const now = await chainTime(rpc);
    const ownerSigner = walletStandardSigner(wallet, account, chain);
    const deposit = await getDepositSolInstructionAsync({ owner: ownerSigner, amount: SOL / 2n });
    const grant = scope(now + 3600n)
      .sol(caps(SOL / 10n).perInstruction(60_000_000n))
      .program(await gameScope(50_000_000n))
      .label("Dungeon Quest");
    const sent = await session.grant({ ownerSigner, scope: grant, topUpLamports: 10_000_000n, before: [deposit] });
    log(`granted in ${sent.signature}; events: ${sent.events.map((e) => e.name).join(", ") || "none"}`);
    const v = await vault(owner);
    const exists = await rpc.getAccountInfo(await playerPda(v), { encoding: "base64" }).send();
    if (!exists.value) await session.execute([await createPlayer(v)]);
  });

button("grant-message").onclick = () =>
  run("grant-message", async () => {
    if (!session || !wallet || !account) throw new Error("connect first");
    const now = await chainTime(rpc);
    if (feePayer) {
      // Free play: Kora pays the grant and every move; the treasury pays the player's rent.
      const sent = await session.grantByMessage({
        ownerSigner: walletStandardMessageSigner(wallet, account),
        scope: scope(now + 3600n).program(freePlayScope()).label("Dungeon Quest"),
        domain: location.host,
        cluster,
      });
      log(`granted by message in ${sent.signature}, paid by Kora; events: ${sent.events.map((e) => e.name).join(", ")}`);
      const v = await vault(session.owner);
      const exists = await rpc.getAccountInfo(await playerPda(v), { encoding: "base64" }).send();
      if (!exists.value) await session.execute([await createPlayerFunded(session.owner)]);
      log("free play: Kora pays every fee, the game's treasury paid the player's rent");
      return;
    }
    if (!sponsorUrl) throw new Error("no sponsor: open the page with ?sponsor=<url> or ?kora=<url>");
    // Create and move only: the full game scope (buy_item's rules) does not fit one sponsored
    // transaction together with its message.
    const grant = scope(now + 3600n)
      .sol(caps(SOL / 100n))
      .program(program(GAME_PROGRAM).instruction(instruction(DISCRIMINATORS.createPlayer)).instruction(instruction(DISCRIMINATORS.movePlayer)))
      .label("Dungeon Quest");
    const sent = await session.grantByMessage({
      ownerSigner: walletStandardMessageSigner(wallet, account),
      scope: grant,
      domain: location.host,
      cluster,
      sponsor: sponsorUrl,
    });
    log(`granted by message in ${sent.signature}; events: ${sent.events.map((e) => e.name).join(", ")}`);
    // This example's sponsor pays for grants, not for play: the session key has no SOL for
    // fees and the vault none for the player's account until someone (the game) funds them.
    log("the session key and the vault hold no SOL: moves need the game to pay their fees and the player account's rent");
  });

button("move").onclick = () =>
  run("move", async () => {
    if (!session) throw new Error("connect first");
    await session.execute([await movePlayer(await vault(session.owner), 1, 2)]);
  });

button("buy").onclick = () =>
  run("buy", async () => {
    if (!session) throw new Error("connect first");
    await session.execute([await buyItem(await vault(session.owner), 7, feePayer ? 0n : PRICE)]);
  });

button("revoke").onclick = () =>
  run("revoke", async () => {
    if (!session) throw new Error("connect first");
    const sent = await session.revoke();
    log(`revoked${sent ? ` in ${sent.signature}` : ""}; the key is forgotten`);
    session = await SessionWallet.open({ rpc, owner: session.owner, app: APP, feePayer });
  });

document.body.dataset.ready = "true";
