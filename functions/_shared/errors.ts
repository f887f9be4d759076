// The error envelope of DESIGN §7 and the mapping of every failure onto it.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_state: 409,
  payload_too_large: 413,
  upstream_error: 502,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface Issue {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string; issues?: Issue[] };
}

/** A failure the caller may see: its message is written for them and holds no secret. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues?: Issue[];

  constructor(code: ErrorCode, message: string, options?: { issues?: Issue[]; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.issues = options?.issues;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** A dependency (OpenVidu, OpenAI, Storage) failed. `service` names it in logs. */
export class UpstreamError extends AppError {
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown; status?: number; retryable?: boolean },
  ) {
    super("upstream_error", message, { cause: options?.cause });
    this.name = "UpstreamError";
    this.upstreamStatus = options?.status;
    this.retryable = options?.retryable ?? true;
  }
  readonly upstreamStatus?: number;
  readonly retryable: boolean;
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    message: i.message,
  }));
}

/** Parse `value` with `schema`, or throw invalid_request naming what was being read. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = issuesOf(result.error);
    throw new AppError(
      "invalid_request",
      `Invalid ${what}: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      { issues },
    );
  }
  return result.data;
}

/** SQLSTATE raised by visio.meetings_guard for a refused status move. */
export const SQLSTATE_INVALID_TRANSITION = "FX409";

interface PgErrorLike {
  code: string;
  message: string;
}

function isPgError(e: unknown): e is PgErrorLike {
  return typeof e === "object" && e !== null && (e as { name?: string }).name === "PostgresError" &&
    typeof (e as PgErrorLike).code === "string";
}

/**
 * Map any thrown value to an AppError. Unknown errors become `internal`, whose message is
 * generic: the details go to the log with the request id, never to the caller.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) {
    const issues = issuesOf(err);
    return new AppError("invalid_request", "Invalid request", { issues });
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 413) return new AppError("payload_too_large", "Request body is too large");
    if (status === 401) return new AppError("unauthorized", err.message || "Unauthorized");
    if (status === 403) return new AppError("forbidden", err.message || "Forbidden");
    if (status === 404) return new AppError("not_found", err.message || "Not found");
    if (status === 400) return new AppError("invalid_request", err.message || "Invalid request");
  }
  if (isPgError(err)) {
    switch (err.code) {
      case SQLSTATE_INVALID_TRANSITION:
        return new AppError("invalid_state", err.message, { cause: err });
      case "42501": // insufficient_privilege, including a row refused by a policy
        return new AppError("forbidden", "This action is not allowed for your account", {
          cause: err,
        });
      case "22P02": // invalid_text_representation (e.g. a malformed uuid)
      case "23514": // check_violation
        return new AppError("invalid_request", "Invalid request", { cause: err });
    }
  }
  return new AppError("internal", "Internal error", { cause: err });
}

export function errorBody(e: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: e.code,
      message: e.message,
      request_id: requestId,
      ...(e.issues ? { issues: e.issues } : {}),
    },
  };
}
