/**
 * The one error type the elements throw, show and report in `foxeo-error`. `code` says what
 * kind of failure it is (hosts branch on it); `message` says what failed and why, in English,
 * for logs; the elements show a localized sentence chosen from the code.
 */
export type WidgetErrorCode =
  /** The Visio service could not be reached (offline, DNS, CORS refused). */
  | "network"
  /** The service did not answer in time. */
  | "timeout"
  /** No token, or the service refused it (401). */
  | "unauthorized"
  /** The user may not do this (403). */
  | "forbidden"
  /** The meeting or recording does not exist, or the user may not see it (404). */
  | "not-found"
  /** The meeting is not in a status that allows this (409). */
  | "invalid-state"
  /** The service refused the input (400); `issues` names the fields. */
  | "invalid-request"
  /** A service behind the Visio service failed (502). */
  | "upstream"
  /** The Visio service failed (500) or answered something unexpected. */
  | "server"
  /** The element is missing configuration (`functions-url`, a token source, `meeting-id`). */
  | "config"
  /** Camera or microphone permission was refused. */
  | "media-denied"
  /** No usable camera or microphone, or it is in use elsewhere. */
  | "media-unavailable"
  /** Screen sharing was refused or is not supported. */
  | "screen-share-failed"
  /** The video meeting connection could not be opened. */
  | "connection-failed"
  /** The video meeting connection was lost for good. */
  | "connection-lost"
  /** A recording could not be played. */
  | "playback-failed";

export interface FieldIssue {
  path: string;
  message: string;
}

export interface WidgetErrorOptions {
  cause?: unknown;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The service's `request_id`, to quote when reporting a problem. */
  requestId?: string;
  issues?: FieldIssue[];
}

export class WidgetError extends Error {
  readonly code: WidgetErrorCode;
  readonly status?: number;
  readonly requestId?: string;
  readonly issues?: FieldIssue[];

  constructor(code: WidgetErrorCode, message: string, options: WidgetErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "WidgetError";
    this.code = code;
    this.status = options.status;
    this.requestId = options.requestId;
    this.issues = options.issues;
  }
}

/** Any thrown value as a WidgetError; unknown failures keep their message and become `server`. */
export function toWidgetError(error: unknown, fallback: WidgetErrorCode = "server"): WidgetError {
  if (error instanceof WidgetError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WidgetError(fallback, message, { cause: error });
}

export const isAbort = (error: unknown): boolean =>
  error instanceof DOMException && error.name === "AbortError";
