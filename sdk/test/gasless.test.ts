// The gasless grant end to end against localnet: a player with 0 SOL signs one message in a
// Wallet Standard wallet (solana:signMessage), the sponsor service (sdk/examples/sponsor.ts, on
// a loopback port) checks it and pays, the session exists with the sponsor as payer, the
// session key plays the example game with the sponsor paying the fees, and the sponsor's
// balance drops by exactly the rent and the fees. Then the refusals: the same message again
// (the service's rate limit, then the program: MessageNumberMismatch), and a scope with a
// program the sponsor does not pay for (403, nothing created).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  generateKeyPairSigner,
  getBase64Encoder,
  getTransactionEncoder,
  lamports,
  partiallySignTransactionMessageWithSigners,
  type Address,
  type KeyPairSigner,
} from "@solana/kit";
import * as sdk from "../src/index";
import { startSponsorService, type SponsorService } from "../examples/sponsor";
import { createPlayer, decodePlayer, DISCRIMINATORS, GAME_PROGRAM, movePlayer, playerPda } from "../web/game";
import { messageWallet } from "./fakes";
import { localnetMissing, startLocalnet, type Localnet } from "./localnet";

const SOL = 1_000_000_000n;
const DOMAIN = "game.example";
const missing = localnetMissing();
const skip = missing ?? false;
let net: Localnet;
let sponsor: KeyPairSigner;
let gameTreasury: KeyPairSigner;
let service: SponsorService;
const POLICY: sdk.SponsorPolicy = { cluster: "localnet", programs: [GAME_PROGRAM], domains: [DOMAIN] };

before(async () => {
  if (missing) return;
  net = await startLocalnet();
  [sponsor, gameTreasury] = await Promise.all([generateKeyPairSigner(), generateKeyPairSigner()]);
  for (const k of [sponsor, gameTreasury]) await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(k.address, lamports(10n * SOL)).send());
  service = await startSponsorService({ rpc: net.rpc, sponsor, policy: POLICY });
});

after(async () => {
  await service?.close();
  await net?.stop();
});

async function balance(a: Address) {
  return (await net.rpc.getBalance(a, { commitment: "confirmed" }).send()).value;
}

async function rent(a: Address) {
  const { value } = await net.rpc.getAccountInfo(a, { encoding: "base64", commitment: "confirmed" }).send();
  assert.ok(value, `${a} exists`);
  const size = getBase64Encoder().encode(value.data[0]).length;
  const min = await net.rpc.getMinimumBalanceForRentExemption(BigInt(size)).send();
  assert.equal(value.lamports, min, `${a} holds exactly its rent`);
  return min;
}

async function fee(signature: string) {
  const tx = await net.rpc.getTransaction(signature as never, { commitment: "confirmed", encoding: "json", maxSupportedTransactionVersion: 0 }).send();
  return tx!.meta!.fee;
}

/**
 * The game's message-grant scope: create and move the player. The full `gameScope` (with
 * buy_item's argument and account rules) makes a 1,253-byte sponsor transaction, over the
 * 1,232-byte limit: the transaction carries both the arguments and the message.
 */
const moveScope = () =>
  sdk.program(GAME_PROGRAM).instruction(sdk.instruction(DISCRIMINATORS.createPlayer)).instruction(sdk.instruction(DISCRIMINATORS.movePlayer));

/** A sponsor client that keeps the last request it forwarded (to measure and replay it). */
function recordingSponsor(url: string) {
  const http = sdk.httpSponsor(url);
  const requests: sdk.GrantRequest[] = [];
  const client: sdk.Sponsor = {
    address: () => http.address(),
    submit: (r) => {
      requests.push(r);
      return http.submit(r);
    },
  };
  return { client, requests };
}

/** The state the first test leaves for the next: the player, its key and what was sent. */
let granted: { player: KeyPairSigner; wallet: sdk.SessionWallet; request: sdk.GrantRequest; sessionRent: bigint } | null = null;

