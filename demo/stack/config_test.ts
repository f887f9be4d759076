import assert from "node:assert/strict";
import { DEV_DEFAULTS, loadConfig } from "../../functions/_shared/config.ts";
import {
  functionsEnv,
  openaiEmulatorEnv,
  openviduEmulatorEnv,
  stackConfig,
  StackConfigError,
} from "./config.ts";
import { claimPorts, PortInUseError } from "./ports.ts";

Deno.test("by default everything local is emulated, on the documented ports, data in ./.data", () => {
  const config = stackConfig({}, "/work/app/");
  assert.deepEqual(config.ports, { demo: 54320, functions: 54321, openvidu: 54330, openai: 54331 });
  assert.deepEqual(config.emulate, { openvidu: true, openai: true });
  assert.equal(config.dataDir, "/work/app/.data");
  assert.equal(config.databaseUrl, null);
  assert.equal(config.jwtSecret, DEV_DEFAULTS.SUPABASE_JWT_SECRET);
});

Deno.test("the functions are pointed at the emulators and verify the demo's tokens", () => {
  const config = stackConfig({}, "/x");
  const env = functionsEnv(config, { PATH: "/bin", TRANSCRIPTION_LANGUAGE: "en" });
  assert.equal(env.PORT, "54321");
  assert.equal(env.OPENVIDU_URL, "http://127.0.0.1:54330");
  assert.equal(env.OPENAI_BASE_URL, "http://127.0.0.1:54331/v1");
  assert.equal(env.TRANSCRIPTION_LANGUAGE, "en", "the user's settings pass through");
  const fn = loadConfig(env);
  assert.equal(fn.jwtSecret, config.jwtSecret);
  assert.equal(fn.openvidu.webhookSecret, config.webhookSecret);
  const emulator = openviduEmulatorEnv(config, { PATH: "/bin", OPENAI_API_KEY: "sk-x" });
  assert.equal(
    emulator.OPENVIDU_WEBHOOK_ENDPOINT,
    "http://127.0.0.1:54321/functions/v1/openvidu-webhook",
  );
  assert.deepEqual(JSON.parse(emulator.OPENVIDU_WEBHOOK_HEADERS), [
    `Authorization: Bearer ${config.webhookSecret}`,
  ]);
  assert.equal(emulator.OPENVIDU_SECRET, fn.openvidu.secret);
  assert.equal(emulator.OPENAI_API_KEY, undefined, "emulators get no application secret");
  assert.equal(openaiEmulatorEnv(config, {}).OPENAI_API_KEY, fn.openai.apiKey);
});

Deno.test("a configured OpenVidu or OpenAI is used instead of its emulator, untouched", () => {
  const user = {
    OPENVIDU_URL: "https://openvidu.example.com",
    OPENVIDU_SECRET: "real-secret",
    OPENAI_API_KEY: "sk-real",
  };
  const config = stackConfig(user, "/x");
  assert.deepEqual(config.emulate, { openvidu: false, openai: false });
  const env = functionsEnv(config, user);
  assert.equal(env.OPENVIDU_URL, "https://openvidu.example.com");
  assert.equal(env.OPENVIDU_SECRET, "real-secret");
  assert.equal(env.OPENAI_API_KEY, "sk-real");
  assert.equal(env.OPENAI_BASE_URL, undefined);
});

Deno.test("ports come from DEMO_PORT, PORT and the emulator variables; bad values are named", () => {
  const config = stackConfig(
    { DEMO_PORT: "8080", PORT: "0", OPENVIDU_EMULATOR_PORT: "4443", OPENAI_EMULATOR_PORT: " " },
    "/x",
  );
  assert.deepEqual(config.ports, { demo: 8080, functions: 0, openvidu: 4443, openai: 54331 });
  assert.throws(() => stackConfig({ PORT: "70000" }, "/x"), /PORT must be a port number/);
  assert.throws(() => stackConfig({ DEMO_PORT: "54321" }, "/x"), /cannot share port 54321/);
});

Deno.test("the local stack refuses to run in a deployment", () => {
  for (const marker of ["DENO_DEPLOYMENT_ID", "SB_EXECUTION_ID"]) {
    assert.throws(() => stackConfig({ [marker]: "x" }, "/x"), (err) => {
      assert.ok(err instanceof StackConfigError);
      assert.match(err.message, new RegExp(`${marker} is set: this looks like a deployment`));
      return true;
    });
  }
});

Deno.test("ports: 0 becomes a free port, a taken one is named with its variable", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const free = claimPorts({ demo: 0, functions: 0, openvidu: port, openai: 0 }, [
      "demo",
      "functions",
    ]);
    assert.ok(free.demo > 0 && free.functions > 0 && free.demo !== free.functions);
    assert.equal(free.openvidu, port, "an unused service's port is not checked");
    assert.throws(
      () => claimPorts({ demo: 0, functions: 0, openvidu: port, openai: 0 }, ["demo", "openvidu"]),
      (err) => {
        assert.ok(err instanceof PortInUseError);
        assert.match(
          err.message,
          new RegExp(
            `^Port ${port} \\(the OpenVidu emulator\\) is already in use.*OPENVIDU_EMULATOR_PORT=<port>`,
          ),
        );
        return true;
      },
    );
  } finally {
    taken.close();
  }
});
