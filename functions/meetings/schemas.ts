// What the meetings API accepts and answers (DESIGN §7): inputs parsed with zod, the Meeting
// JSON, and the opaque list cursor.
import { z } from "zod";
import { AppError } from "../_shared/errors.ts";

export const MEETING_STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;
export type MeetingStatus = (typeof MEETING_STATUSES)[number];

/** Any 8-4-4-4-12 hex id (Postgres accepts every such uuid, not only RFC 4122 ones). */
const Id = z.guid({ error: "must be a UUID" });

export const MeetingId = Id;

export const CreateMeetingBody = z.strictObject({
  title: z.string({ error: "must be a string" }).trim()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters"),
  client_id: Id,
  scheduled_at: z.iso.datetime({
    offset: true,
    error: "must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T14:00:00Z",
  }).optional(),
  description: z.string({ error: "must be a string" }).trim()
    .max(5000, "must be at most 5000 characters")
    .nullable().optional()
    .transform((v) => (v ? v : null)),
  language: z.string({ error: "must be a string" })
    .regex(/^[a-z]{2}$/, "must be an ISO-639-1 code such as fr or en").optional(),
});
export type CreateMeetingInput = z.output<typeof CreateMeetingBody>;

export const ListQuery = z.object({
  status: z.array(z.enum(MEETING_STATUSES, {
    error: `must be one of ${MEETING_STATUSES.join(", ")}`,
  })).optional(),
  client_id: Id.optional(),
  limit: z.coerce.number({ error: "must be a number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(100, "must be at most 100").default(50),
  cursor: z.string().optional(),
});
export type ListInput = z.output<typeof ListQuery>;

/** The Meeting object of DESIGN §7. */
export interface Meeting {
  id: string;
  title: string;
  description: string | null;
  client_id: string;
  status: MeetingStatus;
  scheduled_at: string;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  language: string | null;
  created_at: string;
  updated_at: string;
}

/** A row of visio.meetings as the queries select it. */
export interface MeetingRow {
  id: string;
  title: string;
  description: string | null;
  client_id: string;
  status: MeetingStatus;
  scheduled_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  duration_seconds: number | null;
  language: string | null;
  openvidu_session_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toMeeting(row: MeetingRow): Meeting {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    client_id: row.client_id,
    status: row.status,
    scheduled_at: row.scheduled_at.toISOString(),
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
    duration_seconds: row.duration_seconds,
    language: row.language,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

// ---------------------------------------------------------------------------
// Cursor: the position after the last row of a page, (scheduled_at, id), with the full
// microsecond timestamp (a JavaScript Date keeps milliseconds only, which would skip or repeat
// rows scheduled within the same millisecond).
// ---------------------------------------------------------------------------

export interface Cursor {
  /** UTC, microseconds: 2026-11-21T20:30:00.123456Z */
  scheduledAt: string;
  id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(cursor: Cursor): string {
  const bytes = new TextEncoder().encode(`${cursor.scheduledAt}|${cursor.id}`);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function decodeCursor(text: string): Cursor {
  const invalid = () =>
    new AppError(
      "invalid_request",
      "Invalid cursor: pass the next_cursor of a previous page unchanged",
      { issues: [{ path: "cursor", message: "is not a cursor this API issued" }] },
    );
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw invalid();
  let decoded: string;
  try {
    decoded = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw invalid();
  }
  const [scheduledAt, id, ...rest] = decoded.split("|");
  if (rest.length || !CURSOR_TIME.test(scheduledAt ?? "") || !Id.safeParse(id).success) {
    throw invalid();
  }
  return { scheduledAt, id };
}
