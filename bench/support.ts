// What the Deno bench parts share: figures, percentiles, the bench's PostgreSQL database, and
// the processes a part starts (the served functions, the OpenVidu emulator).
import postgres from "postgres";

export type Unit = "ms" | "bytes" | "MB" | "MB/s" | "ratio" | "count" | "req/s";
export type Results = Record<string, { value: number; unit: Unit; label: string }>;

export const ROOT = new URL("../", import.meta.url).pathname;
export const WORK = `${ROOT}bench/.work`;

/** Nearest-rank percentile (p in 0–100) of some samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: readonly number[]) => percentile(xs, 50);

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The output path a part was given (its only argument), or a usage message and exit 2. */
export function outputPath(usage: string): string {
  const out = Deno.args[0];
  if (!out) {
    console.error(`usage: ${usage} <output.json>`);
    Deno.exit(2);
  }
  return out;
}

/** A part's figures, and `put` to record one. */
export function resultsRecorder() {
  const results: Results = {};
  const put = (
    key: string,
    value: number,
    unit: Unit,
    label: string,
  ) => (results[key] = { value, unit, label });
  return { results, put };
}

/** The backends a part runs on, from `variable` (comma-separated; default both). */
export function benchBackends(variable: string): ("pglite" | "postgres")[] {
  return (Deno.env.get(variable) ?? "pglite,postgres").split(",")
    .map((b) => b.trim()).filter(Boolean) as ("pglite" | "postgres")[];
}

export async function writeResults(out: string, title: string, results: Results) {
  await Deno.writeTextFile(out, JSON.stringify(results, null, 2) + "\n");
  console.log(`\n${title}`);
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [key, r] of Object.entries(results)) {
    console.log(
      `  ${key.padEnd(width)} ${String(r.value).padStart(12)} ${r.unit.padEnd(6)} ${r.label}`,
    );
  }
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

/** The local server's default credentials, as in the README and CI. */
export const DEFAULT_BENCH_DATABASE_URL = "postgres://postgres:postgres@127.0.0.1:5432/foxeo_bench";

/**
 * The database the bench owns (BENCH_DATABASE_URL, default foxeo_bench on the local server),
 * created when it does not exist yet. Parts empty and refill its visio tables: never point it
 * at a database whose data matters.
 */
export async function benchDatabaseUrl(): Promise<string> {
  const url = Deno.env.get("BENCH_DATABASE_URL") || DEFAULT_BENCH_DATABASE_URL;
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(`BENCH_DATABASE_URL must name a database (letters, digits, _): ${name}`);
  }
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql`select 1 as found from pg_database where datname = ${name}`;
    if (!row) {
      await sql.unsafe(`create database "${name}"`);
      console.log(`created the bench database ${name}`);
    }
  } catch (err) {
    throw new Error(
      `PostgreSQL at ${admin.host} is needed for this part (BENCH_DATABASE_URL): ${
        (err as Error).message
      }`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  return url;
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

export interface Child {
  /** The process's own lines (its log), kept for the error message when it fails. */
  log(): string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Start `deno run -A <script>` with a clean environment plus `env`. Its output is drained
 * into memory (the last 200 lines); `ready` finds, in its stdout lines, what the caller waits
 * for. Resolves once `ready` returned a value.
 */
export async function startDeno<T>(
  script: string,
  options: {
    env: Record<string, string>;
    cwd?: string;
    v8Flags?: string;
    /** More `deno run` flags, e.g. ["--cpu-prof", "--cpu-prof-dir=…"] to profile it. */
    denoArgs?: string[];
    ready: (line: string) => T | undefined;
    timeoutMs?: number;
  },
): Promise<Child & { value: T }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.v8Flags ? [`--v8-flags=${options.v8Flags}`] : []),
      ...(options.denoArgs ?? []),
      script,
    ],
    cwd: options.cwd ?? ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      ...options.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let resolveReady: (v: T) => void;
  const readyValue = new Promise<T>((r) => (resolveReady = r));
  let found = false;
  const drain = async (stream: ReadableStream<Uint8Array>, watch: boolean) => {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      const parts = (rest + decoder.decode(bytes, { stream: true })).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (watch && !found) {
          const v = options.ready(line);
          if (v !== undefined) {
            found = true;
            resolveReady(v);
          }
        }
      }
    }
  };
  const drained = Promise.all([drain(child.stdout, true), drain(child.stderr, false)]);
  const log = () => lines.join("\n");
  const exited = child.status.then((s) => {
    throw new Error(`${script} exited (code ${s.code}) before it was ready:\n${log()}`);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${script} was not ready after ${options.timeoutMs ?? 120_000} ms`)),
      options.timeoutMs ?? 120_000,
    );
  });
  let value: T;
  try {
    value = await Promise.race([readyValue, exited, timeout]);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await drained.catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  exited.catch(() => {}); // a later exit is reported by stop()
  return {
    value,
    pid: child.pid,
    log,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await child.status;
      clearTimeout(killer);
      await drained.catch(() => {});
    },
  };
}

/** The OpenVidu EMULATOR as its own process (no added latency), on a free port. */
export function startEmulatorProcess(secret: string) {
  return startDeno("demo/emulators/openvidu/main.ts", {
    env: { PORT: "0", OPENVIDU_SECRET: secret, OPENVIDU_RECORDING: "true" },
    ready: (line) => /REST API (http:\/\/[^/\s]+)\/openvidu\/api/.exec(line)?.[1],
  });
}

export interface BenchServer {
  /** Base of the functions: http://127.0.0.1:<port>/functions/v1 */
  functions: string;
  /** The bench-only control server of bench/api_server.ts (seed, direct SQL, counts). */
  control: string;
  backend: "pglite" | "postgres";
}

/**
 * bench/api_server.ts: the functions served as functions/serve.ts serves them, on PGlite
 * (embedded, in the server process, in `workDir`) or on PostgreSQL (`databaseUrl`).
 */
export function startFunctionsProcess(options: {
  databaseUrl: string | null;
  workDir: string;
  env: Record<string, string>;
}) {
  return startDeno<BenchServer>(`${ROOT}bench/api_server.ts`, {
    cwd: options.workDir,
    // BENCH_SERVER_DENO_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the functions.
    denoArgs: Deno.env.get("BENCH_SERVER_DENO_ARGS")?.split(" ").filter(Boolean),
    env: {
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      WORKER_INTERVAL_MS: "0",
      ...options.env,
    },
    ready: (line) => {
      if (!line.startsWith('{"bench_server"')) return undefined;
      return JSON.parse(line).bench_server as BenchServer;
    },
    timeoutMs: 180_000,
  });
}

/** POST JSON to the control server; throws on a non-2xx answer. */
export async function control<T>(server: BenchServer, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${server.control}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Load average of the machine (1, 5, 15 min), for the report next to the figures. */
export function loadAverage(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server processes serving a database's connections of `application`. */
export async function backendPids(databaseUrl: string, application: string): Promise<number[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows =
      await sql`select pid from pg_stat_activity where application_name = ${application}`;
    return rows.map((r) => Number(r.pid));
  } finally {
    await sql.end({ timeout: 5 });
  }
}
