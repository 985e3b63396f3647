/**
 * Token accounts read exactly as their token program reads them, and nothing else.
 *
 * - SPL Token (`Account::unpack`): exactly 165 bytes.
 * - Token-2022 (`StateWithExtensions::<Account>::unpack`): 165 bytes or more, but never 355
 *   (the size of a multisig); past 165 bytes, byte 165 (the account type) must be 2
 *   ("account"). The extensions after it are not read by the unpack, so not here either.
 * - Both: state (byte 108) initialized (1) or frozen (2), and the three option tags (delegate
 *   at 72, is_native at 109, close authority at 129) 0 or 1 as little-endian u32s.
 *
 * Anything else is not a token account, whatever its bytes say at the token-account offsets:
 * a 355-byte Token-2022 multisig has 11 signer slots anyone fills with chosen bytes, and can
 * read as "the owner's account, delegated to the vault" with byte 165 = 2; the token programs
 * refuse to revoke on it. `@solana-program/token-2022` 0.15's `getTokenDecoder` is not used:
 * it decodes such a multisig (and uninitialized accounts) as a token account, and it would
 * bring kit 7 and the zk-sdk as peers.
 */
import { getAddressDecoder, getU64Decoder, type Address } from "@solana/kit";

/** SPL Token program address. */
export const TOKEN_PROGRAM_ADDRESS = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address<"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA">;
/** Token-2022 program address. */
export const TOKEN_2022_PROGRAM_ADDRESS = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb" as Address<"TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb">;
/** Length of a token account's base layout (all of an SPL Token account). */
export const TOKEN_ACCOUNT_LEN = 165;
/** Length of a token multisig: never a token account, for either program. */
export const TOKEN_MULTISIG_LEN = 355;
/** Token-2022's account-type byte (offset 165) of a token account with extensions. */
const ACCOUNT_TYPE_ACCOUNT = 2;

/** Offsets of the base layout (`spl_token::state::Account::pack`). */
export const TOKEN_ACCOUNT_OFFSETS = {
  mint: 0,
  owner: 32,
  amount: 64,
  delegate: 72,
  state: 108,
  isNative: 109,
  delegatedAmount: 121,
  closeAuthority: 129,
  accountType: 165,
} as const;

/** An initialized token account, as its token program reads it. */
export interface TokenAccount {
  mint: Address;
  owner: Address;
  amount: bigint;
  delegate: Address | null;
  /** What the delegate may still move. */
  delegatedAmount: bigint;
  /** Frozen by the mint's freeze authority: the token program refuses to move or revoke on it. */
  frozen: boolean;
  /** The rent-exempt reserve of a wrapped-SOL account, `null` for any other mint. */
  isNative: bigint | null;
  closeAuthority: Address | null;
  /** Length of the account data (165, or more for Token-2022 extensions). */
  dataLength: number;
}

/** Whether `data` has a length and account type its token program accepts for a token account. */
function acceptedLength(tokenProgram: Address, data: Uint8Array): boolean {
  if (tokenProgram === TOKEN_PROGRAM_ADDRESS) return data.length === TOKEN_ACCOUNT_LEN;
  if (tokenProgram !== TOKEN_2022_PROGRAM_ADDRESS) return false;
  if (data.length < TOKEN_ACCOUNT_LEN || data.length === TOKEN_MULTISIG_LEN) return false;
  return data.length === TOKEN_ACCOUNT_LEN || data[TOKEN_ACCOUNT_OFFSETS.accountType] === ACCOUNT_TYPE_ACCOUNT;
}

/**
 * `data` read as a token account of `tokenProgram` (SPL Token or Token-2022), or `null` if that
 * program would refuse it as one: a mint, a multisig, an uninitialized account, invalid option
 * tags or state, the wrong length or account type, or another owner program.
 */
export function parseTokenAccount(tokenProgram: Address, data: Uint8Array): TokenAccount | null {
  if (!acceptedLength(tokenProgram, data)) return null;
  const o = TOKEN_ACCOUNT_OFFSETS;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const state = data[o.state];
  if (state !== 1 && state !== 2) return null;
  const tags = [o.delegate, o.isNative, o.closeAuthority].map((at) => view.getUint32(at, true));
  if (tags.some((t) => t > 1)) return null;
  const [hasDelegate, hasNative, hasClose] = tags.map((t) => t === 1);
  const addr = getAddressDecoder();
  const u64 = getU64Decoder();
  return {
    mint: addr.decode(data.subarray(o.mint, o.mint + 32)),
    owner: addr.decode(data.subarray(o.owner, o.owner + 32)),
    amount: u64.decode(data.subarray(o.amount, o.amount + 8)),
    delegate: hasDelegate ? addr.decode(data.subarray(o.delegate + 4, o.delegate + 36)) : null,
    delegatedAmount: u64.decode(data.subarray(o.delegatedAmount, o.delegatedAmount + 8)),
    frozen: state === 2,
    isNative: hasNative ? u64.decode(data.subarray(o.isNative + 4, o.isNative + 12)) : null,
    closeAuthority: hasClose ? addr.decode(data.subarray(o.closeAuthority + 4, o.closeAuthority + 36)) : null,
    dataLength: data.length,
  };
}
