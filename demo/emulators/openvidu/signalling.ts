// The signalling openvidu-browser 2.32 speaks with the server: JSON-RPC 2.0 over a WebSocket
// at `/openvidu` on the server's own origin (the token's host). Learnt from the server's
// RpcHandler, SessionEventsHandler and KurentoSessionManager and from the SDK's Session,
// Stream and kurento-jsonrpc client (v2.32.1), and answered the way a CE 2.32 server running
// Kurento answers, so the SDK takes the same paths as in production: the browser offers for
// its subscriptions too (`receiveVideoFrom {sender, sdpOffer}`).
//
// Real participants live in the same model as the simulated ones: joining consumes the
// single-use token, and every change goes through the model, whose events (the CDR events
// behind the webhooks) become the notifications the other browsers receive. Media goes
// through the werift relay in ./media.
import { z } from "zod";
import { type CandidateInit, type MediaRelay, RelayError } from "./media/media_relay.ts";
import {
  type CdrEvent,
  type Connection,
  fullMetadata,
  newStreamId,
  OpenViduError,
  type OpenViduModel,
  type Stream,
} from "./model.ts";

/** The server version the joinRoom answer reports (openvidu-browser checks the minor). */
export const SERVER_VERSION = "2.32.1";

/** OpenViduException codes (openvidu-client `OpenViduException.Code`). */
const CODE = {
  generic: 999,
  wrongEdition: 997,
  transport: 803,
  sdp: 302,
  roomClosed: 203,
  roomNotFound: 202,
  alreadyStreaming: 106,
  notStreaming: 105,
  userNotFound: 102,
  unauthorized: 401,
  metadataFormat: 500,
  signalFormat: 600,
  signalTo: 601,
  /** kurento-jsonrpc: the `connect` of a reconnecting socket names an unknown RPC session. */
  reconnection: 40007,
  /** JSON-RPC 2.0 */
  invalidParams: -32602,
  methodNotFound: -32601,
} as const;

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Why a participant is told it was evicted (and the others that it left). */
const EVICTIONS = new Set([
  "forceDisconnectByUser",
  "forceDisconnectByServer",
  "sessionClosedByServer",
]);
/** Recording notifications go to these roles (OPENVIDU_RECORDING_NOTIFICATION=publisher_moderator). */
const RECORDING_NOTIFIED = new Set(["PUBLISHER", "MODERATOR"]);

export interface SignallingOptions {
  model: OpenViduModel;
  relay: MediaRelay;
  log(line: string): void;
  /**
   * The ICE servers a joinRoom answer names when the connection has none of its own
   * (`customIceServers`): without any, openvidu-browser would use public STUN servers.
   */
  iceServers(): { url: string }[];
  /**
   * How long a participant whose WebSocket dropped stays in its session, waiting for the SDK
   * to reconnect (`connect`), before it is evicted with `networkDisconnect`. The server's
   * window is about 10 s.
   */
  reconnectWindowMs?: number;
}

/** One JSON-RPC session: a browser's connection, which survives a reconnected WebSocket. */
interface RpcSession {
  /** Sent as `sessionId` in every answer; the SDK names it in `connect` to reconnect. */
  id: string;
  socket: WebSocket | null;
  ip: string;
  connectionId: string | null;
  sessionId: string | null;
  /** Set while the relay negotiates this participant's publication. */
  pendingStreamId: string | null;
  /** Milliseconds the SDK said it pings at. */
  pingIntervalMs: number;
  lastSeen: number;
  evictTimer: ReturnType<typeof setTimeout> | null;
}

const Candidate = z.object({
  endpointName: z.string().min(1),
  candidate: z.string(),
  sdpMid: z.string().nullish(),
  sdpMLineIndex: z.number().int().nullish(),
});

const JoinRoom = z.object({
  token: z.string().min(1),
  session: z.string().min(1),
  platform: z.string().optional(),
  metadata: z.string().optional(),
  sdkVersion: z.string().optional(),
});

const PublishVideo = z.object({
  sdpOffer: z.string().min(1),
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  audioActive: z.boolean().nullish(),
  videoActive: z.boolean().nullish(),
  typeOfVideo: z.enum(["CAMERA", "SCREEN", "CUSTOM"]).nullish(),
  frameRate: z.number().int().nullish(),
  videoDimensions: z.string().nullish(),
  doLoopback: z.boolean().optional(),
});

const ReceiveVideo = z.object({
  sender: z.string().min(1),
  sdpOffer: z.string().min(1).optional(),
  sdpAnswer: z.string().min(1).optional(),
});

