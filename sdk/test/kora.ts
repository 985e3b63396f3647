// Starts Kora (kora-cli 2.0.5, the Solana Foundation's gasless relayer) as its own process with
// the repository's policy (deploy/kora/kora.toml, deploy/kora/signers.toml), a fresh fee-payer
// key funded on localnet, and an API key, on a free port; and the game's gateway in front of it
// (sdk/examples/sponsor.ts). The binary: KORA_BIN, else a `kora` on PATH of version 2.0.5,
// else ~/.cache/kora/bin/kora, else it is installed there (`cargo install kora-cli --version
// 2.0.5 --locked --root ~/.cache/kora`, its own dependency tree; .ci/run does this first). A
// test that cannot start Kora fails: it never skips.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { generateKeyPairSigner, lamports, type Address, type KeyPairSigner } from "@solana/kit";
import { startSponsorService, type SponsorService, type SponsorServiceOptions } from "../examples/sponsor";
import { repo, type Localnet } from "./localnet";

/** The pinned release: the newest stable kora-cli this registry serves. */
export const KORA_VERSION = "2.0.5";

export const REPO = repo;
export const KORA_CONFIG = join(REPO, "deploy", "kora", "kora.toml");
export const KORA_SIGNERS = join(REPO, "deploy", "kora", "signers.toml");

const versionOf = (bin: string): string | null => {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
};

/** The kora binary of the pinned version, installed into ~/.cache/kora when missing. */
export function koraBinary(): string {
  const want = `kora-cli ${KORA_VERSION}`;
  if (process.env.KORA_BIN) {
    const v = versionOf(process.env.KORA_BIN);
    if (v !== want) throw new Error(`KORA_BIN=${process.env.KORA_BIN} is ${v ?? "not runnable"}, not ${want}`);
    return process.env.KORA_BIN;
  }
  if (versionOf("kora") === want) return "kora";
  const root = join(homedir(), ".cache", "kora");
  const cached = join(root, "bin", "kora");
  if (versionOf(cached) === want) return cached;
  // Its own dependency tree and target directory, never the workspace's.
  const { CARGO_TARGET_DIR: _, ...env } = process.env;
  const r = spawnSync("cargo", ["install", "kora-cli", "--version", KORA_VERSION, "--locked", "--root", root], { stdio: "inherit", env });
  if (r.status !== 0 || versionOf(cached) !== want) throw new Error(`cannot install kora-cli ${KORA_VERSION} into ${root}`);
  return cached;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Kora {
  /** Kora itself (`http://127.0.0.1:<port>`): needs `apiKey`. */
  url: string;
  apiKey: string;
  /** Kora's fee payer. */
  payer: Address;
  /** What Kora printed. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Kora against `net` with the repository's policy (or `options.config`, a variant of it);
 * its payer (`options.payer`, extractable, or a new key) gets `fund` lamports.
 */
export async function startKora(net: Localnet, fund = 1_000_000_000n, options: { payer?: KeyPairSigner; config?: string } = {}): Promise<Kora> {
  const bin = koraBinary();
  const key: KeyPairSigner = options.payer ?? (await generateKeyPairSigner(true));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.keyPair.privateKey));
  const secret = [...pkcs8.slice(-32), ...new Uint8Array(await crypto.subtle.exportKey("raw", key.keyPair.publicKey))];
  const sig = await net.rpc.requestAirdrop(key.address, lamports(fund)).send();
  for (let i = 0; i < 100; i++) {
    const { value } = await net.rpc.getSignatureStatuses([sig]).send();
    if (value[0]?.confirmationStatus) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = await freePort();
  const apiKey = randomBytes(16).toString("hex");
  const child: ChildProcess = spawn(
    bin,
    ["--rpc-url", net.url, "--config", options.config ?? KORA_CONFIG, "rpc", "start", "--signers-config", KORA_SIGNERS, "--port", String(port)],
    {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KORA_PRIVATE_KEY: JSON.stringify(secret), KORA_API_KEY: apiKey, RUST_LOG: process.env.RUST_LOG ?? "warn" },
    },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kora exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/liveness`, { headers: { "x-api-key": apiKey } });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`kora did not answer /liveness within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    apiKey,
    payer: key.address,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The game's gateway in front of `kora` (sdk/examples/sponsor.ts). */
export async function startGateway(net: Localnet, kora: Kora, options: Omit<SponsorServiceOptions, "rpc" | "kora" | "sponsor">): Promise<SponsorService> {
  return await startSponsorService({ rpc: net.rpc, kora: { url: kora.url, apiKey: kora.apiKey }, ...options });
}
