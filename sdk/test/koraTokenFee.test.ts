// Fees paid in a token, through the session: Kora 2.0.5 reads its simulation's inner
// instructions, so a session-keys `transfer_token` to Kora's payment account (an inner SPL
// Token TransferChecked, charged to the session's mint caps) is a payment it verifies. Kora
// runs with a variant of deploy/kora/kora.toml whose price is `fixed` in a test mint; the
// session key holds no SOL: it pays Kora one token per transaction, and a transaction without
// the payment is refused before anything is sent.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSigner, lamports, type Address, type KeyPairSigner } from "@solana/kit";
import * as sdk from "../src/index";
import { createPlayerFunded, GAME_PROGRAM, movePlayer, treasuryPda } from "../web/game";
import { KORA_CONFIG, startGateway, startKora, type Kora } from "./kora";
import { startLocalnet, type Localnet } from "./localnet";
import { TOKEN_PROGRAM, tokenSetup } from "./tokens";

const SOL = 1_000_000_000n;
/** Kora's price: one whole token (6 decimals) per transaction. */
const PRICE = 1_000_000n;

let net: Localnet;
let kora: Kora;
let owner: KeyPairSigner;
let mint: Address;
let ownerTokens: Address;
let koraTokens: Address;

/** deploy/kora/kora.toml with the price `fixed` in `mint`, the only paid token. */
function tokenFeeConfig(mint: Address): string {
  const shipped = readFileSync(KORA_CONFIG, "utf8");
  const variant = shipped
    .replace(/^allowed_tokens = .*$/m, `allowed_tokens = ["${mint}"]`)
    .replace(/^allowed_spl_paid_tokens = .*$/m, `allowed_spl_paid_tokens = ["${mint}"]`)
    .replace(/^\[validation\.price\]\ntype = "free"$/m, `[validation.price]\ntype = "fixed"\namount = ${PRICE}\ntoken = "${mint}"\nstrict = false`);
  assert.notEqual(variant, shipped);
  assert.match(variant, /type = "fixed"/);
  const path = join(mkdtempSync(join(tmpdir(), "kora-token-fee-")), "kora.toml");
  writeFileSync(path, variant);
  return path;
}

before(async () => {
  net = await startLocalnet();
  owner = await generateKeyPairSigner();
  const payer = await generateKeyPairSigner(true);
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(owner.address, lamports(SOL)).send());
  await sdk.confirm(net.rpc, await net.rpc.requestAirdrop(await treasuryPda(), lamports(SOL)).send());
  // The owner's tokens, and Kora's payment account (owned by its payer, the payment address).
  const setup = await tokenSetup(net.rpc, owner, [owner.address, payer.address], 100n * PRICE);
  [mint, ownerTokens, koraTokens] = [setup.mint, setup.accounts[0]!, setup.accounts[1]!];
  kora = await startKora(net, SOL, { payer, config: tokenFeeConfig(mint) });
});

after(async () => {
  await kora?.stop();
  await net?.stop();
});

const tokens = async (a: Address) => BigInt((await net.rpc.getTokenAccountBalance(a, { commitment: "confirmed" }).send()).value.amount);
const balance = async (a: Address) => (await net.rpc.getBalance(a, { commitment: "confirmed" }).send()).value;

test("a session pays Kora's fee in a token with transfer_token; without the payment Kora refuses", async () => {
  const payer = kora.payer;
  const direct = sdk.kora(kora.url, { apiKey: kora.apiKey });
  const config = await direct.call<Record<string, any>>("getConfig");
  assert.deepEqual(config.validation_config.price, { type: "fixed", amount: Number(PRICE), token: mint, strict: false });

  // The owner grants the key the game and a token allowance (delegated from the owner's account).
  const storage = sdk.memoryKeyStore();
  const open = async (feePayer: sdk.FeePayer) => await sdk.SessionWallet.open({ rpc: net.rpc, owner: owner.address, app: "token-fee", storage, feePayer });
  const wallet = await open(direct);
  const now = await sdk.chainTime(net.rpc);
  await wallet.grant({
    ownerSigner: owner,
    scope: sdk
      .scope(now + 3600n)
      .mint(mint, sdk.caps(10n * PRICE))
      .delegate(10n * PRICE)
      .program(sdk.program(GAME_PROGRAM)),
    delegate: { tokenAccount: ownerTokens, tokenProgram: TOKEN_PROGRAM },
  });
  assert.equal(await balance(wallet.address), 0n, "the session key holds no SOL");
  const { vault } = await sdk.sessionAddresses(owner.address, wallet.address);
  const fee = await sdk.transferTokenInstruction({
    sessionKey: wallet.signer,
    owner: owner.address,
    from: ownerTokens,
    mint,
    to: koraTokens,
    tokenProgram: TOKEN_PROGRAM,
    amount: PRICE,
    decimals: 6,
  });

  // Without the payment: refused by Kora's price check, nothing sent.
  const lamportsBefore = await balance(payer);
  await assert.rejects(wallet.execute([await createPlayerFunded(owner.address)]), (e: unknown) => {
    assert.ok(e instanceof sdk.FeePayerRefusedError, String(e));
    assert.match((e as Error).message, /Insufficient token payment/);
    return true;
  });
  assert.equal(await balance(payer), lamportsBefore);
  assert.equal(await tokens(koraTokens), 0n);

  // With it: the session's transfer_token pays one token to Kora's payment account, charged to
  // the session's mint caps, in the same transaction as the game call; Kora pays the SOL fee.
  const executeIx = await sdk.executeInstruction({ sessionKey: wallet.signer, owner: owner.address, calls: [await createPlayerFunded(owner.address)] });
  await wallet.send([fee, executeIx]);
  assert.equal(await tokens(koraTokens), PRICE, "Kora was paid one token");
  assert.equal(await tokens(ownerTokens), 99n * PRICE);
  assert.equal(lamportsBefore - (await balance(payer)), 10_000n, "Kora paid the fee in SOL");
  const session = (await wallet.session())!;
  assert.equal(session.mints[0]!.allowance.spent, PRICE, "the payment is charged to the session's caps");
  const move = await sdk.executeInstruction({ sessionKey: wallet.signer, owner: owner.address, calls: [await movePlayer(vault, 1, 1)] });
  await wallet.send([fee, move]);
  assert.equal(await tokens(koraTokens), 2n * PRICE);

  // Through the game's gateway: its policy must allow sessions that spend tokens.
  const gateway = await startGateway(net, kora, { policy: { cluster: "localnet", programs: [GAME_PROGRAM], allowMints: true } });
  const strictGateway = await startGateway(net, kora, { policy: { cluster: "localnet", programs: [GAME_PROGRAM] } });
  try {
    // The same session key, paid through each gateway.
    const again = await sdk.executeInstruction({ sessionKey: wallet.signer, owner: owner.address, calls: [await movePlayer(vault, 1, 1)] });
    const paidBy = async (url: string) => await (await open(sdk.kora(url))).send([fee, again]);
    await assert.rejects(paidBy(strictGateway.url), (e: unknown) => e instanceof sdk.FeePayerRefusedError && /does not pay for sessions that spend tokens/.test((e as Error).message));
    await paidBy(gateway.url);
    assert.equal(await tokens(koraTokens), 3n * PRICE);
  } finally {
    await gateway.close();
    await strictGateway.close();
  }
  assert.equal(await balance(wallet.address), 0n, "the session key still holds no SOL");
});
