// The README's "A game in about 20 lines", type-checked by `npm test` (not run: it needs a
// wallet; the browser test runs the same flow for real).
import { createSolanaRpc, type Address, type Instruction } from "@solana/kit";
import { SessionWallet, scope, caps, program, instruction, walletStandardSigner, type StandardAccount, type StandardWallet } from "../src/index";

declare const wallet: StandardWallet, account: StandardAccount, GAME: Address, MOVE_PLAYER: Uint8Array, movePlayerIx: Instruction;
declare function askForANewGrant(): void;

export async function readmeExample() {
  const rpc = createSolanaRpc("http://127.0.0.1:8899");
  const owner = walletStandardSigner(wallet, account, "solana:localnet");
  const session = await SessionWallet.open({ rpc, owner: owner.address, app: "my-game" });

  if (!(await session.isLive())) {
    const now = BigInt(Math.floor(Date.now() / 1000));
    await session.grant({
      ownerSigner: owner,
      scope: scope(now + 3600n)
        .sol(caps(100_000_000n).perInstruction(60_000_000n))
        .program(program(GAME).instruction(instruction(MOVE_PLAYER)))
        .label("My Game"),
      topUpLamports: 10_000_000n,
    });
  }
  await session.execute([movePlayerIx]);
  await session.onBeforeExpiry(60, () => askForANewGrant());
  await session.revoke();
}
