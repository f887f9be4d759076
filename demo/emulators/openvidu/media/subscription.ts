// One subscriber's view of one publication: a werift PeerConnection that sends the
// publication's tracks to the browser, with the publisher's codec, and carries the
// browser's keyframe requests back to the publisher.

import {
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  type RTCRtpSender,
  RtpHeader,
  RtpPacket,
  useSdesMid,
} from "werift";
import type { Publication } from "./publication.ts";
import { toWerift } from "./publication.ts";
import {
  asDtlsServer,
  type CandidateInit,
  type LegOptions,
  type RelayLogger,
  RelayPeer,
} from "./relay_peer.ts";
import {
  findMatchingCodec,
  type MediaKind,
  parseMedia,
  restrictToOneCodec,
  type SdpCodec,
} from "./sdp_codecs.ts";
import { RelayError } from "./relay_error.ts";

/** RTCP payload-specific feedback FMT of a Full Intra Request (RFC 5104); werift exports
 * only the PLI class. */
const FIR_FMT = 4;

/** The feedback the relay acts on downstream: retransmissions and keyframe requests. */
const DOWNSTREAM_FEEDBACK = new Set(["nack", "nack pli", "ccm fir"]);

export class Subscription {
  readonly subscriberId: string;
  #publication: Publication;
  readonly packetsSent: Record<MediaKind, number> = { audio: 0, video: 0 };
  #peer: RelayPeer;
  #senders = new Map<MediaKind, RTCRtpSender>();
  /** Per kind: the source SSRC and the shifts that map its numbering onto this leg's. */
  #tracks = new Map<MediaKind, LegTrack>();
  #detach?: () => void;
  #log: RelayLogger;

