// Runs ../migrations/deploy.ts with the SDK's dependencies: esbuild bundles it (the SDK's
// source included, @solana/kit resolved from sdk/node_modules) into dist/migrations/deploy.mjs,
// then node runs it with the remaining arguments.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(sdk, "dist", "migrations", "deploy.mjs");
await build({
  entryPoints: [join(sdk, "..", "migrations", "deploy.ts")],
  outfile: out,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  nodePaths: [join(sdk, "node_modules")],
  external: ["@solana/kit"],
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
  tsconfig: join(sdk, "tsconfig.esbuild.json"),
});
if (process.argv.includes("--build-only")) process.exit(0);
const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