test("a player with 0 SOL signs one message, the sponsor pays rent and fees, the session key plays", { skip }, async (t) => {
  const player = await generateKeyPairSigner();
  assert.equal(await balance(player.address), 0n, "the player has no SOL");
  const wallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: player.address, app: "gasless", storage: sdk.memoryKeyStore() });
  const { wallet: standard, account, asked } = messageWallet(player);
  const { client, requests } = recordingSponsor(service.url);
  assert.equal(await sdk.nextMessageNumber(net.rpc, player.address), 0n, "no wallet account yet: message 0");

  const sponsorBefore = await balance(sponsor.address);
  const now = await sdk.chainTime(net.rpc);
  const sent = await wallet.grantByMessage({
    ownerSigner: sdk.walletStandardMessageSigner(standard, account),
    scope: sdk
      .scope(now + 3600n)
      .sol(sdk.caps(SOL / 100n))
      .program(moveScope())
      .label("Dungeon Quest"),
    domain: DOMAIN,
    cluster: "localnet",
    sponsor: client,
  });
  assert.equal(asked.length, 1, "one wallet prompt");
  assert.match(new TextDecoder().decode(asked[0]), /^game\.example asks you to grant a session key\n/);
  assert.equal(wallet.grantSignature, sent.signature);
  assert.deepEqual(sent.events.map((e) => e.name), ["SessionCreated", "MessageGrantUsed"]);
  const used = sent.events[1]!;
  assert.ok(used.name === "MessageGrantUsed");
  assert.equal(used.data.sponsor, sponsor.address);
  assert.equal(used.data.messageNumber, 0n);

  // The session on chain, paid by the sponsor; the owner's next message is number 1.
  const session = (await wallet.session())!;
  assert.equal(session.payer, sponsor.address);
  assert.equal(session.owner, player.address);
  assert.equal(session.sessionKey, wallet.address);
  assert.equal(session.label, "Dungeon Quest");
  assert.equal(await wallet.status(), "live");
  assert.equal(await sdk.nextMessageNumber(net.rpc, player.address), 1n);

  // The sponsor paid exactly the session's rent, the wallet's rent and the fee.
  const { session: sessionPda, wallet: walletPda, vault } = await sdk.sessionAddresses(player.address, wallet.address);
  const [sessionRent, walletRent, grantFee] = await Promise.all([rent(sessionPda), rent(walletPda), fee(sent.signature)]);
  assert.equal(grantFee, 15_000n, "two transaction signatures and one Ed25519 precompile signature, 5,000 each");
  assert.equal(sponsorBefore - (await balance(sponsor.address)), sessionRent + walletRent + grantFee);
  assert.equal(await balance(player.address), 0n, "the player still has no SOL");
  const size = getTransactionEncoder().encode(requests[0]!.transaction).length;
  assert.ok(size <= 1232);
  t.diagnostic(`sponsor transaction ${size} bytes; session rent ${sessionRent}, wallet rent ${walletRent}, fee ${grantFee} lamports`);

  // Play: the game funds the vault with the player account's rent (create_player makes its
  // authority pay), the sponsor pays the fee, the session key signs create + move.
  await sdk.signAndSend(net.rpc, gameTreasury, [sdk.systemTransferInstruction(gameTreasury, vault, 5_000_000n)]);
  const sponsorBeforePlay = await balance(sponsor.address);
  const play = await sdk.signAndSend(net.rpc, sponsor, [
    await sdk.executeInstruction({ sessionKey: wallet.signer, owner: player.address, calls: [await createPlayer(vault), await movePlayer(vault, 2, -1)] }),
  ]);
  const info = await net.rpc.getAccountInfo(await playerPda(vault), { encoding: "base64" }).send();
  const p = decodePlayer(new Uint8Array(getBase64Encoder().encode(info.value!.data[0])));
  assert.deepEqual([p.authority, p.x, p.y], [vault, 2, -1]);
  const playFee = await fee(play.signature);
  assert.equal(playFee, 10_000n, "the sponsor and the session key sign");
  assert.equal(sponsorBeforePlay - (await balance(sponsor.address)), playFee, "the move cost the sponsor its fee only");
  assert.equal(await balance(wallet.address), 0n, "the session key never held SOL");
  granted = { player, wallet, request: requests[0]!, sessionRent };
});

