import assert from "node:assert/strict";
import { z } from "zod";
import { createApp } from "./app.ts";
import { createTokenVerifier, requireSecret, requireUser } from "./auth.ts";
import { DEV_DEFAULTS } from "./config.ts";
import { AppError, parseInput, UpstreamError } from "./errors.ts";
import { memoryLogger } from "./log.ts";
import { operatorUser } from "./testing.ts";

const SECRETS = [DEV_DEFAULTS.OPENVIDU_SECRET, DEV_DEFAULTS.SUPABASE_JWT_SECRET];

function testApp(allowedOrigins: "*" | string[] = "*") {
  const logger = memoryLogger(SECRETS);
  const app = createApp("demo", { logger, allowedOrigins });
  app.use(
    "/private/*",
    requireUser(createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET })),
  );
  app.get("/private/me", (c) => c.json({ role: c.get("principal").role }));
  app.post("/things", async (c) => {
    const body = parseInput(
      z.strictObject({ title: z.string().min(1) }),
      await c.req.json(),
      "thing",
    );
    return c.json(body, 201);
  });
  app.get("/state", () => {
    throw new AppError("invalid_state", 'Cannot start meeting "Kick-off": it is completed');
  });
  app.get("/upstream", () => {
    throw new UpstreamError("openvidu", "OpenVidu did not answer: connection refused");
  });
  app.get("/boom", () => {
    throw new Error(`database exploded with password ${DEV_DEFAULTS.OPENVIDU_SECRET}`);
  });
  app.use("/worker/*", requireSecret("service-key-0123456789", "service key"));
  app.post("/worker/tick", (c) => c.json({ ok: true }));
  return { app, logger };
}

Deno.test("errors answer the §7 envelope with the request id", async () => {
  const { app } = testApp();
  const res = await app.request("/demo/state", { headers: { "x-request-id": "req-12345678" } });
  assert.equal(res.status, 409);
  assert.equal(res.headers.get("x-request-id"), "req-12345678");
  assert.deepEqual(await res.json(), {
    error: {
      code: "invalid_state",
      message: 'Cannot start meeting "Kick-off": it is completed',
      request_id: "req-12345678",
    },
  });
});

Deno.test("invalid input is 400 with the issues", async () => {
  const { app } = testApp();
  const res = await app.request("/demo/things", {
    method: "POST",
    body: JSON.stringify({ title: "", extra: 1 }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "invalid_request");
  assert.ok(body.error.issues.some((i: { path: string }) => i.path === "title"));
  assert.match(body.error.message, /Invalid thing/);
});

Deno.test("upstream failures are 502 upstream_error", async () => {
  const { app } = testApp();
  const res = await app.request("/demo/upstream");
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.code, "upstream_error");
});

Deno.test("unknown errors are a generic 500: no stack, no secret, logged with the request id", async () => {
  const { app, logger } = testApp();
  const res = await app.request("/demo/boom");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "request_id"]);
  assert.equal(body.error.message, "Internal error");
  const text = logger.lines.join("\n");
  assert.match(text, new RegExp(body.error.request_id));
  assert.match(text, /database exploded/);
  assert.doesNotMatch(text, new RegExp(DEV_DEFAULTS.OPENVIDU_SECRET));
});

Deno.test("unknown routes are 404 in the envelope", async () => {
  const { app } = testApp();
  const res = await app.request("/demo/nope");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
});

Deno.test("a user route needs a valid bearer token, and the token never reaches the log", async () => {
  const { app, logger } = testApp();
  assert.equal((await app.request("/demo/private/me")).status, 401);
  const expired = await operatorUser({ expiresIn: -10 });
  const res = await app.request("/demo/private/me", { headers: { authorization: expired.auth } });
  assert.equal(res.status, 401);
  const ok = await operatorUser();
  const res2 = await app.request("/demo/private/me", { headers: { authorization: ok.auth } });
  assert.deepEqual(await res2.json(), { role: "operator" });
  const text = logger.lines.join("\n");
  for (const t of [expired.token, ok.token]) {
    assert.ok(!text.includes(t), "token in the log");
    assert.ok(!text.includes(t.split(".")[2]), "token signature in the log");
  }
});

Deno.test("service routes take the service key as bearer or apikey, compared exactly", async () => {
  const { app } = testApp();
  const post = (headers: Record<string, string>) =>
    app.request("/demo/worker/tick", { method: "POST", headers });
  assert.equal((await post({})).status, 401);
  assert.equal((await post({ authorization: "Bearer service-key-012345678" })).status, 401);
  assert.equal((await post({ authorization: "Bearer service-key-0123456789" })).status, 200);
  assert.equal((await post({ apikey: "service-key-0123456789" })).status, 200);
});

Deno.test("CORS follows ALLOWED_ORIGINS", async () => {
  const { app } = testApp(["https://app.foxeo.fr"]);
  const preflight = (origin: string) =>
    app.request("/demo/private/me", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
  const allowed = await preflight("https://app.foxeo.fr");
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.foxeo.fr");
  assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /authorization/);
  const denied = await preflight("https://evil.example");
  assert.equal(denied.headers.get("access-control-allow-origin"), null);

  const open = testApp("*").app;
  const res = await open.request("/demo/state", { headers: { origin: "https://any.example" } });
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("the logger scrubs secrets, JWTs and credentials from every line", () => {
  const logger = memoryLogger(["MY_SECRET_VALUE"]);
  logger.info("calling", {
    header: "Basic T1BFTlZJRFVBUFA6TVlfU0VDUkVU",
    url: "postgres://postgres:hunter22@db:5432/x",
    note: "secret is MY_SECRET_VALUE",
    token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk",
  });
  const line = logger.lines[0];
  for (
    const leaked of [
      "T1BFTlZJRFVBUFA6TVlfU0VDUkVU",
      "hunter22",
      "MY_SECRET_VALUE",
      "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ]
  ) {
    assert.ok(!line.includes(leaked), `${leaked} leaked: ${line}`);
  }
});
