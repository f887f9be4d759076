// The schema's promises, checked on a real database (PGlite, and PostgreSQL when
// TEST_DATABASE_URL is set): row-level security per role, the meeting state machine, and
// migrations that apply twice without harm.
import assert from "node:assert/strict";
import type { Database, Tx } from "../functions/_shared/db.ts";
import { clientUser, dbTest, operatorUser, type TestUser } from "../functions/_shared/testing.ts";
import { migrate } from "./migrate.ts";

interface World {
  operator: TestUser;
  alice: TestUser; // a user of client A
  bob: TestUser; // a user of client B
  meetingA: string;
  meetingB: string;
  recordingA: string;
  recordingB: string;
}

/** Two clients, one meeting and one recording each, written as service. */
async function world(db: Database): Promise<World> {
  const operator = await operatorUser();
  const alice = await clientUser();
  const bob = await clientUser();
  const [meetingA, meetingB, recordingA, recordingB] = await db.asService(async (tx) => {
    const a = await insertMeeting(tx, alice.clientId!, operator.userId, "Client A review");
    const b = await insertMeeting(tx, bob.clientId!, operator.userId, "Client B review");
    return [a, b, await insertRecording(tx, a), await insertRecording(tx, b)];
  });
  return { operator, alice, bob, meetingA, meetingB, recordingA, recordingB };
}

async function insertMeeting(tx: Tx, clientId: string, createdBy: string, title: string) {
  const [row] = await tx`insert into visio.meetings (title, client_id, created_by)
                         values (${title}, ${clientId}, ${createdBy}) returning id`;
  return row.id as string;
}

async function insertRecording(tx: Tx, meetingId: string) {
  const [row] = await tx`
    insert into visio.meeting_recordings
      (meeting_id, openvidu_recording_id, openvidu_session_id, recording_name, started_at)
    values (${meetingId}, ${"visio-" + meetingId}, ${"visio-" + meetingId}, ${"rec"}, now())
    returning id`;
  return row.id as string;
}

const statusOf = async (db: Database, id: string) =>
  (await db.sql`select status from visio.meetings where id = ${id}`)[0]?.status;

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

dbTest("the operator sees every client's meetings and recordings", async ({ db }) => {
  const w = await world(db);
  const ids = [w.meetingA, w.meetingB];
  const rows = await db.asUser(
    w.operator,
    (tx) => tx`select id from visio.meetings where id = any(${ids}::uuid[]) order by title`,
  );
  assert.deepEqual(rows.map((r) => r.id), [w.meetingA, w.meetingB]);
  const recs = await db.asUser(
    w.operator,
    (tx) =>
      tx`select meeting_id from visio.meeting_recordings where meeting_id = any(${ids}::uuid[])`,
  );
  assert.equal(recs.length, 2);
});

dbTest("a client user sees its own client's meetings and recordings", async ({ db }) => {
  const w = await world(db);
  const rows = await db.asUser(w.alice, (tx) => tx`select id, client_id from visio.meetings`);
  assert.ok(rows.length >= 1);
  assert.ok(rows.every((r) => r.client_id === w.alice.clientId));
  assert.ok(rows.some((r) => r.id === w.meetingA));
  const recs = await db.asUser(w.alice, (tx) => tx`select id from visio.meeting_recordings`);
  assert.deepEqual(recs.map((r) => r.id), [w.recordingA]);
});

dbTest("a client user never sees, counts or infers another client's rows", async ({ db }) => {
  const w = await world(db);
  await db.asUser(w.alice, async (tx) => {
    assert.equal((await tx`select 1 from visio.meetings where id = ${w.meetingB}`).length, 0);
    const [{ n }] = await tx`select count(*)::int as n from visio.meetings
                             where client_id = ${w.bob.clientId}`;
    assert.equal(n, 0);
    assert.equal(
      (await tx`select 1 from visio.meeting_recordings where id = ${w.recordingB}`).length,
      0,
    );
    // Not through the recording's meeting either.
    const [{ visible }] = await tx`select exists (select 1 from visio.meeting_recordings
                                   where meeting_id = ${w.meetingB}) as visible`;
    assert.equal(visible, false);
    const [{ total }] = await tx`select count(*)::int as total from visio.meeting_recordings`;
    assert.equal(total, 1);
  });
});

dbTest("a client token without a client id sees nothing", async ({ db }) => {
  const w = await world(db);
  const broken = { claims: { ...w.alice.claims, app_metadata: { foxeo_role: "client" } } };
  const rows = await db.asUser(broken, (tx) => tx`select id from visio.meetings`);
  assert.equal(rows.length, 0);
});

