// The meeting lifecycle against OpenVidu: start, join tokens, end, cancel. The database holds
// the truth; OpenVidu calls happen outside transactions and every status move is a
// compare-and-set, so concurrent calls leave one consistent result and an OpenVidu failure
// never leaves a half-written meeting.
import type { Principal } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { AppError, UpstreamError } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import type { CreateSessionOptions, OpenViduClient } from "../_shared/adapters/openvidu.ts";
import type { MeetingRow, MeetingStatus } from "./schemas.ts";
import { getMeeting, moveMeeting } from "./store.ts";

export interface LifecycleDeps {
  db: Database;
  openvidu: OpenViduClient;
}

/** The OpenVidu session of a meeting (a decided convention: `visio-<meeting uuid>`). */
export const openviduSessionId = (meetingId: string) => `visio-${meetingId}`;

/** Recorded automatically from the first publish; COMPOSED mp4 (reference/openvidu2.md §2). */
export const SESSION_OPTIONS: CreateSessionOptions = {
  recordingMode: "ALWAYS",
  mediaMode: "ROUTED",
  defaultRecordingProperties: {
    outputMode: "COMPOSED",
    hasAudio: true,
    hasVideo: true,
    recordingLayout: "BEST_FIT",
    resolution: "1280x720",
    frameRate: 25,
  },
};

const STATUS_WORDS: Record<MeetingStatus, string> = {
  scheduled: "scheduled",
  in_progress: "in progress",
  completed: "completed",
  cancelled: "cancelled",
};

export function invalidState(verb: string, meeting: Pick<MeetingRow, "title" | "status">) {
  return new AppError(
    "invalid_state",
    `Cannot ${verb} meeting "${meeting.title}": it is ${STATUS_WORDS[meeting.status]}`,
  );
}

/** The meeting a query found, or not_found (RLS hides another client's meetings). */
function found(meeting: MeetingRow | null, id: string): MeetingRow {
  if (!meeting) throw new AppError("not_found", `Meeting ${id} not found`);
  return meeting;
}

/** The meeting as the caller may see it (RLS), or not_found. */
export async function visibleMeeting(
  db: Database,
  principal: Principal,
  id: string,
): Promise<MeetingRow> {
  return found(await db.asUser(principal, (tx) => getMeeting(tx, id)), id);
}

/** The meeting the operator is about to `verb`: operator only, and still `from`. */
function checkMove(
  meeting: MeetingRow,
  principal: Principal,
  verb: string,
  from: MeetingStatus,
): MeetingRow {
  if (principal.role !== "operator") {
    throw new AppError("forbidden", `Only the operator can ${verb} a meeting`);
  }
  if (meeting.status !== from) throw invalidState(verb, meeting);
  return meeting;
}

/**
 * from → to for a meeting that needs no OpenVidu call first, in one transaction: the check,
 * then a compare-and-set; when someone else moved it meanwhile, invalid_state names the
 * status it has now.
 */
function moveOrExplain(
  db: Database,
  principal: Principal,
  id: string,
  verb: string,
  from: MeetingStatus,
  to: MeetingStatus,
): Promise<MeetingRow> {
  return db.asUser(principal, async (tx) => {
    checkMove(found(await getMeeting(tx, id), id), principal, verb, from);
    const moved = await moveMeeting(tx, id, from, to);
    if (moved) return moved;
    throw invalidState(verb, found(await getMeeting(tx, id), id));
  });
}

/** Rephrase an OpenVidu failure for this meeting, keeping its status and retry hint. */
function upstream(err: unknown, prefix: string): unknown {
  if (!(err instanceof UpstreamError)) return err;
  return new UpstreamError(err.service, `${prefix}: ${err.message}`, {
    status: err.upstreamStatus,
    retryable: err.retryable,
    cause: err,
  });
}

