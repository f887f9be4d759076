// Prints bench/results.json as the Markdown tables of the README's "Benchmarks" section:
//   node bench/table.mjs [--targets] [figure-prefix …]   (--targets: only figures with one)
import { readFileSync } from "node:fs";
import { TARGETS } from "./parts.mjs";

const results = JSON.parse(readFileSync("bench/results.json", "utf8"));
const onlyTargets = process.argv.includes("--targets");
const prefixes = process.argv.slice(2).filter((a) => a !== "--targets");
const { _meta: meta, ...figures } = results;

const KB = 1024;
const show = (value, unit) => {
  if (unit === "bytes") {
    return value >= 10 * KB * KB
      ? `${(value / KB / KB).toFixed(1)} MB`
      : value >= KB
      ? `${(value / KB).toFixed(1)} KB`
      : `${value} B`;
  }
  const v = Number.isInteger(value)
    ? value.toLocaleString("en-US")
    : Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
    ? value.toFixed(2)
    : value.toFixed(3);
  return unit === "count" ? v : unit === "ratio" ? `${v}×` : `${v} ${unit}`;
};

const rows = [];
for (const [key, f] of Object.entries(figures)) {
  if (prefixes.length && !prefixes.some((p) => key.startsWith(p))) continue;
  const t = TARGETS[key];
  if (onlyTargets && !t) continue;
  const target = !t ? "" : `${t.max !== undefined ? "≤" : "≥"} ${show(t.max ?? t.min, f.unit)}`;
  const verdict = !t
    ? ""
    : (t.max !== undefined ? f.value <= t.max : f.value >= t.min)
    ? "ok"
    : "**missed**";
  const what = f.label.replaceAll("<", "&lt;").replaceAll("|", "\\|");
  rows.push(`| \`${key}\` | ${show(f.value, f.unit)} | ${target} | ${verdict} | ${what} |`);
}
console.log("| figure | value | target | | what |");
console.log("|---|---:|---|---|---|");
console.log(rows.join("\n"));
if (meta) {
  console.log(
    `\nMeasured ${meta.generated_at.slice(0, 16).replace("T", " ")} UTC on ${meta.cpus} × ${
      meta.cpu_model ?? "CPU"
    }, ${meta.memory_gb} GB; load average (1, 5, 15 min) ${
      meta.load_average_at_start?.join(", ")
    } at the start, ${meta.load_average_at_end?.join(", ")} at the end.`,
  );
}
