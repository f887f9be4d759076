// The whole path over HTTP, as deployed: a meeting is started and joined on the OpenVidu
// emulator, its automatic recording stops when the operator ends it, OpenVidu's webhook
// reaches the openvidu-webhook function, the transcribe-recording function (called like the
// scheduler calls it) copies the file through the real OpenVidu client and transcribes it
// through the real OpenAI SDK, and the user reads recordings, links and transcript from the
// meetings function. One OpenVidu 404 on the file and one OpenAI 429 are injected on the way.
import assert from "node:assert/strict";
import { startOpenAIEmulator } from "../../demo/emulators/openai/mod.ts";
import { startOpenViduEmulator } from "../../demo/emulators/openvidu/mod.ts";
import { createTokenVerifier } from "../_shared/auth.ts";
import { createOpenViduClient } from "../_shared/adapters/openvidu.ts";
import { createLocalStorage, createLocalStorageApp } from "../_shared/adapters/storage_local.ts";
import { createOpenAITranscriber } from "../_shared/adapters/transcriber.ts";
import { DEV_DEFAULTS } from "../_shared/config.ts";
import { memoryLogger } from "../_shared/log.ts";
import { FIXTURE } from "../_shared/pipeline/test_media.ts";
import { sha256 } from "../_shared/pipeline/test_support.ts";
import { createWorker } from "../_shared/pipeline/worker.ts";
import { clientUser, dbTest, operatorUser, type TestUser } from "../_shared/testing.ts";
import { functionsHandler } from "../serve.ts";
import { createMeetingsApp } from "../meetings/app.ts";
import { createWebhookApp } from "../openvidu-webhook/app.ts";
import { createTranscribeApp } from "./app.ts";

const OPENVIDU_SECRET = `ov-${crypto.randomUUID()}`;
const WEBHOOK_SECRET = `wh-${crypto.randomUUID()}`;
const SERVICE_KEY = `svc-${crypto.randomUUID()}`;
const OPENAI_KEY = `sk-${crypto.randomUUID()}`;

