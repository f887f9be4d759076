// The HTTP face of the emulated OpenVidu 2.32 server: the REST API under /openvidu/api, the
// recording files under /openvidu/recordings (Basic auth, HTTP Range), and, mounted from
// control.ts, the emulator's own control API under /emulator. mod.ts labels every answer
// with `X-Emulator: openvidu-2.32`.
import { Hono } from "hono";
import type { Fault, Faults } from "./faults.ts";
import { serveFile } from "./files.ts";
import { toJavaJson } from "./java_json.ts";
import { OpenViduError, type OpenViduModel } from "./model.ts";
import {
  connectionProperties,
  objectBody,
  PropertyError,
  recordingProperties,
  sessionProperties,
} from "./params.ts";

export const EMULATOR_HEADER = "X-Emulator";
export const EMULATOR_NAME = "openvidu-2.32";

export interface RestDeps {
  model: OpenViduModel;
  secret: string;
  faults: Faults;
  /** Aborted when the emulator closes (releases hanging requests). */
  closing: AbortSignal;
  log(line: string): void;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  406: "Not Acceptable",
  409: "Conflict",
  416: "Requested Range Not Satisfiable",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  501: "Not Implemented",
};

function json(value: unknown, status = 200): Response {
  return new Response(toJavaJson(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** An error the way the server writes it (§1.1): empty, its error JSON, or mislabelled text. */
export function errorResponse(err: OpenViduError, path: string): Response {
  if (err.body === "empty") return new Response(null, { status: err.status });
  if (err.body === "text") {
    return new Response(err.message, {
      status: err.status,
      headers: { "content-type": "application/json" },
    });
  }
  return json({
    timestamp: Date.now(),
    status: err.status,
    error: REASONS[err.status] ?? "Error",
    message: err.message,
    path: err.path ?? path,
  }, err.status);
}

function unauthorized(path: string): Response {
  // Spring Security's answer: an ISO timestamp here, unlike the API's own errors (§1.1).
  return new Response(
    JSON.stringify({
      timestamp: new Date().toISOString().replace("Z", "+00:00"),
      status: 401,
      error: "Unauthorized",
      message: "",
      path,
    }),
    {
      status: 401,
      headers: {
        "content-type": "application/json",
        "www-authenticate": 'Basic realm="Realm"',
      },
    },
  );
}

function authorized(header: string | undefined, secret: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m) return false;
  try {
    return atob(m[1]) === `OPENVIDUAPP:${secret}`;
  } catch {
    return false;
  }
}

const flag = (v: string | undefined, fallback: boolean) =>
  v === undefined ? fallback : v === "true";

export function createRestApp(deps: RestDeps): Hono {
  const { model, faults } = deps;
  const app = new Hono();

  app.use("/openvidu/*", async (c, next) => {
    await next();
    deps.log(`${c.req.method} ${new URL(c.req.url).pathname} → ${c.res.status}`);
  });

  app.onError((err, c) => {
    const path = new URL(c.req.url).pathname;
    if (err instanceof OpenViduError) return errorResponse(err, path);
    deps.log(`internal error on ${c.req.method} ${path}: ${err.message}`);
    return errorResponse(new OpenViduError(500, err.message, "text"), path);
  });

  // The public URL is the one unauthenticated API call.
  app.get("/openvidu/api/config/openvidu-publicurl", (c) => c.text(model.wsUrl()));

  // Basic OPENVIDUAPP:<secret> on the API and the recording files; then any injected fault.
  app.use("/openvidu/*", async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (!authorized(c.req.header("authorization"), deps.secret)) return unauthorized(path);
    const fault = faults.take(c.req.method, path);
    if (fault) {
      deps.log(
        `${c.req.method} ${path}: injected fault ${fault.hang ? "hang" : fault.status ?? 500}`,
      );
      return await answerFault(fault, deps.closing);
    }
    await next();
  });

  // --- Sessions ------------------------------------------------------------

  app.post("/openvidu/api/sessions", async (c) => {
    const params = objectBody(await c.req.text(), true)!;
    const session = model.createSession(sessionProperties(params));
    return json(model.sessionJson(session));
  });

  app.get("/openvidu/api/sessions", (c) => {
    const pending = flag(c.req.query("pendingConnections"), false);
    const content = model.sessions().map((s) =>
      model.sessionJson(s, { pendingConnections: pending })
    );
    return json({ numberOfElements: content.length, content });
  });

  app.get("/openvidu/api/sessions/:sessionId", (c) => {
    const session = model.session(c.req.param("sessionId"));
    if (!session) throw new OpenViduError(404);
    const pending = flag(c.req.query("pendingConnections"), false);
    return json(model.sessionJson(session, { pendingConnections: pending }));
  });

  app.delete("/openvidu/api/sessions/:sessionId", (c) => {
    model.closeSession(c.req.param("sessionId"));
    return new Response(null, { status: 204 });
  });

  app.post("/openvidu/api/sessions/:sessionId/connection", async (c) => {
    const params = objectBody(await c.req.text(), true)!;
    const properties = connectionProperties(params);
    const connection = model.createConnection(c.req.param("sessionId"), properties);
    return json(model.connectionJson(connection));
  });

  app.get("/openvidu/api/sessions/:sessionId/connection", (c) => {
    const session = model.session(c.req.param("sessionId"));
    if (!session) throw new OpenViduError(404);
    const pending = flag(c.req.query("pendingConnections"), true);
    const content = [...session.connections.values()]
      .filter((x) => pending || x.status === "active")
      .map((x) => model.connectionJson(x));
    return json({ numberOfElements: content.length, content });
  });

  app.get("/openvidu/api/sessions/:sessionId/connection/:connectionId", (c) => {
    const connection = model.connection(c.req.param("sessionId"), c.req.param("connectionId"));
    return json(model.connectionJson(connection));
  });

  app.delete("/openvidu/api/sessions/:sessionId/connection/:connectionId", (c) => {
    model.deleteConnection(c.req.param("sessionId"), c.req.param("connectionId"));
    return new Response(null, { status: 204 });
  });

  app.post("/openvidu/api/signal", async (c) => {
    const params = objectBody(await c.req.text(), false);
    if (!params) throw new OpenViduError(400, "Request body is empty");
    const { session, to, type, data } = params;
    if (
      typeof session !== "string" ||
      (to != null && (!Array.isArray(to) || !to.every((x) => typeof x === "string"))) ||
      (type != null && typeof type !== "string") || (data != null && typeof data !== "string")
    ) {
      throw new OpenViduError(400, "Type error in some parameter");
    }
    model.signal(session, {
      from: null,
      to: (to as string[] | null) ?? [],
      type: (type as string | null) ?? null,
      data: (data as string | null) ?? null,
    });
    return new Response(null, { status: 200 });
  });

  // --- Recordings ----------------------------------------------------------

  const requireRecording = () => {
    if (!model.recordingEnabled) throw new OpenViduError(501);
  };

  app.post("/openvidu/api/recordings/start", async (c) => {
    // The server's order of checks (§1.8): body, module enabled, `session`, the session's
    // state, then the properties.
    const params = objectBody(await c.req.text(), false);
    if (!params) throw new OpenViduError(400, "Request body is empty");
    requireRecording();
    if (typeof params.session !== "string") {
      throw new OpenViduError(400, '"session" parameter is mandatory and must be a string');
    }
    const session = model.assertRecordable(params.session);
    let properties;
    try {
      properties = recordingProperties(params, session.properties.defaultRecordingProperties);
    } catch (err) {
      if (!(err instanceof PropertyError)) throw err;
      // The server reports the wrong path on its 422 (§1.1).
      throw err.kind === "state"
        ? new OpenViduError(422, err.message, "json", "/openvidu/api/sessions")
        : new OpenViduError(400, err.message);
    }
    return json(model.recordingJson(model.startRecording(params.session, properties)));
  });

  app.post("/openvidu/api/recordings/stop/:recordingId", (c) => {
    requireRecording();
    return json(model.recordingJson(model.stopRecording(c.req.param("recordingId"))));
  });

  app.get("/openvidu/api/recordings", () => {
    requireRecording();
    const items = model.recordings().map((r) => model.recordingJson(r));
    return json({ count: items.length, items });
  });

  app.get("/openvidu/api/recordings/:recordingId", (c) => {
    requireRecording();
    return json(model.recordingJson(model.recording(c.req.param("recordingId"))));
  });

  app.delete("/openvidu/api/recordings/:recordingId", (c) => {
    requireRecording();
    model.deleteRecording(c.req.param("recordingId"));
    return new Response(null, { status: 204 });
  });

  // --- Recording files -------------------------------------------------------

  app.on(["GET", "HEAD"], "/openvidu/recordings/:recordingId/:file", (c) => {
    const r = model.recordings().find((x) => x.id === c.req.param("recordingId"));
    const file = c.req.param("file");
    // The emulator serves its one mp4 as the file of every ready COMPOSED video recording.
    if (
      !r || r.status !== "ready" || file !== model.recordingFileName(r) || !file.endsWith(".mp4")
    ) {
      throw new OpenViduError(404);
    }
    return serveFile(c.req.raw, model.media.path, "video/mp4");
  });

  app.notFound(() => new Response(null, { status: 404 }));

  return app;
}

async function answerFault(fault: Fault, closing: AbortSignal) {
  if (fault.hang) {
    // No answer until the emulator closes (or ten minutes pass): the caller's own deadline is
    // what is being tested.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10 * 60_000);
      closing.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
      if (closing.aborted) resolve();
    });
    return new Response(null, { status: 504 });
  }
  const body = fault.body ?? "";
  return new Response(body || null, {
    status: fault.status ?? 500,
    headers: body ? { "content-type": fault.contentType ?? "application/json" } : {},
  });
}
