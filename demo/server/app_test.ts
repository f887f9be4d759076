import assert from "node:assert/strict";
import { createTokenVerifier } from "../../functions/_shared/auth.ts";
import { createDemoApp, IDENTITY_COOKIE } from "./app.ts";
import { IDENTITIES } from "./identities.ts";
import type { StackInfo } from "./pages.ts";
import { createTokenMinter } from "./tokens.ts";

const SECRET = "a-local-jwt-secret-of-at-least-32-characters";
const SEED = await Deno.readTextFile(new URL("../../supabase/seed.sql", import.meta.url));

const stack: StackInfo = {
  functionsUrl: "http://127.0.0.1:54321/functions/v1",
  demoUrl: "http://127.0.0.1:54320",
  database: "PGlite",
  storage: "local",
  openvidu: { emulated: true, where: "emulator" },
  openai: { emulated: true, where: "emulator" },
};

async function setup(
  options: { emulated?: boolean; fetch?: typeof fetch } = {},
) {
  const dist = await Deno.makeTempDir({ prefix: "foxeo-dist-" });
  await Deno.writeTextFile(`${dist}/foxeo-visio.js`, "export {};\n");
  const emulated = options.emulated ?? true;
  const app = createDemoApp({
    stack: {
      ...stack,
      openvidu: { emulated, where: "x" },
      openai: { emulated, where: "x" },
    },
    minter: createTokenMinter({ jwtSecret: SECRET, issuer: stack.demoUrl }),
    distDir: dist,
    publicDir: new URL("../public", import.meta.url).pathname,
    emulators: emulated
      ? { openvidu: "http://openvidu.test", openai: "http://openai.test" }
      : { openvidu: null, openai: null },
    fetch: options.fetch,
  });
  const request = (path: string, init?: RequestInit) =>
    app.request(`http://127.0.0.1:54320${path}`, init);
  return { app, request, cleanup: () => Deno.remove(dist, { recursive: true }) };
}

const cookie = (key: string) => ({ cookie: `${IDENTITY_COOKIE}=${key}` });

Deno.test("the three identities are the seed's people and their tokens verify as the functions verify them", async () => {
  const minter = createTokenMinter({ jwtSecret: SECRET, issuer: stack.demoUrl });
  const verify = createTokenVerifier({ jwtSecret: SECRET });
  for (const identity of IDENTITIES) {
    assert.ok(SEED.includes(identity.userId), `${identity.name}'s user id is in seed.sql`);
    if (identity.clientId) assert.ok(SEED.includes(identity.clientId));
    const session = await minter.session(identity);
    const principal = await verify(session.access_token);
    assert.equal(principal.userId, identity.userId);
    assert.equal(principal.role, identity.role);
    assert.equal(principal.clientId, identity.clientId);
    assert.equal(principal.displayName, identity.name);
    assert.ok(session.expires_at - Date.now() / 1000 > 3500, "valid for an hour");
  }
  await assert.rejects(
    createTokenVerifier({ jwtSecret: "another-secret-of-at-least-32-characters!!" })(
      (await minter.session(IDENTITIES[0])).access_token,
    ),
    /invalid|signature/i,
  );
});

Deno.test("the identity switcher sets the cookie, answers the session to scripts and redirects forms", async () => {
  const { request, cleanup } = await setup();
  try {
    const json = await request("/demo/identity", {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: "identity=camille&next=/modules/visio/5eed0000-0000-4000-8000-0000000000a2",
    });
    assert.equal(json.status, 200);
    assert.match(
      json.headers.get("set-cookie")!,
      /foxeo_demo_identity=camille; Path=\/; HttpOnly; SameSite=Lax/,
    );
    const body = await json.json();
    assert.equal(body.next, "/modules/visio/5eed0000-0000-4000-8000-0000000000a2");
    assert.equal(body.session.user.app_metadata.client_id, "11111111-1111-4111-8111-111111111111");

    const form = await request("/demo/identity", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "identity=bruno&next=//evil.example/steal",
    });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get("location"), "/modules/visio", "never another origin");

    const bad = await request("/demo/identity", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "identity=mallory",
    });
    assert.equal(bad.status, 400);
  } finally {
    await cleanup();
  }
});

Deno.test("the page token source gives the cookie's person a fresh token, never cached", async () => {
  const { request, cleanup } = await setup();
  try {
    assert.equal((await request("/demo/token")).status, 401);
    const res = await request("/demo/token", { headers: cookie("mikl") });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const { access_token } = await res.json();
    const principal = await createTokenVerifier({ jwtSecret: SECRET })(access_token);
    assert.equal(principal.role, "operator");
  } finally {
    await cleanup();
  }
});

