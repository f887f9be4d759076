// `npm start` as a user meets it: one URL and what is emulated, a clear message when a port is
// taken, Ctrl-C stopping the whole process tree and freeing every port, the data kept for the
// next start, and real services used instead of the emulators when configured.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { after, describe, it } from "node:test";
import {
  alive,
  descendants,
  freePort,
  listening,
  ROOT,
  startCommand,
  startStack,
} from "./stack.mjs";

async function session(stack, identity) {
  const res = await fetch(`${stack.url}/demo/identity`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
    body: `identity=${identity}`,
  });
  assert.equal(res.status, 200);
  return (await res.json()).session.access_token;
}

describe("npm start", { timeout: 300_000 }, () => {
  let first;
  let meeting;
  const cleanup = [];
  after(async () => {
    for (const stack of cleanup) await stack.close();
  });

  it("prints one URL and which services are emulated", async () => {
    first = await startStack();
    const printed = first.output();
    assert.deepEqual(printed.match(/https?:\/\/\S+/g), [`${first.url}/`], printed);
    assert.match(printed, /OpenVidu\s+EMULATED/);
    assert.match(printed, /OpenAI\s+EMULATED/);
    assert.match(
      printed,
      /database\s+embedded PostgreSQL \(PGlite\) in \.data\/pglite, created and seeded now/,
    );
    assert.match(printed, /Ctrl-C stops everything/);
    const home = await fetch(`${first.url}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /ÉMULÉ/);
    // The seed's meetings are there, and the functions answer where the page says.
    const { functionsUrl } = await (await fetch(`${first.url}/demo/stack`)).json();
    const token = await session(first, "mikl");
    const list = await (await fetch(`${functionsUrl}/meetings?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    })).json();
    assert.ok(list.items.some((m) => m.title === "Revue des maquettes"), "seeded meetings");
    const created = await fetch(`${functionsUrl}/meetings`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        title: "Kept across restarts",
        client_id: "11111111-1111-4111-8111-111111111111",
      }),
    });
    assert.equal(created.status, 201);
    meeting = await created.json();
  });

  it("stops every process and frees every port on Ctrl-C", async () => {
    const tree = descendants(first.process.pid);
    assert.ok(tree.length >= 3, `functions and two emulators run under npm start: ${tree}`);
    const ports = Object.values(first.ports);
    for (const port of ports) assert.ok(await listening(port), `port ${port} in use while running`);
    first.interrupt();
    const { code } = await first.exited;
    assert.equal(code, 0, first.output());
    assert.match(first.output(), /Stopping…\nStopped\./);
    for (const pid of [first.process.pid, ...tree]) {
      assert.ok(!alive(pid), `process ${pid} outlived the stack`);
    }
    for (const port of ports) assert.ok(!(await listening(port)), `port ${port} still taken`);
  });

  it("keeps the data for the next start, and uses real services when they are configured", async () => {
    // Same working directory, so the same .data/; OpenVidu and OpenAI "real" (not reached).
    const again = await startStack({
      dir: first.dir,
      env: {
        OPENVIDU_URL: "http://127.0.0.1:9",
        OPENVIDU_SECRET: "s3cret",
        OPENAI_API_KEY: "sk-real-key",
      },
    });
    cleanup.push(again);
    const printed = again.output();
    assert.match(printed, /OpenVidu\s+real server from OPENVIDU_URL/);
    assert.match(printed, /OpenAI\s+real API from OPENAI_API_KEY/);
    assert.doesNotMatch(printed, /created and seeded now/);
    assert.ok(!printed.includes("sk-real-key") && !printed.includes("s3cret"), "no secret printed");
    assert.equal(
      descendants(again.process.pid).length,
      1,
      "only the functions process: no emulator",
    );
    const { functionsUrl, openvidu } = await (await fetch(`${again.url}/demo/stack`)).json();
    assert.equal(openvidu.emulated, false);
    const res = await fetch(`${functionsUrl}/meetings/${meeting.id}`, {
      headers: { authorization: `Bearer ${await session(again, "camille")}` },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).title, "Kept across restarts");
    // A process manager's SIGTERM to npm start alone stops the tree too.
    const tree = descendants(again.process.pid);
    again.process.kill("SIGTERM");
    assert.equal((await again.exited).code, 0);
    for (const pid of tree) assert.ok(!alive(pid), `process ${pid} outlived the stack`);
  });

  it("stops everything and says why when one of its processes dies", async () => {
    const stack = await startStack();
    cleanup.push(stack);
    const tree = descendants(stack.process.pid);
    const emulator = tree.find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("emulators/openai/main.ts")
    );
    assert.ok(emulator, "the OpenAI emulator runs under npm start");
    process.kill(emulator, "SIGKILL");
    const { code } = await stack.exited;
    assert.equal(code, 1);
    assert.match(
      stack.output(),
      /openai-emulator stopped unexpectedly \(exit code \d+\); everything was stopped\. Its last lines \(all in \.data\/logs\/openai-emulator\.log\):\n {2}\[openai-emulator\]/,
    );
    for (const pid of tree) assert.ok(!alive(pid), `process ${pid} outlived the stack`);
    for (const port of Object.values(stack.ports)) {
      assert.ok(!(await listening(port)), `port ${port} still taken`);
    }
  });

  it("says which port is in use, and starts nothing", async () => {
    const taken = net.createServer();
    const port = await freePort();
    await new Promise((resolve) => taken.listen(port, "127.0.0.1", resolve));
    try {
      const [command, args] = startCommand();
      const started = Date.now();
      const run = spawnSync(command, args, {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NO_COLOR: "1",
          PORT: String(port),
          DEMO_PORT: "0",
          OPENVIDU_EMULATOR_PORT: "0",
          OPENAI_EMULATOR_PORT: "0",
        },
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `Port ${port} \\(the functions\\) is already in use on 127\\.0\\.0\\.1\\. .*PORT=<port>`,
        ),
      );
      assert.equal(run.stdout, "", "nothing started");
      assert.ok(Date.now() - started < 30_000, "refused at once");
    } finally {
      taken.close();
    }
  });

  it("refuses a bad port setting with the variable's name", () => {
    const [command, args] = startCommand();
    const run = spawnSync(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", DEMO_PORT: "eighty" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /DEMO_PORT must be a port number \(0 picks a free one\), not "eighty"/,
    );
  });
});
