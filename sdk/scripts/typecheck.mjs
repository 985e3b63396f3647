// Type-checks src/, test/ and web/ with tsc (strict). One error is known and tolerated: Codama's
// generated program plugin (src/generated/programs/sessionKeys.ts, `sessionKeysProgram()`)
// does not type-check against @solana/kit 8.4 (TS2322 on `extendClient`'s return). The plugin
// is generated code that must not be edited and that this SDK does not use; any other error fails.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { encoding: "utf8" });
const lines = (r.stdout + r.stderr).split("\n").filter(Boolean);
const errors = lines.filter((l) => / error TS\d+:/.test(l));
const known = (l) => l.startsWith("src/generated/programs/sessionKeys.ts(") && l.includes("error TS2322:");
const other = errors.filter((l) => !known(l));
if (other.length || (r.status !== 0 && errors.length === 0)) {
  console.error(lines.join("\n"));
  process.exit(1);
}
if (!errors.some(known)) console.log("typecheck: Codama's plugin TS2322 is gone; drop the exception in scripts/typecheck.mjs");
console.log(`typecheck: ok (${errors.length} known Codama plugin error tolerated)`);
