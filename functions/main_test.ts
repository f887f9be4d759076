// functions/main.ts as `npm run functions` runs it: a separate process on a free port with the
// embedded database, against the OpenVidu emulator, called over real HTTP.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startOpenViduEmulator } from "../demo/emulators/openvidu/mod.ts";
import { migrate } from "../supabase/migrate.ts";
import { startFakeSupabaseStorage } from "./_shared/adapters/supabase_storage_fake.ts";
import { createDatabase } from "./_shared/db.ts";
import { clientUser, eventually, operatorUser } from "./_shared/testing.ts";
import { freePort } from "./meetings/testing.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * A module preloaded before functions/main.ts that records, in order, the crons it registers
 * and when it starts serving (what Deno Deploy's discovery depends on).
 */
async function recorderPreload(dir: string): Promise<string> {
  const path = `${dir}/record_calls.js`;
  await Deno.writeTextFile(
    path,
    `const serve = Deno.serve;
const cron = (name, schedule) => console.log("[recorded] cron " + name + " | " + schedule);
const recordedServe = (...args) => { console.log("[recorded] serve"); return serve(...args); };
Object.defineProperty(Deno, "cron", { value: cron, configurable: true });
Object.defineProperty(Deno, "serve", { value: recordedServe, configurable: true });
`,
  );
  return path;
}

/** functions/main.ts as its own process in `cwd`, with only `env` and the call recorder. */
async function entryCommand(cwd: string, env: Record<string, string>): Promise<Deno.Command> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      "--preload",
      await recorderPreload(cwd),
      `${ROOT}functions/main.ts`,
    ],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

/** The entry serving: what it printed so far, its start, and its stop with a signal. */
async function serveEntry(cwd: string, env: Record<string, string>) {
  const child = (await entryCommand(cwd, env)).spawn();
  let output = "";
  const drained = Promise.all(
    [child.stdout, child.stderr].map((s) =>
      s.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (chunk) => void (output += chunk) }),
      )
    ),
  );
  return {
    output: () => output,
    started: (timeoutMs: number) =>
      eventually(() => output.includes("Foxeo Visio functions:"), {
        timeoutMs,
        intervalMs: 100,
        what: `the functions to start (output so far: ${output.slice(-500)})`,
      }),
    async stop(signal: Deno.Signal): Promise<Deno.CommandStatus> {
      child.kill(signal);
      const status = await child.status;
      await drained.catch(() => {});
      return status;
    },
  };
}

Deno.test({
  name: "the served functions answer under /functions/v1/meetings against OpenVidu",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const secret = `served-secret-${crypto.randomUUID()}`;
    const emulator = await startOpenViduEmulator({ secret, log: () => {} });
    const cwd = await Deno.makeTempDir({ prefix: "foxeo-functions-" });
    const port = freePort();
    const entry = await serveEntry(cwd, {
      PORT: String(port),
      OPENVIDU_URL: emulator.url,
      OPENVIDU_SECRET: secret,
    });
    const base = `http://127.0.0.1:${port}/functions/v1`;
    try {
      await entry.started(90_000);
      assert.match(entry.output(), new RegExp(`${base}/meetings`));
      const calls = entry.output().split("\n").filter((l) => l.startsWith("[recorded]"));
      assert.deepEqual(calls, [
        "[recorded] cron foxeo-visio transcribe-recording | * * * * *",
        "[recorded] serve",
      ], "the worker cron is registered once, before the server starts");
      assert.match(entry.output(), /OpenVidu at http:\/\/127\.0\.0\.1:\d+/);

      const operator = await operatorUser();
      const alice = await clientUser();
      const call = async (method: string, path: string, auth: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: auth, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, json: await res.json(), headers: res.headers };
      };
      const created = await call("POST", "/meetings", operator.auth, {
        title: "Served",
        client_id: alice.clientId,
      });
      assert.equal(created.status, 201);
      const id = created.json.id;
      assert.equal((await call("GET", `/meetings/${id}`, alice.auth)).json.title, "Served");
      const started = await call("POST", `/meetings/${id}/start`, operator.auth);
      assert.equal(started.json.status, "in_progress");
      const token = await call("POST", `/meetings/${id}/token`, alice.auth);
      assert.equal(token.status, 200);
      await emulator.join(`visio-${id}`, { token: token.json.token });
      const ended = await call("POST", `/meetings/${id}/end`, operator.auth);
      assert.equal(ended.json.status, "completed");
      assert.equal(emulator.model.recording(`visio-${id}`).status, "ready");
      const list = await call("GET", "/meetings", alice.auth);
      assert.deepEqual(list.json.items.map((m: { id: string }) => m.id), [id]);
      assert.ok(list.headers.get("x-request-id"));

      const nowhere = await fetch(`${base}/nothing`);
      assert.equal(nowhere.status, 404);
      assert.equal((await nowhere.json()).error.code, "not_found");
      const preflight = await fetch(`${base}/meetings`, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:5173", "access-control-request-method": "GET" },
      });
      await preflight.body?.cancel();
      assert.equal(preflight.status, 204);
    } finally {
      const status = await entry.stop("SIGTERM");
      await emulator.close();
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
      assert.equal(status.code, 0, `exit code; output:\n${entry.output().slice(-2000)}`);
    }
    const output = entry.output();
    assert.ok(output.includes('"path":"/meetings/'), "the access log was written");
    assert.ok(!output.includes(secret), "OPENVIDU_SECRET in the process output");
    assert.ok(!output.includes(btoa(`OPENVIDUAPP:${secret}`)));
  },
});

