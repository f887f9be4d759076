// The emulator's control API (`/emulator/...`, no auth, CORS open: a development tool on
// loopback): what the tests and the demo page use to play participants, inspect sessions,
// finish recordings, read the webhook log and inject faults. Not part of OpenVidu.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import type { Faults } from "./faults.ts";
import type { MediaRelay } from "./media/media_relay.ts";
import { type Connection, OpenViduError, type OpenViduModel } from "./model.ts";
import type { Signalling } from "./signalling.ts";
import type { WebhookSender } from "./webhooks.ts";

export interface SimulatedJoin {
  /** Publish a camera stream at once (default true): in ALWAYS mode this starts recording. */
  publish?: boolean;
  displayName?: string;
  /** Join with this token (one the meetings function handed out) instead of a fresh one. */
  token?: string;
  /** What openvidu-browser would send as `clientData` (the connect() metadata). */
  clientData?: string;
}

/**
 * A simulated participant joins `sessionId`: with the given token, or with a fresh connection
 * whose data has the shape the meetings function gives its tokens (`user_id`, `display_name`).
 */
export function simulateJoin(
  model: OpenViduModel,
  sessionId: string,
  options: SimulatedJoin = {},
): Connection {
  if (!model.session(sessionId)) throw new OpenViduError(404, `Session ${sessionId} not found`);
  let token = options.token;
  if (token) {
    const tokenSession = URL.canParse(token) ? new URL(token).searchParams.get("sessionId") : null;
    if (tokenSession !== sessionId) {
      throw new OpenViduError(401, `Token ${token} is not valid for session ${sessionId}`);
    }
  } else {
    token = model.createConnection(sessionId, {
      data: JSON.stringify({
        user_id: `emulated-${crypto.randomUUID()}`,
        display_name: options.displayName ?? "Participant simulé",
      }),
      role: "PUBLISHER",
      record: true,
      kurentoOptions: null,
      customIceServers: [],
    }).token;
  }
  const connection = model.join(token, {
    platform: "OpenVidu emulator (simulated participant)",
    clientData: options.clientData ?? "",
  });
  if (options.publish ?? true) model.publish(connection.connectionId);
  return connection;
}

/** A participant of `sessionId` leaves; it must belong to that session. */
export function simulateLeave(
  model: OpenViduModel,
  sessionId: string,
  connectionId: string,
  reason = "disconnect",
): void {
  const session = model.session(sessionId);
  if (!session) throw new OpenViduError(404, `Session ${sessionId} not found`);
  if (session.connections.get(connectionId)?.status !== "active") {
    throw new OpenViduError(404, `No participant ${connectionId} in session ${sessionId}`);
  }
  model.leave(connectionId, reason);
}

const JoinBody = z.strictObject({
  publish: z.boolean().optional(),
  displayName: z.string().min(1).max(200).optional(),
  token: z.string().min(1).optional(),
  clientData: z.string().optional(),
});

const FaultBody = z.strictObject({
  route: z.string().min(3),
  status: z.number().int().min(100).max(599).optional(),
  body: z.string().optional(),
  contentType: z.string().optional(),
  hang: z.boolean().optional(),
  times: z.number().int().min(1).max(1000).optional(),
});

const LEAVE_REASONS = ["disconnect", "networkDisconnect", "forceDisconnectByServer"] as const;

export interface ControlDeps {
  model: OpenViduModel;
  webhooks: WebhookSender;
  faults: Faults;
  relay: MediaRelay;
  signalling: Signalling;
  url(): string;
}

