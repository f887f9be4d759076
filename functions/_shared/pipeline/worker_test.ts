// The worker on a real database: every status of DESIGN §6, resumable transfers, bounded
// retries, leases, and transcripts whose timestamps cover the recording.
import assert from "node:assert/strict";
import { createSupabaseStorage } from "../adapters/storage_supabase.ts";
import { startFakeSupabaseStorage } from "../adapters/supabase_storage_fake.ts";
import { dbTest, eventually, operatorUser } from "../testing.ts";
import { FIXTURE } from "./test_media.ts";
import {
  drain,
  fileSource,
  insertMeeting,
  insertRecording,
  pipelineRig,
  recordingRow,
  sha256,
} from "./test_support.ts";

const FIXTURE_SIZE = (await Deno.stat(FIXTURE)).size;
const FIXTURE_SHA = await sha256(await Deno.readFile(FIXTURE));

/** Cue times of an SRT file, in seconds. */
function srtCues(srt: string): { start: number; end: number }[] {
  const t = (s: string) => {
    const [h, m, rest] = s.split(":");
    const [sec, ms] = rest.split(",");
    return Number(h) * 3600 + Number(m) * 60 + Number(sec) + Number(ms) / 1000;
  };
  return [...srt.matchAll(/(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)/g)]
    .map((m) => ({ start: t(m[1]), end: t(m[2]) }));
}

dbTest(
  "a recording goes from pending to a completed transcript with its SRT and VTT",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const meeting = await insertMeeting(db, { language: "fr" });
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE, duration: 24.2 });
      assert.equal((await recordingRow(db, id)).status, "pending");

      const worker = rig.worker(db, fileSource(FIXTURE), { transferBytesPerSlice: 100_000 });
      const first = await worker.runSlice({ recordingId: id });
      assert.equal(first.jobs[0].outcome, "uploading");
      const uploading = await recordingRow(db, id);
      assert.equal(uploading.status, "uploading");
      assert.ok(uploading.transfer_offset > 0 && uploading.transfer_offset < FIXTURE_SIZE);
      assert.equal(uploading.lease_owner, null, "a finished slice gives its lease back");

      const reports = await drain(worker, id);
      assert.equal(reports.at(-1)?.outcome, "completed");
      const row = await recordingRow(db, id);
      assert.equal(row.status, "ready");
      assert.equal(row.transcription_status, "completed");
      assert.equal(row.size_bytes, FIXTURE_SIZE);
      assert.equal(row.transcription_error, null);
      assert.equal(row.video_path, `meetings/${meeting}/${id}.mp4`);
      assert.equal(row.srt_path, `meetings/${meeting}/${id}.srt`);
      assert.equal(row.vtt_path, `meetings/${meeting}/${id}.vtt`);

      // The copy is the file, byte for byte.
      const copy = await rig.storage.read(row.video_path, 0, FIXTURE_SIZE);
      assert.equal(await sha256(copy), FIXTURE_SHA);

      // Whisper got audio-only m4a chunks in order, each with the previous chunk's text.
      const sent = rig.openai.requests;
      assert.equal(sent.length, row.transcription_plan.length);
      assert.ok(sent.length >= 3);
      const texts = await db.sql`select chunk_index, text from visio.recording_transcript_chunks
                               where recording_id = ${id} order by chunk_index`;
      sent.forEach((req, k) => {
        assert.equal(req.fileName, `chunk-${String(k + 1).padStart(4, "0")}.m4a`);
        assert.equal(req.language, "fr");
        assert.equal(req.model, "whisper-1");
        assert.ok(req.fileBytes < 25 * 1024 * 1024);
        if (req.streams) assert.deepEqual(req.streams, ["audio"], "no video bytes reach the API");
        assert.equal(req.prompt, k === 0 ? null : texts[k - 1].text);
      });

      // One SRT and one VTT whose cues are in order and cover the recording.
      const srt = new TextDecoder().decode(await rig.storage.read(row.srt_path, 0, 1_000_000));
      const vtt = new TextDecoder().decode(await rig.storage.read(row.vtt_path, 0, 1_000_000));
      assert.ok(vtt.startsWith("WEBVTT\n\n"));
      const cues = srtCues(srt);
      assert.ok(cues.length >= 4);
      assert.equal(cues[0].start, 0);
      for (let i = 0; i < cues.length; i++) {
        assert.ok(cues[i].end > cues[i].start);
        if (i > 0) {
          assert.ok(
            cues[i].start >= cues[i - 1].end,
            `cue ${i} starts before ${i - 1} ends`,
          );
        }
      }
      assert.ok(Math.abs(cues.at(-1)!.end - 24.2) < 0.2, `last cue ends at ${cues.at(-1)!.end}`);
      assert.equal(vtt.match(/-->/g)?.length, cues.length);
      assert.match(srt, /\[Transcription émulée\] chunk-0002\.m4a/);
    } finally {
      await rig.close();
    }
  },
);

