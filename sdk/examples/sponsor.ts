/**
 * A minimal sponsor service for gasless grants (docs/message-grant.md): a node `http` server on
 * 127.0.0.1 that pays the fee and the rent of `create_session_from_message` for players of its
 * own game, and nothing else.
 *
 * - `GET /sponsor`: `{ address, cluster, programId, programs }` (the player's page names
 *   `address` as the fee payer).
 * - `POST /grant`: a `GrantRequestJson` (`encodeGrantRequest`). The service decodes it, runs
 *   `checkGrantRequest` (its policy: only its programs, no tokens, no destinations, a bounded
 *   session; the program's rules; the message is the SDK's rebuild; the owner's Ed25519
 *   signature verifies; the transaction is byte for byte the one it would build, its key only
 *   as fee payer and `sponsor`; the session key signed it), allows one session per owner per
 *   hour and at most `maxGrantsPerHour` (100) grants per hour in all (owner keys cost nothing
 *   to make), signs as fee payer, sends and confirms. It answers `200 { signature }`, or a non-2xx
 *   `{ error, programError? }` with the reason.
 *
 * Who builds the transaction: the player (see src/sponsor/index.ts): one round trip, no pending
 * state here, and the service signs only bytes equal to its own rebuild.
 *
 * Run it (after `npm run build`):
 *   node dist/examples/sponsor.mjs --rpc http://127.0.0.1:8899 --keypair sponsor.json \
 *     --program EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ [--cluster localnet] [--port 8787] [--domain game.example]
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import {
  address,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  signTransaction,
  type Address,
  type GetAccountInfoApi,
  type KeyPairSigner,
  type Rpc,
} from "@solana/kit";
import {
  chainTime,
  checkGrantRequest,
  CLUSTERS,
  confirm,
  decodeGrantRequest,
  decodeProgramError,
  GrantRefusedError,
  SESSION_KEYS_PROGRAM_ADDRESS,
  TransactionFailedError,
  type Cluster,
  type SendRpc,
  type SponsorInfo,
  type SponsorPolicy,
} from "../src/index";

/** Options of `startSponsorService`. */
export interface SponsorServiceOptions {
  /** The cluster's RPC (the chain's clock, sending, confirming). */
  rpc: SendRpc & Rpc<GetAccountInfoApi>;
  /** The fee payer; it signs nothing but the grants it rebuilt itself. */
  sponsor: KeyPairSigner;
  /** What it pays for. */
  policy: SponsorPolicy;
  /** At most one session per owner per this many seconds (default 3600). */
  ownerIntervalSeconds?: number;
  /**
   * Most grants paid in any hour, all owners together (default 100). Owner keys cost nothing to
   * make, so a per-owner limit alone does not bound what a script can spend: each new owner
   * costs the wallet account's rent (never returned) and the fee. A production sponsor also
   * authenticates its players or apps.
   */
  maxGrantsPerHour?: number;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Largest request body accepted, in bytes (default 16 KiB). */
  maxBodyBytes?: number;
  /** Where it logs one line per request (default: nowhere). */
  log?: (line: string) => void;
}

/** A running sponsor service. */
export interface SponsorService {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The sponsor's address. */
  address: Address;
  close(): Promise<void>;
}

/** An answer: a status and a JSON body. */
type Reply = { status: number; body: Record<string, unknown> };

