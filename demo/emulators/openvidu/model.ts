// The emulated OpenVidu 2.32 server: sessions, connections and their single-use tokens,
// participants and their streams, recordings, and the CDR events the server turns into
// webhooks. No HTTP here: rest.ts speaks the REST API on top of this model, and the control
// API (and later the browser signalling) drives the same participants.
//
// Behaviour follows ../../../../shared/reference/openvidu2.md (cited below as §N): sessions
// close when the last participant leaves unless a recording keeps them open (§1.5), ALWAYS
// recording starts at the first publish (§2), recording ids `<session>`, `<session>~1`… are
// reused across session instances (§1.2), stop is synchronous and answers `ready` (§1.9).
import { double } from "./java_json.ts";
import type { MediaInfo } from "./media_file.ts";

/**
 * An answer OpenVidu gives as an HTTP error. `body` says how the real server writes it:
 * nothing (most 404/406/409/501), its error JSON (400/422), or plain text (500).
 */
export class OpenViduError extends Error {
  constructor(
    readonly status: number,
    message = "",
    readonly body: "empty" | "json" | "text" = message ? "json" : "empty",
    /** The `path` the error JSON reports, when the server reports another than the request's. */
    readonly path?: string,
  ) {
    super(message || `HTTP ${status}`);
    this.name = "OpenViduError";
  }
}

export type MediaMode = "ROUTED" | "RELAYED";
export type RecordingMode = "ALWAYS" | "MANUAL";
export type OutputMode = "COMPOSED" | "COMPOSED_QUICK_START" | "INDIVIDUAL";
export type VideoCodec = "MEDIA_SERVER_PREFERRED" | "NONE" | "VP8" | "VP9" | "H264";
export type Role = "SUBSCRIBER" | "PUBLISHER" | "MODERATOR";
export type RecordingStatus = "starting" | "started" | "stopped" | "ready" | "failed";

export interface RecordingProperties {
  name: string;
  hasAudio: boolean;
  hasVideo: boolean;
  outputMode: OutputMode;
  recordingLayout: string;
  customLayout: string;
  resolution: string;
  frameRate: number;
  shmSize: number;
  ignoreFailedStreams: boolean;
}

export const DEFAULT_RECORDING_PROPERTIES: Readonly<RecordingProperties> = {
  name: "",
  hasAudio: true,
  hasVideo: true,
  outputMode: "COMPOSED",
  recordingLayout: "BEST_FIT",
  customLayout: "",
  resolution: "1280x720",
  frameRate: 25,
  shmSize: 536_870_912,
  ignoreFailedStreams: false,
};

export interface SessionProperties {
  /** "" means: generate a `ses_…` id. */
  customSessionId: string;
  mediaMode: MediaMode;
  recordingMode: RecordingMode;
  defaultRecordingProperties: RecordingProperties;
  forcedVideoCodec: VideoCodec;
  allowTranscoding: boolean;
}

export const DEFAULT_SESSION_PROPERTIES: Readonly<SessionProperties> = {
  customSessionId: "",
  mediaMode: "ROUTED",
  recordingMode: "MANUAL",
  defaultRecordingProperties: DEFAULT_RECORDING_PROPERTIES,
  forcedVideoCodec: "MEDIA_SERVER_PREFERRED",
  allowTranscoding: false,
};

export interface ConnectionProperties {
  data: string;
  role: Role;
  record: boolean;
  kurentoOptions: Record<string, unknown> | null;
  customIceServers: Record<string, unknown>[];
}

export interface MediaOptions {
  hasAudio: boolean;
  audioActive: boolean;
  hasVideo: boolean;
  videoActive: boolean;
  typeOfVideo: "CAMERA" | "SCREEN" | "CUSTOM";
  /** -1 when the publisher set none. */
  frameRate: number;
  /** A JSON string, as the browser sends it: `{"width":640,"height":480}`. */
  videoDimensions: string;
}

export interface Stream {
  streamId: string;
  connectionId: string;
  createdAt: number;
  media: MediaOptions;
}

export interface Subscription {
  streamId: string;
  publisherConnectionId: string;
  createdAt: number;
}

