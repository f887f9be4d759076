// Benchmark part: the recording pipeline on a generated 1 GB COMPOSED-like recording.
//
//   deno run -A bench/pipeline.ts <output.json>
//
// Needs ffmpeg/ffprobe (the recording is generated once into bench/.work/) and PostgreSQL
// (BENCH_DATABASE_URL, default foxeo_bench on the local server): the worker runs as its own
// process, which needs its own connection. In one run, medians of BENCH_RUNS (default 3):
// - the worker process (functions/transcribe-recording/worker_cli.ts) takes a recording
//   from OpenVidu's `ready` webhook to a completed transcript: OpenVidu and OpenAI are the
//   emulators, storage is a local directory; its peak RSS is sampled from /proc and read
//   from VmHWM, with the worker's V8 flags and with V8's defaults (as on Supabase Edge and
//   Deno Deploy, which take no flags);
// - its copy throughput, next to plain copies of the same file (Deno.copyFile, which the
//   kernel does, and a copy streamed through user space);
// - the audio extraction alone (index + every chunk file) in this process;
// - the bytes sent to the transcription API, next to the size of the audio track.
import { makeLargeRecording } from "../demo/fixtures/make_large_recording.ts";
import { createLocalStorage } from "../functions/_shared/adapters/storage_local.ts";
import { createDatabase } from "../functions/_shared/db.ts";
import {
  buildChunkFile,
  planChunks,
  readRecordingIndex,
} from "../functions/_shared/pipeline/audio.ts";
import { sampleRss, startRecordingStack } from "../functions/_shared/pipeline/test_stack.ts";
import type { JobReport } from "../functions/_shared/pipeline/worker.ts";
import { WORKER_V8_FLAGS } from "../functions/transcribe-recording/worker_cli.ts";
import { migrate } from "../supabase/migrate.ts";
import { benchDatabaseUrl } from "./support.ts";

type Unit = "ms" | "bytes" | "MB" | "MB/s" | "ratio" | "count" | "req/s";
type Results = Record<string, { value: number; unit: Unit; label: string }>;

const ROOT = new URL("../", import.meta.url).pathname;
const WORK = `${ROOT}bench/.work`;
const MB = 1024 * 1024;
const OPENVIDU_SECRET = "bench-openvidu-secret";
const WEBHOOK_SECRET = "bench-webhook-secret-0123456789";
const OPENAI_KEY = "sk-bench";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

interface WorkerRun {
  peakRssMb: number;
  transferMs: number;
  transcriptionMs: number;
  bytes: number;
  sentBytes: number;
  requests: number;
  videoStreamsSent: number;
}

