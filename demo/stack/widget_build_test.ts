import assert from "node:assert/strict";
import { widgetBuildReason } from "./widget_build.ts";

Deno.test("dist/ is built when missing or older than a source, not otherwise", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/widget/src/meeting-list`, { recursive: true });
    await Deno.writeTextFile(`${root}/widget/src/meeting-list/meeting-list.ts`, "export {};");
    await Deno.writeTextFile(`${root}/package.json`, "{}");
    assert.equal(await widgetBuildReason(root), "dist/foxeo-visio.js is missing");
    await Deno.mkdir(`${root}/dist`);
    await Deno.writeTextFile(`${root}/dist/foxeo-visio.js`, "export {};");
    const later = new Date(Date.now() + 60_000);
    await Deno.utime(`${root}/dist/foxeo-visio.js`, later, later);
    assert.equal(await widgetBuildReason(root), null);
    const evenLater = new Date(Date.now() + 120_000);
    await Deno.utime(`${root}/widget/src/meeting-list/meeting-list.ts`, evenLater, evenLater);
    assert.equal(await widgetBuildReason(root), "widget/src changed since the last build");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
