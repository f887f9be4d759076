// The pipeline as the local entry serves it: the webhook wakes the local loop, the loop
// completes the recording, and the local storage app serves its signed links.
import assert from "node:assert/strict";
import type { OpenViduClient } from "../_shared/adapters/openvidu.ts";
import { loadConfig } from "../_shared/config.ts";
import { createStorage } from "../_shared/services.ts";
import { memoryLogger } from "../_shared/log.ts";
import { FIXTURE } from "../_shared/pipeline/test_media.ts";
import {
  fileSource,
  insertMeeting,
  OPENAI_KEY,
  recordingRow,
} from "../_shared/pipeline/test_support.ts";
import { startOpenAIEmulator } from "../../demo/emulators/openai/mod.ts";
import { createOpenAITranscriber } from "../_shared/adapters/transcriber.ts";
import { workerFromServices } from "../_shared/pipeline/worker.ts";
import { dbTest, eventually } from "../_shared/testing.ts";
import { functionsHandler } from "../serve.ts";
import { pipelineFunctions } from "./mount.ts";

dbTest(
  "locally, a webhook wakes the worker loop and the links are served by the local server",
  async ({ db }) => {
    const dir = await Deno.makeTempDir({ prefix: "foxeo-mount-" });
    let handler: (r: Request) => Response | Promise<Response> = () =>
      new Response(null, { status: 503 });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (r) => handler(r),
    );
    const openai = await startOpenAIEmulator({ apiKey: OPENAI_KEY });
    try {
      const config = loadConfig({
        PORT: String(server.addr.port),
        STORAGE_DIR: dir,
        WORKER_INTERVAL_MS: "60000",
        OPENVIDU_WEBHOOK_SECRET: "mount-test-webhook-secret",
      });
      const services = {
        config,
        db,
        storage: await createStorage(config),
        openvidu: fileSource(FIXTURE) as unknown as OpenViduClient,
        transcriber: createOpenAITranscriber({
          apiKey: OPENAI_KEY,
          baseUrl: openai.url,
          model: "whisper-1",
        }),
        logger: memoryLogger(),
      };
      // The real worker, kept to this test's recording (the database is shared with other
      // tests' rows, which the loop would otherwise pick up).
      const real = workerFromServices(services, {
        backoffMs: () => 0,
      });
      let meeting: string | undefined;
      const slices: (string | undefined)[] = [];
      const pipeline = pipelineFunctions(services, {
        worker: {
          owner: real.owner,
          runSlice: async () => {
            const [row] = meeting
              ? await db.sql`select id from visio.meeting_recordings where meeting_id = ${meeting}`
              : [];
            slices.push(row?.id);
            return row ? await real.runSlice({ recordingId: row.id }) : { jobs: [], ms: 0 };
          },
        },
      });
      try {
        const functions = functionsHandler(pipeline.apps);
        handler = (r) =>
          new URL(r.url).pathname.startsWith("/storage/")
            ? pipeline.storageApp!.fetch(r)
            : functions(r);

        meeting = await insertMeeting(db);
        const session = `visio-${meeting}`;
        const res = await fetch(
          `http://127.0.0.1:${server.addr.port}/functions/v1/openvidu-webhook`,
          {
            method: "POST",
            headers: {
              authorization: "Bearer mount-test-webhook-secret",
              "content-type": "application/json",
            },
            body: JSON.stringify({
              sessionId: session,
              timestamp: Date.now(),
              startTime: Date.now() - 30_000,
              duration: 24.2,
              reason: "recordingStoppedByServer",
              id: session,
              name: session,
              outputMode: "COMPOSED",
              hasAudio: true,
              hasVideo: true,
              size: (await Deno.stat(FIXTURE)).size,
              status: "ready",
              event: "recordingStatusChanged",
            }),
          },
        );
        const { recording_id: id } = await res.json();
        assert.equal(res.status, 200);
        // The loop sleeps for a minute between slices: only the webhook's wake-up can do this.
        const row = await eventually(async () => {
          const r = await recordingRow(db, id);
          return r.transcription_status === "completed" ? r : null;
        }, { what: "the loop to complete the recording", timeoutMs: 20_000 });

        assert.ok(slices.includes(id), "a slice ran for the recording after the webhook");
        const link = await services.storage.signedUrl(row.vtt_path, { expiresIn: 60 });
        assert.ok(link.startsWith(`http://127.0.0.1:${server.addr.port}/storage/v1/object/sign/`));
        const vtt = await fetch(link);
        assert.equal(vtt.status, 200);
        assert.match(await vtt.text(), /^WEBVTT/);
      } finally {
        await pipeline.stop();
      }
    } finally {
      await openai.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