/** scheduled → in_progress, with the OpenVidu session created first. */
export async function startMeeting(
  deps: LifecycleDeps,
  principal: Principal,
  id: string,
  log: Logger,
): Promise<MeetingRow> {
  const meeting = checkMove(
    await visibleMeeting(deps.db, principal, id),
    principal,
    "start",
    "scheduled",
  );

  const sessionId = openviduSessionId(meeting.id);
  try {
    const session = await deps.openvidu.createSession(sessionId, SESSION_OPTIONS);
    if (session.recordingMode !== "ALWAYS") {
      log.warn("OpenVidu session exists without automatic recording", {
        meeting_id: id,
        openvidu_session_id: sessionId,
        recording_mode: session.recordingMode,
      });
    }
  } catch (err) {
    // Nothing was written: the meeting is still scheduled and can be started again.
    throw upstream(err, `Cannot start meeting "${meeting.title}" (it is still scheduled)`);
  }

  const started = await deps.db.asUser(
    principal,
    (tx) => moveMeeting(tx, id, "scheduled", "in_progress", sessionId),
  );
  if (started) {
    log.info("meeting started", { meeting_id: id, openvidu_session_id: sessionId });
    return started;
  }
  // Someone else moved it first. If it was not another start (a cancel), the session we
  // created belongs to nothing: close it.
  const now = await visibleMeeting(deps.db, principal, id);
  if (now.status !== "in_progress") {
    await deps.openvidu.closeSession(sessionId).catch((err) =>
      log.error("cannot close the OpenVidu session of a meeting that did not start", {
        meeting_id: id,
        openvidu_session_id: sessionId,
        error: err,
      })
    );
  }
  throw invalidState("start", now);
}

export interface JoinToken {
  token: string;
  session_id: string;
}

/**
 * One single-use token for an in-progress meeting. OpenVidu closes a session when its last
 * participant leaves: a 404 from /connection re-creates it (after checking the meeting is
 * still in progress, so a meeting ended meanwhile gets no new session).
 */
export async function joinToken(
  deps: LifecycleDeps,
  principal: Principal,
  id: string,
): Promise<JoinToken> {
  let meeting = await visibleMeeting(deps.db, principal, id);
  if (meeting.status !== "in_progress") throw invalidState("join", meeting);
  const sessionId = meeting.openvidu_session_id ?? openviduSessionId(meeting.id);
  const data = JSON.stringify({
    user_id: principal.userId,
    display_name: principal.displayName,
    role: principal.role,
  });
  const prefix = () => `Cannot get a token for meeting "${meeting.title}"`;
  for (let attempt = 0;; attempt++) {
    try {
      const { token } = await deps.openvidu.createConnection(sessionId, { data });
      return { token, session_id: sessionId };
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.upstreamStatus !== 404 || attempt >= 2) {
        throw upstream(err, prefix());
      }
    }
    meeting = await visibleMeeting(deps.db, principal, id);
    if (meeting.status !== "in_progress") throw invalidState("join", meeting);
    try {
      await deps.openvidu.createSession(sessionId, SESSION_OPTIONS);
    } catch (err) {
      throw upstream(err, prefix());
    }
  }
}

/**
 * in_progress → completed, then OpenVidu: stop the active recording and close the session.
 * The meeting ends even when OpenVidu fails (an abandoned session closes by itself once
 * empty); the failure is logged.
 */
export async function endMeeting(
  deps: LifecycleDeps,
  principal: Principal,
  id: string,
  log: Logger,
): Promise<MeetingRow> {
  const ended = await moveOrExplain(deps.db, principal, id, "end", "in_progress", "completed");
  const sessionId = ended.openvidu_session_id ?? openviduSessionId(id);
  log.info("meeting ended", {
    meeting_id: id,
    openvidu_session_id: sessionId,
    duration_seconds: ended.duration_seconds,
  });
  await closeOpenViduSession(deps.openvidu, sessionId, log.child({ meeting_id: id }));
  return ended;
}

async function closeOpenViduSession(openvidu: OpenViduClient, sessionId: string, log: Logger) {
  try {
    const session = await openvidu.getSession(sessionId);
    if (!session) return; // it already closed when it emptied
    if (session.recording) {
      const active = (await openvidu.listRecordings()).filter((r) =>
        r.sessionId === sessionId && (r.status === "started" || r.status === "starting")
      );
      for (const r of active) {
        try {
          const stopped = await openvidu.stopRecording(r.id);
          log.info("recording stopped", { recording_id: r.id, status: stopped.status });
        } catch (err) {
          // Closing the session below stops it too.
          log.error("cannot stop the recording of an ended meeting", {
            recording_id: r.id,
            error: err,
          });
        }
      }
    }
    await openvidu.closeSession(sessionId);
  } catch (err) {
    log.error("the meeting ended but its OpenVidu session could not be closed", {
      openvidu_session_id: sessionId,
      error: err,
    });
  }
}

/** scheduled → cancelled (no OpenVidu session exists before a start). */
export async function cancelMeeting(
  deps: LifecycleDeps,
  principal: Principal,
  id: string,
  log: Logger,
): Promise<MeetingRow> {
  const cancelled = await moveOrExplain(deps.db, principal, id, "cancel", "scheduled", "cancelled");
  log.info("meeting cancelled", { meeting_id: id });
  return cancelled;
}
