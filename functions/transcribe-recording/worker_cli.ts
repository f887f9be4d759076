// The recording worker as a process of its own, configured like the functions (DESIGN §4):
//
//   deno run -A --v8-flags=--expose-gc,--max-semi-space-size=4 \
//     functions/transcribe-recording/worker_cli.ts [--until <recording id>]
//
//   without --until: a loop every WORKER_INTERVAL_MS
//        run slices until that recording is completed or failed, then print a JSON summary
//        (the slices' reports and the process's peak resident memory) and exit
//
//   --slice-ms <n>  time budget of one slice (default 110000)
//   --lease-ms <n>  lease length (default slice + 30 s)
//
// The V8 flags keep the process small: with --expose-gc the worker returns garbage between
// chunks, and a 4 MB young generation stops V8 from growing it to 16 MB per semi-space for
// short-lived buffers. The live heap is ~16 MB; with V8's defaults (as on Supabase Edge and
// Deno Deploy, which take no flags) the same 1 GB run peaks about 20 MB higher (~108 MB
// against ~127 MB in `npm run bench`), garbage not yet collected. Tests and the benchmark run it as a
// child process (WORKER_V8_FLAGS) to kill it or to measure its memory.
import { ConfigError, loadConfig } from "../_shared/config.ts";
import { type JobReport, workerFromServices } from "../_shared/pipeline/worker.ts";
import { createServices } from "../_shared/services.ts";
import { startWorkerLoop } from "./schedule.ts";

/** The V8 flags the worker process runs with. */
export const WORKER_V8_FLAGS = "--expose-gc,--max-semi-space-size=4";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** Peak resident set size of this process (Linux), in kB. */
function peakRssKb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

if (import.meta.main) {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
  const services = await createServices(config);
  const sliceMs = flag("--slice-ms") ? Number(flag("--slice-ms")) : undefined;
  const leaseMs = flag("--lease-ms") ? Number(flag("--lease-ms")) : undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  const worker = workerFromServices(services, { sliceMs, leaseMs, collectGarbage: gc });
  const until = flag("--until");
  if (until) {
    const jobs: JobReport[] = [];
    const started = performance.now();
    let idle = 0;
    while (true) {
      const report = await worker.runSlice({ recordingId: until });
      jobs.push(...report.jobs);
      const last = report.jobs.at(-1)?.outcome;
      if (last === "completed" || last === "failed") break;
      // Nothing claimable (a backoff, or another worker's lease): wait a little.
      idle = report.jobs.length ? 0 : idle + 1;
      if (idle) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * idle)));
    }
    console.log(JSON.stringify({
      recording_id: until,
      jobs,
      ms: Math.round(performance.now() - started),
      peak_rss_kb: peakRssKb(),
    }));
    await services.close();
  } else {
    const loop = startWorkerLoop(worker, {
      intervalMs: config.workerIntervalMs || 2000,
      logger: services.logger,
    });
    console.log(`Recording worker running (every ${config.workerIntervalMs || 2000} ms)`);
    const stop = async () => {
      await loop.stop();
      await services.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  }
}
