// The recording job queue is the meeting_recordings table itself. A worker claims one due
// row with `FOR UPDATE SKIP LOCKED` and a lease (owner + expiry); every write it makes after
// that is fenced on the lease owner, so a worker that stalled past its lease and lost the
// row to another cannot overwrite that one's progress. A worker that dies simply stops
// renewing: when the lease expires, the next claim takes the row again.
import type postgres from "postgres";
import type { Database, Sql, Tx } from "../db.ts";
import type { ChunkPlan } from "./audio.ts";
import type { Segment } from "./subtitles.ts";

export interface RecordingJob {
  id: string;
  meeting_id: string;
  meeting_title: string;
  openvidu_recording_id: string;
  recording_name: string;
  started_at: Date;
  status: "pending" | "uploading" | "ready" | "failed";
  size_bytes: number | null;
  duration_seconds: number | null;
  video_path: string | null;
  transfer_offset: number;
  transfer_resume: string | null;
  transfer_attempts: number;
  transcription_status: "pending" | "processing" | "completed" | "failed";
  transcription_language: string | null;
  transcription_attempts: number;
  transcription_plan: ChunkPlan[] | null;
  transcription_chunks_done: number;
  lease_expires_at: Date;
}

/** The lease moved to another worker (or the row went away): stop without writing. */
export class LeaseLost extends Error {
  constructor(readonly recordingId: string) {
    super(`Lost the lease on recording ${recordingId}`);
    this.name = "LeaseLost";
  }
}

const ms = (n: number) => `${Math.max(0, Math.round(n))} milliseconds`;

/**
 * Claim the next due recording (or the given one when it is due), leased to `owner` for
 * `leaseMs`. Null when there is nothing to do.
 */
export async function claimJob(
  db: Database,
  owner: string,
  leaseMs: number,
  recordingId?: string,
): Promise<RecordingJob | null> {
  const rows = await db.asService((tx) =>
    tx<RecordingJob[]>`
      with next as (
        select r.id from visio.meeting_recordings r
        where (r.status in ('pending', 'uploading')
               or (r.status = 'ready' and r.transcription_status in ('pending', 'processing')))
          and r.next_attempt_at <= now()
          and (r.lease_expires_at is null or r.lease_expires_at < now())
          ${recordingId ? tx`and r.id = ${recordingId}` : tx``}
        order by r.next_attempt_at, r.created_at
        limit 1
        for update skip locked
      )
      update visio.meeting_recordings r
      set lease_owner = ${owner}, lease_expires_at = now() + ${ms(leaseMs)}::interval
      from next, visio.meetings m
      where r.id = next.id and m.id = r.meeting_id
      returning r.id, r.meeting_id, m.title as meeting_title, r.openvidu_recording_id,
        r.recording_name, r.started_at, r.status, r.size_bytes, r.duration_seconds, r.video_path,
        r.transfer_offset, r.transfer_resume, r.transfer_attempts, r.transcription_status,
        r.transcription_language, r.transcription_attempts, r.transcription_plan,
        r.transcription_chunks_done, r.lease_expires_at`
  );
  return rows[0] ?? null;
}

/**
 * One fenced update of the job's row, `set` giving the assignments: it only applies while
 * `owner` holds the lease, and throws LeaseLost when the row is no longer ours.
 */
async function fenced(
  tx: Tx | Sql,
  job: RecordingJob,
  owner: string,
  set: (tx: Tx | Sql) => postgres.Fragment,
) {
  const rows = await tx`update visio.meeting_recordings set ${set(tx)}
                        where id = ${job.id} and lease_owner = ${owner} returning id`;
  if (rows.length === 0) throw new LeaseLost(job.id);
}

export function renewLease(db: Database, job: RecordingJob, owner: string, leaseMs: number) {
  return fenced(
    db.sql,
    job,
    owner,
    (tx) => tx`lease_expires_at = now() + ${ms(leaseMs)}::interval`,
  );
}

export function saveTransferProgress(
  db: Database,
  job: RecordingJob,
  owner: string,
  leaseMs: number,
  progress: { offset: number; size: number; resume: string },
) {
  return fenced(db.sql, job, owner, (tx) =>
    tx`status = 'uploading',
       transfer_offset = ${progress.offset}, transfer_resume = ${progress.resume},
       size_bytes = ${progress.size}, transfer_attempts = 0, error = null,
       lease_expires_at = now() + ${ms(leaseMs)}::interval`);
}

export function completeTransfer(
  db: Database,
  job: RecordingJob,
  owner: string,
  done: { size: number; videoPath: string },
) {
  return fenced(db.sql, job, owner, (tx) =>
    tx`status = 'ready', size_bytes = ${done.size},
       transfer_offset = ${done.size}, video_path = ${done.videoPath},
       transfer_resume = null, transfer_attempts = 0, error = null`);
}

/** Fix the chunk plan and mark the transcription as processing. */
export function startTranscription(
  db: Database,
  job: RecordingJob,
  owner: string,
  plan: ChunkPlan[],
  durationSeconds: number,
) {
  return fenced(db.sql, job, owner, (tx) =>
    tx`transcription_status = 'processing',
       transcription_plan = ${tx.json(plan as never)},
       duration_seconds = coalesce(duration_seconds, ${durationSeconds})`);
}

