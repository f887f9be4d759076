// The OpenVidu client against the emulator (and, for what no server does on request, a
// recording fetch): answers parsed, every documented failure mapped to a clear UpstreamError,
// the recording file streamed by range, and the secret never in a message.
import assert from "node:assert/strict";
import {
  DEFAULT_RECORDING_FILE,
  type OpenViduEmulator,
  startOpenViduEmulator,
} from "../../../demo/emulators/openvidu/mod.ts";
import { UpstreamError } from "../errors.ts";
import { createOpenViduClient, type OpenViduClientOptions } from "./openvidu.ts";

const SECRET = `secret-${crypto.randomUUID()}`;
const BASIC = btoa(`OPENVIDUAPP:${SECRET}`);

async function withEmulator(
  fn: (
    emulator: OpenViduEmulator,
    client: ReturnType<typeof createOpenViduClient>,
  ) => Promise<void>,
  options: { recording?: boolean; client?: Partial<OpenViduClientOptions> } = {},
) {
  const emulator = await startOpenViduEmulator({
    secret: SECRET,
    recording: options.recording,
    log: () => {},
  });
  try {
    await fn(
      emulator,
      createOpenViduClient({ url: emulator.url, secret: SECRET, ...options.client }),
    );
  } finally {
    await emulator.close();
  }
}

/** The UpstreamError `promise` rejects with; it must not carry the secret. */
async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected an UpstreamError, got ${err}`);
    assert.equal(err.code, "upstream_error");
    assert.ok(!err.message.includes(SECRET) && !err.message.includes(BASIC), err.message);
    return err;
  }
  assert.fail("expected a failure");
}

const join = (e: OpenViduEmulator, sessionId: string, publish = true) =>
  e.join(sessionId, { publish });

Deno.test("createSession creates the session with its recording mode, and treats 409 as success", async () => {
  await withEmulator(async (emulator, ov) => {
    const created = await ov.createSession("room-42", {
      recordingMode: "ALWAYS",
      defaultRecordingProperties: { outputMode: "COMPOSED", resolution: "1280x720" },
    });
    assert.equal(created.sessionId, "room-42");
    assert.equal(created.recordingMode, "ALWAYS");
    assert.equal(created.recording, false);
    assert.equal(created.connections.numberOfElements, 0);

    const again = await ov.createSession("room-42", { recordingMode: "ALWAYS" });
    assert.equal(again.createdAt, created.createdAt, "the existing session, fetched");
    assert.equal(emulator.model.sessions().length, 1);
  });
});

Deno.test("getSession is null and closeSession false once a session is gone", async () => {
  await withEmulator(async (emulator, ov) => {
    assert.equal(await ov.getSession("nope"), null);
    await ov.createSession("room", {});
    const { connectionId } = await join(emulator, "room", false);
    const session = await ov.getSession("room");
    assert.equal(session?.connections.content[0].connectionId, connectionId);
    assert.equal(await ov.closeSession("room"), true);
    assert.equal(await ov.getSession("room"), null);
    assert.equal(await ov.closeSession("room"), false);
  });
});

Deno.test("createConnection returns a single-use token; a missing session is a 404 UpstreamError", async () => {
  await withEmulator(async (emulator, ov) => {
    await ov.createSession("room", {});
    const { token, connectionId } = await ov.createConnection("room", {
      data: JSON.stringify({ user_id: "u1" }),
    });
    assert.match(token, /^ws:\/\/127\.0\.0\.1:\d+\?sessionId=room&token=tok_\w{16}$/);
    assert.match(connectionId, /^con_[A-Z]\w{9}$/);
    assert.equal(
      emulator.model.connection("room", connectionId).properties.data,
      '{"user_id":"u1"}',
    );

    const err = await upstreamError(ov.createConnection("gone", { data: "" }));
    assert.equal(err.upstreamStatus, 404);
    assert.equal(err.retryable, false);
    assert.equal(
      err.message,
      "OpenVidu could not create a connection in session gone: the session does not exist (it closed when it emptied)",
    );
  });
});

Deno.test("recording calls map OpenVidu's empty-bodied 404, 406 and 409 to clear errors", async () => {
  await withEmulator(async (emulator, ov) => {
    await ov.createSession("room", {});
    const empty = await upstreamError(ov.startRecording("room"));
    assert.equal(empty.upstreamStatus, 406);
    assert.match(empty.message, /start recording session room: nobody is connected/);

    await join(emulator, "room");
    const started = await ov.startRecording("room", { name: "first" });
    assert.equal(started.status, "started");
    assert.equal(started.name, "first");
    const twice = await upstreamError(ov.startRecording("room"));
    assert.equal(twice.upstreamStatus, 409);
    assert.match(twice.message, /already being recorded/);

    const stopped = await ov.stopRecording(started.id);
    assert.equal(stopped.status, "ready");
    assert.ok(stopped.size > 0 && stopped.duration > 0);
    assert.match(stopped.url ?? "", /\/openvidu\/recordings\/room\/first\.mp4$/);
    const again = await upstreamError(ov.stopRecording(started.id));
    assert.equal(again.upstreamStatus, 404);
    assert.match(again.message, /no active recording room/);

    assert.deepEqual((await ov.listRecordings()).map((r) => r.id), ["room"]);
    assert.equal((await ov.getRecording("room"))?.status, "ready");
    assert.equal(await ov.getRecording("room~9"), null);

    const missing = await upstreamError(ov.startRecording("no-such-session"));
    assert.equal(missing.upstreamStatus, 404);
  });
});

Deno.test("recording disabled on the server (501) says so", async () => {
  await withEmulator(async (_emulator, ov) => {
    const err = await upstreamError(ov.listRecordings());
    assert.equal(err.upstreamStatus, 501);
    assert.match(
      err.message,
      /recording is disabled on the OpenVidu server \(OPENVIDU_RECORDING=false\)/,
    );
  }, { recording: false });
});

Deno.test("a 500 with a plain-text body labelled JSON keeps OpenVidu's words and is retryable", async () => {
  await withEmulator(async (emulator, ov) => {
    emulator.failNext("POST /openvidu/api/sessions", {
      status: 500,
      body: "Error starting recording: Couldn't initialize recording container",
    });
    const err = await upstreamError(ov.createSession("room", {}));
    assert.equal(err.upstreamStatus, 500);
    assert.equal(err.retryable, true);
    assert.equal(
      err.message,
      "OpenVidu could not create session room: HTTP 500 (Error starting recording: Couldn't initialize recording container)",
    );
    // Error JSON: its message is used.
    emulator.failNext("GET /openvidu/api/sessions/*", {
      status: 400,
      body: JSON.stringify({ timestamp: 1, status: 400, error: "Bad Request", message: "Nope" }),
    });
    assert.match((await upstreamError(ov.getSession("room"))).message, /HTTP 400 \(Nope\)$/);
  });
});

Deno.test("a server that does not answer in time is a timeout error, at the deadline", async () => {
  await withEmulator(async (emulator, ov) => {
    emulator.failNext("POST /openvidu/api/sessions/room/connection", { hang: true });
    await ov.createSession("room", {});
    const started = performance.now();
    const err = await upstreamError(ov.createConnection("room", { data: "" }));
    const took = performance.now() - started;
    assert.match(
      err.message,
      /^OpenVidu did not answer within 0.15 s while trying to create a connection in session room$/,
    );
    assert.equal(err.retryable, true);
    assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
  }, { client: { timeoutMs: 150 } });
});

Deno.test("an unreachable server is a connection error naming the server, not the secret", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const ov = createOpenViduClient({
    url: `http://OPENVIDUAPP:${SECRET}@127.0.0.1:${port}/`,
    secret: SECRET,
  });
  const err = await upstreamError(ov.getSession("room"));
  assert.equal(
    err.message,
    `OpenVidu is unreachable at http://127.0.0.1:${port} (connection refused) while trying to read session room`,
  );
  assert.equal(err.upstreamStatus, undefined);
});