export function createControlApp(deps: ControlDeps): Hono {
  const { model } = deps;
  const app = new Hono().basePath("/emulator");
  app.use(cors());

  app.onError((err, c) => {
    if (err instanceof OpenViduError) {
      // An unusable token is a conflict here, not an authentication failure of this API.
      const status = err.status === 401 ? 409 : err.status;
      return c.json({ error: err.message }, status as 400);
    }
    if (err instanceof z.ZodError) {
      return c.json({ error: err.issues.map((i) => `${i.path.join(".")} ${i.message}`) }, 400);
    }
    if (err instanceof SyntaxError) return c.json({ error: "Body must be JSON" }, 400);
    return c.json({ error: err.message }, 500);
  });

  const body = async (c: { req: { text(): Promise<string> } }) => {
    const text = await c.req.text();
    return text.trim() ? JSON.parse(text) : {};
  };

  app.get("/", (c) =>
    c.json({
      emulator: "OpenVidu 2.32 emulator (not a real OpenVidu server)",
      url: deps.url(),
      sessions: model.sessions().length,
      recordings: model.recordings().length,
      webhooks: deps.webhooks.enabled,
      recording_file: model.media.path,
    }));

  app.get("/sessions", (c) =>
    c.json({
      sessions: model.sessions().map((s) => ({
        sessionId: s.sessionId,
        createdAt: s.createdAt,
        recordingMode: s.properties.recordingMode,
        recording: s.recordingId !== null,
        recordingId: s.recordingId,
        pendingConnections: [...s.connections.values()].filter((x) => x.status === "pending")
          .length,
        participants: model.activeConnections(s).map((p) => ({
          connectionId: p.connectionId,
          serverData: p.properties.data,
          clientData: p.clientData,
          platform: p.platform,
          streamId: p.publisher?.streamId ?? null,
          browser: deps.signalling.isReal(p.connectionId),
          mediaOptions: p.publisher?.media ?? null,
          subscriptions: [...p.subscriptions.keys()],
        })),
      })),
    }));

  app.post("/sessions/:sessionId/participants", async (c) => {
    const options = JoinBody.parse(await body(c));
    const connection = simulateJoin(model, c.req.param("sessionId"), options);
    return c.json({
      connectionId: connection.connectionId,
      streamId: connection.publisher?.streamId ?? null,
    }, 201);
  });

  /** A browser participant's signalling WebSocket drops, as on a network blip. */
  app.post("/sessions/:sessionId/participants/:connectionId/drop-connection", (c) => {
    const { sessionId, connectionId } = c.req.param();
    if (model.session(sessionId)?.connections.get(connectionId)?.status !== "active") {
      throw new OpenViduError(404, `No participant ${connectionId} in session ${sessionId}`);
    }
    if (!deps.signalling.dropConnection(connectionId)) {
      throw new OpenViduError(409, `${connectionId} has no browser WebSocket to drop`);
    }
    return c.body(null, 204);
  });

  /** The media relay: every published stream, its packet counters and subscribers. */
  app.get("/media", (c) => c.json(deps.relay.stats()));

  app.post("/sessions/:sessionId/participants/:connectionId/publish", (c) => {
    const stream = model.publish(c.req.param("connectionId"));
    return c.json({ streamId: stream.streamId });
  });

  app.post("/sessions/:sessionId/participants/:connectionId/unpublish", (c) => {
    model.unpublish(c.req.param("connectionId"));
    return c.body(null, 204);
  });

  app.delete("/sessions/:sessionId/participants/:connectionId", (c) => {
    const reason = z.enum(LEAVE_REASONS).parse(c.req.query("reason") ?? "disconnect");
    simulateLeave(model, c.req.param("sessionId"), c.req.param("connectionId"), reason);
    return c.body(null, 204);
  });

  /** Finish a recording now, as a REST stop would: it becomes `ready` with its file. */
  app.post("/recordings/:recordingId/stop", (c) => {
    const r = model.stopRecording(c.req.param("recordingId"));
    return c.json({ id: r.id, status: r.status, url: model.recordingUrl(r) });
  });

  app.get("/webhooks", (c) => c.json({ deliveries: deps.webhooks.log() }));

  app.post("/faults", async (c) => {
    const { route, ...fault } = FaultBody.parse(await body(c));
    deps.faults.add(route, fault);
    return c.body(null, 204);
  });

  app.delete("/faults", (c) => {
    deps.faults.clear();
    return c.body(null, 204);
  });

  return app;
}
