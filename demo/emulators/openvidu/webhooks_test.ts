// Webhooks as openvidu-server sends them (reference/openvidu2.md §3): payload keys in the
// server's order with Java doubles, the configured headers, one at a time in order, only 200
// counts, I/O errors retried at once up to 5 attempts.
import assert from "node:assert/strict";
import { DEFAULT_SESSION_PROPERTIES } from "./model.ts";
import { startOpenViduEmulator } from "./mod.ts";
import { WebhookSender } from "./webhooks.ts";

interface Received {
  raw: string;
  json: Record<string, unknown>;
  headers: Headers;
}

/** A webhook endpoint that records what it gets and answers `answer(event)`. */
function receiver(
  answer: (event: Record<string, unknown>) => number | Promise<number> = () => 200,
) {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const raw = await req.text();
      const json = JSON.parse(raw);
      received.push({ raw, json, headers: req.headers });
      return new Response(null, { status: await answer(json) });
    } finally {
      inFlight--;
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/functions/v1/openvidu-webhook`,
    received,
    maxInFlight: () => maxInFlight,
    close: () => server.shutdown(),
  };
}

const KEYS = {
  sessionCreated: ["sessionId", "uniqueSessionId", "timestamp", "event"],
  sessionDestroyed: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "startTime",
    "duration",
    "reason",
    "event",
  ],
  participantJoined: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "participantId",
    "connectionId",
    "location",
    "ip",
    "platform",
    "clientData",
    "serverData",
    "event",
  ],
  participantLeft: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "startTime",
    "duration",
    "reason",
    "participantId",
    "connectionId",
    "location",
    "ip",
    "platform",
    "clientData",
    "serverData",
    "event",
  ],
  webrtcConnectionCreated: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "streamId",
    "participantId",
    "connectionId",
    "connection",
    "videoSource",
    "videoFramerate",
    "videoDimensions",
    "audioEnabled",
    "videoEnabled",
    "event",
  ],
  webrtcConnectionDestroyed: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "startTime",
    "duration",
    "reason",
    "streamId",
    "participantId",
    "connectionId",
    "connection",
    "videoSource",
    "videoFramerate",
    "videoDimensions",
    "audioEnabled",
    "videoEnabled",
    "event",
  ],
  recordingStarted: [
    "sessionId",
    "uniqueSessionId",
    "timestamp",
    "startTime",
    "duration",
    "id",
    "name",
    "outputMode",
    "resolution",
    "frameRate",
    "recordingLayout",
    "hasAudio",
    "hasVideo",
    "size",
    "status",
    "event",
  ],
};
const withReason = (keys: string[]) => [...keys.slice(0, 5), "reason", ...keys.slice(5)];

Deno.test("a meeting's webhooks arrive in order, with the server's keys, key order and Java doubles", async () => {
  const hook = receiver();
  const emulator = await startOpenViduEmulator({
    webhookUrl: hook.url,
    webhookHeaders: ["Authorization: Bearer hook-secret-123"],
    log: () => {},
  });
  try {
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${emulator.url}/openvidu/api${path}`, {
        method,
        headers: { authorization: `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => (r.status === 200 ? await r.json() : await r.body?.cancel()));
    await api("POST", "/sessions", { customSessionId: "room-42" });
    const conn = await api("POST", "/sessions/room-42/connection", { data: '{"user_id":"u1"}' });
    const { connectionId } = await emulator.join("room-42", {
      token: conn.token,
      clientData: '{"displayName":"Alice"}',
    });
    await api("POST", "/recordings/start", { session: "room-42" });
    await api("POST", "/recordings/stop/room-42");
    await emulator.leave("room-42", connectionId);
    await emulator.webhooksIdle();

    const events = hook.received.map((r) => r.json.event);
    assert.deepEqual(events, [
      "sessionCreated",
      "participantJoined",
      "webrtcConnectionCreated",
      "recordingStatusChanged",
      "recordingStatusChanged",
      "recordingStatusChanged",
      "webrtcConnectionDestroyed",
      "participantLeft",
      "sessionDestroyed",
    ]);
    const [created, joined, pub, started, stopped, ready, unpub, left, destroyed] = hook.received;
    assert.deepEqual(Object.keys(created.json), KEYS.sessionCreated);
    assert.deepEqual(Object.keys(joined.json), KEYS.participantJoined);
    assert.deepEqual(Object.keys(pub.json), KEYS.webrtcConnectionCreated);
    assert.deepEqual(Object.keys(started.json), KEYS.recordingStarted);
    assert.deepEqual(Object.keys(stopped.json), withReason(KEYS.recordingStarted));
    assert.deepEqual(Object.keys(ready.json), withReason(KEYS.recordingStarted));
    assert.deepEqual(Object.keys(unpub.json), KEYS.webrtcConnectionDestroyed);
    assert.deepEqual(Object.keys(left.json), KEYS.participantLeft);
    assert.deepEqual(Object.keys(destroyed.json), KEYS.sessionDestroyed);

    // Values as the reference gives them.
    const unique = created.json.uniqueSessionId;
    assert.equal(unique, `room-42_${created.json.timestamp}`);
    assert.ok(hook.received.every((r) => r.json.uniqueSessionId === unique));
    assert.equal(joined.json.participantId, connectionId);
    assert.equal(joined.json.location, "unknown");
    assert.equal(joined.json.clientData, '{"displayName":"Alice"}');
    assert.equal(joined.json.serverData, '{"user_id":"u1"}');
    assert.equal(pub.json.connection, "OUTBOUND");
    assert.equal(pub.json.videoSource, "CAMERA");
    assert.equal(pub.json.videoDimensions, '{"width":640,"height":480}', "a JSON string");
    assert.match(started.raw, /"duration":0\.0,/, "a Java double");
    assert.equal(started.json.timestamp, started.json.startTime);
    assert.equal(started.json.status, "started");
    assert.equal(stopped.json.status, "stopped");
    assert.equal(stopped.json.reason, "recordingStoppedByServer");
    assert.equal(stopped.json.size, 0);
    assert.match(stopped.raw, /"duration":0\.0,/);
    assert.equal(ready.json.status, "ready");
    assert.equal(ready.json.reason, "recordingStoppedByServer");
    assert.equal(ready.json.size, emulator.model.media.size);
    assert.equal(ready.json.duration, emulator.model.media.duration);
    assert.ok(!("url" in ready.json), "recordingStatusChanged has no url");
    assert.equal(left.json.reason, "disconnect");
    assert.equal(typeof left.json.duration, "number");
    assert.ok(Number.isInteger(left.json.duration));
    assert.equal(destroyed.json.reason, "lastParticipantLeft");
    assert.equal(destroyed.json.startTime, created.json.timestamp);

    // Sent the way the server sends them.
    for (const r of hook.received) {
      assert.equal(r.headers.get("authorization"), "Bearer hook-secret-123");
      assert.equal(r.headers.get("content-type"), "application/json");
    }
    assert.equal(hook.maxInFlight(), 1);
    assert.deepEqual(emulator.webhookLog().map((d) => d.status), events.map(() => 200));
    assert.deepEqual(emulator.webhookLog().map((d) => d.payload.event), events);
  } finally {
    await emulator.close();
    await hook.close();
  }
});

Deno.test("a recording that outlives its participants stops automatically, then the session closes", async () => {
  const hook = receiver();
  const emulator = await startOpenViduEmulator({
    webhookUrl: hook.url,
    autostopTimeoutMs: 60,
    log: () => {},
  });
  try {
    emulator.model.createSession({
      ...DEFAULT_SESSION_PROPERTIES,
      customSessionId: "room",
      recordingMode: "ALWAYS",
    });
    const { connectionId } = await emulator.join("room");
    await emulator.leave("room", connectionId);
    assert.ok(emulator.model.session("room"), "still open while the countdown runs");
    const deadline = Date.now() + 5000;
    while (emulator.model.session("room") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await emulator.webhooksIdle();
    assert.deepEqual(
      hook.received.slice(-5).map((r) => [r.json.event, r.json.status, r.json.reason]),
      [
        ["webrtcConnectionDestroyed", undefined, "disconnect"],
        ["participantLeft", undefined, "disconnect"],
        ["recordingStatusChanged", "stopped", "automaticStop"],
        ["recordingStatusChanged", "ready", "automaticStop"],
        ["sessionDestroyed", undefined, "automaticStop"],
      ],
    );
  } finally {
    await emulator.close();
    await hook.close();
  }
});

Deno.test("closing a session evicts participants, stops the recording, then destroys the session", async () => {
  const hook = receiver();
  const emulator = await startOpenViduEmulator({ webhookUrl: hook.url, log: () => {} });
  try {
    const res = await fetch(`${emulator.url}/openvidu/api/sessions`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}` },
      body: JSON.stringify({ customSessionId: "room", recordingMode: "ALWAYS" }),
    });
    await res.body?.cancel();
    await emulator.join("room");
    const del = await fetch(`${emulator.url}/openvidu/api/sessions/room`, {
      method: "DELETE",
      headers: { authorization: `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}` },
    });
    assert.equal(del.status, 204);
    await emulator.webhooksIdle();
    assert.deepEqual(
      hook.received.slice(-5).map((r) => [r.json.event, r.json.status, r.json.reason]),
      [
        ["webrtcConnectionDestroyed", undefined, "sessionClosedByServer"],
        ["participantLeft", undefined, "sessionClosedByServer"],
        ["recordingStatusChanged", "stopped", "sessionClosedByServer"],
        ["recordingStatusChanged", "ready", "sessionClosedByServer"],
        ["sessionDestroyed", undefined, "sessionClosedByServer"],
      ],
    );
  } finally {
    await emulator.close();
    await hook.close();
  }
});