dbTest(
  "a Supabase upload resumes over TUS after the time budget and after a cut, sending no byte twice",
  async ({ db }) => {
    const rig = await pipelineRig();
    const fake = await startFakeSupabaseStorage({ serviceKey: "service-key-for-tus-tests" });
    try {
      const storage = createSupabaseStorage({
        url: fake.url,
        serviceKey: "service-key-for-tus-tests",
        chunkSize: 64 * 1024,
      });
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      const worker = rig.worker(
        db,
        fileSource(FIXTURE),
        { transferBytesPerSlice: 128 * 1024 },
        storage,
      );
      await worker.runSlice({ recordingId: id });
      const after1 = await recordingRow(db, id);
      assert.equal(after1.status, "uploading");
      assert.equal(after1.transfer_offset, 128 * 1024);
      assert.match(after1.transfer_resume, /\/storage\/v1\/upload\/resumable\//);

      // Storage fails in the middle of the next chunk, keeping part of it.
      fake.failNext("tus-patch", { status: 500, keepBytes: 10_000 });
      const failed = await worker.runSlice({ recordingId: id });
      assert.equal(failed.jobs[0].outcome, "retrying");
      const after2 = await recordingRow(db, id);
      assert.equal(after2.status, "uploading");
      assert.equal(after2.transfer_attempts, 1);
      assert.match(after2.error, /refused at byte 131072: HTTP 500/);

      const reports = await drain(worker, id);
      assert.equal(reports.at(-1)?.outcome, "completed");
      const row = await recordingRow(db, id);
      assert.equal(row.status, "ready");
      assert.equal(row.transfer_attempts, 0);
      assert.equal(await sha256(fake.object(`recordings/${row.video_path}`)!), FIXTURE_SHA);
      const uploaded = fake.patchSizes.reduce((a, b) => a + b, 0);
      assert.equal(uploaded + 10_000, FIXTURE_SIZE, "no byte was uploaded twice");
      assert.equal(row.transcription_status, "completed");
    } finally {
      await fake.close();
      await rig.close();
    }
  },
);

dbTest("an OpenVidu 404 or 500 on the file is retried, then the copy completes", async ({ db }) => {
  const rig = await pipelineRig();
  try {
    for (const status of [404, 500]) {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      const source = fileSource(FIXTURE, [{ kind: "status", status }]);
      const worker = rig.worker(db, source);
      const first = await worker.runSlice({ recordingId: id });
      assert.equal(first.jobs[0].outcome, "retrying");
      const failedOnce = await recordingRow(db, id);
      assert.equal(failedOnce.status, "pending");
      assert.equal(failedOnce.transfer_attempts, 1);
      assert.match(failedOnce.error, status === 404 ? /does not exist/ : /HTTP 500/);
      await drain(worker, id);
      const row = await recordingRow(db, id);
      assert.equal(row.status, "ready", `after a ${status}`);
      assert.equal(row.error, null);
      assert.equal(row.transcription_status, "completed");
      assert.equal(
        await sha256(await rig.storage.read(row.video_path, 0, FIXTURE_SIZE)),
        FIXTURE_SHA,
      );
    }
  } finally {
    await rig.close();
  }
});

dbTest("a download cut mid-file resumes from the bytes already stored", async ({ db }) => {
  const rig = await pipelineRig();
  try {
    const meeting = await insertMeeting(db);
    const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
    const source = fileSource(FIXTURE, [{ kind: "cut", after: 200_000 }]);
    const worker = rig.worker(db, source);
    await drain(worker, id);
    const row = await recordingRow(db, id);
    assert.equal(row.transcription_status, "completed");
    assert.equal(
      await sha256(await rig.storage.read(row.video_path, 0, FIXTURE_SIZE)),
      FIXTURE_SHA,
    );
    // Stored in 1 MB local batches: the cut lost the partial batch, and the retry asked
    // OpenVidu for the rest from what storage held (0 here), never more than once per byte.
    assert.deepEqual(source.requests, [0, 0]);
  } finally {
    await rig.close();
  }
});

dbTest(
  "a server that ignores Range still gives a byte-identical copy, resumed by skipping",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      const source = fileSource(FIXTURE, [], { ignoreRange: true });
      const worker = rig.worker(db, source, { transferBytesPerSlice: 150_000 });
      await drain(worker, id);
      const row = await recordingRow(db, id);
      assert.equal(row.transcription_status, "completed");
      assert.ok(source.requests.length >= 3, "several slices");
      assert.ok(source.requests.slice(1).every((o) => o > 0), "each slice asked from its offset");
      assert.equal(
        await sha256(await rig.storage.read(row.video_path, 0, FIXTURE_SIZE)),
        FIXTURE_SHA,
      );
    } finally {
      await rig.close();
    }
  },
);

