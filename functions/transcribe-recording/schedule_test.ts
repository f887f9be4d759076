import assert from "node:assert/strict";
import { memoryLogger } from "../_shared/log.ts";
import type { SliceReport, Worker } from "../_shared/pipeline/worker.ts";
import { registerWorkerCron, WORKER_CRON } from "./schedule.ts";

function fakeCron() {
  const registered: { name: string; schedule: string; run: () => Promise<void> }[] = [];
  return {
    registered,
    cron: (name: string, schedule: string, run: () => Promise<void>) =>
      void registered.push({ name, schedule, run }),
  };
}

function countingWorker(result: () => Promise<SliceReport>): Worker & { calls: number } {
  const w = {
    owner: "test",
    calls: 0,
    runSlice: () => {
      w.calls++;
      return result();
    },
  };
  return w;
}

Deno.test("the worker cron is registered at once and asks for the worker only when a run is due", async () => {
  const { registered, cron } = fakeCron();
  let asked = 0;
  const worker = countingWorker(() => Promise.resolve({ jobs: [], ms: 0 }));
  const logger = memoryLogger();
  registerWorkerCron(() => {
    asked++;
    return Promise.resolve({ worker, logger });
  }, cron);
  assert.deepEqual(registered.map((r) => [r.name, r.schedule]), [
    [WORKER_CRON.name, WORKER_CRON.schedule],
  ]);
  assert.equal(asked, 0);
  await registered[0].run();
  await registered[0].run();
  assert.equal(asked, 2);
  assert.equal(worker.calls, 2);
});

Deno.test("a cron run does nothing where the local loop drives the worker", async () => {
  const { registered, cron } = fakeCron();
  let asked = 0;
  registerWorkerCron(() => {
    asked++;
    return Promise.resolve(null);
  }, cron);
  await registered[0].run(); // no worker to run, and no error
  assert.equal(asked, 1);
});

Deno.test("a failing slice is logged and does not fail the cron run", async () => {
  const { registered, cron } = fakeCron();
  const logger = memoryLogger();
  const worker = countingWorker(() => Promise.reject(new Error("database unreachable")));
  registerWorkerCron(() => Promise.resolve({ worker, logger }), cron);
  await registered[0].run();
  assert.equal(worker.calls, 1);
  assert.equal(logger.lines.length, 1);
  assert.match(logger.lines[0], /"level":"error".*worker slice failed.*database unreachable/);
});
