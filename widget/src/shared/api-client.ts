/**
 * A typed client for the `meetings` function (DESIGN §7). Every request asks the token source
 * for a token first; every failure becomes a WidgetError with the service's code, message and
 * request id; every answer is checked before use. Reads of the list and of one meeting are
 * conditional: given the last ETag, an unchanged answer costs a 304 and no body.
 */
import {
  type Meeting,
  type MeetingPage,
  type MeetingStatus,
  type MeetingToken,
  type NewMeeting,
  readMeeting,
  readMeetingPage,
  readToken,
} from "./api-types.js";
import { type FieldIssue, isAbort, WidgetError, type WidgetErrorCode } from "./errors.js";
import { identityOf, type TokenIdentity } from "./token-source.js";

export interface ApiClientOptions {
  /** `https://<ref>.supabase.co/functions/v1`, or the local `http://127.0.0.1:54321/functions/v1`. */
  functionsUrl: string;
  /** Called before each request. */
  getToken: () => Promise<string>;
  fetch?: typeof fetch;
  /** Per-request limit; OpenVidu calls behind start/end can take a while. */
  timeoutMs?: number;
}

/** A conditional read: `value` is absent when the service answered 304 Not Modified. */
export interface Fresh<T> {
  value?: T;
  etag: string | null;
}

export interface ListQuery {
  status?: readonly MeetingStatus[];
  clientId?: string;
  limit?: number;
  cursor?: string | null;
}

export interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  signal?: AbortSignal;
  etag?: string | null;
  what: string;
}

const CODES: Record<string, WidgetErrorCode> = {
  invalid_request: "invalid-request",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  not_found: "not-found",
  invalid_state: "invalid-state",
  payload_too_large: "invalid-request",
  upstream_error: "upstream",
  internal: "server",
};

const BY_STATUS: Record<number, WidgetErrorCode> = {
  400: "invalid-request",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  409: "invalid-state",
  413: "invalid-request",
  502: "upstream",
  504: "timeout",
};

export class ApiClient {
  readonly functionsUrl: string;
  /** What the most recent token says about the user (for the UI; the service decides). */
  identity: TokenIdentity = { userId: null, role: null, clientId: null, displayName: null };
  readonly #getToken: () => Promise<string>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.functionsUrl = options.functionsUrl.replace(/\/+$/, "");
    this.#getToken = options.getToken;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async listMeetings(query: ListQuery, opts: { signal?: AbortSignal; etag?: string | null } = {}): Promise<Fresh<MeetingPage>> {
    const params = new URLSearchParams();
    if (query.status?.length) params.set("status", query.status.join(","));
    if (query.clientId) params.set("client_id", query.clientId);
    if (query.limit) params.set("limit", String(query.limit));
    if (query.cursor) params.set("cursor", query.cursor);
    const qs = params.toString();
    const res = await this.request(`/meetings${qs ? `?${qs}` : ""}`, { ...opts, what: "list meetings" });
    return { etag: res.etag, value: res.notModified ? undefined : readMeetingPage(res.body) };
  }

  async getMeeting(id: string, opts: { signal?: AbortSignal; etag?: string | null } = {}): Promise<Fresh<Meeting>> {
    const res = await this.request(`/meetings/${enc(id)}`, { ...opts, what: `read meeting ${id}` });
    return { etag: res.etag, value: res.notModified ? undefined : readMeeting(res.body) };
  }

  async createMeeting(input: NewMeeting, signal?: AbortSignal): Promise<Meeting> {
    const res = await this.request("/meetings", { method: "POST", body: input, signal, what: `create meeting "${input.title}"` });
    return readMeeting(res.body);
  }

  async startMeeting(id: string, signal?: AbortSignal): Promise<Meeting> {
    return this.#transition(id, "start", signal);
  }

  async endMeeting(id: string, signal?: AbortSignal): Promise<Meeting> {
    return this.#transition(id, "end", signal);
  }

  async cancelMeeting(id: string, signal?: AbortSignal): Promise<Meeting> {
    return this.#transition(id, "cancel", signal);
  }

  /** A single-use OpenVidu token; ask again for every join and for a screen share. */
  async meetingToken(id: string, signal?: AbortSignal): Promise<MeetingToken> {
    const res = await this.request(`/meetings/${enc(id)}/token`, { method: "POST", signal, what: `get a token for meeting ${id}` });
    return readToken(res.body);
  }

  async #transition(id: string, verb: "start" | "end" | "cancel", signal?: AbortSignal): Promise<Meeting> {
    const res = await this.request(`/meetings/${enc(id)}/${verb}`, { method: "POST", signal, what: `${verb} meeting ${id}` });
    return readMeeting(res.body);
  }

  /**
   * One request to the `meetings` function: `path` starts with `/meetings`. The recordings
   * endpoints (api-recordings.ts) go through here too; they live apart so that only the
   * recording player carries them.
   */
  async request(path: string, opts: RequestOptions): Promise<{ body: unknown; etag: string | null; notModified: boolean }> {
    if (!this.functionsUrl) throw new WidgetError("config", `Cannot ${opts.what}: \`functions-url\` is not set`);
    const token = await this.#getToken();
    try {
      return await this.#send(path, opts, token);
    } catch (error) {
      // A token that expired just now: if the source has a newer one, try once more with it.
      if (!(error instanceof WidgetError) || error.status !== 401) throw error;
      const fresh = await this.#getToken().catch(() => token);
      if (fresh === token) throw error;
      return this.#send(path, opts, fresh);
    }
  }

  async #send(path: string, opts: RequestOptions, token: string): Promise<{ body: unknown; etag: string | null; notModified: boolean }> {
    this.identity = identityOf(token);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.etag) headers["if-none-match"] = opts.etag;

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
    const onAbort = () => timeout.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const url = `${this.functionsUrl}${path}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: opts.method ?? "GET",
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: timeout.signal,
        // Conditional requests are ours to make; the HTTP cache must not answer in our place.
        cache: "no-store",
      });
    } catch (cause) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? cause;
      if (isAbort(cause) || timeout.signal.aborted) {
        throw new WidgetError("timeout", `Cannot ${opts.what}: no answer from ${this.functionsUrl} within ${this.#timeoutMs / 1000} s`, { cause });
      }
      throw new WidgetError("network", `Cannot ${opts.what}: ${this.functionsUrl} is unreachable (${(cause as Error).message})`, { cause });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }

    const etag = res.headers.get("etag");
    if (res.status === 304) return { body: undefined, etag: etag ?? opts.etag ?? null, notModified: true };
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) throw errorFrom(res.status, body, opts.what);
    if (body === undefined && res.status !== 204 && res.status !== 202) {
      throw new WidgetError("server", `Cannot ${opts.what}: the answer is not JSON (HTTP ${res.status})`, { status: res.status });
    }
    return { body, etag, notModified: false };
  }
}

function errorFrom(status: number, body: unknown, what: string): WidgetError {
  const e = (body as { error?: { code?: unknown; message?: unknown; request_id?: unknown; issues?: unknown } } | undefined)?.error;
  const code = (typeof e?.code === "string" && CODES[e.code]) || BY_STATUS[status] || "server";
  const detail = typeof e?.message === "string" ? e.message : `HTTP ${status}`;
  return new WidgetError(code, `Cannot ${what}: ${detail}`, {
    status,
    requestId: typeof e?.request_id === "string" ? e.request_id : undefined,
    issues: Array.isArray(e?.issues) ? (e.issues as FieldIssue[]) : undefined,
  });
}

export const enc = encodeURIComponent;
