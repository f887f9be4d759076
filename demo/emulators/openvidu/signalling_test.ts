// The emulator's openvidu-browser signalling, spoken by a plain WebSocket client the way the
// SDK speaks it (same methods, parameters and JSON-RPC framing). Media negotiation uses a real
// Chromium publish offer; media itself is proven in Chromium by e2e/two_party.e2e.ts.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createSocket } from "node:dgram";
import { classes, Message, methods, parseMessage } from "werift";
import { eventually } from "../../../functions/_shared/testing.ts";
import { startStunServer } from "./media/stun_server.ts";
import { type OpenViduEmulator, startOpenViduEmulator } from "./mod.ts";
import type { Role } from "./model.ts";

const OFFER = await Deno.readTextFile(
  new URL("./media/testing/fixtures/chromium_publish_offer.sdp", import.meta.url),
);

interface Notification {
  method: string;
  params: Record<string, unknown>;
}

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** One browser's JSON-RPC WebSocket, as openvidu-browser's kurento-jsonrpc client uses it. */
class Client {
  readonly notifications: Notification[] = [];
  #next = 0;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.method) {
        this.notifications.push({ method: m.method, params: m.params });
        return;
      }
      const waiting = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) waiting?.reject(new RpcError(m.error.code, m.error.message));
      else waiting?.resolve(m.result);
    };
    this.closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
  }

  static async open(emulator: OpenViduEmulator, sessionId: string): Promise<Client> {
    const ws = new WebSocket(`${emulator.model.wsUrl()}/openvidu?sessionId=${sessionId}`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    return new Client(ws);
  }

  // deno-lint-ignore no-explicit-any
  call(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.#next++;
    this.ws.send(JSON.stringify({ jsonrpc: "2.0", method, params, id }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** The first notification `method` (matching `where`), waiting for it. */
  notified(method: string, where: (p: Record<string, unknown>) => boolean = () => true) {
    return eventually(
      () => this.notifications.find((n) => n.method === method && where(n.params))?.params,
      { timeoutMs: 5000, what: `notification ${method}` },
    );
  }

  close(): Promise<void> {
    this.ws.close();
    return this.closed;
  }
}

/** A session and a token of `role` on it, as the meetings function makes them over REST. */
function tokenFor(emulator: OpenViduEmulator, sessionId: string, role: Role = "PUBLISHER") {
  if (!emulator.model.session(sessionId)) {
    emulator.model.createSession({
      customSessionId: sessionId,
      mediaMode: "ROUTED",
      recordingMode: "ALWAYS",
      defaultRecordingProperties: {
        name: "",
        hasAudio: true,
        hasVideo: true,
        outputMode: "COMPOSED",
        recordingLayout: "BEST_FIT",
        customLayout: "",
        resolution: "1280x720",
        frameRate: 25,
        shmSize: 536870912,
        ignoreFailedStreams: false,
      },
      forcedVideoCodec: "MEDIA_SERVER_PREFERRED",
      allowTranscoding: false,
    });
  }
  return emulator.model.createConnection(sessionId, {
    data: JSON.stringify({ user_id: crypto.randomUUID(), display_name: `${role} user` }),
    role,
    record: true,
    kurentoOptions: null,
    customIceServers: [],
  }).token;
}

const joinParams = (token: string, sessionId: string, name: string) => ({
  token,
  session: sessionId,
  platform: "Chrome 156.0.0.0 on Linux 64-bit",
  sdkVersion: "2.32.1",
  metadata: JSON.stringify({ displayName: name, kind: "camera" }),
  secret: "",
  recorder: false,
  stt: false,
});

const publishParams = {
  doLoopback: false,
  hasAudio: true,
  hasVideo: true,
  audioActive: true,
  videoActive: true,
  typeOfVideo: "CAMERA",
  frameRate: 30,
  videoDimensions: JSON.stringify({ width: 640, height: 480 }),
  sdpOffer: OFFER,
};

async function withEmulator(
  fn: (emulator: OpenViduEmulator, clients: Client[]) => Promise<void>,
  options: { reconnectWindowMs?: number } = {},
) {
  const emulator = await startOpenViduEmulator({ log: () => {}, ...options });
  const clients: Client[] = [];
  try {
    await fn(emulator, clients);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await emulator.close();
  }
}

Deno.test("joinRoom uses the single-use token and answers what openvidu-browser reads", async () => {
  await withEmulator(async (emulator, clients) => {
    const sid = "signalling-join";
    const token = tokenFor(emulator, sid);
    const a = await Client.open(emulator, sid);
    clients.push(a);
    await assert.rejects(
      a.call("publishVideo", publishParams),
      (e: RpcError) => e.code === 803 && /Session.connect\(\)' must be the first/.test(e.message),
    );
    const joined = await a.call("joinRoom", joinParams(token, sid, "Alice"));
    assert.match(joined.id, /^con_[A-Z][A-Za-z0-9]{9}$/);
    assert.equal(joined.session, sid);
    assert.equal(joined.version, "2.32.1");
    // A CE 2.32 server runs Kurento: the SDK then offers for its subscriptions too.
    assert.equal(joined.mediaServer, "kurento");
    assert.equal(joined.videoSimulcast, false);
    assert.equal(joined.role, "PUBLISHER");
    assert.equal(joined.record, true);
    assert.deepEqual(joined.value, []);
    assert.equal(typeof joined.sessionId, "string", "the RPC session id the SDK reconnects with");
    // client%/%server metadata, like Participant.getFullMetadata.
    const [client, server] = joined.metadata.split("%/%");
    assert.equal(JSON.parse(client).displayName, "Alice");
    assert.equal(JSON.parse(server).display_name, "PUBLISHER user");
    // ICE servers on this machine, so the SDK never falls back to public STUN servers.
    assert.deepEqual(joined.customIceServers, [{ url: joined.customIceServers[0].url }]);
    assert.match(joined.customIceServers[0].url, /^stun:127\.0\.0\.1:\d+$/);

    const connection = emulator.model.connection(sid, joined.id);
    assert.equal(connection.status, "active");
    assert.equal(connection.platform, "Chrome 156.0.0.0 on Linux 64-bit");
    assert.equal(connection.ip, "127.0.0.1");

    const again = await Client.open(emulator, sid);
    clients.push(again);
    await assert.rejects(
      again.call("joinRoom", joinParams(token, sid, "Mallory")),
      (e: RpcError) => e.code === 401 && e.message.includes("is not valid"),
    );
    await assert.rejects(
      again.call("joinRoom", joinParams(tokenFor(emulator, sid), "elsewhere", "Mallory")),
      (e: RpcError) => e.code === 202 && e.message.includes("cannot be found"),
    );
    assert.deepEqual(await again.call("ping", { interval: 5000 }), {
      value: "pong",
      sessionId: (await again.call("ping")).sessionId,
    });
  });
});

Deno.test("participants are told of each other: joins, streams, property changes, signals, leaves", async () => {
  await withEmulator(async (emulator, clients) => {
    const sid = "signalling-events";
    const a = await Client.open(emulator, sid);
    const b = await Client.open(emulator, sid);
    clients.push(a, b);
    const alice = await a.call("joinRoom", joinParams(tokenFor(emulator, sid), sid, "Alice"));

    const published = await a.call("publishVideo", publishParams);
    assert.match(published.id, new RegExp(`^str_CAM_[A-Za-z0-9]{4}_${alice.id}$`));
    // The relay answers one codec per kind and is the DTLS server.
    assert.match(published.sdpAnswer, /a=setup:passive/);
    assert.match(published.sdpAnswer, /m=video 9 UDP\/TLS\/RTP\/SAVPF \d+\r\n/);
    // ALWAYS mode: the first stream starts the recording, and publishers are told.
    const started = await a.notified("recordingStarted");
    assert.equal(started.id, sid);

    const bob = await b.call("joinRoom", joinParams(tokenFor(emulator, sid), sid, "Bob"));
    assert.equal(bob.recordingId, sid, "a publisher joining a recorded session learns of it");
    assert.equal(bob.value.length, 1);
    assert.equal(bob.value[0].id, alice.id);
    assert.equal(bob.value[0].streams[0].id, published.id);
    assert.equal(bob.value[0].streams[0].typeOfVideo, "CAMERA");
    assert.equal(bob.value[0].streams[0].videoDimensions, '{"width":640,"height":480}');
    const joined = await a.notified("participantJoined");
    assert.equal(joined.id, bob.id);
    assert.match(String(joined.metadata), /Bob/);

    // The stream's owner is resolved from the stream id (`sender`).
    await assert.rejects(
      b.call("receiveVideoFrom", { sender: `str_CAM_xxxx_con_Nobody12345`, sdpOffer: OFFER }),
      (e: RpcError) => e.code === 102,
    );

    await a.call("streamPropertyChanged", {
      streamId: published.id,
      property: "videoActive",
      newValue: false,
      reason: "publishVideo",
    });
    const changed = await b.notified("streamPropertyChanged");
    assert.deepEqual(changed, {
      connectionId: alice.id,
      streamId: published.id,
      property: "videoActive",
      newValue: "false",
      reason: "publishVideo",
    });
    assert.equal(emulator.model.connection(sid, alice.id).publisher?.media.videoActive, false);

    await b.call("sendMessage", {
      message: JSON.stringify({ to: [], data: "bonjour", type: "signal:chat" }),
    });
    for (const client of [a, b]) {
      assert.deepEqual(await client.notified("sendMessage"), {
        data: "bonjour",
        type: "signal:chat",
        from: bob.id,
      });
    }
    await assert.rejects(
      b.call("sendMessage", { message: JSON.stringify({ to: ["con_Stranger123"], data: "x" }) }),
      (e: RpcError) => e.code === 601,
    );
    await assert.rejects(
      b.call("sendMessage", { message: "{not json" }),
      (e: RpcError) => e.code === 600,
    );

    await a.call("unpublishVideo");
    assert.deepEqual(await b.notified("participantUnpublished"), {
      connectionId: alice.id,
      reason: "unpublish",
    });
    await eventually(() => emulator.relay.stats().publications === 0, {
      what: "the relay forgetting the stream",
    });
    await assert.rejects(a.call("unpublishVideo"), (e: RpcError) => e.code === 105);

    await b.call("leaveRoom");
    assert.deepEqual(await a.notified("participantLeft"), {
      connectionId: bob.id,
      reason: "disconnect",
    });
    assert.equal(emulator.model.session(sid)?.connections.has(bob.id), false);
  });
});

Deno.test("a dropped WebSocket reconnects within the window; after it, the participant is evicted", async () => {
  await withEmulator(async (emulator, clients) => {
    const sid = "signalling-reconnect";
    const a = await Client.open(emulator, sid);
    const b = await Client.open(emulator, sid);
    clients.push(a, b);
    const alice = await a.call("joinRoom", joinParams(tokenFor(emulator, sid), sid, "Alice"));
    await b.call("joinRoom", joinParams(tokenFor(emulator, sid), sid, "Bob"));

    // The SDK opens a new socket and names its RPC session in `connect`.
    const drop = await fetch(
      `${emulator.url}/emulator/sessions/${sid}/participants/${alice.id}/drop-connection`,
      { method: "POST" },
    );
    assert.equal(drop.status, 204);
    await a.closed;
    const a2 = await Client.open(emulator, sid);
    clients.push(a2);
    await a2.call("connect", { sessionId: alice.sessionId, reconnect: true });
    await a2.call("ping", { interval: 5000 });
    const published = await a2.call("publishVideo", publishParams);
    assert.ok(published.sdpAnswer, "the reconnected socket acts as the participant");
    assert.equal(b.notifications.some((n) => n.method === "participantLeft"), false);

    // Gone for longer than the window: evicted, and the others are told why.
    await a2.close();
    const left = await b.notified("participantLeft");
    assert.deepEqual(left, { connectionId: alice.id, reason: "networkDisconnect" });
    const a3 = await Client.open(emulator, sid);
    clients.push(a3);
    await assert.rejects(
      a3.call("connect", { sessionId: alice.sessionId, reconnect: true }),
      (e: RpcError) => e.code === 40007,
    );
  }, { reconnectWindowMs: 300 });
});

Deno.test("roles: subscribers cannot publish, only moderators force; a closed session evicts", async () => {
  await withEmulator(async (emulator, clients) => {
    const sid = "signalling-roles";
    const [viewer, publisher, moderator] = await Promise.all(
      [0, 1, 2].map(() => Client.open(emulator, sid)),
    );
    clients.push(viewer, publisher, moderator);
    await viewer.call("joinRoom", joinParams(tokenFor(emulator, sid, "SUBSCRIBER"), sid, "V"));
    const pub = await publisher.call(
      "joinRoom",
      joinParams(tokenFor(emulator, sid, "PUBLISHER"), sid, "P"),
    );
    const mod = await moderator.call(
      "joinRoom",
      joinParams(tokenFor(emulator, sid, "MODERATOR"), sid, "M"),
    );
    await assert.rejects(
      viewer.call("publishVideo", publishParams),
      (e: RpcError) => e.code === 401,
    );
    await assert.rejects(
      publisher.call("forceDisconnect", { connectionId: mod.id }),
      (e: RpcError) => e.code === 401,
    );
    const stream = await publisher.call("publishVideo", publishParams);
    await moderator.call("forceUnpublish", { streamId: stream.id });
    for (const client of [publisher, viewer]) {
      assert.deepEqual(await client.notified("participantUnpublished"), {
        connectionId: pub.id,
        reason: "forceUnpublishByUser",
      });
    }
    await moderator.call("forceDisconnect", { connectionId: pub.id });
    assert.deepEqual(await publisher.notified("participantEvicted"), {
      connectionId: pub.id,
      reason: "forceDisconnectByUser",
    });
    assert.deepEqual(await viewer.notified("participantLeft"), {
      connectionId: pub.id,
      reason: "forceDisconnectByUser",
    });

    // DELETE /sessions/{id}: everyone is evicted with sessionClosedByServer.
    const closed = await fetch(`${emulator.url}/openvidu/api/sessions/${sid}`, {
      method: "DELETE",
      headers: { authorization: `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}` },
    });
    assert.equal(closed.status, 204);
    for (const client of [viewer, moderator]) {
      const evicted = await client.notified(
        "participantEvicted",
        (p) => p.reason === "sessionClosedByServer",
      );
      assert.ok(evicted.connectionId);
    }
  });
});

Deno.test("the loopback STUN server answers a binding request with the sender's address", async () => {
  const stun = await startStunServer();
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    const answered = new Promise<Buffer>((resolve) => socket.once("message", resolve));
    const request = new Message(methods.BINDING, classes.REQUEST);
    socket.send(request.bytes, stun.port, "127.0.0.1");
    const response = parseMessage(await answered)!;
    assert.equal(response.messageClass, classes.RESPONSE);
    assert.equal(response.transactionIdHex, request.transactionIdHex);
    assert.deepEqual(response.getAttributeValue("XOR-MAPPED-ADDRESS"), [
      "127.0.0.1",
      socket.address().port,
    ]);
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    await stun.close();
  }
});
