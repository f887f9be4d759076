// The embedded default database for local runs and tests: PGlite (Postgres compiled to
// WebAssembly) served over the Postgres wire protocol by pglite-socket, so the production
// driver path (postgres.js) runs unchanged. Local only: imported dynamically, never deployed.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedDatabase {
  /** postgres:// URL of the wire server. PGlite is one session: connect with max 1. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory to persist into; in memory when absent. */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export async function startEmbeddedDatabase(
  options: EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  if (options.dataDir) await Deno.mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const host = options.host ?? "127.0.0.1";
  const server = new PGLiteSocketServer({ db, host, port: options.port ?? 0 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    const code = (err as { code?: string }).code;
    if (code === "EADDRINUSE") {
      throw new Error(`Cannot start the embedded database: port ${options.port} is already in use`);
    }
    throw err;
  }
  // pglite-socket keeps its node:net server on `server`; its address has the chosen port.
  const address = (server as unknown as { server?: { address(): { port: number } } }).server
    ?.address();
  const port = address?.port ?? options.port;
  return {
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
