/**
 * The live part of <foxeo-meeting-room>: the main connection and, while sharing, the screen
 * connection; who is there, their streams, who speaks, recording and reconnection state. A
 * reactive controller: removing the element disconnects everything and drops every listener.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { toWidgetError, WidgetError } from "../shared/errors.js";
import type {
  DisconnectReason,
  PublishOptions,
  RemoteParticipant,
  RemoteStream,
  RoomConnection,
  RoomConnectionFactory,
  StreamKind,
} from "./room-connection.js";

export interface JoinOptions {
  factory: RoomConnectionFactory;
  token: string;
  displayName: string;
  kind: StreamKind;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Connects with a deadline: `connect()` may hang forever, so on timeout we give up and disconnect. */
export async function connectBounded(o: JoinOptions): Promise<RoomConnection> {
  const conn = await o.factory();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  try {
    await Promise.race([
      conn.connect(o.token, { displayName: o.displayName, kind: o.kind }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new WidgetError("timeout", `The video server did not answer within ${o.timeoutMs / 1000} s`)),
          o.timeoutMs,
        );
        onAbort = () => reject(o.signal?.reason ?? new DOMException("Aborted", "AbortError"));
        o.signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    return conn;
  } catch (error) {
    conn.disconnect();
    throw error instanceof DOMException ? error : toWidgetError(error, "connection-failed");
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
  }
}

export interface RoomSessionEvents {
  /** The main connection ended without us leaving (meeting ended, eviction, network). */
  onClosed(reason: Exclude<DisconnectReason, "left">): void;
  /** The screen share ended without us stopping it. */
  onScreenClosed(): void;
}

export class RoomSession implements ReactiveController {
  main: RoomConnection | null = null;
  screen: { conn: RoomConnection | null; stream: MediaStream } | null = null;
  readonly participants = new Map<string, RemoteParticipant>();
  readonly streams = new Map<string, RemoteStream>();
  readonly speaking = new Set<string>();
  activeSpeaker: string | null = null;
  recording = false;
  reconnecting = false;
  /** Our own user id, so our own screen-share connection is not shown twice. */
  selfUserId: string | null = null;

  #off: (() => void)[] = [];
  #screenOff: (() => void)[] = [];
  readonly #attached = new Map<string, HTMLVideoElement>();

  constructor(private readonly host: ReactiveControllerHost, private readonly events: RoomSessionEvents) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.leave();
  }

  /** Adopt a connected main connection and publish our media on it. */
  async enter(conn: RoomConnection, media: PublishOptions): Promise<void> {
    this.main = conn;
    const update = () => this.host.requestUpdate();
    this.#off.push(
      conn.on("participant-joined", (p) => {
        this.participants.set(p.connectionId, p);
        update();
      }),
      conn.on("participant-left", ({ connectionId }) => {
        this.participants.delete(connectionId);
        this.speaking.delete(connectionId);
        if (this.activeSpeaker === connectionId) this.activeSpeaker = null;
        update();
      }),
      conn.on("stream-added", (s) => {
        this.streams.set(s.streamId, s);
        update();
      }),
      conn.on("stream-removed", ({ streamId }) => {
        this.streams.delete(streamId);
        this.#attached.delete(streamId);
        update();
      }),
      conn.on("stream-changed", (c) => {
        const s = this.streams.get(c.streamId);
        if (!s) return;
        this.streams.set(c.streamId, { ...s, ...("audioActive" in c ? { audioActive: !!c.audioActive } : {}), ...("videoActive" in c ? { videoActive: !!c.videoActive } : {}) });
        update();
      }),
      conn.on("speaking", ({ connectionId, speaking }) => this.setSpeaking(connectionId, speaking)),
      conn.on("recording", ({ active }) => {
        this.recording = active;
        update();
      }),
      conn.on("reconnecting", () => {
        this.reconnecting = true;
        update();
      }),
      conn.on("reconnected", () => {
        this.reconnecting = false;
        update();
      }),
      conn.on("disconnected", ({ reason }) => {
        if (reason === "left") return;
        this.leave();
        this.events.onClosed(reason);
      }),
    );
    await conn.publish(media);
  }

  setSpeaking(connectionId: string, speaking: boolean): void {
    if (speaking === this.speaking.has(connectionId)) return;
    if (speaking) {
      this.speaking.add(connectionId);
      this.activeSpeaker = connectionId;
    } else {
      this.speaking.delete(connectionId);
      // The floor goes back to whoever is still talking, the latest first.
      if (this.activeSpeaker === connectionId) this.activeSpeaker = [...this.speaking].at(-1) ?? null;
    }
    this.host.requestUpdate();
  }

  /** Whether a remote connection is our own screen share (shown locally instead). */
  isOwnScreen(p: RemoteParticipant | undefined): boolean {
    if (!p) return false;
    if (this.screen?.conn?.connectionId === p.connectionId) return true;
    return p.kind === "screen" && !!this.screen && !!this.selfUserId && p.userId === this.selfUserId;
  }

  /** Hands a rendered video element to the connection, once per stream and element. */
  attach(streamId: string, video: HTMLVideoElement): void {
    if (!this.main || this.#attached.get(streamId) === video) return;
    this.#attached.set(streamId, video);
    this.main.attach(streamId, video);
  }

  /** Starts sharing `stream` (already captured inside the click) on a second connection. */
  async shareScreen(stream: MediaStream, join: Omit<JoinOptions, "kind">): Promise<void> {
    const track = stream.getVideoTracks()[0];
    this.screen = { conn: null, stream };
    // The browser's own "Stop sharing" button ends the track.
    const ended = () => {
      if (this.screen?.stream !== stream) return;
      this.stopScreen();
      this.events.onScreenClosed();
    };
    track?.addEventListener("ended", ended);
    this.#screenOff.push(() => track?.removeEventListener("ended", ended));
    this.host.requestUpdate();
    try {
      const conn = await connectBounded({ ...join, kind: "screen" });
      if (this.screen?.stream !== stream) {
        conn.disconnect();
        return;
      }
      this.screen.conn = conn;
      this.#screenOff.push(conn.on("disconnected", ({ reason }) => reason !== "left" && ended()));
      await conn.publish({ audio: null, video: track ?? null, audioActive: false, videoActive: true });
    } catch (error) {
      if (this.screen?.stream === stream) this.stopScreen();
      throw error;
    }
    this.host.requestUpdate();
  }

  stopScreen(): void {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    this.#screenOff.forEach((off) => off());
    this.#screenOff = [];
    screen.stream.getTracks().forEach((t) => t.stop());
    screen.conn?.disconnect();
    this.host.requestUpdate();
  }

  /** Disconnects everything and forgets the room. */
  leave(): void {
    this.stopScreen();
    this.#off.forEach((off) => off());
    this.#off = [];
    const main = this.main;
    this.main = null;
    main?.disconnect();
    this.participants.clear();
    this.streams.clear();
    this.speaking.clear();
    this.#attached.clear();
    this.activeSpeaker = null;
    this.recording = false;
    this.reconnecting = false;
    this.host.requestUpdate();
  }
}