function refusal(e: GrantRefusedError): Reply {
  return { status: e.status, body: { error: e.reason, ...(e.programError ? { programError: e.programError.name } : {}) } };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new GrantRefusedError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts the service on 127.0.0.1 (loopback only). */
export async function startSponsorService(options: SponsorServiceOptions): Promise<SponsorService> {
  const { rpc, sponsor, policy } = options;
  const intervalSeconds = options.ownerIntervalSeconds ?? 3600;
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 0 || intervalSeconds > 3600) {
    throw new Error(`ownerIntervalSeconds must be a whole number of seconds from 0 to 3600, not ${intervalSeconds}`);
  }
  const intervalMs = intervalSeconds * 1000;
  const maxBody = options.maxBodyBytes ?? 16 * 1024;
  const log = options.log ?? (() => {});
  /** Owner → when their last session was paid for (wall clock, ms). */
  const lastGrant = new Map<string, number>();
  const budget = options.maxGrantsPerHour ?? 100;
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`maxGrantsPerHour must be a positive whole number, not ${budget}`);
  /** When each grant of the last hour was paid for (wall clock, ms), oldest first. */
  const paid: number[] = [];
  const info: SponsorInfo = {
    address: sponsor.address,
    cluster: policy.cluster,
    programId: SESSION_KEYS_PROGRAM_ADDRESS,
    programs: [...policy.programs],
  };

  const grant = async (req: IncomingMessage): Promise<Reply> => {
    let json: unknown;
    try {
      json = JSON.parse(await readBody(req, maxBody));
    } catch (e) {
      if (e instanceof GrantRefusedError) throw e;
      throw new GrantRefusedError(400, "malformed request: the body is not JSON");
    }
    const request = decodeGrantRequest(json);
    let now: bigint;
    try {
      now = await chainTime(rpc);
    } catch (e) {
      throw new GrantRefusedError(502, `cannot read the chain's clock: ${e instanceof Error ? e.message : String(e)}`);
    }
    await checkGrantRequest(request, { sponsor: sponsor.address, policy, now });

    // One session per owner per interval. Reserved only after the owner's signature verified
    // (so nobody can lock an owner out), synchronously (so two concurrent requests cannot both
    // pass), and released when the send fails before landing (which costs nothing).
    const owner = request.owner;
    const wall = Date.now();
    // Forget what is older than the windows: both structures stay bounded by the budget (the
    // per-owner interval is at most an hour).
    while (paid.length > 0 && wall - paid[0]! >= 3_600_000) paid.shift();
    for (const [o, t] of lastGrant) if (wall - t >= intervalMs) lastGrant.delete(o);
    if (paid.length >= budget) {
      const wait = Math.ceil((3_600_000 - (wall - paid[0]!)) / 1000);
      throw new GrantRefusedError(429, `this sponsor's budget of ${budget} grants per hour is spent: retry in ${wait} s`);
    }
    const last = lastGrant.get(owner);
    if (last !== undefined && wall - last < intervalMs) {
      const wait = Math.ceil((intervalMs - (wall - last)) / 1000);
      throw new GrantRefusedError(429, `one session per owner per ${intervalMs / 1000} s: retry in ${wait} s`);
    }
    lastGrant.set(owner, wall);
    paid.push(wall);

    const signed = await signTransaction([sponsor.keyPair], request.transaction);
    const signature = getSignatureFromTransaction(signed);
    try {
      await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: "base64", preflightCommitment: "confirmed" }).send();
    } catch (e) {
      if (last === undefined) lastGrant.delete(owner);
      else lastGrant.set(owner, last);
      const at = paid.lastIndexOf(wall);
      if (at >= 0) paid.splice(at, 1);
      const programError = decodeProgramError(e);
      if (programError) throw new GrantRefusedError(422, `the program refused the grant: ${programError.name}: ${programError.message}`, programError);
      throw new GrantRefusedError(502, `the transaction was not accepted: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      await confirm(rpc, signature);
    } catch (e) {
      if (e instanceof TransactionFailedError && e.programError) {
        throw new GrantRefusedError(422, `the program refused the grant: ${e.programError.name}: ${e.programError.message}`, e.programError);
      }
      throw new GrantRefusedError(502, `the transaction ${signature} did not confirm: ${e instanceof Error ? e.message : String(e)}`);
    }
    log(`granted: owner ${owner}, session key ${request.sessionKey}, ${signature}`);
    return { status: 200, body: { signature } };
  };

  const route = async (req: IncomingMessage): Promise<Reply> => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    // A browser's CORS preflight before the JSON POST of a page on another origin.
    if (req.method === "OPTIONS" && (path === "/grant" || path === "/sponsor")) return { status: 204, body: {} };
    if (path === "/sponsor") {
      if (req.method !== "GET") return { status: 405, body: { error: "GET /sponsor" } };
      return { status: 200, body: { ...info } };
    }
    if (path === "/grant") {
      if (req.method !== "POST") return { status: 405, body: { error: "POST /grant" } };
      try {
        return await grant(req);
      } catch (e) {
        if (e instanceof GrantRefusedError) return refusal(e);
        return { status: 500, body: { error: `internal error: ${e instanceof Error ? e.message : String(e)}` } };
      }
    }
    return { status: 404, body: { error: `no route ${req.method} ${path}` } };
  };

  const server: Server = createServer((req, res: ServerResponse) => {
    void route(req).then(({ status, body }) => {
      log(`${req.method} ${req.url} -> ${status}${body.error ? `: ${String(body.error)}` : ""}`);
      // A browser page on another loopback origin may call the service.
      res.writeHead(status, {
        "content-type": "application/json",
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "content-type",
      });
      res.end(status === 204 ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    address: sponsor.address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `--name value` options, repeatable ones collected. */
function parseArgs(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = argv[i + 1];
    if (!name.startsWith("--") || value === undefined) throw new Error(`expected --name value, got ${name}`);
    out.set(name.slice(2), [...(out.get(name.slice(2)) ?? []), value]);
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const one = (name: string, fallback?: string) => {
    const v = args.get(name)?.[0] ?? fallback;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const cluster = one("cluster", "localnet") as Cluster;
  if (!CLUSTERS.includes(cluster)) throw new Error(`--cluster: one of ${CLUSTERS.join(", ")}`);
  const secret = new Uint8Array(JSON.parse(readFileSync(one("keypair"), "utf8")) as number[]);
  const service = await startSponsorService({
    rpc: createSolanaRpc(one("rpc")),
    sponsor: await createKeyPairSignerFromBytes(secret),
    policy: { cluster, programs: (args.get("program") ?? []).map((p) => address(p)), domains: args.get("domain") },
    port: Number(one("port", "8787")),
    log: (line) => console.log(line),
  });
  console.log(`sponsor ${service.address} listening on ${service.url}`);
}

// Runs only as the script itself (dist/examples/sponsor.mjs), never when bundled into a test.
if (process.argv[1] && /(^|[\\/])sponsor\.(m?js|ts)$/.test(process.argv[1]) && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
