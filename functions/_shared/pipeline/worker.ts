// The recording worker: one `runSlice` claims due recordings and works on them until its time
// budget is spent, then hands back what it did. A slice copies the OpenVidu file into Storage
// (resumable), then transcribes it chunk by chunk (each chunk's result is stored before the
// next starts), then writes one SRT and one VTT. Everything it needs to continue is in
// Postgres, so the next slice (here or in another process) picks up where this one stopped.
import type { Storage } from "../adapters/storage.ts";
import { recordingPaths } from "../adapters/storage.ts";
import type { Transcriber } from "../adapters/transcriber.ts";
import type { Database } from "../db.ts";
import { UpstreamError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Services } from "../services.ts";
import {
  buildChunkFile,
  chunkOverhead,
  type ChunkPlan,
  MediaError,
  planChunks,
  type PlanOptions,
  readRecordingIndex,
} from "./audio.ts";
import {
  claimJob,
  completeTranscription,
  completeTransfer,
  LeaseLost,
  type Phase,
  previousChunkText,
  recordFailure,
  type RecordingJob,
  releaseJob,
  saveChunk,
  saveTransferProgress,
  startTranscription,
  transcriptSegments,
} from "./jobs.ts";
import { type Segment, toSrt, toVtt } from "./subtitles.ts";
import { type RecordingSource, transferSlice } from "./transfer.ts";

export interface WorkerOptions {
  /** Lease owner name; unique per worker instance. */
  owner: string;
  /** Time budget of one slice (Supabase allows 150 s wall clock per invocation). */
  sliceMs: number;
  /** How long a claim holds without renewal; longer than a slice's longest silent step. */
  leaseMs: number;
  /** Consecutive failures before a recording is failed. */
  maxAttempts: number;
  /** Delay before retry number `attempt` (1-based). */
  backoffMs: (attempt: number) => number;
  /** Do not start a transcription request with less time than this left in the slice. */
  minChunkMs: number;
  /** Upper bound of one transcription request (the SDK timeout). */
  transcribeTimeoutMs: number;
  /** Stop a slice's transfer after this many bytes (tests); default no limit. */
  transferBytesPerSlice?: number;
  /** Chunk limits (duration, bytes, silence search). */
  chunks: PlanOptions;
  /** Transcription language when the recording has none. */
  defaultLanguage: string;
  /** Abort a download that sends nothing for this long. */
  stallMs: number;
  /**
   * Called between heavy steps (after the copy, after reading the index, after each chunk)
   * to return garbage early: the worker process passes V8's `gc` when it runs with
   * --v8-flags=--expose-gc. The live heap stays ~16 MB; without this V8 lets garbage grow
   * the heap several times that before collecting.
   */
  collectGarbage?: () => void;
}

export interface WorkerDeps {
  db: Database;
  storage: Storage;
  source: RecordingSource;
  transcriber: Transcriber;
  logger: Logger;
  options?: Partial<WorkerOptions>;
}

export interface JobReport {
  recording_id: string;
  phase: Phase;
  /** What the slice left the recording as. */
  outcome:
    | "uploading"
    | "transcribing"
    | "completed"
    | "retrying"
    | "failed"
    | "lease_lost";
  bytes_transferred: number;
  chunks_transcribed: number;
  /** Time spent copying the file, and transcribing, in this slice. */
  transfer_ms: number;
  transcription_ms: number;
  error?: string;
}

export interface SliceReport {
  jobs: JobReport[];
  ms: number;
}

export interface Worker {
  readonly owner: string;
  /** Claim and work due recordings until the time budget is spent; `recordingId` limits it. */
  runSlice(options?: { recordingId?: string }): Promise<SliceReport>;
}

