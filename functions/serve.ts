// Every function behind one HTTP server, under /functions/v1/<name>: the URL layout of
// Supabase, so the widget and OpenVidu's webhook use the same paths everywhere. Each
// function's app keeps its own base path (/<name>), exactly as on Supabase Edge Functions:
// the prefix is stripped and the request handed to that app. functions/main.ts (Deno Deploy,
// `npm run functions`, and the functions process of `npm start`) runs it.
import { type Config, ConfigError, loadConfig } from "./_shared/config.ts";
import { AppError, errorBody } from "./_shared/errors.ts";
import type { Worker } from "./_shared/pipeline/worker.ts";
import { createServices, type Services } from "./_shared/services.ts";
import { createMeetingsApp } from "./meetings/app.ts";
import { pipelineFunctions } from "./transcribe-recording/mount.ts";

export interface FunctionApp {
  fetch(request: Request): Response | Promise<Response>;
}

export const FUNCTIONS_PREFIX = "/functions/v1";

export interface ServedFunctions {
  /** The functions served by this entry, by name. */
  apps: Record<string, FunctionApp>;
  /** Every request: /functions/v1/<name>/… to its function, /storage/… to local signed links. */
  handler(request: Request): Response | Promise<Response>;
  /** The recording worker (driven by the local loop, or by Deno.cron on Deno Deploy). */
  worker: Worker;
  /** Stop background work (the local worker loop). */
  stop(): Promise<void>;
}

export function buildFunctions(services: Services): ServedFunctions {
  const { config } = services;
  const pipeline = pipelineFunctions(services);
  const apps: Record<string, FunctionApp> = {
    meetings: createMeetingsApp({
      db: services.db,
      verifyToken: services.verifyToken,
      openvidu: services.openvidu,
      storage: services.storage,
      signedUrlTtlSeconds: config.storage.signedUrlTtlSeconds,
      logger: services.logger,
      allowedOrigins: config.allowedOrigins,
      defaultLanguage: config.transcription.language,
    }),
    ...pipeline.apps,
  };
  const functions = functionsHandler(apps);
  const storageApp = pipeline.storageApp;
  return {
    apps,
    handler: (request) => {
      const url = new URL(request.url);
      return storageApp && url.pathname.startsWith("/storage/")
        ? storageApp.fetch(request)
        : functions(request, url);
    },
    worker: pipeline.worker,
    stop: () => pipeline.stop(),
  };
}

/** Route /functions/v1/<name>/<rest> to the app `<name>` as /<name>/<rest>. */
export function functionsHandler(apps: Record<string, FunctionApp>) {
  return (request: Request, url = new URL(request.url)): Response | Promise<Response> => {
    const m = /^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
    const app = m ? apps[m[1]] : undefined;
    if (!m || !app) {
      const e = new AppError("not_found", `No function at ${url.pathname}`);
      return Response.json(errorBody(e, crypto.randomUUID()), { status: 404 });
    }
    url.pathname = `/${m[1]}${m[2] ?? ""}`;
    return app.fetch(new Request(url, request));
  };
}

export function banner(config: Config, port: number, names: string[]): string {
  const base = `http://127.0.0.1:${port}${FUNCTIONS_PREFIX}`;
  const openvidu = config.emulated.openvidu
    ? `OpenVidu EMULATOR expected at ${config.openvidu.url} (deno run -A demo/emulators/openvidu/main.ts)`
    : `OpenVidu at ${new URL(config.openvidu.url).origin}`;
  const database = config.databaseUrl
    ? "PostgreSQL (DATABASE_URL)"
    : "embedded PGlite (.data/pglite)";
  return [
    `Foxeo Visio functions: ${names.map((n) => `${base}/${n}`).join(", ")}`,
    `  database: ${database}; ${openvidu}`,
  ].join("\n");
}

export interface RunningFunctions {
  config: Config;
  services: Services;
  served: ServedFunctions;
  /** Stop serving, stop the worker loop, release the database; idempotent. */
  stop(): Promise<void>;
}

/**
 * Configure from `env`, build the services and serve every function. A bad configuration or a
 * port in use is printed as one clear line and the process exits with code 1. SIGINT (Ctrl-C,
 * and Deno Deploy's shutdown signal) and SIGTERM stop everything and exit with code 0.
 */
export async function startFunctions(env: Record<string, string | undefined>) {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
  const services = await createServices(config);
  const served = buildFunctions(services);
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      port: config.port,
      // Local runs stay on loopback; Deno Deploy ignores both.
      hostname: config.deployed ? undefined : "127.0.0.1",
      onListen: ({ port }) => console.log(banner(config, port, Object.keys(served.apps))),
    }, served.handler);
  } catch (err) {
    await served.stop();
    await services.close();
    if (err instanceof Deno.errors.AddrInUse) {
      console.error(`Cannot start the functions: port ${config.port} is already in use (set PORT)`);
      Deno.exit(1);
    }
    throw err;
  }
  let stopping: Promise<void> | null = null;
  const running: RunningFunctions = {
    config,
    services,
    served,
    stop: () =>
      stopping ??= (async () => {
        await server.shutdown();
        await served.stop();
        await services.close();
      })(),
  };
  const exit = () => running.stop().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGINT", exit);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", exit);
  return running;
}
