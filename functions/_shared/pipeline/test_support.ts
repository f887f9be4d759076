// Test support for the recording pipeline: meetings and recordings written as the webhook
// writes them, a recording source over a local file with OpenVidu's failure modes, storage
// and transcriber rigs, and a reader of a recording's row.
import { type OpenAIEmulator, startOpenAIEmulator } from "../../../demo/emulators/openai/mod.ts";
import type { RecordingFile } from "../adapters/openvidu.ts";
import type { Storage } from "../adapters/storage.ts";
import { createLocalStorage } from "../adapters/storage_local.ts";
import { createOpenAITranscriber, type Transcriber } from "../adapters/transcriber.ts";
import type { Database } from "../db.ts";
import { UpstreamError } from "../errors.ts";
import { memoryLogger } from "../log.ts";
import type { RecordingSource } from "./transfer.ts";
import { createWorker, type Worker, type WorkerOptions } from "./worker.ts";

export const OPENAI_KEY = "sk-pipeline-test-key";

export async function insertMeeting(
  db: Database,
  fields: { title?: string; language?: string | null; clientId?: string } = {},
): Promise<string> {
  const [m] = await db.sql`
    insert into visio.meetings (title, client_id, created_by, language)
    values (${fields.title ?? "Revue des maquettes"}, ${fields.clientId ?? crypto.randomUUID()},
            ${crypto.randomUUID()}, ${fields.language ?? "fr"})
    returning id`;
  return m.id as string;
}

export async function insertRecording(
  db: Database,
  meetingId: string,
  fields: { name?: string; size?: number | null; duration?: number; language?: string } = {},
): Promise<string> {
  const name = fields.name ?? `visio-${meetingId}`;
  const [r] = await db.sql`
    insert into visio.meeting_recordings
      (meeting_id, openvidu_recording_id, openvidu_session_id, recording_name, started_at,
       size_bytes, duration_seconds, transcription_language)
    values (${meetingId}, ${name}, ${`visio-${meetingId}`}, ${name}, now(),
            ${fields.size ?? null}, ${fields.duration ?? null}, ${fields.language ?? "fr"})
    returning id`;
  return r.id as string;
}

// deno-lint-ignore no-explicit-any
export async function recordingRow(db: Database, id: string): Promise<Record<string, any>> {
  const [row] = await db.sql`select * from visio.meeting_recordings where id = ${id}`;
  return row;
}

export type SourceFault =
  | { kind: "status"; status: number }
  /** Send this many bytes, then fail the stream. */
  | { kind: "cut"; after: number }
  /** Send this many bytes, then stop sending until `release()`. */
  | { kind: "stall"; after: number };

export interface FileSource extends RecordingSource {
  faults: SourceFault[];
  /** Offsets asked for, in order. */
  readonly requests: number[];
  /** Bytes actually sent. */
  sent: number;
  /** Unblock every stalled stream (they then fail, as a dead connection would). */
  release(): void;
}

/**
 * OpenVidu's recording file route over a local file: HTTP Range semantics (offset honoured,
 * total size told), and the failures the real client raises (404 not retryable at the HTTP
 * level, 5xx retryable), plus cut and stalled downloads.
 */
export function fileSource(
  path: string,
  faults: SourceFault[] = [],
  options: { ignoreRange?: boolean } = {},
): FileSource {
  const releases: (() => void)[] = [];
  const source: FileSource = {
    faults,
    requests: [],
    sent: 0,
    release() {
      for (const r of releases.splice(0)) r();
    },
    async fetchRecordingFile(id, fileName, opts = {}): Promise<RecordingFile> {
      // A server that ignores Range answers 200 with the whole file.
      const offset = options.ignoreRange ? 0 : opts.offset ?? 0;
      source.requests.push(opts.offset ?? 0);
      const fault = source.faults.shift();
      if (fault?.kind === "status") {
        throw new UpstreamError(
          "openvidu",
          `OpenVidu could not download recording file ${id}/${fileName}: ${
            fault.status === 404 ? "the recording file does not exist" : `HTTP ${fault.status}`
          }`,
          { status: fault.status, retryable: fault.status >= 500 },
        );
      }
      const size = (await Deno.stat(path)).size;
      const file = await Deno.open(path);
      await file.seek(offset, Deno.SeekMode.Start);
      let position = offset;
      const limit = fault ? offset + fault.after : Infinity;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (position >= limit && fault) {
            if (fault.kind === "stall") {
              await new Promise<void>((resolve) => {
                releases.push(resolve);
                opts.signal?.addEventListener("abort", () => resolve(), { once: true });
              });
            }
            file.close();
            controller.error(new Error("connection reset"));
            return;
          }
          const buf = new Uint8Array(Math.min(64 * 1024, limit - position));
          const n = await file.read(buf);
          if (n === null) {
            file.close();
            controller.close();
            return;
          }
          position += n;
          source.sent += n;
          controller.enqueue(buf.subarray(0, n));
        },
        cancel() {
          try {
            file.close();
          } catch { /* already closed */ }
        },
      });
      return { body, offset, totalSize: size };
    },
  };
  return source;
}

export interface PipelineRig {
  dir: string;
  storage: Storage;
  openai: OpenAIEmulator;
  transcriber: Transcriber;
  logger: ReturnType<typeof memoryLogger>;
  worker(
    db: Database,
    source: RecordingSource,
    options?: Partial<WorkerOptions>,
    storage?: Storage,
  ): Worker;
  close(): Promise<void>;
}

/** Local storage in a temp directory, the OpenAI emulator and a transcriber for it. */
export async function pipelineRig(
  options: { transcriberRetries?: number; transcriberTimeoutMs?: number } = {},
): Promise<PipelineRig> {
  const dir = await Deno.makeTempDir({ prefix: "foxeo-pipeline-" });
  const storage = createLocalStorage({
    dir,
    signingSecret: "pipeline-test-signing-secret",
    publicUrl: "http://127.0.0.1:1",
  });
  const openai = await startOpenAIEmulator({ apiKey: OPENAI_KEY, retryAfterSeconds: 0 });
  const transcriber = createOpenAITranscriber({
    apiKey: OPENAI_KEY,
    baseUrl: openai.url,
    model: "whisper-1",
    maxRetries: options.transcriberRetries ?? 0,
    timeoutMs: options.transcriberTimeoutMs ?? 20_000,
  });
  const logger = memoryLogger([OPENAI_KEY]);
  return {
    dir,
    storage,
    openai,
    transcriber,
    logger,
    worker: (db, source, workerOptions = {}, otherStorage) =>
      createWorker({
        db,
        storage: otherStorage ?? storage,
        source,
        transcriber,
        logger,
        options: {
          backoffMs: () => 0,
          minChunkMs: 0,
          chunks: { maxSeconds: 8, searchSeconds: 3 },
          ...workerOptions,
        },
      }),
    close: async () => {
      await openai.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Run slices until the recording settles (completed or failed) or `maxSlices` runs out. */
export async function drain(worker: Worker, recordingId: string, maxSlices = 50) {
  const reports = [];
  for (let i = 0; i < maxSlices; i++) {
    const report = await worker.runSlice({ recordingId });
    reports.push(...report.jobs);
    const last = report.jobs.at(-1);
    if (!last || last.outcome === "completed" || last.outcome === "failed") break;
  }
  return reports;
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}
