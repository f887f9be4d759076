// The recording endpoints of the `meetings` function (DESIGN §7), relative to
// /meetings/:id/recordings and mounted behind the same user authentication:
//
//   app.route("/:id/recordings", recordingRoutes({ db, storage, signedUrlTtlSeconds }));
//
// Everything is read as the user, so row-level security decides what exists: a recording
// of a meeting the caller may not see is a 404, like a recording that does not exist.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../_shared/app.ts";
import type { Principal } from "../_shared/auth.ts";
import { recordingPaths, type Storage } from "../_shared/adapters/storage.ts";
import type { Database, Tx } from "../_shared/db.ts";
import { AppError, notFound } from "../_shared/errors.ts";
import { normalizeSegments, type Segment } from "../_shared/pipeline/subtitles.ts";

export interface RecordingRoutesDeps {
  db: Database;
  storage: Storage;
  /** Validity of signed links (SIGNED_URL_TTL_SECONDS); default one hour. */
  signedUrlTtlSeconds?: number;
}

/** The Recording JSON of DESIGN §7. */
export interface RecordingJson {
  id: string;
  meeting_id: string;
  status: "pending" | "uploading" | "ready" | "failed";
  started_at: string;
  duration_seconds: number | null;
  size_bytes: number | null;
  transcription_status: "pending" | "processing" | "completed" | "failed";
  transcription_language: string | null;
  transcription_error: string | null;
  created_at: string;
}

interface RecordingRow {
  id: string;
  meeting_id: string;
  meeting_title: string;
  status: RecordingJson["status"];
  started_at: Date;
  duration_seconds: number | null;
  size_bytes: number | null;
  transcription_status: RecordingJson["transcription_status"];
  transcription_language: string | null;
  transcription_error: string | null;
  created_at: Date;
  video_path: string | null;
  srt_path: string | null;
  vtt_path: string | null;
  position: number;
  siblings: number;
}

const Id = z.guid();

function idParam(c: Context<AppEnv>, name: "id" | "rid", what: string): string {
  const raw = c.req.param(name) ?? "";
  if (!Id.safeParse(raw).success) {
    throw new AppError(
      "invalid_request",
      `Invalid ${what} id "${raw.slice(0, 64)}": must be a UUID`,
      {
        issues: [{ path: name, message: "must be a UUID" }],
      },
    );
  }
  return raw.toLowerCase();
}

export function toRecordingJson(r: RecordingRow): RecordingJson {
  return {
    id: r.id,
    meeting_id: r.meeting_id,
    status: r.status,
    started_at: r.started_at.toISOString(),
    duration_seconds: r.duration_seconds,
    size_bytes: r.size_bytes,
    transcription_status: r.transcription_status,
    transcription_language: r.transcription_language,
    transcription_error: r.transcription_error,
    created_at: r.created_at.toISOString(),
  };
}

/** Recordings of a meeting as the user sees them; `recordingId` narrows to one. */
function selectRecordings(tx: Tx, meetingId: string, recordingId?: string) {
  return tx<RecordingRow[]>`
    select * from (
      select r.id, r.meeting_id, m.title as meeting_title, r.status, r.started_at,
             r.duration_seconds, r.size_bytes, r.transcription_status, r.transcription_language,
             r.transcription_error, r.created_at, r.video_path, r.srt_path, r.vtt_path,
             row_number() over (order by r.started_at, r.created_at)::int as position,
             count(*) over ()::int as siblings
      from visio.meeting_recordings r
      join visio.meetings m on m.id = r.meeting_id
      where r.meeting_id = ${meetingId}
    ) recordings
    ${recordingId ? tx`where id = ${recordingId}` : tx``}
    order by started_at, created_at`;
}

async function visibleRecording(
  db: Database,
  principal: Principal,
  meetingId: string,
  recordingId: string,
): Promise<RecordingRow> {
  const [row] = await db.asUser(principal, (tx) => selectRecordings(tx, meetingId, recordingId));
  if (!row) throw notFound("Recording");
  return row;
}

/**
 * `<meeting title> – <date>.<ext>`: a file name every system accepts (no path separators,
 * reserved or control characters), with the recording's place when a meeting has several.
 */
export function downloadName(row: RecordingRow, ext: "mp4" | "srt"): string {
  const title = row.meeting_title
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\.+/, "")
    .slice(0, 150)
    .trim() || "Réunion";
  const date = row.started_at.toISOString().slice(0, 10);
  const part = row.siblings > 1 ? ` (${row.position})` : "";
  return `${title} – ${date}${part}.${ext}`;
}