test("the same message again: the service's limit refuses it, then the program (MessageNumberMismatch), even after the session is closed", { skip }, async () => {
  assert.ok(granted, "runs after the grant test");
  const { player, wallet, request, sessionRent } = granted;
  const { value: blockhash } = await net.rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
  const fresh = async () =>
    await partiallySignTransactionMessageWithSigners(
      await sdk.sponsoredGrantTransactionMessage({ ...request, sessionKey: wallet.signer, sponsor: sponsor.address, blockhash }),
    );

  // Through the service: one session per owner per hour.
  const http = sdk.httpSponsor(service.url);
  await assert.rejects(http.submit({ ...request, transaction: await fresh() }), (e: unknown) => {
    assert.ok(e instanceof sdk.GrantRefusedError, String(e));
    assert.equal(e.status, 429);
    assert.match(e.reason, /one session per owner per 3600 s/);
    return true;
  });

  // Close the session (the key signs, the sponsor pays the fee and gets the rent back), so the
  // replay is not stopped by the existing account but by the program's message counter.
  const beforeClose = await balance(sponsor.address);
  const closed = await sdk.signAndSend(net.rpc, sponsor, [
    await sdk.revokeSessionInstruction({ authority: wallet.signer, owner: player.address, sessionKey: wallet.address, rentPayer: sponsor.address }),
  ]);
  assert.equal(await wallet.session(), null, "closed");
  assert.equal((await balance(sponsor.address)) - beforeClose, sessionRent - (await fee(closed.signature)), "the session's rent went back to the sponsor");

  // A sponsor without the rate limit: the program refuses, the service reports its error.
  const lenient = await startSponsorService({ rpc: net.rpc, sponsor, policy: POLICY, ownerIntervalSeconds: 0 });
  try {
    const sponsorBefore = await balance(sponsor.address);
    await assert.rejects(sdk.httpSponsor(lenient.url).submit({ ...request, transaction: await fresh() }), (e: unknown) => {
      assert.ok(e instanceof sdk.GrantRefusedError, String(e));
      assert.equal(e.status, 422);
      assert.equal(e.programError?.name, "MessageNumberMismatch");
      return true;
    });
    assert.equal(await balance(sponsor.address), sponsorBefore, "refused in preflight: the sponsor paid nothing");
  } finally {
    await lenient.close();
  }
  // The same transaction sent directly: the program's error, decoded by name.
  await assert.rejects(sdk.signAndSend(net.rpc, sponsor, await sdk.sponsoredGrantInstructions({ ...request, sessionKey: wallet.signer, sponsor })), (e: unknown) => {
    assert.ok(e instanceof sdk.TransactionFailedError, String(e));
    assert.equal(e.programError?.name, "MessageNumberMismatch");
    assert.equal(e.programError?.code, 6067);
    return true;
  });
  assert.equal(await wallet.session(), null, "nothing was created");
  assert.equal(await sdk.nextMessageNumber(net.rpc, player.address), 1n);
});

test("the sponsor refuses a scope with a program it does not sponsor, and nothing is created", { skip }, async () => {
  const player = await generateKeyPairSigner();
  const wallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: player.address, app: "gasless", storage: sdk.memoryKeyStore() });
  const { wallet: standard, account, asked } = messageWallet(player);
  const foreign = (await generateKeyPairSigner()).address;
  const sponsorBefore = await balance(sponsor.address);
  const now = await sdk.chainTime(net.rpc);
  await assert.rejects(
    wallet.grantByMessage({
      ownerSigner: sdk.walletStandardMessageSigner(standard, account),
      scope: sdk
        .scope(now + 3600n)
        .program(sdk.program(GAME_PROGRAM))
        .program(sdk.program(foreign)),
      domain: DOMAIN,
      cluster: "localnet",
      sponsor: service.url,
    }),
    (e: unknown) => {
      assert.ok(e instanceof sdk.GrantRefusedError, String(e));
      assert.equal(e.status, 403);
      assert.equal(e.reason, `the scope includes program ${foreign}, which this sponsor does not sponsor`);
      return true;
    },
  );
  assert.equal(asked.length, 1, "the owner signed; the sponsor refused before paying");
  const { session, wallet: walletPda } = await sdk.sessionAddresses(player.address, wallet.address);
  const accounts = await net.rpc.getMultipleAccounts([session, walletPda], { encoding: "base64", commitment: "confirmed" }).send();
  assert.deepEqual(accounts.value, [null, null], "no session, no wallet account");
  assert.equal(await balance(sponsor.address), sponsorBefore, "the sponsor paid nothing");
  assert.equal(wallet.grantSignature, null);
});

test("the Offchain envelope grants the same way (the wallet signs the whole off-chain message)", { skip }, async () => {
  const player = await generateKeyPairSigner();
  const wallet = await sdk.SessionWallet.open({ rpc: net.rpc, owner: player.address, app: "gasless", storage: sdk.memoryKeyStore() });
  const { wallet: standard, account, asked } = messageWallet(player);
  const now = await sdk.chainTime(net.rpc);
  await wallet.grantByMessage({
    ownerSigner: sdk.walletStandardMessageSigner(standard, account),
    scope: sdk.scope(now + 600n).program(sdk.program(GAME_PROGRAM)),
    domain: DOMAIN,
    cluster: "localnet",
    sponsor: service.url,
    envelope: sdk.MessageEnvelope.Offchain,
  });
  assert.equal(asked[0]![0], 0xff);
  assert.equal(new TextDecoder().decode(asked[0]!.subarray(1, 16)), "solana offchain");
  assert.equal((await wallet.session())?.payer, sponsor.address);
});