export interface Connection {
  connectionId: string;
  sessionId: string;
  createdAt: number;
  properties: ConnectionProperties;
  token: string;
  status: "pending" | "active";
  activeAt: number | null;
  ip: string | null;
  platform: string | null;
  clientData: string | null;
  publisher: Stream | null;
  subscriptions: Map<string, Subscription>;
}

export interface Session {
  sessionId: string;
  createdAt: number;
  uniqueSessionId: string;
  properties: SessionProperties;
  connections: Map<string, Connection>;
  /** The recording in progress, if any. */
  recordingId: string | null;
  /** A REST stop disables ALWAYS auto-restart for this session instance (§2). */
  recordingManuallyStopped: boolean;
  autostopTimer: ReturnType<typeof setTimeout> | null;
  closing: boolean;
}

export interface Recording {
  id: string;
  name: string;
  sessionId: string;
  uniqueSessionId: string;
  createdAt: number;
  outputMode: OutputMode;
  hasAudio: boolean;
  hasVideo: boolean;
  resolution: string;
  frameRate: number;
  recordingLayout: string;
  customLayout: string;
  status: RecordingStatus;
  size: number;
  duration: number;
  reason: string | null;
}

/** A CDR event as the webhook sends it: keys in the server's order, `event` last. */
export type CdrEvent = Record<string, unknown> & { event: string };

export interface ModelOptions {
  /** The server's public URL (`http://127.0.0.1:4443`); tokens and recording URLs use it. */
  publicUrl(): string;
  /** The file served as every recording, already probed. */
  media: MediaInfo;
  /** OPENVIDU_RECORDING. */
  recordingEnabled: boolean;
  /** OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT, in milliseconds (the server takes seconds). */
  autostopTimeoutMs: number;
  log(line: string): void;
}

