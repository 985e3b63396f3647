// Anchor deploy hook: `anchor migrate` runs this after `anchor deploy`.
//
// The program has no global state to initialise: every account is per owner and created on
// first use. What a deployer needs is to check the program is live and to know the addresses a
// given owner will use, so this prints them (owner = the provider wallet, or OWNER=<pubkey>).
import * as anchor from "@anchor-lang/core";
import { PublicKey } from "@solana/web3.js";

const PROGRAM_ID = new PublicKey("Fuozp2agVzwjMmrMLUZpFbA7nbMNzCdav5cj3yQAUrm8");

function pda(seeds: Buffer[]): PublicKey {
  return PublicKey.findProgramAddressSync(seeds, PROGRAM_ID)[0];
}

module.exports = async function (provider: anchor.AnchorProvider) {
  anchor.setProvider(provider);
  const info = await provider.connection.getAccountInfo(PROGRAM_ID);
  if (!info || !info.executable) {
    throw new Error(`session-keys is not deployed at ${PROGRAM_ID.toBase58()}`);
  }
  const owner = new PublicKey(process.env.OWNER ?? provider.wallet.publicKey.toBase58());
  console.log(`session-keys live at ${PROGRAM_ID.toBase58()}`);
  console.log(`owner   ${owner.toBase58()}`);
  console.log(`wallet  ${pda([Buffer.from("wallet"), owner.toBuffer()]).toBase58()}`);
  console.log(`vault   ${pda([Buffer.from("vault"), owner.toBuffer()]).toBase58()}`);
};
