// Builds the package and the tests with esbuild (the generated client imports without file
// extensions, which bundlers resolve and Node's ESM loader does not):
//   dist/index.js      ESM, @solana/kit external, no Node globals (`process.env.NODE_ENV` in the
//                      generated errors is fixed at build time)
//   dist/index.cjs     the same as CommonJS
//   dist/types/        declarations (tsc)
//   dist/test/*.mjs    the node tests, bundled
//   dist/examples/sponsor.mjs  the sponsor service example (node)
//   dist/web/app.js    the example game's page, with kit bundled in (served by test/browser)
// and prints the gzipped size of a "create a session" bundle (`--size` alone only measures).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const define = { "process.env.NODE_ENV": '"production"' };
const sizeOnly = process.argv.includes("--size");

/** Gzipped size of a browser bundle that grants a session (kit included, minified). */
export async function createSessionBundleSize() {
  const r = await build({
    stdin: {
      contents: `import { SessionWallet, scope, caps, program, instruction, walletStandardSigner } from "./src/index";
export { SessionWallet, scope, caps, program, instruction, walletStandardSigner };`,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    define,
    write: false,
    metafile: true,
    tsconfig: join(root, "tsconfig.esbuild.json"),
  });
  const bytes = r.outputFiles[0].contents;
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (!sizeOnly) {
  rmSync(dist, { recursive: true, force: true });
  const common = { bundle: true, sourcemap: true, target: "es2022", define, logLevel: "warning", tsconfig: join(root, "tsconfig.esbuild.json") };
  await build({ ...common, entryPoints: [join(root, "src/index.ts")], outfile: join(dist, "index.js"), format: "esm", platform: "neutral", packages: "external" });
  await build({ ...common, entryPoints: [join(root, "src/index.ts")], outfile: join(dist, "index.cjs"), format: "cjs", platform: "neutral", packages: "external" });
  // The React binding (ESM only): react and the main entry stay external.
  await build({ ...common, entryPoints: [join(root, "src/react.ts")], outfile: join(dist, "react.js"), format: "esm", platform: "neutral", packages: "external", external: ["./index.js"] });
  const tests = readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts"));
  await build({
    ...common,
    entryPoints: tests.map((f) => join(root, "test", f)),
    outdir: join(dist, "test"),
    outExtension: { ".js": ".mjs" },
    format: "esm",
    platform: "node",
    packages: "external",
  });
  // The sponsor service example, runnable as `node dist/examples/sponsor.mjs` (the tests bundle it too).
  await build({ ...common, entryPoints: [join(root, "examples/sponsor.ts")], outfile: join(dist, "examples/sponsor.mjs"), format: "esm", platform: "node", packages: "external" });
  await build({ ...common, entryPoints: [join(root, "web/app.ts")], outfile: join(dist, "web/app.js"), format: "esm", platform: "browser", minify: true });
  await build({ ...common, entryPoints: [join(root, "web/test-wallet.ts")], outfile: join(dist, "web/test-wallet.js"), format: "iife", platform: "browser" });
  cpSync(join(root, "web/index.html"), join(dist, "web/index.html"));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const t = spawnSync(process.execPath, [tsc, "-p", "tsconfig.types.json"], { encoding: "utf8" });
  // The one known error of Codama's plugin (see scripts/typecheck.mjs) does not stop emission.
  if (t.status !== 0 && !/sessionKeys\.ts\(\d+,\d+\): error TS2322/.test(t.stdout)) {
    console.error(t.stdout, t.stderr);
    process.exit(1);
  }
  for (const f of ["index.js", "index.cjs"]) {
    const code = readFileSync(join(dist, f), "utf8");
    if (/\bprocess\.|\bBuffer\b|require\("(node:)?(fs|path|crypto)"\)/.test(code)) {
      console.error(`dist/${f} refers to a Node global or module`);
      process.exit(1);
    }
  }
}
const size = await createSessionBundleSize();
console.log(`"create a session" bundle (SessionWallet + scope builder + @solana/kit, minified): ${(size.raw / 1024).toFixed(1)} KiB, ${(size.gzip / 1024).toFixed(1)} KiB gzipped`);
