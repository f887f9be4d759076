// Bench part: the meetings API, served over real HTTP on loopback, on PGlite and on
// PostgreSQL.
//
//   deno run -A bench/api.ts <output.json>
//
// Three processes per database: this one (the HTTP client), bench/api_server.ts (the
// functions exactly as functions/serve.ts serves them, with PGlite inside it when that is the
// database) and the OpenVidu emulator (no added latency). The database holds BENCH_MEETINGS
// meetings (100 000) over 200 clients; the client user measured belongs to the largest client
// (3 000 meetings), so a page 50 pages deep exists for it too.
//
// - GET /meetings, first page and the page after following next_cursor 50 times (limit 50),
//   as the operator and as a client user: p50 and p99 over HTTP, next to the same SQL run
//   directly (bench/api_server.ts /list: the same transaction and query, no HTTP), in
//   interleaved blocks so both see the same machine load; the ratio is of the medians.
// - POST /meetings/:id/token for 50 client users of 50 in-progress meetings: one request at a
//   time (p50, p99), then 50 concurrent clients in closed loops (p50, p99, throughput).
//
// BENCH_API_BACKENDS=pglite,postgres (default both; PostgreSQL is BENCH_DATABASE_URL),
// BENCH_API_SECTIONS=list,tokens (default both), BENCH_MEETINGS (default 100 000).
import { createDatabase } from "../functions/_shared/db.ts";
import { clientUser, operatorUser, type TestUser } from "../functions/_shared/testing.ts";
import { migrate } from "../supabase/migrate.ts";
import {
  backendPids,
  benchBackends,
  benchDatabaseUrl,
  type BenchServer,
  control,
  cpuSeconds,
  median,
  outputPath,
  percentile,
  resultsRecorder,
  round,
  startEmulatorProcess,
  startFunctionsProcess,
  WORK,
  writeResults,
} from "./support.ts";

const out = outputPath("deno run -A bench/api.ts");
const MEETINGS = Number(Deno.env.get("BENCH_MEETINGS") ?? 100_000);
const CLIENTS = 200;
const BIG_CLIENT_MEETINGS = Math.min(3_000, MEETINGS);
const DEPTH = 50;
const BLOCKS = Number(Deno.env.get("BENCH_API_BLOCKS") ?? 10);
const PER_BLOCK = 50;
const TOKEN_CLIENTS = 50;
const TOKEN_SEQUENTIAL = 400;
const TOKEN_PER_CLIENT = 40;
const OPENVIDU_SECRET = "bench-openvidu-secret";
const sections = (Deno.env.get("BENCH_API_SECTIONS") ?? "list,tokens").split(",");
const backends = benchBackends("BENCH_API_BACKENDS");

const { results, put } = resultsRecorder();

interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** One request, timed from sending to the last byte of the body. */
async function request(
  method: string,
  url: string,
  user: TestUser,
  body?: unknown,
): Promise<Answer> {
  const t = performance.now();
  const res = await fetch(url, {
    method,
    headers: {
      authorization: user.auth,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t };
}

async function ok(method: string, url: string, user: TestUser, body?: unknown) {
  const a = await request(method, url, user, body);
  if (a.status < 200 || a.status > 299) {
    throw new Error(`${method} ${url}: HTTP ${a.status} ${a.text.slice(0, 300)}`);
  }
  return JSON.parse(a.text);
}

async function benchBackend(backend: "pglite" | "postgres") {
  const tag = backend === "postgres" ? "pg" : "pglite";
  const workDir = `${WORK}/api-${backend}`;
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(workDir, { recursive: true });
  let databaseUrl: string | null = null;
  if (backend === "postgres") {
    databaseUrl = await benchDatabaseUrl();
    const db = createDatabase(databaseUrl, { max: 1 });
    await migrate(db.sql);
    await db.end();
  }

  console.log(`\n[${backend}] starting the OpenVidu emulator and the functions …`);
  const emulator = await startEmulatorProcess(OPENVIDU_SECRET);
  let server;
  try {
    server = await startFunctionsProcess({
      databaseUrl,
      workDir,
      env: { OPENVIDU_URL: emulator.value, OPENVIDU_SECRET },
    });
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  try {
    const s = {
      ...server.value,
      pid: server.pid,
      emulatorPid: emulator.pid,
      databaseUrl,
    };
    console.log(`[${backend}] seeding ${MEETINGS} meetings over ${CLIENTS} clients …`);
    const seed = await control<
      { meetings: number; clients: { client_id: string; meetings: number }[]; ms: number }
    >(s, "/seed", {
      meetings: MEETINGS,
      clients: CLIENTS,
      big_client_meetings: BIG_CLIENT_MEETINGS,
    });
    if (seed.meetings !== MEETINGS || seed.clients.length !== CLIENTS) {
      throw new Error(`seeding made ${seed.meetings} meetings of ${seed.clients.length} clients`);
    }
    console.log(`  ${seed.meetings} meetings in ${round(seed.ms / 1000, 1)} s`);
    put(
      `api_${tag}_seeded_meetings`,
      seed.meetings,
      "count",
      `meetings in the database (${CLIENTS} clients; the measured client has ${
        seed.clients[0].meetings
      })`,
    );

    if (sections.includes("list")) await listFigures(s, tag, seed.clients[0].client_id);
    if (sections.includes("tokens")) {
      await tokenFigures(s, tag, seed.clients.slice(1, 1 + TOKEN_CLIENTS).map((c) => c.client_id));
    }
  } finally {
    await server.stop();
    await emulator.stop();
  }
}

async function listFigures(s: BenchServer, tag: string, bigClient: string) {
  const operator = await operatorUser();
  const client = await clientUser(bigClient);
  const base = `${s.functions}/meetings`;

  for (const [who, user] of [["operator", operator], ["client", client]] as const) {
    // The deep page's cursor: follow next_cursor DEPTH times, as the widget's "load more" does.
    let cursor: string | null = null;
    for (let i = 0; i < DEPTH; i++) {
      const page: { next_cursor: string | null } = await ok(
        "GET",
        `${base}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`,
        user,
      );
      if (!page.next_cursor) throw new Error(`${who}: no page ${i + 2}`);
      cursor = page.next_cursor;
    }
    for (const [depth, query] of [["first", {}], ["deep", { cursor }]] as const) {
      const url = `${base}${query.cursor ? `?cursor=${encodeURIComponent(query.cursor)}` : ""}`;
      const api: number[] = [];
      const sql: number[] = [];
      // Same rows both ways.
      const page: { items: { id: string; client_id: string }[] } = await ok("GET", url, user);
      const direct = await control<{ ms: number[]; ids: string[] }>(s, "/list", {
        token: user.token,
        query,
        runs: 1,
      });
      if (
        page.items.length !== 50 ||
        page.items.map((m) => m.id).join() !== direct.ids.join() ||
        (who === "client" && page.items.some((m) => m.client_id !== bigClient))
      ) {
        throw new Error(`${who} ${depth} page: the API and the direct SQL disagree`);
      }
      // Warm both paths, then interleave blocks.
      for (let i = 0; i < 20; i++) await request("GET", url, user);
      await control(s, "/list", { token: user.token, query, runs: 20 });
      for (let b = 0; b < BLOCKS; b++) {
        for (let i = 0; i < PER_BLOCK; i++) {
          const a = await request("GET", url, user);
          if (a.status !== 200) throw new Error(`GET ${url}: HTTP ${a.status}`);
          api.push(a.ms);
        }
        const d = await control<{ ms: number[] }>(s, "/list", {
          token: user.token,
          query,
          runs: PER_BLOCK,
        });
        sql.push(...d.ms);
      }
      const key = `api_${tag}_list_${who}_${depth}`;
      const what = `GET /meetings as ${who === "operator" ? "the operator" : "a client user"}, ${
        depth === "first" ? "first page" : `page ${DEPTH + 1} (after ${DEPTH} next_cursor)`
      }, limit 50, ${tag === "pg" ? "PostgreSQL" : "PGlite"}`;
      put(`${key}_p50`, round(median(api), 3), "ms", `${what}: HTTP p50 (n=${api.length})`);
      put(`${key}_p99`, round(percentile(api, 99), 3), "ms", `${what}: HTTP p99`);
      put(
        `${key}_sql_p50`,
        round(median(sql), 3),
        "ms",
        `${what}: the same transaction and SQL run directly, p50`,
      );
      put(`${key}_sql_p99`, round(percentile(sql, 99), 3), "ms", `same SQL run directly, p99`);
      put(
        `${key}_vs_sql`,
        round(median(api) / median(sql), 2),
        "ratio",
        `HTTP p50 / direct SQL p50 (${who}, ${depth} page)`,
      );
      console.log(
        `  ${key}: HTTP p50 ${round(median(api))} p99 ${round(percentile(api, 99))} ms; ` +
          `SQL p50 ${round(median(sql))} p99 ${round(percentile(sql, 99))} ms`,
      );
    }
  }
}

interface Running extends BenchServer {
  pid: number;
  emulatorPid: number;
  databaseUrl: string | null;
}

async function tokenFigures(s: Running, tag: string, clientIds: string[]) {
  const operator = await operatorUser();
  const base = `${s.functions}/meetings`;
  // One in-progress meeting per client, each joined by its own client user.
  const joiners = await Promise.all(clientIds.map(async (clientId, i) => {
    const meeting = await ok("POST", base, operator, {
      title: `Bench tokens ${i + 1}`,
      client_id: clientId,
    });
    await ok("POST", `${base}/${meeting.id}/start`, operator);
    return { user: await clientUser(clientId), url: `${base}/${meeting.id}/token` };
  }));
  const tokens = new Set<string>();
  const mint = async (j: (typeof joiners)[number]) => {
    const a = await request("POST", j.url, j.user);
    if (a.status !== 200) throw new Error(`POST ${j.url}: HTTP ${a.status} ${a.text}`);
    const { token } = JSON.parse(a.text);
    if (tokens.has(token)) throw new Error("a token was handed out twice");
    tokens.add(token);
    return a.ms;
  };

  for (let i = 0; i < 20; i++) await mint(joiners[i % joiners.length]);
  const single: number[] = [];
  for (let i = 0; i < TOKEN_SEQUENTIAL; i++) single.push(await mint(joiners[i % joiners.length]));
  if (Deno.env.get("BENCH_API_OUTLIERS")) {
    const worst = single.map((ms, i) => [i, round(ms)]).sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`  slowest single tokens [index, ms]: ${JSON.stringify(worst)}`);
  }

  await Promise.all(joiners.map(async (j) => {
    for (let i = 0; i < 3; i++) await mint(j);
  }));
  const concurrent: number[] = [];
  // Where the CPU goes meanwhile (2 shared cores): this client, the functions, the
  // emulator and the PostgreSQL backends.
  const pids = {
    client: [Deno.pid],
    functions: [s.pid],
    emulator: [s.emulatorPid],
    postgres: s.databaseUrl ? await backendPids(s.databaseUrl, "foxeo-visio") : [],
  };
  const cpu = () =>
    Object.fromEntries(
      Object.entries(pids).map(([k, ps]) => [k, ps.reduce((n, p) => n + cpuSeconds(p), 0)]),
    );
  const cpuBefore = cpu();
  const started = performance.now();
  await Promise.all(joiners.map(async (j) => {
    for (let i = 0; i < TOKEN_PER_CLIENT; i++) concurrent.push(await mint(j));
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpu();
  console.log(
    `  CPU during the ${concurrent.length} concurrent tokens (${round(seconds, 2)} s): ` +
      Object.keys(pids).map((k) =>
        `${k} ${round(((cpuAfter[k] - cpuBefore[k]) / concurrent.length) * 1000, 3)} ms/req`
      ).join(", "),
  );
  const db = tag === "pg" ? "PostgreSQL" : "PGlite";
  // CPU per token, every process of the run together: on this machine's cores, 50 closed
  // loops cannot wait less on average than 50 × (CPU per token) / cores (Little's law).
  const cpuPerToken = Object.fromEntries(
    Object.keys(pids).map((k) => [k, ((cpuAfter[k] - cpuBefore[k]) / concurrent.length) * 1000]),
  );
  const cpuTotal = Object.values(cpuPerToken).reduce((a, b) => a + b, 0);
  put(
    `api_${tag}_token_cpu_ms`,
    round(cpuTotal, 3),
    "ms",
    `CPU per token during the concurrent run, all processes (${
      Object.entries(cpuPerToken).map(([k, v]) => `${k} ${round(v, 2)}`).join(", ")
    } ms)`,
  );
  const floor = (joiners.length * cpuTotal) / navigator.hardwareConcurrency;
  put(
    `api_${tag}_token_concurrent_floor_ms`,
    round(floor, 3),
    "ms",
    `least mean latency ${joiners.length} concurrent clients can see on ${navigator.hardwareConcurrency} cores at that CPU per token`,
  );
  put(
    `api_${tag}_token_concurrent_vs_floor`,
    round(median(concurrent) / floor, 3),
    "ratio",
    `concurrent p50 / that least mean latency (1 = no time lost to anything but CPU)`,
  );
  put(
    `api_${tag}_token_single_p50`,
    round(median(single), 3),
    "ms",
    `POST /meetings/:id/token, one request at a time, zero-latency OpenVidu emulator, ${db}: p50 (n=${single.length})`,
  );
  put(
    `api_${tag}_token_single_p99`,
    round(percentile(single, 99), 3),
    "ms",
    `same, one request at a time: p99`,
  );
  put(
    `api_${tag}_token_p50`,
    round(median(concurrent), 3),
    "ms",
    `POST /meetings/:id/token, ${joiners.length} concurrent clients (closed loops), ${db}: p50 (n=${concurrent.length})`,
  );
  put(
    `api_${tag}_token_p99`,
    round(percentile(concurrent, 99), 3),
    "ms",
    `same, ${joiners.length} concurrent clients: p99`,
  );
  put(
    `api_${tag}_token_throughput`,
    round(concurrent.length / seconds, 0),
    "req/s",
    `same, ${joiners.length} concurrent clients: tokens per second`,
  );
  console.log(
    `  tokens: one at a time p50 ${round(median(single))} p99 ${
      round(percentile(single, 99))
    } ms; ${joiners.length} concurrent p50 ${round(median(concurrent))} p99 ${
      round(percentile(concurrent, 99))
    } ms, ${round(concurrent.length / seconds, 0)} req/s`,
  );
}

for (const backend of backends) await benchBackend(backend);
await writeResults(out, "API", results);
