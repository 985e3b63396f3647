// End to end against localnet (the programs behind Solana JSON-RPC): grant, transfer, execute,
// an over-cap refusal decoded to its name, listing, revoke, revoke-all, revoke everything past
// a stranger's multisig dressed as a delegated token account, and expiry by moving the
// chain's clock. Every client call is standard RPC, so these run unchanged against a
// validator.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountRole,
  generateKeyPairSigner,
  getAddressEncoder,
  lamports,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type TransactionSigner,
} from "@solana/kit";
import * as sdk from "../src/index";
import { buyItem, createPlayer, decodePlayer, gameScope, movePlayer, playerPda, treasuryPda } from "../web/game";
import { localnetMissing, startLocalnet, type Localnet } from "./localnet";
import { craftedMultisig } from "./tokenImages";
import * as tokens from "./tokens";
import { getBase64Encoder } from "@solana/kit";

const SOL = 1_000_000_000n;
const missing = localnetMissing();
let net: Localnet;
let owner: KeyPairSigner;
const APP = "e2e";
const storage = sdk.memoryKeyStore();

before(async () => {
  if (missing) return;
  net = await startLocalnet();
  owner = await generateKeyPairSigner();
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(owner.address, lamports(10n * SOL)).send());
});

after(async () => {
  await net?.stop();
});

const skip = missing ?? false;

async function chainNow() {
  return await sdk.chainTime(net.rpc);
}

async function openWallet(app = APP): Promise<sdk.SessionWallet> {
  return await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app, storage });
}

async function balance(a: Address) {
  return (await net.rpc.getBalance(a, { commitment: "confirmed" }).send()).value;
}

test("grant, transfer SOL within caps, play through execute, refuse over the cap by name", { skip }, async () => {
  const wallet = await openWallet();
  const now = await chainNow();
  const destination = (await generateKeyPairSigner()).address;
  const deposit = await sdk.getDepositSolInstructionAsync({ owner, amount: 2n * SOL });
  const grant = await wallet.grant({
    ownerSigner: owner,
    scope: sdk
      .scope(now + 3600n)
      .sol(sdk.caps(SOL / 10n).perInstruction(60_000_000n))
      .program(await gameScope(50_000_000n))
      .label("e2e game"),
    topUpLamports: 20_000_000n,
    before: [deposit],
  });
  assert.equal(grant.logs.length > 0, true, "the transaction's logs come back");
  assert.equal(await balance(wallet.address), 20_000_000n, "the key got its fee top-up");
  assert.equal(await wallet.status(), "live");
  assert.ok(await wallet.isLive());

  // transfer_sol, signed by the session key alone.
  await wallet.transferSol(destination, 1_000_000n);
  assert.equal(await balance(destination), 1_000_000n);

  // execute: the vault creates the player, moves it and buys an item.
  const [vault] = await sdk.findVaultPda({ owner: owner.address });
  await wallet.execute([await createPlayer(vault)]);
  await wallet.execute([await movePlayer(vault, 3, -2), await buyItem(vault, 7, 20_000_000n)]);
  const info = await net.rpc.getAccountInfo(await playerPda(vault), { encoding: "base64" }).send();
  const player = decodePlayer(new Uint8Array(getBase64Encoder().encode(info.value!.data[0])));
  assert.deepEqual([player.x, player.y, player.items], [3, -2, 1]);
  assert.equal(await balance(await treasuryPda()), 20_000_000n);

  // Over the per-instruction cap: refused in preflight, decoded to the program's error.
  await assert.rejects(wallet.transferSol(destination, 60_000_001n), (e: unknown) => {
    assert.ok(e instanceof sdk.TransactionFailedError, String(e));
    assert.equal(e.programError?.code, 6015);
    assert.match(e.programError!.name, /^Per(Transaction|Instruction)CapExceeded$/);
    assert.ok(e.logs.length > 0, "the simulation's logs come with the error");
    return true;
  });
  // Over the buy_item argument rule (price ≤ 0.05 SOL).
  await assert.rejects(wallet.execute([await buyItem(vault, 7, 50_000_001n)]), (e: unknown) => {
    assert.ok(e instanceof sdk.TransactionFailedError);
    assert.equal(e.programError?.name, "ArgumentRuleViolated");
    return true;
  });

  // The allowance the UI shows matches the chain.
  const s = (await wallet.session())!;
  assert.ok(s.sol.__option === "Some");
  const r = sdk.remaining(s.sol.value, await chainNow());
  assert.equal(r.perInstruction, 60_000_000n);
  assert.equal(r.lifetime, SOL / 10n - s.sol.value.spent);
});