dbTest("the anon role has no access at all", async ({ db }) => {
  await world(db);
  await assert.rejects(
    db.sql.begin(async (tx) => {
      await tx`select set_config('role', 'anon', true)`;
      await tx`select 1 from visio.meetings`;
    }),
    (e: { code?: string }) => e.code === "42501",
  );
});

// ---------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------

dbTest("a client user cannot write meetings directly", async ({ db }) => {
  const w = await world(db);
  await assert.rejects(
    db.asUser(w.alice, (tx) => insertMeeting(tx, w.alice.clientId!, w.alice.userId, "Mine")),
    (e: { code?: string }) => e.code === "42501",
  );
  for (const target of [w.meetingA, w.meetingB]) {
    const updated = await db.asUser(
      w.alice,
      (tx) => tx`update visio.meetings set title = 'hijacked' where id = ${target} returning id`,
    );
    assert.equal(updated.length, 0);
  }
  await assert.rejects(
    db.asUser(w.alice, (tx) => tx`delete from visio.meetings where id = ${w.meetingA}`),
    (e: { code?: string }) => e.code === "42501",
  );
  const [a] = await db.sql`select title from visio.meetings where id = ${w.meetingA}`;
  assert.equal(a.title, "Client A review");
});

dbTest("a client user cannot write recordings directly", async ({ db }) => {
  const w = await world(db);
  await assert.rejects(
    db.asUser(w.alice, (tx) => insertRecording(tx, w.meetingA)),
    (e: { code?: string }) => e.code === "42501",
  );
  const updated = await db.asUser(
    w.alice,
    (tx) =>
      tx`update visio.meeting_recordings set transcription_status = 'pending'
       where id in (${w.recordingA}, ${w.recordingB}) returning id`,
  );
  assert.equal(updated.length, 0);
  await assert.rejects(
    db.asUser(w.alice, (tx) =>
      tx`update visio.meeting_recordings set video_path = 'x'
                                  where id = ${w.recordingA}`),
    (e: { code?: string }) => e.code === "42501",
  );
  await assert.rejects(
    db.asUser(w.alice, (tx) => tx`delete from visio.meeting_recordings where id = ${w.recordingA}`),
    (e: { code?: string }) => e.code === "42501",
  );
});

dbTest("the operator creates meetings in its own name only", async ({ db }) => {
  const w = await world(db);
  const id = await db.asUser(
    w.operator,
    (tx) => insertMeeting(tx, w.alice.clientId!, w.operator.userId, "Kick-off"),
  );
  assert.equal(await statusOf(db, id), "scheduled");
  await assert.rejects(
    db.asUser(w.operator, (tx) => insertMeeting(tx, w.alice.clientId!, w.alice.userId, "Forged")),
    (e: { code?: string }) => e.code === "42501",
  );
});

dbTest("the operator moves meetings and resets a recording's transcription", async ({ db }) => {
  const w = await world(db);
  const moved = await db.asUser(
    w.operator,
    (tx) =>
      tx`update visio.meetings set status = 'in_progress' where id = ${w.meetingA} returning id`,
  );
  assert.equal(moved.length, 1);
  await db.sql`update visio.meeting_recordings set transcription_status = 'failed'
               where id = ${w.recordingA}`;
  const reset = await db.asUser(
    w.operator,
    (tx) =>
      tx`update visio.meeting_recordings set transcription_status = 'pending'
       where id = ${w.recordingA} returning transcription_status`,
  );
  assert.deepEqual(reset.map((r) => r.transcription_status), ["pending"]);
});

// ---------------------------------------------------------------------------
// The meeting state machine
// ---------------------------------------------------------------------------

type Status = "scheduled" | "in_progress" | "completed" | "cancelled";
const STATUSES: Status[] = ["scheduled", "in_progress", "completed", "cancelled"];
const LEGAL = new Set(["scheduled>in_progress", "scheduled>cancelled", "in_progress>completed"]);
const PATH: Record<Status, Status[]> = {
  scheduled: [],
  in_progress: ["in_progress"],
  completed: ["in_progress", "completed"],
  cancelled: ["cancelled"],
};

async function meetingIn(db: Database, status: Status): Promise<string> {
  const op = await operatorUser();
  const id = await db.asService((tx) => insertMeeting(tx, crypto.randomUUID(), op.userId, "State"));
  for (const step of PATH[status]) {
    await db.sql`update visio.meetings set status = ${step} where id = ${id}`;
  }
  return id;
}

