// What the local and Deno Deploy entry (functions/main.ts) serves and runs for the recording
// pipeline, in one place:
//
//   const pipeline = pipelineFunctions(services);
//   apps["openvidu-webhook"] = pipeline.apps["openvidu-webhook"];
//   apps["transcribe-recording"] = pipeline.apps["transcribe-recording"];
//   // requests to /storage/* → pipeline.storageApp (local signed links), when not null
//   // Deno Deploy: functions/main.ts registers the worker cron at its top level
//   // on shutdown: await pipeline.stop()
//
// Locally the worker runs in a loop every WORKER_INTERVAL_MS and the webhook wakes it.
import { createLocalStorageApp } from "../_shared/adapters/storage_local.ts";
import { type Worker, workerFromServices } from "../_shared/pipeline/worker.ts";
import type { Services } from "../_shared/services.ts";
import { createWebhookApp } from "../openvidu-webhook/app.ts";
import { createTranscribeApp } from "./app.ts";
import { startWorkerLoop, type WorkerLoop } from "./schedule.ts";

export interface PipelineFunctions {
  apps: {
    "openvidu-webhook": ReturnType<typeof createWebhookApp>;
    "transcribe-recording": ReturnType<typeof createTranscribeApp>;
  };
  /** Serves local signed links under /storage/v1/object/sign/…; null with Supabase Storage. */
  storageApp: ReturnType<typeof createLocalStorageApp> | null;
  worker: Worker;
  /** Stop the local loop (after its current slice). */
  stop(): Promise<void>;
}

export function pipelineFunctions(
  services: Pick<
    Services,
    "config" | "db" | "storage" | "openvidu" | "transcriber" | "logger"
  >,
  options: { loop?: boolean; worker?: Worker } = {},
): PipelineFunctions {
  const { config, logger } = services;
  const worker = options.worker ?? workerFromServices(services);
  const runLoop = (options.loop ?? !config.deployed) && config.workerIntervalMs > 0;
  const loop: WorkerLoop | null = runLoop
    ? startWorkerLoop(worker, { intervalMs: config.workerIntervalMs, logger })
    : null;
  return {
    apps: {
      "openvidu-webhook": createWebhookApp({
        db: services.db,
        logger,
        webhookSecret: config.openvidu.webhookSecret,
        defaultLanguage: config.transcription.language,
        onRecordingReady: loop ? () => loop.wake() : undefined,
      }),
      "transcribe-recording": createTranscribeApp({
        worker,
        serviceKey: config.serviceRoleKey,
        logger,
      }),
    },
    storageApp: config.storage.backend === "local"
      ? createLocalStorageApp({
        dir: config.storage.dir,
        signingSecret: config.serviceRoleKey,
        logger,
      })
      : null,
    worker,
    stop: async () => {
      await loop?.stop();
    },
  };
}
