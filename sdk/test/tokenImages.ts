// Token account images for the tests: a real token account's bytes (as the token programs pack
// them), and the crafted account of security round 3, a 355-byte Token-2022 multisig whose
// signer slots read as the owner's token account delegated to the vault.
import { getAddressDecoder, getAddressEncoder, type Address } from "@solana/kit";

/** The fields of a token account to pack (`spl_token::state::Account::pack`). */
export interface TokenImage {
  mint: Address;
  owner: Address;
  amount?: bigint;
  delegate?: Address | null;
  /** 0 uninitialized, 1 initialized, 2 frozen. */
  state?: number;
  isNative?: bigint | null;
  delegatedAmount?: bigint;
  closeAuthority?: Address | null;
  /** Token-2022 TLV entries after the account-type byte 2 (omitted: a bare 165-byte account). */
  extensions?: Uint8Array;
}

/** The bytes a token program writes for `t`. */
export function tokenAccountImage(t: TokenImage): Uint8Array {
  const data = new Uint8Array(165 + (t.extensions ? 1 + t.extensions.length : 0));
  const view = new DataView(data.buffer);
  const enc = getAddressEncoder();
  data.set(enc.encode(t.mint), 0);
  data.set(enc.encode(t.owner), 32);
  view.setBigUint64(64, t.amount ?? 0n, true);
  if (t.delegate) {
    view.setUint32(72, 1, true);
    data.set(enc.encode(t.delegate), 76);
  }
  data[108] = t.state ?? 1;
  if (t.isNative !== undefined && t.isNative !== null) {
    view.setUint32(109, 1, true);
    view.setBigUint64(113, t.isNative, true);
  }
  view.setBigUint64(121, t.delegatedAmount ?? 0n, true);
  if (t.closeAuthority) {
    view.setUint32(129, 1, true);
    data.set(enc.encode(t.closeAuthority), 133);
  }
  if (t.extensions) {
    data[165] = 2;
    data.set(t.extensions, 166);
  }
  return data;
}

/** Token-2022's ImmutableOwner extension (type 7, no data): a 170-byte account, as the ATA program makes. */
export const IMMUTABLE_OWNER = new Uint8Array([7, 0, 0, 0]);

/** Bytes from a seed (xorshift), so a crafted image is the same on every run. */
function pseudoRandom(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The 355-byte multisig image and what Token-2022's `InitializeMultisig2` needs to write it. */
export interface CraftedMultisig {
  /** Exactly what Token-2022 stores: m, n = 11, is_initialized, then the 11 signers. */
  data: Uint8Array;
  m: number;
  signers: Address[];
}

/**
 * A Token-2022 multisig whose bytes read, at the token-account offsets, as an initialized
 * account of `owner` delegated to `vault` (amount and delegated amount 1,000,000), with byte
 * 165 = 2 ("account") and a well-formed TLV entry after it (MemoTransfer, 185 bytes: what a
 * decoder that walks extensions accepts). Only its length (355) tells it from a token account.
 * Anyone can create it (about 0.0034 SOL): the signer slots need no key, only 32 bytes each.
 */
export function craftedMultisig(owner: Address, vault: Address, seed = 355): CraftedMultisig {
  // Random bytes wherever the token layout does not look (the mint, option bodies after a
  // None tag, the TLV's content), so that the 11 signers are 11 distinct addresses.
  const data = pseudoRandom(seed, 355);
  const view = new DataView(data.buffer);
  const enc = getAddressEncoder();
  const m = 1;
  data.set([m, 11, 1], 0); // multisig header: m, n, is_initialized (the mint's first 3 bytes)
  data.set(enc.encode(owner), 32);
  view.setBigUint64(64, 1_000_000n, true); // amount
  view.setUint32(72, 1, true); // delegate: Some
  data.set(enc.encode(vault), 76);
  data[108] = 1; // state: initialized
  view.setUint32(109, 0, true); // is_native: None
  view.setBigUint64(121, 1_000_000n, true); // delegated amount
  view.setUint32(129, 0, true); // close authority: None
  data[165] = 2; // Token-2022 account type: account
  data.set([8, 0, 185, 0], 166); // TLV: MemoTransfer, length 185 (the rest of the account)
  const addr = getAddressDecoder();
  const signers = Array.from({ length: 11 }, (_, i) => addr.decode(data.subarray(3 + 32 * i, 35 + 32 * i)));
  return { data, m, signers };
}
