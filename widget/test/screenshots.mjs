// `npm run screenshots`: every element in its main states, at 360 px and 1280 px, into
// demo/screenshots/ (the README shows some). Uses the fake service and the fake room; the local
// camera is Chromium's fake device. Look at the PNGs after a change to the elements.
import { mkdirSync } from "node:fs";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from "../../scripts/chromium.mjs";
import { startFakeVisio } from "./fake-visio.mjs";
import { ROOT, startStatic } from "./serve.mjs";

const executablePath = findChromium();
if (!executablePath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}
const only = process.argv.slice(2);
const OUT = `${ROOT}demo/screenshots/`;
mkdirSync(OUT, { recursive: true });

const bundle = await build({
  entryPoints: [`${ROOT}widget/test/screenshots/scenes.ts`],
  bundle: true,
  format: "esm",
  target: "es2022",
  write: false,
  tsconfig: `${ROOT}tsconfig.json`,
  conditions: ["browser"],
});
const fake = await startFakeVisio();
const web = await startStatic({
  pages: {
    "/scenes.js": { type: "text/javascript", body: bundle.outputFiles[0].text },
    "/shot": `<!doctype html><html lang="fr"><head><meta charset="utf-8">
<style>body{margin:0;padding:16px;background:#fff}</style>
<script>window.FAKE = ${JSON.stringify(fake.url)};</script>
<script type="module" src="/scenes.js"></script></head><body><main id="stage"></main></body></html>`,
  },
});
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
const names = ["list-operator", "list-operator-create", "list-operator-confirm", "list-client", "list-empty", "room-prejoin", "room-not-started", "room-denied", "room-meeting", "room-screen", "room-reconnecting", "room-ended", "player", "player-failed-operator", "player-processing"];
for (const name of names.filter((n) => !only.length || only.some((o) => n.startsWith(o)))) {
  for (const width of [360, 1280]) {
    const page = await browser.newPage({ viewport: { width, height: 800 }, deviceScaleFactor: 1 });
    page.on("pageerror", (e) => console.error(`${name}: ${e.message}`));
    await page.goto(`${web.url}/shot`);
    await page.waitForFunction(() => "scene" in window);
    await page.evaluate((n) => window.scene(n), name);
    // A keyboard user's focus ring on the first control.
    if (name === "list-operator") await page.keyboard.press("Tab");
    await page.locator("#stage").screenshot({ path: `${OUT}${name}-${width}.png`, animations: "disabled" });
    await page.close();
    console.log(`demo/screenshots/${name}-${width}.png`);
  }
}
await browser.close();
await web.close();
await fake.close();