dbTest(
  "a recording goes from OpenVidu's webhook to a completed transcript over HTTP",
  async ({ db }) => {
    const dir = await Deno.makeTempDir({ prefix: "foxeo-whole-path-" });
    const logger = memoryLogger([OPENVIDU_SECRET, WEBHOOK_SECRET, SERVICE_KEY, OPENAI_KEY]);
    let handler: (req: Request) => Response | Promise<Response> = () =>
      new Response(null, { status: 503 });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => handler(req),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const openvidu = await startOpenViduEmulator({
      secret: OPENVIDU_SECRET,
      webhookUrl: `${base}/functions/v1/openvidu-webhook`,
      webhookHeaders: [`Authorization: Bearer ${WEBHOOK_SECRET}`],
      recordingFile: FIXTURE,
      log: () => {},
    });
    const openai = await startOpenAIEmulator({ apiKey: OPENAI_KEY, retryAfterSeconds: 0 });
    try {
      const verifyToken = createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET });
      const openviduClient = createOpenViduClient({ url: openvidu.url, secret: OPENVIDU_SECRET });
      const storage = createLocalStorage({ dir, signingSecret: SERVICE_KEY, publicUrl: base });
      const worker = createWorker({
        db,
        storage,
        source: openviduClient,
        transcriber: createOpenAITranscriber({
          apiKey: OPENAI_KEY,
          baseUrl: openai.url,
          model: "whisper-1",
          maxRetries: 2,
        }),
        logger,
        options: {
          backoffMs: () => 0,
          chunks: { maxSeconds: 10, searchSeconds: 4 },
        },
      });
      const functions = functionsHandler({
        meetings: createMeetingsApp({
          db,
          verifyToken,
          openvidu: openviduClient,
          storage,
          logger,
          allowedOrigins: "*",
        }),
        "openvidu-webhook": createWebhookApp({
          db,
          logger,
          webhookSecret: WEBHOOK_SECRET,
          defaultLanguage: "fr",
        }),
        "transcribe-recording": createTranscribeApp({ worker, serviceKey: SERVICE_KEY, logger }),
      });
      const links = createLocalStorageApp({ dir, signingSecret: SERVICE_KEY, logger });
      handler = (req) =>
        new URL(req.url).pathname.startsWith("/storage/") ? links.fetch(req) : functions(req);

      const call = async (method: string, path: string, user: TestUser | null, body?: unknown) => {
        const res = await fetch(`${base}/functions/v1/${path}`, {
          method,
          headers: {
            ...(user ? { authorization: user.auth } : { apikey: SERVICE_KEY }),
            ...(body ? { "content-type": "application/json" } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, json: await res.json() };
      };

      // A meeting is held and recorded (ALWAYS mode: from the first publish).
      const operator = await operatorUser();
      const alice = await clientUser();
      const created = await call("POST", "meetings", operator, {
        title: "Point d'étape",
        client_id: alice.clientId,
      });
      assert.equal(created.status, 201);
      const meetingId = created.json.id;
      assert.equal((await call("POST", `meetings/${meetingId}/start`, operator)).status, 200);
      const token = await call("POST", `meetings/${meetingId}/token`, alice);
      assert.equal(token.status, 200);
      await openvidu.join(token.json.session_id, { token: token.json.token, publish: true });
      await openvidu.webhooksIdle();

      // Faults on the way: OpenVidu 404s the file once, OpenAI rate-limits once.
      openvidu.failNext("GET /openvidu/recordings/*/*", { status: 404 });
      openai.failNext("429");

      assert.equal((await call("POST", `meetings/${meetingId}/end`, operator)).status, 200);
      await openvidu.webhooksIdle();
      const deliveries = openvidu.webhookLog();
      const ready = deliveries.find((d) =>
        d.payload.event === "recordingStatusChanged" && d.payload.status === "ready"
      );
      assert.ok(ready, "OpenVidu sent the ready event");
      assert.ok(deliveries.every((d) => d.status === 200), "every webhook was answered 200");

      const listed = await call("GET", `meetings/${meetingId}/recordings`, alice);
      assert.equal(listed.json.length, 1);
      assert.equal(listed.json[0].status, "pending");
      const recordingId = listed.json[0].id;

      // The worker function, called as the scheduler calls it until the recording settles
      // (narrowed to this recording: the test database is shared with other tests' rows).
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++) {
        const slice = await call("POST", "transcribe-recording", null, {
          recording_id: recordingId,
        });
        assert.equal(slice.status, 200);
        outcomes.push(...slice.json.jobs.map((j: { outcome: string }) => j.outcome));
        if (outcomes.at(-1) === "completed") break;
      }
      assert.deepEqual(outcomes, ["retrying", "completed"], "the 404 cost one retry");

      const [rec] = (await call("GET", `meetings/${meetingId}/recordings`, alice)).json;
      assert.equal(rec.status, "ready");
      assert.equal(rec.transcription_status, "completed");
      assert.equal(rec.size_bytes, (await Deno.stat(FIXTURE)).size);

      const transcript = await call(
        "GET",
        `meetings/${meetingId}/recordings/${recordingId}/transcript`,
        alice,
      );
      assert.equal(transcript.status, 200);
      assert.equal(transcript.json.language, "fr");
      const segments = transcript.json.segments;
      assert.equal(segments[0].start, 0);
      assert.ok(Math.abs(segments.at(-1).end - 24.2) < 0.2);

      const signed = await call(
        "GET",
        `meetings/${meetingId}/recordings/${recordingId}/links`,
        alice,
      );
      const video = new Uint8Array(await (await fetch(signed.json.video_url)).arrayBuffer());
      assert.equal(await sha256(video), await sha256(await Deno.readFile(FIXTURE)));
      const srt = await (await fetch(signed.json.srt_url)).text();
      assert.match(srt, /^1\n00:00:00,000 --> /);

      assert.deepEqual(openai.requests.map((r) => r.status).slice(0, 2), [429, 200]);
      for (const r of openai.requests) {
        if (r.streams) assert.deepEqual(r.streams, ["audio"]);
      }
      const logs = logger.lines.join("\n");
      for (const secret of [OPENVIDU_SECRET, WEBHOOK_SECRET, SERVICE_KEY, OPENAI_KEY]) {
        assert.ok(!logs.includes(secret));
      }
    } finally {
      await openai.close();
      await openvidu.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
