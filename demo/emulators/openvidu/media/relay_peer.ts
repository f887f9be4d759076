// One werift PeerConnection of the relay (a publisher's ingest or a subscriber's egress) with
// what both kinds share: local-only ICE, trickle in both directions, logging, and close.

import {
  type RTCIceCandidate,
  RTCPeerConnection,
  type RTCPeerConnectionConfig,
  type RTCRtpCodecParameters,
  type RTCRtpHeaderExtensionParameters,
} from "werift";
import { guardDtlsRetransmissions } from "./dtls_retransmissions.ts";
import { isUsableRemoteCandidate, localOnlyPeerConfig } from "./ice_policy.ts";

/** The subset of the project's Logger (functions/_shared/log.ts) the relay uses. */
export interface RelayLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A candidate as the browser's RTCIceCandidateInit and OpenVidu's `iceCandidate` carry it. */
export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export type PeerState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface PeerCallbacks {
  /** A relay candidate to send to the browser (OpenVidu: the `iceCandidate` notification). */
  onLocalCandidate?: (candidate: CandidateInit) => void;
  /** The connection's state; "failed" is where openvidu-browser starts a reconnect. */
  onStateChange?: (state: PeerState) => void;
}

export interface PeerOptions {
  machine: ReadonlySet<string>;
  log: RelayLogger;
  codecs: { audio?: RTCRtpCodecParameters[]; video?: RTCRtpCodecParameters[] };
  headerExtensions: {
    audio?: RTCRtpHeaderExtensionParameters[];
    video?: RTCRtpHeaderExtensionParameters[];
  };
  callbacks: PeerCallbacks;
}

/** What a publication or a subscription hands through to its RelayPeer unchanged. */
export type LegOptions = Pick<PeerOptions, "machine" | "log" | "callbacks">;

/**
 * The relay's answers make it the DTLS server (`a=setup:passive`). werift answers
 * `a=setup:active` by default, and as a DTLS client it failed about every second handshake
 * made while another peer was being set up: the handshake "completed", then every SRTP
 * packet failed authentication. As the DTLS server it has not failed.
 */
export function asDtlsServer(answer: string): string {
  return answer.replace(/^a=setup:active(\r?)$/gm, "a=setup:passive$1");
}

/** Gathering one loopback host candidate takes a few ms; this only bounds a stuck gatherer. */
const GATHER_TIMEOUT_MS = 2000;

export class RelayPeer {
  readonly pc: RTCPeerConnection;
  #closed = false;
  #log: RelayLogger;
  #machine: ReadonlySet<string>;

  constructor(options: PeerOptions) {
    this.#log = options.log;
    this.#machine = options.machine;
    const config: RTCPeerConnectionConfig = {
      ...localOnlyPeerConfig(options.machine),
      codecs: options.codecs,
      headerExtensions: options.headerExtensions,
    };
    this.pc = new RTCPeerConnection(config);
    const { onLocalCandidate, onStateChange } = options.callbacks;
    this.pc.onIceCandidate.subscribe((candidate?: RTCIceCandidate) => {
      // werift signals the end of gathering with undefined; browsers need no marker for it.
      if (!candidate?.candidate || this.#closed) return;
      onLocalCandidate?.({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      });
    });
    this.pc.connectionStateChange.subscribe((state) => {
      this.#log.debug("relay peer state", { state });
      onStateChange?.(state);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The local SDP once its candidates are gathered, so that it works even where the
   * signalling layer does not relay trickled candidates (they are trickled as well).
   */
  async localSdpWhenGathered(): Promise<string> {
    // The DTLS transports exist once the local description is set, and start only when ICE
    // connects, which needs the browser to have this SDP.
    for (const transport of this.pc.dtlsTransports) guardDtlsRetransmissions(transport);
    if (this.pc.iceGatheringState !== "complete") {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.pc.iceGatheringStateChange.watch((state) => state === "complete"),
        new Promise((resolve) => timer = setTimeout(resolve, GATHER_TIMEOUT_MS)),
      ]).finally(() => clearTimeout(timer));
    }
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error("werift produced no local description");
    return sdp;
  }

  /** Adds a browser candidate; returns false when it was skipped by the local-only policy. */
  async addRemoteCandidate(init: CandidateInit): Promise<boolean> {
    // openvidu-browser forwards the browser's end-of-candidates event as an empty candidate.
    if (this.#closed || !init.candidate) return false;
    if (!isUsableRemoteCandidate(init.candidate, this.#machine)) {
      this.#log.debug("remote candidate skipped", { candidate: init.candidate });
      return false;
    }
    await this.pc.addIceCandidate({
      candidate: init.candidate,
      sdpMid: init.sdpMid ?? undefined,
      sdpMLineIndex: init.sdpMLineIndex ?? undefined,
    });
    return true;
  }

  /** Closes ICE, DTLS and every timer of the connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pc.close();
  }
}
