// The embedded database of `npm start`: PGlite in `.data/pglite`, migrated and seeded on the
// first start only (the functions migrate it again at every start; migrations are
// idempotent). It is built in a side directory and moved into place once complete, so an
// interrupted first start leaves nothing half-made.
import { join } from "node:path";
import { createDatabase } from "../../functions/_shared/db.ts";
import { startEmbeddedDatabase } from "../../functions/_shared/embedded_db.ts";
import { migrate } from "../../supabase/migrate.ts";

export const PGLITE_DIR = "pglite";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Create and seed `<dataDir>/pglite` when it does not exist. True when it was created. */
export async function prepareEmbeddedDatabase(dataDir: string): Promise<boolean> {
  const target = join(dataDir, PGLITE_DIR);
  if (await exists(join(target, "PG_VERSION"))) return false;
  if (await exists(target)) {
    throw new Error(
      `${target} exists but holds no database. Move it away (or delete .data/ to start afresh).`,
    );
  }
  const partial = `${target}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  const embedded = await startEmbeddedDatabase({ dataDir: partial });
  const db = createDatabase(embedded.url, { max: 1 });
  try {
    await migrate(db.sql, { seed: true });
  } finally {
    await db.end();
    await embedded.stop();
  }
  await Deno.rename(partial, target);
  return true;
}
