// Webhook delivery as openvidu-server does it (§3.2 of reference/openvidu2.md): one queue and
// one sender, so events arrive in order and one at a time; POST with the configured headers
// (OPENVIDU_WEBHOOK_HEADERS) and the event JSON; only HTTP 200 counts, any other answer is
// logged and the event dropped without retry; I/O errors (refused, reset, timeout) are retried
// at once, up to 5 attempts in all.
import { toJavaJson } from "./java_json.ts";
import type { CdrEvent } from "./model.ts";

/** The CE docker `.env` default of OPENVIDU_WEBHOOK_EVENTS (no signalSent, no autoscaling). */
export const DEFAULT_WEBHOOK_EVENTS = [
  "sessionCreated",
  "sessionDestroyed",
  "participantJoined",
  "participantLeft",
  "webrtcConnectionCreated",
  "webrtcConnectionDestroyed",
  "recordingStatusChanged",
  "filterEventDispatched",
  "mediaNodeStatusChanged",
  "nodeCrashed",
  "nodeRecovered",
  "broadcastStarted",
  "broadcastStopped",
] as const;

export interface WebhookSenderOptions {
  url: string | null;
  /** `"Name: Value"` strings, split on the first `": "` like the server does. */
  headers?: readonly string[];
  events?: readonly string[];
  /** Connect and read timeout of one attempt (the server uses 10 s). */
  timeoutMs?: number;
  log(line: string): void;
  fetch?: typeof fetch;
}

export interface WebhookDelivery {
  payload: Record<string, unknown>;
  /** The HTTP status answered, or null when every attempt failed with an I/O error. */
  status: number | null;
}

const MAX_ATTEMPTS = 5;

/** Parse OPENVIDU_WEBHOOK_HEADERS entries; a malformed one is a configuration error. */
export function parseWebhookHeaders(entries: readonly string[]): Headers {
  const headers = new Headers();
  for (const entry of entries) {
    const at = entry.indexOf(": ");
    if (at <= 0) {
      throw new Error(
        `Webhook header "${entry.split(":")[0]}…" must look like "Name: Value" (colon and space)`,
      );
    }
    headers.append(entry.slice(0, at), entry.slice(at + 2));
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return headers;
}

export class WebhookSender {
  readonly #url: string | null;
  readonly #headers: Headers;
  readonly #events: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #fetch: typeof fetch;
  readonly #queue: CdrEvent[] = [];
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #closing = new AbortController();
  #running: Promise<void> | null = null;

  constructor(options: WebhookSenderOptions) {
    this.#url = options.url;
    this.#headers = parseWebhookHeaders(options.headers ?? []);
    this.#events = new Set(options.events ?? DEFAULT_WEBHOOK_EVENTS);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#log = options.log;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  get enabled(): boolean {
    return this.#url !== null;
  }

  enqueue(event: CdrEvent): void {
    if (!this.#url || !this.#events.has(event.event) || this.#closing.signal.aborted) return;
    this.#queue.push(event);
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  /** Resolves when every queued event has been delivered or dropped. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  log(): WebhookDelivery[] {
    return this.#deliveries.map((d) => ({ payload: structuredClone(d.payload), status: d.status }));
  }

  /** Drop what is queued and abort the delivery in flight. */
  async close(): Promise<void> {
    this.#queue.length = 0;
    this.#closing.abort();
    await this.#running?.catch(() => {});
  }

  async #drain(): Promise<void> {
    while (this.#queue.length && !this.#closing.signal.aborted) {
      await this.#deliver(this.#queue.shift()!);
    }
  }

  async #deliver(event: CdrEvent): Promise<void> {
    const body = toJavaJson(event);
    let status: number | null = null;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const res = await this.#fetch(this.#url!, {
          method: "POST",
          headers: this.#headers,
          body,
          redirect: "manual",
          signal: AbortSignal.any([
            this.#closing.signal,
            AbortSignal.timeout(this.#timeoutMs),
          ]),
        });
        await res.body?.cancel();
        status = res.status;
        break;
      } catch (err) {
        if (this.#closing.signal.aborted) return;
        this.#log(
          `webhook ${event.event}: attempt ${attempt}/${MAX_ATTEMPTS} failed: ${
            (err as Error).message
          }`,
        );
      }
    }
    this.#deliveries.push({ payload: JSON.parse(body), status });
    if (status === 200) {
      this.#log(`webhook ${event.event} delivered`);
    } else {
      this.#log(
        `webhook ${event.event} dropped: ${
          status === null ? "no answer" : `HTTP ${status}`
        } (only 200 counts; not retried)`,
      );
    }
  }
}
