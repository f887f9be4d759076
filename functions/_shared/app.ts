// The Hono app every function starts from: request id, access log, CORS, and one error
// handler that answers the DESIGN §7 envelope. Routes live under `/<function name>`, which is
// the path Supabase hands a function; functions/main.ts mounts the same apps under
// /functions/v1 for Deno Deploy and local runs.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { PrincipalVars } from "./auth.ts";
import { AppError, errorBody, toAppError } from "./errors.ts";
import type { Logger } from "./log.ts";

export type AppEnv = {
  Variables: PrincipalVars & { requestId: string; log: Logger };
};

export interface AppOptions {
  logger: Logger;
  allowedOrigins: "*" | readonly string[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function createApp(name: string, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>().basePath(`/${name}`);

  app.use(requestId({
    headerName: "X-Request-Id",
    // Accept a caller's id only when it is a plain token; otherwise make our own.
    generator: (c) => {
      const given = c.req.header("x-request-id");
      return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
  }));

  app.use(cors({
    origin: options.allowedOrigins === "*" ? "*" : [...options.allowedOrigins],
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: [
      "authorization",
      "content-type",
      "if-none-match",
      "x-client-info",
      "apikey",
      "x-request-id",
    ],
    exposeHeaders: ["etag", "x-request-id", "retry-after"],
    maxAge: 600,
  }));

  app.use(async (c, next) => {
    const started = performance.now();
    const log = options.logger.child({ fn: name, request_id: c.get("requestId") });
    c.set("log", log);
    await next();
    const fields = {
      method: c.req.method,
      // The path only: query strings may carry signed-link tokens.
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (c.res.status >= 500) log.error("request failed", fields);
    else log.info("request", fields);
  });

  app.onError((err, c) => {
    const e = toAppError(err);
    const requestId = c.get("requestId") ?? crypto.randomUUID();
    const log = c.get("log") ?? options.logger.child({ fn: name, request_id: requestId });
    if (e.code === "internal" || e.code === "upstream_error") {
      log.error(e.message, { code: e.code, error: err });
    } else {
      log.info("request refused", { code: e.code, message: e.message });
    }
    return c.json(errorBody(e, requestId), e.status);
  });

  app.notFound((c) => {
    const e = new AppError(
      "not_found",
      `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
    );
    return c.json(errorBody(e, c.get("requestId") ?? crypto.randomUUID()), 404);
  });

  return app;
}