export function recordingRoutes(deps: RecordingRoutesDeps) {
  const app = new Hono<AppEnv>();
  const ttl = deps.signedUrlTtlSeconds ?? 3600;

  app.get("/", async (c) => {
    const meetingId = idParam(c, "id", "meeting");
    const principal = c.get("principal");
    const rows = await deps.db.asUser(principal, async (tx) => {
      const [meeting] = await tx`select id from visio.meetings where id = ${meetingId}`;
      if (!meeting) throw notFound("Meeting");
      return await selectRecordings(tx, meetingId);
    });
    return conditionalJson(c, rows.map(toRecordingJson));
  });

  app.get("/:rid/links", async (c) => {
    const row = await visibleRecording(
      deps.db,
      c.get("principal"),
      idParam(c, "id", "meeting"),
      idParam(c, "rid", "recording"),
    );
    if (row.status !== "ready" || !row.video_path) {
      throw new AppError(
        "invalid_state",
        `Recording ${row.id} is not available yet: its file is ${row.status}`,
      );
    }
    const paths = recordingPaths(row.meeting_id, row.id);
    const transcript = row.transcription_status === "completed";
    const sign = (path: string, downloadName?: string) =>
      deps.storage.signedUrl(path, { expiresIn: ttl, downloadName });
    const expiresAt = new Date(Date.now() + ttl * 1000);
    const [video, videoDownload, srt, vtt, srtDownload] = await Promise.all([
      sign(row.video_path),
      sign(row.video_path, downloadName(row, "mp4")),
      transcript ? sign(row.srt_path ?? paths.srt) : null,
      transcript ? sign(row.vtt_path ?? paths.vtt) : null,
      transcript ? sign(row.srt_path ?? paths.srt, downloadName(row, "srt")) : null,
    ]);
    c.header("Cache-Control", "private, no-store");
    return c.json({
      expires_at: expiresAt.toISOString(),
      video_url: video,
      video_download_url: videoDownload,
      srt_url: srt,
      vtt_url: vtt,
      srt_download_url: srtDownload,
    });
  });

  app.get("/:rid/transcript", async (c) => {
    const principal = c.get("principal");
    const meetingId = idParam(c, "id", "meeting");
    const recordingId = idParam(c, "rid", "recording");
    const { row, chunks } = await deps.db.asUser(principal, async (tx) => {
      const [row] = await selectRecordings(tx, meetingId, recordingId);
      if (!row) throw notFound("Recording");
      const chunks = await tx<{ segments: Segment[] }[]>`
        select segments from visio.recording_transcript_chunks
        where recording_id = ${recordingId} order by chunk_index`;
      return { row, chunks };
    });
    if (row.transcription_status !== "completed") {
      throw new AppError(
        "invalid_state",
        `The transcript of recording ${row.id} is not ready: its transcription is ${row.transcription_status}`,
      );
    }
    const segments = normalizeSegments(chunks.flatMap((ch) => ch.segments));
    return conditionalJson(c, { language: row.transcription_language, segments });
  });

  app.post("/:rid/transcription/retry", async (c) => {
    const principal = c.get("principal");
    const meetingId = idParam(c, "id", "meeting");
    const recordingId = idParam(c, "rid", "recording");
    const row = await deps.db.asUser(principal, async (tx) => {
      const [row] = await selectRecordings(tx, meetingId, recordingId);
      if (!row) throw notFound("Recording");
      if (principal.role !== "operator") {
        throw new AppError("forbidden", "Only the operator can retry a transcription");
      }
      if (row.transcription_status !== "failed") {
        throw new AppError(
          "invalid_state",
          `Cannot retry the transcription of recording ${row.id}: it is ${row.transcription_status}, not failed`,
        );
      }
      // RLS lets the operator write this column only; the database resets the rest.
      await tx`update visio.meeting_recordings set transcription_status = 'pending'
               where id = ${recordingId} and transcription_status = 'failed'`;
      const [updated] = await selectRecordings(tx, meetingId, recordingId);
      return updated;
    });
    c.get("log").info("transcription retry requested", { recording_id: row.id });
    return c.json(toRecordingJson(row));
  });

  return app;
}

/** JSON with an ETag, 304 when the caller already has it (the player polls the status). */
async function conditionalJson(c: Context<AppEnv>, value: unknown): Promise<Response> {
  const body = JSON.stringify(value);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode(body)),
  );
  const etag = `"${
    Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")
  }"`;
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  c.header("Vary", "Authorization", { append: true });
  const ifNoneMatch = c.req.header("if-none-match");
  if (ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
    return c.body(null, 304);
  }
  return c.body(body, 200, { "Content-Type": "application/json" });
}
