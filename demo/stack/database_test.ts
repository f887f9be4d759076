import assert from "node:assert/strict";
import { createDatabase } from "../../functions/_shared/db.ts";
import { startEmbeddedDatabase } from "../../functions/_shared/embedded_db.ts";
import { prepareEmbeddedDatabase } from "./database.ts";

Deno.test({
  name: "the first start creates and seeds the embedded database; later starts keep it as it is",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "foxeo-data-" });
    try {
      // What an interrupted first start leaves behind is discarded.
      await Deno.mkdir(`${dataDir}/pglite.partial`);
      await Deno.writeTextFile(`${dataDir}/pglite.partial/garbage`, "x");
      assert.equal(await prepareEmbeddedDatabase(dataDir), true);
      assert.equal(await prepareEmbeddedDatabase(dataDir), false);
      const embedded = await startEmbeddedDatabase({ dataDir: `${dataDir}/pglite` });
      const db = createDatabase(embedded.url, { max: 1 });
      try {
        const rows = await db.sql`select title from visio.meetings order by title`;
        assert.ok(rows.some((r) => r.title === "Revue des maquettes"), "seeded");
        await db.sql`delete from visio.meetings where title = 'Revue des maquettes'`;
      } finally {
        await db.end();
        await embedded.stop();
      }
      assert.equal(await prepareEmbeddedDatabase(dataDir), false, "never seeded again");
      await assert.rejects(
        prepareEmbeddedDatabase(
          await Deno.makeTempDir({ dir: dataDir }).then(async (d) => {
            await Deno.mkdir(`${d}/pglite`);
            return d;
          }),
        ),
        /exists but holds no database/,
      );
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
