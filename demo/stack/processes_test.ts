import assert from "node:assert/strict";
import { consoleForm, isNotable, spawnService, waitForHttp } from "./processes.ts";

Deno.test("the console shows warnings, errors and stderr, not the access log", () => {
  const info = JSON.stringify({ level: "info", msg: "request", path: "/meetings", status: 200 });
  const error = JSON.stringify({
    level: "error",
    msg: "worker slice failed",
    error: { name: "UpstreamError", message: "OpenAI answered 500" },
  });
  assert.equal(isNotable(info, "stdout"), false);
  assert.equal(isNotable(error, "stdout"), true);
  assert.equal(isNotable("[openvidu-emulator] session created", "stdout"), false);
  assert.equal(isNotable("error: Uncaught TypeError", "stderr"), true);
  assert.equal(
    isNotable(
      "Deno.serve: request.signal aborts on successful responses (legacy behavior).",
      "stderr",
    ),
    false,
  );
  assert.equal(consoleForm(error), "error: worker slice failed (OpenAI answered 500)");
});

Deno.test("a child that ignores SIGTERM is killed after the grace period, and its output is logged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const notable: string[] = [];
    const child = await spawnService({
      name: "stubborn",
      command: Deno.execPath(),
      args: [
        "eval",
        `Deno.addSignalListener("SIGTERM", () => console.error("ignoring SIGTERM"));
         console.log(JSON.stringify({ level: "warn", msg: "started" }));
         setInterval(() => {}, 1000);`,
      ],
      env: { PATH: Deno.env.get("PATH") ?? "" },
      cwd: dir,
      logFile: `${dir}/stubborn.log`,
      onNotable: (line) => notable.push(line),
    });
    const deadline = Date.now() + 20_000;
    while (!notable.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const status = await child.stop(500);
    assert.ok(Date.now() - started >= 450, "it was given its grace period");
    assert.equal(status.signal, "SIGKILL");
    assert.deepEqual(notable, ["[stubborn] warn: started", "[stubborn] ignoring SIGTERM"]);
    const log = await Deno.readTextFile(`${dir}/stubborn.log`);
    assert.match(log, /"msg":"started"[\s\S]*ignoring SIGTERM/);
    assert.equal(await child.stop(), status, "stopping again is harmless");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waiting for a service that exits says so with its exit code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = await spawnService({
      name: "broken",
      command: Deno.execPath(),
      args: ["eval", `console.error("cannot start: port in use"); Deno.exit(3);`],
      env: { PATH: Deno.env.get("PATH") ?? "" },
      cwd: dir,
      logFile: `${dir}/broken.log`,
      onNotable: () => {},
    });
    await assert.rejects(
      waitForHttp("http://127.0.0.1:9/", child, 20_000),
      /broken exited with code 3 while starting/,
    );
    assert.deepEqual(child.tail(), ["cannot start: port in use"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