dbTest(
  "every legal status move works and every illegal one is refused by the database",
  async ({ db }) => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        if (from === to) continue;
        const id = await meetingIn(db, from);
        const move = db.sql`update visio.meetings set status = ${to} where id = ${id}`;
        if (LEGAL.has(`${from}>${to}`)) {
          await move;
          assert.equal(await statusOf(db, id), to, `${from} -> ${to}`);
        } else {
          await assert.rejects(move, (e: { code?: string; message: string }) => {
            assert.equal(e.code, "FX409");
            assert.match(e.message, new RegExp(`meeting ${id} "State" from ${from} to ${to}`));
            return true;
          }, `${from} -> ${to} must be refused`);
          assert.equal(await statusOf(db, id), from);
        }
      }
    }
  },
);

dbTest("an operator's illegal move is refused too, with the meeting named", async ({ db }) => {
  const w = await world(db);
  await assert.rejects(
    db.asUser(
      w.operator,
      (tx) => tx`update visio.meetings set status = 'completed' where id = ${w.meetingA}`,
    ),
    (e: { code?: string; message: string }) =>
      e.code === "FX409" && e.message.includes(w.meetingA) &&
      e.message.includes("from scheduled to completed"),
  );
});

dbTest("a meeting can only be created as scheduled", async ({ db }) => {
  await assert.rejects(
    db.sql`insert into visio.meetings (title, client_id, created_by, status)
           values ('x', ${crypto.randomUUID()}, ${crypto.randomUUID()}, 'completed')`,
    (e: { code?: string }) => e.code === "FX409",
  );
});

dbTest("starting stamps started_at and ending computes the duration", async ({ db }) => {
  const id = await meetingIn(db, "scheduled");
  await db.sql`update visio.meetings set status = 'in_progress',
               started_at = now() - interval '95 minutes' where id = ${id}`;
  await db.sql`update visio.meetings set status = 'completed' where id = ${id}`;
  const [m] = await db.sql`select started_at, ended_at, duration_seconds from visio.meetings
                           where id = ${id}`;
  assert.ok(m.ended_at > m.started_at);
  assert.ok(Math.abs(m.duration_seconds - 95 * 60) <= 2, `duration ${m.duration_seconds}`);

  const fresh = await meetingIn(db, "in_progress");
  const [s] = await db.sql`select started_at from visio.meetings where id = ${fresh}`;
  assert.ok(s.started_at instanceof Date);
});

dbTest("a meeting's client cannot be changed", async ({ db }) => {
  const id = await meetingIn(db, "scheduled");
  await assert.rejects(
    db.sql`update visio.meetings set client_id = ${crypto.randomUUID()} where id = ${id}`,
    (e: { code?: string }) => e.code === "FX409",
  );
});

dbTest("a recording's OpenVidu identity is unique on id and start time", async ({ db }) => {
  const id = await meetingIn(db, "in_progress");
  const started = new Date("2026-01-01T10:00:00Z");
  const insert = (at: Date) =>
    db.sql`insert into visio.meeting_recordings
             (meeting_id, openvidu_recording_id, openvidu_session_id, recording_name, started_at)
           values (${id}, ${"visio-" + id}, ${"visio-" + id}, 'r', ${at})`;
  await insert(started);
  await assert.rejects(insert(started), (e: { code?: string }) => e.code === "23505");
  // OpenVidu hands the same id out again later: a new recording.
  await insert(new Date("2026-01-02T10:00:00Z"));
});

// ---------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------

dbTest("migrations apply twice without harm and record what ran", async ({ db }) => {
  const w = await world(db);
  const again = await migrate(db.sql);
  assert.deepEqual(again.applied, []);
  assert.ok(again.skipped.length >= 1);
  const [{ n }] = await db
    .sql`select count(*)::int as n from supabase_migrations.schema_migrations`;
  assert.equal(n, again.skipped.length);
  assert.equal(await statusOf(db, w.meetingA), "scheduled");
});

dbTest("the seed has an operator's meetings for two clients in every status", async ({ db }) => {
  await migrate(db.sql, { seed: true });
  await migrate(db.sql, { seed: true }); // the seed is idempotent too
  const rows = await db.sql`select client_id, status from visio.meetings
                            where id::text like '5eed0000-%' order by 1, 2`;
  assert.equal(rows.length, 8);
  for (
    const client of ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
  ) {
    assert.deepEqual(
      rows.filter((r) => r.client_id === client).map((r) => r.status),
      ["cancelled", "completed", "in_progress", "scheduled"],
    );
  }
});
