// The worker function: service-key only, one slice per call (or 202 and background work
// where the platform keeps it alive), and the local loop that drives it.
import assert from "node:assert/strict";
import { memoryLogger } from "../_shared/log.ts";
import { FIXTURE } from "../_shared/pipeline/test_media.ts";
import {
  fileSource,
  insertMeeting,
  insertRecording,
  pipelineRig,
  recordingRow,
} from "../_shared/pipeline/test_support.ts";
import type { SliceReport, Worker } from "../_shared/pipeline/worker.ts";
import { dbTest, eventually } from "../_shared/testing.ts";
import { createTranscribeApp } from "./app.ts";
import { startWorkerLoop } from "./schedule.ts";

const KEY = "service-key-for-worker-tests-123456";

dbTest("the worker function runs a slice for the service key and reports it", async ({ db }) => {
  const rig = await pipelineRig();
  try {
    const app = createTranscribeApp({
      worker: rig.worker(db, fileSource(FIXTURE)),
      serviceKey: KEY,
      logger: rig.logger,
    });
    const meeting = await insertMeeting(db);
    const id = await insertRecording(db, meeting);
    const call = (headers: Record<string, string>, body?: string) =>
      app.request("/transcribe-recording", { method: "POST", headers, body });

    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer nope" },
      { apikey: KEY.slice(1) },
    ];
    for (const headers of refused) {
      const res = await call(headers, JSON.stringify({ recording_id: id }));
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    assert.equal((await recordingRow(db, id)).status, "pending", "nothing ran");

    const bad = await call({ apikey: KEY }, JSON.stringify({ recording_id: "x" }));
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    const res = await call(
      { authorization: `Bearer ${KEY}` },
      JSON.stringify({ recording_id: id }),
    );
    assert.equal(res.status, 200);
    const report = await res.json() as SliceReport;
    assert.equal(report.jobs.length, 1);
    assert.equal(report.jobs[0].recording_id, id);
    assert.equal(report.jobs[0].outcome, "completed");
    assert.ok(report.jobs[0].bytes_transferred > 0);
    assert.ok(report.jobs[0].chunks_transcribed >= 3);
    assert.equal((await recordingRow(db, id)).transcription_status, "completed");

    // Nothing due: an empty slice, answered at once (pg_cron calls every minute).
    const idle = await call({ apikey: KEY }, JSON.stringify({ recording_id: id }));
    assert.deepEqual((await idle.json()).jobs, []);
  } finally {
    await rig.close();
  }
});

Deno.test("with Prefer: respond-async the function answers 202 and works in the background", async () => {
  let resolveSlice!: (r: SliceReport) => void;
  const ran: (string | undefined)[] = [];
  const worker: Worker = {
    owner: "test",
    runSlice: (o = {}) => {
      ran.push(o.recordingId);
      return new Promise((r) => (resolveSlice = r));
    },
  };
  const tasks: Promise<unknown>[] = [];
  const app = createTranscribeApp({
    worker,
    serviceKey: KEY,
    logger: memoryLogger(),
    background: (task) => tasks.push(task),
  });
  const res = await app.request("/transcribe-recording", {
    method: "POST",
    headers: { apikey: KEY, prefer: "respond-async" },
  });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: true });
  assert.equal(tasks.length, 1, "the slice was handed to the platform");
  assert.deepEqual(ran, [undefined]);
  resolveSlice({ jobs: [], ms: 1 });
  await tasks[0];
});

Deno.test("the local loop runs slices, again at once while work remains, and wakes on demand", async () => {
  const reports: SliceReport[] = [
    {
      jobs: [{
        recording_id: "a",
        phase: "transfer",
        outcome: "uploading",
        bytes_transferred: 1,
        chunks_transcribed: 0,
        transfer_ms: 1,
        transcription_ms: 0,
      }],
      ms: 1,
    },
    {
      jobs: [{
        recording_id: "a",
        phase: "transcription",
        outcome: "completed",
        bytes_transferred: 0,
        chunks_transcribed: 1,
        transfer_ms: 0,
        transcription_ms: 1,
      }],
      ms: 1,
    },
  ];
  let calls = 0;
  const worker: Worker = {
    owner: "test",
    runSlice: () => {
      calls++;
      return Promise.resolve(reports.shift() ?? { jobs: [], ms: 0 });
    },
  };
  const loop = startWorkerLoop(worker, { intervalMs: 60_000, logger: memoryLogger() });
  try {
    // uploading → at once again → completed → then it sleeps for the interval…
    await eventually(() => calls === 2 || null, { what: "two slices" });
    // …unless woken (the webhook wakes it when a recording arrives).
    loop.wake();
    await eventually(() => calls === 3 || null, { what: "a slice after wake()" });
  } finally {
    await loop.stop();
  }
  const after = calls;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, after, "no slice after stop()");
});
