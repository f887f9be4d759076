// OpenVidu CE 2 REST client (server side only: it holds OPENVIDU_SECRET). Every answer is
// parsed with zod; every failure becomes an UpstreamError whose message says what was being
// done and what OpenVidu answered, and never carries the secret. The traps it handles are
// listed in shared/reference/openvidu2.md §6: 409 on an existing custom session id is success,
// errors come with empty bodies (404/406/409/501) or as text labelled JSON (500), recording
// start and stop are synchronous and slow.
import { z } from "zod";
import { UpstreamError } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface OpenViduClientOptions {
  /** Server URL, e.g. https://openvidu.example.com (no trailing /openvidu). */
  url: string;
  secret: string;
  fetch?: typeof fetch;
  /** Deadline of one call, answer body included; default 10 s. */
  timeoutMs?: number;
  /** Deadline of recording start and stop, which OpenVidu runs synchronously; default 40 s. */
  recordingTimeoutMs?: number;
  logger?: Logger;
}

const Connection = z.looseObject({
  connectionId: z.string().min(1),
  sessionId: z.string(),
  status: z.enum(["pending", "active"]),
  createdAt: z.number(),
  role: z.string().nullable().optional(),
  serverData: z.string().nullable().optional(),
  clientData: z.string().nullable().optional(),
  token: z.string().nullable().optional(),
});

const Session = z.looseObject({
  sessionId: z.string().min(1),
  createdAt: z.number(),
  recording: z.boolean(),
  mediaMode: z.string(),
  recordingMode: z.enum(["ALWAYS", "MANUAL"]),
  customSessionId: z.string().optional(),
  connections: z.looseObject({
    numberOfElements: z.number(),
    content: z.array(Connection),
  }),
});

const Recording = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  sessionId: z.string(),
  createdAt: z.number(),
  outputMode: z.string(),
  size: z.number(),
  duration: z.number(),
  url: z.string().nullable(),
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  status: z.enum(["starting", "started", "stopped", "ready", "failed"]),
});

const RecordingList = z.looseObject({ count: z.number(), items: z.array(Recording) });

const NewConnection = Connection.extend({ token: z.string().min(1) });

export type OpenViduSession = z.infer<typeof Session>;
export type OpenViduConnection = z.infer<typeof Connection>;
export type OpenViduRecording = z.infer<typeof Recording>;
export type RecordingMode = "ALWAYS" | "MANUAL";
export type ConnectionRole = "SUBSCRIBER" | "PUBLISHER" | "MODERATOR";

export interface RecordingProperties {
  name?: string;
  outputMode?: "COMPOSED" | "COMPOSED_QUICK_START" | "INDIVIDUAL";
  hasAudio?: boolean;
  hasVideo?: boolean;
  recordingLayout?: "BEST_FIT" | "CUSTOM";
  resolution?: string;
  frameRate?: number;
}

export interface CreateSessionOptions {
  recordingMode?: RecordingMode;
  mediaMode?: "ROUTED" | "RELAYED";
  defaultRecordingProperties?: RecordingProperties;
}

export interface RecordingFile {
  body: ReadableStream<Uint8Array>;
  /** Where `body` starts in the file (0 when the server sent the whole file). */
  offset: number;
  /** The file's full size, when the server said it. */
  totalSize: number | null;
}

