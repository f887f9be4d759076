// Test support for the meetings function: the real app over a real database (PGlite and, with
// TEST_DATABASE_URL, PostgreSQL) and the OpenVidu emulator, with a logger that keeps raw,
// unscrubbed lines so tests can prove what was never logged.
import { type OpenViduEmulator, startOpenViduEmulator } from "../../demo/emulators/openvidu/mod.ts";
import { createOpenViduClient, type OpenViduClientOptions } from "../_shared/adapters/openvidu.ts";
import { createLocalStorage } from "../_shared/adapters/storage_local.ts";
import { createTokenVerifier } from "../_shared/auth.ts";
import { DEV_DEFAULTS } from "../_shared/config.ts";
import type { Database } from "../_shared/db.ts";
import { createLogger } from "../_shared/log.ts";
import { clientUser, operatorUser, type TestUser } from "../_shared/testing.ts";
import { createMeetingsApp } from "./app.ts";
import type { Meeting, MeetingStatus } from "./schemas.ts";

/** The secret of the shared emulator: random, so a leak is unmistakable. */
export const OPENVIDU_SECRET = `ov-secret-${crypto.randomUUID()}`;

let shared: Promise<OpenViduEmulator> | null = null;

/** One emulator for the whole test file (tests use fresh meetings, hence fresh sessions). */
export function sharedEmulator(): Promise<OpenViduEmulator> {
  if (!shared) {
    shared = startOpenViduEmulator({ secret: OPENVIDU_SECRET, log: () => {} });
    globalThis.addEventListener("unload", () => {
      shared?.then((e) => e.close()).catch(() => {});
    });
  }
  return shared;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

export interface RequestInit {
  body?: unknown;
  /** A raw body, sent as is. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  app: ReturnType<typeof createMeetingsApp>;
  emulator: OpenViduEmulator;
  db: Database;
  operator: TestUser;
  /** A user of a fresh client, and a user of another fresh client. */
  alice: TestUser;
  bob: TestUser;
  /** Every log line, unscrubbed. */
  logLines: string[];
  /** Every response body this harness received. */
  bodies: string[];
  request(method: string, path: string, user: TestUser | null, init?: RequestInit): Promise<Answer>;
  /** Create a meeting as the operator (201 asserted). */
  create(fields?: Partial<Record<string, unknown>>): Promise<Meeting>;
  /** Put a meeting in a status directly in the database (no OpenVidu), through the trigger. */
  force(id: string, ...statuses: MeetingStatus[]): Promise<void>;
  status(id: string): Promise<MeetingStatus>;
}

export interface HarnessOptions {
  emulator?: OpenViduEmulator;
  /** Overrides of the OpenVidu client (URL, timeouts, fetch). */
  openvidu?: Partial<OpenViduClientOptions>;
}

export async function harness(db: Database, options: HarnessOptions = {}): Promise<Harness> {
  const emulator = options.emulator ?? await sharedEmulator();
  const logLines: string[] = [];
  const bodies: string[] = [];
  const logger = createLogger({
    secrets: [],
    sink: (_level, line) => logLines.push(line),
    minLevel: "debug",
  });
  const app = createMeetingsApp({
    db,
    verifyToken: createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET }),
    openvidu: createOpenViduClient({
      url: emulator.url,
      secret: OPENVIDU_SECRET,
      logger,
      ...options.openvidu,
    }),
    // Recording routes are tested with the pipeline; the meetings tests only need a storage.
    storage: createLocalStorage({
      dir: Deno.makeTempDirSync({ prefix: "foxeo-meetings-" }),
      signingSecret: DEV_DEFAULTS.SUPABASE_SERVICE_ROLE_KEY,
      publicUrl: "http://127.0.0.1:54321",
    }),
    logger,
    allowedOrigins: "*",
  });
  const operator = await operatorUser();
  const alice = await clientUser(undefined, { fullName: "Alice Martin" });
  const bob = await clientUser(undefined, { fullName: "Bob Petit" });

  const request: Harness["request"] = async (method, path, user, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (user) headers.authorization = user.auth;
    let body: string | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    bodies.push(text);
    let json: unknown = null;
    if (text && res.headers.get("content-type")?.includes("json")) json = JSON.parse(text);
    return { status: res.status, headers: res.headers, text, json };
  };

  return {
    app,
    emulator,
    db,
    operator,
    alice,
    bob,
    logLines,
    bodies,
    request,
    async create(fields = {}) {
      const res = await request("POST", "/meetings", operator, {
        body: { title: "Revue des maquettes", client_id: alice.clientId, ...fields },
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
      return res.json as Meeting;
    },
    async force(id, ...statuses) {
      for (const s of statuses) {
        await db.asService((tx) => tx`update visio.meetings set status = ${s} where id = ${id}`);
      }
    },
    async status(id) {
      const [row] = await db.sql`select status from visio.meetings where id = ${id}`;
      return row.status as MeetingStatus;
    },
  };
}

const FAR_FUTURE = Date.UTC(3000, 0, 1);
const EPOCH = Date.UTC(2026, 0, 1);

/**
 * `n` scheduled times, one second apart, later than those of any earlier call in this or a
 * previous run (the databases are shared and keep rows): each real millisecond is a second of
 * this far-future clock. Newest first.
 */
export function futureTimes(n: number): string[] {
  const base = FAR_FUTURE + (Date.now() - EPOCH) * 1000;
  return Array.from({ length: n }, (_, i) => new Date(base - i * 1000).toISOString());
}

/** A port nothing listens on (for a "connection refused", or for a server to take). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
