// The local stack as `npm start` runs it (demo/start.ts, the same command as package.json's
// "start" script), started as a real process tree on free ports in a temporary working
// directory (its own .data/), for the end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = join(ROOT, "node_modules/.bin/deno");

/** The arguments of `npm start`, read from package.json, with paths made absolute. */
export function startCommand() {
  const script = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start;
  const [bin, ...args] = script.split(/\s+/);
  if (bin !== "deno") throw new Error(`npm start is no longer \`deno …\`: ${script}`);
  const entry = args.pop();
  return [DENO, [...args, "--config", join(ROOT, "deno.json"), join(ROOT, entry)]];
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Every process whose parent chain leads to `pid` (Linux /proc). */
export function descendants(pid) {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Start the stack. `ports`: {demo, functions, openvidu, openai}, 0 or absent for free ones.
 * Resolves once it printed its URL, with what it printed; `dir` is reused when given (a
 * restart on the same data).
 */
export async function startStack({ dir, ports = {}, env = {}, timeoutMs = 240_000 } = {}) {
  const cwd = dir ?? mkdtempSync(join(tmpdir(), "foxeo-stack-"));
  const chosen = {
    demo: ports.demo ?? await freePort(),
    functions: ports.functions ?? await freePort(),
    openvidu: ports.openvidu ?? await freePort(),
    openai: ports.openai ?? await freePort(),
  };
  const [command, args] = startCommand();
  const child = spawn(command, args, {
    cwd,
    // Its own process group, so a test can signal the whole tree as a terminal's Ctrl-C does.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: "1",
      DEMO_PORT: String(chosen.demo),
      PORT: String(chosen.functions),
      OPENVIDU_EMULATOR_PORT: String(chosen.openvidu),
      OPENAI_EMULATOR_PORT: String(chosen.openai),
      ...env,
    },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );

  const stack = {
    dir: cwd,
    ports: chosen,
    process: child,
    exited,
    output: () => output,
    url: null,
    /** Ctrl-C in a terminal: SIGINT to the whole process group. */
    interrupt: () => process.kill(-child.pid, "SIGINT"),
    /** Stop (if still running) and remove the working directory unless asked to keep it. */
    async close({ keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid, "SIGINT");
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // gone
          }
        }, 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keep) rmSync(cwd, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /Open:\s+(http:\/\/127\.0\.0\.1:\d+)\/\s/.exec(output);
    if (m) {
      stack.url = m[1];
      return stack;
    }
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stack.close({ keep: !!dir });
  throw new Error(`The stack did not start. Its output:\n${output}`);
}