export interface OpenViduClient {
  /** Create (or, on 409, fetch) the session with this custom id. */
  createSession(customSessionId: string, options?: CreateSessionOptions): Promise<OpenViduSession>;
  /** The session, or null when OpenVidu has none (never created, emptied, closed). */
  getSession(sessionId: string): Promise<OpenViduSession | null>;
  /** A new single-use token. A 404 (session gone) is an UpstreamError with upstreamStatus 404. */
  createConnection(
    sessionId: string,
    options: { data: string; role?: ConnectionRole },
  ): Promise<{ token: string; connectionId: string }>;
  /** Close the session; false when it was already gone. */
  closeSession(sessionId: string): Promise<boolean>;
  listRecordings(): Promise<OpenViduRecording[]>;
  getRecording(recordingId: string): Promise<OpenViduRecording | null>;
  startRecording(sessionId: string, properties?: RecordingProperties): Promise<OpenViduRecording>;
  stopRecording(recordingId: string): Promise<OpenViduRecording>;
  /** Stream `/openvidu/recordings/<id>/<fileName>` from `offset` (HTTP Range). */
  fetchRecordingFile(
    recordingId: string,
    fileName: string,
    options?: { offset?: number; signal?: AbortSignal },
  ): Promise<RecordingFile>;
}

interface CallOptions {
  /** What we were doing, for messages: "create session visio-…". */
  what: string;
  body?: unknown;
  timeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

class Timeout extends Error {}

/** Base64 of UTF-8 (btoa alone fails on non-Latin-1 secrets). */
function base64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Why a fetch failed, in a few words (Deno and Node phrase it differently). */
function networkReason(err: unknown): string {
  const text = `${(err as Error)?.message ?? err} ${
    String((err as { cause?: { message?: string; code?: string } })?.cause?.message ?? "")
  } ${String((err as { cause?: { code?: string } })?.cause?.code ?? "")}`.toLowerCase();
  if (text.includes("refused")) return "connection refused";
  if (text.includes("dns") || text.includes("lookup") || text.includes("enotfound")) {
    return "host not found";
  }
  if (text.includes("reset") || text.includes("closed")) return "connection reset";
  if (text.includes("certificate") || text.includes("tls")) return "TLS error";
  return "network error";
}

export function createOpenViduClient(options: OpenViduClientOptions): OpenViduClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const recordingTimeoutMs = Math.max(options.recordingTimeoutMs ?? 40_000, timeoutMs);
  const credentials = base64(`OPENVIDUAPP:${options.secret}`);
  const authorization = `Basic ${credentials}`;
  const log = options.logger;
  let origin: string;
  try {
    const u = new URL(base);
    origin = u.origin; // never the userinfo of a URL
  } catch {
    origin = "(invalid OPENVIDU_URL)";
  }

  /** Upstream text is shown to callers: make sure it cannot echo the credentials. */
  const clean = (text: string) =>
    text.split(options.secret).join("[redacted]").split(credentials).join("[redacted]")
      .replace(/\s+/g, " ").trim().slice(0, 300);