dbTest("OpenAI 429 is retried and the transcription completes", async ({ db }) => {
  const rig = await pipelineRig({ transcriberRetries: 2 });
  try {
    const meeting = await insertMeeting(db);
    const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
    rig.openai.failNext("429");
    await drain(rig.worker(db, fileSource(FIXTURE)), id);
    const row = await recordingRow(db, id);
    assert.equal(row.transcription_status, "completed");
    assert.equal(rig.openai.requests[0].status, 429);
    assert.equal(rig.openai.requests[1].status, 200);
    const chunks = await db.sql`select count(*)::int as n from visio.recording_transcript_chunks
                                where recording_id = ${id}`;
    assert.equal(chunks[0].n, row.transcription_plan.length, "each chunk stored once");
  } finally {
    await rig.close();
  }
});

dbTest(
  "OpenAI failing every time ends failed with the last error, and an operator retry completes it",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      const worker = rig.worker(db, fileSource(FIXTURE), { maxAttempts: 3 });
      // The first chunk goes through, then the API answers 500 to every request.
      rig.openai.failNext("500", 3, { after: 1 });
      const first = await worker.runSlice({ recordingId: id });
      assert.equal(first.jobs[0].outcome, "retrying");
      const retrying = await recordingRow(db, id);
      assert.equal(retrying.status, "ready");
      assert.equal(retrying.transcription_status, "processing");
      assert.equal(retrying.transcription_attempts, 1);
      assert.equal(retrying.transcription_chunks_done, 1);
      assert.match(
        retrying.transcription_error,
        /chunk-0002\.m4a failed: HTTP 500.*attempt 1 of 3; retrying/,
      );

      const reports = await drain(worker, id);
      assert.deepEqual(reports.map((r) => r.outcome), ["retrying", "failed"]);
      const failed = await recordingRow(db, id);
      assert.equal(failed.transcription_status, "failed");
      assert.equal(failed.transcription_attempts, 3);
      assert.match(
        failed.transcription_error,
        /HTTP 500: The server had an error.*\(attempt 3 of 3\)$/,
      );
      assert.equal((await worker.runSlice({ recordingId: id })).jobs.length, 0, "failed is final");

      // The operator's retry (the only transcription write a user may make, under RLS).
      const operator = await operatorUser();
      await db.asUser(
        operator,
        (tx) =>
          tx`update visio.meeting_recordings set transcription_status = 'pending' where id = ${id}`,
      );
      const reset = await recordingRow(db, id);
      assert.equal(reset.transcription_status, "pending");
      assert.equal(reset.transcription_attempts, 0);
      assert.equal(reset.transcription_error, null);

      await drain(worker, id);
      const done = await recordingRow(db, id);
      assert.equal(done.transcription_status, "completed");
      const sentChunk1 = rig.openai.requests.filter((r) => r.fileName === "chunk-0001.m4a");
      assert.equal(sentChunk1.length, 1, "the chunk done before the failures is not sent again");
      const chunks = await db.sql`select chunk_index from visio.recording_transcript_chunks
                                where recording_id = ${id} order by chunk_index`;
      assert.deepEqual(
        chunks.map((c) => c.chunk_index),
        done.transcription_plan.map((_: unknown, i: number) => i),
      );
    } finally {
      await rig.close();
    }
  },
);

