/**
 * A fake video meeting for <foxeo-meeting-room> tests: it implements RoomConnection like the
 * OpenVidu one does (events, one stream per connection) and lets a test make remote people join,
 * speak, mute, share, drop and end the meeting. Remote video is a real MediaStream drawn on a
 * canvas, so tiles actually play.
 */
import {
  type ConnectOptions,
  type PublishOptions,
  type RoomConnection,
  RoomEvents,
  type RoomEventMap,
  type StreamKind,
} from "../src/meeting-room/room-connection.js";

let ids = 0;
const nextId = (prefix: string) => `${prefix}_${(++ids).toString(36).padStart(6, "0")}`;

export class FakeRoom {
  readonly connections: FakeRoomConnection[] = [];
  readonly remoteStreams = new Map<string, MediaStream>();
  /** The next connect() never settles (an unreachable server). */
  hangNext = false;
  /** The next connect() rejects with this. */
  failNext: Error | null = null;
  /** The user id the server puts in our connections' data (Camille Martin by default). */
  userId = "0a000000-0000-4000-8000-00000000000a";

  readonly factory = async (): Promise<RoomConnection> => {
    const c = new FakeRoomConnection(this);
    this.connections.push(c);
    return c;
  };

  get main(): FakeRoomConnection {
    const c = this.connections.find((x) => x.options?.kind === "camera");
    if (!c) throw new Error("no main connection yet");
    return c;
  }

  get screens(): FakeRoomConnection[] {
    return this.connections.filter((x) => x.options?.kind === "screen");
  }

  /** Someone else joins the meeting, publishing a camera (or a screen). */
  join(name: string, o: { kind?: StreamKind; userId?: string; audio?: boolean; video?: boolean; publish?: boolean } = {}) {
    const connectionId = nextId("con");
    const streamId = nextId("str");
    this.main.emitNow("participant-joined", { connectionId, displayName: name, userId: o.userId ?? nextId("user"), kind: o.kind ?? "camera" });
    if (o.publish !== false) {
      this.remoteStreams.set(streamId, canvasStream(name));
      this.main.emitNow("stream-added", {
        streamId,
        connectionId,
        hasAudio: true,
        hasVideo: true,
        audioActive: o.audio ?? true,
        videoActive: o.video ?? true,
      });
    }
    return { connectionId, streamId };
  }

  leave(who: { connectionId: string; streamId: string }): void {
    this.main.emitNow("stream-removed", who);
    this.main.emitNow("participant-left", { connectionId: who.connectionId });
    this.remoteStreams.get(who.streamId)?.getTracks().forEach((t) => t.stop());
  }

  /** Stops every remote track the fake made. */
  dispose(): void {
    for (const s of this.remoteStreams.values()) s.getTracks().forEach((t) => t.stop());
  }
}

export class FakeRoomConnection extends RoomEvents implements RoomConnection {
  connectionId: string | null = null;
  token: string | null = null;
  options: ConnectOptions | null = null;
  published: PublishOptions | null = null;
  audioActive = false;
  videoActive = false;
  disconnected = false;
  readonly attached = new Map<string, HTMLVideoElement>();

  constructor(private readonly room: FakeRoom) {
    super();
  }

  connect(token: string, options: ConnectOptions): Promise<void> {
    this.token = token;
    this.options = options;
    if (this.room.hangNext) {
      this.room.hangNext = false;
      return new Promise(() => {});
    }
    if (this.room.failNext) {
      const e = this.room.failNext;
      this.room.failNext = null;
      return Promise.reject(e);
    }
    this.connectionId = nextId("con");
    // Like OpenVidu, the main connection sees our own screen-share connection as someone else.
    if (options.kind === "screen") {
      this.room.main.emitNow("participant-joined", { connectionId: this.connectionId, displayName: options.displayName, userId: this.room.userId, kind: "screen" });
    }
    return Promise.resolve();
  }

  async publish(o: PublishOptions): Promise<void> {
    this.published = o;
    this.audioActive = o.audioActive;
    this.videoActive = o.videoActive;
    if (this.options?.kind === "screen" && o.video) {
      this.#streamId = nextId("str");
      this.room.remoteStreams.set(this.#streamId, new MediaStream([o.video.clone()]));
      this.room.main.emitNow("stream-added", { streamId: this.#streamId, connectionId: this.connectionId!, hasAudio: false, hasVideo: true, audioActive: false, videoActive: true });
    }
  }

  #streamId: string | null = null;

  setAudioActive(active: boolean): void {
    this.audioActive = active;
  }

  async setVideoActive(active: boolean): Promise<void> {
    this.videoActive = active;
  }

  attach(streamId: string, video: HTMLVideoElement): void {
    this.attached.set(streamId, video);
    video.srcObject = this.room.remoteStreams.get(streamId) ?? null;
  }

  disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    if (this.options?.kind === "screen" && this.connectionId && !this.room.main.disconnected) {
      if (this.#streamId) this.room.main.emitNow("stream-removed", { streamId: this.#streamId, connectionId: this.connectionId });
      this.room.main.emitNow("participant-left", { connectionId: this.connectionId });
    }
  }

  /** Test side: the server sends an event on this connection. */
  emitNow<K extends keyof RoomEventMap>(type: K, detail: RoomEventMap[K]): void {
    this.emit(type, detail);
  }
}

/** A live video track showing a colored card with a name. */
export function canvasStream(label: string): MediaStream {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 180;
  const ctx = canvas.getContext("2d")!;
  const hue = [...label].reduce((h, c) => h + c.charCodeAt(0), 0) % 360;
  const draw = () => {
    ctx.fillStyle = `hsl(${hue} 45% 35%)`;
    ctx.fillRect(0, 0, 320, 180);
    ctx.fillStyle = "#fff";
    ctx.font = "bold 28px sans-serif";
    ctx.fillText(label, 20, 100);
  };
  draw();
  const stream = canvas.captureStream(10);
  const timer = setInterval(draw, 100);
  stream.getVideoTracks()[0].addEventListener("ended", () => clearInterval(timer));
  const stop = stream.getVideoTracks()[0].stop.bind(stream.getVideoTracks()[0]);
  stream.getVideoTracks()[0].stop = () => {
    clearInterval(timer);
    stop();
  };
  return stream;
}
