// Supabase Edge Function entry of `openvidu-webhook` (requests arrive at /openvidu-webhook).
// A stored recording starts a worker slice in EdgeRuntime.waitUntil, so the copy begins at
// once; pg_cron picks up whatever that slice leaves.
import { loadConfig } from "../_shared/config.ts";
import { workerFromServices } from "../_shared/pipeline/worker.ts";
import { createServices } from "../_shared/services.ts";
import { edgeBackground } from "../transcribe-recording/edge.ts";
import { createWebhookApp } from "./app.ts";

const config = loadConfig(Deno.env.toObject());
const services = await createServices(config);
const background = edgeBackground();
const worker = background ? workerFromServices(services) : null;
const app = createWebhookApp({
  db: services.db,
  logger: services.logger,
  webhookSecret: config.openvidu.webhookSecret,
  defaultLanguage: config.transcription.language,
  onRecordingReady: background && worker
    ? (recordingId) =>
      background(
        worker.runSlice({ recordingId }).catch((err) =>
          services.logger.error("worker slice failed", { recording_id: recordingId, error: err })
        ),
      )
    : undefined,
});

Deno.serve(app.fetch);
