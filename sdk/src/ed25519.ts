/**
 * The Ed25519 precompile instruction a message grant needs, in the one layout the program
 * accepts (docs/message-grant.md, "The transaction"): what
 * `solana_ed25519_program::new_ed25519_instruction_with_signature` writes, one signature, every
 * instruction index 0xFFFF ("this instruction"), so the key and the message cannot be read
 * from another instruction.
 *
 * | bytes    | field |
 * |----------|-------|
 * | 0..2     | `[1, 0]`: one signature, padding |
 * | 2..16    | seven u16 LE: signature offset 48, its index 0xFFFF; public key offset 16, its index 0xFFFF; message offset 112, message length, its index 0xFFFF |
 * | 16..48   | public key |
 * | 48..112  | signature |
 * | 112..    | message |
 */
import { getAddressDecoder, getAddressEncoder, type Address, type Instruction, type ReadonlyUint8Array, type SignatureBytes } from "@solana/kit";

/** The Ed25519 signature-verification precompile. */
export const ED25519_PROGRAM_ADDRESS = "Ed25519SigVerify111111111111111111111111111" as Address<"Ed25519SigVerify111111111111111111111111111">;

/** Where the public key starts in the canonical instruction data. */
export const ED25519_PUBLIC_KEY_OFFSET = 16;
/** Where the signature starts. */
export const ED25519_SIGNATURE_OFFSET = 48;
/** Where the message starts (it runs to the end of the data). */
export const ED25519_MESSAGE_OFFSET = 112;
/** The instruction index meaning "this instruction". */
export const ED25519_THIS_INSTRUCTION = 0xffff;

/** A verified-signature triple carried by an Ed25519 instruction. */
export interface Ed25519Verification {
  publicKey: Address;
  signature: SignatureBytes;
  message: Uint8Array;
}

/** The seven u16 offsets (bytes 2..16) of the canonical layout, for a message of `messageLength` bytes. */
const canonicalOffsets = (messageLength: number): number[] => [
  ED25519_SIGNATURE_OFFSET,
  ED25519_THIS_INSTRUCTION,
  ED25519_PUBLIC_KEY_OFFSET,
  ED25519_THIS_INSTRUCTION,
  ED25519_MESSAGE_OFFSET,
  messageLength,
  ED25519_THIS_INSTRUCTION,
];

/**
 * The Ed25519 precompile instruction verifying `signature` of `message` by `publicKey`, in
 * the canonical layout above (no accounts).
 */
export function getEd25519VerifyInstruction(p: {
  publicKey: Address;
  signature: ReadonlyUint8Array;
  message: ReadonlyUint8Array;
}): Instruction<typeof ED25519_PROGRAM_ADDRESS> {
  if (p.signature.length !== 64) throw new Error(`an Ed25519 signature has 64 bytes, not ${p.signature.length}`);
  if (p.message.length > 0xffff) throw new Error(`the Ed25519 instruction's message is at most 65,535 bytes, not ${p.message.length}`);
  const data = new Uint8Array(ED25519_MESSAGE_OFFSET + p.message.length);
  const view = new DataView(data.buffer);
  data[0] = 1;
  data[1] = 0;
  canonicalOffsets(p.message.length).forEach((v, i) => view.setUint16(2 + 2 * i, v, true));
  data.set(getAddressEncoder().encode(p.publicKey), ED25519_PUBLIC_KEY_OFFSET);
  data.set(p.signature, ED25519_SIGNATURE_OFFSET);
  data.set(p.message, ED25519_MESSAGE_OFFSET);
  return Object.freeze({ programAddress: ED25519_PROGRAM_ADDRESS, data });
}

/**
 * The (public key, signature, message) of Ed25519 instruction data in exactly the canonical
 * layout, or `null` for any other layout (more signatures, other offsets, another instruction
 * index, a length that does not run to the end): what the program itself refuses as
 * `MessageEd25519Malformed`.
 */
export function parseEd25519VerifyInstruction(data: ReadonlyUint8Array): Ed25519Verification | null {
  if (data.length < ED25519_MESSAGE_OFFSET || data[0] !== 1 || data[1] !== 0) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (i: number) => view.getUint16(2 + 2 * i, true);
  if (!canonicalOffsets(data.length - ED25519_MESSAGE_OFFSET).every((v, i) => u16(i) === v)) return null;
  return {
    publicKey: getAddressDecoder().decode(data.slice(ED25519_PUBLIC_KEY_OFFSET, ED25519_SIGNATURE_OFFSET)),
    signature: data.slice(ED25519_SIGNATURE_OFFSET, ED25519_MESSAGE_OFFSET) as SignatureBytes,
    message: new Uint8Array(data.slice(ED25519_MESSAGE_OFFSET)),
  };
}
