/**
 * The owner's wallet as a kit signer, for the one prompt a grant needs: a Wallet Standard
 * wallet (`solana:signTransaction`, else `solana:signAndSendTransaction`), or a
 * `@solana/wallet-adapter` adapter; and, for a gasless grant, a message signer through
 * `solana:signMessage`.
 */
import {
  address,
  getPublicKeyFromAddress,
  getTransactionDecoder,
  getTransactionEncoder,
  verifySignature,
  type Address,
  type MessagePartialSigner,
  type SignatureBytes,
  type Transaction,
  type TransactionModifyingSigner,
  type TransactionSendingSigner,
} from "@solana/kit";
import { sameBytes } from "../internal";

/** The parts of a Wallet Standard account used here. */
export interface StandardAccount {
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly chains: readonly string[];
  readonly features: readonly string[];
}

/** The parts of a Wallet Standard wallet used here. */
export interface StandardWallet {
  readonly name: string;
  readonly accounts: readonly StandardAccount[];
  readonly features: Readonly<Record<string, unknown>>;
}

type SignTransactionFeature = {
  signTransaction(...inputs: { account: StandardAccount; transaction: Uint8Array; chain?: string }[]): Promise<readonly { signedTransaction: Uint8Array }[]>;
};
type SignAndSendFeature = {
  signAndSendTransaction(
    ...inputs: { account: StandardAccount; transaction: Uint8Array; chain: string }[]
  ): Promise<readonly { signature: Uint8Array }[]>;
};

/**
 * A kit signer for a Wallet Standard account: a modifying signer through
 * `solana:signTransaction` when the wallet has it, else a sending signer through
 * `solana:signAndSendTransaction`. `chain` is `solana:mainnet`, `solana:devnet` or
 * `solana:localnet` (the wallet must know the cluster).
 */
export function walletStandardSigner(
  wallet: StandardWallet,
  account: StandardAccount,
  chain: string,
): TransactionModifyingSigner | TransactionSendingSigner {
  const encoder = getTransactionEncoder();
  const decoder = getTransactionDecoder();
  const addr = address(account.address);
  const sign = wallet.features["solana:signTransaction"] as SignTransactionFeature | undefined;
  if (sign) {
    return Object.freeze({
      address: addr,
      async modifyAndSignTransactions(transactions: readonly Transaction[]) {
        const outputs = await sign.signTransaction(
          ...transactions.map((t) => ({ account, transaction: new Uint8Array(encoder.encode(t)), chain })),
        );
        return outputs.map((o, i) => mergeSigned(transactions[i]!, decoder.decode(o.signedTransaction))) as never;
      },
    });
  }
  const send = wallet.features["solana:signAndSendTransaction"] as SignAndSendFeature | undefined;
  if (send) {
    return Object.freeze({
      address: addr,
      async signAndSendTransactions(transactions: readonly Transaction[]) {
        const outputs = await send.signAndSendTransaction(
          ...transactions.map((t) => ({ account, transaction: new Uint8Array(encoder.encode(t)), chain })),
        );
        return outputs.map((o) => o.signature) as never;
      },
    });
  }
  throw new Error(`${wallet.name} supports neither solana:signTransaction nor solana:signAndSendTransaction`);
}

type SignMessageFeature = {
  signMessage(
    ...inputs: { account: StandardAccount; message: Uint8Array }[]
  ): Promise<readonly { signedMessage: Uint8Array; signature: Uint8Array; signatureType?: string }[]>;
};

/**
 * A kit message signer for a Wallet Standard account through `solana:signMessage` (what a
 * gasless grant asks the owner to sign). The program needs the signature of exactly the bytes
 * it rebuilds, so a wallet that returns a `signedMessage` other than the bytes it was given
 * (a prefix, a rewrap), or a signature type other than Ed25519, is refused with an error.
 */
