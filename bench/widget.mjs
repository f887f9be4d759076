// Bench part: the widget's weight and speed, in Chromium, against the built dist/.
//   node bench/widget.mjs <out.json>
// Weight: gzip bytes of the JavaScript each element's page fetches before its first complete
// render (every script response, summed), and the lazy chunks on their own. Speed: inserting
// <foxeo-meeting-list> with 500 meetings served by the local fake until its first complete
// render (median of 20), a full re-render of 500 rows, and the recording player's transcript
// highlight with a 3-hour transcript (2 500 lines), per `timeupdate`.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from "../scripts/chromium.mjs";
import { CLIENT_A, startFakeVisio } from "../widget/test/fake-visio.mjs";
import { ROOT, startStatic } from "../widget/test/serve.mjs";

const out = process.argv[2];
if (!out) {
  console.error("usage: node bench/widget.mjs <out.json>");
  process.exit(2);
}
const executablePath = findChromium();
if (!executablePath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

const RUNS = 20;
const gzip = (text) => gzipSync(Buffer.from(text), { level: 9 }).length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

execFileSync("npm", ["run", "build", "--silent"], {
  cwd: ROOT,
  stdio: ["ignore", "ignore", "inherit"],
});

const fake = await startFakeVisio();
const web = await startStatic({
  pages: {
    "/page": (url) => {
      const q = url.searchParams;
      return `<!doctype html><html lang="fr"><head><meta charset="utf-8">
<script type="module" src="/dist/${q.get("entry")}"></script></head><body></body></html>`;
    },
  },
});
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
const results = {};
const put = (key, value, unit, label) => (results[key] = { value, unit, label });

/** Opens an element's page, inserts it, and sums the JS fetched until `done` holds in the page. */
async function weigh(entry, tag, setup, done) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const bodies = [];
  page.on("response", (r) => {
    if (r.request().resourceType() === "script") bodies.push(r.text().then((t) => [r.url(), t]));
  });
  await page.goto(`${web.url}/page?entry=${entry}`);
  await page.evaluate(
    ({ tag, setup }) => {
      const el = document.createElement(tag);
      for (const [k, v] of Object.entries(setup.attrs)) el.setAttribute(k, v);
      Object.assign(el, setup.props);
      el.id = "el";
      document.body.append(el);
    },
    { tag, setup },
  );
  await page.waitForFunction(done, null, { timeout: 20_000 });
  const files = await Promise.all(bodies);
  await context.close();
  return { bytes: files.reduce((n, [, t]) => n + gzip(t), 0), files: files.map(([u]) => u) };
}

const list = fake.createTenant({ meetings: 500 });
const live = fake.createTenant({
  meetings: [{ title: "Revue des maquettes", client_id: CLIENT_A, status: "in_progress" }],
});
const replay = fake.createTenant({
  meetings: [{ title: "Lancement du projet", client_id: CLIENT_A, status: "completed" }],
});
const replayId = replay.meetings[0].id;
await fetch(`${fake.url}/control/tenants/${replay.id}/meetings/${replayId}/recordings`, {
  method: "PUT",
  body: JSON.stringify([{ transcript: 2500, duration_seconds: 10_800 }]),
});
const common = (t, token) => ({
  attrs: { "functions-url": t.functionsUrl },
  props: { accessToken: token },
});

