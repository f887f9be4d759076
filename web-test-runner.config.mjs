// Browser tests of the widget, in a real Chromium with a fake camera and microphone.
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { chromeLauncher } from "@web/test-runner-chrome";
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from "./scripts/chromium.mjs";

const executablePath = findChromium();
if (!executablePath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}

export default {
  files: ["widget/src/**/*.test.ts", "widget/test/**/*.test.ts"],
  nodeResolve: { exportConditions: ["browser", "development"] },
  plugins: [esbuildPlugin({ ts: true, tsconfig: "tsconfig.json", target: "es2022" })],
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args: CHROMIUM_ARGS } })],
  concurrency: 1,
  testFramework: { config: { timeout: 15000 } },
  testsFinishTimeout: 300000,
};
