/**
 * Every event the elements dispatch. All bubble and cross shadow roots (`composed`); the ones a
 * host may veto are cancelable. Each is a `CustomEvent` subclass so `event.detail` is typed, and
 * `HTMLElementEventMap` knows them, so `addEventListener("foxeo-join", (e) => e.detail.meetingId)`
 * type-checks.
 */
import type { WidgetError, WidgetErrorCode } from "./errors.js";
import type { Meeting } from "./api-types.js";

const init = <T>(detail: T, cancelable = false): CustomEventInit<T> => ({
  detail,
  bubbles: true,
  composed: true,
  cancelable,
});

/**
 * The user asked to join a meeting. Cancelable: with `room-url` set, the default action is to
 * follow the link, and `preventDefault()` keeps the page where it is (for client-side routing).
 */
export class FoxeoJoinEvent extends CustomEvent<{ meetingId: string }> {
  static readonly type = "foxeo-join";
  constructor(meetingId: string) {
    super(FoxeoJoinEvent.type, init({ meetingId }, true));
  }
}

/**
 * The user asked to see a meeting's recordings. Cancelable like `foxeo-join`: with
 * `recordings-url` set the default action is to follow the link.
 */
export class FoxeoOpenRecordingsEvent extends CustomEvent<{ meetingId: string }> {
  static readonly type = "foxeo-open-recordings";
  constructor(meetingId: string) {
    super(FoxeoOpenRecordingsEvent.type, init({ meetingId }, true));
  }
}

export type MeetingAction = "created" | "started" | "ended" | "cancelled";

/** The operator created, started, ended or cancelled a meeting from the list, and it worked. */
export class FoxeoMeetingChangedEvent extends CustomEvent<{ action: MeetingAction; meeting: Meeting }> {
  static readonly type = "foxeo-meeting-changed";
  constructor(action: MeetingAction, meeting: Meeting) {
    super(FoxeoMeetingChangedEvent.type, init({ action, meeting }));
  }
}

/** The user is in the meeting room (connected and publishing what they chose). */
export class FoxeoJoinedEvent extends CustomEvent<{ meetingId: string; sessionId: string }> {
  static readonly type = "foxeo-joined";
  constructor(meetingId: string, sessionId: string) {
    super(FoxeoJoinedEvent.type, init({ meetingId, sessionId }));
  }
}

export type LeaveReason = "left" | "removed" | "connection-lost";

/** The user left the room: by the Leave button, by removing the element, or a lost connection. */
export class FoxeoLeftEvent extends CustomEvent<{ meetingId: string; reason: LeaveReason }> {
  static readonly type = "foxeo-left";
  constructor(meetingId: string, reason: LeaveReason) {
    super(FoxeoLeftEvent.type, init({ meetingId, reason }));
  }
}

/** The meeting ended while the user was in it (the operator ended it). */
export class FoxeoMeetingEndedEvent extends CustomEvent<{ meetingId: string; byMe: boolean }> {
  static readonly type = "foxeo-meeting-ended";
  constructor(meetingId: string, byMe: boolean) {
    super(FoxeoMeetingEndedEvent.type, init({ meetingId, byMe }));
  }
}

/** Something failed; the element also shows it. One event per failure. */
export class FoxeoErrorEvent
  extends CustomEvent<{ code: WidgetErrorCode; message: string; error: WidgetError }> {
  static readonly type = "foxeo-error";
  constructor(error: WidgetError) {
    super(FoxeoErrorEvent.type, init({ code: error.code, message: error.message, error }));
  }
}

declare global {
  interface HTMLElementEventMap {
    "foxeo-join": FoxeoJoinEvent;
    "foxeo-open-recordings": FoxeoOpenRecordingsEvent;
    "foxeo-meeting-changed": FoxeoMeetingChangedEvent;
    "foxeo-joined": FoxeoJoinedEvent;
    "foxeo-left": FoxeoLeftEvent;
    "foxeo-meeting-ended": FoxeoMeetingEndedEvent;
    "foxeo-error": FoxeoErrorEvent;
  }
}
