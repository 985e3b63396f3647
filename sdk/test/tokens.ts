// SPL Token set-up for the localnet tests (e2e, Kora's token fee): a mint, token accounts, tokens.
import {
  AccountRole,
  generateKeyPairSigner,
  getAddressEncoder,
  type Address,
  type GetMinimumBalanceForRentExemptionApi,
  type Instruction,
  type KeyPairSigner,
  type Rpc,
  type TransactionSigner,
} from "@solana/kit";
import { signAndSend, type SendRpc } from "../src/index";

export const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address;
const SYSTEM = "11111111111111111111111111111111" as Address;

/** System `create_account` owned by `program` (default SPL Token), with rent from the chain. */
export async function createTokenProgramAccount(
  rpc: Rpc<GetMinimumBalanceForRentExemptionApi>,
  payer: TransactionSigner,
  account: TransactionSigner,
  space: number,
  program: Address = TOKEN_PROGRAM,
): Promise<Instruction> {
  const rent = await rpc.getMinimumBalanceForRentExemption(BigInt(space)).send();
  const data = new Uint8Array(52);
  const view = new DataView(data.buffer);
  view.setUint32(0, 0, true);
  view.setBigUint64(4, rent, true);
  view.setBigUint64(12, BigInt(space), true);
  data.set(getAddressEncoder().encode(program), 20);
  return {
    programAddress: SYSTEM,
    accounts: [
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER, signer: payer },
      { address: account.address, role: AccountRole.WRITABLE_SIGNER, signer: account },
    ],
    data,
  } as unknown as Instruction;
}

/** SPL Token: a mint (6 decimals, `authority`), a token account per owner, and tokens minted. */
export async function tokenSetup(rpc: SendRpc & Rpc<GetMinimumBalanceForRentExemptionApi>, authority: KeyPairSigner, owners: Address[], amount: bigint) {
  const mint = await generateKeyPairSigner();
  const ixs: Instruction[] = [await createTokenProgramAccount(rpc, authority, mint, 82)];
  const initMint = new Uint8Array(35);
  initMint[0] = 20; // InitializeMint2
  initMint[1] = 6;
  initMint.set(getAddressEncoder().encode(authority.address), 2);
  ixs.push({ programAddress: TOKEN_PROGRAM, accounts: [{ address: mint.address, role: AccountRole.WRITABLE }], data: initMint });
  const accounts: Address[] = [];
  for (const o of owners) {
    const acct = await generateKeyPairSigner();
    accounts.push(acct.address);
    ixs.push(await createTokenProgramAccount(rpc, authority, acct, 165));
    const init = new Uint8Array(33);
    init[0] = 18; // InitializeAccount3
    init.set(getAddressEncoder().encode(o), 1);
    ixs.push({
      programAddress: TOKEN_PROGRAM,
      accounts: [
        { address: acct.address, role: AccountRole.WRITABLE },
        { address: mint.address, role: AccountRole.READONLY },
      ],
      data: init,
    });
  }
  const mintTo = new Uint8Array(9);
  mintTo[0] = 7; // MintTo
  new DataView(mintTo.buffer).setBigUint64(1, amount, true);
  ixs.push({
    programAddress: TOKEN_PROGRAM,
    accounts: [
      { address: mint.address, role: AccountRole.WRITABLE },
      { address: accounts[0]!, role: AccountRole.WRITABLE },
      { address: authority.address, role: AccountRole.READONLY_SIGNER, signer: authority },
    ],
    data: mintTo,
  } as Instruction);
  await signAndSend(rpc, authority, ixs);
  return { mint: mint.address, accounts };
}

