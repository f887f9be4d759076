// Local and Deno Deploy entry: every function under /functions/v1/<name>, the URL layout of
// Supabase, so the widget and OpenVidu's webhook use the same paths everywhere. Each
// function's app keeps its own base path (/<name>), exactly as on Supabase Edge Functions:
// the prefix is stripped and the request handed to that app.
//
//   npm run functions        (configured from the environment, DESIGN §4)
import { type Config, ConfigError, loadConfig } from "./_shared/config.ts";
import { AppError, errorBody } from "./_shared/errors.ts";
import { createServices, type Services } from "./_shared/services.ts";
import { createMeetingsApp } from "./meetings/app.ts";

export interface FunctionApp {
  fetch(request: Request): Response | Promise<Response>;
}

export const FUNCTIONS_PREFIX = "/functions/v1";

/** The functions served by this entry, by name. */
export function buildFunctions(services: Services): Record<string, FunctionApp> {
  const { config } = services;
  return {
    meetings: createMeetingsApp({
      db: services.db,
      verifyToken: services.verifyToken,
      openvidu: services.openvidu,
      logger: services.logger,
      allowedOrigins: config.allowedOrigins,
      defaultLanguage: config.transcription.language,
    }),
    // openvidu-webhook and transcribe-recording are mounted here as they land.
  };
}

/** Route /functions/v1/<name>/<rest> to the app `<name>` as /<name>/<rest>. */
export function functionsHandler(apps: Record<string, FunctionApp>) {
  return (request: Request): Response | Promise<Response> => {
    const url = new URL(request.url);
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

function banner(config: Config, port: number, names: string[]): string {
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

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
  const services = await createServices(config);
  const apps = buildFunctions(services);
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      port: config.port,
      // Local runs stay on loopback; Deno Deploy ignores both.
      hostname: config.deployed ? undefined : "127.0.0.1",
      onListen: ({ port }) => console.log(banner(config, port, Object.keys(apps))),
    }, functionsHandler(apps));
  } catch (err) {
    await services.close();
    if (err instanceof Deno.errors.AddrInUse) {
      console.error(`Cannot start the functions: port ${config.port} is already in use (set PORT)`);
      Deno.exit(1);
    }
    throw err;
  }
  const stop = async () => {
    await server.shutdown();
    await services.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}
