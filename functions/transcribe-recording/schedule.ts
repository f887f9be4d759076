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

/** The cron Deno Deploy runs the worker with (at most 10 per revision on free plans). */
export const WORKER_CRON = { name: "foxeo-visio transcribe-recording", schedule: "* * * * *" };

/**
 * Deno Deploy: run a slice every minute. Call it at the top level of the entry module, before
 * anything is awaited: Deploy discovers crons by evaluating that top level, so the worker is
 * asked for lazily, when a run is due. `target` answers null where something else drives the
 * worker (the local loop). Runs never overlap on Deploy.
 */
export function registerWorkerCron(
  target: () => Promise<{ worker: Worker; logger: Logger } | null>,
  cron: (name: string, schedule: string, handler: () => Promise<void>) => unknown = Deno.cron,
): void {
  cron(WORKER_CRON.name, WORKER_CRON.schedule, async () => {
    const found = await target();
    if (!found) return;
    try {
      const report = await found.worker.runSlice();
      if (report.jobs.length) found.logger.info("worker slice done", { ...report });
    } catch (err) {
      found.logger.error("worker slice failed", { error: err });
    }
  });
}
