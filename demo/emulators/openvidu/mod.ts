// An EMULATOR of OpenVidu CE 2.32 for tests and the local demo: the REST API, the webhooks
// and the recording files as reference/openvidu2.md describes them, the WebSocket signalling
// openvidu-browser speaks at /openvidu with real audio and video relayed between browsers
// (werift, loopback only), plus a control API that plays participants. It is never part of
// a deployment.
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { createControlApp, simulateJoin, simulateLeave } from "./control.ts";
import { type Fault, Faults } from "./faults.ts";
import { MediaRelay, type RelayLogger } from "./media/media_relay.ts";
import { startStunServer } from "./media/stun_server.ts";
import { probeMedia } from "./media_file.ts";
import { OpenViduModel } from "./model.ts";
import { createRestApp, EMULATOR_HEADER, EMULATOR_NAME } from "./rest.ts";
import { Signalling } from "./signalling.ts";
import { type WebhookDelivery, WebhookSender } from "./webhooks.ts";

export { OpenViduError, OpenViduModel } from "./model.ts";
export type { Fault } from "./faults.ts";
export type { WebhookDelivery } from "./webhooks.ts";
export { DEFAULT_WEBHOOK_EVENTS } from "./webhooks.ts";

export const DEFAULT_RECORDING_FILE = fileURLToPath(
  new URL("../../fixtures/recording.mp4", import.meta.url),
);

export interface OpenViduEmulatorOptions {
  /** 0 = any free port (default 54330 when run as a program). */
  port?: number;
  /** Default "127.0.0.1". */
  hostname?: string;
  /** Default "MY_SECRET". */
  secret?: string;
  /** OPENVIDU_WEBHOOK_ENDPOINT; null or absent: no webhooks. */
  webhookUrl?: string | null;
  /** Like OPENVIDU_WEBHOOK_HEADERS: ["Authorization: Bearer x"]. */
  webhookHeaders?: string[];
  /** OPENVIDU_WEBHOOK_EVENTS; default the CE docker list (no signalSent). */
  webhookEvents?: string[];
  /** Per-attempt webhook timeout; the server's is 10 s. */
  webhookTimeoutMs?: number;
  /** The mp4 served as every recording's file; default demo/fixtures/recording.mp4. */
  recordingFile?: string;
  /** OPENVIDU_RECORDING; default true (the real .env default is false). */
  recording?: boolean;
  /** OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT in milliseconds; default 120 000. */
  autostopTimeoutMs?: number;
  /** Where log lines go (each already says it comes from the emulator); default console. */
  log?: (line: string) => void;
  /** Also log the media relay's debug lines (ICE states, keyframe requests). */
  mediaDebug?: boolean;
  /**
   * How long a browser whose signalling WebSocket dropped may take to reconnect before it is
   * evicted (`networkDisconnect`); default 10 000 ms, about the real server's window.
   */
  reconnectWindowMs?: number;
}

export interface OpenViduEmulator {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The server model, for tests that need more than the methods below. */
  model: OpenViduModel;
  /** The media relay between browsers (stats for tests). */
  relay: MediaRelay;
  close(): Promise<void>;
  /** A simulated participant joins the session with a fresh connection (and publishes). */
  join(
    sessionId: string,
    opts?: { publish?: boolean; displayName?: string; token?: string; clientData?: string },
  ): Promise<{ connectionId: string }>;
  leave(sessionId: string, connectionId: string): Promise<void>;
  /** Resolves when every queued webhook has been delivered (or dropped). */
  webhooksIdle(): Promise<void>;
  /** Every webhook sent so far: the payload and the HTTP status answered (null: I/O error). */
  webhookLog(): WebhookDelivery[];
  /** Fault injection, e.g. failNext("POST /openvidu/api/sessions", {status: 500, body: "boom"}). */
  failNext(route: string, fault: Fault): void;
}

export const LOG_PREFIX = "[openvidu-emulator]";

