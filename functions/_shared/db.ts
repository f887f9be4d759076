// SQL through postgres.js everywhere (Supabase Postgres, Debian PostgreSQL, embedded PGlite).
// A user's queries run inside one transaction that does what PostgREST does, so row-level
// security decides what they see; service work (webhook, worker) runs as the connection's
// owner.
import postgres from "postgres";
import type { Principal } from "./auth.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export interface Database {
  /** The pool itself, for service work outside a transaction. */
  readonly sql: Sql;
  /** Run `fn` in one transaction as role `authenticated` with the user's claims. */
  asUser<T>(principal: Pick<Principal, "claims">, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Run `fn` in one transaction as the connection's owner (RLS does not apply). */
  asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size. PGlite is one session: it must be 1 there. */
  max?: number;
  /** false on Supabase's transaction pooler (port 6543), which has no prepared statements. */
  prepare?: boolean;
  /** Seconds to wait for a connection before failing. */
  connectTimeout?: number;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    prepare: options.prepare ?? !usesTransactionPooler(url),
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 30,
    onnotice: () => {},
    // int8 (sizes, counts) as JS numbers: every value stored here is far below 2^53.
    types: {
      int8: {
        to: 20,
        from: [20],
        parse: (v: string) => Number(v),
        serialize: (v: unknown) => String(v),
      },
    },
    transform: { undefined: null },
    connection: { application_name: "foxeo-visio" },
  });

  return {
    sql,
    asUser: (principal, fn) =>
      sql.begin(async (tx) => {
        // Not awaited before `fn`: postgres.js sends it in the same write as fn's first query,
        // one round trip fewer per user request. Queries on a transaction run in order, and if
        // this one failed the transaction would be aborted, so nothing runs without the role.
        const claims = tx`select set_config('role', 'authenticated', true),
                                 set_config('request.jwt.claims', ${
          JSON.stringify(principal.claims)
        }, true)`.execute();
        const [, result] = await Promise.all([claims, fn(tx)]);
        return result;
      }) as Promise<Awaited<ReturnType<typeof fn>>>,
    asService: (fn) => sql.begin((tx) => fn(tx)) as Promise<Awaited<ReturnType<typeof fn>>>,
    end: () => sql.end({ timeout: 5 }),
  };
}

export function usesTransactionPooler(url: string): boolean {
  try {
    const u = new URL(url);
    return u.port === "6543" || u.searchParams.get("pgbouncer") === "true";
  } catch {
    return false;
  }
}