type Listener = (event: CdrEvent) => void;

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomChars(alphabet: string, n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** `<prefix>` + one upper-case letter + `n` alphanumerics, like OpenVidu's identifiers. */
const identifier = (prefix: string, n: number) =>
  prefix + randomChars(UPPER, 1) + randomChars(ALNUM, n);

/**
 * `str_` + the first three letters of the type of video (`MIC` without video) + 4 random
 * characters + the connection id, like `KurentoParticipant.generateStreamId` (§1.2).
 */
export function newStreamId(
  connectionId: string,
  media: Pick<MediaOptions, "hasVideo" | "typeOfVideo">,
): string {
  const kind = media.hasVideo ? media.typeOfVideo.slice(0, 3) : "MIC";
  return `str_${kind}_${randomChars(ALNUM, 4)}_${connectionId}`;
}

/**
 * The connection data every other participant sees: `clientData%/%serverData` when both are
 * set, else whichever is (`Participant.getFullMetadata`, §4.2 trap).
 */
export function fullMetadata(c: Pick<Connection, "clientData" | "properties">): string {
  const client = c.clientData ?? "";
  const server = c.properties.data;
  return client && server ? `${client}%/%${server}` : client || server;
}

/** The reasons §3.3 folds into `lastParticipantLeft` for sessionDestroyed. */
const finalReason = (reason: string) =>
  ["disconnect", "forceDisconnectByUser", "forceDisconnectByServer", "networkDisconnect"]
      .includes(reason)
    ? "lastParticipantLeft"
    : reason;

export class OpenViduModel {
  readonly #sessions = new Map<string, Session>();
  /** Every recording folder "on disk", across session instances, until deleted. */
  readonly #recordings = new Map<string, Recording>();
  readonly #listeners = new Set<Listener>();
  readonly #options: ModelOptions;
  #disposed = false;

  constructor(options: ModelOptions) {
    this.#options = options;
  }

  get recordingEnabled(): boolean {
    return this.#options.recordingEnabled;
  }

  get media(): MediaInfo {
    return this.#options.media;
  }

  /** Listen to every CDR event (webhooks, tests, later the signalling). */
  onEvent(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stop every timer (autostop countdowns); the model is unusable afterwards. */
  dispose(): void {
    this.#disposed = true;
    for (const s of this.#sessions.values()) this.#clearAutostop(s);
  }

  // -------------------------------------------------------------------------
  // Sessions
  // -------------------------------------------------------------------------

  sessions(): Session[] {
    return [...this.#sessions.values()];
  }

  session(sessionId: string): Session | undefined {
    return this.#sessions.get(sessionId);
  }

  createSession(properties: SessionProperties): Session {
    const sessionId = properties.customSessionId || identifier("ses_", 9);
    if (this.#sessions.has(sessionId)) throw new OpenViduError(409);
    const createdAt = Date.now();
    const session: Session = {
      sessionId,
      createdAt,
      uniqueSessionId: `${sessionId}_${createdAt}`,
      properties: { ...properties },
      connections: new Map(),
      recordingId: null,
      recordingManuallyStopped: false,
      autostopTimer: null,
      closing: false,
    };
    this.#sessions.set(sessionId, session);
    this.#log(`session ${sessionId} created (recordingMode ${properties.recordingMode})`);
    this.#emit(session, createdAt, { event: "sessionCreated" });
    return session;
  }

  /** DELETE /sessions/{id}: evict everyone, stop the recording, close (§1.5). */
  closeSession(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new OpenViduError(404);
    this.#close(session, "sessionClosedByServer");
  }

  activeConnections(session: Session): Connection[] {
    return [...session.connections.values()].filter((c) => c.status === "active");
  }

  // -------------------------------------------------------------------------
  // Connections and participants
  // -------------------------------------------------------------------------

  createConnection(sessionId: string, properties: ConnectionProperties): Connection {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new OpenViduError(404);
    if (session.closing) throw new OpenViduError(404, `Session ${sessionId} not found`);
    const connectionId = identifier("con_", 9);
    const connection: Connection = {
      connectionId,
      sessionId,
      createdAt: Date.now(),
      properties,
      token: `${this.wsUrl()}?sessionId=${sessionId}&token=${identifier("tok_", 15)}`,
      status: "pending",
      activeAt: null,
      ip: null,
      platform: null,
      clientData: null,
      publisher: null,
      subscriptions: new Map(),
    };
    session.connections.set(connectionId, connection);
    return connection;
  }

  /** The WebSocket URL tokens carry: the public URL with ws(s), no trailing slash (§1.2). */
  wsUrl(): string {
    return this.#options.publicUrl().replace(/^http/, "ws").replace(/\/+$/, "");
  }

  connection(sessionId: string, connectionId: string): Connection {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new OpenViduError(400, `Session ${sessionId} not found`);
    const connection = session.connections.get(connectionId);
    if (!connection) throw new OpenViduError(404);
    return connection;
  }

  /** DELETE /sessions/{id}/connection/{cid}: evict an active one, invalidate a pending one. */
  deleteConnection(sessionId: string, connectionId: string): void {
    const connection = this.connection(sessionId, connectionId);
    if (connection.status === "pending") {
      this.#sessions.get(sessionId)!.connections.delete(connectionId);
    } else {
      this.leave(connectionId, "forceDisconnectByServer");
    }
  }

  /**
   * A client joins with a token (the server's `joinRoom`). Tokens are single-use: the pending
   * connection it names becomes active and the token cannot be used again (§1.6).
   */
  join(
    token: string,
    client: { ip?: string; platform?: string; clientData?: string } = {},
  ): Connection {
    let url: URL;
    try {
      url = new URL(token);
    } catch {
      throw new OpenViduError(401, `Token ${token} is not valid`);
    }
    const sessionId = url.searchParams.get("sessionId") ?? "";
    const session = this.#sessions.get(sessionId);
    if (!session || session.closing) {
      throw new OpenViduError(404, `Session ${sessionId} not found`);
    }
    const connection = [...session.connections.values()].find((c) =>
      c.status === "pending" && c.token === token
    );
    if (!connection) throw new OpenViduError(401, `Token ${token} is not valid`);
    connection.status = "active";
    connection.activeAt = Date.now();
    connection.ip = client.ip ?? "127.0.0.1";
    connection.platform = client.platform ?? "OpenVidu emulator participant";
    connection.clientData = client.clientData ?? "";
    this.#log(`${connection.connectionId} joined ${sessionId}`);
    this.#emit(session, connection.activeAt, {
      ...this.#participantFields(connection),
      event: "participantJoined",
    });
    return connection;
  }

  /**
   * A participant publishes its one stream; in ALWAYS mode the first publish records (§2).
   * `streamId` is the id the media relay already negotiated under (see {@link newStreamId}).
   */
  publish(connectionId: string, media: Partial<MediaOptions> = {}, streamId?: string): Stream {
    const { session, connection } = this.#active(connectionId);
    if (connection.properties.role === "SUBSCRIBER") {
      throw new OpenViduError(401, `${connectionId} is a SUBSCRIBER and cannot publish`);
    }
    if (connection.publisher) {
      throw new OpenViduError(409, `${connectionId} is already publishing`);
    }
    const options: MediaOptions = {
      hasAudio: true,
      audioActive: true,
      hasVideo: true,
      videoActive: true,
      typeOfVideo: "CAMERA",
      frameRate: 30,
      videoDimensions: JSON.stringify({ width: 640, height: 480 }),
      ...media,
    };
    const publishersBefore = this.#publisherCount(session);
    const stream: Stream = {
      streamId: streamId ?? newStreamId(connectionId, options),
      connectionId,
      createdAt: Date.now(),
      media: options,
    };
    connection.publisher = stream;
    this.#emit(session, stream.createdAt, {
      streamId: stream.streamId,
      participantId: connectionId,
      connectionId,
      connection: "OUTBOUND",
      ...this.#mediaFields(stream),
      event: "webrtcConnectionCreated",
    });
    // Someone publishing cancels an automatic-stop countdown (§2).
    this.#clearAutostop(session);
    if (
      session.properties.recordingMode === "ALWAYS" && this.recordingEnabled &&
      session.properties.mediaMode === "ROUTED" && publishersBefore === 0 &&
      session.recordingId === null && !session.recordingManuallyStopped
    ) {
      this.#startRecording(session, session.properties.defaultRecordingProperties);
    }
    return stream;
  }

  /**
   * What a publisher says changed (`streamPropertyChanged`): the stream's media options as
   * REST and later joiners see them.
   */
  updateMedia(
    connectionId: string,
    changes: Partial<Pick<MediaOptions, "audioActive" | "videoActive" | "videoDimensions">>,
  ): Stream {
    const { connection } = this.#active(connectionId);
    if (!connection.publisher) throw new OpenViduError(404, `${connectionId} is not publishing`);
    connection.publisher.media = { ...connection.publisher.media, ...changes };
    return connection.publisher;
  }

  unpublish(connectionId: string, reason = "unpublish"): void {
    const { session, connection } = this.#active(connectionId);
    if (!connection.publisher) throw new OpenViduError(404, `${connectionId} is not publishing`);
    this.#destroyStream(session, connection, reason);
  }

  subscribe(connectionId: string, streamId: string): Subscription {
    const { session, connection } = this.#active(connectionId);
    const publisher = this.activeConnections(session).find((c) =>
      c.publisher?.streamId === streamId
    );
    if (!publisher) throw new OpenViduError(404, `Stream ${streamId} not found`);
    const sub: Subscription = {
      streamId,
      publisherConnectionId: publisher.connectionId,
      createdAt: Date.now(),
    };
    connection.subscriptions.set(streamId, sub);
    this.#emit(session, sub.createdAt, {
      streamId,
      participantId: connectionId,
      connectionId,
      connection: "INBOUND",
      receivingFrom: publisher.connectionId,
      ...this.#mediaFields(publisher.publisher!),
      event: "webrtcConnectionCreated",
    });
    return sub;
  }

  unsubscribe(connectionId: string, streamId: string, reason = "unsubscribe"): void {
    const { session, connection } = this.#active(connectionId);
    const sub = connection.subscriptions.get(streamId);
    if (!sub) throw new OpenViduError(404, `${connectionId} is not subscribed to ${streamId}`);
    this.#destroySubscription(session, connection, sub, reason);
  }

  /**
   * A participant leaves (`disconnect`), is evicted or drops. When the last one leaves, the
   * session closes, unless it is recording: then the automatic-stop countdown runs (§1.5).
   */
  leave(connectionId: string, reason = "disconnect"): void {
    const { session, connection } = this.#active(connectionId);
    this.#removeParticipant(session, connection, reason);
    if (this.activeConnections(session).length > 0 || session.closing) return;
    if (session.recordingId !== null) {
      if (this.#options.autostopTimeoutMs <= 0) {
        this.#stopRecording(session.recordingId, "lastParticipantLeft");
        this.#close(session, "lastParticipantLeft");
      } else {
        this.#startAutostop(session);
      }
    } else {
      this.#close(session, finalReason(reason));
    }
  }

  /**
   * POST /openvidu/api/signal (from the server: `from` null) or a participant's signal. `to`
   * empty means everyone (§3.3 signalSent).
   */
  signal(
    sessionId: string,
    message: { from?: string | null; to?: string[]; type?: string | null; data?: string | null },
  ): string[] {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new OpenViduError(404);
    const active = this.activeConnections(session).map((c) => c.connectionId);
    if (active.length === 0) throw new OpenViduError(406);
    const to = message.to?.length ? message.to : active;
    if (to.some((id) => !active.includes(id))) throw new OpenViduError(406);
    this.#emit(session, Date.now(), {
      from: message.from ?? null,
      to,
      type: message.type ?? null,
      data: message.data ?? null,
      event: "signalSent",
    });
    return to;
  }

  // -------------------------------------------------------------------------
  // Recordings
  // -------------------------------------------------------------------------

  recordings(): Recording[] {
    return [...this.#recordings.values()];
  }

  recording(recordingId: string): Recording {
    const r = this.#recordings.get(recordingId);
    if (!r) throw new OpenViduError(404);
    return r;
  }

  /**
   * The session checks of POST /recordings/start, in the server's order (§1.8): 409 for a
   * not-yet-active session that cannot record, 406 when nobody is connected, 404 when it does
   * not exist, 409 when it is relayed or already recording.
   */
  assertRecordable(sessionId: string): Session {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new OpenViduError(404);
    const active = this.activeConnections(session).length > 0;
    const cannot = session.properties.mediaMode !== "ROUTED" || session.recordingId !== null;
    if (!active && cannot) throw new OpenViduError(409);
    if (!active) throw new OpenViduError(406);
    if (cannot) throw new OpenViduError(409);
    return session;
  }

  /** POST /recordings/start, after assertRecordable and property validation. */
  startRecording(sessionId: string, properties: RecordingProperties): Recording {
    const session = this.assertRecordable(sessionId);
    return this.#startRecording(session, properties);
  }

  /** POST /recordings/stop/{id}: synchronous, answers `ready` like CE (§1.9). */
  stopRecording(recordingId: string): Recording {
    const r = this.#recordings.get(recordingId);
    if (!r || (r.status !== "started" && r.status !== "starting")) throw new OpenViduError(404);
    if (r.status === "starting") throw new OpenViduError(406);
    const session = this.#sessions.get(r.sessionId);
    if (session) session.recordingManuallyStopped = true;
    const stopped = this.#stopRecording(recordingId, "recordingStoppedByServer");
    // An emptied session that only the recording kept open closes now.
    if (session && !session.closing && this.activeConnections(session).length === 0) {
      this.#close(session, "lastParticipantLeft");
    }
    return stopped;
  }

  deleteRecording(recordingId: string): void {
    const r = this.recording(recordingId);
    if (r.status === "started" || r.status === "starting") throw new OpenViduError(409);
    this.#recordings.delete(recordingId);
  }

  /** The file name at `/openvidu/recordings/<id>/<file>` (§1.10). */
  recordingFileName(r: Recording): string {
    if (r.outputMode === "INDIVIDUAL") return `${r.name}.zip`;
    return r.hasVideo ? `${r.name}.mp4` : `${r.name}.webm`;
  }

  recordingUrl(r: Recording): string | null {
    if (r.status !== "ready" && r.status !== "failed") return null;
    const base = this.#options.publicUrl().replace(/\/+$/, "");
    return `${base}/openvidu/recordings/${r.id}/${this.recordingFileName(r)}`;
  }

  // -------------------------------------------------------------------------
  // JSON as the REST API writes it (key order included)
  // -------------------------------------------------------------------------

  sessionJson(session: Session, options: { pendingConnections?: boolean } = {}) {
    const content = [...session.connections.values()]
      .filter((c) => options.pendingConnections || c.status === "active")
      .map((c) => this.connectionJson(c));
    return {
      id: session.sessionId,
      object: "session",
      sessionId: session.sessionId,
      createdAt: session.createdAt,
      recording: session.recordingId !== null,
      broadcasting: false,
      mediaMode: session.properties.mediaMode,
      recordingMode: session.properties.recordingMode,
      defaultRecordingProperties: recordingPropertiesJson(
        session.properties.defaultRecordingProperties,
      ),
      customSessionId: session.properties.customSessionId,
      forcedVideoCodec: session.properties.forcedVideoCodec,
      allowTranscoding: session.properties.allowTranscoding,
      connections: { numberOfElements: content.length, content },
    };
  }

  connectionJson(c: Connection) {
    const active = c.status === "active";
    return {
      id: c.connectionId,
      object: "connection",
      status: c.status,
      connectionId: c.connectionId,
      sessionId: c.sessionId,
      createdAt: c.createdAt,
      type: "WEBRTC",
      record: c.properties.record,
      role: c.properties.role,
      kurentoOptions: c.properties.kurentoOptions,
      customIceServers: c.properties.customIceServers,
      rtspUri: null,
      adaptativeBitrate: null,
      onlyPlayWithSubscribers: null,
      networkCache: null,
      serverData: c.properties.data,
      token: c.token,
      activeAt: c.activeAt,
      location: active ? "unknown" : null,
      ip: c.ip,
      platform: c.platform,
      clientData: c.clientData,
      publishers: active
        ? (c.publisher
          ? [{
            createdAt: c.publisher.createdAt,
            streamId: c.publisher.streamId,
            mediaOptions: { ...c.publisher.media, filter: {} },
          }]
          : [])
        : null,
      subscribers: active
        ? [...c.subscriptions.values()].map((s) => ({
          createdAt: s.createdAt,
          streamId: s.streamId,
        }))
        : null,
    };
  }

  recordingJson(r: Recording) {
    return {
      id: r.id,
      object: "recording",
      name: r.name,
      outputMode: r.outputMode,
      ...composedFields(r, { keepEmptyCustomLayout: true }),
      sessionId: r.sessionId,
      createdAt: r.createdAt,
      size: r.size,
      duration: double(r.duration),
      url: this.recordingUrl(r),
      hasAudio: r.hasAudio,
      hasVideo: r.hasVideo,
      status: r.status,
    };
  }

  // -------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------

  #active(connectionId: string): { session: Session; connection: Connection } {
    for (const session of this.#sessions.values()) {
      const connection = session.connections.get(connectionId);
      if (connection?.status === "active") return { session, connection };
    }
    throw new OpenViduError(404, `No participant ${connectionId}`);
  }

  #publisherCount(session: Session): number {
    return this.activeConnections(session).filter((c) => c.publisher).length;
  }

  /** The participant fields of participantJoined/participantLeft (§3.3). */
  #participantFields(connection: Connection) {
    return {
      participantId: connection.connectionId,
      connectionId: connection.connectionId,
      location: "unknown",
      ip: connection.ip,
      platform: connection.platform,
      clientData: connection.clientData,
      serverData: connection.properties.data,
    };
  }

  #mediaFields(stream: Stream) {
    const m = stream.media;
    return {
      ...(m.hasVideo
        ? {
          videoSource: m.typeOfVideo,
          videoFramerate: m.frameRate,
          videoDimensions: m.videoDimensions,
        }
        : {}),
      audioEnabled: m.hasAudio,
      videoEnabled: m.hasVideo,
    };
  }

  #destroySubscription(
    session: Session,
    subscriber: Connection,
    sub: Subscription,
    reason: string,
  ) {
    subscriber.subscriptions.delete(sub.streamId);
    const publisher = session.connections.get(sub.publisherConnectionId)?.publisher;
    const now = Date.now();
    this.#emit(session, now, {
      ...this.#ended(sub.createdAt, now, reason),
      streamId: sub.streamId,
      participantId: subscriber.connectionId,
      connectionId: subscriber.connectionId,
      connection: "INBOUND",
      receivingFrom: sub.publisherConnectionId,
      ...(publisher ? this.#mediaFields(publisher) : {}),
      event: "webrtcConnectionDestroyed",
    });
  }

  #destroyStream(session: Session, connection: Connection, reason: string) {
    const stream = connection.publisher!;
    for (const other of this.activeConnections(session)) {
      const sub = other.subscriptions.get(stream.streamId);
      if (sub) this.#destroySubscription(session, other, sub, reason);
    }
    connection.publisher = null;
    const now = Date.now();
    this.#emit(session, now, {
      ...this.#ended(stream.createdAt, now, reason),
      streamId: stream.streamId,
      participantId: connection.connectionId,
      connectionId: connection.connectionId,
      connection: "OUTBOUND",
      ...this.#mediaFields(stream),
      event: "webrtcConnectionDestroyed",
    });
  }

  #removeParticipant(session: Session, connection: Connection, reason: string) {
    for (const sub of [...connection.subscriptions.values()]) {
      this.#destroySubscription(session, connection, sub, reason);
    }
    if (connection.publisher) this.#destroyStream(session, connection, reason);
    session.connections.delete(connection.connectionId);
    const now = Date.now();
    this.#log(`${connection.connectionId} left ${session.sessionId} (${reason})`);
    this.#emit(session, now, {
      ...this.#ended(connection.activeAt ?? now, now, reason),
      ...this.#participantFields(connection),
      event: "participantLeft",
    });
  }

  #close(session: Session, reason: string) {
    if (session.closing) return;
    session.closing = true;
    this.#clearAutostop(session);
    for (const c of this.activeConnections(session)) {
      this.#removeParticipant(session, c, reason);
    }
    session.connections.clear();
    if (session.recordingId !== null) this.#stopRecording(session.recordingId, reason);
    this.#sessions.delete(session.sessionId);
    const now = Date.now();
    this.#log(`session ${session.sessionId} closed (${reason})`);
    this.#emit(session, now, {
      ...this.#ended(session.createdAt, now, reason),
      event: "sessionDestroyed",
    });
  }

  #startAutostop(session: Session) {
    this.#clearAutostop(session);
    if (this.#disposed) return;
    this.#log(
      `${session.sessionId}: automatic stop of its recording in ${this.#options.autostopTimeoutMs} ms`,
    );
    session.autostopTimer = setTimeout(() => {
      session.autostopTimer = null;
      if (this.#disposed || this.#sessions.get(session.sessionId) !== session) return;
      if (session.recordingId !== null) this.#stopRecording(session.recordingId, "automaticStop");
      if (this.activeConnections(session).length === 0) this.#close(session, "automaticStop");
    }, this.#options.autostopTimeoutMs);
  }

  #clearAutostop(session: Session) {
    if (session.autostopTimer !== null) clearTimeout(session.autostopTimer);
    session.autostopTimer = null;
  }

  /** The first id not present "on disk": `<session>`, then `<session>~1`, `~2`… (§1.2). */
  #nextRecordingId(sessionId: string): string {
    if (!this.#recordings.has(sessionId)) return sessionId;
    for (let i = 1;; i++) {
      const id = `${sessionId}~${i}`;
      if (!this.#recordings.has(id)) return id;
    }
  }

  #startRecording(session: Session, properties: RecordingProperties): Recording {
    const id = this.#nextRecordingId(session.sessionId);
    const createdAt = Date.now();
    const r: Recording = {
      id,
      name: properties.name || id,
      sessionId: session.sessionId,
      uniqueSessionId: session.uniqueSessionId,
      createdAt,
      outputMode: properties.outputMode,
      hasAudio: properties.hasAudio,
      hasVideo: properties.hasVideo,
      resolution: properties.resolution,
      frameRate: properties.frameRate,
      recordingLayout: properties.recordingLayout,
      customLayout: properties.customLayout,
      status: "started",
      size: 0,
      duration: 0,
      reason: null,
    };
    this.#recordings.set(id, r);
    session.recordingId = id;
    this.#log(`recording ${id} started`);
    this.#emitRecording(r, createdAt);
    // Recording with nobody publishing: the automatic-stop countdown starts at once (§1.8).
    if (this.#publisherCount(session) === 0) this.#startAutostop(session);
    return r;
  }

  #stopRecording(recordingId: string, reason: string): Recording {
    const r = this.#recordings.get(recordingId)!;
    const session = this.#sessions.get(r.sessionId);
    if (session?.recordingId === recordingId) {
      session.recordingId = null;
      // The countdown was for this recording; the session's own emptiness is handled by
      // the caller.
      this.#clearAutostop(session);
    }
    r.status = "stopped";
    r.reason = reason;
    this.#emitRecording(r, Date.now());
    // CE: the file is final within the stop call, measured by ffprobe (§1.9).
    const media = this.#options.media;
    r.size = media.size;
    r.duration = media.duration;
    if (composedVideo(r)) {
      if (media.resolution) r.resolution = media.resolution;
      if (media.frameRate) r.frameRate = media.frameRate;
      r.hasAudio = media.hasAudio;
    }
    r.status = "ready";
    this.#log(`recording ${recordingId} ready (${reason}, ${r.size} bytes, ${r.duration} s)`);
    this.#emitRecording(r, Date.now());
    return r;
  }

  #emitRecording(r: Recording, timestamp: number) {
    this.#emitRaw({
      sessionId: r.sessionId,
      uniqueSessionId: r.uniqueSessionId,
      timestamp,
      startTime: r.createdAt,
      duration: double(r.duration),
      ...(r.reason !== null ? { reason: r.reason } : {}),
      id: r.id,
      name: r.name,
      outputMode: r.outputMode,
      ...composedFields(r, { keepEmptyCustomLayout: false }),
      hasAudio: r.hasAudio,
      hasVideo: r.hasVideo,
      size: r.size,
      status: r.status,
      event: "recordingStatusChanged",
    });
  }

  /** startTime, duration (integer seconds) and reason of an "end" event (§3.3). */
  #ended(startTime: number, timestamp: number, reason: string) {
    return { startTime, duration: Math.floor((timestamp - startTime) / 1000), reason };
  }

  #emit(session: Session, timestamp: number, fields: CdrEvent) {
    // The common fields first, then the event's own, `event` last (§3.2, §3.3). `startTime`,
    // `duration` and `reason` of end events come right after `timestamp`.
    this.#emitRaw({
      sessionId: session.sessionId,
      uniqueSessionId: session.uniqueSessionId,
      timestamp,
      ...fields,
    });
  }

  #emitRaw(event: CdrEvent) {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#log(`event listener failed: ${(err as Error).message}`);
      }
    }
  }

  #log(line: string) {
    this.#options.log(line);
  }
}

