// `npm start`: the whole local stack in one process tree, and ONE URL to open.
//
//   this process            the demo pages (demo/server/), and the supervisor of:
//   ├─ functions/main.ts    every function under /functions/v1/<name>, embedded PGlite in
//   │                       .data/pglite, local storage in .data/storage, the worker loop
//   ├─ OpenVidu emulator    demo/emulators/openvidu (unless OPENVIDU_URL is set)
//   └─ OpenAI emulator      demo/emulators/openai (unless OPENAI_API_KEY is set)
//
// Ctrl-C (or SIGTERM) stops every process and frees every port; the data stays in .data/ for
// the next start. Ports: DEMO_PORT 54320, PORT 54321, OPENVIDU_EMULATOR_PORT 54330,
// OPENAI_EMULATOR_PORT 54331 (0 picks a free port).
import { fileURLToPath } from "node:url";
import { type Config, ConfigError, loadConfig } from "../functions/_shared/config.ts";
import { createDemoApp } from "./server/app.ts";
import type { StackInfo } from "./server/pages.ts";
import { createTokenMinter } from "./server/tokens.ts";
import {
  functionsEnv,
  functionsUrl,
  openaiEmulatorEnv,
  openviduEmulatorEnv,
  type StackConfig,
  stackConfig,
  StackConfigError,
  type StackPorts,
} from "./stack/config.ts";
import { prepareEmbeddedDatabase } from "./stack/database.ts";
import { claimPorts, PortInUseError } from "./stack/ports.ts";
import {
  ServiceFailedError,
  type ServiceProcess,
  spawnService,
  waitForHttp,
} from "./stack/processes.ts";
import { buildWidget, widgetBuildReason } from "./stack/widget_build.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

class Stack {
  readonly children: ServiceProcess[] = [];
  readonly building = new AbortController();
  server: Deno.HttpServer | null = null;
  #stopping: Promise<void> | null = null;

  /** Stop the demo server and every child, each given a few seconds to finish. */
  stop(): Promise<void> {
    return this.#stopping ??= (async () => {
      this.building.abort();
      await this.server?.shutdown().catch(() => {});
      await Promise.all(this.children.map((c) => c.stop()));
    })();
  }
}

/**
 * Ctrl-C in a terminal signals the whole process group: a child may exit before this process
 * has handled its own signal. Give that signal a moment before calling an exit a failure.
 */
const groupSignalGrace = () => new Promise((r) => setTimeout(r, 1000));

function fail(message: string, code = 1): never {
  console.error(`\n${message}\n`);
  Deno.exit(code);
}

function describeStack(config: StackConfig, fn: Config): StackInfo {
  const ports = config.ports;
  return {
    functionsUrl: functionsUrl(ports),
    demoUrl: `http://127.0.0.1:${ports.demo}`,
    database: fn.databaseUrl
      ? "PostgreSQL from DATABASE_URL"
      : "PostgreSQL embarqué (PGlite) dans .data/pglite",
    storage: fn.storage.backend === "local"
      ? `dossier local ${fn.storage.dir}`
      : `Supabase Storage (${fn.supabaseUrl})`,
    openvidu: config.emulate.openvidu
      ? { emulated: true, where: `émulateur OpenVidu 2.32, port ${ports.openvidu}` }
      : { emulated: false, where: `serveur OpenVidu ${new URL(fn.openvidu.url).host}` },
    openai: config.emulate.openai
      ? { emulated: true, where: `émulateur de l'API de transcription, port ${ports.openai}` }
      : {
        emulated: false,
        where: fn.openai.baseUrl ? new URL(fn.openai.baseUrl).host : "api.openai.com",
      },
  };
}

