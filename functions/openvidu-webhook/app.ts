// The `openvidu-webhook` function (DESIGN §7–§8): OpenVidu POSTs every event here with
// `Authorization: Bearer <OPENVIDU_WEBHOOK_SECRET>`. OpenVidu keeps only HTTP 200, never
// retries, and delivers one event at a time (a slow answer delays every later event), so the
// handler only records: a `recordingStatusChanged` `ready` becomes a durable recording row in
// one SQL statement, the copy and transcription happen in the worker. Duplicates, replays,
// out-of-order events and reused recording ids all land on the row's unique key (recording
// id + start time), so they are harmless.
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { createApp } from "../_shared/app.ts";
import { requireSecret } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { AppError, parseInput } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";

export interface WebhookDeps {
  db: Database;
  logger: Logger;
  webhookSecret: string;
  /** Transcription language of a meeting without one (TRANSCRIPTION_LANGUAGE). */
  defaultLanguage: string;
  /**
   * Called with the id of a newly stored recording. On Supabase it starts a worker slice in
   * `EdgeRuntime.waitUntil`; elsewhere the worker's schedule picks the row up.
   */
  onRecordingReady?: (recordingId: string) => void;
}

/** OpenVidu events are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

const Event = z.looseObject({
  event: z.string().min(1),
  sessionId: z.string().nullish(),
  timestamp: z.number().optional(),
});

/** reference/openvidu2.md §3.3: `recordingStatusChanged` (no url; duration in float seconds). */
const RecordingStatusChanged = z.looseObject({
  event: z.literal("recordingStatusChanged"),
  sessionId: z.string().min(1),
  uniqueSessionId: z.string().optional(),
  timestamp: z.number(),
  startTime: z.number().int().nonnegative(),
  duration: z.number().nonnegative(),
  reason: z.string().optional(),
  id: z.string().min(1).max(300),
  // OpenVidu's own rule for names; the file name is built from it.
  name: z.string().regex(/^[a-zA-Z0-9_\-~]{1,300}$/, "must be an OpenVidu recording name"),
  outputMode: z.string(),
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  size: z.number().int().nonnegative(),
  status: z.enum(["started", "stopped", "ready", "failed"]),
});
type RecordingEvent = z.output<typeof RecordingStatusChanged>;

