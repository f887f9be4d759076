// The emulator as a program, configured through the real server's environment variables.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

Deno.test("main.ts runs the emulator from OPENVIDU_* variables and says it is an emulator", async () => {
  const received: { auth: string | null; event: string }[] = [];
  const hook = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    received.push({ auth: req.headers.get("authorization"), event: (await req.json()).event });
    return new Response(null);
  });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    cwd: ROOT,
    env: {
      PORT: String(port),
      OPENVIDU_SECRET: "program-secret",
      OPENVIDU_WEBHOOK: "true",
      OPENVIDU_WEBHOOK_ENDPOINT: `http://127.0.0.1:${hook.addr.port}/hook`,
      OPENVIDU_WEBHOOK_HEADERS: '["Authorization: Bearer from-env"]',
      OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: "0",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  try {
    while (!output.includes("control API")) {
      const { value, done } = await lines.read();
      if (done) break;
      output += value;
    }
    assert.match(output, /EMULATOR of OpenVidu 2\.32/);
    const res = await fetch(`http://127.0.0.1:${port}/openvidu/api/sessions`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("OPENVIDUAPP:program-secret")}` },
      body: JSON.stringify({ customSessionId: "room" }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-emulator"), "openvidu-2.32");
    await res.body?.cancel();
    const deadline = Date.now() + 5000;
    while (!received.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(received, [{ auth: "Bearer from-env", event: "sessionCreated" }]);
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0, "stops cleanly on SIGTERM");
    await lines.cancel().catch(() => {});
    await hook.shutdown();
  }
});
