// The build suite (`npm test -- build`, after `npm run build`): reads dist/ and loads it in
// Chromium to prove what the embedding contract promises — one script tag registers the three
// elements; openvidu-browser and supabase-js live only in lazy chunks, fetched only on join /
// only with `supabase-url`; the real openvidu-browser, loaded that way from the production
// build, fails clearly and in bounded time when the video server is unreachable or mute.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../../scripts/chromium.mjs";
import { CLIENT_A, startFakeVisio } from "./fake-visio.mjs";
import { ROOT, startStatic } from "./serve.mjs";

const DIST = `${ROOT}dist/`;
const OPENVIDU = /OpenVidu initialized|openvidu-browser version/;
const SUPABASE = /GoTrueClient/;
const read = (file) => readFileSync(`${DIST}${file}`, "utf8");

/** The files an entry loads before running: its static imports, transitively. */
function staticGraph(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = read(file);
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const m of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*${}\s,]+from\s*)?["'](\.[^"']+)["']/g)) {
      visit(new URL(m[1], `http://x/${dir}`).pathname.slice(1));
    }
  };
  visit(entry);
  return seen;
}

/** Files an entry can reach through `import("…")`, with what they load statically. */
function lazyGraph(entry) {
  const out = new Set();
  for (const file of staticGraph(entry)) {
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const m of read(file).matchAll(/import\(\s*["'`](\.[^"'`]+)["'`]\s*\)/g)) {
      for (const f of staticGraph(new URL(m[1], `http://x/${dir}`).pathname.slice(1))) out.add(f);
    }
  }
  return out;
}

describe("the build output", () => {
  it("has the script-tag bundle, one entry per element, type declarations and the manifest", () => {
    for (const f of ["foxeo-visio.js", "index.js", "meeting-list.js", "meeting-room.js", "recording-player.js"]) {
      assert.ok(existsSync(`${DIST}${f}`), `dist/${f}`);
    }
    for (const f of ["index.d.ts", "define.d.ts", "react.d.ts", "meeting-list/define.d.ts", "meeting-room/define.d.ts", "recording-player/define.d.ts"]) {
      assert.ok(existsSync(`${DIST}types/${f}`), `dist/types/${f}`);
    }
    assert.match(read("types/meeting-room/meeting-room.d.ts"), /"foxeo-meeting-room": MeetingRoomElement/);
    const manifest = JSON.parse(read("custom-elements.json"));
    const tags = Object.fromEntries(
      manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.tagName).map((d) => [d.tagName, d]),
    );
    assert.deepEqual(Object.keys(tags).sort(), ["foxeo-meeting-list", "foxeo-meeting-room", "foxeo-recording-player"]);
    assert.ok(tags["foxeo-meeting-list"].attributes.some((a) => a.name === "room-url"));
    assert.deepEqual(tags["foxeo-meeting-room"].events.map((e) => e.name).sort(), ["foxeo-error", "foxeo-joined", "foxeo-left", "foxeo-meeting-ended"]);
    assert.ok(tags["foxeo-recording-player"].cssParts.some((p) => p.name === "line"));
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8"));
    for (const target of Object.values(pkg.exports)) {
      for (const file of typeof target === "string" ? [target] : Object.values(target)) {
        assert.ok(existsSync(`${ROOT}${file}`), `package.json exports ${file}`);
      }
    }
  });

  it("keeps openvidu-browser and supabase-js out of every entry's first load, in lazy chunks", () => {
    const chunks = readdirSync(`${DIST}chunks`).filter((f) => f.endsWith(".js")).map((f) => `chunks/${f}`);
    const openvidu = chunks.filter((f) => OPENVIDU.test(read(f)));
    const supabase = chunks.filter((f) => SUPABASE.test(read(f)));
    assert.equal(openvidu.length, 1, "openvidu-browser is in one chunk");
    assert.equal(supabase.length, 1, "supabase-js is in one chunk");
    for (const entry of ["foxeo-visio.js", "index.js", "meeting-list.js", "meeting-room.js", "recording-player.js"]) {
      const first = staticGraph(entry);
      assert.ok(!first.has(openvidu[0]) && ![...first].some((f) => OPENVIDU.test(read(f))), `${entry} loads no openvidu-browser up front`);
      assert.ok(!first.has(supabase[0]) && ![...first].some((f) => SUPABASE.test(read(f))), `${entry} loads no supabase-js up front`);
    }
    assert.ok(lazyGraph("meeting-room.js").has(openvidu[0]), "the room reaches openvidu-browser lazily");
    assert.ok(!lazyGraph("meeting-list.js").has(openvidu[0]), "the list never reaches openvidu-browser");
    assert.ok(lazyGraph("meeting-list.js").has(supabase[0]), "supabase-js is reachable lazily");
  });

  it("carries no secret", () => {
    for (const f of readdirSync(`${DIST}chunks`).filter((x) => x.endsWith(".js"))) {
      assert.doesNotMatch(read(`chunks/${f}`), /MY_SECRET|OPENVIDUAPP:|service_role_key|fake-visio/, f);
    }
  });
});

describe("the build in Chromium", { skip: !findChromium() && "no Chromium" }, () => {
  let browser, fake, web, closedPort, mute;

  before(async () => {
    fake = await startFakeVisio();
    const probe = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => probe.once("listening", r));
    closedPort = probe.address().port;
    await new Promise((r) => probe.close(r));
    // Accepts TCP connections and never answers: the WebSocket handshake never completes.
    mute = net.createServer((socket) => socket.on("error", () => {})).listen(0, "127.0.0.1");
    await new Promise((r) => mute.once("listening", r));
    web = await startStatic({ pages: { "/page": (url) => page(url.searchParams) } });
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await fake?.close();
    mute?.close();
  });

  /** A page with one element set up from the query: tag, attributes, token. */
  function page(q) {
    const attrs = JSON.parse(q.get("attrs") ?? "{}");
    const html = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join("");
    const entry = q.get("entry") ?? "foxeo-visio.js";
    return `<!doctype html><html lang="fr"><head><meta charset="utf-8">
<script type="module" src="/dist/${entry}"></script></head>
<body><${q.get("tag")} id="el"${html}></${q.get("tag")}>
<script type="module">
  const el = document.getElementById("el");
  ${q.get("token") ? `el.accessToken = ${JSON.stringify(q.get("token"))};` : ""}
  window.events = [];
  for (const type of ["foxeo-error", "foxeo-joined"]) el.addEventListener(type, (e) => events.push({ type, code: e.detail.code, message: e.detail.message }));
  ${q.get("also") ? `await import(${JSON.stringify(`/dist/${q.get("also")}`)});` : ""}
</script></body></html>`;
  }

  async function open(query, { localStorage } = {}) {
    const context = await browser.newContext();
    const p = await context.newPage();
    const scripts = [];
    const problems = [];
    // Recorded when the response arrives (the body is read later): a module that has run has
    // been recorded, whatever the order in which bodies finish reading.
    p.on("response", (r) => {
      if (r.request().resourceType() === "script") scripts.push({ url: r.url(), body: r.text().catch(() => "") });
    });
    p.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    if (localStorage) {
      await p.goto(`${web.url}/dist/custom-elements.json`);
      await p.evaluate((entries) => entries.forEach(([k, v]) => window.localStorage.setItem(k, v)), Object.entries(localStorage));
    }
    await p.goto(`${web.url}/page?${new URLSearchParams(query)}`);
    return { p, scripts, problems, close: () => context.close() };
  }

  const fetched = async (scripts, re) => {
    const bodies = await Promise.all(scripts.map((s) => s.body));
    return scripts.filter((_, i) => re.test(bodies[i])).map((s) => s.url);
  };

  it("renders from one script tag without fetching openvidu-browser or supabase-js", async () => {
    const t = fake.createTenant({ meetings: 30 });
    const { p, scripts, problems, close } = await open({
      tag: "foxeo-meeting-list",
      token: t.tokens.operator,
      attrs: JSON.stringify({ "functions-url": t.functionsUrl }),
      also: "meeting-list.js", // a second registration path on the same page: must be harmless
    });
    await p.waitForFunction(() => document.getElementById("el").shadowRoot?.querySelectorAll("[part=meeting]").length === 20);
    assert.deepEqual(await fetched(scripts, OPENVIDU), []);
    assert.deepEqual(await fetched(scripts, SUPABASE), []);
    assert.deepEqual(await p.evaluate(() => ["foxeo-meeting-list", "foxeo-meeting-room", "foxeo-recording-player"].map((t) => !!customElements.get(t))), [true, true, true]);
    assert.deepEqual(problems, []);
    await close();
  });

  async function roomPage(openviduUrl, timeout) {
    const t = fake.createTenant({ meetings: [{ title: "Revue des maquettes", client_id: CLIENT_A, status: "in_progress" }], openviduUrl });
    const opened = await open({
      tag: "foxeo-meeting-room",
      entry: "meeting-room.js",
      token: t.tokens.clientA,
      attrs: JSON.stringify({ "functions-url": t.functionsUrl, "meeting-id": t.meetings[0].id, "connect-timeout": timeout }),
    });
    const join = opened.p.locator("foxeo-meeting-room [part=join-button]");
    await join.waitFor();
    await opened.p.waitForFunction(() => !document.getElementById("el").shadowRoot.querySelector("[part=join-button]").disabled);
    return { ...opened, join };
  }

  it("fetches openvidu-browser only on join; an unreachable video server fails fast and clearly", async () => {
    const { p, scripts, problems, close, join } = await roomPage(`ws://127.0.0.1:${closedPort}`, 10);
    assert.deepEqual(await fetched(scripts, OPENVIDU), [], "not before joining");
    const started = Date.now();
    await join.click();
    const error = p.locator("foxeo-meeting-room [part=error]");
    await error.waitFor({ timeout: 10_000 });
    const took = Date.now() - started;
    assert.equal((await fetched(scripts, OPENVIDU)).length, 1, "fetched on join");
    assert.match(await error.textContent(), /Impossible de rejoindre la réunion\.\s+La connexion à la réunion n’a pas pu s’établir\./);
    const events = await p.evaluate(() => window.events);
    assert.equal(events.at(-1).code, "connection-failed");
    assert.match(events.at(-1).message, /Cannot reach the video server/);
    console.log(`unreachable: failed ${took} ms after the click`);
    assert.ok(took < 5000, `failed in ${took} ms, well before the 10 s bound`);
    assert.equal(await join.isEnabled(), true, "the user can try again");
    assert.deepEqual(problems, [], "no alert() from the SDK, no page error");
    await close();
  });

  it("gives up on a video server that never answers after connect-timeout", async () => {
    const { p, scripts, problems, close, join } = await roomPage(`ws://127.0.0.1:${mute.address().port}`, 1.5);
    const started = Date.now();
    await join.click();
    const error = p.locator("foxeo-meeting-room [part=error]");
    await error.waitFor({ timeout: 10_000 });
    const took = Date.now() - started;
    assert.ok(took >= 1400 && took < 6000, `gave up after ${took} ms`);
    assert.match(await error.textContent(), /n’a pas répondu en 1,5 secondes/);
    assert.equal((await p.evaluate(() => window.events)).at(-1).code, "timeout");
    assert.equal((await fetched(scripts, OPENVIDU)).length, 1);
    assert.deepEqual(problems, []);
    await close();
  });

  it("fetches supabase-js only with supabase-url, and signs requests with the page's session", async () => {
    const t = fake.createTenant({ meetings: 3 });
    const claims = JSON.parse(Buffer.from(t.tokens.clientA.split(".")[1], "base64url").toString());
    const session = {
      access_token: t.tokens.clientA,
      token_type: "bearer",
      expires_in: 3600,
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      refresh_token: "r",
      user: { id: claims.sub, aud: "authenticated", app_metadata: claims.app_metadata, user_metadata: claims.user_metadata },
    };
    const { p, scripts, problems, close } = await open({
      tag: "foxeo-meeting-list",
      entry: "meeting-list.js",
      attrs: JSON.stringify({ "functions-url": t.functionsUrl, "supabase-url": "https://abcdefgh.supabase.co", "supabase-key": "anon" }),
    }, { localStorage: { "sb-abcdefgh-auth-token": JSON.stringify(session) } });
    await p.waitForFunction(() => document.getElementById("el").shadowRoot?.querySelector("[part=list]"));
    assert.equal((await fetched(scripts, SUPABASE)).length, 1);
    assert.deepEqual(await fetched(scripts, OPENVIDU), []);
    assert.deepEqual(problems, []);
    await close();
  });
});