Deno.test("supabase-js refreshes the script-tag page's session; a forged refresh token is refused", async () => {
  const { request, cleanup } = await setup();
  try {
    const { session } = await (await request("/demo/identity", {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: "identity=bruno",
    })).json();
    const refresh = (refresh_token: string) =>
      request("/auth/v1/token?grant_type=refresh_token", {
        method: "POST",
        headers: { "content-type": "application/json", apikey: "demo-anon-key" },
        body: JSON.stringify({ refresh_token }),
      });
    const ok = await refresh(session.refresh_token);
    assert.equal(ok.status, 200);
    const renewed = await ok.json();
    assert.equal(renewed.user.id, session.user.id);
    assert.equal(renewed.token_type, "bearer");
    const forged = await refresh("mikl.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(forged.status, 400);
    assert.equal((await forged.json()).error, "invalid_grant");
    const password = await request("/auth/v1/token?grant_type=password", { method: "POST" });
    assert.equal(password.status, 400);
  } finally {
    await cleanup();
  }
});

Deno.test("Foxeo pages need an identity, check the meeting id, and host the elements", async () => {
  const { request, cleanup } = await setup();
  try {
    const anonymous = await request(
      "/modules/visio/5eed0000-0000-4000-8000-0000000000a2/recordings",
    );
    assert.equal(anonymous.status, 302);
    assert.equal(
      anonymous.headers.get("location"),
      "/?next=%2Fmodules%2Fvisio%2F5eed0000-0000-4000-8000-0000000000a2%2Frecordings",
    );
    const list = await (await request("/modules/visio", { headers: cookie("mikl") })).text();
    assert.match(
      list,
      /<foxeo-meeting-list[^>]*functions-url="http:\/\/127\.0\.0\.1:54321\/functions\/v1"/,
    );
    assert.match(list, /room-url="\/modules\/visio\/\{id\}"/);
    const room = await (await request("/modules/visio/5eed0000-0000-4000-8000-0000000000a2", {
      headers: cookie("camille"),
    })).text();
    assert.match(room, /<foxeo-meeting-room[^>]*meeting-id="5eed0000-0000-4000-8000-0000000000a2"/);
    assert.match(room, /data-session="visio-5eed0000-0000-4000-8000-0000000000a2"/, "the QA panel");
    const player = await (await request(
      "/modules/visio/5eed0000-0000-4000-8000-0000000000a1/recordings",
      { headers: cookie("camille") },
    )).text();
    assert.match(
      player,
      /<foxeo-recording-player[^>]*meeting-id="5eed0000-0000-4000-8000-0000000000a1"/,
    );
    const bad = await request("/modules/visio/%3Cscript%3E", { headers: cookie("camille") });
    assert.equal(bad.status, 404);
    assert.ok(!(await bad.text()).includes("<script>"), "the id is escaped");
  } finally {
    await cleanup();
  }
});

Deno.test("without emulators the QA controls are absent and the relay says why", async () => {
  const { request, cleanup } = await setup({ emulated: false });
  try {
    const room = await (await request("/modules/visio/5eed0000-0000-4000-8000-0000000000a2", {
      headers: cookie("mikl"),
    })).text();
    assert.ok(!room.includes("data-emulator-panel"));
    const relay = await request("/demo/emulators/openvidu/sessions");
    assert.equal(relay.status, 404);
    assert.match((await relay.json()).error, /not emulated/);
  } finally {
    await cleanup();
  }
});

Deno.test("the emulator relay forwards method, path and body, and reports an emulator that is down", async () => {
  const seen: { url: string; method: string; body: string | null }[] = [];
  let down = false;
  const fakeFetch = ((input: string | URL | Request, init?: RequestInit) => {
    if (down) return Promise.reject(new TypeError("connection refused"));
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      body: (init?.body as string) ?? null,
    });
    return Promise.resolve(Response.json({ connectionId: "con_1" }, { status: 201 }));
  }) as typeof fetch;
  const { request, cleanup } = await setup({ fetch: fakeFetch });
  try {
    const res = await request("/demo/emulators/openvidu/sessions/visio-x/participants?x=1", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"displayName":"P"}',
    });
    assert.equal(res.status, 201);
    assert.deepEqual(seen, [{
      url: "http://openvidu.test/emulator/sessions/visio-x/participants?x=1",
      method: "POST",
      body: '{"displayName":"P"}',
    }]);
    await request("/demo/emulators/openai/faults", { method: "POST", body: '{"fault":"429"}' });
    assert.equal(seen[1].url, "http://openai.test/emulator/faults");
    down = true;
    const failed = await request("/demo/emulators/openvidu/sessions");
    assert.equal(failed.status, 502);
    assert.match((await failed.json()).error, /did not answer: connection refused/);
  } finally {
    await cleanup();
  }
});

Deno.test("the built widget and the demo's assets are served, nothing outside them", async () => {
  const { request, cleanup } = await setup();
  try {
    const bundle = await request("/dist/foxeo-visio.js");
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type")!, /javascript/);
    assert.equal(bundle.headers.get("cache-control"), "no-cache");
    assert.equal((await request("/assets/demo.css")).status, 200);
    assert.equal((await request("/dist/../deno.json")).status, 404);
    assert.equal((await request("/assets/%2e%2e/server/app.ts")).status, 404);
    assert.equal((await request("/dist/missing.js")).status, 404);
  } finally {
    await cleanup();
  }
});

Deno.test("the script-tag page has one script, the bundle, and reads the page's Supabase session", async () => {
  const { request, cleanup } = await setup();
  try {
    const page = await (await request("/embed")).text();
    const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, ['<script type="module" src="/dist/foxeo-visio.js">']);
    assert.match(page, /supabase-url="http:\/\/127\.0\.0\.1:54320"/);
    assert.match(page, /supabase-key="demo-anon-key"/);
  } finally {
    await cleanup();
  }
});
