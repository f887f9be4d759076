-- The recording worker's schedule on Supabase: pg_cron calls the transcribe-recording
-- function every 30 seconds through pg_net. The project URL and the key the function checks
-- (SUPABASE_SERVICE_ROLE_KEY) are read from Vault at each call; they are never in this file.
-- Store them once per project (README, "Scheduling the worker"):
--
--   select vault.create_secret('https://<ref>.supabase.co', 'visio_project_url');
--   select vault.create_secret('<service role key>', 'visio_worker_key');
--
-- Where pg_cron, pg_net or Vault do not exist (plain PostgreSQL, PGlite) this does nothing.

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_cron;
    create extension if not exists pg_net;
  end if;
exception when others then
  -- Available but not loadable here (e.g. not in shared_preload_libraries): no schedule.
  raise notice 'visio: pg_cron/pg_net cannot be enabled here (%); no worker schedule', sqlerrm;
end
$$;

-- One worker call. `Prefer: respond-async` makes the function answer 202 at once and work in
-- EdgeRuntime.waitUntil, so pg_net's short timeout never cuts a slice. pg_net sends the
-- request after this transaction commits; answers stay in net._http_response for 6 hours.
create or replace function visio.request_worker_slice() returns bigint
language plpgsql
set search_path = ''
as $$
declare
  project_url text;
  worker_key text;
begin
  select decrypted_secret into project_url
  from vault.decrypted_secrets where name = 'visio_project_url';
  select decrypted_secret into worker_key
  from vault.decrypted_secrets where name = 'visio_worker_key';
  if project_url is null or worker_key is null then
    raise warning 'visio: Vault secrets visio_project_url and visio_worker_key are not set; '
      'the transcribe-recording function is not called';
    return null;
  end if;
  return net.http_post(
    url := rtrim(project_url, '/') || '/functions/v1/transcribe-recording',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'apikey', worker_key,
      'Prefer', 'respond-async'
    ) || case
      -- Legacy service-role keys are JWTs and may also go as a bearer; sb_secret_ keys may not.
      when worker_key like 'eyJ%' then jsonb_build_object('Authorization', 'Bearer ' || worker_key)
      else '{}'::jsonb
    end,
    body := '{}'::jsonb,
    timeout_milliseconds := 5000
  );
end
$$;

revoke all on function visio.request_worker_slice() from public;
do $$
begin
  execute 'revoke all on function visio.request_worker_slice() from anon, authenticated';
exception when undefined_object then
  null;
end
$$;

do $$
begin
  if to_regprocedure('cron.schedule(text,text,text)') is null
     or to_regnamespace('net') is null
     or to_regclass('vault.decrypted_secrets') is null then
    raise notice 'visio: pg_cron, pg_net or Vault is missing; no worker schedule here';
    return;
  end if;
  -- Scheduling again under the same name replaces the job.
  perform cron.schedule(
    'visio-transcribe-recording',
    '30 seconds',
    'select visio.request_worker_slice()'
  );
end
$$;
