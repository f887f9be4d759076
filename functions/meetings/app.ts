// The `meetings` function (DESIGN §7): the user API for meetings, behind a Supabase access
// token, scoped by row-level security. Served at /meetings on Supabase, and under
// /functions/v1/meetings by functions/main.ts.
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type AppEnv, createApp } from "../_shared/app.ts";
import { requireUser, type TokenVerifier } from "../_shared/auth.ts";
import type { OpenViduClient } from "../_shared/adapters/openvidu.ts";
import type { Storage } from "../_shared/adapters/storage.ts";
import type { Database } from "../_shared/db.ts";
import { AppError, parseInput } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import { cancelMeeting, endMeeting, joinToken, startMeeting, visibleMeeting } from "./lifecycle.ts";
import {
  base64url,
  CreateMeetingBody,
  decodeCursor,
  ListQuery,
  MeetingId,
  toMeeting,
} from "./schemas.ts";
import { recordingRoutes } from "./recordings.ts";
import { insertMeeting, listMeetings } from "./store.ts";

export interface MeetingsDeps {
  db: Database;
  verifyToken: TokenVerifier;
  openvidu: OpenViduClient;
  /** Where recordings and transcripts are kept; signed links come from here. */
  storage: Storage;
  /** Validity of signed links (SIGNED_URL_TTL_SECONDS); default one hour. */
  signedUrlTtlSeconds?: number;
  logger: Logger;
  allowedOrigins: "*" | readonly string[];
  /** The language of a meeting created without one (TRANSCRIPTION_LANGUAGE); default "fr". */
  defaultLanguage?: string;
}

/** Request bodies here are a few hundred bytes; anything large is a mistake or an attack. */
const MAX_BODY_BYTES = 16 * 1024;

export function createMeetingsApp(deps: MeetingsDeps) {
  const app = createApp("meetings", { logger: deps.logger, allowedOrigins: deps.allowedOrigins });
  const defaultLanguage = deps.defaultLanguage ?? "fr";

  app.use(requireUser(deps.verifyToken));
  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError(
        "payload_too_large",
        `Request body is larger than ${MAX_BODY_BYTES / 1024} KB`,
      );
    },
  }));

  app.get("/", async (c) => {
    const principal = c.get("principal");
    const statuses = c.req.queries("status")?.flatMap((s) => s.split(","))
      .map((s) => s.trim()).filter(Boolean);
    const query = parseInput(ListQuery, {
      ...c.req.query(),
      status: statuses?.length ? statuses : undefined,
    }, "list query");
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await deps.db.asUser(
      principal,
      (tx) => listMeetings(tx, principal, query, cursor),
    );
    return conditionalJson(c, { items: page.rows.map(toMeeting), next_cursor: page.nextCursor });
  });

  app.post("/", async (c) => {
    const principal = c.get("principal");
    if (principal.role !== "operator") {
      throw new AppError("forbidden", "Only the operator can create meetings");
    }
    const input = parseInput(CreateMeetingBody, await jsonBody(c), "meeting");
    const row = await deps.db.asUser(
      principal,
      (tx) => insertMeeting(tx, principal, input, defaultLanguage),
    );
    c.get("log").info("meeting created", { meeting_id: row.id, client_id: row.client_id });
    return c.json(toMeeting(row), 201);
  });

  app.get("/:id", async (c) => {
    const meeting = await visibleMeeting(deps.db, c.get("principal"), meetingId(c));
    return conditionalJson(c, toMeeting(meeting));
  });

  app.post("/:id/start", async (c) => {
    const row = await startMeeting(deps, c.get("principal"), meetingId(c), c.get("log"));
    return c.json(toMeeting(row));
  });

  app.post("/:id/token", async (c) => {
    const token = await joinToken(deps, c.get("principal"), meetingId(c));
    c.header("Cache-Control", "no-store");
    return c.json(token);
  });

  app.post("/:id/end", async (c) => {
    const row = await endMeeting(deps, c.get("principal"), meetingId(c), c.get("log"));
    return c.json(toMeeting(row));
  });

  app.post("/:id/cancel", async (c) => {
    const row = await cancelMeeting(deps, c.get("principal"), meetingId(c), c.get("log"));
    return c.json(toMeeting(row));
  });

  // The recording endpoints (list, signed links, transcript, operator retry), read as the
  // user like everything above.
  app.route("/:id/recordings", recordingRoutes(deps));

  return app;
}

function meetingId(c: Context<AppEnv>): string {
  const raw = c.req.param("id") ?? "";
  const parsed = MeetingId.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      "invalid_request",
      `Invalid meeting id "${raw.slice(0, 64)}": must be a UUID`,
      {
        issues: [{ path: "id", message: "must be a UUID" }],
      },
    );
  }
  return parsed.data.toLowerCase();
}

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError(
      "invalid_request",
      "Request body must be JSON (Content-Type: application/json)",
    );
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "Request body is not valid JSON");
  }
}

/**
 * JSON with an ETag derived from the body (the rows returned), answering 304 when the
 * client already has it: the widget polls the list cheaply with If-None-Match.
 */
async function conditionalJson(c: Context<AppEnv>, value: unknown): Promise<Response> {
  const body = JSON.stringify(value);
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(body));
  const etag = `"${base64url(new Uint8Array(digest))}"`;
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  c.header("Vary", "Authorization", { append: true });
  const ifNoneMatch = c.req.header("if-none-match");
  if (ifNoneMatch && etagMatches(ifNoneMatch, etag)) return c.body(null, 304);
  return c.body(body, 200, { "Content-Type": "application/json" });
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}
