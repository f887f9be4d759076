// Browser tests of the widget, in a real Chromium with a fake camera and microphone. The fake
// Visio service (widget/test/fake-visio.mjs) runs on its own port, so every request the elements
// make is cross-origin, as in production (CORS, exposed ETag, signed media with `crossorigin`).
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { chromeLauncher } from "@web/test-runner-chrome";
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from "./scripts/chromium.mjs";
import { startFakeVisio } from "./widget/test/fake-visio.mjs";

const executablePath = findChromium();
if (!executablePath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

const fake = await startFakeVisio({ log: (line) => console.error(line) });

export default {
  files: ["widget/src/**/*.test.ts", "widget/test/**/*.test.ts"],
  nodeResolve: { exportConditions: ["browser", "development"] },
  plugins: [esbuildPlugin({ ts: true, tsconfig: "tsconfig.json", target: "es2022" })],
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args: CHROMIUM_ARGS } })],
  concurrency: 1,
  testFramework: { config: { timeout: 15000 } },
  testsFinishTimeout: 300000,
  testRunnerHtml: (testFramework) => `<!doctype html>
<html lang="fr">
  <head><meta charset="utf-8"><script>window.__FAKE_VISIO__ = ${JSON.stringify(fake.url)};</script></head>
  <body><script type="module" src="${testFramework}"></script></body>
</html>`,
};
