// SQL of the meetings API. Every query runs inside the caller's transaction (db.asUser), so
// row-level security decides what exists; the explicit client predicate of client users only
// lets the planner use the per-client index.
import type { Principal } from "../_shared/auth.ts";
import type { Tx } from "../_shared/db.ts";
import {
  type CreateMeetingInput,
  type Cursor,
  encodeCursor,
  type ListInput,
  type MeetingRow,
  type MeetingStatus,
} from "./schemas.ts";

const columns = (tx: Tx) =>
  tx`id, title, description, client_id, status, scheduled_at, started_at, ended_at,
     duration_seconds, language, openvidu_session_id, created_at, updated_at`;

/** The list order (DESIGN: scheduled_at desc, id desc) and its cursor text, in UTC µs. */
const ORDER = "order by scheduled_at desc, id desc";
const cursorText = (tx: Tx) =>
  tx`to_char(scheduled_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at`;

export interface Page {
  rows: MeetingRow[];
  nextCursor: string | null;
}

type ListRow = MeetingRow & { cursor_at: string };

/**
 * One page, newest first, by keyset (no OFFSET: a deep page costs what the first does).
 * Several statuses without a client filter become one index range per status merged by
 * UNION ALL, so a rare status is never found by scanning the common ones.
 */
export async function listMeetings(
  tx: Tx,
  principal: Principal,
  query: ListInput,
  cursor: Cursor | null,
): Promise<Page> {
  let clientId = query.client_id ?? null;
  if (principal.role === "client") {
    // A client sees only its own meetings: asking for another client's is an empty page.
    if (clientId && clientId !== principal.clientId) return { rows: [], nextCursor: null };
    clientId = principal.clientId;
  }
  const take = query.limit + 1;
  const client = clientId ? tx`and client_id = ${clientId}::uuid` : tx``;
  const after = cursor
    ? tx`and (scheduled_at, id) < (${cursor.scheduledAt}::timestamptz, ${cursor.id}::uuid)`
    : tx``;
  const statuses = [...new Set(query.status ?? [])];
  const order = tx.unsafe(ORDER);

  let rows: ListRow[];
  if (statuses.length > 1 && !clientId) {
    const branch = (status: MeetingStatus) =>
      tx`(select ${columns(tx)}, ${cursorText(tx)} from visio.meetings
          where status = ${status} ${after} ${order} limit ${take})`;
    let union = branch(statuses[0]);
    for (const s of statuses.slice(1)) union = tx`${union} union all ${branch(s)}`;
    rows = await tx<ListRow[]>`select * from (${union}) page ${order} limit ${take}`;
  } else {
    const status = statuses.length === 1
      ? tx`and status = ${statuses[0]}`
      : statuses.length > 1
      ? tx`and status = any(${statuses}::text[])`
      : tx``;
    rows = await tx<ListRow[]>`
      select ${columns(tx)}, ${cursorText(tx)} from visio.meetings
      where true ${client} ${status} ${after}
      ${order} limit ${take}`;
  }

  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page.at(-1);
  return {
    rows: page.map(({ cursor_at: _, ...row }) => row),
    nextCursor: more && last ? encodeCursor({ scheduledAt: last.cursor_at, id: last.id }) : null,
  };
}

export async function getMeeting(tx: Tx, id: string): Promise<MeetingRow | null> {
  const [row] = await tx<MeetingRow[]>`select ${columns(tx)} from visio.meetings where id = ${id}`;
  return row ?? null;
}

export async function insertMeeting(
  tx: Tx,
  principal: Principal,
  input: CreateMeetingInput,
  defaultLanguage: string,
): Promise<MeetingRow> {
  const [row] = await tx<MeetingRow[]>`
    insert into visio.meetings (title, description, client_id, created_by, scheduled_at, language)
    values (${input.title}, ${input.description}, ${input.client_id}, ${principal.userId},
            coalesce(${input.scheduled_at ?? null}::timestamptz, now()),
            ${input.language ?? defaultLanguage})
    returning ${columns(tx)}`;
  return row;
}

/**
 * Move a meeting from `from` to `to` if it is still in `from` (compare-and-set: of two
 * concurrent moves, one wins). The database trigger checks the move and stamps the times.
 * Null when the meeting was no longer in `from`.
 */
export async function moveMeeting(
  tx: Tx,
  id: string,
  from: MeetingStatus,
  to: MeetingStatus,
  openviduSessionId?: string,
): Promise<MeetingRow | null> {
  const [row] = await tx<MeetingRow[]>`
    update visio.meetings
    set status = ${to},
        openvidu_session_id = coalesce(${openviduSessionId ?? null}, openvidu_session_id)
    where id = ${id} and status = ${from}
    returning ${columns(tx)}`;
  return row ?? null;
}