export function walletStandardMessageSigner(wallet: StandardWallet, account: StandardAccount): MessagePartialSigner {
  const feature = wallet.features["solana:signMessage"] as SignMessageFeature | undefined;
  if (!feature) throw new Error(`${wallet.name} does not support solana:signMessage`);
  const addr = address(account.address);
  return Object.freeze({
    address: addr,
    async signMessages(messages) {
      const outputs = await feature.signMessage(...messages.map((m) => ({ account, message: new Uint8Array(m.content) })));
      if (outputs.length !== messages.length) throw new Error(`${wallet.name} returned ${outputs.length} signatures for ${messages.length} messages`);
      return outputs.map((o, i) => {
        const asked = messages[i]!.content;
        if (!sameBytes(o.signedMessage, asked)) throw new Error(`${wallet.name} signed other bytes than the message it was given: the program cannot verify that signature`);
        if (o.signatureType !== undefined && o.signatureType !== "ed25519") throw new Error(`${wallet.name} returned a ${o.signatureType} signature, not Ed25519`);
        if (o.signature.length !== 64) throw new Error(`${wallet.name} returned a ${o.signature.length}-byte signature`);
        return Object.freeze({ [addr]: new Uint8Array(o.signature) as SignatureBytes });
      });
    },
  });
}

/**
 * Asks `signer` (the owner's wallet) to sign `message` and checks the signature with WebCrypto
 * against the signer's address before anyone pays for a transaction that would fail.
 */
export async function signAndVerifyMessage(signer: MessagePartialSigner, message: Uint8Array): Promise<SignatureBytes> {
  const [dictionary] = await signer.signMessages([Object.freeze({ content: message, signatures: {} })]);
  const signature = dictionary?.[signer.address];
  if (!signature) throw new Error(`the wallet returned no signature for ${signer.address}`);
  if (!(await verifySignature(await getPublicKeyFromAddress(signer.address), signature, message))) {
    throw new Error(`the wallet's signature does not verify for ${signer.address}`);
  }
  return signature;
}

/** Keeps signatures already on the original when the wallet returns the same message. */
function mergeSigned(original: Transaction, signed: Transaction): Transaction {
  if (!sameBytes(original.messageBytes, signed.messageBytes)) return signed;
  const signatures: Record<string, Transaction["signatures"][Address]> = { ...signed.signatures };
  for (const [k, v] of Object.entries(original.signatures)) if (v && !signatures[k]) signatures[k] = v;
  return Object.freeze({ ...signed, signatures }) as Transaction;
}

/**
 * A kit signer for a `@solana/wallet-adapter` adapter (`publicKey`, `signTransaction`). The
 * adapter signs web3.js `VersionedTransaction`s, so pass the class's (de)serialisation:
 * `walletAdapterSigner(adapter, { deserialize: (b) => VersionedTransaction.deserialize(b), serialize: (t) => t.serialize() })`.
 */
export function walletAdapterSigner<T>(
  adapter: { publicKey: { toBase58(): string } | null; signTransaction?: (tx: T) => Promise<T> },
  codec: { deserialize(bytes: Uint8Array): T; serialize(tx: T): Uint8Array },
): TransactionModifyingSigner {
  if (!adapter.publicKey) throw new Error("wallet adapter is not connected");
  if (!adapter.signTransaction) throw new Error("wallet adapter cannot sign transactions");
  const signTx = adapter.signTransaction.bind(adapter);
  const encoder = getTransactionEncoder();
  const decoder = getTransactionDecoder();
  return Object.freeze({
    address: address(adapter.publicKey.toBase58()),
    async modifyAndSignTransactions(transactions: readonly Transaction[]) {
      const out: Transaction[] = [];
      for (const t of transactions) {
        const signed = await signTx(codec.deserialize(new Uint8Array(encoder.encode(t))));
        out.push(mergeSigned(t, decoder.decode(codec.serialize(signed))));
      }
      return out as never;
    },
  });
}