async function main() {
  const out = Deno.args[0];
  if (!out) {
    console.error("usage: deno run -A bench/pipeline.ts <output.json>");
    Deno.exit(2);
  }
  const dbUrl = await benchDatabaseUrl();
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? 3);

  console.log("generating (or reusing) the 1 GB recording in bench/.work …");
  const started = performance.now();
  const rec = await makeLargeRecording({ bytes: 1024 ** 3, workDir: WORK });
  console.log(
    `  ${rec.path}: ${round(rec.size / MB)} MiB, ${round(rec.durationSeconds / 60)} min ` +
      `(${round((performance.now() - started) / 1000)} s)`,
  );

  const db = createDatabase(dbUrl, { max: 4 });
  await migrate(db.sql);
  const stack = await startRecordingStack(db, {
    recordingFile: rec.path,
    openviduSecret: OPENVIDU_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    openaiKey: OPENAI_KEY,
  });
  const { openvidu, openai } = stack;

  /** A meeting recorded on the emulator; its `ready` webhook stores the recording row. */
  async function recordedMeeting(): Promise<string> {
    const [m] = await db.sql`
      insert into visio.meetings (title, client_id, created_by)
      values ('Benchmark', ${crypto.randomUUID()}, ${crypto.randomUUID()}) returning id`;
    return await stack.record(m.id);
  }

  async function workerRun(v8Flags: string | null): Promise<WorkerRun> {
    const recordingId = await recordedMeeting();
    const storageDir = await Deno.makeTempDir({ dir: WORK, prefix: "storage-" });
    const requestsBefore = openai.requests.length;
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
          "functions/transcribe-recording/worker_cli.ts",
          "--until",
          recordingId,
        ],
        cwd: ROOT,
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/tmp",
          NO_COLOR: "1",
          DATABASE_URL: dbUrl!,
          STORAGE_BACKEND: "local",
          STORAGE_DIR: storageDir,
          OPENVIDU_URL: openvidu.url,
          OPENVIDU_SECRET,
          OPENAI_API_KEY: OPENAI_KEY,
          OPENAI_BASE_URL: openai.url,
          WORKER_INTERVAL_MS: "0",
        },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const rss = sampleRss(child.pid);
      const result = await child.output().finally(() => rss.stop());
      const stdout = new TextDecoder().decode(result.stdout).trim().split("\n");
      if (!result.success) {
        throw new Error(`worker failed: ${new TextDecoder().decode(result.stderr).slice(-1500)}`);
      }
      const summary = JSON.parse(stdout.at(-1)!) as { jobs: JobReport[]; peak_rss_kb: number };
      if (summary.jobs.at(-1)?.outcome !== "completed") {
        throw new Error(`the recording did not complete: ${JSON.stringify(summary.jobs.at(-1))}`);
      }
      const sum = (k: "transfer_ms" | "transcription_ms" | "bytes_transferred") =>
        summary.jobs.reduce((n, j) => n + j[k], 0);
      const sent = openai.requests.slice(requestsBefore);
      return {
        peakRssMb: Math.max(rss.peakKb(), summary.peak_rss_kb ?? 0) / 1024,
        transferMs: sum("transfer_ms"),
        transcriptionMs: sum("transcription_ms"),
        bytes: sum("bytes_transferred"),
        sentBytes: sent.reduce((n, r) => n + r.fileBytes, 0),
        requests: sent.length,
        videoStreamsSent: sent.filter((r) => r.streams?.includes("video")).length,
      };
    } finally {
      await Deno.remove(storageDir, { recursive: true });
    }
  }

  /** Deno.copyFile (the kernel copies), and a copy streamed through user space. */
  async function plainCopyMs(kernelFirst: boolean): Promise<{ kernel: number; stream: number }> {
    const target = `${WORK}/plain-copy.mp4`;
    // Each copy starts with no dirty pages left by the previous step (1 GB copies otherwise
    // measure the kernel's write-back of the one before).
    const settle = () => new Deno.Command("sync").output().catch(() => {});
    const kernelCopy = async () => {
      await settle();
      const t = performance.now();
      await Deno.copyFile(rec.path, target);
      const ms = performance.now() - t;
      await Deno.remove(target);
      return ms;
    };
    const streamCopy = async () => {
      await settle();
      const t = performance.now();
      const from = await Deno.open(rec.path);
      const to = await Deno.open(target, { write: true, create: true, truncate: true });
      await from.readable.pipeTo(to.writable);
      const ms = performance.now() - t;
      await Deno.remove(target);
      return ms;
    };
    // Alternated from run to run: the second copy of a pair finds the first one's dirty
    // pages still being written back.
    if (kernelFirst) {
      const kernel = await kernelCopy();
      return { kernel, stream: await streamCopy() };
    }
    const stream = await streamCopy();
    return { kernel: await kernelCopy(), stream };
  }

  // The audio extraction reads through the local storage adapter, as the worker does.
  const storageDir = await Deno.makeTempDir({ dir: WORK, prefix: "extraction-" });
  await Deno.mkdir(`${storageDir}/recordings/bench`, { recursive: true });
  await Deno.link(rec.path, `${storageDir}/recordings/bench/recording.mp4`);
  const storage = createLocalStorage({
    dir: storageDir,
    signingSecret: "bench",
    publicUrl: "http://x",
  });

  async function extractionMs(): Promise<
    { ms: number; audioBytes: number; chunks: number; indexBytes: number }
  > {
    const read = (start: number, end: number, into?: Uint8Array) =>
      storage.read("bench/recording.mp4", start, end, { into });
    const t = performance.now();
    const index = await readRecordingIndex(read, rec.size);
    const plan = planChunks(index.audio!);
    const buffer = new Uint8Array(
      Math.max(...plan.map((c) => c.bytes + 4096 + 8 * c.sample_count)),
    );
    for (const c of plan) await buildChunkFile(index.audio!, c, read, { buffer });
    return {
      ms: performance.now() - t,
      audioBytes: index.audio!.totalBytes,
      chunks: plan.length,
      indexBytes: index.indexBytesRead,
    };
  }

  try {
    const worker: WorkerRun[] = [];
    const copies: { kernel: number; stream: number }[] = [];
    const extraction: Awaited<ReturnType<typeof extractionMs>>[] = [];
    const defaults: WorkerRun[] = [];
    for (let i = 0; i < runs; i++) {
      console.log(
        `run ${i + 1}/${runs}: plain copies, worker process (its V8 flags, then V8's ` +
          `defaults), audio extraction …`,
      );
      copies.push(await plainCopyMs(i % 2 === 0));
      await new Deno.Command("sync").output().catch(() => {});
      worker.push(await workerRun(WORKER_V8_FLAGS));
      defaults.push(await workerRun(null));
      extraction.push(await extractionMs());
    }
    const defaultPeaks = defaults.map((w) => round(w.peakRssMb));

    const transferMbps = median(worker.map((w) => w.bytes / MB / (w.transferMs / 1000)));
    const copyMbps = median(copies.map((c) => rec.size / MB / (c.kernel / 1000)));
    const streamMbps = median(copies.map((c) => rec.size / MB / (c.stream / 1000)));
    const sent = median(worker.map((w) => w.sentBytes));
    const audio = extraction[0].audioBytes;
    const results: Results = {
      pipeline_recording_size: {
        value: rec.size,
        unit: "bytes",
        label: `generated COMPOSED-like recording (H.264 720p + AAC, moov at the end, ${
          round(rec.durationSeconds / 60)
        } min)`,
      },
      pipeline_worker_peak_rss: {
        value: round(median(worker.map((w) => w.peakRssMb))),
        unit: "MB",
        label:
          `worker process peak RSS, webhook row to completed transcript (V8 ${WORKER_V8_FLAGS}), median of ${runs}`,
      },
      pipeline_worker_peak_rss_default_v8: {
        value: round(median(defaults.map((w) => w.peakRssMb))),
        unit: "MB",
        label: `worker process peak RSS, same run with V8's default flags (as on Supabase Edge ` +
          `and Deno Deploy), median of ${runs} (${defaultPeaks.join(", ")})`,
      },
      pipeline_transfer_throughput: {
        value: round(transferMbps),
        unit: "MB/s",
        label: "OpenVidu → storage copy in the worker (HTTP Range download, resumable upload)",
      },
      pipeline_plain_copy_throughput: {
        value: round(copyMbps),
        unit: "MB/s",
        label: "plain file copy of the same file (Deno.copyFile), same run",
      },
      pipeline_transfer_vs_plain_copy: {
        value: round(transferMbps / copyMbps, 3),
        unit: "ratio",
        label: "worker copy throughput / plain file copy throughput",
      },
      pipeline_stream_copy_throughput: {
        value: round(streamMbps),
        unit: "MB/s",
        label: "file copy streamed through user space (readable.pipeTo(writable)), same run",
      },
      pipeline_transfer_vs_stream_copy: {
        value: round(transferMbps / streamMbps, 3),
        unit: "ratio",
        label: "worker copy throughput / user-space streamed copy throughput",
      },
      pipeline_audio_extraction_time: {
        value: round(median(extraction.map((e) => e.ms)), 0),
        unit: "ms",
        label: `moov index + every audio chunk file (${extraction[0].chunks} chunks), local file`,
      },
      pipeline_transcription_phase_time: {
        value: round(median(worker.map((w) => w.transcriptionMs)), 0),
        unit: "ms",
        label: "worker transcription phase (extraction + requests to the OpenAI emulator)",
      },
      pipeline_index_bytes_read: {
        value: extraction[0].indexBytes,
        unit: "bytes",
        label: "bytes read to find and parse the moov (of the whole file)",
      },
      pipeline_bytes_sent_to_transcription: {
        value: sent,
        unit: "bytes",
        label: `bytes of audio files sent to the transcription API (${
          worker[0].requests
        } requests)`,
      },
      pipeline_audio_track_bytes: {
        value: audio,
        unit: "bytes",
        label: "size of the recording's AAC track",
      },
      pipeline_sent_vs_audio_track: {
        value: round(sent / audio, 4),
        unit: "ratio",
        label: "bytes sent to the transcription API / audio track size (container overhead)",
      },
      pipeline_video_streams_sent: {
        value: worker.reduce((n, w) => n + w.videoStreamsSent, 0),
        unit: "count",
        label: "requests to the transcription API that carried a video stream (ffprobe)",
      },
    };
    await Deno.writeTextFile(out, JSON.stringify(results, null, 2) + "\n");
    console.log("\npipeline benchmark");
    for (const [key, r] of Object.entries(results)) {
      console.log(
        `  ${key.padEnd(38)} ${String(r.value).padStart(14)} ${r.unit.padEnd(6)} ${r.label}`,
      );
    }
  } finally {
    await stack.close();
    await db.end();
    await Deno.remove(storageDir, { recursive: true });
  }
}

if (import.meta.main) await main();
