/**
 * A hand-written client for `example-game` (programs/example-game), the page's and the
 * end-to-end tests' `execute` target. With session keys, a player's authority is the owner's
 * vault PDA, which signs every call made through `execute`.
 */
import {
  AccountRole,
  getAddressDecoder,
  getAddressEncoder,
  getBase16Encoder,
  getI32Decoder,
  getProgramDerivedAddress,
  getU16Decoder,
  getU32Decoder,
  type Address,
  type Instruction,
} from "@solana/kit";
import { findVaultPda, instruction, program, SYSTEM_PROGRAM_ADDRESS, type ProgramScopeBuilder } from "../src/index";

/** The example game's program id. */
export const GAME_PROGRAM = "EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ" as Address;
const hex = (s: string) => new Uint8Array(getBase16Encoder().encode(s));

/** Anchor discriminators: sha256("global:<name>")[..8] (checked in test/game.test.ts). */
export const DISCRIMINATORS = {
  createPlayer: hex("13b2bdd89f8600c0"),
  createPlayerFunded: hex("d2248419e4e5062f"),
  movePlayer: hex("113a44ddba758ce7"),
  buyItem: hex("5052c1c9d81b46b8"),
  player: hex("cdde7007a59bceda"),
};

/** The player PDA `["player", authority]`. */
export async function playerPda(authority: Address): Promise<Address> {
  const seeds = [new TextEncoder().encode("player"), getAddressEncoder().encode(authority)];
  return (await getProgramDerivedAddress({ programAddress: GAME_PROGRAM, seeds }))[0];
}

/** The treasury PDA `["treasury"]` that receives purchases. */
export async function treasuryPda(): Promise<Address> {
  return (await getProgramDerivedAddress({ programAddress: GAME_PROGRAM, seeds: [new TextEncoder().encode("treasury")] }))[0];
}

/** `create_player` for `authority` (who pays the rent). */
export async function createPlayer(authority: Address): Promise<Instruction> {
  return {
    programAddress: GAME_PROGRAM,
    accounts: [
      { address: authority, role: AccountRole.WRITABLE_SIGNER },
      { address: await playerPda(authority), role: AccountRole.WRITABLE },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
    ],
    data: DISCRIMINATORS.createPlayer,
  };
}

/**
 * `create_player_funded` for `owner`'s vault: the game's treasury pays the rent, so a player
 * whose vault holds no SOL gets a player (gasless play, docs/12-gasless-play.md). The program
 * takes only a session-keys vault as the authority.
 */
export async function createPlayerFunded(owner: Address): Promise<Instruction> {
  const [authority] = await findVaultPda({ owner });
  return {
    programAddress: GAME_PROGRAM,
    accounts: [
      { address: authority, role: AccountRole.READONLY_SIGNER },
      { address: owner, role: AccountRole.READONLY },
      { address: await playerPda(authority), role: AccountRole.WRITABLE },
      { address: await treasuryPda(), role: AccountRole.WRITABLE },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
    ],
    data: DISCRIMINATORS.createPlayerFunded,
  };
}

/**
 * The scope of free play (a gasless grant): create the player at the treasury's expense, move,
 * and take free items (`buy_item` at price 0; a 0-SOL vault pays nothing). It fits one
 * sponsored grant transaction with its message.
 */
export function freePlayScope(): ProgramScopeBuilder {
  return program(GAME_PROGRAM)
    .instruction(instruction(DISCRIMINATORS.createPlayerFunded))
    .instruction(instruction(DISCRIMINATORS.movePlayer))
    .instruction(instruction(DISCRIMINATORS.buyItem).argU64(10, "le", 0n));
}

/** `move_player` by (dx, dy). */
export async function movePlayer(authority: Address, dx: number, dy: number): Promise<Instruction> {
  const data = new Uint8Array(10);
  data.set(DISCRIMINATORS.movePlayer);
  new DataView(data.buffer).setInt8(8, dx);
  new DataView(data.buffer).setInt8(9, dy);
  return {
    programAddress: GAME_PROGRAM,
    accounts: [
      { address: authority, role: AccountRole.READONLY_SIGNER },
      { address: await playerPda(authority), role: AccountRole.WRITABLE },
    ],
    data,
  };
}

/** `buy_item` number `item` for `price` lamports, paid by `authority` to the treasury. */
export async function buyItem(authority: Address, item: number, price: bigint): Promise<Instruction> {
  const data = new Uint8Array(18);
  data.set(DISCRIMINATORS.buyItem);
  const view = new DataView(data.buffer);
  view.setUint16(8, item, true);
  view.setBigUint64(10, price, true);
  return {
    programAddress: GAME_PROGRAM,
    accounts: [
      { address: authority, role: AccountRole.WRITABLE_SIGNER },
      { address: await playerPda(authority), role: AccountRole.WRITABLE },
      { address: await treasuryPda(), role: AccountRole.WRITABLE },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
    ],
    data,
  };
}

/** The game's session scope: create and move the player, buy items up to `maxPrice` from the treasury. */
export async function gameScope(maxPrice: bigint): Promise<ProgramScopeBuilder> {
  return program(GAME_PROGRAM)
    .instruction(instruction(DISCRIMINATORS.createPlayer))
    .instruction(instruction(DISCRIMINATORS.movePlayer))
    .instruction(instruction(DISCRIMINATORS.buyItem).argU64(10, "le", maxPrice).account(2, [await treasuryPda()]));
}

/** A decoded player account. */
export interface Player {
  authority: Address;
  x: number;
  y: number;
  hp: number;
  items: number;
}

/** Decodes a player account (discriminator checked). */
export function decodePlayer(data: Uint8Array): Player {
  if (!DISCRIMINATORS.player.every((b, i) => data[i] === b)) throw new Error("not a player account");
  const authority = getAddressDecoder().decode(data.subarray(8, 40));
  return {
    authority,
    x: getI32Decoder().decode(data, 40),
    y: getI32Decoder().decode(data, 44),
    hp: getU16Decoder().decode(data, 48),
    items: getU32Decoder().decode(data, 50),
  };
}
