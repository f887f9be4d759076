// `npm test`: every suite, in order, each to the end even when an earlier one failed; exits
// non-zero when any failed. `npm test -- widget functions` runs only the named suites.
import { spawnSync } from "node:child_process";
import { CHROMIUM_HELP, findChromium } from "./chromium.mjs";

const SUITES = [
  { name: "lint", what: "lint and type-check", cmd: "npx deno lint && npx tsc -p tsconfig.json" },
  { name: "functions", what: "functions and SQL (Deno)", cmd: "npx deno test -A functions/ supabase/ demo/" },
  { name: "widget", what: "widget elements (Chromium)", cmd: "npx web-test-runner", browser: true },
  {
    name: "build",
    what: "widget build (Chromium)",
    cmd: "npm run build --silent && node --test widget/test/build.test.mjs",
    browser: true,
  },
  {
    name: "media",
    what: "two browsers meet through the OpenVidu emulator (Chromium)",
    cmd: "npx vite build --logLevel warn && npx deno test -A " +
      "demo/emulators/openvidu/e2e/two_party.e2e.ts demo/emulators/openvidu/media/relay.e2e.ts",
    browser: true,
  },
  { name: "e2e", what: "end to end: npm start in Chromium", cmd: "node --test --test-concurrency=1 demo/e2e/*.e2e.mjs", browser: true },
];

const only = process.argv.slice(2);
const selected = only.length ? SUITES.filter((s) => only.includes(s.name)) : SUITES;
if (only.length && selected.length !== only.length) {
  console.error(`Unknown suite; known: ${SUITES.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

const db = process.env.TEST_DATABASE_URL ? "PGlite and PostgreSQL" : "PGlite (set TEST_DATABASE_URL to add PostgreSQL)";
console.log(`Databases under test: ${db}\n`);

const results = [];
for (const suite of selected) {
  if (suite.browser && !findChromium()) {
    console.error(`✗ ${suite.what}: ${CHROMIUM_HELP}`);
    results.push({ ...suite, ok: false, seconds: 0 });
    continue;
  }
  console.log(`▶ ${suite.what}: ${suite.cmd}`);
  const started = Date.now();
  const run = spawnSync(suite.cmd, { stdio: "inherit", shell: true, env: process.env });
  const ok = run.status === 0;
  results.push({ ...suite, ok, seconds: (Date.now() - started) / 1000 });
  console.log(`${ok ? "✓" : "✗"} ${suite.what} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

console.log("Summary:");
for (const r of results) console.log(`  ${r.ok ? "✓" : "✗"} ${r.what.padEnd(34)} ${r.seconds.toFixed(1)} s`);
const failed = results.filter((r) => !r.ok);
if (failed.length) {
  console.error(`\n${failed.length} suite(s) failed: ${failed.map((r) => r.name).join(", ")}`);
  process.exit(1);
}
