/**
 * The game's paymaster gateway (docs/12-gasless-play.md, docs/06-gasless-grant.md): a node
 * `http` server on 127.0.0.1 in front of Kora (kora-cli 2.0.5, deploy/kora/), keeping only what
 * Kora cannot do. Kora holds the key, signs as fee payer, enforces its allowed programs, the
 * lamports its key may pay out per transaction, its key's use in System and token instructions,
 * and its global request rate. This gateway adds:
 *
 * - the check Kora cannot express (`checkPaymasterTransaction`): only this game's sessions
 *   (scope programs in the policy), only the session-keys instructions a game pays for, Kora's
 *   key nowhere but the fee payer (Kora 2.0.5 does not parse custom programs' instructions and
 *   predates advisory GHSA-x442-m7cc-hr92), and for a grant the byte-for-byte rebuild of
 *   `checkGrantRequest` (message, owner's signature, scope);
 * - limits per player, keyed by the session's owner: one grant per owner per
 *   `ownerIntervalSeconds`, `maxGrantsPerHour` in all, `playsPerMinute` per owner. Kora's own
 *   usage limit counts per transaction signer (the session key, which a player replaces at
 *   will) over a lifetime and needs Redis, so it cannot limit a player.
 *
 * Routes:
 * - `POST /`: Kora's JSON-RPC, as `kora(url)` in the SDK calls it: `getPayerSigner`,
 *   `getBlockhash` (forwarded), `signAndSendTransaction` (checked, limited, forwarded with
 *   Kora's API key). A refusal is a JSON-RPC error -32000 with `data.kind` `refused`,
 *   `rate_limited` or `unavailable`; Kora's own refusals pass through with their text.
 * - `GET /sponsor`, `POST /grant`: the grant service of docs/06-gasless-grant.md
 *   (`httpSponsor`): the same grant checks, paid by Kora (or, without Kora, by a local key).
 *
 * Run it (after `npm run build`), with Kora started from deploy/kora/ (README, "Gasless play"):
 *   KORA_API_KEY=... node dist/examples/sponsor.mjs --rpc http://127.0.0.1:8899 \
 *     --kora http://127.0.0.1:8080 --program EMFziHrpsrLSELDiQM8QjsqfZrHSJhZZhkdMis778zPJ \
 *     [--cluster localnet] [--port 8787] [--domain game.example]
 * or without Kora, paying from a local key: `--keypair sponsor.json` instead of `--kora`.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import {
  address,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  getBase64EncodedWireTransaction as wire,
  getSignatureFromTransaction,
  signTransaction,
  type Address,
  type GetAccountInfoApi,
  type KeyPairSigner,
  type Rpc,
  type Signature,
  type Transaction,
} from "@solana/kit";
import {
  chainTime,
  checkGrantRequest,
  checkPaymasterTransaction,
  decodeWireTransaction,
  FeePayerError,
  kora as koraClient,
  type KoraClient,
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
  /** Kora, which holds the fee payer's key: its URL and API key. */
  kora?: { url: string; apiKey?: string };
  /** Without Kora: a local fee payer key; it signs nothing but the grants it rebuilt itself. */
  sponsor?: KeyPairSigner;
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
  /** Session transactions paid per player (owner) per minute (default 60). */
  playsPerMinute?: number;
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
  if (!sponsor === !options.kora) throw new Error("give either kora (Kora pays) or sponsor (a local key pays), not both");
  const kora: KoraClient | null = options.kora ? koraClient(options.kora.url, { apiKey: options.kora.apiKey }) : null;
  const payer = sponsor ? sponsor.address : await kora!.address();
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
  const playsPerMinute = options.playsPerMinute ?? 60;
  if (!Number.isInteger(playsPerMinute) || playsPerMinute < 1) throw new Error(`playsPerMinute must be a positive whole number, not ${playsPerMinute}`);
  /** Owner → when each of their session transactions of the last minute was paid for. */
  const plays = new Map<string, number[]>();
  const info: SponsorInfo = {
    address: payer,
    cluster: policy.cluster,
    programId: SESSION_KEYS_PROGRAM_ADDRESS,
    programs: [...policy.programs],
  };

  const now = async (): Promise<bigint> => {
    try {
      return await chainTime(rpc);
    } catch (e) {
      throw new GrantRefusedError(502, `cannot read the chain's clock: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  /**
   * Reserves a grant for `owner` (one per owner per interval, `budget` per hour in all), after
   * every check passed (so nobody can lock an owner out) and synchronously (so two concurrent
   * requests cannot both pass); returns the release for a send that fails before landing.
   */
  const reserveGrant = (owner: string): (() => void) => {
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
    return () => {
      if (last === undefined) lastGrant.delete(owner);
      else lastGrant.set(owner, last);
      const at = paid.lastIndexOf(wall);
      if (at >= 0) paid.splice(at, 1);
    };
  };

  /** Reserves one session transaction of `owner` (`playsPerMinute`); returns its release. */
  const reservePlay = (owner: string): (() => void) => {
    const wall = Date.now();
    for (const [o, ts] of plays) {
      while (ts.length > 0 && wall - ts[0]! >= 60_000) ts.shift();
      if (ts.length === 0) plays.delete(o);
    }
    const ts = plays.get(owner) ?? [];
    if (ts.length >= playsPerMinute) {
      const wait = Math.ceil((60_000 - (wall - ts[0]!)) / 1000);
      throw new GrantRefusedError(429, `this player (owner ${owner}) is over ${playsPerMinute} paid transactions per minute: retry in ${wait} s`);
    }
    ts.push(wall);
    plays.set(owner, ts);
    return () => {
      const at = ts.lastIndexOf(wall);
      if (at >= 0) ts.splice(at, 1);
    };
  };

  /**
   * Signs as fee payer and sends (Kora, or the local key); a refusal becomes a GrantRefusedError.
   * Resolves with the signature and the signed transaction (base64 wire).
   */
  const pay = async (transaction: Transaction): Promise<{ signature: Signature; signed: string }> => {
    if (kora) {
      try {
        const { signature, signedTransaction } = await kora.signAndSendTransaction(transaction);
        return { signature, signed: wire(signedTransaction) };
      } catch (e) {
        if (!(e instanceof FeePayerError)) throw e;
        const status = e.kind === "rate_limited" ? 429 : e.kind === "unavailable" ? 502 : e.programError ? 422 : 403;
        throw new GrantRefusedError(status, `Kora refused: ${e.message}`, e.programError);
      }
    }
    const signed = await signTransaction([sponsor!.keyPair], transaction);
    try {
      await rpc.sendTransaction(wire(signed), { encoding: "base64", preflightCommitment: "confirmed" }).send();
    } catch (e) {
      const programError = decodeProgramError(e);
      if (programError) throw new GrantRefusedError(422, `the program refused it: ${programError.name}: ${programError.message}`, programError);
      throw new GrantRefusedError(502, `the transaction was not accepted: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { signature: getSignatureFromTransaction(signed), signed: wire(signed) };
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
    await checkGrantRequest(request, { sponsor: payer, policy, now: await now() });
    const release = reserveGrant(request.owner);
    let signature: Signature;
    try {
      ({ signature } = await pay(request.transaction));
    } catch (e) {
      release();
      throw e;
    }
    try {
      await confirm(rpc, signature);
    } catch (e) {
      if (e instanceof TransactionFailedError && e.programError) {
        throw new GrantRefusedError(422, `the program refused the grant: ${e.programError.name}: ${e.programError.message}`, e.programError);
      }
      throw new GrantRefusedError(502, `the transaction ${signature} did not confirm: ${e instanceof Error ? e.message : String(e)}`);
    }
    log(`granted: owner ${request.owner}, session key ${request.sessionKey}, ${signature}`);
    return { status: 200, body: { signature } };
  };

  /** Kora's JSON-RPC, checked: `POST /`. */
  const jsonRpc = async (req: IncomingMessage): Promise<Reply> => {
    let call: { id?: unknown; method?: unknown; params?: { transaction?: unknown } };
    try {
      call = JSON.parse(await readBody(req, maxBody));
    } catch (e) {
      const reason = e instanceof GrantRefusedError ? e.reason : "the body is not JSON";
      return { status: 200, body: { jsonrpc: "2.0", id: null, error: { code: -32700, message: reason } } };
    }
    const id = call.id ?? null;
    const ok = (result: unknown): Reply => ({ status: 200, body: { jsonrpc: "2.0", id, result } });
    const fail = (e: GrantRefusedError): Reply => {
      const kind = e.status === 429 ? "rate_limited" : e.status === 502 ? "unavailable" : "refused";
      return { status: 200, body: { jsonrpc: "2.0", id, error: { code: -32000, message: e.reason, data: { kind, status: e.status, ...(e.programError ? { programError: e.programError.name } : {}) } } } };
    };
    try {
      switch (call.method) {
        case "getPayerSigner":
          return ok({ signer_address: payer, payment_address: payer });
        case "getBlockhash":
          return ok({ blockhash: (await rpc.getLatestBlockhash({ commitment: "confirmed" }).send()).value.blockhash });
        case "signAndSendTransaction": {
          if (typeof call.params?.transaction !== "string") throw new GrantRefusedError(400, "params.transaction: a base64 wire transaction");
          const transaction = decodeWireTransaction(call.params.transaction);
          const checked = await checkPaymasterTransaction(transaction, { payer, policy, now: await now(), rpc });
          const release = checked.kind === "grant" ? reserveGrant(checked.owner) : reservePlay(checked.owner);
          let paid: { signature: Signature; signed: string };
          try {
            paid = await pay(transaction);
          } catch (e) {
            release();
            throw e;
          }
          log(`paid ${checked.kind}: owner ${checked.owner}, session key ${checked.sessionKey}, ${paid.signature}`);
          return ok({ signature: paid.signature, signed_transaction: paid.signed, signer_pubkey: payer });
        }
        default:
          return { status: 200, body: { jsonrpc: "2.0", id, error: { code: -32601, message: `method not found here: ${String(call.method)} (this gateway serves getPayerSigner, getBlockhash, signAndSendTransaction)` } } };
      }
    } catch (e) {
      if (e instanceof GrantRefusedError) return fail(e);
      return { status: 200, body: { jsonrpc: "2.0", id, error: { code: -32603, message: `internal error: ${e instanceof Error ? e.message : String(e)}` } } };
    }
  };

  const route = async (req: IncomingMessage): Promise<Reply> => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    // A browser's CORS preflight before the JSON POST of a page on another origin.
    if (req.method === "OPTIONS" && (path === "/grant" || path === "/sponsor")) return { status: 204, body: {} };
    if (path === "/") {
      if (req.method === "OPTIONS") return { status: 204, body: {} };
      if (req.method !== "POST") return { status: 405, body: { error: "POST / with a JSON-RPC request" } };
      return await jsonRpc(req);
    }
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
    address: payer,
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
  const koraUrl = args.get("kora")?.[0];
  const payer = koraUrl
    ? { kora: { url: koraUrl, apiKey: process.env.KORA_API_KEY } }
    : { sponsor: await createKeyPairSignerFromBytes(new Uint8Array(JSON.parse(readFileSync(one("keypair"), "utf8")) as number[])) };
  const service = await startSponsorService({
    rpc: createSolanaRpc(one("rpc")),
    ...payer,
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
