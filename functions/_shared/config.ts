// The functions' configuration (DESIGN §4). Parsed once from the environment by the entry
// points; a bad or missing value fails at start with every bad key listed.
import { z } from "zod";

/** Development values. Refused when running deployed (Supabase Edge or Deno Deploy). */
export const DEV_DEFAULTS = {
  SUPABASE_SERVICE_ROLE_KEY: "foxeo-dev-service-role-key",
  // The Supabase CLI's local JWT secret, so tokens from a local `supabase start` verify too.
  SUPABASE_JWT_SECRET: "super-secret-jwt-token-with-at-least-32-characters-long",
  OPENVIDU_URL: "http://127.0.0.1:54330",
  OPENVIDU_SECRET: "MY_SECRET",
  OPENVIDU_WEBHOOK_SECRET: "foxeo-dev-webhook-secret",
  OPENAI_API_KEY: "sk-foxeo-emulator",
  OPENAI_BASE_URL: "http://127.0.0.1:54331/v1",
} as const;

const PRODUCTION_MARKERS = ["DENO_DEPLOYMENT_ID", "SB_EXECUTION_ID", "SB_REGION"] as const;

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL");
const intIn = (min: number, max: number) =>
  z.coerce.number({ error: "must be a number" }).int("must be an integer").min(min).max(max);

const EnvSchema = z.object({
  PORT: opt(intIn(1, 65535)),
  DATABASE_URL: opt(postgresUrl),
  SUPABASE_DB_URL: opt(postgresUrl),
  SUPABASE_URL: opt(httpUrl),
  SUPABASE_SERVICE_ROLE_KEY: opt(z.string().min(16, "must be at least 16 characters")),
  SUPABASE_JWT_SECRET: opt(z.string().min(32, "must be at least 32 characters")),
  SUPABASE_JWKS_URL: opt(httpUrl),
  OPENVIDU_URL: opt(httpUrl),
  OPENVIDU_SECRET: opt(z.string().min(1)),
  OPENVIDU_WEBHOOK_SECRET: opt(z.string().min(16, "must be at least 16 characters")),
  OPENAI_API_KEY: opt(z.string().min(1)),
  OPENAI_BASE_URL: opt(httpUrl),
  TRANSCRIPTION_MODEL: opt(
    z.literal("whisper-1", {
      error: "must be whisper-1 (the only model that returns timestamps, SRT and VTT)",
    }),
  ),
  TRANSCRIPTION_LANGUAGE: opt(z.string().regex(/^[a-z]{2}$/, "must be an ISO-639-1 code")),
  STORAGE_BACKEND: opt(z.enum(["local", "supabase"], { error: "must be local or supabase" })),
  STORAGE_DIR: opt(z.string().min(1)),
  SIGNED_URL_TTL_SECONDS: opt(intIn(60, 7 * 24 * 3600)),
  ALLOWED_ORIGINS: opt(
    z.string().refine(
      (v) => v.trim() === "*" || v.split(",").every((o) => isOrigin(o.trim())),
      "must be * or a comma-separated list of origins such as https://app.foxeo.fr",
    ),
  ),
  WORKER_INTERVAL_MS: opt(intIn(0, 3_600_000)),
});

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === value;
  } catch {
    return false;
  }
}

export interface Config {
  /** true on Supabase Edge Functions and Deno Deploy: development defaults are refused. */
  deployed: boolean;
  port: number;
  /** null: the embedded PGlite database (local only). */
  databaseUrl: string | null;
  supabaseUrl: string | null;
  serviceRoleKey: string;
  jwtSecret: string | null;
  jwksUrl: string | null;
  openvidu: { url: string; secret: string; webhookSecret: string };
  openai: { apiKey: string; baseUrl: string | null };
  transcription: { model: "whisper-1"; language: string };
  storage: { backend: "local" | "supabase"; dir: string; signedUrlTtlSeconds: number };
  allowedOrigins: "*" | string[];
  workerIntervalMs: number;
  /** Which services run on development defaults (for the start banner). */
  emulated: { openvidu: boolean; openai: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: { key: string; message: string }[]) {
    super(
      `Invalid configuration: ${problems.map((p) => `${p.key} ${p.message}`).join("; ")}`,
    );
    this.name = "ConfigError";
  }

