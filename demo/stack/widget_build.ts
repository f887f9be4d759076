// The demo serves the widget as built (dist/foxeo-visio.js, the script-tag bundle): `npm start`
// runs the project's build when dist/ is missing or older than its sources.
import { join } from "node:path";

/** What the build reads: a change to any of these makes dist/ stale. */
const SOURCES = [
  "widget/src",
  "vite.config.ts",
  "tsconfig.build.json",
  "custom-elements-manifest.config.mjs",
  "package.json",
];
const OUTPUT = "dist/foxeo-visio.js";

async function mtime(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? null;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function newest(path: string): Promise<number> {
  const info = await Deno.stat(path);
  if (!info.isDirectory) return info.mtime?.getTime() ?? 0;
  let max = info.mtime?.getTime() ?? 0;
  for await (const entry of Deno.readDir(path)) {
    max = Math.max(max, await newest(join(path, entry.name)));
  }
  return max;
}

/** Why dist/ must be built, or null when it is up to date. */
export async function widgetBuildReason(root: string): Promise<string | null> {
  const built = await mtime(join(root, OUTPUT));
  if (built === null) return `${OUTPUT} is missing`;
  for (const source of SOURCES) {
    const path = join(root, source);
    if (await mtime(path) === null) continue;
    if (await newest(path) > built) return `${source} changed since the last build`;
  }
  return null;
}

/** Run `npm run build` in `root`; its output is kept in `logFile`. Throws with the tail on failure. */
export async function buildWidget(
  root: string,
  logFile: string,
  signal?: AbortSignal,
): Promise<void> {
  const out = await new Deno.Command("npm", {
    args: ["run", "build", "--silent"],
    cwd: root,
    signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  await Deno.writeTextFile(logFile, text);
  if (!out.success) {
    const tail = text.trim().split("\n").slice(-15).join("\n");
    throw new Error(`The widget build (npm run build) failed:\n${tail}\n(full output: ${logFile})`);
  }
}