/** 30 s, 2 min, 8 min, 32 min… capped at 1 h, ±20% so retries of many rows spread out. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(30_000 * 4 ** (attempt - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export function workerOptions(options: Partial<WorkerOptions> = {}): WorkerOptions {
  const sliceMs = options.sliceMs ?? 110_000;
  return {
    owner: options.owner ?? `worker-${crypto.randomUUID()}`,
    sliceMs,
    leaseMs: options.leaseMs ?? sliceMs + 30_000,
    maxAttempts: options.maxAttempts ?? 5,
    backoffMs: options.backoffMs ?? defaultBackoff,
    minChunkMs: options.minChunkMs ?? 45_000,
    transcribeTimeoutMs: options.transcribeTimeoutMs ?? 90_000,
    transferBytesPerSlice: options.transferBytesPerSlice,
    chunks: options.chunks ?? {},
    defaultLanguage: options.defaultLanguage ?? "fr",
    stallMs: options.stallMs ?? 30_000,
    collectGarbage: options.collectGarbage,
  };
}

export function createWorker(deps: WorkerDeps): Worker {
  const opts = workerOptions(deps.options);
  const { db, storage, owner } = { ...deps, owner: opts.owner };
  const log = deps.logger.child({ worker: owner });

  async function transfer(job: RecordingJob, deadline: number, report: JobReport) {
    const path = job.video_path ?? recordingPaths(job.meeting_id, job.id).video;
    const result = await transferSlice({
      source: deps.source,
      storage,
      path,
      openviduRecordingId: job.openvidu_recording_id,
      fileName: `${job.recording_name}.mp4`,
      announcedSize: job.size_bytes,
      resume: job.transfer_resume,
      offset: job.transfer_offset,
      deadline,
      maxBytes: opts.transferBytesPerSlice,
      stallMs: opts.stallMs,
      onProgress: async (p) => {
        await saveTransferProgress(db, job, owner, opts.leaseMs, p);
        job.transfer_attempts = 0;
      },
    });
    report.bytes_transferred = result.bytes;
    if (!result.done) return false;
    await completeTransfer(db, job, owner, { size: result.size, videoPath: path });
    Object.assign(job, { status: "ready", video_path: path, size_bytes: result.size });
    log.info("recording copied", { recording_id: job.id, bytes: result.size });
    opts.collectGarbage?.();
    return true;
  }

  async function transcribe(job: RecordingJob, deadline: number, report: JobReport) {
    const path = job.video_path!;
    const size = job.size_bytes ?? (await storage.stat(path))?.size;
    if (!size) throw new MediaError(`The stored recording ${path} is missing or empty`);
    const read = (start: number, end: number, into?: Uint8Array) =>
      storage.read(path, start, end, { into });
    const index = await readRecordingIndex(read, size);
    opts.collectGarbage?.();
    const audio = index.audio;
    if (!audio) {
      throw new MediaError("The recording has no audio track: there is nothing to transcribe");
    }
    let plan: ChunkPlan[] | null = job.transcription_plan;
    if (!plan) {
      plan = planChunks(audio, opts.chunks);
      await startTranscription(db, job, owner, plan, index.durationSeconds);
      job.transcription_plan = plan;
      job.transcription_status = "processing";
    }
    const language = job.transcription_language ?? opts.defaultLanguage;
    // One buffer, sized for the largest chunk, holds every chunk file of this slice.
    const largest = Math.max(
      0,
      ...plan.slice(job.transcription_chunks_done).map((c) =>
        c.bytes + chunkOverhead(c.sample_count)
      ),
    );
    const buffer = new Uint8Array(largest);
    for (let k = job.transcription_chunks_done; k < plan.length; k++) {
      const left = deadline - Date.now();
      if (left < opts.minChunkMs) return false;
      const chunk = plan[k];
      const file = await buildChunkFile(audio, chunk, read, { buffer });
      const prompt = await previousChunkText(db, job.id, k);
      const transcript = await deps.transcriber.transcribe({
        audio: file.bytes,
        fileName: file.fileName,
        contentType: file.contentType,
        language,
        prompt,
        // Room for the SDK's one retry inside what is left of the slice.
        timeoutMs: Math.floor(
          Math.max(5_000, Math.min(opts.transcribeTimeoutMs, (left - 5_000) / 2)),
        ),
      });
      const segments = shiftSegments(transcript.segments, chunk);
      await saveChunk(db, job, owner, opts.leaseMs, {
        index: k,
        start: chunk.start,
        end: chunk.end,
        text: transcript.text.trim(),
        segments,
        audioBytes: file.audioBytes,
      });
      job.transcription_chunks_done = k + 1;
      job.transcription_attempts = 0;
      report.chunks_transcribed++;
      opts.collectGarbage?.();
      log.info("chunk transcribed", {
        recording_id: job.id,
        chunk: k + 1,
        of: plan.length,
        audio_bytes: file.audioBytes,
        file_bytes: file.bytes.length,
      });
    }
    const segments = await transcriptSegments(db, job.id);
    const paths = recordingPaths(job.meeting_id, job.id);
    await storage.put(paths.srt, toSrt(segments), "application/x-subrip");
    await storage.put(paths.vtt, toVtt(segments), "text/vtt");
    await completeTranscription(db, job, owner, paths);
    log.info("transcription completed", { recording_id: job.id, segments: segments.length });
    return true;
  }

  async function work(job: RecordingJob, deadline: number): Promise<JobReport> {
    const report: JobReport = {
      recording_id: job.id,
      phase: job.status === "ready" ? "transcription" : "transfer",
      outcome: "uploading",
      bytes_transferred: 0,
      chunks_transcribed: 0,
      transfer_ms: 0,
      transcription_ms: 0,
    };
    let started = Date.now();
    const lap = (key: "transfer_ms" | "transcription_ms") => {
      report[key] += Date.now() - started;
      started = Date.now();
    };
    try {
      if (job.status === "pending" || job.status === "uploading") {
        const done = await transfer(job, deadline, report).finally(() => lap("transfer_ms"));
        if (!done) {
          report.outcome = "uploading";
          await releaseJob(db, job, owner);
          return report;
        }
      }
      report.phase = "transcription";
      const done = await transcribe(job, deadline, report).finally(() => lap("transcription_ms"));
      if (!done) {
        report.outcome = "transcribing";
        await releaseJob(db, job, owner);
        return report;
      }
      report.outcome = "completed";
      return report;
    } catch (err) {
      if (err instanceof LeaseLost) {
        log.warn("lease lost; another worker has this recording", { recording_id: job.id });
        report.outcome = "lease_lost";
        return report;
      }
      const failure = describeFailure(err);
      report.error = failure.message;
      try {
        const outcome = await recordFailure(db, job, owner, report.phase, failure, opts);
        report.outcome = outcome.final ? "failed" : "retrying";
        (outcome.final ? log.error : log.warn)(
          outcome.final ? `${report.phase} failed` : `${report.phase} failed; will retry`,
          {
            recording_id: job.id,
            attempt: outcome.attempt,
            retry_in_ms: outcome.retryInMs,
            error: failure.message,
            cause: err,
          },
        );
      } catch (recordErr) {
        if (!(recordErr instanceof LeaseLost)) throw recordErr;
        report.outcome = "lease_lost";
      }
      return report;
    }
  }

  return {
    owner,
    async runSlice(options = {}) {
      const started = Date.now();
      const deadline = started + opts.sliceMs;
      const jobs: JobReport[] = [];
      while (Date.now() < deadline) {
        const job = await claimJob(db, owner, opts.leaseMs, options.recordingId);
        if (!job) break;
        const report = await work(job, deadline);
        jobs.push(report);
        if (report.outcome === "uploading" || report.outcome === "transcribing") break;
        if (options.recordingId) break;
      }
      return { jobs, ms: Date.now() - started };
    },
  };
}

/** Shift a chunk's segments to recording time, kept inside the chunk. */
function shiftSegments(segments: Segment[], chunk: ChunkPlan): Segment[] {
  return segments
    .map((s) => ({
      start: round3(Math.min(chunk.end, chunk.start + Math.max(0, s.start))),
      end: round3(Math.min(chunk.end, chunk.start + Math.max(0, s.end))),
      text: s.text.trim(),
    }))
    .filter((s) => s.text && s.end > s.start);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function describeFailure(err: unknown): { message: string; retryable: boolean } {
  if (err instanceof MediaError) return { message: err.message, retryable: false };
  if (err instanceof UpstreamError) {
    // OpenVidu announced the file as ready: a 404 now is more likely a file still settling
    // (or a proxy in between) than a file gone for good, so it gets the bounded retries too.
    const settling = err.service === "openvidu" && err.upstreamStatus === 404;
    return { message: err.message, retryable: err.retryable || settling };
  }
  // Unexpected: bounded retries, and a message that holds nothing internal.
  return { message: `Unexpected error (${(err as Error)?.name ?? "Error"})`, retryable: true };
}

/** The worker over the real services (entry points). */
export function workerFromServices(
  services: Pick<Services, "db" | "storage" | "openvidu" | "transcriber" | "logger" | "config">,
  options: Partial<WorkerOptions> = {},
): Worker {
  return createWorker({
    db: services.db,
    storage: services.storage,
    source: services.openvidu,
    transcriber: services.transcriber,
    logger: services.logger,
    options: { defaultLanguage: services.config.transcription.language, ...options },
  });
}
