import assert from "node:assert/strict";
import { usesTransactionPooler } from "./db.ts";
import { clientUser, dbTest } from "./testing.ts";

dbTest("asUser runs as role authenticated with the caller's claims", async ({ db }) => {
  const u = await clientUser();
  const [row] = await db.asUser(
    u,
    (tx) =>
      tx`select current_user as role, auth.uid() as uid, visio.current_client_id() as client,
              visio.is_operator() as operator`,
  );
  assert.deepEqual(row, {
    role: "authenticated",
    uid: u.userId,
    client: u.clientId,
    operator: false,
  });
});

dbTest("claims and role end with the transaction", async ({ db }) => {
  const u = await clientUser();
  await db.asUser(u, (tx) => tx`select 1`);
  const [row] = await db.sql`select current_user as role, auth.uid() as uid`;
  assert.notEqual(row.role, "authenticated");
  assert.equal(row.uid, null);
});

dbTest("a failing user transaction rolls back everything it wrote", async ({ db }) => {
  const u = await clientUser();
  const id = crypto.randomUUID();
  await assert.rejects(db.asService(async (tx) => {
    await tx`insert into visio.meetings (id, title, client_id, created_by)
             values (${id}, 'rolled back', ${u.clientId}, ${u.userId})`;
    throw new Error("abort");
  }));
  assert.equal((await db.sql`select 1 from visio.meetings where id = ${id}`).length, 0);
});

dbTest("int8 values come back as numbers", async ({ db }) => {
  const [row] = await db.sql`select 3000000000::bigint as size`;
  assert.equal(row.size, 3_000_000_000);
});

Deno.test("prepared statements are off on Supabase's transaction pooler", () => {
  assert.equal(
    usesTransactionPooler("postgres://u:p@aws-0-eu.pooler.supabase.com:6543/postgres"),
    true,
  );
  assert.equal(usesTransactionPooler("postgres://u:p@db.ref.supabase.co:5432/postgres"), false);
  assert.equal(usesTransactionPooler("postgres://u:p@h:5432/db?pgbouncer=true"), true);
});