  get keys(): string[] {
    return [...new Set(this.problems.map((p) => p.key))];
  }
}

/** Parse the environment. Throws ConfigError listing every bad or missing key. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: { key: string; message: string }[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ key: String(issue.path[0]), message: issue.message });
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const deployed = PRODUCTION_MARKERS.some((k) => env[k]);

  const need = (key: keyof typeof DEV_DEFAULTS, value: string | undefined): string => {
    if (value !== undefined) return value;
    if (deployed) problems.push({ key, message: "is required when deployed" });
    return DEV_DEFAULTS[key];
  };

  const databaseUrl = e.DATABASE_URL ?? e.SUPABASE_DB_URL ?? null;
  if (deployed && !databaseUrl) {
    problems.push({
      key: "DATABASE_URL",
      message: "is required when deployed (or SUPABASE_DB_URL)",
    });
  }
  const supabaseUrl = e.SUPABASE_URL?.replace(/\/+$/, "") ?? null;
  const jwksUrl = e.SUPABASE_JWKS_URL ??
    (supabaseUrl ? `${supabaseUrl}/auth/v1/.well-known/jwks.json` : null);
  const jwtSecret = e.SUPABASE_JWT_SECRET ?? (deployed ? null : DEV_DEFAULTS.SUPABASE_JWT_SECRET);
  if (!jwtSecret && !jwksUrl) {
    problems.push({
      key: "SUPABASE_JWT_SECRET",
      message: "or SUPABASE_JWKS_URL / SUPABASE_URL is required to verify user tokens",
    });
  }
  const storageBackend = e.STORAGE_BACKEND ?? (supabaseUrl ? "supabase" : "local");
  if (storageBackend === "supabase" && !supabaseUrl) {
    problems.push({ key: "SUPABASE_URL", message: "is required when STORAGE_BACKEND=supabase" });
  }
  if (deployed && storageBackend === "local") {
    problems.push({
      key: "STORAGE_BACKEND",
      message: "must be supabase when deployed (function file systems are ephemeral)",
    });
  }

  const openviduEmulated = e.OPENVIDU_URL === undefined;
  const openaiEmulated = e.OPENAI_API_KEY === undefined;
  const config: Config = {
    deployed,
    port: e.PORT ?? 54321,
    databaseUrl,
    supabaseUrl,
    serviceRoleKey: need("SUPABASE_SERVICE_ROLE_KEY", e.SUPABASE_SERVICE_ROLE_KEY),
    jwtSecret,
    jwksUrl,
    openvidu: {
      url: need("OPENVIDU_URL", e.OPENVIDU_URL).replace(/\/+$/, ""),
      secret: need("OPENVIDU_SECRET", e.OPENVIDU_SECRET),
      webhookSecret: need("OPENVIDU_WEBHOOK_SECRET", e.OPENVIDU_WEBHOOK_SECRET),
    },
    openai: {
      apiKey: need("OPENAI_API_KEY", e.OPENAI_API_KEY),
      // A real key with no base URL means the real API (the SDK's default).
      baseUrl: e.OPENAI_BASE_URL ?? (openaiEmulated ? DEV_DEFAULTS.OPENAI_BASE_URL : null),
    },
    transcription: {
      model: e.TRANSCRIPTION_MODEL ?? "whisper-1",
      language: e.TRANSCRIPTION_LANGUAGE ?? "fr",
    },
    storage: {
      backend: storageBackend,
      dir: e.STORAGE_DIR ?? ".data/storage",
      signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS ?? 3600,
    },
    allowedOrigins: !e.ALLOWED_ORIGINS || e.ALLOWED_ORIGINS.trim() === "*"
      ? "*"
      : e.ALLOWED_ORIGINS.split(",").map((o) => o.trim()),
    workerIntervalMs: e.WORKER_INTERVAL_MS ?? 2000,
    emulated: { openvidu: openviduEmulated, openai: openaiEmulated },
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Every secret value in the configuration, for log redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.serviceRoleKey,
    config.jwtSecret,
    config.openvidu.secret,
    config.openvidu.webhookSecret,
    config.openai.apiKey,
    config.databaseUrl ? passwordOf(config.databaseUrl) : null,
  ].filter((s): s is string => typeof s === "string" && s.length >= 4);
}

function passwordOf(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).password) || null;
  } catch {
    return null;
  }
}
