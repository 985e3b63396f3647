/**
 * A sponsor as the session wallet sees it (`Sponsor`), and a client for a sponsor service over
 * HTTP (`httpSponsor`; sdk/examples/sponsor.ts is such a service).
 */
import type { Address, Signature } from "@solana/kit";
import { programErrorFromName } from "../errors";
import { encodeGrantRequest, GrantRefusedError, type GrantRequest, type SponsorInfo } from "./codec";

/** A sponsor as the session wallet sees it: an address to name as fee payer, and a submit call. */
export interface Sponsor {
  /** The sponsor's fee-payer address. */
  address(): Promise<Address>;
  /**
   * Checks the request, signs as fee payer, sends, and resolves once the transaction is
   * confirmed; rejects with a `GrantRefusedError` otherwise.
   */
  submit(request: GrantRequest): Promise<{ signature: Signature }>;
}

/**
 * A sponsor service over HTTP (sdk/examples/sponsor.ts): `GET {url}/sponsor` for its address,
 * `POST {url}/grant` with the request as JSON. A refusal (non-2xx) rejects with a
 * `GrantRefusedError` carrying the service's status, reason and program error name.
 */
export function httpSponsor(url: string, fetchImpl: typeof fetch = globalThis.fetch): Sponsor {
  const base = url.replace(/\/+$/, "");
  let info: Promise<SponsorInfo> | null = null;
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, init);
    } catch (e) {
      throw new GrantRefusedError(502, `the sponsor at ${base} cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = (await res.json().catch(() => null)) as { error?: string; programError?: string } | null;
    if (!res.ok) {
      const programError = body?.programError ? programErrorFromName(body.programError) : null;
      throw new GrantRefusedError(res.status, body?.error ?? `the sponsor answered ${res.status}`, programError);
    }
    return body as T;
  };
  return {
    async address() {
      info ??= call<SponsorInfo>("/sponsor").catch((e) => {
        info = null;
        throw e;
      });
      return (await info).address;
    },
    async submit(request) {
      const body = await call<{ signature: Signature }>("/grant", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeGrantRequest(request)),
      });
      if (typeof body?.signature !== "string") throw new GrantRefusedError(502, "the sponsor answered without a signature");
      return { signature: body.signature };
    },
  };
}
