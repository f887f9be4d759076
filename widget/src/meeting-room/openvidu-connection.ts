/**
 * RoomConnection on openvidu-browser 2.32. This module is imported only when the user joins,
 * so openvidu-browser (≈ 70 KB gzip, CommonJS, not tree-shakable) stays out of the first load.
 *
 * Traps handled here (reference/openvidu2.md §4, §6): string element ids do not work in shadow
 * DOM (we hand video elements to `addVideoElement`); `publishVideo(sameState)` never settles
 * (guarded); connection data is `client%/%server`; one stream per connection. `connect()` never
 * rejects when the server is unreachable: the SDK starts its reconnect loop and fires
 * `reconnecting`, which we turn into an immediate failure (the caller also bounds the wait).
 */
import { OpenVidu, type Publisher, type Session, type Stream, type Subscriber } from "openvidu-browser";
import { WidgetError } from "../shared/errors.js";
import {
  type ConnectOptions,
  type DisconnectReason,
  parseConnectionData,
  type PublishOptions,
  type RemoteParticipant,
  type RemoteStream,
  type RoomConnection,
  type RoomEventMap,
  RoomEvents,
} from "./room-connection.js";

const REASONS: Record<string, DisconnectReason> = {
  disconnect: "left",
  sessionClosedByServer: "ended",
  forceDisconnectByUser: "evicted",
  forceDisconnectByServer: "evicted",
  networkDisconnect: "network",
  nodeCrashed: "network",
};

export function createOpenViduConnection(): RoomConnection {
  return new OpenViduConnection();
}

class OpenViduConnection extends RoomEvents implements RoomConnection {
  readonly #ov = new OpenVidu();
  readonly #session: Session;
  readonly #participants = new Map<string, RemoteParticipant>();
  readonly #streams = new Map<string, Stream>();
  readonly #subscribers = new Map<string, Subscriber>();
  #publisher: Publisher | null = null;
  #connecting: ((error: WidgetError) => void) | null = null;
  #closed = false;

  constructor() {
    super();
    this.#ov.enableProdMode();
    this.#ov.setAdvancedConfiguration({ publisherSpeakingEventsOptions: { interval: 150, threshold: -55 } });
    this.#session = this.#ov.initSession();
    const s = this.#session;
    const own = (connectionId: string) => connectionId === s.connection?.connectionId;
    s.on("connectionCreated", (e) => {
      if (own(e.connection.connectionId)) return;
      const p = { connectionId: e.connection.connectionId, ...parseConnectionData(e.connection.data ?? "") };
      this.#participants.set(p.connectionId, p);
      this.emit("participant-joined", p);
    });
    s.on("connectionDestroyed", (e) => {
      this.#participants.delete(e.connection.connectionId);
      this.emit("participant-left", { connectionId: e.connection.connectionId });
    });
    s.on("streamCreated", (e) => {
      this.#streams.set(e.stream.streamId, e.stream);
      this.emit("stream-added", remoteStream(e.stream));
    });
    s.on("streamDestroyed", (e) => {
      this.#streams.delete(e.stream.streamId);
      this.#subscribers.delete(e.stream.streamId);
      this.emit("stream-removed", { streamId: e.stream.streamId, connectionId: e.stream.connection.connectionId });
    });
    s.on("streamPropertyChanged", (e) => {
      if (e.changedProperty !== "audioActive" && e.changedProperty !== "videoActive") return;
      this.emit("stream-changed", { streamId: e.stream.streamId, [e.changedProperty]: Boolean(e.newValue) });
    });
    s.on("publisherStartSpeaking", (e) => this.emit("speaking", { connectionId: e.connection.connectionId, speaking: true }));
    s.on("publisherStopSpeaking", (e) => this.emit("speaking", { connectionId: e.connection.connectionId, speaking: false }));
    s.on("recordingStarted", () => this.emit("recording", { active: true }));
    s.on("recordingStopped", () => this.emit("recording", { active: false }));
    s.on("reconnecting", () => {
      if (this.#connecting) {
        this.#connecting(new WidgetError("connection-failed", "Cannot reach the video server: its WebSocket connection failed"));
      } else {
        this.emit("reconnecting", {});
      }
    });
    s.on("reconnected", () => this.emit("reconnected", {}));
    s.on("sessionDisconnected", (e) => {
      if (this.#closed) return;
      this.#closed = true;
      this.emit("disconnected", { reason: REASONS[e.reason] ?? "network" });
    });
  }

  /**
   * openvidu-browser announces the people and streams already in the meeting while `connect()`
   * is still pending, before the room listens: a late listener is told about them first.
   */
  override on<K extends keyof RoomEventMap>(type: K, listener: (detail: RoomEventMap[K]) => void): () => void {
    const off = super.on(type, listener);
    const tell = listener as (detail: unknown) => void;
    if (type === "participant-joined") for (const p of this.#participants.values()) tell(p);
    if (type === "stream-added") for (const st of this.#streams.values()) tell(remoteStream(st));
    return off;
  }

  get connectionId(): string | null {
    return this.#session.connection?.connectionId ?? null;
  }

  async connect(token: string, options: ConnectOptions): Promise<void> {
    const failed = new Promise<never>((_, reject) => (this.#connecting = reject));
    try {
      await Promise.race([
        this.#session.connect(token, { displayName: options.displayName, kind: options.kind }),
        failed,
      ]);
    } catch (error) {
      throw error instanceof WidgetError
        ? error
        : new WidgetError("connection-failed", `The video server refused the connection: ${describe(error)}`, { cause: error });
    } finally {
      this.#connecting = null;
    }
  }

  async publish(o: PublishOptions): Promise<void> {
    if (!o.audio && !o.video) return;
    try {
      this.#publisher = await this.#ov.initPublisherAsync(undefined, {
        audioSource: o.audio ?? false,
        videoSource: o.video ?? false,
        publishAudio: o.audioActive,
        publishVideo: o.videoActive,
        mirror: false,
      });
      await this.#session.publish(this.#publisher);
    } catch (error) {
      throw new WidgetError("connection-failed", `Cannot publish to the meeting: ${describe(error)}`, { cause: error });
    }
  }

  setAudioActive(active: boolean): void {
    if (this.#publisher && this.#publisher.stream.audioActive !== active) this.#publisher.publishAudio(active);
  }

  async setVideoActive(active: boolean): Promise<void> {
    // publishVideo(x) when already x returns a promise that never settles.
    if (this.#publisher && this.#publisher.stream.videoActive !== active) await this.#publisher.publishVideo(active);
  }

  attach(streamId: string, video: HTMLVideoElement): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    let sub = this.#subscribers.get(streamId);
    if (!sub) {
      sub = this.#session.subscribe(stream, undefined);
      this.#subscribers.set(streamId, sub);
    }
    sub.addVideoElement(video);
  }

  disconnect(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connecting?.(new WidgetError("connection-failed", "Connection abandoned"));
    this.#session.disconnect();
    this.#publisher = null;
    this.#subscribers.clear();
    this.#streams.clear();
    this.#participants.clear();
  }
}

function remoteStream(st: Stream): RemoteStream {
  return {
    streamId: st.streamId,
    connectionId: st.connection.connectionId,
    hasAudio: st.hasAudio,
    hasVideo: st.hasVideo,
    audioActive: st.audioActive,
    videoActive: st.videoActive,
  };
}

function describe(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { name?: unknown; message?: unknown };
    return [e.name, e.message].filter((x) => typeof x === "string" && x).join(": ") || String(error);
  }
  return String(error);
}