test("listing classifies an owner's sessions; revoke closes one and sweeps its key", { skip }, async () => {
  const a = await openWallet("list-a");
  const b = await openWallet("list-b");
  const now = await chainNow();
  for (const w of [a, b]) {
    await w.grant({ ownerSigner: owner, scope: sdk.scope(now + 600n).sol(sdk.caps(SOL / 100n)).label(w.app), topUpLamports: 10_000_000n });
  }
  const listed = await sdk.listSessions(net.rpc, owner.address, await chainNow());
  const mine = listed.sessions.filter((s) => [a.address, b.address].includes(s.session.sessionKey));
  assert.equal(mine.length, 2);
  assert.ok(mine.every((s) => s.status === "live"));
  assert.ok(listed.wallet, "the owner's wallet account exists");

  const ownerBefore = await balance(owner.address);
  const keyB = b.address;
  const revoked = await b.revoke();
  assert.ok(revoked);
  assert.equal(await sdk.fetchSessionByKey(net.rpc, owner.address, keyB), null, "closed");
  assert.equal(await balance(keyB), 0n, "nothing left on the key");
  assert.ok((await balance(owner.address)) > ownerBefore, "the leftover lamports went to the owner");
  assert.equal(await storage.get("list-b", owner.address), null, "the key is forgotten");
  const after = await sdk.listSessions(net.rpc, owner.address, await chainNow());
  assert.ok(!after.sessions.some((s) => s.session.sessionKey === keyB));

  // revoke_all_sessions: every session of the owner is revoked by nonce.
  await sdk.signAndSend(net.rpc, owner, [await sdk.revokeAllSessionsInstruction({ owner })]);
  assert.equal(await a.status(), "revoked");
  const classified = sdk.classifySessions((await sdk.listSessions(net.rpc, owner.address, await chainNow())).sessions);
  assert.equal(classified.live.length, 0);
  assert.ok(classified.revoked.some((s) => s.session.sessionKey === a.address));
});

test("transaction logs carry the program's events, decoded", { skip }, async () => {
  const w = await openWallet("events");
  const now = await chainNow();
  const destination = (await generateKeyPairSigner()).address;
  const grant = await w.grant({
    ownerSigner: owner,
    scope: sdk.scope(now + 600n).sol(sdk.caps(SOL / 100n)).label("events"),
    topUpLamports: 10_000_000n,
    before: [await sdk.getDepositSolInstructionAsync({ owner, amount: SOL / 10n })],
  });
  assert.deepEqual(grant.events.map((e) => e.name), ["SolDeposited", "SessionCreated"]);
  const created = grant.events[1]!;
  assert.ok(created.name === "SessionCreated");
  assert.equal(created.data.sessionKey, w.address);
  assert.equal(created.data.label, "events");
  assert.equal(created.data.topUpLamports, 10_000_000n);

  const sent = await w.transferSol(destination, 1_000_000n);
  const ev = sent.events[0]!;
  assert.ok(ev.name === "SolTransferred");
  assert.equal(ev.data.to, destination);
  assert.equal(ev.data.amount, 1_000_000n);
  assert.equal(ev.data.lifetimeRemaining, SOL / 100n - 1_000_000n);

  const revoked = await w.revoke();
  assert.deepEqual(revoked?.events.map((e) => e.name), ["SessionRevoked"]);
});

const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address;
const SYSTEM = "11111111111111111111111111111111" as Address;

/** The shared token helpers (test/tokens.ts) on this file's localnet. */
const createTokenProgramAccount = (payer: TransactionSigner, account: TransactionSigner, space: number, program: Address = TOKEN_PROGRAM) =>
  tokens.createTokenProgramAccount(net.rpc, payer, account, space, program);
const tokenSetup = (authority: KeyPairSigner, owners: Address[], amount: bigint) => tokens.tokenSetup(net.rpc, authority, owners, amount);

async function tokenAmount(account: Address) {
  return BigInt((await net.rpc.getTokenAccountBalance(account, { commitment: "confirmed" }).send()).value.amount);
}

