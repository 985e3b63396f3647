/**
 * Events from transaction logs. Anchor's `emit!` writes `Program data: <base64>` while the
 * program runs: 8 bytes of discriminator, then the Borsh-encoded event. Only lines written
 * while this program is the one executing (tracked through the invoke/success/failed lines)
 * are decoded, so another program cannot forge our events by logging the same bytes.
 */
import { getBase64Encoder } from "@solana/kit";
import { SESSION_KEYS_PROGRAM_ADDRESS } from "./generated/programs";
import { EVENT_DECODERS, type SessionKeysEvents } from "./generated/events";
import { hex } from "./internal";

/** A decoded event: its name and its fields. */
export type SessionKeysEvent = { [K in keyof SessionKeysEvents]: { name: K; data: SessionKeysEvents[K] } }[keyof SessionKeysEvents];

/**
 * Decodes one event payload (discriminator + Borsh); `null` if it is not one of our events, or
 * not in this SDK's layout of it (a program built before a field was added): the logs of a
 * transaction that landed never make a caller throw.
 */
export function decodeEvent(bytes: Uint8Array): SessionKeysEvent | null {
  if (bytes.length < 8) return null;
  const d = hex(bytes.subarray(0, 8));
  for (const [name, entry] of Object.entries(EVENT_DECODERS)) {
    if (entry.discriminator === d) {
      try {
        return { name, data: entry.decoder().decode(bytes) } as SessionKeysEvent;
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** Every event this program emitted, in order, from a transaction's or a simulation's logs. */
export function parseEvents(
  logs: readonly string[] | null | undefined,
  programAddress: string = SESSION_KEYS_PROGRAM_ADDRESS,
): SessionKeysEvent[] {
  const base64 = getBase64Encoder();
  const stack: string[] = [];
  const out: SessionKeysEvent[] = [];
  for (const line of logs ?? []) {
    const invoke = /^Program (\S+) invoke \[\d+\]$/.exec(line);
    if (invoke) {
      stack.push(invoke[1]!);
      continue;
    }
    if (/^Program \S+ (success|failed)/.test(line)) {
      stack.pop();
      continue;
    }
    if (line.startsWith("Program data: ") && stack[stack.length - 1] === programAddress) {
      for (const chunk of line.slice("Program data: ".length).split(" ")) {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(base64.encode(chunk));
        } catch {
          continue;
        }
        const event = decodeEvent(bytes);
        if (event) out.push(event);
      }
    }
  }
  return out;
}

/** The payment reference an event carries (`SolTransferred`, `TokenTransferred`, `Executed`), or `null`. */
export function eventReference(event: SessionKeysEvent): Uint8Array | null {
  const data = event.data as { reference?: unknown };
  if (!data.reference || typeof data.reference !== "object" || !("__option" in data.reference)) return null;
  const r = data.reference as { __option: "Some" | "None"; value?: Uint8Array };
  return r.__option === "Some" && r.value ? new Uint8Array(r.value) : null;
}

/**
 * The events of a transaction's logs that carry `reference`: how a server matches an on-chain
 * payment to its request with `getTransaction` alone (check the event's owner, destination or
 * mint and amount too).
 */
export function eventsWithReference(logs: readonly string[] | null | undefined, reference: Uint8Array): SessionKeysEvent[] {
  const want = hex(reference);
  return parseEvents(logs).filter((e) => {
    const r = eventReference(e);
    return r !== null && hex(r) === want;
  });
}
