// The recording endpoints, mounted as the meetings function mounts them, on a real database
// with row-level security, real signed links and a recording the real worker processed.
import assert from "node:assert/strict";
import { createApp } from "../_shared/app.ts";
import { createTokenVerifier, requireUser } from "../_shared/auth.ts";
import { createLocalStorage, createLocalStorageApp } from "../_shared/adapters/storage_local.ts";
import { DEV_DEFAULTS } from "../_shared/config.ts";
import type { Database } from "../_shared/db.ts";
import { memoryLogger } from "../_shared/log.ts";
import { FIXTURE } from "../_shared/pipeline/test_media.ts";
import {
  drain,
  fileSource,
  insertMeeting,
  insertRecording,
  pipelineRig,
  recordingRow,
} from "../_shared/pipeline/test_support.ts";
import { clientUser, dbTest, operatorUser, type TestUser } from "../_shared/testing.ts";
import { recordingRoutes } from "./recordings.ts";

const SIGNING = "recordings-test-signing-secret";

async function setup(db: Database) {
  const rig = await pipelineRig();
  const linkServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createLocalStorageApp({ dir: rig.dir, signingSecret: SIGNING, logger: memoryLogger() }).fetch,
  );
  const storage = createLocalStorage({
    dir: rig.dir,
    signingSecret: SIGNING,
    publicUrl: `http://127.0.0.1:${linkServer.addr.port}`,
  });
  const app = createApp("meetings", { logger: memoryLogger(), allowedOrigins: "*" });
  app.use(requireUser(createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET })));
  app.route("/:id/recordings", recordingRoutes({ db, storage, signedUrlTtlSeconds: 600 }));

  const operator = await operatorUser();
  const alice = await clientUser();
  const bob = await clientUser();
  const meeting = await insertMeeting(db, {
    title: 'Revue: "maquettes" / v2',
    clientId: alice.clientId!,
    language: "fr",
  });
  // One recording through the real worker (copied and transcribed), one still pending.
  const done = await insertRecording(db, meeting, { name: `visio-${meeting}` });
  await drain(rig.worker(db, fileSource(FIXTURE), {}, storage), done);
  const pending = await insertRecording(db, meeting, { name: `visio-${meeting}~1` });

  const call = async (method: string, path: string, user: TestUser, headers = {}) => {
    const res = await app.request(`/meetings/${path}`, {
      method,
      headers: { authorization: user.auth, ...headers },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
  };
  return {
    rig,
    call,
    operator,
    alice,
    bob,
    meeting,
    done,
    pending,
    close: async () => {
      await linkServer.shutdown();
      await rig.close();
    },
  };
}

dbTest(
  "recordings are listed for who may see the meeting, with the Recording fields",
  async ({ db }) => {
    const t = await setup(db);
    try {
      const list = await t.call("GET", `${t.meeting}/recordings`, t.alice);
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.map((r: { id: string }) => r.id), [t.done, t.pending]);
      assert.deepEqual(Object.keys(list.json[0]).sort(), [
        "created_at",
        "duration_seconds",
        "id",
        "meeting_id",
        "size_bytes",
        "started_at",
        "status",
        "transcription_error",
        "transcription_language",
        "transcription_status",
      ]);
      assert.equal(list.json[0].status, "ready");
      assert.equal(list.json[0].transcription_status, "completed");
      assert.equal(list.json[0].transcription_language, "fr");
      assert.ok(list.json[0].duration_seconds > 24);
      assert.equal(list.json[1].status, "pending");

      const again = await t.call("GET", `${t.meeting}/recordings`, t.alice, {
        "if-none-match": list.headers.get("etag"),
      });
      assert.equal(again.status, 304);

      assert.equal((await t.call("GET", `${t.meeting}/recordings`, t.operator)).json.length, 2);
      const other = await t.call("GET", `${t.meeting}/recordings`, t.bob);
      assert.equal(other.status, 404);
      assert.equal(other.json.error.code, "not_found");
      const bad = await t.call("GET", `not-a-uuid/recordings`, t.alice);
      assert.equal(bad.status, 400);
    } finally {
      await t.close();
    }
  },
);

