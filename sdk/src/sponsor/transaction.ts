/**
 * The sponsor's transaction: `create_session_from_message` (PDAs derived) after the Ed25519
 * instruction that verifies the owner's signature of the grant message, with the sponsor as
 * fee payer. The player builds it and the sponsor rebuilds it (`checkGrantRequest`), so both
 * use these functions.
 */
import {
  compileTransaction,
  createNoopSigner,
  getTransactionSize,
  type Address,
  type Blockhash,
  type Instruction,
  type ReadonlyUint8Array,
  type TransactionSigner,
} from "@solana/kit";
import { getCreateSessionFromMessageInstructionAsync } from "../generated";
import { SESSION_KEYS_ERROR__SESSION_KEY_IS_OWNER, SESSION_KEYS_ERROR__SPONSOR_IS_SESSION_KEY } from "../generated/errors";
import { getEd25519VerifyInstruction } from "../ed25519";
import { v0TransactionMessage } from "../internal";
import type { MessageGrantArgs, MessageGrantArgsDecoded } from "../message";
import { ScopeError } from "../scope";

/** The instructions sysvar the program reads the Ed25519 instruction from. */
export const INSTRUCTIONS_SYSVAR_ADDRESS = "Sysvar1nstructions1111111111111111111111111" as Address<"Sysvar1nstructions1111111111111111111111111">;

/** Largest transaction the network accepts (bytes). */
export const TRANSACTION_SIZE_LIMIT = 1232;

const signerOf = (s: Address | TransactionSigner): TransactionSigner => (typeof s === "string" ? createNoopSigner(s) : s);

/**
 * `create_session_from_message` (the generated builder, PDAs derived): `sponsor` pays the fee
 * and the rent, `sessionKey` co-signs, `owner` signed the message (checked against the Ed25519
 * instruction just before this one). Pass an address for a party that signs elsewhere (a no-op
 * signer stands in for it). Refuses a sponsor that is the session key and a session key that
 * is the owner, as the program does.
 */
export async function createSessionFromMessageInstruction(p: {
  sponsor: Address | TransactionSigner;
  sessionKey: Address | TransactionSigner;
  owner: Address;
  args: MessageGrantArgs | MessageGrantArgsDecoded;
}): Promise<Instruction> {
  const sponsor = signerOf(p.sponsor);
  const sessionKey = signerOf(p.sessionKey);
  if (sponsor.address === sessionKey.address) throw new ScopeError(SESSION_KEYS_ERROR__SPONSOR_IS_SESSION_KEY);
  if (sessionKey.address === p.owner) throw new ScopeError(SESSION_KEYS_ERROR__SESSION_KEY_IS_OWNER);
  return await getCreateSessionFromMessageInstructionAsync({ ...(p.args as MessageGrantArgs), sponsor, sessionKey, owner: p.owner });
}

/** The parts of a message grant, as the owner's wallet and the app produced them. */
export interface SignedGrant {
  args: MessageGrantArgs | MessageGrantArgsDecoded;
  owner: Address;
  sessionKey: Address;
  /** The bytes the owner signed (`grantMessageBytes`). */
  message: ReadonlyUint8Array;
  /** The owner's Ed25519 signature of `message`. */
  signature: ReadonlyUint8Array;
}

/** `[Ed25519 instruction, create_session_from_message]`, in the order the program requires. */
export async function sponsoredGrantInstructions(
  p: Omit<SignedGrant, "sessionKey"> & { sponsor: Address | TransactionSigner; sessionKey: Address | TransactionSigner },
): Promise<Instruction[]> {
  return [
    getEd25519VerifyInstruction({ publicKey: p.owner, signature: p.signature, message: p.message }),
    await createSessionFromMessageInstruction(p),
  ];
}

/**
 * The sponsor's transaction message (v0, no lookup table): `[computeBudget...]`, the Ed25519
 * instruction, `create_session_from_message`; the sponsor is the fee payer. Throws if the
 * transaction would exceed 1,232 bytes (a message grant with many rules may not fit).
 */
export async function sponsoredGrantTransactionMessage(
  p: Omit<SignedGrant, "sessionKey"> & {
    sponsor: Address | TransactionSigner;
    sessionKey: Address | TransactionSigner;
    blockhash: { blockhash: Blockhash; lastValidBlockHeight: bigint };
    /** Compute-budget instructions placed first (the sponsor's policy must then allow them). */
    computeBudget?: readonly Instruction[];
  },
) {
  const instructions = [...(p.computeBudget ?? []), ...(await sponsoredGrantInstructions(p))];
  const message = v0TransactionMessage(signerOf(p.sponsor), p.blockhash, instructions);
  const size = getTransactionSize(compileTransaction(message));
  if (size > TRANSACTION_SIZE_LIMIT) {
    throw new Error(`the sponsored grant transaction is ${size} bytes, over the ${TRANSACTION_SIZE_LIMIT}-byte limit: grant fewer rules or a shorter label`);
  }
  return message;
}
