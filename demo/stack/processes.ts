// The child processes of `npm start`: each service's output goes to its log file in
// `.data/logs/`, and to the console only when it matters (errors and warnings); stopping sends
// SIGTERM, waits, then kills, so nothing outlives the stack.

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Resolves when the process has exited, with its status. */
  status: Promise<Deno.CommandStatus>;
  /** The last lines it wrote (for a failure message). */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Idempotent. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

export interface SpawnOptions {
  name: string;
  /** Program and arguments. */
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  /** Lines worth showing on the console (already prefixed with the service name). */
  onNotable(line: string): void;
}

const TAIL = 40;

/** What the Deno runtime itself prints on stderr that says nothing about the stack. */
const RUNTIME_NOTICES = [/^Deno\.serve: request\.signal aborts on successful responses/];

/** A log line worth the console: a JSON log at warn or error, or any line on stderr. */
export function isNotable(line: string, stream: "stdout" | "stderr"): boolean {
  const text = line.trim();
  if (!text) return false;
  if (text.startsWith("{")) {
    try {
      const level = JSON.parse(text).level;
      return level === "warn" || level === "error";
    } catch {
      // not JSON: judged by its stream
    }
  }
  return stream === "stderr" && !RUNTIME_NOTICES.some((r) => r.test(text));
}

/** A short console form of a log line: the message of a JSON log, the line itself otherwise. */
export function consoleForm(line: string): string {
  const text = line.trim();
  if (text.startsWith("{")) {
    try {
      const { level, msg, error, message, code, path, status } = JSON.parse(text);
      const detail = [message, code, path, status, error?.message].filter((x) => x !== undefined)
        .join(" ");
      return `${level}: ${msg}${detail ? ` (${detail})` : ""}`;
    } catch {
      // fall through
    }
  }
  return text;
}

export async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  const log = await Deno.open(options.logFile, { create: true, write: true, truncate: true });
  const encoder = new TextEncoder();
  const recent: string[] = [];
  const child = new Deno.Command(options.command, {
    args: options.args,
    env: options.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const pump = async (
    stream: ReadableStream<Uint8Array<ArrayBuffer>>,
    kind: "stdout" | "stderr",
  ) => {
    let pending = "";
    const handle = async (line: string) => {
      recent.push(line);
      if (recent.length > TAIL) recent.shift();
      await log.write(encoder.encode(`${line}\n`));
      if (isNotable(line, kind)) options.onNotable(`[${options.name}] ${consoleForm(line)}`);
    };
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        await handle(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
      }
    }
    if (pending) await handle(pending);
  };
  const drained = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")])
    .catch(() => {});
  const status = child.status.then(async (s) => {
    await drained;
    log.close();
    return s;
  });

  let stopping: Promise<Deno.CommandStatus> | null = null;
  let exited = false;
  status.then(() => (exited = true));
  return {
    name: options.name,
    pid: child.pid,
    status,
    tail: () => [...recent],
    stop: (graceMs = 5000) =>
      stopping ??= (async () => {
        if (exited) return await status;
        signal(child, "SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            signal(child, "SIGKILL");
            resolve();
          }, graceMs);
        });
        await Promise.race([status, killed]);
        clearTimeout(timer);
        return await status;
      })(),
  };
}

function signal(child: Deno.ChildProcess, sig: Deno.Signal) {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

/** Wait until `url` answers HTTP (any status), or fail when the process exits first. */
export async function waitForHttp(
  url: string,
  service: ServiceProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  service.status.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) {
      const s = await service.status;
      throw new ServiceFailedError(service, `exited with code ${s.code} while starting`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new ServiceFailedError(service, `did not answer at ${url} within ${timeoutMs / 1000} s`);
}

export class ServiceFailedError extends Error {
  override name = "ServiceFailedError";
  constructor(readonly service: ServiceProcess, what: string) {
    super(`${service.name} ${what}`);
  }
}
