// Supabase's EdgeRuntime.waitUntil, when the code runs there: it keeps the worker alive for a
// task after the response (within the worker's wall clock). Deno Deploy and local runs have
// none: their work is driven by Deno.cron and the local loop instead.

export function edgeBackground(): ((task: Promise<unknown>) => void) | undefined {
  const runtime = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } })
    .EdgeRuntime;
  return runtime ? (task) => runtime.waitUntil(task) : undefined;
}