/** Store one transcribed chunk and move the progress past it, in one transaction. */
export function saveChunk(
  db: Database,
  job: RecordingJob,
  owner: string,
  leaseMs: number,
  chunk: {
    index: number;
    start: number;
    end: number;
    text: string;
    segments: Segment[];
    audioBytes: number;
  },
) {
  return db.asService(async (tx) => {
    await fenced(tx, job, owner, (t) =>
      t`transcription_attempts = 0, transcription_error = null,
        transcription_chunks_done = greatest(transcription_chunks_done, ${chunk.index + 1}),
        lease_expires_at = now() + ${ms(leaseMs)}::interval`);
    await tx`
      insert into visio.recording_transcript_chunks
        (recording_id, chunk_index, start_seconds, end_seconds, text, segments, audio_bytes)
      values (${job.id}, ${chunk.index}, ${chunk.start}, ${chunk.end}, ${chunk.text},
              ${tx.json(chunk.segments as never)}, ${chunk.audioBytes})
      on conflict (recording_id, chunk_index) do update
        set start_seconds = excluded.start_seconds, end_seconds = excluded.end_seconds,
            text = excluded.text, segments = excluded.segments, audio_bytes = excluded.audio_bytes`;
  });
}

export async function previousChunkText(db: Database, recordingId: string, index: number) {
  if (index <= 0) return "";
  const [row] = await db.sql`select text from visio.recording_transcript_chunks
                             where recording_id = ${recordingId} and chunk_index = ${index - 1}`;
  return (row?.text as string | undefined) ?? "";
}

/** Every stored segment of a recording, in order. */
export async function transcriptSegments(db: Database, recordingId: string): Promise<Segment[]> {
  const rows = await db.sql<{ segments: Segment[] }[]>`
    select segments from visio.recording_transcript_chunks
    where recording_id = ${recordingId} order by chunk_index`;
  return rows.flatMap((r) => r.segments);
}

export function completeTranscription(
  db: Database,
  job: RecordingJob,
  owner: string,
  paths: { srt: string; vtt: string },
) {
  return fenced(db.sql, job, owner, (tx) =>
    tx`transcription_status = 'completed',
       srt_path = ${paths.srt}, vtt_path = ${paths.vtt},
       transcription_error = null, transcription_attempts = 0,
       lease_owner = null, lease_expires_at = null`);
}

/** Give the row back; it is due again after `delayMs` (0: at once, more work is waiting). */
export async function releaseJob(db: Database, job: RecordingJob, owner: string, delayMs = 0) {
  await db.sql`update visio.meeting_recordings
               set lease_owner = null, lease_expires_at = null,
                   next_attempt_at = now() + ${ms(delayMs)}::interval
               where id = ${job.id} and lease_owner = ${owner}`;
}

export type Phase = "transfer" | "transcription";

export interface FailureOutcome {
  /** true: given up, the row is failed; false: retried after `retryInMs`. */
  final: boolean;
  attempt: number;
  retryInMs: number;
}

/**
 * Record a failed slice. Retryable failures come back after a backoff until `maxAttempts`
 * consecutive failures; then (or at once for a permanent failure) the row is failed, the
 * last error kept where users see it (`transcription_error`).
 */
export async function recordFailure(
  db: Database,
  job: RecordingJob,
  owner: string,
  phase: Phase,
  failure: { message: string; retryable: boolean },
  policy: { maxAttempts: number; backoffMs: (attempt: number) => number },
): Promise<FailureOutcome> {
  const attempt = (phase === "transfer" ? job.transfer_attempts : job.transcription_attempts) + 1;
  const final = !failure.retryable || attempt >= policy.maxAttempts;
  const retryInMs = final ? 0 : policy.backoffMs(attempt);
  const tries = `attempt ${attempt} of ${policy.maxAttempts}`;
  await fenced(db.sql, job, owner, (tx) => {
    if (phase === "transfer") {
      return final
        ? tx`status = 'failed', error = ${failure.message}, transfer_attempts = ${attempt},
               transcription_status = 'failed',
               transcription_error = ${`The recording could not be copied from OpenVidu (${tries}): ${failure.message}`},
               lease_owner = null, lease_expires_at = null`
        : tx`error = ${failure.message}, transfer_attempts = ${attempt},
               next_attempt_at = now() + ${ms(retryInMs)}::interval,
               lease_owner = null, lease_expires_at = null`;
    }
    return final
      ? tx`transcription_status = 'failed', transcription_attempts = ${attempt},
             transcription_error = ${`${failure.message} (${tries})`},
             lease_owner = null, lease_expires_at = null`
      : tx`transcription_status = 'processing', transcription_attempts = ${attempt},
             transcription_error = ${`${failure.message} (${tries}; retrying)`},
             next_attempt_at = now() + ${ms(retryInMs)}::interval,
             lease_owner = null, lease_expires_at = null`;
  });
  return { final, attempt, retryInMs };
}
