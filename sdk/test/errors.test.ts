// Program errors decoded from codes, logs, RPC transaction errors and kit's SolanaErrors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  getSolanaErrorFromJsonRpcError,
  getSolanaErrorFromTransactionError,
  isSolanaError,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
} from "@solana/kit";
import * as sdk from "../src/index";
import idl from "../../idl/session_keys.json";

const ID = sdk.SESSION_KEYS_PROGRAM_ADDRESS;
const GAME = "EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ";

test("every IDL error maps code to name and message", () => {
  assert.equal(sdk.PROGRAM_ERRORS.length, idl.errors.length);
  for (const e of idl.errors) {
    const pascal = e.name.charAt(0).toUpperCase() + e.name.slice(1);
    assert.deepEqual(sdk.programErrorFromCode(e.code), { code: e.code, name: pascal, message: e.msg });
  }
  assert.deepEqual(sdk.programErrorFromCode(6016), {
    code: 6016,
    name: "WindowCapExceeded",
    message: "Amount is above what is left in the current spending window: wait for the next window",
  });
  assert.equal(sdk.programErrorFromCode(5999), null);
  assert.equal(sdk.programErrorFromName("SessionExpired")?.code, 6000);
});

test("errors decode from logs, and only when our program failed", () => {
  const logs = [`Program ${ID} invoke [1]`, `Program log: AnchorError occurred.`, `Program ${ID} failed: custom program error: 0x1780`];
  assert.equal(sdk.programErrorFromLogs(logs)?.name, "WindowCapExceeded");
  const inner = [`Program ${ID} invoke [1]`, `Program ${GAME} invoke [2]`, `Program ${GAME} failed: custom program error: 0x1770`, `Program ${ID} failed: custom program error: 0x1770`];
  assert.equal(sdk.programErrorFromLogs(inner)?.name, "SessionExpired");
  const other = [`Program ${GAME} invoke [1]`, `Program ${GAME} failed: custom program error: 0x1770`];
  assert.equal(sdk.programErrorFromLogs(other), null, "the same code from another program is not ours");
  assert.equal(sdk.decodeProgramError({ InstructionError: [0, { Custom: 6000 }] }, { logs: other }), null);
});

test("errors decode from RPC transaction errors and kit's SolanaErrors", () => {
  const txErr = { InstructionError: [1, { Custom: 6017 }] };
  assert.deepEqual(sdk.customCodeFromTransactionError(txErr), { index: 1, code: 6017 });
  assert.equal(sdk.decodeProgramError(txErr)?.name, "LifetimeCapExceeded");
  assert.equal(sdk.decodeProgramError(txErr, { instructionPrograms: [ID, GAME] }), null, "instruction 1 is not ours");
  assert.equal(sdk.decodeProgramError(txErr, { instructionPrograms: [GAME, ID] })?.code, 6017);

  const kitErr = getSolanaErrorFromTransactionError(txErr);
  assert.ok(isSolanaError(kitErr, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM));
  assert.equal(sdk.decodeProgramError(kitErr)?.name, "LifetimeCapExceeded");

  // A preflight failure as kit raises it from sendTransaction: the simulation's logs decide.
  const preflight = getSolanaErrorFromJsonRpcError({
    code: -32002,
    message: "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x177f",
    data: {
      accounts: null,
      err: { InstructionError: [0, { Custom: 6015 }] },
      logs: [`Program ${ID} invoke [1]`, `Program ${ID} failed: custom program error: 0x177f`],
      unitsConsumed: 0,
    },
  });
  const decoded = sdk.decodeProgramError(preflight);
  assert.equal(decoded?.code, 6015);
  assert.equal(sdk.decodeProgramError(new Error("network down")), null);
  const failed = new sdk.TransactionFailedError(decoded, [], preflight);
  assert.match(failed.message, /^PerInstructionCapExceeded: /);
});

test("the generated errors module agrees on codes", () => {
  assert.equal(sdk.SESSION_KEYS_ERROR__WINDOW_CAP_EXCEEDED, 6016);
  assert.equal(sdk.SESSION_KEYS_ERROR__SESSION_EXPIRED, 6000);
  // Codama's constants (what the hand-written layer refuses with) and the generated names and
  // messages (what it reports) are one table.
  const constants = Object.entries(sdk).filter(([k]) => k.startsWith("SESSION_KEYS_ERROR__"));
  assert.equal(constants.length, sdk.PROGRAM_ERRORS.length);
  for (const [k, code] of constants) {
    const e = sdk.programErrorFromCode(code as number);
    assert.ok(e, k);
    assert.equal(`SESSION_KEYS_ERROR__${e.name.replace(/(?<=[a-z0-9])(?=[A-Z])/g, "_").toUpperCase()}`, k);
    assert.deepEqual(new sdk.ScopeError(code as sdk.SessionKeysError).error, new sdk.ScopeError(e.name).error, k);
  }
});

test("the gasless grant's errors decode by code and name (6061 to 6070)", () => {
  const names = [
    "MessageEd25519Missing",
    "MessageEd25519NotUnique",
    "MessageEd25519Malformed",
    "MessageSignerNotOwner",
    "MessageMismatch",
    "MessageExpired",
    "MessageNumberMismatch",
    "SponsorIsSessionKey",
    "InvalidDomain",
    "LabelNotPrintable",
  ];
  names.forEach((name, i) => {
    assert.equal(sdk.programErrorFromCode(6061 + i)?.name, name);
    assert.equal(sdk.programErrorFromName(name)?.code, 6061 + i);
  });
  const logs = [`Program ${ID} invoke [1]`, `Program ${ID} failed: custom program error: 0x${(6067).toString(16)}`];
  assert.equal(sdk.decodeProgramError({ InstructionError: [1, { Custom: 6067 }] }, { logs })?.name, "MessageNumberMismatch");
  // The builders' refusals carry the program's error, code included.
  const e = new sdk.ScopeError("InvalidDomain", "\"a b\"");
  assert.equal(e.error.code, 6069);
  assert.match(e.message, /^InvalidDomain: Invalid app domain: 1 to 64 bytes of letters, digits, '\.', '-' and ':' \("a b"\)$/);
});