Deno.test("only HTTP 200 counts: other answers are logged and dropped, never retried", async () => {
  const hook = receiver((e) => (e.event === "sessionCreated" ? 204 : 200));
  const lines: string[] = [];
  const emulator = await startOpenViduEmulator({ webhookUrl: hook.url, log: (l) => lines.push(l) });
  try {
    emulator.model.createSession({
      ...DEFAULT_SESSION_PROPERTIES,
      customSessionId: "room",
    });
    emulator.model.closeSession("room");
    await emulator.webhooksIdle();
    assert.deepEqual(hook.received.map((r) => r.json.event), [
      "sessionCreated",
      "sessionDestroyed",
    ]);
    assert.deepEqual(emulator.webhookLog().map((d) => d.status), [204, 200]);
    assert.ok(lines.some((l) => l.includes("webhook sessionCreated dropped: HTTP 204")));
    assert.ok(lines.every((l) => l.startsWith("[openvidu-emulator] ")), "labelled lines");
  } finally {
    await emulator.close();
    await hook.close();
  }
});

Deno.test("webhooks go one at a time: a slow endpoint delays every later event", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const hook = receiver(async (e) => {
    if (e.event === "sessionCreated") await gate;
    return 200;
  });
  const emulator = await startOpenViduEmulator({ webhookUrl: hook.url, log: () => {} });
  try {
    emulator.model.createSession({ ...DEFAULT_SESSION_PROPERTIES, customSessionId: "a" });
    emulator.model.createSession({ ...DEFAULT_SESSION_PROPERTIES, customSessionId: "b" });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(hook.received.length, 1, "the second waits for the first");
    release();
    await emulator.webhooksIdle();
    assert.deepEqual(hook.received.map((r) => r.json.sessionId), ["a", "b"]);
    assert.equal(hook.maxInFlight(), 1);
  } finally {
    await emulator.close();
    await hook.close();
  }
});

