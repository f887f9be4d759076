// The webhook on a real database: authenticated, fast, idempotent, and strict with bad input.
import assert from "node:assert/strict";
import type { Database } from "../_shared/db.ts";
import { memoryLogger } from "../_shared/log.ts";
import { insertMeeting } from "../_shared/pipeline/test_support.ts";
import { dbTest } from "../_shared/testing.ts";
import { createWebhookApp } from "./app.ts";

const SECRET = "webhook-secret-for-tests-0123456789";

function rig(db: Database) {
  const logger = memoryLogger([SECRET]);
  const ready: string[] = [];
  const app = createWebhookApp({
    db,
    logger,
    webhookSecret: SECRET,
    defaultLanguage: "fr",
    onRecordingReady: (id) => ready.push(id),
  });
  const post = async (body: unknown, auth: string | null = `Bearer ${SECRET}`) => {
    const res = await app.request("/openvidu-webhook", {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  return { app, logger, ready, post };
}

/** A `recordingStatusChanged` as OpenVidu CE 2.32 sends it (reference/openvidu2.md §3.3). */
function recordingEvent(meetingId: string, status: string, over: Record<string, unknown> = {}) {
  const sessionId = `visio-${meetingId}`;
  const startTime = 1_790_000_100_000;
  return {
    sessionId,
    uniqueSessionId: `${sessionId}_1790000000000`,
    timestamp: startTime + 8_700,
    startTime,
    duration: status === "ready" ? 24.2 : 0.0,
    ...(status === "started" ? {} : { reason: "recordingStoppedByServer" }),
    id: sessionId,
    name: sessionId,
    outputMode: "COMPOSED",
    resolution: "1280x720",
    frameRate: 25,
    recordingLayout: "BEST_FIT",
    hasAudio: true,
    hasVideo: true,
    size: status === "ready" ? 430_000 : 0,
    status,
    event: "recordingStatusChanged",
    ...over,
  };
}

const rowsOf = (db: Database, meetingId: string) =>
  db.sql`select * from visio.meeting_recordings where meeting_id = ${meetingId}
         order by started_at`;

dbTest(
  "a ready recording becomes a pending row, once, however often it is delivered",
  async ({ db }) => {
    const { post, ready } = rig(db);
    const meeting = await insertMeeting(db, { language: "en" });
    const event = recordingEvent(meeting, "ready");
    const first = await post(event);
    assert.equal(first.status, 200);
    assert.equal(first.json.stored, true);
    for (let i = 0; i < 3; i++) {
      const again = await post(event);
      assert.equal(again.status, 200);
      assert.equal(again.json.stored, false);
    }
    const rows = await rowsOf(db, meeting);
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.id, first.json.recording_id);
    assert.equal(row.status, "pending");
    assert.equal(row.transcription_status, "pending");
    assert.equal(row.openvidu_recording_id, `visio-${meeting}`);
    assert.equal(row.recording_name, `visio-${meeting}`);
    assert.equal(row.openvidu_unique_session_id, `visio-${meeting}_1790000000000`);
    assert.equal(row.started_at.getTime(), 1_790_000_100_000);
    assert.equal(row.size_bytes, 430_000);
    assert.equal(row.duration_seconds, 24.2);
    assert.equal(row.transcription_language, "en", "the meeting's language");
    assert.equal(row.video_path, `meetings/${meeting}/${row.id}.mp4`);
    assert.deepEqual(ready, [row.id], "the worker is nudged once");
  },
);

dbTest("a reused recording id with a new start time is a new recording", async ({ db }) => {
  const { post } = rig(db);
  const meeting = await insertMeeting(db);
  await post(recordingEvent(meeting, "ready"));
  await post(recordingEvent(meeting, "ready", { startTime: 1_790_000_900_000 }));
  const rows = await rowsOf(db, meeting);
  assert.equal(rows.length, 2);
  assert.notEqual(rows[0].id, rows[1].id);
});

dbTest(
  "out-of-order events: a late failed never undoes a ready, a late ready revives a failed",
  async ({ db }) => {
    const { post, ready } = rig(db);
    const m1 = await insertMeeting(db);
    await post(recordingEvent(m1, "ready"));
    const late = await post(recordingEvent(m1, "failed"));
    assert.equal(late.json.stored, false);
    assert.equal((await rowsOf(db, m1))[0].status, "pending");

    const m2 = await insertMeeting(db);
    const failed = await post(recordingEvent(m2, "failed", { reason: undefined }));
    assert.equal(failed.json.stored, true);
    const [f] = await rowsOf(db, m2);
    assert.equal(f.status, "failed");
    assert.equal(f.error, "OpenVidu reported the recording as failed");
    assert.equal(f.transcription_status, "failed");
    assert.match(f.transcription_error, /there is no file to transcribe/);

    const revived = await post(recordingEvent(m2, "ready"));
    assert.equal(revived.json.stored, true);
    const [r] = await rowsOf(db, m2);
    assert.equal(r.id, f.id);
    assert.equal(r.status, "pending");
    assert.equal(r.transcription_status, "pending");
    assert.equal(r.error, null);
    assert.ok(ready.includes(r.id));
  },
);

dbTest("every other authenticated event is answered 200 and stores nothing", async ({ db }) => {
  const { post } = rig(db);
  const meeting = await insertMeeting(db);
  const session = `visio-${meeting}`;
  const events = [
    { sessionId: session, uniqueSessionId: `${session}_1`, timestamp: 1, event: "sessionCreated" },
    {
      sessionId: session,
      timestamp: 2,
      participantId: "con_A",
      connectionId: "con_A",
      location: "unknown",
      event: "participantJoined",
    },
    recordingEvent(meeting, "started"),
    recordingEvent(meeting, "stopped"),
    { event: "nodeCrashed", timestamp: 3, id: "media_i-1" },
    { event: "somethingNew", timestamp: 4 },
    recordingEvent(meeting, "ready", { sessionId: "room-42", id: "room-42", name: "room-42" }),
    recordingEvent(crypto.randomUUID(), "ready"), // a meeting that does not exist
  ];
  for (const e of events) {
    const res = await post(e);
    assert.equal(res.status, 200, JSON.stringify(e));
    assert.equal(res.json.stored, false);
  }
  assert.equal((await rowsOf(db, meeting)).length, 0);
});

dbTest(
  "an INDIVIDUAL or audio-only recording is kept as failed with the reason",
  async ({ db }) => {
    const { post, ready } = rig(db);
    const meeting = await insertMeeting(db);
    await post(recordingEvent(meeting, "ready", { outputMode: "INDIVIDUAL" }));
    const [row] = await rowsOf(db, meeting);
    assert.equal(row.status, "failed");
    assert.match(row.error, /Only COMPOSED recordings with video .* INDIVIDUAL/);
    assert.deepEqual(ready, []);
  },
);

dbTest("without the webhook secret the answer is 401 and nothing is stored", async ({ db }) => {
  const { post, logger } = rig(db);
  const meeting = await insertMeeting(db);
  const event = recordingEvent(meeting, "ready");
  for (
    const auth of [null, `Bearer ${SECRET}x`, `Bearer ${SECRET.slice(0, -1)}`, SECRET, "Basic abc"]
  ) {
    const res = await post(event, auth);
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, "unauthorized");
  }
  assert.equal((await rowsOf(db, meeting)).length, 0);
  assert.ok(!logger.lines.join("\n").includes(SECRET));
});

dbTest("a malformed body gets 400, is logged, and stores nothing", async ({ db }) => {
  const { post, logger } = rig(db);
  const meeting = await insertMeeting(db);
  const notJson = await post("{not json");
  assert.equal(notJson.status, 400);
  assert.equal(notJson.json.error.code, "invalid_request");
  const noEvent = await post({ sessionId: "x" });
  assert.equal(noEvent.status, 400);
  const bad = await post(recordingEvent(meeting, "ready", { startTime: "yesterday", size: -1 }));
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.error.issues.map((i: { path: string }) => i.path).sort(), [
    "size",
    "startTime",
  ]);
  const traversal = await post(recordingEvent(meeting, "ready", { name: "../../etc/passwd" }));
  assert.equal(traversal.status, 400);
  const huge = await post(recordingEvent(meeting, "ready", { padding: "x".repeat(70_000) }));
  assert.equal(huge.status, 413);
  assert.equal((await rowsOf(db, meeting)).length, 0);
  assert.ok(logger.lines.filter((l) => l.includes("malformed webhook")).length >= 3);
});

dbTest("the webhook answers within milliseconds", async ({ db }) => {
  const { post } = rig(db);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const meeting = await insertMeeting(db);
    const started = performance.now();
    const res = await post(recordingEvent(meeting, "ready"));
    times.push(performance.now() - started);
    assert.equal(res.json.stored, true);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  assert.ok(median < 100, `median ${median.toFixed(1)} ms`);
});
