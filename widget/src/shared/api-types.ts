/**
 * The shapes of DESIGN §7, and small readers that check an answer has them before an element
 * uses it. (zod would do this well but weighs more than the whole meeting list; these check
 * only what the elements rely on.)
 */
import { WidgetError } from "./errors.js";

export type MeetingStatus = "scheduled" | "in_progress" | "completed" | "cancelled";
export const MEETING_STATUSES: readonly MeetingStatus[] = [
  "scheduled",
  "in_progress",
  "completed",
  "cancelled",
];

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

export interface MeetingPage {
  items: Meeting[];
  next_cursor: string | null;
}

export interface NewMeeting {
  title: string;
  client_id: string;
  scheduled_at?: string;
  description?: string;
  language?: string;
}

export type RecordingStatus = "pending" | "uploading" | "ready" | "failed";
export type TranscriptionStatus = "pending" | "processing" | "completed" | "failed";

export interface Recording {
  id: string;
  meeting_id: string;
  status: RecordingStatus;
  started_at: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  transcription_status: TranscriptionStatus;
  transcription_language: string | null;
  transcription_error: string | null;
  created_at: string;
}

export interface RecordingLinks {
  expires_at: string;
  video_url: string;
  video_download_url: string;
  srt_url: string | null;
  vtt_url: string | null;
  srt_download_url: string | null;
}

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface Transcript {
  language: string | null;
  segments: TranscriptSegment[];
}

export interface MeetingToken {
  token: string;
  session_id: string;
}

type Kind = "string" | "number" | "string?" | "number?";

export function check(what: string, value: unknown, fields: Record<string, Kind>): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad(`${what} is not an object`);
  }
  const record = value as Record<string, unknown>;
  for (const [key, kind] of Object.entries(fields)) {
    const v = record[key];
    const optional = kind.endsWith("?");
    if (optional && (v === null || v === undefined)) continue;
    if (typeof v !== kind.replace("?", "") || (typeof v === "number" && !Number.isFinite(v))) {
      throw bad(`${what}.${key} should be ${optional ? `a ${kind.slice(0, -1)} or null` : `a ${kind}`}`);
    }
  }
  return record;
}

export function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw bad(`${what} "${String(value)}" is unknown`);
  return value as T;
}

export const bad = (detail: string) =>
  new WidgetError("server", `The Visio service answered an unexpected shape: ${detail}`);

export function readMeeting(value: unknown, what = "meeting"): Meeting {
  const m = check(what, value, {
    id: "string",
    title: "string",
    description: "string?",
    client_id: "string",
    status: "string",
    scheduled_at: "string",
    started_at: "string?",
    ended_at: "string?",
    duration_seconds: "number?",
    language: "string?",
    created_at: "string",
    updated_at: "string",
  });
  oneOf(`${what}.status`, m.status, MEETING_STATUSES);
  return m as unknown as Meeting;
}

export function readMeetingPage(value: unknown): MeetingPage {
  const page = check("page", value, { next_cursor: "string?" });
  if (!Array.isArray(page.items)) throw bad("page.items should be an array");
  return {
    items: page.items.map((m, i) => readMeeting(m, `items[${i}]`)),
    next_cursor: (page.next_cursor as string | null) ?? null,
  };
}

export function readToken(value: unknown): MeetingToken {
  return check("token answer", value, { token: "string", session_id: "string" }) as unknown as MeetingToken;
}