const weights = {
  list: await weigh(
    "meeting-list.js",
    "foxeo-meeting-list",
    common(list, list.tokens.operator),
    () => document.getElementById("el")?.shadowRoot?.querySelector("[part=meeting]"),
  ),
  room: await weigh(
    "meeting-room.js",
    "foxeo-meeting-room",
    {
      ...common(live, live.tokens.clientA),
      attrs: { "functions-url": live.functionsUrl, "meeting-id": live.meetings[0].id },
    },
    () => document.getElementById("el")?.shadowRoot?.querySelector("[part=join-button]:enabled"),
  ),
  player: await weigh(
    "recording-player.js",
    "foxeo-recording-player",
    {
      ...common(replay, replay.tokens.clientA),
      attrs: { "functions-url": replay.functionsUrl, "meeting-id": replayId },
    },
    () => document.getElementById("el")?.shadowRoot?.querySelector("[part~=line]"),
  ),
  scriptTag: await weigh(
    "foxeo-visio.js",
    "foxeo-meeting-list",
    common(list, list.tokens.operator),
    () => document.getElementById("el")?.shadowRoot?.querySelector("[part=meeting]"),
  ),
};
const lazy = (re) => {
  const dir = `${ROOT}dist/chunks/`;
  const file = readdirSync(dir).find((f) =>
    f.endsWith(".js") && re.test(readFileSync(dir + f, "utf8"))
  );
  return gzip(readFileSync(dir + file, "utf8"));
};
for (const w of Object.values(weights)) {
  if (w.files.some((f) => /openvidu-connection|supabase-session/.test(f))) {
    throw new Error(`a lazy chunk was fetched before first render: ${w.files.join(", ")}`);
  }
}
put(
  "widget_list_js_gzip",
  weights.list.bytes,
  "bytes",
  "JS fetched to first render, meeting list (gzip -9, Lit included)",
);
put(
  "widget_room_js_gzip",
  weights.room.bytes,
  "bytes",
  "JS fetched to first render, meeting room before joining (gzip -9)",
);
put(
  "widget_player_js_gzip",
  weights.player.bytes,
  "bytes",
  "JS fetched to first render, recording player (gzip -9)",
);
put(
  "widget_script_tag_js_gzip",
  weights.scriptTag.bytes,
  "bytes",
  "JS fetched by the one-script-tag bundle (all three elements, gzip -9)",
);
put(
  "widget_openvidu_chunk_gzip",
  lazy(/OpenVidu initialized/),
  "bytes",
  "lazy chunk fetched on join: openvidu-browser (gzip -9)",
);
put(
  "widget_supabase_chunk_gzip",
  lazy(/GoTrueClient/),
  "bytes",
  "lazy chunk fetched only with supabase-url: supabase-js (gzip -9)",
);

/**
 * Times from inserting the list to its first complete render (rows committed and laid out).
 * The fetch is wrapped to also count the time spent waiting on the network (the fake runs on
 * this shared machine), so the widget's own share is known too.
 */
async function listRender(pageSize) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${web.url}/page?entry=meeting-list.js`);
  await page.waitForFunction(() => customElements.get("foxeo-meeting-list"));
  const runs = await page.evaluate(
    async ({ url, token, pageSize, runs }) => {
      const realFetch = globalThis.fetch;
      let waiting = 0;
      globalThis.fetch = async (...args) => {
        const started = performance.now();
        try {
          return await realFetch(...args);
        } finally {
          waiting += performance.now() - started;
        }
      };
      const once = async () => {
        const el = document.createElement("foxeo-meeting-list");
        el.setAttribute("functions-url", url);
        el.setAttribute("page-size", String(pageSize));
        el.setAttribute("poll-interval", "0");
        el.accessToken = token;
        waiting = 0;
        const started = performance.now();
        document.body.append(el);
        await new Promise((resolve) => {
          const seen = () => el.shadowRoot.querySelector("[part=list]");
          const mo = new MutationObserver(() => seen() && (mo.disconnect(), resolve()));
          mo.observe(el.shadowRoot, { childList: true, subtree: true });
        });
        void el.shadowRoot.querySelector("[part=list]").offsetHeight; // style and layout
        const total = performance.now() - started;
        el.remove();
        return { total, network: waiting };
      };
      for (let i = 0; i < 3; i++) await once();
      const out = [];
      for (let i = 0; i < runs; i++) out.push(await once());
      globalThis.fetch = realFetch;
      return out;
    },
    { url: list.functionsUrl, token: list.tokens.operator, pageSize, runs: RUNS },
  );
  await context.close();
  return {
    total: median(runs.map((r) => r.total)),
    network: median(runs.map((r) => r.network)),
    widget: median(runs.map((r) => r.total - r.network)),
  };
}

const first = await listRender(20);
const first100 = await listRender(100);
put(
  "widget_list_500_first_render_ms",
  round(first.total, 2),
  "ms",
  "insert <foxeo-meeting-list> (500 meetings served by the fake, default page of 20) → first complete render, median of 20",
);
put(
  "widget_list_500_first_render_own_ms",
  round(first.widget, 2),
  "ms",
  "same, minus the time waiting on the fake over the network: the widget's own work, median of 20",
);
put(
  "widget_list_500_first_render_network_ms",
  round(first.network, 2),
  "ms",
  "same, the time waiting on the fake (loopback, shared machine), median of 20",
);
put(
  "widget_list_500_first_render_page100_ms",
  round(first100.total, 2),
  "ms",
  "insert → first complete render with page-size=100 (the API's largest page), median of 20",
);
put(
  "widget_list_500_first_render_page100_own_ms",
  round(first100.widget, 2),
  "ms",
  "same, the widget's own work (network wait removed), median of 20",
);

{
  // All 500 rows on screen (five pages loaded), then a full re-render: the language switches.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${web.url}/page?entry=meeting-list.js`);
  await page.waitForFunction(() => customElements.get("foxeo-meeting-list"));
  const times = await page.evaluate(
    async ({ url, token, runs }) => {
      const el = document.createElement("foxeo-meeting-list");
      el.setAttribute("functions-url", url);
      el.setAttribute("page-size", "100");
      el.setAttribute("poll-interval", "0");
      el.accessToken = token;
      document.body.append(el);
      const rows = () => el.shadowRoot.querySelectorAll("[part=meeting]").length;
      const wait = (check) =>
        new Promise((resolve) => {
          const tick = () => (check() ? resolve() : setTimeout(tick, 5));
          tick();
        });
      for (let n = 100; n <= 500; n += 100) {
        await wait(() => rows() === n);
        el.shadowRoot.querySelector("[part=load-more]")?.click();
      }
      const out = [];
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        el.setAttribute("lang", i % 2 ? "fr" : "en");
        await el.updateComplete;
        void el.shadowRoot.querySelector("[part=list]").offsetHeight;
        if (i >= 3) out.push(performance.now() - started);
      }
      return out;
    },
    { url: list.functionsUrl, token: list.tokens.operator, runs: RUNS },
  );
  await context.close();
  put(
    "widget_list_500_rows_rerender_ms",
    round(median(times), 2),
    "ms",
    "full re-render of 500 rows (language switch), median of 20",
  );
}