  /**
   * One call. Resolves with the response and its text (read within the deadline) for JSON
   * calls, or with the unread response for streams (`stream: true`: the deadline covers the
   * headers only, then the caller's signal rules).
   */
  async function call(
    method: string,
    path: string,
    opts: CallOptions & { stream?: false },
  ): Promise<{ res: Response; text: string }>;
  async function call(
    method: string,
    path: string,
    opts: CallOptions & { stream: true },
  ): Promise<{ res: Response; text: null }>;
  async function call(
    method: string,
    path: string,
    opts: CallOptions & { stream?: boolean },
  ): Promise<{ res: Response; text: string | null }> {
    const started = performance.now();
    const limit = opts.timeoutMs ?? timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Timeout()), limit);
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const headers: Record<string, string> = {
      authorization,
      accept: "application/json",
      ...opts.headers,
    };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    try {
      const res = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: controller.signal,
      });
      const text = opts.stream ? null : await res.text();
      log?.debug("openvidu call", {
        method,
        path,
        status: res.status,
        ms: Math.round(performance.now() - started),
      });
      return { res, text };
    } catch (err) {
      if (controller.signal.reason instanceof Timeout) {
        throw new UpstreamError(
          "openvidu",
          `OpenVidu did not answer within ${limit / 1000} s while trying to ${opts.what}`,
          { retryable: true, cause: err },
        );
      }
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      throw new UpstreamError(
        "openvidu",
        `OpenVidu is unreachable at ${origin} (${networkReason(err)}) while trying to ${opts.what}`,
        { retryable: true, cause: err },
      );
    } finally {
      // For a stream the deadline covers the headers; the body then follows the caller's
      // signal only, so that listener stays.
      clearTimeout(timer);
      if (!opts.stream) opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** The error for an unexpected status, with OpenVidu's own message when it gave one. */
  function failure(what: string, res: Response, text: string | null, explain?: string) {
    let detail = "";
    if (text) {
      try {
        const parsed = JSON.parse(text);
        detail = typeof parsed?.message === "string" ? parsed.message : text;
      } catch {
        detail = text; // a 500 labelled JSON that is plain text
      }
    }
    detail = clean(detail);
    const why = explain ??
      (res.status === 401
        ? "OpenVidu refused the credentials (check OPENVIDU_SECRET)"
        : `HTTP ${res.status}`);
    return new UpstreamError(
      "openvidu",
      `OpenVidu could not ${what}: ${why}${detail ? ` (${detail})` : ""}`,
      {
        status: res.status,
        retryable: res.status >= 500 || res.status === 408 || res.status === 429,
      },
    );
  }

  function parse<T extends z.ZodType>(schema: T, text: string, what: string): z.output<T> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new UpstreamError("openvidu", `OpenVidu answered ${what} with invalid JSON`, {
        cause: err,
        retryable: false,
      });
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new UpstreamError(
        "openvidu",
        `OpenVidu answered ${what} with an unexpected shape (${
          issue?.path.join(".") || "(root)"
        }: ${issue?.message})`,
        { cause: result.error, retryable: false },
      );
    }
    return result.data;
  }

  const enc = encodeURIComponent;

  const recordingExplain = (res: Response, id: string): string | undefined => {
    if (res.status === 501) {
      return "recording is disabled on the OpenVidu server (OPENVIDU_RECORDING=false)";
    }
    if (res.status === 404) return `no active recording ${id}`;
    if (res.status === 406) return `recording ${id} is still starting`;
    return undefined;
  };

  const client: OpenViduClient = {
    async getSession(sessionId) {
      const what = `read session ${sessionId}`;
      const { res, text } = await call("GET", `/openvidu/api/sessions/${enc(sessionId)}`, { what });
      if (res.status === 404) return null;
      if (res.status !== 200) throw failure(what, res, text);
      return parse(Session, text, what);
    },

    async createSession(customSessionId, opts = {}) {
      const what = `create session ${customSessionId}`;
      const body = {
        customSessionId,
        mediaMode: opts.mediaMode ?? "ROUTED",
        recordingMode: opts.recordingMode ?? "MANUAL",
        ...(opts.defaultRecordingProperties
          ? { defaultRecordingProperties: opts.defaultRecordingProperties }
          : {}),
      };
      // A 409 means it exists: use it (§1.3). If it closed between the 409 and the read,
      // create it again, once.
      for (let attempt = 0; attempt < 2; attempt++) {
        const { res, text } = await call("POST", "/openvidu/api/sessions", { what, body });
        if (res.status === 200) return parse(Session, text, what);
        if (res.status !== 409) throw failure(what, res, text);
        const existing = await client.getSession(customSessionId);
        if (existing) return existing;
      }
      throw new UpstreamError(
        "openvidu",
        `OpenVidu could not ${what}: it kept closing while being created`,
        { retryable: true },
      );
    },

    async createConnection(sessionId, { data, role = "PUBLISHER" }) {
      const what = `create a connection in session ${sessionId}`;
      const { res, text } = await call(
        "POST",
        `/openvidu/api/sessions/${enc(sessionId)}/connection`,
        { what, body: { type: "WEBRTC", data, role } },
      );
      if (res.status === 404) {
        throw failure(what, res, text, "the session does not exist (it closed when it emptied)");
      }
      if (res.status !== 200) throw failure(what, res, text);
      const c = parse(NewConnection, text, what);
      return { token: c.token, connectionId: c.connectionId };
    },

    async closeSession(sessionId) {
      const what = `close session ${sessionId}`;
      const { res, text } = await call("DELETE", `/openvidu/api/sessions/${enc(sessionId)}`, {
        what,
      });
      if (res.status === 204 || res.status === 200) return true;
      if (res.status === 404) return false;
      throw failure(what, res, text);
    },

    async listRecordings() {
      const what = "list recordings";
      const { res, text } = await call("GET", "/openvidu/api/recordings", { what });
      if (res.status !== 200) throw failure(what, res, text, recordingExplain(res, ""));
      return parse(RecordingList, text, what).items;
    },

    async getRecording(recordingId) {
      const what = `read recording ${recordingId}`;
      const { res, text } = await call("GET", `/openvidu/api/recordings/${enc(recordingId)}`, {
        what,
      });
      if (res.status === 404) return null;
      if (res.status !== 200) throw failure(what, res, text, recordingExplain(res, recordingId));
      return parse(Recording, text, what);
    },

    async startRecording(sessionId, properties = {}) {
      const what = `start recording session ${sessionId}`;
      const { res, text } = await call("POST", "/openvidu/api/recordings/start", {
        what,
        body: { session: sessionId, ...properties },
        timeoutMs: recordingTimeoutMs,
      });
      if (res.status === 200) return parse(Recording, text, what);
      const explain = res.status === 406
        ? "nobody is connected to the session"
        : res.status === 409
        ? "the session is already being recorded"
        : res.status === 404
        ? "the session does not exist"
        : recordingExplain(res, sessionId);
      throw failure(what, res, text, explain);
    },

    async stopRecording(recordingId) {
      const what = `stop recording ${recordingId}`;
      const { res, text } = await call(
        "POST",
        `/openvidu/api/recordings/stop/${enc(recordingId)}`,
        { what, timeoutMs: recordingTimeoutMs },
      );
      if (res.status === 200) return parse(Recording, text, what);
      throw failure(what, res, text, recordingExplain(res, recordingId));
    },

    async fetchRecordingFile(recordingId, fileName, opts = {}) {
      const offset = Math.max(0, Math.floor(opts.offset ?? 0));
      const what = `download recording file ${recordingId}/${fileName}` +
        (offset ? ` from byte ${offset}` : "");
      const { res } = await call(
        "GET",
        `/openvidu/recordings/${enc(recordingId)}/${enc(fileName)}`,
        {
          what,
          stream: true,
          signal: opts.signal,
          headers: { accept: "*/*", ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
        },
      );
      if (res.status === 200 || res.status === 206) {
        if (!res.body) {
          throw new UpstreamError("openvidu", `OpenVidu sent no body while trying to ${what}`);
        }
        if (res.status === 200) {
          const length = Number(res.headers.get("content-length"));
          return {
            body: res.body,
            offset: 0,
            totalSize: Number.isFinite(length) && res.headers.has("content-length") ? length : null,
          };
        }
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
        if (!m) {
          await res.body.cancel();
          throw new UpstreamError(
            "openvidu",
            `OpenVidu answered 206 without a valid Content-Range while trying to ${what}`,
            { status: 206, retryable: true },
          );
        }
        return {
          body: res.body,
          offset: Number(m[1]),
          totalSize: m[3] === "*" ? null : Number(m[3]),
        };
      }
      const text = await res.text().catch(() => "");
      if (res.status === 404) {
        throw failure(what, res, null, "the recording file does not exist");
      }
      if (res.status === 416) {
        const total = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "")?.[1];
        throw failure(
          what,
          res,
          null,
          `byte ${offset} is past the end of the file${total ? ` (${total} bytes)` : ""}`,
        );
      }
      throw failure(what, res, text);
    },
  };
  return client;
}