const ReconnectStream = z.object({
  stream: z.string().min(1),
  sdpString: z.string().min(1).optional(),
  sdpOffer: z.string().min(1).optional(),
  forciblyReconnect: z.boolean().optional(),
});

const PropertyChanged = z.object({
  streamId: z.string(),
  property: z.string().min(1),
  newValue: z.unknown(),
  reason: z.string(),
});

const SignalMessage = z.object({
  to: z.array(z.string()).optional(),
  data: z.string().optional(),
  type: z.string().optional(),
});

type Params = Record<string, unknown>;

function parse<T extends z.ZodType>(schema: T, params: Params, method: string): z.output<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `'${i.path.join(".")}' ${i.message}`);
  throw new RpcError(CODE.invalidParams, `Bad parameters of '${method}': ${problems.join("; ")}`);
}

export class Signalling {
  readonly #model: OpenViduModel;
  readonly #relay: MediaRelay;
  readonly #log: (line: string) => void;
  readonly #iceServers: () => { url: string }[];
  readonly #reconnectWindowMs: number;
  readonly #rpc = new Map<string, RpcSession>();
  readonly #byConnection = new Map<string, RpcSession>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #offEvents: () => void;
  #closed = false;

  constructor(options: SignallingOptions) {
    this.#model = options.model;
    this.#relay = options.relay;
    this.#log = options.log;
    this.#iceServers = options.iceServers;
    this.#reconnectWindowMs = options.reconnectWindowMs ?? 10_000;
    this.#offEvents = this.#model.onEvent((event) => this.#onModelEvent(event));
    // A socket that stays open but silent (a frozen tab, a dead network path) is closed after
    // three missed pings; then the reconnection window applies as for any dropped socket.
    this.#watchdog = setInterval(() => this.#checkPings(), 2_000);
    Deno.unrefTimer(this.#watchdog);
  }

  /** Answers `GET /openvidu` with a WebSocket upgrade; anything else there is a 400. */
  upgrade(request: Request, remoteAddr: string): Response {
    if (this.#closed || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("OpenVidu emulator: /openvidu expects a WebSocket", { status: 400 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const holder = { rpc: this.#newRpc(socket, remoteAddr) };
    socket.onmessage = (e) => {
      if (typeof e.data === "string") this.#onMessage(holder, socket, e.data);
    };
    socket.onclose = () => this.#onSocketClosed(holder.rpc, socket);
    socket.onerror = () => {};
    return response;
  }

  /**
   * Closes a participant's WebSocket as a network drop would (the control API's "network
   * blip"): the SDK reconnects within the window, or the participant is evicted.
   */
  dropConnection(connectionId: string): boolean {
    const rpc = this.#byConnection.get(connectionId);
    if (!rpc?.socket) return false;
    this.#log(`${connectionId}: WebSocket dropped on purpose (network blip)`);
    rpc.socket.close(4000, "Dropped by the OpenVidu emulator");
    return true;
  }

  /** Whether a participant has a browser behind it (false for simulated participants). */
  isReal(connectionId: string): boolean {
    return this.#byConnection.has(connectionId);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#offEvents();
    clearInterval(this.#watchdog);
    for (const rpc of this.#rpc.values()) {
      if (rpc.evictTimer !== null) clearTimeout(rpc.evictTimer);
      try {
        rpc.socket?.close(1001, "OpenVidu emulator stopping");
      } catch {
        // already closed
      }
    }
    this.#rpc.clear();
    this.#byConnection.clear();
  }

  // -------------------------------------------------------------------------
  // Transport
  // -------------------------------------------------------------------------

  #newRpc(socket: WebSocket, ip: string): RpcSession {
    const rpc: RpcSession = {
      id: crypto.randomUUID(),
      socket,
      ip,
      connectionId: null,
      sessionId: null,
      pendingStreamId: null,
      pingIntervalMs: 5_000,
      lastSeen: Date.now(),
      evictTimer: null,
    };
    this.#rpc.set(rpc.id, rpc);
    return rpc;
  }

  #send(rpc: RpcSession | undefined, message: Record<string, unknown>): void {
    const socket = rpc?.socket;
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  #notify(rpc: RpcSession | undefined, method: string, params: Params): void {
    this.#send(rpc, { jsonrpc: "2.0", method, params });
  }

  #onMessage(holder: { rpc: RpcSession }, socket: WebSocket, text: string): void {
    let message: { id?: unknown; method?: unknown; params?: unknown; jsonrpc?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      this.#log("signalling: a message that is not JSON was ignored");
      return;
    }
    const { id, method } = message;
    if (message.jsonrpc !== "2.0" || typeof method !== "string") return;
    const params =
      (message.params && typeof message.params === "object" ? message.params : {}) as Params;
    holder.rpc.lastSeen = Date.now();
    const reply = (answer: Record<string, unknown>) => {
      if (id !== undefined && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ jsonrpc: "2.0", id, ...answer }));
      }
    };
    let result: unknown;
    try {
      // Handlers reach the relay synchronously: candidates the browser sends right after an
      // offer find the peer that offer created.
      result = this.#dispatch(holder, socket, method, params);
    } catch (error) {
      reply({ error: this.#rpcError(error, method) });
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        // kurento-jsonrpc adds the RPC session id to every object result; the SDK keeps the
        // one of `joinRoom` to reconnect with.
        const out = value && typeof value === "object" && !Array.isArray(value)
          ? { ...value, sessionId: holder.rpc.id }
          : value ?? {};
        reply({ result: out });
      },
      (error) => reply({ error: this.#rpcError(error, method) }),
    );
  }

  #rpcError(error: unknown, method: string): { code: number; message: string } {
    if (error instanceof RpcError) return { code: error.code, message: error.message };
    if (error instanceof RelayError) {
      const code = error.code === "unknown_stream" ? CODE.notStreaming : CODE.sdp;
      return { code, message: error.message };
    }
    if (error instanceof OpenViduError) return { code: CODE.generic, message: error.message };
    this.#log(`signalling: '${method}' failed: ${(error as Error)?.stack ?? error}`);
    return { code: CODE.generic, message: `'${method}' failed: ${(error as Error)?.message}` };
  }

  #onSocketClosed(rpc: RpcSession, socket: WebSocket): void {
    if (rpc.socket !== socket) return; // a reconnection already moved the session on
    rpc.socket = null;
    const connectionId = rpc.connectionId;
    if (!connectionId || this.#closed) {
      this.#forget(rpc);
      return;
    }
    this.#log(
      `${connectionId}: WebSocket closed; evicted in ${this.#reconnectWindowMs} ms unless it ` +
        `reconnects`,
    );
    rpc.evictTimer = setTimeout(() => {
      rpc.evictTimer = null;
      if (rpc.socket || rpc.connectionId !== connectionId) return;
      this.#log(`${connectionId}: did not reconnect; evicted (networkDisconnect)`);
      this.#leave(connectionId, "networkDisconnect");
      this.#forget(rpc);
    }, this.#reconnectWindowMs);
  }

  #checkPings(): void {
    const now = Date.now();
    for (const rpc of this.#rpc.values()) {
      if (rpc.socket && rpc.connectionId && now - rpc.lastSeen > 3 * rpc.pingIntervalMs) {
        this.#log(`${rpc.connectionId}: no ping for ${now - rpc.lastSeen} ms; closing its socket`);
        rpc.socket.close(4001, "Close for not receive ping from client");
      }
    }
  }

  #forget(rpc: RpcSession): void {
    if (rpc.evictTimer !== null) clearTimeout(rpc.evictTimer);
    rpc.evictTimer = null;
    this.#rpc.delete(rpc.id);
    if (rpc.connectionId && this.#byConnection.get(rpc.connectionId) === rpc) {
      this.#byConnection.delete(rpc.connectionId);
    }
    rpc.connectionId = null;
  }

  #leave(connectionId: string, reason: string): void {
    try {
      this.#model.leave(connectionId, reason);
    } catch (error) {
      // Already gone (the session closed meanwhile): nothing left to undo.
      if (!(error instanceof OpenViduError)) throw error;
    }
  }

  // -------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------

  #dispatch(
    holder: { rpc: RpcSession },
    socket: WebSocket,
    method: string,
    params: Params,
  ): unknown {
    const rpc = holder.rpc;
    switch (method) {
      case "ping":
        if (typeof params.interval === "number" && params.interval > 0) {
          rpc.pingIntervalMs = params.interval;
        }
        return { value: "pong" };
      case "connect":
        return this.#reconnect(holder, socket, params);
      case "joinRoom":
        return this.#joinRoom(rpc, parse(JoinRoom, params, method));
    }
    const me = this.#participant(rpc, method);
    switch (method) {
      case "publishVideo":
        return this.#publishVideo(rpc, me, parse(PublishVideo, params, method));
      case "receiveVideoFrom":
        return this.#receiveVideoFrom(rpc, me, parse(ReceiveVideo, params, method));
      case "prepareReceiveVideoFrom":
        return this.#prepareReceiveVideoFrom(rpc, me, parse(ReceiveVideo, params, method));
      case "onIceCandidate":
        return this.#onIceCandidate(rpc, me, parse(Candidate, params, method));
      case "reconnectStream":
        return this.#reconnectStream(rpc, me, parse(ReconnectStream, params, method));
      case "unpublishVideo":
        if (!me.publisher) {
          throw new RpcError(
            CODE.notStreaming,
            `Participant '${me.connectionId}' is not streaming media`,
          );
        }
        this.#model.unpublish(me.connectionId, "unpublish");
        return {};
      case "unsubscribeFromVideo":
        return this.#unsubscribe(me, String(params.sender ?? ""));
      case "streamPropertyChanged":
        return this.#streamPropertyChanged(me, parse(PropertyChanged, params, method));
      case "sendMessage":
        return this.#sendMessage(me, params.message);
      case "forceDisconnect":
        return this.#forceDisconnect(me, String(params.connectionId ?? ""));
      case "forceUnpublish":
        return this.#forceUnpublish(me, String(params.streamId ?? ""));
      case "leaveRoom":
        this.#log(`${me.connectionId}: leaves ${me.sessionId}`);
        this.#byConnection.delete(me.connectionId);
        rpc.connectionId = null;
        this.#leave(me.connectionId, "disconnect");
        return {};
      case "videoData":
      case "echo":
        return {};
      case "applyFilter":
      case "execFilterMethod":
      case "removeFilter":
      case "addFilterEventListener":
      case "removeFilterEventListener":
        throw new RpcError(
          CODE.generic,
          "Kurento filters are not available in the OpenVidu emulator",
        );
      case "subscribeToSpeechToText":
      case "unsubscribeFromSpeechToText":
        throw new RpcError(CODE.wrongEdition, "Speech to Text is an OpenVidu PRO feature");
      default:
        throw new RpcError(CODE.methodNotFound, `Unknown method '${method}'`);
    }
  }

  /** The caller's participant; methods other than ping, connect and joinRoom need one. */
  #participant(rpc: RpcSession, method: string): Connection {
    if (!rpc.connectionId || !rpc.sessionId) {
      throw new RpcError(
        CODE.transport,
        `No connection found for participant with privateId ${rpc.id}. Method ` +
          `'Session.connect()' must be the first operation called in any session (got '${method}')`,
      );
    }
    const connection = this.#model.session(rpc.sessionId)?.connections.get(rpc.connectionId);
    if (connection?.status !== "active") {
      throw new RpcError(
        CODE.generic,
        `Participant ${rpc.connectionId} not found in session ${rpc.sessionId}`,
      );
    }
    return connection;
  }

  #reconnect(holder: { rpc: RpcSession }, socket: WebSocket, params: Params): Params {
    const target = this.#rpc.get(String(params.sessionId ?? ""));
    const alive = target?.connectionId && target.sessionId &&
      this.#model.session(target.sessionId)?.connections.get(target.connectionId)?.status ===
        "active";
    if (!target || !alive) throw new RpcError(CODE.reconnection, "reconnection error");
    if (target === holder.rpc) return {};
    // The new socket takes over the old RPC session; the fresh one it opened is dropped.
    this.#forget(holder.rpc);
    holder.rpc = target;
    if (target.evictTimer !== null) clearTimeout(target.evictTimer);
    target.evictTimer = null;
    const old = target.socket;
    target.socket = socket;
    target.lastSeen = Date.now();
    if (old && old !== socket) old.close(4104, "Connection closed for reconnection");
    this.#log(`${target.connectionId}: WebSocket reconnected`);
    return {};
  }

  #joinRoom(rpc: RpcSession, p: z.output<typeof JoinRoom>): Params {
    if (rpc.connectionId) {
      throw new RpcError(CODE.generic, `This WebSocket already joined as ${rpc.connectionId}`);
    }
    const session = this.#model.session(p.session);
    if (!session) {
      throw new RpcError(
        CODE.roomNotFound,
        `Unable to join session. Session ${p.session} cannot be found`,
      );
    }
    if (session.closing) {
      throw new RpcError(
        CODE.roomClosed,
        `Unable to join the session. Session ${p.session} is closed`,
      );
    }
    const invalid = () =>
      new RpcError(
        CODE.unauthorized,
        `Unable to join session ${p.session}. Token ${p.token} is not valid`,
      );
    const tokenSession = URL.canParse(p.token)
      ? new URL(p.token).searchParams.get("sessionId")
      : null;
    if (tokenSession !== p.session) throw invalid();
    const metadata = p.metadata ?? "";
    if (metadata.length > 10_000) {
      throw new RpcError(
        CODE.metadataFormat,
        `Unable to join session ${p.session}. The metadata received from the client-side has ` +
          `an invalid format`,
      );
    }
    // Linked before the model announces the join, so the joiner is not told about itself.
    let connection: Connection;
    try {
      connection = this.#model.join(p.token, {
        ip: rpc.ip,
        platform: p.platform || "unknown",
        clientData: metadata,
      });
    } catch (error) {
      if (error instanceof OpenViduError && error.status === 401) throw invalid();
      throw error;
    }
    rpc.connectionId = connection.connectionId;
    rpc.sessionId = session.sessionId;
    this.#byConnection.set(connection.connectionId, rpc);
    this.#log(
      `${connection.connectionId} joined ${session.sessionId} from a browser (${connection.platform})`,
    );
    const others = this.#model.activeConnections(session)
      .filter((c) => c.connectionId !== connection.connectionId)
      .map((c) => ({
        id: c.connectionId,
        createdAt: c.activeAt,
        metadata: fullMetadata(c),
        ...(c.publisher ? { streams: [streamJson(c.publisher)] } : {}),
      }));
    const recording = session.recordingId !== null &&
        RECORDING_NOTIFIED.has(connection.properties.role)
      ? this.#model.recording(session.recordingId)
      : null;
    const custom = connection.properties.customIceServers;
    return {
      id: connection.connectionId,
      finalUserId: rpc.id.replaceAll("-", "").slice(0, 16).toUpperCase(),
      createdAt: connection.activeAt,
      metadata: fullMetadata(connection),
      value: others,
      session: session.sessionId,
      version: SERVER_VERSION,
      // What a CE 2.32 server runs: the SDK then offers for its subscriptions too.
      mediaServer: "kurento",
      videoSimulcast: false,
      record: connection.properties.record,
      role: connection.properties.role,
      coturnIp: "127.0.0.1",
      coturnPort: 3478,
      customIceServers: custom.length ? custom : this.#iceServers(),
      ...(recording ? { recordingId: recording.id, recordingName: recording.name } : {}),
    };
  }

  async #publishVideo(
    rpc: RpcSession,
    me: Connection,
    p: z.output<typeof PublishVideo>,
  ): Promise<Params> {
    if (me.properties.role === "SUBSCRIBER") {
      throw new RpcError(
        CODE.unauthorized,
        "Unable to publish video. The user does not have a valid token",
      );
    }
    if (me.publisher || rpc.pendingStreamId) {
      throw new RpcError(
        CODE.alreadyStreaming,
        `User ${me.connectionId} is already publishing in session ${me.sessionId}`,
      );
    }
    const media = {
      hasAudio: p.hasAudio,
      audioActive: p.audioActive ?? p.hasAudio,
      hasVideo: p.hasVideo,
      videoActive: p.videoActive ?? p.hasVideo,
      typeOfVideo: p.typeOfVideo ?? "CAMERA",
      frameRate: p.frameRate ?? -1,
      videoDimensions: p.videoDimensions ?? "",
    } as const;
    const streamId = newStreamId(me.connectionId, media);
    rpc.pendingStreamId = streamId;
    try {
      const { sdpAnswer } = await this.#relay.publish(
        streamId,
        p.sdpOffer,
        this.#peerCallbacks(rpc, me.connectionId, streamId),
      );
      if (this.#byConnection.get(me.connectionId) !== rpc || me.status !== "active") {
        await this.#relay.unpublish(streamId);
        throw new RpcError(CODE.userNotFound, `${me.connectionId} left while publishing`);
      }
      const stream = this.#model.publish(me.connectionId, media, streamId);
      return { id: stream.streamId, createdAt: stream.createdAt, sdpAnswer };
    } finally {
      rpc.pendingStreamId = null;
    }
  }

  /** The publisher (connection) a `sender` names: a stream id, or a connection id. */
  #sender(me: Connection, sender: string): Connection & { publisher: Stream } {
    const session = this.#model.session(me.sessionId);
    const active = session ? this.#model.activeConnections(session) : [];
    const owner = active.find((c) => c.publisher?.streamId === sender) ??
      active.find((c) => c.connectionId === sender || sender.endsWith(`_${c.connectionId}`));
    if (!owner) {
      throw new RpcError(
        CODE.userNotFound,
        `User '${sender} not found in session '${me.sessionId}'`,
      );
    }
    if (!owner.publisher) {
      throw new RpcError(
        CODE.notStreaming,
        `User '${owner.connectionId} not streaming media in session '${me.sessionId}'`,
      );
    }
    return owner as Connection & { publisher: Stream };
  }

  /** The publisher `sender` names, when its stream carries media a subscriber can receive. */
  #mediaSender(me: Connection, sender: string): Connection & { publisher: Stream } {
    const owner = this.#sender(me, sender);
    if (!this.#byConnection.has(owner.connectionId)) {
      throw new RpcError(
        CODE.notStreaming,
        `${owner.publisher.streamId} belongs to a participant simulated by the emulator: it ` +
          `carries no media`,
      );
    }
    return owner;
  }

  async #receiveVideoFrom(
    rpc: RpcSession,
    me: Connection,
    p: z.output<typeof ReceiveVideo>,
  ): Promise<Params> {
    const owner = this.#mediaSender(me, p.sender);
    const streamId = owner.publisher.streamId;
    if (p.sdpOffer) {
      const { sdpAnswer } = await this.#relay.subscribe(
        me.connectionId,
        streamId,
        p.sdpOffer,
        this.#peerCallbacks(rpc, owner.connectionId, streamId),
      );
      this.#subscribed(me, streamId);
      return { sdpAnswer };
    }
    if (!p.sdpAnswer) {
      throw new RpcError(CODE.invalidParams, "'receiveVideoFrom' needs sdpOffer or sdpAnswer");
    }
    await this.#relay.completeSubscribe(me.connectionId, streamId, p.sdpAnswer);
    this.#subscribed(me, streamId);
    return {};
  }

  /** The server-offer flow (what a mediasoup server does); kept for completeness. */
  async #prepareReceiveVideoFrom(
    rpc: RpcSession,
    me: Connection,
    p: z.output<typeof ReceiveVideo>,
  ): Promise<Params> {
    const owner = this.#mediaSender(me, p.sender);
    const streamId = owner.publisher.streamId;
    return await this.#relay.prepareSubscribe(
      me.connectionId,
      streamId,
      this.#peerCallbacks(rpc, owner.connectionId, streamId),
    );
  }

  #subscribed(me: Connection, streamId: string): void {
    if (me.status === "active" && !me.subscriptions.has(streamId)) {
      this.#model.subscribe(me.connectionId, streamId);
    }
  }

  async #reconnectStream(
    rpc: RpcSession,
    me: Connection,
    p: z.output<typeof ReconnectStream>,
  ): Promise<Params> {
    const sdp = p.sdpOffer ?? p.sdpString;
    if (!sdp) throw new RpcError(CODE.invalidParams, "'reconnectStream' needs an SDP");
    if (me.publisher?.streamId === p.stream) {
      this.#log(`${me.connectionId}: reconnects its stream ${p.stream}`);
      return await this.#relay.publish(
        p.stream,
        sdp,
        this.#peerCallbacks(rpc, me.connectionId, p.stream),
      );
    }
    const owner = this.#mediaSender(me, p.stream);
    if (p.forciblyReconnect) {
      await this.#relay.completeSubscribe(me.connectionId, p.stream, sdp);
      return {};
    }
    this.#log(`${me.connectionId}: reconnects its subscription to ${p.stream}`);
    const answer = await this.#relay.subscribe(
      me.connectionId,
      p.stream,
      sdp,
      this.#peerCallbacks(rpc, owner.connectionId, p.stream),
    );
    this.#subscribed(me, p.stream);
    return answer;
  }

  #onIceCandidate(
    rpc: RpcSession,
    me: Connection,
    p: z.output<typeof Candidate>,
  ): Promise<Params> {
    const candidate: CandidateInit = {
      candidate: p.candidate,
      sdpMid: p.sdpMid ?? null,
      sdpMLineIndex: p.sdpMLineIndex ?? null,
    };
    const target = p.endpointName === me.connectionId
      ? { streamId: me.publisher?.streamId ?? rpc.pendingStreamId ?? "" }
      : {
        streamId: this.#sender(me, p.endpointName).publisher.streamId,
        subscriberId: me.connectionId,
      };
    return this.#relay.addRemoteCandidate(target, candidate).then(() => ({}));
  }

  #unsubscribe(me: Connection, sender: string): Params {
    const owner = this.#sender(me, sender);
    const streamId = owner.publisher.streamId;
    if (me.subscriptions.has(streamId)) {
      this.#model.unsubscribe(me.connectionId, streamId);
    } else {
      void this.#relay.unsubscribe(me.connectionId, streamId);
    }
    return {};
  }

  #streamPropertyChanged(me: Connection, p: z.output<typeof PropertyChanged>): Params {
    if (!me.publisher) {
      throw new RpcError(
        CODE.notStreaming,
        `Participant '${me.connectionId}' is not streaming media`,
      );
    }
    const value = p.newValue;
    if (p.property === "audioActive" && typeof value === "boolean") {
      this.#model.updateMedia(me.connectionId, { audioActive: value });
    } else if (p.property === "videoActive" && typeof value === "boolean") {
      this.#model.updateMedia(me.connectionId, { videoActive: value });
    } else if (p.property === "videoDimensions" && typeof value === "string") {
      this.#model.updateMedia(me.connectionId, { videoDimensions: value });
    }
    // The server forwards the JSON text of the new value (a string arrives quoted).
    this.#toOthers(me, "streamPropertyChanged", {
      connectionId: me.connectionId,
      streamId: me.publisher.streamId,
      property: p.property,
      newValue: JSON.stringify(value),
      reason: p.reason,
    });
    return {};
  }

  #sendMessage(me: Connection, raw: unknown): Params {
    let message: z.output<typeof SignalMessage>;
    try {
      message = SignalMessage.parse(JSON.parse(String(raw)));
    } catch {
      throw new RpcError(
        CODE.signalFormat,
        `Provided signal object '${raw}' has not a valid JSON format`,
      );
    }
    const session = this.#model.session(me.sessionId)!;
    const active = this.#model.activeConnections(session).map((c) => c.connectionId);
    const to = message.to?.length ? [...new Set(message.to)] : active;
    if (to.some((id) => !active.includes(id))) {
      throw new RpcError(
        CODE.signalTo,
        'Signal "to" field invalid format: some connectionId does not exist in this session',
      );
    }
    const params: Params = {
      ...(message.data !== undefined ? { data: message.data } : {}),
      ...(message.type !== undefined ? { type: message.type } : {}),
      from: me.connectionId,
    };
    for (const id of to) this.#notify(this.#byConnection.get(id), "sendMessage", params);
    // The webhook's `type` drops the SDK's `signal:` prefix (§3.3 signalSent).
    this.#model.signal(session.sessionId, {
      from: me.connectionId,
      to,
      type: message.type?.replace(/^signal:/, "") ?? null,
      data: message.data ?? null,
    });
    return {};
  }

  #forceDisconnect(me: Connection, connectionId: string): Params {
    this.#assertModerator(me, "force disconnect");
    const session = this.#model.session(me.sessionId)!;
    if (session.connections.get(connectionId)?.status !== "active") {
      throw new RpcError(CODE.userNotFound, "Connection not found when calling 'forceDisconnect'");
    }
    this.#model.leave(connectionId, "forceDisconnectByUser");
    return {};
  }

  #forceUnpublish(me: Connection, streamId: string): Params {
    this.#assertModerator(me, "force unpublish");
    const session = this.#model.session(me.sessionId)!;
    const owner = this.#model.activeConnections(session).find((c) =>
      c.publisher?.streamId === streamId
    );
    if (!owner) throw new RpcError(CODE.notStreaming, `Stream '${streamId}' not found`);
    this.#model.unpublish(owner.connectionId, "forceUnpublishByUser");
    return {};
  }

  #assertModerator(me: Connection, what: string): void {
    if (me.properties.role !== "MODERATOR") {
      throw new RpcError(
        CODE.unauthorized,
        `Unable to ${what}. The user does not have a valid token`,
      );
    }
  }

  /** Relay callbacks for one peer of `rpc`'s browser; `owner` owns the stream. */
  #peerCallbacks(rpc: RpcSession, owner: string, streamId: string) {
    return {
      onLocalCandidate: (c: CandidateInit) =>
        this.#notify(rpc, "iceCandidate", {
          senderConnectionId: owner,
          endpointName: owner,
          sdpMLineIndex: c.sdpMLineIndex,
          sdpMid: c.sdpMid,
          candidate: c.candidate,
        }),
      onStateChange: (state: string) => {
        if (state === "failed") {
          this.#log(`media of ${streamId} (${rpc.connectionId ?? "gone"}): connection failed`);
        }
      },
    };
  }

  // -------------------------------------------------------------------------
  // Notifications, from the model's events
  // -------------------------------------------------------------------------

  #toOthers(me: Pick<Connection, "connectionId" | "sessionId">, method: string, params: Params) {
    const session = this.#model.session(me.sessionId);
    if (!session) return;
    for (const c of this.#model.activeConnections(session)) {
      if (c.connectionId !== me.connectionId) {
        this.#notify(this.#byConnection.get(c.connectionId), method, params);
      }
    }
  }

  #onModelEvent(e: CdrEvent): void {
    const sessionId = String(e.sessionId ?? "");
    const connectionId = String(e.connectionId ?? "");
    const session = this.#model.session(sessionId);
    const active = session ? this.#model.activeConnections(session) : [];
    const everyone = (method: string, params: Params, filter = (_c: Connection) => true) => {
      for (const c of active) {
        if (filter(c)) this.#notify(this.#byConnection.get(c.connectionId), method, params);
      }
    };
    switch (e.event) {
      case "participantJoined": {
        const joined = session?.connections.get(connectionId);
        if (!joined) return;
        everyone("participantJoined", {
          id: connectionId,
          createdAt: joined.activeAt,
          metadata: fullMetadata(joined),
        }, (c) => c.connectionId !== connectionId);
        return;
      }
      case "webrtcConnectionCreated": {
        if (e.connection !== "OUTBOUND") return;
        const publisher = session?.connections.get(connectionId)?.publisher;
        if (!publisher) return;
        everyone("participantPublished", {
          id: connectionId,
          streams: [streamJson(publisher)],
        }, (c) => c.connectionId !== connectionId);
        return;
      }
      case "webrtcConnectionDestroyed": {
        const streamId = String(e.streamId);
        const reason = String(e.reason ?? "");
        if (e.connection === "INBOUND") {
          void this.#relay.unsubscribe(connectionId, streamId).catch(() => {});
          return;
        }
        this.#relay.unpublish(streamId).catch((error) =>
          this.#log(`relay: unpublishing ${streamId} failed: ${error}`)
        );
        // Leaving is announced by participantLeft; only unpublishing is announced here. The
        // owner of a forcibly unpublished stream is told too.
        if (reason === "unpublish" || reason.startsWith("forceUnpublish")) {
          everyone(
            "participantUnpublished",
            { connectionId, reason },
            (c) => reason !== "unpublish" || c.connectionId !== connectionId,
          );
        }
        return;
      }
      case "participantLeft": {
        const reason = String(e.reason ?? "");
        everyone("participantLeft", { connectionId, reason });
        const rpc = this.#byConnection.get(connectionId);
        if (EVICTIONS.has(reason)) {
          everyone("participantEvicted", { connectionId, reason });
          // The evicted browser closes its socket itself when told.
          this.#notify(rpc, "participantEvicted", { connectionId, reason });
        }
        void this.#relay.leave([], connectionId).catch(() => {});
        if (rpc) {
          this.#byConnection.delete(connectionId);
          if (rpc.socket) rpc.connectionId = null;
          else this.#forget(rpc);
        }
        return;
      }
      case "recordingStatusChanged": {
        const notified = (c: Connection) => RECORDING_NOTIFIED.has(c.properties.role);
        if (e.status === "started") {
          everyone("recordingStarted", { id: e.id, name: e.name }, notified);
        } else if (e.status === "stopped") {
          everyone(
            "recordingStopped",
            { id: e.id, name: e.name, reason: e.reason ?? "" },
            notified,
          );
        }
        return;
      }
      case "signalSent": {
        // Signals from the REST API (`from` null); the RPC handler delivers browsers' own.
        if (e.from !== null) return;
        const params: Params = {
          ...(e.data !== null ? { data: e.data } : {}),
          ...(e.type !== null ? { type: e.type } : {}),
        };
        for (const id of e.to as string[]) {
          this.#notify(this.#byConnection.get(id), "sendMessage", params);
        }
        return;
      }
    }
  }
}

/** A stream as the joinRoom answer and participantPublished describe it. */
function streamJson(s: Stream) {
  return {
    id: s.streamId,
    createdAt: s.createdAt,
    hasAudio: s.media.hasAudio,
    hasVideo: s.media.hasVideo,
    audioActive: s.media.audioActive,
    videoActive: s.media.videoActive,
    typeOfVideo: s.media.typeOfVideo,
    frameRate: s.media.frameRate,
    videoDimensions: s.media.videoDimensions,
    filter: {},
  };
}
