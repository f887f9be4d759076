// The worker as a separate process (functions/transcribe-recording/worker_cli.ts), as it runs
// in production: killed with SIGKILL in the middle of a copy, and measured while it copies
// and transcribes a long recording. A second process needs its own database connection, so
// these run on PostgreSQL only (TEST_DATABASE_URL; CI sets it). FOXEO_LARGE_TEST=1 adds the
// 1 GB run (also measured by `npm run bench`).
import assert from "node:assert/strict";
import { startOpenAIEmulator } from "../../demo/emulators/openai/mod.ts";
import { fileStream, parseRange } from "../../demo/emulators/openvidu/files.ts";
import { createOpenViduClient } from "../_shared/adapters/openvidu.ts";
import { createLocalStorage } from "../_shared/adapters/storage_local.ts";
import { createOpenAITranscriber } from "../_shared/adapters/transcriber.ts";
import type { Database } from "../_shared/db.ts";
import { memoryLogger } from "../_shared/log.ts";
import { readRecordingIndex } from "../_shared/pipeline/audio.ts";
import { fileReader, hasFfmpeg, longRecording } from "../_shared/pipeline/test_media.ts";
import { sampleRss, startRecordingStack } from "../_shared/pipeline/test_stack.ts";
import {
  insertMeeting,
  insertRecording,
  recordingRow,
  sha256,
} from "../_shared/pipeline/test_support.ts";
import { createWorker, type JobReport } from "../_shared/pipeline/worker.ts";
import { eventually, testBackend } from "../_shared/testing.ts";
import { WORKER_V8_FLAGS } from "./worker_cli.ts";