Deno.test("a wrong secret is reported as refused credentials", async () => {
  const emulator = await startOpenViduEmulator({ secret: SECRET, log: () => {} });
  try {
    const ov = createOpenViduClient({ url: emulator.url, secret: "wrong" });
    const err = await upstreamError(ov.createSession("room", {}));
    assert.equal(err.upstreamStatus, 401);
    assert.equal(err.retryable, false);
    assert.match(err.message, /refused the credentials \(check OPENVIDU_SECRET\)/);
  } finally {
    await emulator.close();
  }
});

Deno.test("an answer of an unexpected shape is an upstream error, not a crash", async () => {
  const ov = createOpenViduClient({
    url: "http://openvidu.test",
    secret: SECRET,
    fetch: () => Promise.resolve(Response.json({ id: "room", object: "session" })),
  });
  const err = await upstreamError(ov.getSession("room"));
  assert.match(
    err.message,
    /^OpenVidu answered read session room with an unexpected shape \(sessionId:/,
  );
  const notJson = createOpenViduClient({
    url: "http://openvidu.test",
    secret: SECRET,
    fetch: () => Promise.resolve(new Response("<html>proxy error</html>", { status: 200 })),
  });
  assert.match((await upstreamError(notJson.listRecordings())).message, /invalid JSON/);
});

Deno.test("requests carry Basic OPENVIDUAPP auth and JSON bodies with string data", async () => {
  const seen: Request[] = [];
  const ov = createOpenViduClient({
    url: "https://ov.example.com/",
    secret: SECRET,
    fetch: (input, init) => {
      seen.push(new Request(input, init));
      return Promise.resolve(
        Response.json({
          id: "con_A123456789",
          connectionId: "con_A123456789",
          sessionId: "room",
          status: "pending",
          createdAt: 1,
          token: "wss://ov.example.com?sessionId=room&token=tok_X",
        }),
      );
    },
  });
  await ov.createConnection("room", { data: '{"display_name":"Élodie"}', role: "SUBSCRIBER" });
  const req = seen[0];
  assert.equal(req.url, "https://ov.example.com/openvidu/api/sessions/room/connection");
  assert.equal(req.headers.get("authorization"), `Basic ${BASIC}`);
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.deepEqual(await req.json(), {
    type: "WEBRTC",
    data: '{"display_name":"Élodie"}',
    role: "SUBSCRIBER",
  });
});

// ---------------------------------------------------------------------------
// Recording files
// ---------------------------------------------------------------------------

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function readyRecording(
  emulator: OpenViduEmulator,
  ov: ReturnType<typeof createOpenViduClient>,
) {
  await ov.createSession("room", { recordingMode: "ALWAYS" });
  const { connectionId } = await join(emulator, "room");
  await emulator.leave("room", connectionId);
  return await ov.stopRecording("room");
}

Deno.test("fetchRecordingFile streams the whole file, or from an offset with HTTP Range", async () => {
  const fixture = await Deno.readFile(DEFAULT_RECORDING_FILE);
  await withEmulator(async (emulator, ov) => {
    const r = await readyRecording(emulator, ov);
    const whole = await ov.fetchRecordingFile(r.id, `${r.name}.mp4`);
    assert.equal(whole.offset, 0);
    assert.equal(whole.totalSize, fixture.length);
    assert.deepEqual(await readAll(whole.body), fixture);

    const tail = await ov.fetchRecordingFile(r.id, `${r.name}.mp4`, { offset: 400_000 });
    assert.equal(tail.offset, 400_000);
    assert.equal(tail.totalSize, fixture.length);
    assert.deepEqual(await readAll(tail.body), fixture.subarray(400_000));
  });
});

Deno.test("fetchRecordingFile maps 404, 416 and 500 to UpstreamError with the status", async () => {
  await withEmulator(async (emulator, ov) => {
    const r = await readyRecording(emulator, ov);
    const missing = await upstreamError(ov.fetchRecordingFile(r.id, "other.mp4"));
    assert.equal(missing.upstreamStatus, 404);
    assert.equal(missing.retryable, false);
    assert.match(missing.message, /the recording file does not exist/);

    const past = await upstreamError(
      ov.fetchRecordingFile(r.id, `${r.name}.mp4`, { offset: 10_000_000 }),
    );
    assert.equal(past.upstreamStatus, 416);
    assert.equal(past.retryable, false);
    assert.match(past.message, /byte 10000000 is past the end of the file \(\d+ bytes\)/);

    emulator.failNext(`GET /openvidu/recordings/${r.id}/${r.name}.mp4`, {
      status: 500,
      body: "disk error",
    });
    const crashed = await upstreamError(ov.fetchRecordingFile(r.id, `${r.name}.mp4`));
    assert.equal(crashed.upstreamStatus, 500);
    assert.equal(crashed.retryable, true);
    assert.match(crashed.message, /HTTP 500 \(disk error\)/);
  });
});

Deno.test("fetchRecordingFile's deadline covers the headers only; the caller's signal stops the body", async () => {
  await withEmulator(async (emulator, ov) => {
    const r = await readyRecording(emulator, ov);
    const controller = new AbortController();
    const file = await ov.fetchRecordingFile(r.id, `${r.name}.mp4`, { signal: controller.signal });
    // Past the client's deadline, the body still reads.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const reader = file.body.getReader();
    assert.ok((await reader.read()).value);
    controller.abort(new Error("transfer cancelled"));
    await assert.rejects(async () => {
      while (!(await reader.read()).done) { /* drain until the abort lands */ }
    });
  }, { client: { timeoutMs: 100 } });
});

Deno.test("a 206 without a Content-Range is refused rather than written at a wrong offset", async () => {
  const ov = createOpenViduClient({
    url: "http://openvidu.test",
    secret: SECRET,
    fetch: () => Promise.resolve(new Response("partial", { status: 206 })),
  });
  const err = await upstreamError(ov.fetchRecordingFile("r", "r.mp4", { offset: 5 }));
  assert.match(err.message, /206 without a valid Content-Range/);
});

Deno.test("a server that ignores Range answers 200 from byte 0, and says so", async () => {
  const ov = createOpenViduClient({
    url: "http://openvidu.test",
    secret: SECRET,
    fetch: () =>
      Promise.resolve(new Response("whole file", { headers: { "content-length": "10" } })),
  });
  const file = await ov.fetchRecordingFile("r", "r.mp4", { offset: 5 });
  assert.equal(file.offset, 0);
  assert.equal(file.totalSize, 10);
  assert.equal(await new Response(file.body).text(), "whole file");
});
