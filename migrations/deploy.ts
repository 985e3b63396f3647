// Deploy hook: checks that session-keys is live on a cluster and prints the addresses an owner
// will use. The program has no global state to initialise: every account is per owner and
// created on first use.
//
//   npm --prefix sdk run deploy -- [--url http://127.0.0.1:8899] [--owner <address>]
//
// (bundled by sdk/scripts/run-migration.mjs with the SDK's own dependencies; ANCHOR_PROVIDER_URL
// and OWNER are read too, as `anchor migrate` sets the former.)
import { address, createSolanaRpc, type Address } from "@solana/kit";
import {
  findVaultPda,
  findWalletPda,
  fetchOwnerWallet,
  listSessions,
  SESSION_KEYS_PROGRAM_ADDRESS,
} from "../sdk/src/index";

/** Checks the program and prints an owner's wallet and vault PDAs and their sessions. */
export async function deploy(url: string, owner: Address | null): Promise<void> {
  const rpc = createSolanaRpc(url);
  const { value: program } = await rpc.getAccountInfo(SESSION_KEYS_PROGRAM_ADDRESS, { encoding: "base64" }).send();
  if (!program || !program.executable) {
    throw new Error(`session-keys is not deployed at ${SESSION_KEYS_PROGRAM_ADDRESS} on ${url}`);
  }
  console.log(`session-keys live at ${SESSION_KEYS_PROGRAM_ADDRESS} on ${url}`);
  if (!owner) return;
  const [[wallet], [vault]] = await Promise.all([findWalletPda({ owner }), findVaultPda({ owner })]);
  const nonce = (await fetchOwnerWallet(rpc, owner))?.nonce;
  console.log(`owner   ${owner}`);
  console.log(`wallet  ${wallet}${nonce === undefined ? " (not created yet)" : ` (nonce ${nonce})`}`);
  console.log(`vault   ${vault}`);
  const { sessions } = await listSessions(rpc, owner);
  for (const s of sessions) console.log(`session ${s.address} ${s.status} ${JSON.stringify(s.session.label)}`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const url = arg("url") ?? process.env.ANCHOR_PROVIDER_URL ?? "http://127.0.0.1:8899";
const owner = arg("owner") ?? process.env.OWNER;
deploy(url, owner ? address(owner) : null).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