test("tokens: a grant approves the vault, the session transfers, the delegation shows and revoke-all removes it", { skip }, async () => {
  const w = await openWallet("tokens");
  const receiver = (await generateKeyPairSigner()).address;
  const { mint, accounts } = await tokenSetup(owner, [owner.address, receiver], 1_000_000_000n);
  const [ownerTokens, receiverTokens] = accounts as [Address, Address];
  const now = await chainNow();
  await w.grant({
    ownerSigner: owner,
    scope: sdk
      .scope(now + 600n)
      .mint(mint, sdk.caps(300_000_000n).perInstruction(200_000_000n))
      .delegate(500_000_000n)
      .label("tokens"),
    topUpLamports: 10_000_000n,
    delegate: { tokenAccount: ownerTokens, tokenProgram: TOKEN_PROGRAM },
  });
  const [vault] = await sdk.findVaultPda({ owner: owner.address });
  let d = await sdk.existingDelegation(net.rpc, owner.address, ownerTokens);
  assert.deepEqual([d?.delegate, d?.delegatedAmount, d?.delegateIsVault], [vault, 500_000_000n, true]);

  await w.transferToken({ from: ownerTokens, mint, to: receiverTokens, tokenProgram: TOKEN_PROGRAM, amount: 150_000_000n, decimals: 6 });
  assert.equal(await tokenAmount(receiverTokens), 150_000_000n);
  assert.equal(await tokenAmount(ownerTokens), 850_000_000n);
  await assert.rejects(
    w.transferToken({ from: ownerTokens, mint, to: receiverTokens, tokenProgram: TOKEN_PROGRAM, amount: 200_000_000n, decimals: 6 }),
    (e: unknown) => e instanceof sdk.TransactionFailedError && e.programError?.name === "LifetimeCapExceeded",
  );
  d = await sdk.existingDelegation(net.rpc, owner.address, ownerTokens);
  assert.equal(d?.delegatedAmount, 350_000_000n, "what a new session with this mint would inherit");

  await sdk.signAndSend(net.rpc, owner, [
    await sdk.revokeAllSessionsInstruction({ owner, delegations: [{ tokenAccount: ownerTokens, tokenProgram: TOKEN_PROGRAM }] }),
  ]);
  d = await sdk.existingDelegation(net.rpc, owner.address, ownerTokens);
  assert.equal(d?.delegate, null, "revoke-all removed the vault's delegation");
  assert.equal(await w.status(), "revoked");
});

const TOKEN_2022 = sdk.TOKEN_2022_PROGRAM_ADDRESS;

/** A token-program instruction: `data`, then (address, role[, signer]) accounts. */
function tokenIx(program: Address, data: number[] | Uint8Array, accounts: [Address, AccountRole, TransactionSigner?][]): Instruction {
  return {
    programAddress: program,
    accounts: accounts.map(([address, role, signer]) => (signer ? { address, role, signer } : { address, role })),
    data: new Uint8Array(data),
  } as Instruction;
}
const u64le = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return [...b];
};
const key32 = (a: Address) => [...getAddressEncoder().encode(a)];

/**
 * Token-2022, for `owner`: a mint with `owner` as mint and freeze authority, an account with
 * ImmutableOwner (170 bytes) and a plain one (165 bytes), both delegated to the vault, the
 * second then frozen.
 */
async function token2022Delegations(owner: KeyPairSigner, vault: Address) {
  const [mint, withExtension, frozen] = [await generateKeyPairSigner(), await generateKeyPairSigner(), await generateKeyPairSigner()];
  const W = AccountRole.WRITABLE;
  const R = AccountRole.READONLY;
  const S = AccountRole.READONLY_SIGNER;
  await sdk.signAndSend(net.rpc, owner, [
    await createTokenProgramAccount(owner, mint, 82, TOKEN_2022),
    tokenIx(TOKEN_2022, [20, 6, ...key32(owner.address), 1, ...key32(owner.address)], [[mint.address, W]]), // InitializeMint2
    await createTokenProgramAccount(owner, withExtension, 170, TOKEN_2022),
    tokenIx(TOKEN_2022, [22], [[withExtension.address, W]]), // InitializeImmutableOwner
    tokenIx(TOKEN_2022, [18, ...key32(owner.address)], [[withExtension.address, W], [mint.address, R]]), // InitializeAccount3
    await createTokenProgramAccount(owner, frozen, 165, TOKEN_2022),
    tokenIx(TOKEN_2022, [18, ...key32(owner.address)], [[frozen.address, W], [mint.address, R]]),
  ]);
  const approve = (account: Address) => tokenIx(TOKEN_2022, [4, ...u64le(1_000n)], [[account, W], [vault, R], [owner.address, S, owner]]);
  await sdk.signAndSend(net.rpc, owner, [
    approve(withExtension.address),
    approve(frozen.address),
    tokenIx(TOKEN_2022, [10], [[frozen.address, W], [mint.address, R], [owner.address, S, owner]]), // FreezeAccount
  ]);
  return { withExtension: withExtension.address, frozen: frozen.address };
}