dbTest(
  "a file OpenVidu keeps refusing ends failed, and an operator retry copies it again",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      const refusing = fileSource(FIXTURE, [
        { kind: "status", status: 503 },
        { kind: "status", status: 503 },
      ]);
      await drain(rig.worker(db, refusing, { maxAttempts: 2 }), id);
      const failed = await recordingRow(db, id);
      assert.equal(failed.status, "failed");
      assert.match(failed.error, /HTTP 503/);
      assert.equal(failed.transcription_status, "failed");
      assert.match(
        failed.transcription_error,
        /could not be copied from OpenVidu \(attempt 2 of 2\)/,
      );

      const operator = await operatorUser();
      await db.asUser(
        operator,
        (tx) =>
          tx`update visio.meeting_recordings set transcription_status = 'pending' where id = ${id}`,
      );
      const requeued = await recordingRow(db, id);
      assert.equal(requeued.status, "pending");
      assert.equal(requeued.error, null);

      await drain(rig.worker(db, fileSource(FIXTURE)), id);
      const row = await recordingRow(db, id);
      assert.equal(row.status, "ready");
      assert.equal(row.transcription_status, "completed");
    } finally {
      await rig.close();
    }
  },
);

dbTest(
  "a recording that cannot be transcribed fails at once with a clear reason",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const cut = `${rig.dir}/cut.mp4`;
      await Deno.writeFile(cut, (await Deno.readFile(FIXTURE)).slice(0, 300_000));
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: 300_000 });
      await drain(rig.worker(db, fileSource(cut), { maxAttempts: 5 }), id);
      const row = await recordingRow(db, id);
      assert.equal(row.status, "ready", "the file itself was copied");
      assert.equal(row.transcription_status, "failed");
      assert.equal(row.transcription_attempts, 1, "not retried: retrying cannot help");
      assert.match(row.transcription_error, /no index \(moov box\): the file is incomplete/);
      assert.equal(rig.openai.requests.length, 0);
    } finally {
      await rig.close();
    }
  },
);

dbTest(
  "a worker that stalls loses its lease; another finishes the job and the first cannot write",
  async ({ db }) => {
    const rig = await pipelineRig();
    try {
      const meeting = await insertMeeting(db);
      const id = await insertRecording(db, meeting, { size: FIXTURE_SIZE });
      // Worker A receives 150 KB, then its download hangs (a dead connection, a frozen VM).
      const stalling = fileSource(FIXTURE, [{ kind: "stall", after: 150_000 }]);
      const a = rig.worker(db, stalling, { leaseMs: 800, stallMs: 60_000, owner: "worker-a" });
      const aRun = a.runSlice({ recordingId: id });
      await eventually(() => stalling.sent >= 150_000, { what: "worker A to start" });
      assert.equal((await recordingRow(db, id)).lease_owner, "worker-a");

      // Worker B cannot take it while A's lease runs, then takes it when it expires.
      const b = rig.worker(db, fileSource(FIXTURE), { owner: "worker-b" });
      assert.equal((await b.runSlice({ recordingId: id })).jobs.length, 0);
      const bReports = await eventually(async () => {
        const r = await b.runSlice({ recordingId: id });
        return r.jobs.length ? r.jobs : null;
      }, { what: "worker B to claim the expired lease", timeoutMs: 5000 });
      assert.equal(bReports[0].outcome, "completed");

      // A wakes up: its download fails, and its failure is not recorded over B's work.
      stalling.release();
      const aReport = await aRun;
      assert.equal(aReport.jobs[0].outcome, "lease_lost");
      const row = await recordingRow(db, id);
      assert.equal(row.transcription_status, "completed");
      assert.equal(row.transfer_attempts, 0);
      assert.equal(row.error, null);
      assert.equal(
        await sha256(await rig.storage.read(row.video_path, 0, FIXTURE_SIZE)),
        FIXTURE_SHA,
      );
    } finally {
      await rig.close();
    }
  },
);
