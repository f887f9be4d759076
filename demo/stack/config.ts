// What `npm start` runs, decided once from the environment: the ports, which services are
// emulated (OpenVidu unless OPENVIDU_URL is set, OpenAI unless OPENAI_API_KEY is set), where
// the data lives, and the environment each process gets.
import { DEV_DEFAULTS } from "../../functions/_shared/config.ts";

export const DEFAULT_PORTS = { demo: 54320, functions: 54321, openvidu: 54330, openai: 54331 };

/** Markers of a deployment (Supabase Edge, Deno Deploy): the local stack refuses to run. */
const DEPLOYMENT_MARKERS = ["DENO_DEPLOYMENT_ID", "SB_EXECUTION_ID", "SB_REGION"];

export interface StackPorts {
  demo: number;
  functions: number;
  openvidu: number;
  openai: number;
}

export interface StackConfig {
  /** Absolute path of the data directory (`.data` in the working directory). */
  dataDir: string;
  ports: StackPorts;
  emulate: { openvidu: boolean; openai: boolean };
  /** null: the embedded PGlite database in `<dataDir>/pglite`. */
  databaseUrl: string | null;
  /** Signs the demo's development tokens; the functions verify with the same secret. */
  jwtSecret: string;
  webhookSecret: string;
  openviduSecret: string;
}

export class StackConfigError extends Error {
  override name = "StackConfigError";
}

function port(env: Record<string, string | undefined>, key: string, fallback: number): number {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new StackConfigError(`${key} must be a port number (0 picks a free one), not "${raw}"`);
  }
  return n;
}

export function stackConfig(
  env: Record<string, string | undefined>,
  cwd: string,
): StackConfig {
  const marker = DEPLOYMENT_MARKERS.find((k) => env[k]);
  if (marker) {
    throw new StackConfigError(
      `${marker} is set: this looks like a deployment. The local stack (emulators, development ` +
        `tokens) never runs there; deploy functions/ as the README describes.`,
    );
  }
  const ports = {
    demo: port(env, "DEMO_PORT", DEFAULT_PORTS.demo),
    functions: port(env, "PORT", DEFAULT_PORTS.functions),
    openvidu: port(env, "OPENVIDU_EMULATOR_PORT", DEFAULT_PORTS.openvidu),
    openai: port(env, "OPENAI_EMULATOR_PORT", DEFAULT_PORTS.openai),
  };
  const fixed = Object.entries(ports).filter(([, p]) => p !== 0);
  for (const [name, p] of fixed) {
    const other = fixed.find(([n, q]) => n !== name && q === p);
    if (other) throw new StackConfigError(`${name} and ${other[0]} cannot share port ${p}`);
  }
  const blank = (v: string | undefined) => !v || !v.trim();
  return {
    dataDir: `${cwd.replace(/\/+$/, "")}/.data`,
    ports,
    emulate: { openvidu: blank(env.OPENVIDU_URL), openai: blank(env.OPENAI_API_KEY) },
    databaseUrl: env.DATABASE_URL?.trim() || env.SUPABASE_DB_URL?.trim() || null,
    jwtSecret: env.SUPABASE_JWT_SECRET?.trim() || DEV_DEFAULTS.SUPABASE_JWT_SECRET,
    webhookSecret: env.OPENVIDU_WEBHOOK_SECRET?.trim() || DEV_DEFAULTS.OPENVIDU_WEBHOOK_SECRET,
    openviduSecret: env.OPENVIDU_SECRET?.trim() || DEV_DEFAULTS.OPENVIDU_SECRET,
  };
}

export const functionsUrl = (ports: StackPorts) =>
  `http://127.0.0.1:${ports.functions}/functions/v1`;

/** The functions process: the user's environment, completed with the stack's choices. */
export function functionsEnv(
  config: StackConfig,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.PORT = String(config.ports.functions);
  out.SUPABASE_JWT_SECRET = config.jwtSecret;
  out.OPENVIDU_WEBHOOK_SECRET = config.webhookSecret;
  if (config.emulate.openvidu) {
    out.OPENVIDU_URL = `http://127.0.0.1:${config.ports.openvidu}`;
    out.OPENVIDU_SECRET = config.openviduSecret;
  }
  if (config.emulate.openai) {
    out.OPENAI_API_KEY = DEV_DEFAULTS.OPENAI_API_KEY;
    out.OPENAI_BASE_URL = `http://127.0.0.1:${config.ports.openai}/v1`;
  }
  return out;
}

/** The OpenVidu emulator, configured with the real server's variables. */
export function openviduEmulatorEnv(
  config: StackConfig,
  env: Record<string, string | undefined>,
): Record<string, string> {
  return {
    ...passThrough(env),
    PORT: String(config.ports.openvidu),
    OPENVIDU_SECRET: config.openviduSecret,
    OPENVIDU_RECORDING: "true",
    OPENVIDU_WEBHOOK: "true",
    OPENVIDU_WEBHOOK_ENDPOINT: `${functionsUrl(config.ports)}/openvidu-webhook`,
    OPENVIDU_WEBHOOK_HEADERS: JSON.stringify([`Authorization: Bearer ${config.webhookSecret}`]),
  };
}

export function openaiEmulatorEnv(
  config: StackConfig,
  env: Record<string, string | undefined>,
): Record<string, string> {
  return {
    ...passThrough(env),
    PORT: String(config.ports.openai),
    OPENAI_API_KEY: DEV_DEFAULTS.OPENAI_API_KEY,
  };
}

/** What an emulator needs from the user's environment: the system, not the app's settings. */
function passThrough(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "TMPDIR", "LANG", "DENO_DIR", "NO_COLOR"]) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