/**
 * A stranger's 355-byte Token-2022 multisig (System `create_account` + `InitializeMultisig2`
 * with 11 chosen signer addresses) whose bytes read as `victim`'s token account delegated to
 * the vault, with byte 165 = 2.
 */
async function plantCraftedMultisig(stranger: KeyPairSigner, victim: Address, vault: Address) {
  const fake = await generateKeyPairSigner();
  const image = craftedMultisig(victim, vault);
  await sdk.signAndSend(net.rpc, stranger, [
    await createTokenProgramAccount(stranger, fake, 355, TOKEN_2022),
    tokenIx(TOKEN_2022, [19, image.m], [[fake.address, AccountRole.WRITABLE], ...image.signers.map((a) => [a, AccountRole.READONLY] as [Address, AccountRole])]),
  ]);
  return { address: fake.address, image: image.data };
}

async function accountBytes(a: Address) {
  const { value } = await net.rpc.getAccountInfo(a, { encoding: "base64", commitment: "confirmed" }).send();
  return { owner: value!.owner, lamports: value!.lamports, data: new Uint8Array(getBase64Encoder().encode(value!.data[0])) };
}

test("revokeEverything: a stranger's multisig dressed as a delegated token account blocks nothing; the report is the program's", { skip }, async () => {
  const victim = await generateKeyPairSigner();
  const stranger = await generateKeyPairSigner();
  for (const k of [victim, stranger]) await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(k.address, lamports(2n * SOL)).send());
  const [vault] = await sdk.findVaultPda({ owner: victim.address });

  // The victim's session, with the vault delegated on a real SPL Token account (the grant), and
  // on two real Token-2022 accounts, one of them frozen.
  const w = await sdk.SessionWallet.open({ rpc: net.rpc, owner: victim.address, app: "revoke-everything", storage });
  const receiver = (await generateKeyPairSigner()).address;
  const { mint, accounts } = await tokenSetup(victim, [victim.address, receiver], 1_000_000_000n);
  const [splAccount, receiverTokens] = accounts as [Address, Address];
  await w.grant({
    ownerSigner: victim,
    scope: sdk
      .scope((await chainNow()) + 600n)
      .sol(sdk.caps(SOL / 100n))
      .mint(mint, sdk.caps(300_000_000n))
      .delegate(500_000_000n)
      .label("stolen key"),
    topUpLamports: 10_000_000n,
    delegate: { tokenAccount: splAccount, tokenProgram: TOKEN_PROGRAM },
    before: [await sdk.getDepositSolInstructionAsync({ owner: victim, amount: SOL / 10n })],
  });
  await w.transferToken({ from: splAccount, mint, to: receiverTokens, tokenProgram: TOKEN_PROGRAM, amount: 1_000_000n, decimals: 6 });
  const t22 = await token2022Delegations(victim, vault);

  // The stranger plants the fake: Token-2022 wrote exactly the crafted image, and a
  // getProgramAccounts scan with the helper's filters returns it next to the real ones.
  const fake = await plantCraftedMultisig(stranger, victim.address, vault);
  const planted = await accountBytes(fake.address);
  assert.equal(planted.owner, TOKEN_2022);
  assert.deepEqual(planted.data, fake.image, "owner = victim at 32, delegate = vault at 72, state 1 at 108, byte 165 = 2");
  const scan = await net.rpc
    .getProgramAccounts(TOKEN_2022, { encoding: "base64", filters: sdk.vaultDelegationFilters(TOKEN_2022, victim.address, vault) })
    .send();
  assert.deepEqual(scan.map((a) => a.pubkey).sort(), [t22.withExtension, t22.frozen, fake.address].sort(), "the scan alone picks up the fake");
  const listed = await sdk.listVaultDelegations(net.rpc, victim.address);
  assert.deepEqual(
    listed.map((d) => `${d.tokenAccount} ${d.frozen}`).sort(),
    [`${splAccount} false`, `${t22.withExtension} false`, `${t22.frozen} true`].sort(),
    "the helper's listing drops it",
  );
  const nonceBefore = (await sdk.fetchOwnerWallet(net.rpc, victim.address))!.nonce;

  const report = await sdk.revokeEverything({ rpc: net.rpc, owner: victim });

  // Two transactions: the nonce bump with nothing listed, then the two real unfrozen accounts.
  assert.equal(report.signatures.length, 2);
  const [kill] = report.killed.events.filter((e) => e.name === "AllSessionsRevoked");
  assert.ok(kill?.name === "AllSessionsRevoked");
  assert.deepEqual([kill.data.revokedDelegations, kill.data.skippedDelegations], [[], []], "the bump listed no account");
  assert.deepEqual(report.revoked.sort(), [splAccount, t22.withExtension].sort(), "what the program's events say it revoked");
  assert.deepEqual(report.skipped, []);
  assert.deepEqual(report.frozen, [t22.frozen]);
  assert.deepEqual(report.failed, []);
  for (const list of [report.revoked, report.skipped, report.frozen]) assert.ok(!list.includes(fake.address), "never the fake");
  const walletAfter = (await sdk.fetchOwnerWallet(net.rpc, victim.address))!;
  assert.equal(walletAfter.nonce, nonceBefore + 2n);
  assert.deepEqual([report.nonce, report.messageCounter], [walletAfter.nonce, walletAfter.messageCounter]);

  // The session is dead: the stolen key is refused with the program's stale-nonce error.
  assert.equal(await w.status(), "revoked");
  for (const attempt of [
    () => w.transferToken({ from: splAccount, mint, to: receiverTokens, tokenProgram: TOKEN_PROGRAM, amount: 1n, decimals: 6 }),
    () => w.transferSol(receiver, 1n),
  ]) {
    await assert.rejects(attempt(), (e: unknown) => {
      assert.ok(e instanceof sdk.TransactionFailedError, String(e));
      assert.equal(e.programError?.name, "SessionRevoked");
      return true;
    });
  }
  // The real delegations are gone, the frozen one stays, the fake is untouched.
  assert.equal((await sdk.existingDelegation(net.rpc, victim.address, splAccount))?.delegate, null);
  assert.equal((await sdk.existingDelegation(net.rpc, victim.address, t22.withExtension))?.delegate, null);
  assert.equal((await sdk.existingDelegation(net.rpc, victim.address, t22.frozen))?.delegate, vault);
  assert.deepEqual(await accountBytes(fake.address), planted);

  // Listed by hand, the fake is skipped by the program (never an error), and stays as it was.
  const sent = await sdk.signAndSend(net.rpc, victim, [
    await sdk.revokeAllSessionsInstruction({ owner: victim, delegations: [{ tokenAccount: fake.address, tokenProgram: TOKEN_2022 }] }),
  ]);
  const ev = sent.events.find((e) => e.name === "AllSessionsRevoked");
  assert.ok(ev?.name === "AllSessionsRevoked");
  assert.deepEqual([ev.data.revokedDelegations, ev.data.skippedDelegations], [[], [fake.address]]);
  assert.deepEqual(await accountBytes(fake.address), planted);
});