const composedVideo = (r: { outputMode: OutputMode; hasVideo: boolean }) =>
  r.outputMode !== "INDIVIDUAL" && r.hasVideo;

/**
 * A recording's COMPOSED video fields (none for INDIVIDUAL or audio-only). The REST answer
 * carries `customLayout` with every CUSTOM layout; the webhook event only when it is set.
 */
function composedFields(
  r: Recording,
  { keepEmptyCustomLayout }: { keepEmptyCustomLayout: boolean },
) {
  if (!composedVideo(r)) return {};
  const custom = r.recordingLayout === "CUSTOM" && (keepEmptyCustomLayout || r.customLayout);
  return {
    resolution: r.resolution,
    frameRate: r.frameRate,
    recordingLayout: r.recordingLayout,
    ...(custom ? { customLayout: r.customLayout } : {}),
  };
}

/** defaultRecordingProperties as the session JSON holds them (§1.3: only applicable fields). */
export function recordingPropertiesJson(p: RecordingProperties) {
  return {
    name: p.name,
    hasAudio: p.hasAudio,
    hasVideo: p.hasVideo,
    outputMode: p.outputMode,
    ...(composedVideo(p)
      ? {
        recordingLayout: p.recordingLayout,
        ...(p.recordingLayout === "CUSTOM" ? { customLayout: p.customLayout } : {}),
        resolution: p.resolution,
        frameRate: p.frameRate,
        shmSize: p.shmSize,
      }
      : {}),
    ...(p.outputMode === "INDIVIDUAL" ? { ignoreFailedStreams: p.ignoreFailedStreams } : {}),
  };
}
