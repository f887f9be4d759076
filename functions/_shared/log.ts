// Structured logs (one JSON object per line) that never carry a token or a secret: every
// string is scrubbed of the configured secret values and of anything shaped like a JWT or a
// credential-bearing header before it is written.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Exact values to scrub (secrets from the configuration). */
  secrets?: readonly string[];
  /** Where lines go; defaults to the console. Tests pass a collector. */
  sink?: (level: LogLevel, line: string) => void;
  minLevel?: LogLevel;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const JWT_SHAPE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AUTH_SHAPE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const URL_CREDENTIALS = /(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g;
const REDACTED = "[redacted]";

const defaultSink = (level: LogLevel, line: string) => {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  const sink = options.sink ?? defaultSink;
  const min = ORDER[options.minLevel ?? "info"];

  const scrub = (s: string): string => {
    let out = s;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    return out.replace(JWT_SHAPE, REDACTED).replace(AUTH_SHAPE, `$1 ${REDACTED}`)
      .replace(URL_CREDENTIALS, `$1${REDACTED}@`);
  };

  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const record = { time: new Date().toISOString(), level, msg, ...base, ...fields };
    sink(level, scrub(JSON.stringify(record, replacer)));
  };

  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** Errors serialize as name, message, code and cause chain; no stack in production logs. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(e.code !== undefined ? { code: e.code } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger that keeps its lines, for tests that assert what was (not) logged. */
export function memoryLogger(secrets: readonly string[] = []): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ secrets, sink: (_l, line) => lines.push(line), minLevel: "debug" });
  return Object.assign(logger, { lines });
}
