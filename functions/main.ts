// The entry that serves every function under /functions/v1/<name> (functions/serve.ts):
//
//   Deno Deploy         entrypoint of the app (README, "Deploying to Deno Deploy")
//   npm run functions   locally, configured from the environment (DESIGN §4)
//   npm start           the functions process of the local stack (demo/start.ts)
//
// Supabase Edge Functions do not use it: each function has its own index.ts there.
import type { RunningFunctions } from "./serve.ts";
import { startFunctions } from "./serve.ts";
import { registerWorkerCron } from "./transcribe-recording/schedule.ts";

// First, before anything is awaited or served: Deno Deploy discovers crons by evaluating this
// module's top level, and ignores those registered later, in handlers or in conditionals.
// Deployed, the cron runs one worker slice a minute; locally it finds nothing to do, the
// loop of WORKER_INTERVAL_MS drives the worker (and the webhook wakes it).
const running = Promise.withResolvers<RunningFunctions>();
registerWorkerCron(async () => {
  const { config, served, services } = await running.promise;
  return config.deployed ? { worker: served.worker, logger: services.logger } : null;
});

running.resolve(await startFunctions(Deno.env.toObject()));