/** Meetings run in the OpenVidu session `visio-<meeting uuid>`. */
const SESSION = /^visio-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function createWebhookApp(deps: WebhookDeps) {
  const app = createApp("openvidu-webhook", { logger: deps.logger, allowedOrigins: "*" });

  app.post(
    "/",
    requireSecret(deps.webhookSecret, "webhook secret"),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(
          "payload_too_large",
          `Webhook body is larger than ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
    async (c) => {
      const log = c.get("log");
      let json: unknown;
      try {
        json = JSON.parse(await c.req.text());
      } catch {
        log.warn("malformed webhook: not JSON");
        throw new AppError("invalid_request", "Webhook body is not valid JSON");
      }
      const event = parseOrLog(Event, json, "webhook event", log);
      if (event.event !== "recordingStatusChanged") {
        log.debug("webhook event ignored", { event: event.event, session_id: event.sessionId });
        return c.json({ received: true, stored: false });
      }
      const rec = parseOrLog(RecordingStatusChanged, json, "recordingStatusChanged event", log);
      const fields = {
        event: rec.event,
        status: rec.status,
        session_id: rec.sessionId,
        openvidu_recording_id: rec.id,
      };
      if (rec.status !== "ready" && rec.status !== "failed") {
        log.info("recording event noted", fields);
        return c.json({ received: true, stored: false });
      }
      const meetingId = SESSION.exec(rec.sessionId)?.[1]?.toLowerCase();
      if (!meetingId) {
        log.warn("recording of a session that is not a Foxeo Visio meeting; ignored", fields);
        return c.json({ received: true, stored: false });
      }
      const stored = await storeRecording(deps, meetingId, rec);
      if (!stored) {
        log.info("recording event changed nothing (duplicate, replay or unknown meeting)", fields);
        return c.json({ received: true, stored: false });
      }
      log.info("recording stored", {
        ...fields,
        recording_id: stored.id,
        row_status: stored.status,
      });
      if (stored.status === "pending") deps.onRecordingReady?.(stored.id);
      return c.json({ received: true, stored: true, recording_id: stored.id });
    },
  );

  return app;
}

function parseOrLog<T extends z.ZodType>(schema: T, value: unknown, what: string, log: Logger) {
  try {
    return parseInput(schema, value, what);
  } catch (err) {
    log.warn(`malformed webhook: ${(err as Error).message}`);
    throw err;
  }
}

/**
 * One statement per event. `ready`: insert the recording as pending, or revive a row that an
 * earlier `failed` event created (a file that exists wins); a duplicate changes nothing.
 * `failed`: insert the recording as failed with OpenVidu's reason, never over an existing row.
 */
async function storeRecording(
  deps: WebhookDeps,
  meetingId: string,
  rec: RecordingEvent,
): Promise<{ id: string; status: string } | null> {
  const id = crypto.randomUUID();
  const startedAt = new Date(rec.startTime);
  const common = {
    meetingId,
    sessionId: rec.sessionId,
    unique: rec.uniqueSessionId ?? null,
    size: rec.size > 0 ? rec.size : null,
    duration: rec.duration > 0 ? rec.duration : null,
  };
  const composed = rec.hasVideo && /^COMPOSED/.test(rec.outputMode);
  const sql = deps.db.sql;
  if (rec.status === "ready" && composed) {
    const rows = await sql`
      insert into visio.meeting_recordings as r
        (id, meeting_id, openvidu_recording_id, openvidu_session_id, openvidu_unique_session_id,
         recording_name, started_at, status, size_bytes, duration_seconds, transcription_language,
         video_path)
      select ${id}, m.id, ${rec.id}, ${common.sessionId}, ${common.unique}, ${rec.name},
             ${startedAt}, 'pending', ${common.size}, ${common.duration},
             coalesce(m.language, ${deps.defaultLanguage}),
             'meetings/' || m.id || '/' || ${id} || '.mp4'
      from visio.meetings m where m.id = ${meetingId}
      on conflict (openvidu_recording_id, started_at) do update
        set status = 'pending', transcription_status = 'pending', error = null,
            recording_name = excluded.recording_name, size_bytes = excluded.size_bytes,
            duration_seconds = excluded.duration_seconds
        where r.status = 'failed' and r.transfer_attempts = 0
      returning r.id, r.status`;
    return (rows[0] as { id: string; status: string } | undefined) ?? null;
  }
  const reason = rec.status === "failed"
    ? `OpenVidu reported the recording as failed${rec.reason ? ` (${rec.reason})` : ""}`
    : `Only COMPOSED recordings with video can be copied and transcribed (this one is ${rec.outputMode}${
      rec.hasVideo ? "" : ", audio only"
    })`;
  const rows = await sql`
    insert into visio.meeting_recordings
      (id, meeting_id, openvidu_recording_id, openvidu_session_id, openvidu_unique_session_id,
       recording_name, started_at, status, size_bytes, duration_seconds, transcription_language,
       error, transcription_status, transcription_error)
    select ${id}, m.id, ${rec.id}, ${common.sessionId}, ${common.unique}, ${rec.name},
           ${startedAt}, 'failed', ${common.size}, ${common.duration},
           coalesce(m.language, ${deps.defaultLanguage}), ${reason}, 'failed',
           ${`${reason}: there is no file to transcribe`}
    from visio.meetings m where m.id = ${meetingId}
    on conflict (openvidu_recording_id, started_at) do nothing
    returning id, status`;
  return (rows[0] as { id: string; status: string } | undefined) ?? null;
}
