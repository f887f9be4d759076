// Bench harness, never deployed: the functions served exactly as functions/serve.ts serves
// them (loadConfig → createServices → buildFunctions → Deno.serve on loopback), in a process
// of their own, plus a control server on a second loopback port that the bench uses to seed
// the database and to time the same SQL the API runs, directly on the same database, in the
// same process (PGlite lives inside this process, as with `npm run functions`).
//
//   cd <work dir> && deno run -A <root>/bench/api_server.ts
//
// Configured from the environment like the functions (DATABASE_URL unset: embedded PGlite in
// ./.data/pglite). Prints one line {"bench_server": {functions, control, backend}} when ready.
import { Hono } from "hono";
import { loadConfig } from "../functions/_shared/config.ts";
import { createServices } from "../functions/_shared/services.ts";
import { buildFunctions } from "../functions/serve.ts";
import { decodeCursor, ListQuery } from "../functions/meetings/schemas.ts";
import { listMeetings } from "../functions/meetings/store.ts";

const config = loadConfig(Deno.env.toObject());
const services = await createServices(config);
const served = buildFunctions(services);
const db = services.db;

const functionsServer = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  served.handler,
);

const control = new Hono();

/**
 * Empty the visio tables and insert `meetings` meetings over `clients` clients in one
 * statement: the first client gets `big_client_meetings` of them (deep pages exist for a
 * client user too), the others share the rest. Statuses follow time: past meetings are
 * completed (one in twenty cancelled), future ones scheduled. Times fall on half hours, so
 * many meetings share a scheduled time and the id breaks the tie, as in real calendars.
 * The status guard trigger is off during the insert only: rows are written in their final
 * state (start, end and duration set) instead of being moved one by one.
 */
control.post("/seed", async (c) => {
  const { meetings, clients, big_client_meetings: big } = await c.req.json();
  const started = performance.now();
  await db.sql`truncate visio.meetings cascade`;
  await db.sql.begin(async (tx) => {
    await tx`alter table visio.meetings disable trigger meetings_guard`;
    await tx`
      insert into visio.meetings
        (id, title, description, client_id, created_by, status, scheduled_at, started_at,
         ended_at, duration_seconds, language, openvidu_session_id, created_at, updated_at)
      select id, title, description, client_id, created_by, status, scheduled_at,
             started_at, ended_at,
             case when ended_at is not null and started_at is not null
               then extract(epoch from ended_at - started_at)::integer end,
             language, case when started_at is not null then 'visio-' || id end,
             scheduled_at - interval '7 days', coalesce(ended_at, scheduled_at - interval '7 days')
      from (
        select m.*,
               case when status = 'completed'
                 then scheduled_at + (i % 7) * interval '1 minute' end as started_at,
               case when status = 'completed'
                 then scheduled_at + (i % 7 + 20 + i % 70) * interval '1 minute'
                 when status = 'cancelled' then scheduled_at - interval '1 day' end as ended_at
        from (
          select i, gen_random_uuid() as id,
                 (array['Revue des maquettes', 'Point hebdomadaire', 'Lancement du projet',
                        'Atelier de cadrage', 'Bilan mensuel'])[1 + i % 5] || ' n°' || i as title,
                 case when i % 3 = 0 then repeat('Ordre du jour : avancement, décisions, suite. ', 3)
                   end as description,
                 c.ids[case when i <= ${big} then 1 else 2 + i % (${clients} - 1) end]
                   as client_id,
                 '0e000000-0000-4000-8000-000000000001'::uuid as created_by,
                 t.scheduled_at,
                 case when i % 20 = 0 then 'cancelled'
                      when t.scheduled_at > now() then 'scheduled'
                      else 'completed' end as status,
                 case when i % 10 = 0 then 'en' else 'fr' end as language
          from (select array_agg(gen_random_uuid()) as ids
                from generate_series(1, ${clients}::int)) c,
               generate_series(1, ${meetings}::int) i,
               lateral (select date_trunc('hour', now()) + interval '60 days'
                               - ((i::bigint * 7919) % 40000) * interval '30 minutes'
                               as scheduled_at) t
        ) m
      ) rows`;
    await tx`alter table visio.meetings enable trigger meetings_guard`;
  });
  await db.sql`vacuum analyze visio.meetings`;
  // Measure the steady state, not the write-back of the bulk load.
  await db.sql`checkpoint`.catch(() => {});
  // Clients, the largest first: [{client_id, meetings}].
  const byClient = await db.sql`
    select client_id, count(*)::int as meetings from visio.meetings
    group by client_id order by meetings desc, client_id`;
  return c.json({
    meetings: byClient.reduce((n, r) => n + r.meetings, 0),
    clients: byClient,
    ms: performance.now() - started,
  });
});

/**
 * Time the list query of GET /meetings run directly: the same transaction as the API
 * (db.asUser: role and claims set, so RLS applies) and the same SQL (listMeetings), without
 * HTTP, token verification, JSON or the ETag. Returns each run's milliseconds and the ids of
 * the last page, so the bench can check both paths return the same rows.
 */
control.post("/list", async (c) => {
  const { token, query, runs } = await c.req.json();
  const principal = await services.verifyToken(token);
  const input = ListQuery.parse(query);
  const cursor = input.cursor ? decodeCursor(input.cursor) : null;
  const ms: number[] = [];
  let ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const page = await db.asUser(
      principal,
      (tx) => listMeetings(tx, principal, input, cursor),
    );
    ms.push(performance.now() - t);
    ids = page.rows.map((r) => r.id);
  }
  return c.json({ ms, ids });
});

/** Recording rows of some meetings: how many, and how many distinct OpenVidu recordings. */
control.post("/recordings", async (c) => {
  const { meeting_ids: ids } = await c.req.json();
  const [row] = await db.sql`
    select count(*)::int as rows,
           count(distinct (openvidu_recording_id, started_at))::int as recordings,
           count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'failed')::int as failed
    from visio.meeting_recordings where meeting_id = any(${ids}::uuid[])`;
  return c.json(row);
});

const controlServer = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  control.fetch,
);

console.log(JSON.stringify({
  bench_server: {
    functions: `http://127.0.0.1:${functionsServer.addr.port}/functions/v1`,
    control: `http://127.0.0.1:${controlServer.addr.port}`,
    backend: config.databaseUrl ? "postgres" : "pglite",
  },
}));

const stop = async () => {
  await controlServer.shutdown();
  await functionsServer.shutdown();
  await served.stop();
  await services.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
