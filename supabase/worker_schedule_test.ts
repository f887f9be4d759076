// The worker schedule migration: a no-op without pg_cron/pg_net/Vault, and on a database that
// has them (stood in for here by minimal cron, net and vault schemas with the same function
// signatures) a job that posts to transcribe-recording with the key read from Vault.
import assert from "node:assert/strict";
import { createDatabase } from "../functions/_shared/db.ts";
import { startEmbeddedDatabase } from "../functions/_shared/embedded_db.ts";
import { migrate } from "./migrate.ts";

const SUPABASE_LIKE = `
  create schema cron;
  create table cron.job (jobname text primary key, schedule text, command text);
  create function cron.schedule(job_name text, schedule text, command text) returns bigint
  language sql as $$
    insert into cron.job values (job_name, schedule, command)
    on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command;
    select 1::bigint
  $$;
  create schema net;
  create table net.requests (id bigserial, url text, body jsonb, headers jsonb, timeout integer);
  create function net.http_post(url text, body jsonb default '{}'::jsonb,
                                params jsonb default '{}'::jsonb,
                                headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
                                timeout_milliseconds integer default 5000) returns bigint
  language sql as $$
    insert into net.requests (url, body, headers, timeout)
    values (url, body, headers, timeout_milliseconds) returning id
  $$;
  create schema vault;
  create table vault.secrets (name text primary key, secret text);
  create view vault.decrypted_secrets as select name, secret as decrypted_secret from vault.secrets;
`;

Deno.test({
  name: "on Supabase the worker is scheduled every 30 s and called with the key from Vault",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const embedded = await startEmbeddedDatabase();
    const db = createDatabase(embedded.url, { max: 1 });
    try {
      await db.sql.unsafe(SUPABASE_LIKE).simple();
      await migrate(db.sql);
      const jobs = await db.sql`select * from cron.job`;
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0].jobname, "visio-transcribe-recording");
      assert.equal(jobs[0].schedule, "30 seconds");
      const file = await Deno.readTextFile(
        new URL("./migrations/20261121000200_worker_schedule.sql", import.meta.url),
      );
      const code = file.split("\n").filter((l) => !l.trim().startsWith("--")).join("\n");
      assert.ok(
        !/create_secret|sb_secret_|eyJ[A-Za-z0-9_-]{10}/.test(code),
        "no secret in the migration",
      );

      // Without the Vault secrets the job calls nothing (and says so).
      await db.sql.unsafe(jobs[0].command);
      assert.equal((await db.sql`select count(*)::int as n from net.requests`)[0].n, 0);

      await db.sql`insert into vault.secrets values
        ('visio_project_url', 'https://abcd.supabase.co/'),
        ('visio_worker_key', 'eyJhbGciOiJIUzI1NiJ9.service.role')`;
      await db.sql.unsafe(jobs[0].command);
      const [call] = await db.sql`select * from net.requests`;
      assert.equal(call.url, "https://abcd.supabase.co/functions/v1/transcribe-recording");
      assert.equal(call.headers.apikey, "eyJhbGciOiJIUzI1NiJ9.service.role");
      assert.equal(call.headers.Authorization, "Bearer eyJhbGciOiJIUzI1NiJ9.service.role");
      assert.equal(call.headers.Prefer, "respond-async");
      assert.deepEqual(call.body, {});
      assert.equal(call.timeout, 5000);

      // A new-style secret key goes in apikey only.
      await db
        .sql`update vault.secrets set secret = 'sb_secret_abc' where name = 'visio_worker_key'`;
      await db.sql.unsafe(jobs[0].command);
      const [second] = await db.sql`select * from net.requests order by id desc limit 1`;
      assert.equal(second.headers.apikey, "sb_secret_abc");
      assert.equal(second.headers.Authorization, undefined);

      // Not callable by API users.
      const allowed = await db.sql`select has_function_privilege('authenticated',
        'visio.request_worker_slice()', 'execute') as ok`;
      assert.equal(allowed[0].ok, false);
    } finally {
      await db.end();
      await embedded.stop();
    }
  },
});
