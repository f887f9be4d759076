// The emulator's REST API, recording files and control API over HTTP, checked against the
// facts of reference/openvidu2.md §1–§2 (status codes, empty bodies, key order, ids).
import assert from "node:assert/strict";
import { DEFAULT_RECORDING_FILE, type OpenViduEmulator, startOpenViduEmulator } from "./mod.ts";

const AUTH = `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

function client(emulator: OpenViduEmulator) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { authorization: AUTH, ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, text, json };
  };
}

async function withEmulator(
  fn: (e: OpenViduEmulator, call: ReturnType<typeof client>) => Promise<void>,
  options: Parameters<typeof startOpenViduEmulator>[0] = {},
) {
  const emulator = await startOpenViduEmulator({ log: () => {}, ...options });
  try {
    await fn(emulator, client(emulator));
  } finally {
    await emulator.close();
  }
}

Deno.test("every answer says it comes from an emulator", async () => {
  await withEmulator(async (e, call) => {
    const answers = [
      await call("POST", "/openvidu/api/sessions", {}),
      await call("GET", "/openvidu/api/sessions/nope"),
      await call("GET", "/openvidu/api/sessions", undefined, { authorization: "" }),
      await call("GET", "/emulator/sessions"),
      await call("GET", "/nothing/here"),
    ];
    for (const a of answers) assert.equal(a.headers.get("x-emulator"), "openvidu-2.32");
    assert.match((await call("GET", "/emulator")).json.emulator, /emulator/i);
    assert.ok(e.url.startsWith("http://127.0.0.1:"));
  });
});

Deno.test("the API needs Basic OPENVIDUAPP:<secret>; otherwise Spring's 401", async () => {
  await withEmulator(async (_e, call) => {
    for (const authorization of ["", `Basic ${btoa("OPENVIDUAPP:wrong")}`, "Bearer MY_SECRET"]) {
      const res = await call("GET", "/openvidu/api/sessions", undefined, { authorization });
      assert.equal(res.status, 401);
      assert.deepEqual(Object.keys(res.json), ["timestamp", "status", "error", "message", "path"]);
      assert.equal(res.json.path, "/openvidu/api/sessions");
      assert.match(res.json.timestamp, /^\d{4}-\d\d-\d\dT.*\+00:00$/);
    }
    // The public URL is the one call without auth.
    const url = await call("GET", "/openvidu/api/config/openvidu-publicurl", undefined, {
      authorization: "",
    });
    assert.equal(url.status, 200);
    assert.match(url.text, /^ws:\/\/127\.0\.0\.1:\d+$/);
  });
});

Deno.test("POST /sessions answers the session JSON in the server's order; a taken id is 409 with no body", async () => {
  await withEmulator(async (_e, call) => {
    const res = await call("POST", "/openvidu/api/sessions", { customSessionId: "room-42" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(Object.keys(res.json), [
      "id",
      "object",
      "sessionId",
      "createdAt",
      "recording",
      "broadcasting",
      "mediaMode",
      "recordingMode",
      "defaultRecordingProperties",
      "customSessionId",
      "forcedVideoCodec",
      "allowTranscoding",
      "connections",
    ]);
    assert.deepEqual({ ...res.json, createdAt: 0 }, {
      id: "room-42",
      object: "session",
      sessionId: "room-42",
      createdAt: 0,
      recording: false,
      broadcasting: false,
      mediaMode: "ROUTED",
      recordingMode: "MANUAL",
      defaultRecordingProperties: {
        name: "",
        hasAudio: true,
        hasVideo: true,
        outputMode: "COMPOSED",
        recordingLayout: "BEST_FIT",
        resolution: "1280x720",
        frameRate: 25,
        shmSize: 536870912,
      },
      customSessionId: "room-42",
      forcedVideoCodec: "MEDIA_SERVER_PREFERRED",
      allowTranscoding: false,
      connections: { numberOfElements: 0, content: [] },
    });
    const taken = await call("POST", "/openvidu/api/sessions", { customSessionId: "room-42" });
    assert.equal(taken.status, 409);
    assert.equal(taken.text, "");

    const generated = await call("POST", "/openvidu/api/sessions", "");
    assert.equal(generated.status, 200);
    assert.match(generated.json.id, /^ses_[A-Z][A-Za-z0-9]{9}$/);
    assert.equal(generated.json.customSessionId, "");
  });
});

Deno.test("session and connection bodies are checked like the server's: 400 with its error JSON", async () => {
  await withEmulator(async (_e, call) => {
    const bad: [string, unknown, RegExp][] = [
      ["/openvidu/api/sessions", { customSessionId: "room 42" }, /customSessionId/],
      ["/openvidu/api/sessions", { customSessionId: "room~1" }, /customSessionId/],
      ["/openvidu/api/sessions", { customSessionId: 42 }, /Type error/],
      ["/openvidu/api/sessions", { recordingMode: "SOMETIMES" }, /recordingMode/],
      [
        "/openvidu/api/sessions",
        { defaultRecordingProperties: { hasAudio: false, hasVideo: false } },
        /^Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid/,
      ],
      ["/openvidu/api/sessions", "{nope", /not valid JSON/],
    ];
    for (const [path, body, message] of bad) {
      const res = await call("POST", path, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(res.json), ["timestamp", "status", "error", "message", "path"]);
      assert.equal(typeof res.json.timestamp, "number");
      assert.match(res.json.message, message);
    }
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    for (
      const body of [{ data: { user: 1 } }, { data: true }, { role: "ADMIN" }, { type: "SIP" }]
    ) {
      const res = await call("POST", "/openvidu/api/sessions/room/connection", body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const missing = await call("POST", "/openvidu/api/sessions/nope/connection", {});
    assert.equal(missing.status, 404);
    assert.equal(missing.text, "");
  });
});

Deno.test("connections are pending until joined; sessions list active ones unless asked for pending", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    const pending = await call("POST", "/openvidu/api/sessions/room/connection", {
      data: "server data",
      role: "MODERATOR",
    });
    assert.equal(pending.json.status, "pending");
    assert.equal(pending.json.serverData, "server data");
    assert.equal(pending.json.role, "MODERATOR");
    assert.equal(pending.json.activeAt, null);
    assert.equal(pending.json.publishers, null);
    assert.match(
      pending.json.token,
      /^ws:\/\/127\.0\.0\.1:\d+\?sessionId=room&token=tok_[A-Z]\w{15}$/,
    );
    assert.equal(
      (await call("GET", "/openvidu/api/sessions/room")).json.connections.numberOfElements,
      0,
    );
    assert.equal(
      (await call("GET", "/openvidu/api/sessions/room?pendingConnections=true")).json.connections
        .numberOfElements,
      1,
    );
    await e.join("room", { token: pending.json.token, clientData: "c" });
    const active = await call("GET", `/openvidu/api/sessions/room/connection/${pending.json.id}`);
    assert.equal(active.json.status, "active");
    assert.equal(active.json.location, "unknown");
    assert.equal(active.json.clientData, "c");
    assert.equal(active.json.publishers.length, 1);
    assert.match(
      active.json.publishers[0].streamId,
      new RegExp(`^str_CAM_\\w{4}_${pending.json.id}$`),
    );
    assert.equal(active.json.publishers[0].mediaOptions.typeOfVideo, "CAMERA");
    const list = await call("GET", "/openvidu/api/sessions");
    assert.equal(list.json.numberOfElements, 1);
    assert.equal(list.json.content[0].connections.content[0].id, pending.json.id);
    // Unknown session for a connection read is 400 (not 404), per the server.
    assert.equal((await call("GET", "/openvidu/api/sessions/x/connection/con_1")).status, 400);
  });
});

Deno.test("tokens are single-use and die with their session, which closes when its last participant leaves", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    const a = (await call("POST", "/openvidu/api/sessions/room/connection", {})).json.token;
    const b = (await call("POST", "/openvidu/api/sessions/room/connection", {})).json.token;
    const { connectionId } = await e.join("room", { token: a, publish: false });
    await assert.rejects(e.join("room", { token: a }), /not valid/);
    await e.leave("room", connectionId);
    assert.equal((await call("GET", "/openvidu/api/sessions/room")).status, 404);
    await assert.rejects(e.join("room", { token: b }), /not found/);
    // The id is free again: a new session instance.
    assert.equal(
      (await call("POST", "/openvidu/api/sessions", { customSessionId: "room" })).status,
      200,
    );
    await assert.rejects(e.join("room", { token: b }), /not valid/);
  });
});

Deno.test("DELETE a connection: a pending token is invalidated, an active participant evicted", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    const pending = (await call("POST", "/openvidu/api/sessions/room/connection", {})).json;
    assert.equal(
      (await call("DELETE", `/openvidu/api/sessions/room/connection/${pending.id}`)).status,
      204,
    );
    await assert.rejects(e.join("room", { token: pending.token }));
    const { connectionId } = await e.join("room");
    await e.join("room");
    assert.equal(
      (await call("DELETE", `/openvidu/api/sessions/room/connection/${connectionId}`)).status,
      204,
    );
    assert.equal(e.model.activeConnections(e.model.session("room")!).length, 1);
    assert.equal(
      (await call("DELETE", `/openvidu/api/sessions/room/connection/${connectionId}`)).status,
      404,
    );
    assert.equal(
      (await call("DELETE", "/openvidu/api/sessions/nope/connection/con_1")).status,
      400,
    );
  });
});

Deno.test("ALWAYS records from the first publish only, with the session's default properties", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
      defaultRecordingProperties: { name: "meeting", resolution: "640x480" },
    });
    const { connectionId } = await e.join("room", { publish: false });
    assert.equal((await call("GET", "/openvidu/api/sessions/room")).json.recording, false);
    await call("POST", `/emulator/sessions/room/participants/${connectionId}/publish`);
    const session = (await call("GET", "/openvidu/api/sessions/room")).json;
    assert.equal(session.recording, true);
    await e.join("room");
    const recordings = (await call("GET", "/openvidu/api/recordings")).json;
    assert.equal(recordings.count, 1);
    assert.equal(recordings.items[0].id, "room");
    assert.equal(recordings.items[0].name, "meeting");
    assert.equal(recordings.items[0].resolution, "640x480");
    assert.equal(recordings.items[0].status, "started");
    assert.equal(recordings.items[0].url, null);
    // A REST stop disables automatic restart for this session instance.
    await call("POST", "/openvidu/api/recordings/stop/room");
    await call("POST", `/emulator/sessions/room/participants/${connectionId}/unpublish`);
    await call("POST", `/emulator/sessions/room/participants/${connectionId}/publish`);
    assert.equal((await call("GET", "/openvidu/api/sessions/room")).json.recording, false);
  });
});

Deno.test("MANUAL recording: 406 when nobody is connected, 409 twice, a synchronous stop answers ready", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    const empty = await call("POST", "/openvidu/api/recordings/start", { session: "room" });
    assert.equal(empty.status, 406);
    assert.equal(empty.text, "");
    await e.join("room", { publish: false });
    const started = await call("POST", "/openvidu/api/recordings/start", { session: "room" });
    assert.equal(started.status, 200);
    assert.deepEqual(Object.keys(started.json), [
      "id",
      "object",
      "name",
      "outputMode",
      "resolution",
      "frameRate",
      "recordingLayout",
      "sessionId",
      "createdAt",
      "size",
      "duration",
      "url",
      "hasAudio",
      "hasVideo",
      "status",
    ]);
    assert.match(started.text, /"duration":0\.0,/);
    assert.equal(started.json.status, "started");
    const twice = await call("POST", "/openvidu/api/recordings/start", { session: "room" });
    assert.equal(twice.status, 409);
    assert.equal(twice.text, "");

    const stopped = await call("POST", "/openvidu/api/recordings/stop/room");
    assert.equal(stopped.status, 200);
    assert.equal(stopped.json.status, "ready");
    assert.equal(stopped.json.size, (await Deno.stat(DEFAULT_RECORDING_FILE)).size);
    assert.equal(stopped.json.duration, e.model.media.duration);
    assert.equal(stopped.json.url, `${e.url}/openvidu/recordings/room/room.mp4`);
    // ffprobe's measures replace the requested ones, as after a real COMPOSED recording.
    if (e.model.media.probedWith === "ffprobe") assert.equal(stopped.json.resolution, "640x360");
    const again = await call("POST", "/openvidu/api/recordings/stop/room");
    assert.equal(again.status, 404);
    assert.equal(again.text, "");
  });
});

Deno.test("recording ids: <session>, <session>~1… across session instances; a deleted id is reused", async () => {
  await withEmulator(async (e, call) => {
    const record = async () => {
      const { connectionId } = await e.join("room");
      await e.leave("room", connectionId);
    };
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    await record();
    await call("POST", "/openvidu/api/recordings/stop/room");
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    await record();
    await call("POST", "/openvidu/api/recordings/stop/room~1");
    assert.deepEqual(
      (await call("GET", "/openvidu/api/recordings")).json.items.map((r: { id: string }) => r.id),
      [
        "room",
        "room~1",
      ],
    );
    assert.equal((await call("DELETE", "/openvidu/api/recordings/room")).status, 204);
    assert.equal((await call("DELETE", "/openvidu/api/recordings/room")).status, 404);
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    await e.join("room");
    assert.equal((await call("GET", "/openvidu/api/sessions/room")).json.recording, true);
    assert.equal(e.model.session("room")!.recordingId, "room", "the freed id, handed out again");
    assert.equal(
      (await call("DELETE", "/openvidu/api/recordings/room")).status,
      409,
      "while recording",
    );
  });
});

Deno.test("recordings/start checks in the server's order: body, 501, session, state, then properties", async () => {
  await withEmulator(async (_e, call) => {
    assert.equal((await call("POST", "/openvidu/api/recordings/start", "")).status, 400);
    const disabled = await call("POST", "/openvidu/api/recordings/start", { nothing: 1 });
    assert.equal(disabled.status, 501, "501 before the session is even read");
    assert.equal(disabled.text, "");
    assert.equal((await call("GET", "/openvidu/api/recordings")).status, 501);
  }, { recording: false });

  await withEmulator(async (e, call) => {
    assert.equal(
      (await call("POST", "/openvidu/api/recordings/start", { session: 1 })).status,
      400,
    );
    assert.equal(
      (await call("POST", "/openvidu/api/recordings/start", { session: "x" })).status,
      404,
    );
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    await e.join("room");
    const unprocessable = await call("POST", "/openvidu/api/recordings/start", {
      session: "room",
      resolution: "99x99",
    });
    assert.equal(unprocessable.status, 422);
    assert.equal(unprocessable.json.path, "/openvidu/api/sessions", "the server's wrong path");
    for (
      const body of [
        { session: "room", frameRate: 0 },
        { session: "room", shmSize: 1000 },
        { session: "room", hasAudio: false, hasVideo: false },
      ]
    ) {
      assert.equal((await call("POST", "/openvidu/api/recordings/start", body)).status, 422);
    }
    for (
      const body of [
        { session: "room", name: "bad name" },
        { session: "room", resolution: 999 },
        { session: "room", frameRate: true },
        { session: "room", outputMode: "MIXED" },
      ]
    ) {
      assert.equal((await call("POST", "/openvidu/api/recordings/start", body)).status, 400);
    }
    const ok = await call("POST", "/openvidu/api/recordings/start", {
      session: "room",
      name: "take~1",
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.name, "take~1");
  });
});

Deno.test("the recording file needs Basic auth and honours Range: 200, 206, suffix, 416, HEAD", async () => {
  const fixture = await Deno.readFile(DEFAULT_RECORDING_FILE);
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    await e.join("room");
    const path = "/openvidu/recordings/room/room.mp4";
    assert.equal((await call("GET", path)).status, 404, "not before it is ready");
    await call("POST", "/openvidu/api/recordings/stop/room");

    const get = (headers: Record<string, string>) =>
      fetch(`${e.url}${path}`, { headers: { authorization: AUTH, ...headers } });
    assert.equal((await call("GET", path, undefined, { authorization: "" })).status, 401);
    const whole = await get({});
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "video/mp4");
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), fixture);

    const part = await get({ range: "bytes=1000-1999" });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 1000-1999/${fixture.length}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), fixture.subarray(1000, 2000));

    const open = await get({ range: `bytes=${fixture.length - 10}-` });
    assert.deepEqual(new Uint8Array(await open.arrayBuffer()), fixture.subarray(-10));
    const suffix = await get({ range: "bytes=-16" });
    assert.equal(suffix.status, 206);
    assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), fixture.subarray(-16));

    const past = await get({ range: `bytes=${fixture.length}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${fixture.length}`);
    await past.body?.cancel();

    const head = await fetch(`${e.url}${path}`, {
      method: "HEAD",
      headers: { authorization: AUTH },
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(fixture.length));
    assert.equal((await call("GET", "/openvidu/recordings/room/other.mp4")).status, 404);
    assert.equal((await call("GET", "/openvidu/recordings/room/room.jpg")).status, 404);
  });
});

Deno.test("failNext answers the given fault the given number of times, then the server answers", async () => {
  await withEmulator(async (e, call) => {
    e.failNext("POST /openvidu/api/sessions", { status: 500, body: "boom", times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
      assert.equal(res.status, 500);
      assert.equal(res.text, "boom");
      assert.equal(
        res.headers.get("content-type"),
        "application/json",
        "mislabelled, like OpenVidu",
      );
    }
    assert.equal(
      (await call("POST", "/openvidu/api/sessions", { customSessionId: "room" })).status,
      200,
    );
    e.failNext("* /openvidu/api/sessions/*/connection", { status: 404 });
    const res = await call("POST", "/openvidu/api/sessions/room/connection", {});
    assert.equal(res.status, 404);
    assert.equal(res.text, "");
    assert.throws(() => e.failNext("sessions", {}), /must look like/);
  });
});

Deno.test("the control API plays participants, lists sessions, finishes recordings, injects faults", async () => {
  await withEmulator(async (e, call) => {
    await call("POST", "/openvidu/api/sessions", {
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    const joined = await call("POST", "/emulator/sessions/room/participants", {
      displayName: "Claire",
    });
    assert.equal(joined.status, 201);
    assert.match(joined.json.connectionId, /^con_/);
    assert.match(joined.json.streamId, /^str_CAM_/);
    const listed = (await call("GET", "/emulator/sessions", undefined, { authorization: "" })).json;
    assert.equal(listed.sessions[0].recording, true);
    assert.equal(JSON.parse(listed.sessions[0].participants[0].serverData).display_name, "Claire");
    assert.equal((await call("POST", "/emulator/sessions/nope/participants", {})).status, 404);
    assert.equal(
      (await call("POST", "/emulator/sessions/room/participants", { bogus: 1 })).status,
      400,
    );
    const reused = await call("POST", "/emulator/sessions/room/participants", {
      token: "ws://x?sessionId=room&token=tok_A",
    });
    assert.equal(reused.status, 409);

    const finished = await call("POST", "/emulator/recordings/room/stop");
    assert.equal(finished.status, 200);
    assert.equal(finished.json.status, "ready");
    assert.equal(finished.json.url, `${e.url}/openvidu/recordings/room/room.mp4`);

    assert.equal(
      (await call(
        "DELETE",
        `/emulator/sessions/room/participants/${joined.json.connectionId}?reason=networkDisconnect`,
      )).status,
      204,
    );
    assert.equal((await call("GET", "/openvidu/api/sessions/room")).status, 404);

    assert.equal(
      (await call("POST", "/emulator/faults", {
        route: "GET /openvidu/api/recordings",
        status: 503,
      }))
        .status,
      204,
    );
    assert.equal((await call("GET", "/openvidu/api/recordings")).status, 503);
    assert.equal((await call("GET", "/openvidu/api/recordings")).status, 200);
    assert.deepEqual((await call("GET", "/emulator/webhooks")).json, { deliveries: [] });
  });
});

Deno.test("POST /openvidu/api/signal: 404 without the session, 406 when nobody is there or to a stranger", async () => {
  await withEmulator(async (e, call) => {
    assert.equal((await call("POST", "/openvidu/api/signal", { session: "room" })).status, 404);
    await call("POST", "/openvidu/api/sessions", { customSessionId: "room" });
    assert.equal((await call("POST", "/openvidu/api/signal", { session: "room" })).status, 406);
    await e.join("room");
    assert.equal(
      (await call("POST", "/openvidu/api/signal", { session: "room", to: ["con_nobody"] })).status,
      406,
    );
    assert.equal(
      (await call("POST", "/openvidu/api/signal", { session: "room", data: 1 })).status,
      400,
    );
    const ok = await call("POST", "/openvidu/api/signal", {
      session: "room",
      type: "chat",
      data: "hi",
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, "");
  });
});
