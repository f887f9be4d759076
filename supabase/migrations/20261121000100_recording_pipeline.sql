-- Recording pipeline (DESIGN §6–§8): the state a worker needs to resume a transfer or a
-- transcription after a crash or an exhausted time budget, the per-chunk transcription
-- results, the status moves the database accepts, and the index the worker claims work with.

-- ---------------------------------------------------------------------------
-- Transfer and transcription progress on each recording
-- ---------------------------------------------------------------------------

alter table visio.meeting_recordings
  -- Bytes of the OpenVidu file already in Storage (the storage itself is the authority when
  -- they disagree; this is what the last slice recorded).
  add column if not exists transfer_offset bigint not null default 0
    constraint meeting_recordings_transfer_offset_positive check (transfer_offset >= 0),
  -- What the storage adapter needs to resume the upload (a TUS upload URL on Supabase).
  add column if not exists transfer_resume text,
  -- Consecutive failed transfer slices; reset when a slice makes progress.
  add column if not exists transfer_attempts integer not null default 0
    constraint meeting_recordings_transfer_attempts_positive check (transfer_attempts >= 0),
  -- The audio chunks the transcription is cut into, fixed when it starts:
  -- [{ "index", "first_sample", "sample_count", "start", "end", "bytes" }] (seconds, bytes).
  add column if not exists transcription_plan jsonb,
  add column if not exists transcription_chunks_done integer not null default 0
    constraint meeting_recordings_chunks_done_positive check (transcription_chunks_done >= 0);

comment on column visio.meeting_recordings.transfer_resume is
  'Storage resume state of the upload in progress (TUS upload URL on Supabase); null when none.';
comment on column visio.meeting_recordings.transcription_plan is
  'Audio chunks of the transcription, fixed when it starts, so every slice agrees on them.';

-- The worker's claim: due work that nobody holds, oldest first.
create index if not exists meeting_recordings_due_idx
  on visio.meeting_recordings (next_attempt_at)
  where status in ('pending', 'uploading')
     or (status = 'ready' and transcription_status in ('pending', 'processing'));

-- ---------------------------------------------------------------------------
-- Status moves. File: pending -> uploading -> ready | failed (failed -> pending is a retry).
-- Transcription: pending -> processing -> completed | failed (failed -> pending is the
-- operator's retry). Anything else is refused with SQLSTATE FX409, like meetings.
-- The operator's retry (the only transcription write a user may make) also resets the
-- attempts and, when the file itself failed, puts the transfer back in the queue: a BEFORE
-- trigger may set columns the caller has no UPDATE privilege on.
-- ---------------------------------------------------------------------------

create or replace function visio.meeting_recordings_guard() returns trigger
language plpgsql
as $$
begin
  if new.status is distinct from old.status and not (
    (old.status = 'pending' and new.status in ('uploading', 'ready', 'failed'))
    or (old.status = 'uploading' and new.status in ('ready', 'failed'))
    or (old.status = 'failed' and new.status = 'pending')
  ) then
    raise exception 'Cannot move recording % from % to %', old.id, old.status, new.status
      using errcode = 'FX409', detail = old.status, hint = new.status;
  end if;

  if new.transcription_status is distinct from old.transcription_status and not (
    (old.transcription_status = 'pending' and new.transcription_status in ('processing', 'failed'))
    or (old.transcription_status = 'processing'
        and new.transcription_status in ('completed', 'failed'))
    or (old.transcription_status = 'failed' and new.transcription_status = 'pending')
  ) then
    raise exception 'Cannot move the transcription of recording % from % to %',
      old.id, old.transcription_status, new.transcription_status
      using errcode = 'FX409', detail = old.transcription_status,
            hint = new.transcription_status;
  end if;

  if old.transcription_status = 'failed' and new.transcription_status = 'pending' then
    new.transcription_attempts := 0;
    new.transcription_error := null;
    new.next_attempt_at := now();
    new.lease_owner := null;
    new.lease_expires_at := null;
    if new.status = 'failed' then
      new.status := 'pending';
      new.error := null;
      new.transfer_attempts := 0;
    end if;
  end if;
  return new;
end
$$;

drop trigger if exists meeting_recordings_guard on visio.meeting_recordings;
create trigger meeting_recordings_guard
  before update on visio.meeting_recordings
  for each row execute function visio.meeting_recordings_guard();

-- ---------------------------------------------------------------------------
-- recording_transcript_chunks: one row per transcribed audio chunk, written once per chunk
-- (upsert on the primary key, so a retried slice never duplicates text). Times are seconds
-- from the start of the recording, already shifted by the chunk's start.
-- ---------------------------------------------------------------------------

create table if not exists visio.recording_transcript_chunks (
  recording_id uuid not null references visio.meeting_recordings (id) on delete cascade,
  chunk_index integer not null constraint recording_transcript_chunks_index_positive
    check (chunk_index >= 0),
  start_seconds double precision not null,
  end_seconds double precision not null,
  text text not null,
  -- [{ "start", "end", "text" }]
  segments jsonb not null,
  audio_bytes integer not null,
  created_at timestamptz not null default now(),
  primary key (recording_id, chunk_index),
  constraint recording_transcript_chunks_times check (end_seconds >= start_seconds)
);

revoke all on visio.recording_transcript_chunks from anon, authenticated;
grant select on visio.recording_transcript_chunks to authenticated;
grant select, insert, update, delete on visio.recording_transcript_chunks to service_role;

alter table visio.recording_transcript_chunks enable row level security;

-- Readable exactly when the recording is: the subquery runs under the recordings' policy.
drop policy if exists recording_transcript_chunks_read on visio.recording_transcript_chunks;
create policy recording_transcript_chunks_read on visio.recording_transcript_chunks
  for select to authenticated
  using (exists (select 1 from visio.meeting_recordings r where r.id = recording_id));