test("a session expires when the chain's clock passes its expiry", { skip }, async () => {
  const w = await openWallet("expiry");
  const now = await chainNow();
  await w.grant({ ownerSigner: owner, scope: sdk.scope(now + 120n).sol(sdk.caps(SOL / 100n)), topUpLamports: 10_000_000n });
  const fired: bigint[] = [];
  const cancel = await w.onBeforeExpiry(119, (at) => fired.push(at));
  assert.equal(await w.status(), "live");
  await net.setClock({ unixTimestamp: Number(now + 120n) });
  assert.equal(await w.status(), "expired");
  await assert.rejects(w.transferSol(owner.address, 1n), (e: unknown) => {
    assert.ok(e instanceof sdk.TransactionFailedError);
    assert.equal(e.programError?.name, "SessionExpired");
    return true;
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(fired, [now + 120n], "the before-expiry callback ran");
  cancel();
  await net.setClock({ wallClock: true });
});

test("migrations/deploy.ts runs with the SDK's dependencies and finds the program", { skip }, async () => {
  const { spawnSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const script = fileURLToPath(new URL("../../scripts/run-migration.mjs", import.meta.url));
  const r = spawnSync(process.execPath, [script, "--url", net.url, "--owner", owner.address], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const [vault] = await sdk.findVaultPda({ owner: owner.address });
  assert.match(r.stdout, new RegExp(`session-keys live at ${sdk.SESSION_KEYS_PROGRAM_ADDRESS}`));
  assert.match(r.stdout, new RegExp(`vault   ${vault}`));
  assert.match(r.stdout, /session \S+ (live|revoked|expired|exhausted) /);
});
