/**
 * What <foxeo-meeting-room> needs from a video meeting connection, and nothing of OpenVidu's
 * API: the real implementation (openvidu-connection.ts) is loaded only when the user joins,
 * and tests drive the element through a fake.
 *
 * One connection publishes at most one stream (OpenVidu's rule): a screen share is a second
 * connection with a second token.
 */

/** A remote connection: a person, or someone's screen share. */
export interface RemoteParticipant {
  connectionId: string;
  displayName: string;
  userId: string | null;
  kind: StreamKind;
}

export type StreamKind = "camera" | "screen";

export interface RemoteStream {
  streamId: string;
  connectionId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
}

/** Why the connection ended. `left`: we disconnected; `ended`: the meeting was closed. */
export type DisconnectReason = "left" | "ended" | "evicted" | "network";

export interface RoomEventMap {
  "participant-joined": RemoteParticipant;
  "participant-left": { connectionId: string };
  "stream-added": RemoteStream;
  "stream-removed": { streamId: string; connectionId: string };
  "stream-changed": { streamId: string; audioActive?: boolean; videoActive?: boolean };
  speaking: { connectionId: string; speaking: boolean };
  reconnecting: Record<string, never>;
  reconnected: Record<string, never>;
  recording: { active: boolean };
  disconnected: { reason: DisconnectReason };
}

export interface ConnectOptions {
  displayName: string;
  kind: StreamKind;
}

export interface PublishOptions {
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  audioActive: boolean;
  videoActive: boolean;
}

export interface RoomConnection {
  /** Our own connection id, once connected. */
  readonly connectionId: string | null;
  /**
   * Join with a single-use token. May never settle (OpenVidu's `connect()` waits forever for an
   * unreachable server): the caller bounds it and calls `disconnect()`.
   */
  connect(token: string, options: ConnectOptions): Promise<void>;
  /** Publish our tracks (at most one audio and one video). */
  publish(options: PublishOptions): Promise<void>;
  setAudioActive(active: boolean): void;
  setVideoActive(active: boolean): Promise<void>;
  /** Receive a remote stream into this video element (subscribing on first use). */
  attach(streamId: string, video: HTMLVideoElement): void;
  on<K extends keyof RoomEventMap>(type: K, listener: (detail: RoomEventMap[K]) => void): () => void;
  /** Leave and release everything. Safe to call more than once. */
  disconnect(): void;
}

/** Makes one connection; async so the implementation can be loaded lazily. */
export type RoomConnectionFactory = () => Promise<RoomConnection>;

/** A small typed emitter for implementations of RoomConnection. */
export class RoomEvents {
  readonly #listeners = new Map<string, Set<(detail: never) => void>>();

  on<K extends keyof RoomEventMap>(type: K, listener: (detail: RoomEventMap[K]) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as (detail: never) => void);
    return () => set.delete(listener as (detail: never) => void);
  }

  protected emit<K extends keyof RoomEventMap>(type: K, detail: RoomEventMap[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) (listener as (d: RoomEventMap[K]) => void)(detail);
  }

  /** How many listeners are still attached (tests check nothing is left behind). */
  get listenerCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}

/**
 * Reads OpenVidu connection data: `client%/%server` when both are set, else whichever is.
 * Client data is what we send on connect (`{displayName, kind}`); server data is what the
 * meetings function put in the token (`{user_id, display_name, role}`, snake_case like the API).
 */
export function parseConnectionData(data: string): Omit<RemoteParticipant, "connectionId"> {
  const parts = data.split("%/%").map((p) => {
    try {
      const v = JSON.parse(p);
      return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  });
  const client = parts.length > 1 ? parts[0] : {};
  const server = parts.length > 1 ? parts[parts.length - 1] : parts[0] ?? {};
  const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim().slice(0, 80) : null);
  return {
    displayName: str(client.displayName) ?? str(server.display_name) ?? "",
    userId: str(server.user_id),
    kind: client.kind === "screen" || server.kind === "screen" ? "screen" : "camera",
  };
}
