// Bench part: the OpenVidu webhook under a burst of 1 000 authenticated events, on PGlite and
// on PostgreSQL, served over real HTTP on loopback by bench/api_server.ts (the functions as
// functions/serve.ts serves them; the local worker loop off, so only the webhook is measured).
//
//   deno run -A bench/webhook.ts <output.json>
//
// The burst is what OpenVidu sends for 100 recorded meetings, in its payload shapes
// (reference/openvidu2.md §3.3): per meeting sessionCreated, two participantJoined,
// recordingStatusChanged started, two participantLeft, stopped, ready (one meeting in ten:
// failed instead), sessionDestroyed (890 events); then every final recording event again
// (OpenVidu can resend a `ready`) and the first events again, 1 000 events in all. It is sent twice: one event at a time, as OpenVidu
// delivers (the latency figures), and by 20 concurrent senders (duplicates racing each other).
// Afterwards the rows are counted: each meeting must have exactly one recording row.
import { createDatabase } from "../functions/_shared/db.ts";
import { operatorUser } from "../functions/_shared/testing.ts";
import { migrate } from "../supabase/migrate.ts";
import {
  benchBackends,
  benchDatabaseUrl,
  type BenchServer,
  control,
  median,
  outputPath,
  percentile,
  resultsRecorder,
  round,
  startFunctionsProcess,
  WORK,
  writeResults,
} from "./support.ts";

const out = outputPath("deno run -A bench/webhook.ts");
const WEBHOOK_SECRET = "bench-webhook-secret-0123456789";
const BURST = 1_000;
const MEETINGS = 100;
const CONCURRENT_SENDERS = 20;
const backends = benchBackends("BENCH_WEBHOOK_BACKENDS");

const { results, put } = resultsRecorder();

type Event = Record<string, unknown>;

/** OpenVidu's events for one recorded meeting, in its order, and the final recording event. */
function meetingEvents(meetingId: string, at: number, fails: boolean): Event[] {
  const sessionId = `visio-${meetingId}`;
  const unique = `${sessionId}_${at}`;
  const common = { sessionId, uniqueSessionId: unique };
  const people = ["con_A1b2C3d4E5", "con_F6g7H8i9J0"].map((id, i) => ({
    participantId: id,
    connectionId: id,
    location: "unknown",
    ip: `203.0.113.${i + 7}`,
    platform: "Chrome 131.0.0.0 on Linux 64-bit",
    clientData: JSON.stringify({ displayName: i ? "Camille Martin" : "MiKL" }),
    serverData: JSON.stringify({ user_id: crypto.randomUUID(), role: i ? "client" : "operator" }),
  }));
  const recStart = at + 4_000;
  const recording = (status: string, timestamp: number, extra: Event = {}) => ({
    ...common,
    timestamp,
    startTime: recStart,
    duration: status === "ready" ? 1_795.4 : 0.0,
    ...(status === "stopped" || status === "ready" ? { reason: "lastParticipantLeft" } : {}),
    id: sessionId,
    name: sessionId,
    outputMode: "COMPOSED",
    resolution: "1280x720",
    frameRate: 25,
    recordingLayout: "BEST_FIT",
    hasAudio: true,
    hasVideo: true,
    size: status === "ready" ? 412_331_008 : 0,
    status,
    ...extra,
    event: "recordingStatusChanged",
  });
  const end = at + 1_800_000;
  const left = (p: Event, t: number) => ({
    ...common,
    timestamp: t,
    startTime: at + 2_000,
    duration: Math.round((t - at - 2_000) / 1000),
    reason: "disconnect",
    ...p,
    event: "participantLeft",
  });
  const final = fails ? recording("failed", recStart + 30_000) : recording("ready", end + 2_500);
  return [
    { ...common, timestamp: at, event: "sessionCreated" },
    ...people.map((p, i) => ({
      ...common,
      timestamp: at + 2_000 + i * 500,
      ...p,
      event: "participantJoined",
    })),
    recording("started", recStart),
    ...(fails ? [final] : []),
    left(people[0], end - 1_000),
    left(people[1], end),
    ...(fails ? [] : [recording("stopped", end + 1_000), final]),
    {
      ...common,
      timestamp: end + 3_000,
      startTime: at,
      duration: 1_803,
      reason: "lastParticipantLeft",
      event: "sessionDestroyed",
    },
  ];
}

