// What drives the worker outside Supabase (where pg_cron calls the function, see
// supabase/migrations/20261121000200_worker_schedule.sql):
// - locally, a loop that runs a slice every WORKER_INTERVAL_MS, at once again while there is
//   work, and at once when woken (the webhook wakes it when a recording arrives);
// - on Deno Deploy, `Deno.cron`, registered at the top level of the entry module.
import type { Logger } from "../_shared/log.ts";
import type { Worker } from "../_shared/pipeline/worker.ts";

export interface WorkerLoop {
  /** Run a slice now instead of at the next tick. */
  wake(): void;
  /** Stop after the current slice. */
  stop(): Promise<void>;
}

export function startWorkerLoop(
  worker: Worker,
  options: { intervalMs: number; logger: Logger },
): WorkerLoop {
  let stopped = options.intervalMs <= 0;
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pendingWake) {
        pendingWake = false;
        return resolve();
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  const running = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        const report = await worker.runSlice();
        busy = report.jobs.some((j) => j.outcome === "uploading" || j.outcome === "transcribing");
        if (report.jobs.length) options.logger.info("worker slice done", { ...report });
      } catch (err) {
        options.logger.error("worker slice failed", { error: err });
      }
      if (!stopped && !busy) await sleep(options.intervalMs);
    }
  })();

  return {
    wake() {
      if (wakeUp) wakeUp();
      else pendingWake = true;
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await running;
    },
  };
}

/**
 * Deno Deploy: run a slice every minute. Call at the top level of the entry module (Deploy
 * only registers crons it sees while loading it). Runs never overlap on Deploy.
 */
export function registerWorkerCron(
  worker: Worker,
  logger: Logger,
  schedule = "* * * * *",
): void {
  Deno.cron("foxeo-visio transcribe-recording", schedule, async () => {
    try {
      const report = await worker.runSlice();
      if (report.jobs.length) logger.info("worker slice done", { ...report });
    } catch (err) {
      logger.error("worker slice failed", { error: err });
    }
  });
}