  constructor(subscriberId: string, publication: Publication, options: LegOptions) {
    this.subscriberId = subscriberId;
    this.#publication = publication;
    this.#log = options.log;
    const codec = (kind: MediaKind) => {
      const c = publication.codecs.get(kind);
      return c ? [toWerift(kind, downstream(c))] : [];
    };
    this.#peer = new RelayPeer({
      machine: options.machine,
      log: options.log,
      codecs: { audio: codec("audio"), video: codec("video") },
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
      callbacks: options.callbacks,
    });
  }

  get publication(): Publication {
    return this.#publication;
  }

  get connectionState(): string {
    return this.#peer.pc.connectionState;
  }

  get closed(): boolean {
    return this.#peer.closed;
  }

  /** OpenVidu 2.32 with mediasoup, `prepareReceiveVideoFrom`: the relay offers, sendonly. */
  async createOffer(): Promise<string> {
    const pc = this.#peer.pc;
    for (const kind of this.publication.kinds) {
      this.#wire(kind, pc.addTransceiver(kind, { direction: "sendonly" }).sender);
    }
    await pc.setLocalDescription(await pc.createOffer());
    return this.#peer.localSdpWhenGathered();
  }

  /** The browser's answer to {@link createOffer} (`receiveVideoFrom` with `sdpAnswer`). */
  async acceptAnswer(sdpAnswer: string): Promise<void> {
    const pc = this.#peer.pc;
    if (pc.signalingState !== "have-local-offer") {
      throw new RelayError("invalid_state", "This subscription is not waiting for an answer");
    }
    await pc.setRemoteDescription({ type: "answer", sdp: sdpAnswer });
    this.#start();
  }

  /**
   * OpenVidu 2.32 with Kurento (`receiveVideoFrom` with `sdpOffer`): the browser offers
   * recvonly, the relay answers sendonly with the publication's codec.
   */
  async answerOffer(sdpOffer: string): Promise<string> {
    const media = parseMedia(sdpOffer);
    const narrowed = restrictToOneCodec(sdpOffer, (m) => {
      const published = this.publication.codecs.get(m.kind as MediaKind);
      if (!published) {
        if (m.kind !== "audio" && m.kind !== "video") return undefined;
        throw new RelayError(
          "bad_sdp",
          `The subscriber asks for ${m.kind}, which ${this.publication.streamId} does not carry`,
        );
      }
      const match = findMatchingCodec(m, published);
      if (!match) {
        throw new RelayError(
          "unsupported_codec",
          `The subscriber cannot receive ${published.name}, the codec of ${this.publication.streamId}`,
        );
      }
      return match.payloadType;
    });
    const pc = this.#peer.pc;
    await pc.setRemoteDescription({ type: "offer", sdp: narrowed });
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.kind as MediaKind;
      const wanted = media[transceiver.mLineIndex ?? -1]?.direction !== "inactive" &&
        this.publication.codecs.has(kind) && !this.#senders.has(kind);
      transceiver.setDirection(wanted ? "sendonly" : "inactive");
      if (wanted) this.#wire(kind, transceiver.sender);
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({ type: "answer", sdp: asDtlsServer(answer.sdp) });
    const sdp = await this.#peer.localSdpWhenGathered();
    this.#start();
    return sdp;
  }

  addRemoteCandidate(candidate: CandidateInit): Promise<boolean> {
    return this.#peer.addRemoteCandidate(candidate);
  }

  /**
   * Feeds this leg from a replacement publication of the same stream (the publisher
   * reconnected). Returns false when its codecs differ and the leg cannot carry it.
   */
  retarget(publication: Publication): boolean {
    for (const [kind, codec] of this.#publication.codecs) {
      const next = publication.codecs.get(kind);
      if (!next || next.name !== codec.name || next.fmtp !== codec.fmtp) return false;
    }
    const started = this.#detach !== undefined;
    this.#detach?.();
    this.#detach = undefined;
    this.#publication = publication;
    if (started) this.#start();
    return true;
  }

  async close(): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    await this.#peer.close();
  }

  #wire(kind: MediaKind, sender: RTCRtpSender): void {
    this.#senders.set(kind, sender);
    if (kind !== "video") return;
    // A decoder can start only at a keyframe: ask for one as soon as this leg can carry it.
    sender.onReady.subscribe(() => this.publication.requestKeyframe("subscriber connected"));
    sender.onRtcp.subscribe((packet) => {
      if (packet.type !== RtcpPayloadSpecificFeedback.type) return;
      const count = (packet as RtcpPayloadSpecificFeedback).feedback.count;
      if (count === PictureLossIndication.count || count === FIR_FMT) {
        this.publication.requestKeyframe(count === PictureLossIndication.count ? "pli" : "fir");
      }
    });
  }

  #start(): void {
    this.#detach ??= this.publication.attach((kind, packet) => this.#forward(kind, packet));
  }

  #forward(kind: MediaKind, packet: RtpPacket): void {
    const sender = this.#senders.get(kind);
    if (!sender || this.#peer.closed) return;
    const source = packet.header;
    let track = this.#tracks.get(kind);
    if (track?.ssrc !== source.ssrc) {
      // A new source (first packet, or the publisher reconnected): continue this leg's
      // sequence numbers and timestamps from where they were, so the browser sees one
      // unbroken stream. (werift's own replaceRTP truncates the timestamp offset to 16 bits.)
      const next = track && {
        seq: (source.sequenceNumber - track.lastSeq - 1) & 0xffff,
        ts: (source.timestamp - track.lastTs - (kind === "video" ? 3000 : 960)) >>> 0,
      };
      track = {
        ssrc: source.ssrc,
        seqShift: next?.seq ?? 0,
        tsShift: next?.ts ?? 0,
        lastSeq: 0,
        lastTs: 0,
      };
      this.#tracks.set(kind, track);
      if (next && kind === "video") this.publication.requestKeyframe("publisher source changed");
    }
    // Each subscriber gets its own header: werift's sender rewrites SSRC, payload type and
    // extensions in place and keeps the packet for retransmission. The publisher's header
    // extensions use the publisher leg's ids, so they are dropped; the sender writes this
    // leg's own (mid).
    const header = new RtpHeader({
      ...source,
      sequenceNumber: (source.sequenceNumber - track.seqShift) & 0xffff,
      timestamp: (source.timestamp - track.tsShift) >>> 0,
      extensions: [],
      extension: false,
    });
    track.lastSeq = header.sequenceNumber;
    track.lastTs = header.timestamp;
    this.packetsSent[kind]++;
    sender.sendRtp(new RtpPacket(header, packet.payload)).catch((error) =>
      this.#log.warn("rtp forward failed", { kind, error })
    );
  }
}

interface LegTrack {
  ssrc: number;
  seqShift: number;
  tsShift: number;
  lastSeq: number;
  lastTs: number;
}

/** The publisher's codec as offered to subscribers, with only the feedback the relay serves. */
function downstream(codec: SdpCodec): SdpCodec {
  return { ...codec, rtcpFeedback: codec.rtcpFeedback.filter((fb) => DOWNSTREAM_FEEDBACK.has(fb)) };
}
