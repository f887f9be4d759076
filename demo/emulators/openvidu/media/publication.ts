// A published stream: the werift PeerConnection that receives one browser's audio and/or
// video, and the fan-out of its RTP packets to the subscriptions attached to it.

import {
  type MediaStreamTrack,
  RTCRtpCodecParameters,
  type RtpPacket,
  useSdesMid,
  useTransportWideCC,
} from "werift";
import { startsKeyframe } from "./keyframes.ts";
import type { MediaKind, SdpCodec } from "./sdp_codecs.ts";
import {
  asDtlsServer,
  type CandidateInit,
  type LegOptions,
  type RelayLogger,
  RelayPeer,
} from "./relay_peer.ts";

/** Receives every RTP packet of the publication; the packet is shared, never mutate it. */
export type RtpSink = (kind: MediaKind, packet: RtpPacket) => void;

/**
 * Keyframes are expensive for the publisher's encoder: while one asked for has not arrived,
 * further requests within this time are served by it (a joining subscriber and a decoder
 * that lost a frame often ask at the same moment). Past it, the request is sent again.
 */
const KEYFRAME_WAIT_MS = 300;

export class Publication {
  readonly streamId: string;
  /** The one codec per kind this stream carries; subscribers are offered exactly these. */
  readonly codecs: ReadonlyMap<MediaKind, SdpCodec>;
  readonly packetsReceived: Record<MediaKind, number> = { audio: 0, video: 0 };
  keyframeRequests = 0;
  keyframesReceived = 0;
  #peer: RelayPeer;
  #sinks = new Set<RtpSink>();
  #videoSsrc?: number;
  #keyframeRequestedAt?: number;
  #log: RelayLogger;

  constructor(
    streamId: string,
    codecs: Map<MediaKind, SdpCodec>,
    options: LegOptions,
  ) {
    this.streamId = streamId;
    this.codecs = codecs;
    this.#log = options.log;
    this.#peer = new RelayPeer({
      machine: options.machine,
      log: options.log,
      // Exactly the offered codec, so werift answers with it and the browser sends only it.
      codecs: {
        audio: codecs.has("audio") ? [toWerift("audio", codecs.get("audio")!)] : [],
        video: codecs.has("video") ? [toWerift("video", codecs.get("video")!)] : [],
      },
      // transport-cc lets the browser's congestion control ramp its bitrate up: with no
      // feedback at all Chromium stays at its 300 kbps start rate. mid keeps demux robust.
      headerExtensions: {
        audio: [useSdesMid()],
        video: [useSdesMid(), useTransportWideCC()],
      },
      callbacks: options.callbacks,
    });
    this.#peer.pc.onTrack.subscribe((track) => this.#receive(track));
  }

  /**
   * Answers the browser's publish offer, already narrowed by narrowPublisherOffer to the
   * codecs this publication was made with.
   */
  async answer(narrowedOffer: string): Promise<string> {
    const pc = this.#peer.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: narrowedOffer });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({ type: "answer", sdp: asDtlsServer(answer.sdp) });
    return this.#peer.localSdpWhenGathered();
  }

  get kinds(): MediaKind[] {
    return [...this.codecs.keys()];
  }

  get connectionState(): string {
    return this.#peer.pc.connectionState;
  }

  addRemoteCandidate(candidate: CandidateInit): Promise<boolean> {
    return this.#peer.addRemoteCandidate(candidate);
  }

  /** Attaches a sink; returns its detach function. */
  attach(sink: RtpSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /**
   * Asks the publisher for a keyframe (RTCP PLI) unless one asked for is still on its way.
   * Before the first video packet there is nothing to ask: a new encoder starts with one.
   */
  requestKeyframe(reason: string): void {
    if (this.#peer.closed || this.#videoSsrc === undefined) return;
    const now = performance.now();
    const pending = this.#keyframeRequestedAt;
    if (pending !== undefined && now - pending < KEYFRAME_WAIT_MS) return;
    this.#keyframeRequestedAt = now;
    const receiver = this.#peer.pc.getTransceivers().find((t) => t.kind === "video")?.receiver;
    if (!receiver) return;
    this.keyframeRequests++;
    this.#log.debug("keyframe requested", { streamId: this.streamId, reason });
    receiver.sendRtcpPLI(this.#videoSsrc).catch((error) =>
      this.#log.warn("keyframe request failed", { streamId: this.streamId, error })
    );
  }

  async close(): Promise<void> {
    this.#sinks.clear();
    await this.#peer.close();
  }

  #receive(track: MediaStreamTrack): void {
    const kind = track.kind as MediaKind;
    const codec = this.codecs.get(kind);
    if (!codec) return;
    track.onReceiveRtp.subscribe((packet) => {
      // Only the negotiated codec is forwarded; anything else has no mapping downstream.
      if (packet.header.payloadType !== codec.payloadType) return;
      this.packetsReceived[kind]++;
      if (kind === "video") {
        this.#videoSsrc = packet.header.ssrc;
        if (startsKeyframe(codec.name, packet.payload)) {
          this.keyframesReceived++;
          this.#keyframeRequestedAt = undefined;
        }
      }
      for (const sink of this.#sinks) sink(kind, packet);
    });
  }
}

/** The werift form of a codec chosen from an SDP, keeping its payload type and fmtp. */
export function toWerift(kind: MediaKind, codec: SdpCodec): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: `${kind}/${codec.name}`,
    clockRate: codec.clockRate,
    channels: codec.channels,
    payloadType: codec.payloadType,
    parameters: codec.fmtp || undefined,
    rtcpFeedback: codec.rtcpFeedback.map((fb) => {
      const [type, parameter] = fb.split(" ");
      return parameter ? { type, parameter } : { type };
    }),
  });
}