Deno.test("deployed with missing settings, the entry registers the worker cron and then exits listing every missing key", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "foxeo-functions-" });
  try {
    const out = await (await entryCommand(cwd, {
      DENO_DEPLOYMENT_ID: "test-deployment",
      PATH: Deno.env.get("PATH") ?? "",
    })).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.equal(
      stdout.trim(),
      "[recorded] cron foxeo-visio transcribe-recording | * * * * *",
      "registered before the configuration is read, never served",
    );
    for (const key of ["DATABASE_URL", "OPENVIDU_URL", "OPENVIDU_SECRET", "OPENAI_API_KEY"]) {
      assert.match(stderr, new RegExp(`${key} is required when deployed`));
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

const TEST_DATABASE_URL = Deno.env.get("TEST_DATABASE_URL");

Deno.test({
  name:
    "as on Deno Deploy, the entry serves every function on PostgreSQL and Supabase Storage, with the worker cron registered",
  ignore: !TEST_DATABASE_URL,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const db = createDatabase(TEST_DATABASE_URL!, { max: 1 });
    await migrate(db.sql);
    const serviceKey = `service-${crypto.randomUUID()}`;
    const jwtSecret = `deploy-jwt-secret-${crypto.randomUUID()}`;
    const storage = await startFakeSupabaseStorage({ serviceKey });
    const openvidu = await startOpenViduEmulator({ secret: "deploy-ov-secret", log: () => {} });
    const cwd = await Deno.makeTempDir({ prefix: "foxeo-deploy-" });
    const port = freePort();
    const entry = await serveEntry(cwd, {
      PATH: Deno.env.get("PATH") ?? "",
      DENO_DEPLOYMENT_ID: "test-deployment",
      PORT: String(port),
      DATABASE_URL: TEST_DATABASE_URL!,
      SUPABASE_URL: storage.url,
      SUPABASE_SERVICE_ROLE_KEY: serviceKey,
      SUPABASE_JWT_SECRET: jwtSecret,
      OPENVIDU_URL: openvidu.url,
      OPENVIDU_SECRET: "deploy-ov-secret",
      OPENVIDU_WEBHOOK_SECRET: "deploy-webhook-secret-0123456789",
      OPENAI_API_KEY: "sk-deploy-test",
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    });
    const base = `http://127.0.0.1:${port}/functions/v1`;
    try {
      await entry.started(60_000);
      assert.match(entry.output(), /database: PostgreSQL \(DATABASE_URL\)/);
      assert.ok(!existsSync(`${cwd}/.data`), "no local database or storage when deployed");
      const operator = await operatorUser({ secret: jwtSecret });
      const created = await fetch(`${base}/meetings`, {
        method: "POST",
        headers: { authorization: operator.auth, "content-type": "application/json" },
        body: JSON.stringify({ title: "Deployed", client_id: crypto.randomUUID() }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      await created.body?.cancel();
      // The worker and the webhook are mounted and check their callers.
      const slice = await fetch(`${base}/transcribe-recording`, { method: "POST" });
      assert.equal(slice.status, 401);
      await slice.body?.cancel();
      const hook = await fetch(`${base}/openvidu-webhook`, {
        method: "POST",
        headers: {
          authorization: "Bearer deploy-webhook-secret-0123456789",
          "content-type": "application/json",
        },
        body: JSON.stringify({ event: "sessionCreated", sessionId: "x", timestamp: 0 }),
      });
      assert.equal(hook.status, 200);
      await hook.body?.cancel();
      // Local signed links are not served: storage is Supabase's.
      assert.equal((await fetch(`http://127.0.0.1:${port}/storage/v1/object/sign/x`)).status, 404);
      assert.deepEqual(
        entry.output().split("\n").filter((l) => l.startsWith("[recorded] cron")),
        ["[recorded] cron foxeo-visio transcribe-recording | * * * * *"],
      );
    } finally {
      const status = await entry.stop("SIGINT");
      await openvidu.close();
      await storage.close();
      await db.end();
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
      assert.equal(status.code, 0, `exit code; output:\n${entry.output().slice(-2000)}`);
    }
  },
});