async function burst(s: BenchServer, sequential: boolean) {
  const operator = await operatorUser();
  const clientId = crypto.randomUUID();
  const meetings: string[] = [];
  for (let i = 0; i < MEETINGS; i++) {
    const res = await fetch(`${s.functions}/meetings`, {
      method: "POST",
      headers: { authorization: operator.auth, "content-type": "application/json" },
      body: JSON.stringify({ title: `Webhook burst ${i + 1}`, client_id: clientId }),
    });
    if (res.status !== 201) {
      throw new Error(`POST /meetings: HTTP ${res.status} ${await res.text()}`);
    }
    meetings.push((await res.json()).id);
  }
  const at = Date.now() - 3_600_000;
  const perMeeting = meetings.map((id, i) => meetingEvents(id, at + i * 60_000, i % 10 === 0));
  // OpenVidu's order within a meeting; meetings overlap in time, so interleave them.
  const events: Event[] = [];
  for (let k = 0; perMeeting.some((e) => k < e.length); k++) {
    for (const e of perMeeting) if (k < e.length) events.push(e[k]);
  }
  // Every final recording event again: a resent `ready` (or `failed`) changes nothing. Then
  // other events again (OpenVidu resends any event whose answer timed out) up to BURST.
  for (const e of perMeeting) {
    events.push(e.find((x) => x.status === "ready" || x.status === "failed")!);
  }
  for (let i = 0; events.length < BURST; i++) events.push(events[i]);
  if (events.length !== BURST) throw new Error(`the burst has ${events.length} events`);
  const url = `${s.functions}/openvidu-webhook`;
  const bodies = events.map((e) => JSON.stringify(e));
  const send = async (body: string) => {
    const t = performance.now();
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${WEBHOOK_SECRET}`, "content-type": "application/json" },
      body,
    });
    await res.arrayBuffer();
    return { ms: performance.now() - t, status: res.status };
  };
  // Warm the path with an ignored event type.
  for (let i = 0; i < 20; i++) {
    await send(
      JSON.stringify({ sessionId: "warm-up", timestamp: Date.now(), event: "signalSent" }),
    );
  }
  const answers: { ms: number; status: number }[] = [];
  const started = performance.now();
  if (sequential) {
    for (const b of bodies) answers.push(await send(b));
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENT_SENDERS }, async () => {
        while (next < bodies.length) answers.push(await send(bodies[next++]));
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const counts = await control<
    { rows: number; recordings: number; pending: number; failed: number }
  >(
    s,
    "/recordings",
    { meeting_ids: meetings },
  );
  const expectedFailed = perMeeting.filter((_, i) => i % 10 === 0).length;
  return {
    events: bodies.length,
    ms: answers.map((a) => a.ms),
    non200: answers.filter((a) => a.status !== 200).length,
    seconds,
    counts,
    // Lost: a meeting without its row (or with the wrong outcome), or an answer OpenVidu drops.
    lost: Math.max(0, MEETINGS - counts.rows) + answers.filter((a) => a.status !== 200).length +
      Math.max(0, MEETINGS - expectedFailed - counts.pending) +
      Math.max(0, expectedFailed - counts.failed),
    doubled: Math.max(0, counts.rows - MEETINGS) + (counts.rows - counts.recordings),
  };
}

async function benchBackend(backend: "pglite" | "postgres") {
  const tag = backend === "postgres" ? "pg" : "pglite";
  const db = backend === "postgres" ? "PostgreSQL" : "PGlite";
  const workDir = `${WORK}/webhook-${backend}`;
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(workDir, { recursive: true });
  let databaseUrl: string | null = null;
  if (backend === "postgres") {
    databaseUrl = await benchDatabaseUrl();
    const pool = createDatabase(databaseUrl, { max: 1 });
    await migrate(pool.sql);
    await pool.end();
  }
  console.log(`\n[${backend}] starting the functions …`);
  const server = await startFunctionsProcess({
    databaseUrl,
    workDir,
    env: { OPENVIDU_WEBHOOK_SECRET: WEBHOOK_SECRET },
  });
  try {
    const one = await burst(server.value, true);
    const many = await burst(server.value, false);
    console.log(
      `  one at a time: p50 ${round(median(one.ms))} p99 ${round(percentile(one.ms, 99))} ms, ` +
        `${JSON.stringify(one.counts)}; ${CONCURRENT_SENDERS} senders: p50 ${
          round(median(many.ms))
        } p99 ${round(percentile(many.ms, 99))} ms, ${JSON.stringify(many.counts)}`,
    );
    put(
      `webhook_${tag}_p50`,
      round(median(one.ms), 3),
      "ms",
      `openvidu-webhook, burst of ${one.events} events sent one at a time as OpenVidu does, ${db}: answer p50`,
    );
    put(`webhook_${tag}_p99`, round(percentile(one.ms, 99), 3), "ms", `same burst: answer p99`);
    put(
      `webhook_${tag}_rate`,
      round(one.events / one.seconds, 0),
      "req/s",
      "same burst: events answered per second",
    );
    put(
      `webhook_${tag}_rows`,
      one.counts.rows + many.counts.rows,
      "count",
      `recording rows stored by both bursts (expected ${2 * MEETINGS}: one per meeting)`,
    );
    put(
      `webhook_${tag}_lost`,
      one.lost + many.lost,
      "count",
      "events lost in both bursts: non-200 answers and meetings without their row",
    );
    put(
      `webhook_${tag}_doubled`,
      one.doubled + many.doubled,
      "count",
      "recordings stored twice in both bursts (the 200 resent final events must change nothing)",
    );
    put(
      `webhook_${tag}_concurrent_p99`,
      round(percentile(many.ms, 99), 3),
      "ms",
      `the same burst from ${CONCURRENT_SENDERS} concurrent senders: answer p99`,
    );
  } finally {
    await server.stop();
  }
}

for (const backend of backends) await benchBackend(backend);
await writeResults(out, "Webhook", results);