{
  // The transcript panel with 2 500 lines. `currentTime` is driven directly (the fixture video
  // is 24 s long) and each `timeupdate` is dispatched as the video would; the handler runs
  // synchronously inside dispatchEvent, layout reads included. Timed in batches of 50, since
  // performance.now() is coarse outside cross-origin isolation.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${web.url}/page?entry=recording-player.js`);
  await page.evaluate(({ url, token, id }) => {
    const el = document.createElement("foxeo-recording-player");
    el.setAttribute("functions-url", url);
    el.setAttribute("meeting-id", id);
    el.accessToken = token;
    el.id = "el";
    document.body.append(el);
  }, { url: replay.functionsUrl, token: replay.tokens.clientA, id: replayId });
  await page.waitForFunction(() =>
    document.getElementById("el").shadowRoot?.querySelectorAll("[part~=line]").length === 2500
  );
  const measure = (step) =>
    page.evaluate(async (step) => {
      const el = document.getElementById("el");
      const video = el.shadowRoot.querySelector("video");
      let t = 0;
      Object.defineProperty(video, "currentTime", {
        configurable: true,
        get: () => t,
        set: (v) => (t = v),
      });
      const batches = [];
      for (let b = 0; b < 43; b++) {
        const started = performance.now();
        for (let i = 0; i < 50; i++) {
          t = (t + step) % 10_790;
          video.dispatchEvent(new Event("timeupdate"));
        }
        if (b >= 3) batches.push((performance.now() - started) / 50);
        await new Promise((r) => requestAnimationFrame(r));
      }
      const lines = el.shadowRoot.querySelectorAll("[part~=line-current]").length;
      delete video.currentTime;
      return { batches, lines };
    }, step);
  const jump = await measure(4.32); // a new line on every update: the worst case
  const play = await measure(0.25); // playback: timeupdate every 250 ms, a line every ≈17 updates
  if (jump.lines !== 1 || play.lines !== 1) {
    throw new Error("the transcript highlight is not exactly one line");
  }
  await context.close();
  put(
    "widget_transcript_highlight_ms",
    round(median(jump.batches), 4),
    "ms",
    "transcript of 2 500 lines: highlight update per timeupdate when the line changes every time (worst case), median",
  );
  put(
    "widget_transcript_highlight_playback_ms",
    round(median(play.batches), 4),
    "ms",
    "same, at playback pace (timeupdate every 0.25 s of media), median",
  );
}

await browser.close();
await web.close();
await fake.close();

writeFileSync(out, JSON.stringify(results, null, 2) + "\n");

const limits = {
  widget_list_js_gzip: 20 * 1024,
  widget_room_js_gzip: 35 * 1024,
  widget_player_js_gzip: 30 * 1024,
  widget_list_500_first_render_ms: 50,
  widget_list_500_first_render_own_ms: 50,
  widget_transcript_highlight_ms: 1,
};
console.log("\nWidget");
for (const [key, { value, unit, label }] of Object.entries(results)) {
  const limit = limits[key];
  const verdict = limit === undefined ? " " : value <= limit ? "✓" : "✗";
  const shown = unit === "bytes" ? `${(value / 1024).toFixed(1)} KB` : `${value} ${unit}`;
  const target = limit === undefined
    ? ""
    : ` (≤ ${unit === "bytes" ? `${limit / 1024} KB` : `${limit} ${unit}`})`;
  console.log(`${verdict} ${key.padEnd(42)} ${shown.padStart(12)}${target}  ${label}`);
}