dbTest(
  "links are signed for an hour-like TTL, open the files, and carry download names",
  async ({ db }) => {
    const t = await setup(db);
    try {
      const before = Date.now();
      const links = await t.call("GET", `${t.meeting}/recordings/${t.done}/links`, t.alice);
      assert.equal(links.status, 200);
      const expires = Date.parse(links.json.expires_at);
      assert.ok(Math.abs(expires - before - 600_000) < 5_000);
      for (
        const key of ["video_url", "video_download_url", "srt_url", "vtt_url", "srt_download_url"]
      ) {
        assert.match(links.json[key], /\/storage\/v1\/object\/sign\/recordings\/meetings\//, key);
      }
      const video = await fetch(links.json.video_url, { headers: { range: "bytes=0-7" } });
      assert.equal(video.status, 206);
      assert.equal(video.headers.get("content-type"), "video/mp4");
      await video.body?.cancel();
      const vtt = await fetch(links.json.vtt_url);
      assert.match(await vtt.text(), /^WEBVTT\n\n00:00:00\.000 --> /);
      const srtDownload = await fetch(links.json.srt_download_url);
      const disposition = srtDownload.headers.get("content-disposition")!;
      await srtDownload.body?.cancel();
      const name = decodeURIComponent(disposition.split("filename*=UTF-8''")[1]);
      const date = new Date().toISOString().slice(0, 10);
      assert.equal(name, `Revue maquettes v2 – ${date} (1).srt`);
      const videoName = decodeURIComponent(
        (await fetch(links.json.video_download_url, { method: "HEAD" })).headers
          .get("content-disposition")!.split("filename*=UTF-8''")[1],
      );
      assert.equal(videoName, `Revue maquettes v2 – ${date} (1).mp4`);

      // The pending recording has no file yet; another client's user sees nothing at all.
      const pending = await t.call("GET", `${t.meeting}/recordings/${t.pending}/links`, t.alice);
      assert.equal(pending.status, 409);
      assert.equal(pending.json.error.code, "invalid_state");
      const hidden = await t.call("GET", `${t.meeting}/recordings/${t.done}/links`, t.bob);
      assert.equal(hidden.status, 404);
      const elsewhere = await t.call(
        "GET",
        `${crypto.randomUUID()}/recordings/${t.done}/links`,
        t.operator,
      );
      assert.equal(elsewhere.status, 404, "a recording is found only under its own meeting");
    } finally {
      await t.close();
    }
  },
);

dbTest("transcript fields stay null until the transcription completes", async ({ db }) => {
  const t = await setup(db);
  try {
    await db.sql`update visio.meeting_recordings set status = 'uploading' where id = ${t.pending}`;
    await db
      .sql`update visio.meeting_recordings set status = 'ready', video_path = ${`meetings/${t.meeting}/${t.done}.mp4`},
                 transcription_status = 'processing' where id = ${t.pending}`;
    const links = await t.call("GET", `${t.meeting}/recordings/${t.pending}/links`, t.operator);
    assert.equal(links.status, 200);
    assert.ok(links.json.video_url);
    assert.equal(links.json.srt_url, null);
    assert.equal(links.json.vtt_url, null);
    assert.equal(links.json.srt_download_url, null);
  } finally {
    await t.close();
  }
});

dbTest("the transcript is the segments in order, in seconds, with the language", async ({ db }) => {
  const t = await setup(db);
  try {
    const res = await t.call("GET", `${t.meeting}/recordings/${t.done}/transcript`, t.alice);
    assert.equal(res.status, 200);
    assert.equal(res.json.language, "fr");
    const segments = res.json.segments as { start: number; end: number; text: string }[];
    assert.ok(segments.length >= 4);
    assert.deepEqual(Object.keys(segments[0]).sort(), ["end", "start", "text"]);
    assert.equal(segments[0].start, 0);
    segments.forEach((s, i) => {
      assert.ok(s.end > s.start);
      if (i) assert.ok(s.start >= segments[i - 1].end);
    });
    assert.ok(Math.abs(segments.at(-1)!.end - 24.2) < 0.2);

    const notYet = await t.call("GET", `${t.meeting}/recordings/${t.pending}/transcript`, t.alice);
    assert.equal(notYet.status, 409);
    assert.equal(
      (await t.call("GET", `${t.meeting}/recordings/${t.done}/transcript`, t.bob)).status,
      404,
    );
  } finally {
    await t.close();
  }
});

dbTest("only the operator retries, and only a failed transcription", async ({ db }) => {
  const t = await setup(db);
  try {
    await db.sql`update visio.meeting_recordings
                 set transcription_status = 'failed', transcription_attempts = 5,
                     transcription_error = 'Transcription of chunk-0001.m4a failed: HTTP 500'
                 where id = ${t.pending}`;
    const path = `${t.meeting}/recordings/${t.pending}/transcription/retry`;
    const client = await t.call("POST", path, t.alice);
    assert.equal(client.status, 403);
    assert.equal(client.json.error.code, "forbidden");
    assert.equal((await t.call("POST", path, t.bob)).status, 404);

    const retried = await t.call("POST", path, t.operator);
    assert.equal(retried.status, 200);
    assert.equal(retried.json.transcription_status, "pending");
    assert.equal(retried.json.transcription_error, null);
    const row = await recordingRow(db, t.pending);
    assert.equal(row.transcription_attempts, 0);

    const twice = await t.call("POST", path, t.operator);
    assert.equal(twice.status, 409);
    assert.match(twice.json.error.message, /it is pending, not failed/);
    const completed = await t.call(
      "POST",
      `${t.meeting}/recordings/${t.done}/transcription/retry`,
      t.operator,
    );
    assert.equal(completed.status, 409);
  } finally {
    await t.close();
  }
});
