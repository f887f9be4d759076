// Builds the real dependencies of the functions from the configuration. Entry points call
// it once; tests build their own (emulators, recording fetches, a shared test database).
import { createOpenViduClient, type OpenViduClient } from "./adapters/openvidu.ts";
import type { Storage } from "./adapters/storage.ts";
import { createOpenAITranscriber, type Transcriber } from "./adapters/transcriber.ts";
import { createTokenVerifier, type TokenVerifier } from "./auth.ts";
import { type Config, secretsOf } from "./config.ts";
import { createDatabase, type Database } from "./db.ts";
import { createLogger, type Logger } from "./log.ts";

export interface Services {
  config: Config;
  logger: Logger;
  db: Database;
  verifyToken: TokenVerifier;
  openvidu: OpenViduClient;
  /** Recording files and transcripts: Supabase Storage, or a local directory. */
  storage: Storage;
  transcriber: Transcriber;
  /** Release connections (and stop the embedded database when one was started). */
  close(): Promise<void>;
}

/** What services use of the local-only modules (typed here, so nothing imports them). */
interface EmbeddedDbModule {
  startEmbeddedDatabase(options: { dataDir: string }): Promise<{
    url: string;
    stop(): Promise<void>;
  }>;
}
interface MigrateModule {
  migrate(sql: Database["sql"]): Promise<unknown>;
}

/** A dynamic import a bundler cannot follow (the specifier is not a literal). */
function localOnly<T>(specifier: string): Promise<T> {
  const path = new URL(specifier, import.meta.url).href;
  return import(path) as Promise<T>;
}

export async function createServices(config: Config): Promise<Services> {
  const logger = createLogger({ secrets: secretsOf(config) });
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    // Local only (config refuses a missing database when deployed). Imported on demand, by
    // computed specifiers: bundlers (Supabase's eszip, deno compile) follow literal dynamic
    // imports, and PGlite (15 MB of WebAssembly) must never reach a deployment bundle.
    const { startEmbeddedDatabase } = await localOnly<EmbeddedDbModule>("./embedded_db.ts");
    const { migrate } = await localOnly<MigrateModule>("../../supabase/migrate.ts");
    const embedded = await startEmbeddedDatabase({ dataDir: ".data/pglite" });
    url = embedded.url;
    stopEmbedded = embedded.stop;
    const db = createDatabase(url, { max: 1 });
    await migrate(db.sql);
    await db.end();
  }
  // PGlite is a single session: one connection. Edge isolates are many: keep pools small.
  const db = createDatabase(url, { max: stopEmbedded ? 1 : config.deployed ? 3 : 10 });
  return {
    config,
    logger,
    db,
    verifyToken: createTokenVerifier({ jwtSecret: config.jwtSecret, jwksUrl: config.jwksUrl }),
    openvidu: createOpenViduClient({
      url: config.openvidu.url,
      secret: config.openvidu.secret,
      logger: logger.child({ service: "openvidu" }),
    }),
    storage: await createStorage(config),
    transcriber: createOpenAITranscriber({
      apiKey: config.openai.apiKey,
      baseUrl: config.openai.baseUrl,
      model: config.transcription.model,
    }),
    close: async () => {
      await db.end();
      await stopEmbedded?.();
    },
  };
}

/** The configured storage adapter; only its module is loaded. */
export async function createStorage(config: Config): Promise<Storage> {
  if (config.storage.backend === "supabase") {
    const { createSupabaseStorage } = await import("./adapters/storage_supabase.ts");
    return createSupabaseStorage({ url: config.supabaseUrl!, serviceKey: config.serviceRoleKey });
  }
  // Local links point at the local server, which serves them (createLocalStorageApp).
  const { createLocalStorage } = await import("./adapters/storage_local.ts");
  return createLocalStorage({
    dir: config.storage.dir,
    signingSecret: config.serviceRoleKey,
    publicUrl: `http://127.0.0.1:${config.port}`,
  });
}
