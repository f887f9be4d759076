-- Foxeo Visio: meetings, their recordings, row-level security, the private recordings bucket.
-- Applies unchanged to Supabase and to a plain PostgreSQL / PGlite prepared by
-- supabase/bootstrap/plain_postgres.sql.

create schema if not exists visio;
grant usage on schema visio to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Identity helpers: the caller's Foxeo role and client, read from the verified JWT claims
-- (app_metadata is writable only by the server). Both are stable, so a policy that calls them
-- through `(select …)` evaluates them once per statement.
-- ---------------------------------------------------------------------------

create or replace function visio.is_operator() returns boolean
language sql stable
as $$
  select coalesce(auth.jwt() -> 'app_metadata' ->> 'foxeo_role' = 'operator', false)
$$;

create or replace function visio.current_client_id() returns uuid
language sql stable
as $$
  select case
    when auth.jwt() -> 'app_metadata' ->> 'foxeo_role' = 'client'
     and auth.jwt() -> 'app_metadata' ->> 'client_id'
         ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then (auth.jwt() -> 'app_metadata' ->> 'client_id')::uuid
  end
$$;

grant execute on function visio.is_operator(), visio.current_client_id()
  to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- meetings
-- ---------------------------------------------------------------------------

create table if not exists visio.meetings (
  id uuid primary key default gen_random_uuid(),
  title text not null
    constraint meetings_title_length check (char_length(btrim(title)) between 1 and 200),
  description text
    constraint meetings_description_length check (char_length(description) <= 5000),
  client_id uuid not null,
  created_by uuid not null,
  status text not null default 'scheduled'
    constraint meetings_status_known
    check (status in ('scheduled', 'in_progress', 'completed', 'cancelled')),
  scheduled_at timestamptz not null default now(),
  started_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer constraint meetings_duration_positive check (duration_seconds >= 0),
  language text constraint meetings_language_iso639_1 check (language ~ '^[a-z]{2}$'),
  openvidu_session_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table visio.meetings is
  'Foxeo Visio meetings. status moves scheduled -> in_progress -> completed, or scheduled -> cancelled; the trigger visio.meetings_guard refuses any other move.';

-- The list is read newest first by scheduled time, with the id as tie-breaker (keyset pagination).
create index if not exists meetings_list_idx on visio.meetings (scheduled_at desc, id desc);
create index if not exists meetings_client_list_idx
  on visio.meetings (client_id, scheduled_at desc, id desc);
create index if not exists meetings_status_list_idx
  on visio.meetings (status, scheduled_at desc, id desc);

-- The state machine lives here so that no caller (function, SQL console, future code) can
-- bypass it. It also stamps the lifecycle times and computes the duration at the end.
create or replace function visio.meetings_guard() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'scheduled' then
      raise exception 'Cannot create meeting % "%" with status %: a meeting starts as scheduled',
        new.id, new.title, new.status
        using errcode = 'FX409', hint = 'scheduled';
    end if;
    new.started_at := null;
    new.ended_at := null;
    new.duration_seconds := null;
    return new;
  end if;

  if new.client_id is distinct from old.client_id or new.created_by is distinct from old.created_by
  then
    raise exception 'Cannot change the client or creator of meeting % "%"', old.id, old.title
      using errcode = 'FX409';
  end if;

  if new.status is distinct from old.status then
    if not (
      (old.status = 'scheduled' and new.status in ('in_progress', 'cancelled'))
      or (old.status = 'in_progress' and new.status = 'completed')
    ) then
      raise exception 'Cannot move meeting % "%" from % to %', old.id, old.title, old.status, new.status
        using errcode = 'FX409', detail = old.status, hint = new.status;
    end if;
    if new.status = 'in_progress' then
      new.started_at := coalesce(new.started_at, now());
    elsif new.status = 'completed' then
      new.ended_at := greatest(coalesce(new.ended_at, now()), new.started_at);
      new.duration_seconds := round(extract(epoch from new.ended_at - new.started_at))::integer;
    elsif new.status = 'cancelled' then
      new.ended_at := coalesce(new.ended_at, now());
    end if;
  end if;

  new.updated_at := now();
  return new;
end
$$;

drop trigger if exists meetings_guard on visio.meetings;
create trigger meetings_guard
  before insert or update on visio.meetings
  for each row execute function visio.meetings_guard();

-- ---------------------------------------------------------------------------
-- meeting_recordings: one row per OpenVidu recording. OpenVidu reuses recording ids (a
-- custom session id gets <id>, <id>~1, … and a deleted id is handed out again), so the
-- identity is the id together with its start time.
-- ---------------------------------------------------------------------------

create table if not exists visio.meeting_recordings (
  id uuid primary key default gen_random_uuid(),
  meeting_id uuid not null references visio.meetings (id) on delete cascade,
  openvidu_recording_id text not null,
  openvidu_session_id text not null,
  openvidu_unique_session_id text,
  recording_name text not null,
  started_at timestamptz not null,
  status text not null default 'pending'
    constraint meeting_recordings_status_known
    check (status in ('pending', 'uploading', 'ready', 'failed')),
  duration_seconds double precision
    constraint meeting_recordings_duration_positive check (duration_seconds >= 0),
  size_bytes bigint constraint meeting_recordings_size_positive check (size_bytes >= 0),
  video_path text,
  srt_path text,
  vtt_path text,
  error text,
  transcription_status text not null default 'pending'
    constraint meeting_recordings_transcription_status_known
    check (transcription_status in ('pending', 'processing', 'completed', 'failed')),
  transcription_language text
    constraint meeting_recordings_language_iso639_1 check (transcription_language ~ '^[a-z]{2}$'),
  transcription_attempts integer not null default 0,
  transcription_error text,
  next_attempt_at timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint meeting_recordings_openvidu_identity unique (openvidu_recording_id, started_at)
);

create index if not exists meeting_recordings_meeting_idx
  on visio.meeting_recordings (meeting_id, started_at);

create or replace function visio.touch_updated_at() returns trigger
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

drop trigger if exists meeting_recordings_touch on visio.meeting_recordings;
create trigger meeting_recordings_touch
  before update on visio.meeting_recordings
  for each row execute function visio.touch_updated_at();

-- ---------------------------------------------------------------------------
-- Privileges and row-level security. Reads: the operator sees everything, a client user the
-- rows of its own client. Writes: only the operator, and only what the functions need;
-- webhook and worker writes run as the table owner (service work).
-- ---------------------------------------------------------------------------

revoke all on visio.meetings, visio.meeting_recordings from anon, authenticated;
grant select, insert, update on visio.meetings to authenticated;
grant select on visio.meeting_recordings to authenticated;
grant update (transcription_status, transcription_attempts, transcription_error, next_attempt_at)
  on visio.meeting_recordings to authenticated;
grant select, insert, update, delete on visio.meetings, visio.meeting_recordings to service_role;

alter table visio.meetings enable row level security;
alter table visio.meeting_recordings enable row level security;

drop policy if exists meetings_read on visio.meetings;
create policy meetings_read on visio.meetings
  for select to authenticated
  using ((select visio.is_operator()) or client_id = (select visio.current_client_id()));

drop policy if exists meetings_operator_insert on visio.meetings;
create policy meetings_operator_insert on visio.meetings
  for insert to authenticated
  with check ((select visio.is_operator()) and created_by = (select auth.uid()));

drop policy if exists meetings_operator_update on visio.meetings;
create policy meetings_operator_update on visio.meetings
  for update to authenticated
  using ((select visio.is_operator()))
  with check ((select visio.is_operator()));

drop policy if exists meeting_recordings_read on visio.meeting_recordings;
create policy meeting_recordings_read on visio.meeting_recordings
  for select to authenticated
  using (exists (
    select 1 from visio.meetings m
    where m.id = meeting_id
      and ((select visio.is_operator()) or m.client_id = (select visio.current_client_id()))
  ));

drop policy if exists meeting_recordings_operator_update on visio.meeting_recordings;
create policy meeting_recordings_operator_update on visio.meeting_recordings
  for update to authenticated
  using ((select visio.is_operator()))
  with check ((select visio.is_operator()));

-- ---------------------------------------------------------------------------
-- The private Storage bucket. Only on Supabase (where the storage schema exists); the
-- functions reach it with the service key, and users only ever get signed URLs.
-- ---------------------------------------------------------------------------

do $$
begin
  if to_regclass('storage.buckets') is not null then
    insert into storage.buckets (id, name, public, allowed_mime_types)
    values ('recordings', 'recordings', false,
            array['video/mp4', 'application/x-subrip', 'text/vtt', 'application/octet-stream'])
    on conflict (id) do update set public = false;
  end if;
end
$$;