const PG = Deno.env.get("TEST_DATABASE_URL");
const CLI = new URL("./worker_cli.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const OPENVIDU_SECRET = "process-test-openvidu-secret";
const OPENAI_KEY = "sk-process-test";
const WEBHOOK_SECRET = "process-test-webhook-secret";

interface Child {
  process: Deno.ChildProcess;
  /** Highest resident memory sampled from /proc, in kB. */
  peakSampledKb(): number;
  result(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Start the worker CLI with the functions' configuration variables (DESIGN §4). */
function spawnWorker(env: Record<string, string>, args: string[]): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--v8-flags=${WORKER_V8_FLAGS}`, CLI, ...args],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const rss = sampleRss(process.pid);
  const output = process.output().finally(() => rss.stop());
  return {
    process,
    peakSampledKb: rss.peakKb,
    result: async () => {
      const o = await output;
      return {
        code: o.code,
        stdout: new TextDecoder().decode(o.stdout),
        stderr: new TextDecoder().decode(o.stderr),
      };
    },
  };
}

function workerEnv(storageDir: string, openviduUrl: string, openaiUrl: string) {
  return {
    DATABASE_URL: PG!,
    STORAGE_BACKEND: "local",
    STORAGE_DIR: storageDir,
    OPENVIDU_URL: openviduUrl,
    OPENVIDU_SECRET,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: openaiUrl,
    TRANSCRIPTION_LANGUAGE: "fr",
    WORKER_INTERVAL_MS: "0",
  };
}

/**
 * OpenVidu's recording file route (Basic auth, HTTP Range) over a local file, sending at
 * most `bytesPerSecond`: slow enough to kill a copy in the middle. Logs the ranges asked.
 */
function slowRecordingServer(path: string, bytesPerSecond: number) {
  const ranges: number[] = [];
  const auth = `Basic ${btoa(`OPENVIDUAPP:${OPENVIDU_SECRET}`)}`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.headers.get("authorization") !== auth) return new Response(null, { status: 401 });
    const size = (await Deno.stat(path)).size;
    const range = parseRange(req.headers.get("range"), size);
    if (range === "unsatisfiable") return new Response(null, { status: 416 });
    const { start, end } = range ?? { start: 0, end: size - 1 };
    ranges.push(start);
    const source = fileStream(path, start, end).getReader();
    const step = 64 * 1024;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await source.read();
        if (done) return controller.close();
        await new Promise((r) => setTimeout(r, (value.length / bytesPerSecond) * 1000));
        for (let i = 0; i < value.length; i += step) {
          controller.enqueue(value.subarray(i, i + step));
        }
      },
      cancel: () => source.cancel(),
    });
    return new Response(body, {
      status: range ? 206 : 200,
      headers: {
        "content-type": "video/mp4",
        "accept-ranges": "bytes",
        "content-length": String(end - start + 1),
        ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
      },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, ranges, close: () => server.shutdown() };
}

Deno.test({
  name: "a worker process killed mid-copy loses its lease; another resumes the copy and finishes",
  ignore: !PG || !(await hasFfmpeg()),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { db } = await testBackend("postgres");
    const rec = await longRecording(16 * 1024 * 1024);
    const dir = await Deno.makeTempDir({ prefix: "foxeo-kill-" });
    const source = slowRecordingServer(rec.path, 4 * 1024 * 1024);
    const openai = await startOpenAIEmulator({ apiKey: OPENAI_KEY });
    try {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { name: "kill-test", size: rec.size });
      const child = spawnWorker(
        workerEnv(dir, source.url, openai.url),
        ["--until", id, "--lease-ms", "1500"],
      );
      // Kill it once it has stored some of the file (it sends ~4 MB/s: a few seconds to go).
      await eventually(
        async () => (await recordingRow(db, id)).transfer_offset >= 2 * 1024 * 1024,
        {
          what: "the child to store 2 MB",
          timeoutMs: 20_000,
        },
      );
      child.process.kill("SIGKILL");
      const exit = await child.result();
      assert.notEqual(exit.code, 0);
      const killed = await recordingRow(db, id);
      assert.equal(killed.status, "uploading");
      assert.ok(killed.lease_owner, "the dead worker still holds the lease");
      assert.ok(killed.transfer_offset < rec.size);

      // Another worker takes the job once the lease expires, and resumes the copy.
      const storage = createLocalStorage({ dir, signingSecret: "x", publicUrl: "http://x" });
      const worker = createWorker({
        db: db as Database,
        storage,
        source: createOpenViduClient({ url: source.url, secret: OPENVIDU_SECRET }),
        transcriber: createOpenAITranscriber({
          apiKey: OPENAI_KEY,
          baseUrl: openai.url,
          model: "whisper-1",
        }),
        logger: memoryLogger(),
        options: { backoffMs: () => 0 },
      });
      const reports = await eventually(async () => {
        const r = await worker.runSlice({ recordingId: id });
        return r.jobs.length ? r.jobs : null;
      }, { what: "the lease to expire", timeoutMs: 10_000 });
      assert.equal(reports[0].outcome, "completed");
      assert.equal(source.ranges.length, 2, "one download per worker");
      assert.ok(
        source.ranges[1] >= killed.transfer_offset,
        `resumed at ${source.ranges[1]}, not from zero`,
      );
      assert.ok(reports[0].bytes_transferred <= rec.size - killed.transfer_offset);
      const row = await recordingRow(db, id);
      assert.equal(row.transcription_status, "completed");
      const copy = await storage.read(row.video_path, 0, rec.size);
      assert.equal(await sha256(copy), await sha256(await Deno.readFile(rec.path)));
    } finally {
      await openai.close();
      await source.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const LARGE = Deno.env.get("FOXEO_LARGE_TEST") === "1";

for (const [label, bytes] of [["256 MB", 256 * 1024 * 1024], ["1 GB", 1024 ** 3]] as const) {
  Deno.test({
    name:
      `a ${label} recording goes from the webhook to a completed transcript in a worker under 150 MB`,
    ignore: !PG || !(await hasFfmpeg()) || (bytes > 256 * 1024 * 1024 && !LARGE),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const { db } = await testBackend("postgres");
      const rec = bytes > 256 * 1024 * 1024
        ? await (await import("../../demo/fixtures/make_large_recording.ts")).makeLargeRecording({
          bytes,
        })
        : await longRecording(bytes);
      const dir = await Deno.makeTempDir({ prefix: "foxeo-rss-" });
      const stack = await startRecordingStack(db, {
        recordingFile: rec.path,
        openviduSecret: OPENVIDU_SECRET,
        webhookSecret: WEBHOOK_SECRET,
        openaiKey: OPENAI_KEY,
      });
      const { openvidu, openai } = stack;
      try {
        // A recorded meeting: session, a publisher, a REST start and stop → `ready` webhook.
        const recordingId = await stack.record(await insertMeeting(db));

        const child = spawnWorker(
          workerEnv(dir, openvidu.url, openai.url),
          ["--until", recordingId],
        );
        const exit = await child.result();
        assert.equal(exit.code, 0, exit.stderr.slice(-2000));
        const summary = JSON.parse(exit.stdout.trim().split("\n").at(-1)!) as {
          jobs: JobReport[];
          peak_rss_kb: number;
        };
        assert.equal(summary.jobs.at(-1)?.outcome, "completed");
        const peakMb = Math.max(summary.peak_rss_kb, child.peakSampledKb()) / 1024;
        console.log(`worker peak RSS for ${label}: ${peakMb.toFixed(1)} MB`);
        assert.ok(peakMb < 150, `peak RSS ${peakMb.toFixed(1)} MB`);

        const done = await recordingRow(db, recordingId);
        assert.equal(done.status, "ready");
        assert.equal(done.transcription_status, "completed");
        assert.equal(done.size_bytes, rec.size);
        const index = await readRecordingIndex(fileReader(rec.path), rec.size);
        const sent = openai.requests.reduce((n, r) => n + r.fileBytes, 0);
        const audio = index.audio!.totalBytes;
        assert.ok(openai.requests.every((r) => !r.streams || r.streams.join() === "audio"));
        assert.ok(openai.requests.every((r) => r.fileBytes < 25 * 1024 * 1024));
        assert.ok(sent >= audio && sent < audio * 1.05, `sent ${sent} for ${audio} bytes of audio`);
      } finally {
        await stack.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