export async function startOpenViduEmulator(
  options: OpenViduEmulatorOptions = {},
): Promise<OpenViduEmulator> {
  const sink = options.log ?? ((line: string) => console.log(line));
  const log = (line: string) => sink(`${LOG_PREFIX} ${line}`);
  const hostname = options.hostname ?? "127.0.0.1";
  const media = await probeMedia(options.recordingFile ?? DEFAULT_RECORDING_FILE);

  let url = "";
  const model = new OpenViduModel({
    publicUrl: () => url,
    media,
    recordingEnabled: options.recording ?? true,
    autostopTimeoutMs: options.autostopTimeoutMs ?? 120_000,
    log,
  });
  const webhooks = new WebhookSender({
    url: options.webhookUrl ?? null,
    headers: options.webhookHeaders ?? [],
    events: options.webhookEvents,
    timeoutMs: options.webhookTimeoutMs,
    log,
  });
  model.onEvent((event) => webhooks.enqueue(event));
  const relay = new MediaRelay({ log: relayLogger(log, options.mediaDebug ?? false) });
  const stun = await startStunServer(hostname === "0.0.0.0" ? "127.0.0.1" : hostname);
  const signalling = new Signalling({
    model,
    relay,
    log,
    iceServers: () => [{ url: stun.url }],
    reconnectWindowMs: options.reconnectWindowMs,
  });
  const faults = new Faults();
  const closing = new AbortController();

  const app = new Hono();
  app.route(
    "/",
    createRestApp({
      model,
      secret: options.secret ?? "MY_SECRET",
      faults,
      closing: closing.signal,
      log,
    }),
  );
  app.route(
    "/",
    createControlApp({ model, webhooks, faults, relay, signalling, url: () => url }),
  );
  app.notFound(() => new Response(null, { status: 404 }));
  // Every answer says it comes from an emulator.
  const handler = async (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    if (new URL(request.url).pathname === "/openvidu") {
      return signalling.upgrade(request, info.remoteAddr.hostname);
    }
    const res = await app.fetch(request);
    const labelled = new Response(res.body, res);
    labelled.headers.set(EMULATOR_HEADER, EMULATOR_NAME);
    return labelled;
  };

  const server = Deno.serve({
    port: options.port ?? 0,
    hostname,
    onListen: () => {},
  }, handler);
  url = `http://${hostname}:${server.addr.port}`;
  log(
    `OpenVidu 2.32 EMULATOR (not a real OpenVidu) at ${url}; signalling ${model.wsUrl()}` +
      `/openvidu, media relayed on 127.0.0.1 only (ICE server ${stun.url}); recording file ` +
      `${media.path} ` +
      `(${media.size} bytes, ${media.duration} s, probed with ${media.probedWith}); webhooks ${
        options.webhookUrl ? `to ${options.webhookUrl}` : "off"
      }`,
  );

  let closed: Promise<void> | null = null;
  return {
    url,
    model,
    relay,
    close: () =>
      closed ??= (async () => {
        closing.abort();
        signalling.close();
        model.dispose();
        await Promise.all([webhooks.close(), relay.close(), stun.close()]);
        await server.shutdown();
      })(),
    join: (sessionId, opts) => {
      try {
        return Promise.resolve({
          connectionId: simulateJoin(model, sessionId, opts).connectionId,
        });
      } catch (err) {
        return Promise.reject(err);
      }
    },
    leave: (sessionId, connectionId) => {
      try {
        simulateLeave(model, sessionId, connectionId);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    webhooksIdle: () => webhooks.idle(),
    webhookLog: () => webhooks.log(),
    failNext: (route, fault) => faults.add(route, fault),
  };
}

/** The relay's structured log lines, as emulator lines. */
function relayLogger(log: (line: string) => void, debug: boolean): RelayLogger {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    log(`media ${level}: ${msg}${fields ? ` ${JSON.stringify(fields, errorsAsText)}` : ""}`);
  return {
    debug: debug ? line("debug") : () => {},
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
}

function errorsAsText(_key: string, value: unknown) {
  return value instanceof Error ? value.message : value;
}
