// `npm run bench`: runs every bench part, each writing its figures to bench/.work/<part>.json,
// then merges them into bench/results.json (one key per figure, with its unit) and prints a
// table with the targets. `npm run bench -- api webhook` runs only the named parts.
//
// Figures on shared machines drift: parts report medians, percentiles and ratios measured in
// the same run against a baseline, not single absolute times.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { PARTS, TARGETS } from "./parts.mjs";

const only = process.argv.slice(2);
const selected = only.length ? PARTS.filter((p) => only.includes(p.name)) : PARTS;
if (only.length && selected.length !== only.length) {
  console.error(`Unknown part; known: ${PARTS.map((p) => p.name).join(", ")}`);
  process.exit(2);
}

mkdirSync("bench/.work", { recursive: true });
const figures = {};
const failedParts = [];
const partsRun = {};
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const loadAtStart = load();
console.log(`Load average (1, 5, 15 min): ${loadAtStart.join(", ")} on ${os.cpus().length} CPUs\n`);
for (const part of selected) {
  const out = `bench/.work/${part.name}.json`;
  rmSync(out, { force: true });
  console.log(`▶ ${part.name}: ${part.what}`);
  const started = Date.now();
  const loadBefore = load();
  const run = spawnSync(`${part.cmd} ${out}`, { stdio: "inherit", shell: true, env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  partsRun[part.name] = { seconds: Number(seconds), load_before: loadBefore, load_after: load() };
  try {
    if (run.status !== 0) throw new Error(`exit ${run.status}`);
    Object.assign(figures, JSON.parse(readFileSync(out, "utf8")));
    console.log(
      `✓ ${part.name} (${seconds} s, load average ${partsRun[part.name].load_after[0]})\n`,
    );
  } catch (err) {
    failedParts.push(part.name);
    console.error(`✗ ${part.name} (${seconds} s): ${err.message}\n`);
  }
}

let previous = {};
try {
  previous = JSON.parse(readFileSync("bench/results.json", "utf8"));
} catch {
  // first run
}
const results = {
  ...previous,
  ...figures,
  _meta: {
    generated_at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    load_average_at_start: loadAtStart,
    load_average_at_end: load(),
    parts: { ...previous._meta?.parts, ...partsRun },
  },
};
writeFileSync("bench/results.json", JSON.stringify(results, null, 2) + "\n");

const rows = Object.entries(figures).map(([key, f]) => {
  const t = TARGETS[key];
  const verdict = !t
    ? ""
    : (t.max !== undefined ? f.value <= t.max : f.value >= t.min)
    ? "ok"
    : "MISSED";
  const target = !t ? "" : t.max !== undefined ? `≤ ${t.max}` : `≥ ${t.min}`;
  return [key, formatValue(f.value), f.unit, target, verdict, f.label];
});
printTable(["figure", "value", "unit", "target", "", "what"], rows);
const missed = rows.filter((r) => r[4] === "MISSED").map((r) => r[0]);
if (missed.length) console.log(`\nTargets missed: ${missed.join(", ")}`);
console.log(
  `\nLoad average (1, 5, 15 min): ${loadAtStart.join(", ")} at the start, ${
    results._meta.load_average_at_end.join(", ")
  } at the end (${os.cpus().length} CPUs)`,
);
console.log(`Wrote bench/results.json (${Object.keys(figures).length} figures)`);
if (failedParts.length) {
  console.error(`Parts that failed: ${failedParts.join(", ")}`);
  process.exit(1);
}

function formatValue(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd();
  console.log("\n" + line(head));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}
