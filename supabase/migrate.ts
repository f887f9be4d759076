// Apply supabase/migrations to a database, idempotently, recording what ran in the table the
// Supabase CLI uses (supabase_migrations.schema_migrations), so `supabase db push` and this
// tool agree. On a plain PostgreSQL or PGlite, supabase/bootstrap/plain_postgres.sql runs
// first; it is never applied where Supabase's auth schema exists.
//
//   npm run db:migrate              migrate DATABASE_URL (or the embedded .data/ database)
//   npm run db:migrate -- --seed    also load supabase/seed.sql
import type { Sql } from "../functions/_shared/db.ts";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
const BOOTSTRAP = new URL("./bootstrap/plain_postgres.sql", import.meta.url);
const SEED = new URL("./seed.sql", import.meta.url);
const LOCK_KEY = 4_242_001; // pg_advisory_xact_lock key shared by every migrating process

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export interface MigrateResult {
  bootstrapped: boolean;
  applied: string[];
  skipped: string[];
}

export async function readMigrations(): Promise<Migration[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(MIGRATIONS_DIR)) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name);
  }
  files.sort();
  return await Promise.all(files.map(async (file) => {
    const m = /^(\d+)_(.+)\.sql$/.exec(file);
    if (!m) throw new Error(`Migration file name must be <version>_<name>.sql: ${file}`);
    return {
      version: m[1],
      name: m[2],
      sql: await Deno.readTextFile(new URL(file, MIGRATIONS_DIR)),
    };
  }));
}

/** True where Supabase manages auth (hosted or `supabase start`): no bootstrap there. */
export async function isSupabase(sql: Sql): Promise<boolean> {
  const [row] = await sql`select to_regclass('auth.users') is not null as supabase`;
  return row.supabase as boolean;
}

export async function migrate(sql: Sql, options: { seed?: boolean } = {}): Promise<MigrateResult> {
  const result: MigrateResult = { bootstrapped: false, applied: [], skipped: [] };
  const migrations = await readMigrations();
  const supabase = await isSupabase(sql);
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    if (!supabase) {
      await tx.unsafe(await Deno.readTextFile(BOOTSTRAP)).simple();
      result.bootstrapped = true;
    }
    await tx.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key, statements text[], name text
      );`).simple();
    const done = new Set(
      (await tx`select version from supabase_migrations.schema_migrations`).map((r) => r.version),
    );
    for (const m of migrations) {
      if (done.has(m.version)) {
        result.skipped.push(`${m.version}_${m.name}`);
        continue;
      }
      await tx.unsafe(m.sql).simple();
      await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
               values (${m.version}, ${m.name}, ${[m.sql]})`;
      result.applied.push(`${m.version}_${m.name}`);
    }
    if (options.seed) await tx.unsafe(await Deno.readTextFile(SEED)).simple();
  });
  return result;
}

if (import.meta.main) {
  const { createDatabase } = await import("../functions/_shared/db.ts");
  const seed = Deno.args.includes("--seed");
  const url = Deno.env.get("DATABASE_URL") || Deno.env.get("SUPABASE_DB_URL");
  let stopEmbedded: (() => Promise<void>) | undefined;
  let target = url;
  if (!target) {
    const { startEmbeddedDatabase } = await import("../functions/_shared/embedded_db.ts");
    const embedded = await startEmbeddedDatabase({ dataDir: ".data/pglite" });
    target = embedded.url;
    stopEmbedded = embedded.stop;
    console.log("DATABASE_URL is not set: migrating the embedded database in .data/pglite");
  }
  const db = createDatabase(target, { max: 1 });
  try {
    const r = await migrate(db.sql, { seed });
    console.log(
      `${r.bootstrapped ? "bootstrap applied; " : ""}` +
        `${r.applied.length} migration(s) applied${
          r.applied.length ? `: ${r.applied.join(", ")}` : ""
        }` +
        `; ${r.skipped.length} already there${seed ? "; seed loaded" : ""}`,
    );
  } catch (err) {
    console.error(`Migration failed: ${(err as Error).message}`);
    Deno.exitCode = 1;
  } finally {
    await db.end();
    await stopEmbedded?.();
  }
}