Deno.test("I/O errors are retried at once, 5 attempts in all; then the event is dropped", async () => {
  const lines: string[] = [];
  let calls = 0;
  const flaky = new WebhookSender({
    url: "http://hooks.test/",
    log: (l) => lines.push(l),
    fetch: () => {
      calls++;
      return calls < 5
        ? Promise.reject(new TypeError("connection reset"))
        : Promise.resolve(new Response("ok"));
    },
  });
  flaky.enqueue({ sessionId: "a", event: "sessionCreated" });
  await flaky.idle();
  assert.equal(calls, 5);
  assert.deepEqual(flaky.log().map((d) => d.status), [200]);

  let attempts = 0;
  const dead = new WebhookSender({
    url: "http://hooks.test/",
    log: (l) => lines.push(l),
    fetch: () => {
      attempts++;
      return Promise.reject(new TypeError("connection refused"));
    },
  });
  dead.enqueue({ sessionId: "a", event: "sessionCreated" });
  dead.enqueue({ sessionId: "a", event: "sessionDestroyed" });
  await dead.idle();
  assert.equal(attempts, 10);
  assert.deepEqual(dead.log().map((d) => d.status), [null, null]);
  assert.ok(lines.some((l) => l.includes("dropped: no answer")));
});

Deno.test("events outside OPENVIDU_WEBHOOK_EVENTS are not sent (signalSent by default)", async () => {
  const seen: string[] = [];
  const sender = new WebhookSender({
    url: "http://hooks.test/",
    log: () => {},
    fetch: (_url, init) => {
      seen.push(JSON.parse(String(init?.body)).event);
      return Promise.resolve(new Response(null));
    },
  });
  sender.enqueue({ event: "signalSent" });
  sender.enqueue({ event: "participantJoined" });
  await sender.idle();
  assert.deepEqual(seen, ["participantJoined"]);

  const all = new WebhookSender({
    url: "http://hooks.test/",
    events: ["signalSent"],
    log: () => {},
    fetch: (_url, init) => {
      seen.push(JSON.parse(String(init?.body)).event);
      return Promise.resolve(new Response(null));
    },
  });
  all.enqueue({ event: "signalSent" });
  await all.idle();
  assert.deepEqual(seen, ["participantJoined", "signalSent"]);
});

Deno.test("a malformed OPENVIDU_WEBHOOK_HEADERS entry is refused", () => {
  assert.throws(
    () =>
      new WebhookSender({ url: "http://x/", headers: ["Authorization:Bearer x"], log: () => {} }),
    /must look like "Name: Value"/,
  );
});
