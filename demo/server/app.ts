// The demo server of `npm start`: the Foxeo-like pages, the QA home, the script-tag page, the
// built widget (dist/), development sessions for the identity switcher, and the emulators'
// control APIs relayed for the QA buttons. Local only: it binds to loopback, and
// demo/start.ts refuses to run where a deployment is detected.
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { serveStatic } from "hono/serve-static";
import { join } from "node:path";
import { z } from "zod";
import { identityByKey } from "./identities.ts";
import {
  embedPage,
  homePage,
  meetingsPage,
  notFoundPage,
  recordingsPage,
  roomPage,
  type StackInfo,
} from "./pages.ts";
import type { TokenMinter } from "./tokens.ts";

export const IDENTITY_COOKIE = "foxeo_demo_identity";

export interface DemoServerOptions {
  stack: StackInfo;
  minter: TokenMinter;
  /** Absolute directories: the widget build and the demo's own assets. */
  distDir: string;
  publicDir: string;
  /** Base URLs of the emulators' control APIs; null when the real service is used. */
  emulators: { openvidu: string | null; openai: string | null };
  fetch?: typeof fetch;
}

const Uuid = z.uuid();

export function createDemoApp(options: DemoServerOptions): Hono {
  const { stack, minter } = options;
  const upstream = options.fetch ?? globalThis.fetch;
  const app = new Hono();

  const current = (c: Context) => identityByKey(getCookie(c, IDENTITY_COOKIE));

  // Pages. Without an identity, a Foxeo page sends the visitor to the switcher first.
  app.get("/", (c) => c.html(homePage(stack, current(c), safeNext(c.req.query("next")))));
  app.get("/embed", (c) => c.html(embedPage(stack, new URL(c.req.url).origin)));
  app.get("/modules/visio", (c) => {
    const who = current(c);
    return who ? c.html(meetingsPage(stack, who)) : c.redirect("/?next=/modules/visio");
  });
  const meetingPage = (kind: "room" | "recordings") => (c: Context) => {
    const id = c.req.param("id") ?? "";
    if (!Uuid.safeParse(id).success) {
      return c.html(notFoundPage(`« ${id} » n'est pas un identifiant de réunion.`), 404);
    }
    const who = current(c);
    if (!who) return c.redirect(`/?next=${encodeURIComponent(new URL(c.req.url).pathname)}`);
    return c.html(kind === "room" ? roomPage(stack, who, id) : recordingsPage(stack, who, id));
  };
  app.get("/modules/visio/:id", meetingPage("room"));
  app.get("/modules/visio/:id/recordings", meetingPage("recordings"));

  // The identity switcher: a cookie for the pages, and the session (what supabase-js persists
  // after a sign-in) for the script-tag page. A form post without JavaScript works too.
  app.post("/demo/identity", async (c) => {
    const form = await c.req.parseBody();
    const who = identityByKey(typeof form.identity === "string" ? form.identity : null);
    if (!who) return c.json({ error: "identity must be mikl, camille or bruno" }, 400);
    setCookie(c, IDENTITY_COOKIE, who.key, { path: "/", httpOnly: true, sameSite: "Lax" });
    const next = safeNext(typeof form.next === "string" ? form.next : null) ?? "/modules/visio";
    if (c.req.header("accept")?.includes("application/json")) {
      return c.json({ next, session: await minter.session(who) });
    }
    return c.redirect(next, 303);
  });

  // The host page's token source (getAccessToken): a fresh development token for the cookie's
  // person. Never cached by the browser.
  app.get("/demo/token", async (c) => {
    const who = current(c);
    if (!who) return c.json({ error: "Choose who you are on the demo's home page" }, 401);
    const session = await minter.session(who);
    c.header("Cache-Control", "no-store");
    return c.json({ access_token: session.access_token, expires_at: session.expires_at });
  });

  // supabase-js refreshing the script-tag page's session (POST /auth/v1/token).
  app.post("/auth/v1/token", async (c) => {
    if (c.req.query("grant_type") !== "refresh_token") {
      return c.json({
        error: "unsupported_grant_type",
        error_description: "The demo only refreshes sessions",
      }, 400);
    }
    const body = await c.req.json().catch(() => ({})) as { refresh_token?: unknown };
    const key = typeof body.refresh_token === "string"
      ? await minter.refreshTokenIdentity(body.refresh_token)
      : null;
    const who = identityByKey(key);
    if (!who) {
      return c.json({ error: "invalid_grant", error_description: "Invalid Refresh Token" }, 400);
    }
    c.header("Cache-Control", "no-store");
    return c.json(await minter.session(who));
  });

  app.get("/demo/stack", (c) => c.json(stack));

  // The emulators' control APIs, relayed for the QA buttons (same origin for the pages).
  app.all("/demo/emulators/openvidu/*", (c) =>
    relay(
      c.req.raw,
      options.emulators.openvidu,
      "/demo/emulators/openvidu",
      "/emulator",
      upstream,
    ));
  app.post("/demo/emulators/openai/faults", (c) =>
    relay(
      c.req.raw,
      options.emulators.openai,
      "/demo/emulators/openai/faults",
      "/emulator/faults",
      upstream,
    ));

  // Files: the widget as built (dist/) and the demo's own assets. Never cached, so a rebuild
  // shows at the next reload.
  const files = (root: string, prefix: string) =>
    serveStatic({
      root,
      join,
      rewriteRequestPath: (path) => path.slice(prefix.length),
      getContent: async (path) => {
        try {
          const file = await Deno.open(path);
          const info = await file.stat();
          if (!info.isFile) {
            file.close();
            return null;
          }
          return file.readable;
        } catch {
          return null;
        }
      },
      onFound: (_path, c) => {
        c.header("Cache-Control", "no-cache");
      },
    });
  app.use("/dist/*", files(options.distDir, "/dist"));
  app.use("/assets/*", files(options.publicDir, "/assets"));

  app.notFound((c) => c.html(notFoundPage(`Pas de page à ${new URL(c.req.url).pathname}.`), 404));
  return app;
}

/** Only local paths are followed after a switch (never another origin). */
function safeNext(next: string | null | undefined): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

async function relay(
  request: Request,
  base: string | null,
  from: string,
  to: string,
  fetchImpl: typeof fetch,
): Promise<Response> {
  if (!base) {
    return Response.json(
      { error: "This service is not emulated in this stack (a real server is configured)" },
      { status: 404 },
    );
  }
  const url = new URL(request.url);
  const target = `${base}${to}${url.pathname.slice(from.length)}${url.search}`;
  try {
    const res = await fetchImpl(target, {
      method: request.method,
      headers: { "content-type": request.headers.get("content-type") ?? "application/json" },
      body: request.method === "GET" || request.method === "HEAD"
        ? undefined
        : await request.text(),
    });
    return new Response(res.body, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  } catch (err) {
    return Response.json(
      { error: `The emulator at ${base} did not answer: ${(err as Error).message}` },
      { status: 502 },
    );
  }
}
