// The whole local stack for the end-to-end media test, in this process: the meetings and
// openvidu-webhook functions (real Hono apps over a real database) served over HTTP, the
// OpenVidu emulator posting its webhooks to them, a page server for the built widget, and
// one headless Chromium per person, each with its own fake camera.
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { createOpenViduClient } from "../../../../functions/_shared/adapters/openvidu.ts";
import { createLocalStorage } from "../../../../functions/_shared/adapters/storage_local.ts";
import { createTokenVerifier } from "../../../../functions/_shared/auth.ts";
import { DEV_DEFAULTS } from "../../../../functions/_shared/config.ts";
import { createLogger } from "../../../../functions/_shared/log.ts";
import { backendNames, testBackend } from "../../../../functions/_shared/testing.ts";
import { functionsHandler } from "../../../../functions/serve.ts";
import { createMeetingsApp } from "../../../../functions/meetings/app.ts";
import { createWebhookApp } from "../../../../functions/openvidu-webhook/app.ts";
import { CHROMIUM_ARGS, findChromium } from "../../../../scripts/chromium.mjs";
import { type OpenViduEmulator, startOpenViduEmulator } from "../mod.ts";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const PAGE_JS = new URL("./page.js", import.meta.url);

export interface Person {
  browser: Browser;
  page: Page;
  /** Calls `probe.<method>(arg)` in the page (see page.js). */
  probe<T = unknown>(method: string, arg?: unknown): Promise<T>;
  /** What the page logged as errors (failures name them). */
  errors: string[];
}

export interface Stack {
  functionsUrl: string;
  emulator: OpenViduEmulator;
  /** Every line the functions logged (JSON lines). */
  functionLines: string[];
  /** Every line the emulator logged. */
  emulatorLines: string[];
  pageUrl: string;
  /** Calls the meetings API as the user whose `Authorization` header is `auth`. */
  api(method: string, path: string, auth: string, body?: unknown): Promise<{
    status: number;
    // deno-lint-ignore no-explicit-any
    json: any;
  }>;
  /** A headless Chromium whose fake camera shows `video` (a .y4m file). */
  person(video: string): Promise<Person>;
  close(): Promise<void>;
}

/** A 4 s looping fake camera: a coloured background and a moving box (ffmpeg, .y4m). */
export async function fakeCamera(dir: string, name: string, background: string, box: string) {
  const path = `${dir}/${name}.y4m`;
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-y", "-f", "lavfi", "-i", `color=c=${background}:s=320x240:r=15`],
      ...["-f", "lavfi", "-i", `color=c=${box}:s=40x60:r=15`],
      ...["-filter_complex", "[0][1]overlay=x='mod(t*120,280)':y=90:shortest=1"],
      ...["-t", "4", "-pix_fmt", "yuv420p", path],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}

export async function startStack(): Promise<Stack> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error("Chromium not found (set CHROME_PATH)");
  const backend = await testBackend(backendNames().at(-1)!);
  const functionLines: string[] = [];
  const emulatorLines: string[] = [];
  const logger = createLogger({
    secrets: [],
    sink: (_level, line) => functionLines.push(line),
    minLevel: "debug",
  });
  const openviduSecret = `e2e-ov-${crypto.randomUUID()}`;
  const webhookSecret = `e2e-hook-${crypto.randomUUID()}`;

  // The functions first (the emulator needs their URL), their apps once the emulator runs.
  let apps: Parameters<typeof functionsHandler>[0] = {};
  let functions = functionsHandler(apps);
  const functionsServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => functions(request),
  );
  const functionsUrl = `http://127.0.0.1:${functionsServer.addr.port}/functions/v1`;
  const emulator = await startOpenViduEmulator({
    secret: openviduSecret,
    webhookUrl: `${functionsUrl}/openvidu-webhook`,
    webhookHeaders: [`Authorization: Bearer ${webhookSecret}`],
    log: (line) => emulatorLines.push(`${new Date().toISOString()} ${line}`),
    mediaDebug: Deno.env.get("OPENVIDU_EMULATOR_MEDIA_DEBUG") === "true",
  });
  apps = {
    meetings: createMeetingsApp({
      db: backend.db,
      verifyToken: createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET }),
      openvidu: createOpenViduClient({ url: emulator.url, secret: openviduSecret, logger }),
      storage: createLocalStorage({
        dir: await Deno.makeTempDir({ prefix: "foxeo-e2e-storage-" }),
        signingSecret: DEV_DEFAULTS.SUPABASE_SERVICE_ROLE_KEY,
        publicUrl: "http://127.0.0.1:54321",
      }),
      logger,
      allowedOrigins: "*",
    }),
    "openvidu-webhook": createWebhookApp({
      db: backend.db,
      logger,
      webhookSecret,
      defaultLanguage: "fr",
    }),
  };
  functions = functionsHandler(apps);

  // The page and the built widget, from another origin than the functions (CORS for real).
  const pageServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/") {
        return new Response(
          `<!doctype html><html lang="en"><meta charset="utf-8"><title>Foxeo Visio e2e</title>` +
            `<body><script type="module" src="/dist/meeting-room.js"></script>` +
            `<script type="module" src="/page.js"></script></body></html>`,
          { headers: { "content-type": "text/html; charset=utf-8" } },
        );
      }
      const file = pathname === "/page.js"
        ? fileURLToPath(PAGE_JS)
        : pathname.startsWith("/dist/") && !pathname.includes("..")
        ? `${ROOT}${pathname.slice(1)}`
        : null;
      if (pathname === "/favicon.ico") return new Response(null, { status: 204 });
      if (!file) return new Response("not found", { status: 404 });
      try {
        const type = file.endsWith(".js") ? "text/javascript" : "application/json";
        return new Response(await Deno.readFile(file), { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const pageUrl = `http://127.0.0.1:${pageServer.addr.port}/`;

  const people: Person[] = [];
  return {
    functionsUrl,
    emulator,
    functionLines,
    emulatorLines,
    pageUrl,
    async api(method, path, auth, body) {
      const res = await fetch(`${functionsUrl}${path}`, {
        method,
        headers: { authorization: auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async person(video) {
      const browser = await chromium.launch({
        executablePath,
        args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${video}`],
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      await page.goto(pageUrl);
      await page.waitForFunction(() => "probe" in globalThis);
      const person: Person = {
        browser,
        page,
        errors,
        probe: (method, arg) =>
          page.evaluate(
            // deno-lint-ignore no-explicit-any
            ([m, a]) => (globalThis as any).probe[m as string](a),
            [method, arg] as const,
          ),
      };
      people.push(person);
      return person;
    },
    async close() {
      await Promise.all(people.map((p) => p.browser.close().catch(() => {})));
      await emulator.close();
      await pageServer.shutdown();
      await functionsServer.shutdown();
    },
  };
}
