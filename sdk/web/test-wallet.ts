/**
 * A Wallet Standard wallet for the browser test: one Ed25519 keypair from a seed the test sets
 * in `window.__TEST_WALLET_SEED__` (hex), `standard:connect`, `solana:signTransaction` and
 * `solana:signMessage`. It registers itself with the page as real wallets do (the
 * `wallet-standard:*` events), counts its transaction prompts in
 * `window.__TEST_WALLET_PROMPTS__` and keeps the messages it signed (as text) in
 * `window.__TEST_WALLET_MESSAGES__`.
 */
import {
  createKeyPairSignerFromPrivateKeyBytes,
  getBase16Encoder,
  getTransactionDecoder,
  getTransactionEncoder,
  getAddressEncoder,
  type KeyPairSigner,
} from "@solana/kit";

declare global {
  interface Window {
    __TEST_WALLET_SEED__?: string;
    __TEST_WALLET_PROMPTS__?: number;
    __TEST_WALLET_MESSAGES__?: string[];
  }
}

let signer: KeyPairSigner | null = null;
const key = async () => (signer ??= await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(getBase16Encoder().encode(window.__TEST_WALLET_SEED__ ?? "07".repeat(32)))));

const accounts: { address: string; publicKey: Uint8Array; chains: string[]; features: string[] }[] = [];
const wallet = {
  version: "1.0.0",
  name: "Test Wallet",
  icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
  chains: ["solana:localnet"],
  get accounts() {
    return accounts;
  },
  features: {
    "standard:connect": {
      version: "1.0.0",
      async connect() {
        const k = await key();
        if (!accounts.length) {
          accounts.push({
            address: k.address,
            publicKey: new Uint8Array(getAddressEncoder().encode(k.address)),
            chains: ["solana:localnet"],
            features: ["solana:signTransaction", "solana:signMessage"],
          });
        }
        return { accounts };
      },
    },
    "solana:signMessage": {
      version: "1.1.0",
      async signMessage(...inputs: { message: Uint8Array }[]) {
        const k = await key();
        return await Promise.all(
          inputs.map(async ({ message }) => {
            (window.__TEST_WALLET_MESSAGES__ ??= []).push(new TextDecoder().decode(message));
            const [sigs] = await k.signMessages([{ content: message, signatures: {} }]);
            return { signedMessage: message, signature: sigs![k.address]!, signatureType: "ed25519" };
          }),
        );
      },
    },
    "solana:signTransaction": {
      version: "1.0.0",
      supportedTransactionVersions: ["legacy", 0],
      async signTransaction(...inputs: { transaction: Uint8Array }[]) {
        window.__TEST_WALLET_PROMPTS__ = (window.__TEST_WALLET_PROMPTS__ ?? 0) + 1;
        const k = await key();
        return await Promise.all(
          inputs.map(async ({ transaction }) => {
            const tx = getTransactionDecoder().decode(transaction);
            const [sigs] = await k.signTransactions([tx as never]);
            const signed = { ...tx, signatures: { ...tx.signatures, ...sigs } };
            return { signedTransaction: new Uint8Array(getTransactionEncoder().encode(signed as never)) };
          }),
        );
      },
    },
  },
};

const callback = ({ register }: { register: (w: unknown) => unknown }) => register(wallet);
window.addEventListener("wallet-standard:app-ready", ((e: CustomEvent) => callback(e.detail)) as EventListener);
window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: callback }));
