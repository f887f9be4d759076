/**
 * The recordings endpoints of DESIGN §7 (list, signed links, transcript, retry), on the shared
 * ApiClient. Apart from api-client.ts so that only the recording player's bundle carries them.
 */
import { type ApiClient, enc } from "./api-client.js";
import { bad, check, oneOf, type Recording, type RecordingLinks, type Transcript, type TranscriptSegment } from "./api-types.js";

export async function listRecordings(api: ApiClient, meetingId: string, signal?: AbortSignal): Promise<Recording[]> {
  const res = await api.request(`/meetings/${enc(meetingId)}/recordings`, { signal, what: `list recordings of meeting ${meetingId}` });
  return readRecordings(res.body);
}

export async function recordingLinks(api: ApiClient, meetingId: string, recordingId: string, signal?: AbortSignal): Promise<RecordingLinks> {
  const res = await api.request(`/meetings/${enc(meetingId)}/recordings/${enc(recordingId)}/links`, {
    signal,
    what: `get links of recording ${recordingId}`,
  });
  return readLinks(res.body);
}

export async function recordingTranscript(api: ApiClient, meetingId: string, recordingId: string, signal?: AbortSignal): Promise<Transcript> {
  const res = await api.request(`/meetings/${enc(meetingId)}/recordings/${enc(recordingId)}/transcript`, {
    signal,
    what: `read the transcript of recording ${recordingId}`,
  });
  return readTranscript(res.body);
}

export async function retryTranscription(api: ApiClient, meetingId: string, recordingId: string, signal?: AbortSignal): Promise<void> {
  await api.request(`/meetings/${enc(meetingId)}/recordings/${enc(recordingId)}/transcription/retry`, {
    method: "POST",
    signal,
    what: `retry the transcription of recording ${recordingId}`,
  });
}

export function readRecordings(value: unknown): Recording[] {
  if (!Array.isArray(value)) throw bad("recordings should be an array");
  return value.map((r, i) => {
    const what = `recordings[${i}]`;
    const rec = check(what, r, {
      id: "string",
      meeting_id: "string",
      status: "string",
      started_at: "string?",
      duration_seconds: "number?",
      size_bytes: "number?",
      transcription_status: "string",
      transcription_language: "string?",
      transcription_error: "string?",
      created_at: "string",
    });
    oneOf(`${what}.status`, rec.status, ["pending", "uploading", "ready", "failed"]);
    oneOf(`${what}.transcription_status`, rec.transcription_status, [
      "pending",
      "processing",
      "completed",
      "failed",
    ]);
    return rec as unknown as Recording;
  });
}

export function readLinks(value: unknown): RecordingLinks {
  const links = check("links", value, {
    expires_at: "string",
    video_url: "string",
    video_download_url: "string",
    srt_url: "string?",
    vtt_url: "string?",
    srt_download_url: "string?",
  });
  if (Number.isNaN(Date.parse(links.expires_at as string))) throw bad("links.expires_at is not a date");
  return links as unknown as RecordingLinks;
}

export function readTranscript(value: unknown): Transcript {
  const t = check("transcript", value, { language: "string?" });
  if (!Array.isArray(t.segments)) throw bad("transcript.segments should be an array");
  return {
    language: (t.language as string | null) ?? null,
    segments: t.segments.map((s, i) =>
      check(`segments[${i}]`, s, { start: "number", end: "number", text: "string" }) as unknown as TranscriptSegment
    ),
  };
}