function banner(config: StackConfig, fn: Config, info: StackInfo, seeded: boolean): string {
  const p = config.ports;
  const rows = [
    [
      "OpenVidu",
      config.emulate.openvidu
        ? `EMULATED (demo/emulators/openvidu, port ${p.openvidu})`
        : "real server from OPENVIDU_URL",
    ],
    [
      "OpenAI",
      config.emulate.openai
        ? `EMULATED (demo/emulators/openai, port ${p.openai})`
        : "real API from OPENAI_API_KEY",
    ],
    [
      "functions",
      `meetings, openvidu-webhook, transcribe-recording on port ${p.functions} (/functions/v1/<name>)`,
    ],
    [
      "database",
      fn.databaseUrl
        ? "PostgreSQL from DATABASE_URL"
        : `embedded PostgreSQL (PGlite) in .data/pglite${seeded ? ", created and seeded now" : ""}`,
    ],
    [
      "storage",
      fn.storage.backend === "local" ? fn.storage.dir : "Supabase Storage (SUPABASE_URL)",
    ],
    ["logs", ".data/logs/"],
  ];
  return [
    "",
    "Foxeo Visio is running. Open:",
    "",
    `    ${info.demoUrl}/`,
    "",
    ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`),
    "",
    "Ctrl-C stops everything; the data stays in .data/ for the next start.",
    "",
  ].join("\n");
}

async function main() {
  const env = Deno.env.toObject();
  let config: StackConfig;
  try {
    config = stackConfig(env, Deno.cwd());
  } catch (err) {
    if (err instanceof StackConfigError) fail(`Cannot start: ${err.message}`, 2);
    throw err;
  }
  // The functions' own configuration, checked here so a bad value stops the start at once.
  let fn: Config;
  try {
    fn = loadConfig(functionsEnv(config, env));
  } catch (err) {
    if (err instanceof ConfigError) fail(`Cannot start the functions: ${err.message}`, 2);
    throw err;
  }
  const used: (keyof StackPorts)[] = ["demo", "functions"];
  if (config.emulate.openvidu) used.push("openvidu");
  if (config.emulate.openai) used.push("openai");
  try {
    config.ports = claimPorts(config.ports, used);
  } catch (err) {
    if (err instanceof PortInUseError) fail(`Cannot start: ${err.message}`);
    throw err;
  }
  const stack = new Stack();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.log("\nStopping…");
    stack.stop().then(() => {
      console.log("Stopped.");
      Deno.exit(0);
    });
  };
  Deno.addSignalListener("SIGINT", onSignal);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal);

  const logs = `${config.dataDir}/logs`;
  await Deno.mkdir(logs, { recursive: true });

  const reason = await widgetBuildReason(ROOT);
  if (reason) {
    console.log(`Building the widget (${reason})…`);
    const started = Date.now();
    try {
      await buildWidget(ROOT, `${logs}/widget-build.log`, stack.building.signal);
    } catch (err) {
      if (interrupted) return;
      fail((err as Error).message);
    }
    console.log(`Built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }
  let seeded = false;
  if (!fn.databaseUrl) {
    seeded = await prepareEmbeddedDatabase(config.dataDir);
  }
  if (interrupted) return;

  const deno = Deno.execPath();
  const program = (path: string) => ["run", "-A", "--config", `${ROOT}deno.json`, `${ROOT}${path}`];
  const notable = (line: string) => console.error(line);
  const spawn = (name: string, path: string, childEnv: Record<string, string>) =>
    spawnService({
      name,
      command: deno,
      args: program(path),
      env: childEnv,
      cwd: Deno.cwd(),
      logFile: `${logs}/${name}.log`,
      onNotable: notable,
    }).then((child) => {
      stack.children.push(child);
      return child;
    });

  const ready: Promise<void>[] = [];
  const p = config.ports;
  if (config.emulate.openvidu) {
    const child = await spawn(
      "openvidu-emulator",
      "demo/emulators/openvidu/main.ts",
      openviduEmulatorEnv(config, env),
    );
    ready.push(waitForHttp(`http://127.0.0.1:${p.openvidu}/emulator`, child, 60_000));
  }
  if (config.emulate.openai) {
    const child = await spawn(
      "openai-emulator",
      "demo/emulators/openai/main.ts",
      openaiEmulatorEnv(config, env),
    );
    ready.push(waitForHttp(`http://127.0.0.1:${p.openai}/`, child, 60_000));
  }
  const functions = await spawn("functions", "functions/main.ts", functionsEnv(config, env));
  ready.push(waitForHttp(`${functionsUrl(p)}/meetings`, functions, 180_000));

  try {
    await Promise.all(ready);
  } catch (err) {
    await groupSignalGrace();
    if (interrupted) return;
    if (err instanceof ServiceFailedError) {
      await stack.stop();
      fail(
        `Cannot start: ${err.message}. Its last lines (all in .data/logs/${err.service.name}.log):\n` +
          err.service.tail().slice(-15).map((l) => `  ${l}`).join("\n"),
      );
    }
    throw err;
  }
  if (interrupted) return;

  const info = describeStack(config, fn);
  const app = createDemoApp({
    stack: info,
    minter: createTokenMinter({ jwtSecret: config.jwtSecret, issuer: info.demoUrl }),
    distDir: `${ROOT}dist`,
    publicDir: `${ROOT}demo/public`,
    emulators: {
      openvidu: config.emulate.openvidu ? `http://127.0.0.1:${p.openvidu}` : null,
      openai: config.emulate.openai ? `http://127.0.0.1:${p.openai}` : null,
    },
  });
  try {
    stack.server = Deno.serve(
      { hostname: "127.0.0.1", port: p.demo, onListen: () => {} },
      app.fetch,
    );
  } catch (err) {
    await stack.stop();
    if (err instanceof Deno.errors.AddrInUse) {
      fail(`Cannot start: ${new PortInUseError("demo", p.demo).message}`);
    }
    throw err;
  }
  console.log(banner(config, fn, info, seeded));

  // A service that stops on its own takes the stack down, saying which and why.
  const first = await Promise.race(
    stack.children.map((c) => c.status.then((status) => ({ child: c, status }))),
  );
  await groupSignalGrace();
  if (interrupted) return;
  interrupted = true;
  await stack.stop();
  fail(
    `${first.child.name} stopped unexpectedly (exit code ${first.status.code}); everything was stopped. ` +
      `Its last lines (all in .data/logs/${first.child.name}.log):\n` +
      first.child.tail().slice(-15).map((l) => `  ${l}`).join("\n"),
  );
}

if (import.meta.main) await main();
