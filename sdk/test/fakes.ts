// A recording fake of the RPC methods SessionWallet uses (the real chain runs in the e2e tests).
import {
  getBase58Decoder,
  getBase64Decoder,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getAddressEncoder,
  getTransactionDecoder,
  type Address,
  type Blockhash,
  type KeyPairSigner,
  type Transaction,
} from "@solana/kit";
import * as sdk from "../src/index";

export const blockhash = { blockhash: "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi" as Blockhash, lastValidBlockHeight: 100n };

/**
 * A recording fake of the RPC methods SessionWallet uses: a Clock sysvar at `now`, a balance,
 * an optional session account (only its payer matters here), and instant confirmation.
 */
export function fakeRpc(opts: { now?: bigint; balance?: bigint } = {}) {
  const sent: Transaction[] = [];
  const state = { sent, session: null as null | { payer: Address; expiresAt?: bigint }, rpc: null as unknown as sdk.SessionWalletRpc };
  const ok = <T>(v: T) => ({ send: async () => v });
  const b64 = getBase64Decoder();
  const clock = new Uint8Array(40);
  new DataView(clock.buffer).setBigInt64(32, opts.now ?? 0n, true);
  state.rpc = {
    getAccountInfo: (addr: string) => {
      if (addr === "SysvarC1ock11111111111111111111111111111111") return ok({ value: { data: [b64.decode(clock), "base64"] } });
      return ok({ value: null });
    },
    getMultipleAccounts: () => ok({ value: [] }),
    getBalance: () => ok({ value: opts.balance ?? 0n }),
    getLatestBlockhash: () => ok({ value: blockhash }),
    sendTransaction: (wire: string) => {
      sent.push(getTransactionDecoder().decode(getBase64Encoder().encode(wire)));
      return ok(getBase58Decoder().decode(new Uint8Array(64)));
    },
    getSignatureStatuses: () => ok({ value: [{ confirmationStatus: "confirmed", err: null }] }),
    getTransaction: () => ok({ meta: { logMessages: [] } }),
  } as unknown as sdk.SessionWalletRpc;
  // fetchSessionByKey goes through fetchMaybeSession → getAccountInfo; the fake answers with a
  // real session encoding when `session` is set.
  const base = state.rpc.getAccountInfo.bind(state.rpc);
  (state.rpc as unknown as Record<string, unknown>).getAccountInfo = (addr: Address, config: unknown) => {
    if (state.session && addr !== "SysvarC1ock11111111111111111111111111111111") {
      const data = sdk.getSessionEncoder().encode({
        version: 1,
        bump: 255,
        owner: state.session.payer,
        sessionKey: state.session.payer,
        payer: state.session.payer,
        createdAt: 0n,
        expiresAt: state.session.expiresAt ?? 1n,
        nonce: 0n,
        maxUses: 1,
        uses: 0,
        sol: null,
        mints: [],
        destinations: [],
        programs: [],
        label: "",
        usesWindow: null,
        references: { capacity: 0, next: 0, entries: [] },
      });
      return ok({ value: { data: [b64.decode(new Uint8Array(data)), "base64"], executable: false, lamports: 1n, owner: sdk.SESSION_KEYS_PROGRAM_ADDRESS, space: BigInt(data.length) } });
    }
    return (base as (a: Address, c: unknown) => unknown)(addr, config);
  };
  void getBase64EncodedWireTransaction;
  return state;
}

/**
 * A Wallet Standard wallet holding one keypair with `solana:signMessage` (what a gasless grant
 * asks for). It records every message it was asked to sign; `tamper` makes it sign (and
 * return) other bytes than it was given, as a wallet that prefixes messages would.
 */
export function messageWallet(key: KeyPairSigner, opts: { tamper?: boolean } = {}) {
  const asked: Uint8Array[] = [];
  const account = {
    address: key.address,
    publicKey: new Uint8Array(getAddressEncoder().encode(key.address)),
    chains: ["solana:localnet"],
    features: ["solana:signMessage"],
  };
  const wallet = {
    name: "Message Test Wallet",
    accounts: [account],
    features: {
      "solana:signMessage": {
        version: "1.1.0",
        signMessage: async (...inputs: { account: { address: string }; message: Uint8Array }[]) =>
          Promise.all(
            inputs.map(async ({ account: a, message }) => {
              if (a.address !== key.address) throw new Error("unknown account");
              asked.push(message);
              const signed = opts.tamper ? new Uint8Array([...new TextEncoder().encode("prefix:"), ...message]) : message;
              const [sigs] = await key.signMessages([{ content: signed, signatures: {} }]);
              return { signedMessage: signed, signature: sigs![key.address]!, signatureType: "ed25519" as const };
            }),
          ),
      },
    },
  };
  return { wallet, account, asked };
}
