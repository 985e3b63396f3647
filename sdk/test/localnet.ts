// Starts localnet (crates/localnet: the programs behind Solana JSON-RPC) for the end-to-end and
// browser tests, on free ports. LOCALNET_URL uses a running one instead; LOCALNET_BIN runs a
// given binary. Otherwise the binary that `cargo test --workspace` already built
// (`$CARGO_TARGET_DIR/debug/localnet`, default `target/debug/localnet`) runs when it exists, so
// the README's test command builds nothing twice; without it, `cargo run -p localnet`.
// Returns null when this checkout has no localnet crate.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSolanaRpc, devnet } from "@solana/kit";

export interface Localnet {
  url: string;
  rpc: ReturnType<typeof createSolanaRpc<ReturnType<typeof devnet>>>;
  /** Sets the chain's clock (localnet's extra method `localnet_setClock`). */
  setClock(p: { unixTimestamp?: number; slot?: number; wallClock?: boolean }): Promise<unknown>;
  stop(): Promise<void>;
}

/** The repository root: the nearest folder above this file with an Anchor.toml (the tests run
 * from sdk/test as sources and from sdk/dist/test once bundled). */
function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "Anchor.toml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no Anchor.toml above the SDK tests: run them inside the repository");
    dir = up;
  }
  return dir;
}

/** The repository root (shared with the Kora launcher). */
export const repo = findRepo();

/** Why localnet cannot run here, or null if it can. */
export function localnetMissing(): string | null {
  if (process.env.LOCALNET_URL || process.env.LOCALNET_BIN) return null;
  return existsSync(join(repo, "crates", "localnet", "Cargo.toml")) ? null : "this checkout has no crates/localnet yet";
}

export async function startLocalnet(): Promise<Localnet> {
  let child: ChildProcess | null = null;
  let url = process.env.LOCALNET_URL;
  if (!url) {
    const built = join(process.env.CARGO_TARGET_DIR ?? join(repo, "target"), "debug", "localnet");
    const bin = process.env.LOCALNET_BIN ?? (existsSync(built) ? built : undefined);
    const [cmd, args] = bin
      ? [bin, ["--port", "0"]]
      : ["cargo", ["run", "-q", "-p", "localnet", "--", "--port", "0"]];
    child = spawn(cmd, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(() => reject(new Error(`localnet did not start within 15 minutes:\n${out}\n${err}`)), 15 * 60_000);
      child!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /localnet ready: (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child!.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      child!.on("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot start localnet (${cmd}): ${e.message}`));
      });
      child!.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`localnet exited with ${code}:\n${out}\n${err}`));
      });
    });
  }
  // `devnet` only types the URL as a test cluster's, so `requestAirdrop` is offered.
  const rpc = createSolanaRpc(devnet(url));
  return {
    url,
    rpc,
    async setClock(p) {
      const r = await fetch(url!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "localnet_setClock", params: [p] }),
      });
      const body = (await r.json()) as { result?: unknown; error?: { message: string } };
      if (body.error) throw new Error(`localnet_setClock: ${body.error.message}`);
      return body.result;
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGINT");
      await exited;
    },
  };
}
