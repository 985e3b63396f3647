/**
 * Small helpers the hand-written modules share, kept in one place so each exists once. Not part
 * of the package's API: `src/index.ts` does not re-export this module.
 */
import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  getBase16Decoder,
  isOption,
  isSome,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type BlockhashLifetimeConstraint,
  type GetLatestBlockhashApi,
  type Instruction,
  type OptionOrNullable,
  type ReadonlyUint8Array,
  type Rpc,
  type TransactionSigner,
} from "@solana/kit";

/** The value of an `Option`, a nullable or an undefined (kit accepts all three). */
export function opt<T>(v: OptionOrNullable<T> | undefined): T | null {
  if (v === null || v === undefined) return null;
  if (isOption(v)) return isSome(v) ? v.value : null;
  return v as T;
}

/** True if `a` and `b` hold the same bytes. */
export const sameBytes = (a: ReadonlyUint8Array, b: ReadonlyUint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Lowercase hex of `bytes`. */
export const hex = (bytes: ReadonlyUint8Array): string => getBase16Decoder().decode(bytes);

/** The latest blockhash, at `confirmed`. */
export async function latestBlockhash(rpc: Rpc<GetLatestBlockhashApi>): Promise<BlockhashLifetimeConstraint> {
  return (await rpc.getLatestBlockhash({ commitment: "confirmed" }).send()).value;
}

/** A v0 transaction message (no lookup table): `feePayer` pays, `blockhash` bounds its life, then `instructions` in order. */
export function v0TransactionMessage(feePayer: TransactionSigner, blockhash: BlockhashLifetimeConstraint, instructions: readonly Instruction[]) {
  return pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
}
