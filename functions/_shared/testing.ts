// Test support: real databases (PGlite always; Debian PostgreSQL too when TEST_DATABASE_URL
// is set), migrated once per test process, and dev-secret user tokens. Tests create their
// own clients and meetings with fresh ids, so they share a database without interfering.
import * as jose from "jose";
import { DEV_DEFAULTS } from "./config.ts";
import { createDatabase, type Database } from "./db.ts";
import { migrate } from "../../supabase/migrate.ts";

export interface TestBackend {
  name: "pglite" | "postgres";
  url: string;
  db: Database;
}

const backends = new Map<string, Promise<TestBackend>>();
let cleanupRegistered = false;

function registerCleanup() {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  globalThis.addEventListener("unload", () => {
    for (const b of backends.values()) b.then((x) => x.db.end()).catch(() => {});
  });
}

async function startPglite(): Promise<TestBackend> {
  const { startEmbeddedDatabase } = await import("./embedded_db.ts");
  const embedded = await startEmbeddedDatabase();
  const db = createDatabase(embedded.url, { max: 1 });
  await migrate(db.sql);
  return { name: "pglite", url: embedded.url, db };
}

async function startPostgres(url: string): Promise<TestBackend> {
  const db = createDatabase(url, { max: 10 });
  await migrate(db.sql);
  return { name: "postgres", url, db };
}

/** The database backends this run tests against, names only (no connection is opened). */
export function backendNames(): TestBackend["name"][] {
  return Deno.env.get("TEST_DATABASE_URL") ? ["pglite", "postgres"] : ["pglite"];
}

/** The shared, migrated database of a backend (started on first use). */
export function testBackend(name: TestBackend["name"]): Promise<TestBackend> {
  registerCleanup();
  let b = backends.get(name);
  if (!b) {
    b = name === "pglite" ? startPglite() : startPostgres(Deno.env.get("TEST_DATABASE_URL")!);
    backends.set(name, b);
  }
  return b;
}

/**
 * Register one Deno test per database backend. The shared database outlives each test, so the
 * resource and op sanitizers are off for these tests.
 */
export function dbTest(name: string, fn: (backend: TestBackend) => Promise<void>): void {
  for (const backendName of backendNames()) {
    Deno.test({
      name: `[${backendName}] ${name}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => fn(await testBackend(backendName)),
    });
  }
}

// ---------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------

export interface TokenOptions {
  sub?: string;
  role?: "operator" | "client";
  clientId?: string;
  fullName?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  secret?: string;
  /** Replace app_metadata entirely (for malformed-claim tests). */
  appMetadata?: Record<string, unknown>;
}

export interface TestUser {
  userId: string;
  role: "operator" | "client";
  clientId: string | null;
  token: string;
  claims: jose.JWTPayload;
  /** `Authorization` header value. */
  auth: string;
}

export async function signUserToken(options: TokenOptions = {}): Promise<TestUser> {
  const userId = options.sub ?? crypto.randomUUID();
  const role = options.role ?? "operator";
  const clientId = role === "client" ? options.clientId ?? crypto.randomUUID() : null;
  const now = Math.floor(Date.now() / 1000);
  const claims: jose.JWTPayload = {
    sub: userId,
    role: "authenticated",
    aud: "authenticated",
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    app_metadata: options.appMetadata ??
      (role === "operator"
        ? { foxeo_role: "operator" }
        : { foxeo_role: "client", client_id: clientId }),
    user_metadata: {
      full_name: options.fullName ?? (role === "operator" ? "MiKL" : "Camille Martin"),
    },
  };
  const token = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(options.secret ?? DEV_DEFAULTS.SUPABASE_JWT_SECRET));
  return { userId, role, clientId, token, claims, auth: `Bearer ${token}` };
}

export const operatorUser = (o: Omit<TokenOptions, "role"> = {}) =>
  signUserToken({ ...o, role: "operator" });
export const clientUser = (clientId?: string, o: Omit<TokenOptions, "role" | "clientId"> = {}) =>
  signUserToken({ ...o, role: "client", clientId: clientId ?? crypto.randomUUID() });

/** Poll `check` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 25, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}` +
      (last ? `: ${(last as Error).message}` : ""),
  );
}
