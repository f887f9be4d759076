-- What Supabase provides and a plain PostgreSQL or PGlite lacks: the API roles and the
-- auth.uid() / auth.jwt() helpers that read the request's claims the way PostgREST sets them.
-- Applied by supabase/migrate.ts only where no Supabase auth schema exists; never on Supabase.
-- Idempotent: roles are cluster-wide in PostgreSQL, so they may already exist.

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      execute format('create role %I nologin noinherit', r);
    end if;
  end loop;
end
$$;

-- service_role bypasses RLS on Supabase; mirror that.
alter role service_role bypassrls;

-- The connecting user switches to these roles inside a request transaction.
do $$
begin
  execute format('grant anon, authenticated, service_role to %I', current_user);
exception when others then
  -- A superuser is already allowed to set any role.
  null;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;
