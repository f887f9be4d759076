// The `transcribe-recording` function (DESIGN §7–§8): called by the scheduler with the
// service key (pg_cron + pg_net on Supabase, Deno.cron on Deno Deploy, a loop locally), it
// runs one bounded slice of the recording worker and answers what it did. With
// `Prefer: respond-async` and a platform that keeps background work alive
// (`EdgeRuntime.waitUntil` on Supabase), it answers 202 at once and works after the answer,
// so pg_net's short timeout never cuts a slice.
import { z } from "zod";
import { createApp } from "../_shared/app.ts";
import { requireSecret } from "../_shared/auth.ts";
import { AppError, parseInput } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import type { Worker } from "../_shared/pipeline/worker.ts";

export interface TranscribeAppDeps {
  worker: Worker;
  /** The service key callers authenticate with (SUPABASE_SERVICE_ROLE_KEY). */
  serviceKey: string;
  logger: Logger;
  /** Keeps a task alive after the answer (Supabase `EdgeRuntime.waitUntil`), when available. */
  background?: (task: Promise<unknown>) => void;
}

const Body = z.strictObject({
  recording_id: z.guid({ error: "must be a UUID" }).optional(),
});

export function createTranscribeApp(deps: TranscribeAppDeps) {
  const app = createApp("transcribe-recording", { logger: deps.logger, allowedOrigins: "*" });

  app.post("/", requireSecret(deps.serviceKey, "service key"), async (c) => {
    const text = await c.req.text();
    let json: unknown = {};
    if (text.trim()) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new AppError("invalid_request", "Request body is not valid JSON");
      }
    }
    const body = parseInput(Body, json, "worker request");
    const recordingId = body.recording_id?.toLowerCase();
    const log = c.get("log");
    const asynchronous = /\brespond-async\b/i.test(c.req.header("prefer") ?? "");
    if (asynchronous && deps.background) {
      deps.background(
        deps.worker.runSlice({ recordingId }).then(
          (report) => log.info("worker slice done", { ...report }),
          (err) => log.error("worker slice failed", { error: err }),
        ),
      );
      return c.json({ accepted: true }, 202);
    }
    const report = await deps.worker.runSlice({ recordingId });
    log.info("worker slice done", { ...report });
    return c.json(report);
  });

  return app;
}
