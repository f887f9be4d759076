// What `supabase functions deploy` reads: config.toml's entrypoints and the import map the
// bundler resolves the functions with (supabase/functions/deno.json: npm specifiers fetched
// from the registry at deploy time; the project's own deno.json reads node_modules, which the
// bundler does not have). Checked against each function's real module graph.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SUPABASE = `${ROOT}supabase/`;
const config = await Deno.readTextFile(`${SUPABASE}config.toml`);
const deployConfig = JSON.parse(await Deno.readTextFile(`${SUPABASE}functions/deno.json`));
const projectConfig = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));

/** The [functions.<name>] tables of config.toml (string and boolean values). */
function functionTables(toml: string): Map<string, Record<string, string | boolean>> {
  const out = new Map<string, Record<string, string | boolean>>();
  let current: Record<string, string | boolean> | null = null;
  for (const line of toml.split("\n")) {
    const header = /^\[(.+)\]\s*$/.exec(line.trim());
    if (header) {
      const m = /^functions\.([\w-]+)$/.exec(header[1]);
      current = m ? {} : null;
      if (m) out.set(m[1], current!);
      continue;
    }
    const kv = /^([\w_]+)\s*=\s*(?:"([^"]*)"|(true|false))\s*(#.*)?$/.exec(line.trim());
    if (current && kv) current[kv[1]] = kv[2] ?? kv[3] === "true";
  }
  return out;
}

async function moduleGraph(entry: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${ROOT}deno.json`, entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { specifier: string }[] }[];
  };
}

const FUNCTIONS = ["meetings", "openvidu-webhook", "transcribe-recording"];

Deno.test("config.toml deploys the three functions from functions/, without the gateway's JWT check", async () => {
  const tables = functionTables(config);
  assert.deepEqual([...tables.keys()].sort(), [...FUNCTIONS].sort());
  for (const [name, t] of tables) {
    assert.equal(t.entrypoint, `../functions/${name}/index.ts`);
    assert.ok(
      (await Deno.stat(`${SUPABASE}${t.entrypoint}`)).isFile,
      `${name}'s entrypoint exists`,
    );
    assert.equal(t.import_map, "./functions/deno.json");
    assert.equal(t.verify_jwt, false, `${name} checks its callers itself`);
  }
});

Deno.test("the deploy import map pins what the project pins, and never points at node_modules", () => {
  assert.deepEqual(Object.keys(deployConfig), ["imports"], "an import map only");
  for (const [key, target] of Object.entries(deployConfig.imports as Record<string, string>)) {
    assert.equal(target, projectConfig.imports[key], `${key} as in deno.json`);
    assert.match(target, /^npm:/);
  }
});

Deno.test("every bare import of the deployed functions is in the deploy import map; nothing local-only is", async () => {
  const imports = deployConfig.imports as Record<string, string>;
  const mapped = (s: string) =>
    s in imports || Object.keys(imports).some((k) => k.endsWith("/") && s.startsWith(k));
  for (const name of FUNCTIONS) {
    const graph = await moduleGraph(`${ROOT}functions/${name}/index.ts`);
    const local = graph.modules.map((m) => m.specifier).filter((s) =>
      s.startsWith("file:") && !s.includes("/node_modules/")
    );
    for (const s of local) {
      assert.ok(!/\/demo\/|embedded_db\.ts|supabase\/migrate\.ts/.test(s), `${name} bundles ${s}`);
    }
    assert.ok(
      !graph.modules.some((m) => /@electric-sql|playwright|werift/.test(m.specifier)),
      `${name} bundles a local-only package`,
    );
    for (const m of graph.modules) {
      if (!m.specifier.startsWith("file:") || m.specifier.includes("/node_modules/")) continue;
      for (const dep of m.dependencies ?? []) {
        const s = dep.specifier;
        if (s.startsWith(".") || s.startsWith("node:") || s.startsWith("npm:")) continue;
        assert.ok(
          mapped(s),
          `${name}: "${s}" (imported by ${m.specifier}) is not in the import map`,
        );
      }
    }
  }
});
