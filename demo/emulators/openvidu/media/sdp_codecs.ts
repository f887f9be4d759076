// Codec negotiation for the relay. The relay forwards RTP without transcoding, so every leg
// of one stream must carry the same codec: the publisher's offer is narrowed to exactly one
// codec per m-section before werift sees it (werift matches codecs by name only and would
// otherwise accept every H.264 variant), and subscribers are offered that same codec.

import { RelayError } from "./relay_error.ts";

export type MediaKind = "audio" | "video";

export interface SdpCodec {
  payloadType: number;
  /** As written in a=rtpmap, e.g. "VP8", "opus", "H264", "rtx". */
  name: string;
  clockRate: number;
  channels?: number;
  /** The a=fmtp parameters, "" when there are none. */
  fmtp: string;
  /** a=rtcp-fb values, e.g. "nack", "nack pli", "ccm fir", "transport-cc". */
  rtcpFeedback: string[];
}

export interface SdpMedia {
  kind: string;
  index: number;
  mid?: string;
  direction: string;
  codecs: SdpCodec[];
}

/** The relay's video codecs in order of preference; Chromium, Firefox and Safari send both. */
export type VideoCodecName = "VP8" | "H264";
export const DEFAULT_VIDEO_CODECS: readonly VideoCodecName[] = ["VP8", "H264"];

const DIRECTIONS = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);

/** The m-sections of an SDP with their codecs, in order. */
export function parseMedia(sdp: string): SdpMedia[] {
  const media: SdpMedia[] = [];
  for (const section of splitSections(sdp).media) {
    const [mLine, ...lines] = section;
    const [kind, , , ...formats] = mLine.slice(2).split(" ");
    const codecs = new Map<number, SdpCodec>();
    for (const pt of formats) {
      const payloadType = Number(pt);
      if (Number.isInteger(payloadType)) {
        codecs.set(payloadType, {
          payloadType,
          name: "",
          clockRate: 0,
          fmtp: "",
          rtcpFeedback: [],
        });
      }
    }
    let mid: string | undefined;
    let direction = "sendrecv";
    for (const line of lines) {
      const attr = /^a=([a-z-]+):?(.*)$/i.exec(line);
      if (!attr) continue;
      const [, name, value] = attr;
      if (name === "mid") mid = value.trim();
      else if (DIRECTIONS.has(name)) direction = name;
      else if (name === "rtpmap" || name === "fmtp" || name === "rtcp-fb") {
        const space = value.indexOf(" ");
        const codec = codecs.get(Number(value.slice(0, space)));
        const rest = value.slice(space + 1).trim();
        if (!codec || space === -1) continue;
        if (name === "rtpmap") {
          const [codecName, rate, channels] = rest.split("/");
          codec.name = codecName;
          codec.clockRate = Number(rate);
          if (channels) codec.channels = Number(channels);
        } else if (name === "fmtp") codec.fmtp = rest;
        else codec.rtcpFeedback.push(rest);
      }
    }
    media.push({ kind, index: media.length, mid, direction, codecs: [...codecs.values()] });
  }
  return media;
}

/** fmtp "a=1;b=2" as a map with lower-case keys. */
export function fmtpParams(fmtp: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of fmtp.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

/**
 * The codec the relay accepts from a publisher for one m-section: Opus for audio; for video
 * the first of `videoCodecs` offered (H.264 only with packetization-mode=1, which every
 * WebRTC browser decodes, preferring constrained baseline 42e01f).
 */
export function choosePublisherCodec(
  media: SdpMedia,
  videoCodecs: readonly VideoCodecName[] = DEFAULT_VIDEO_CODECS,
): SdpCodec | undefined {
  if (media.kind === "audio") return media.codecs.find((c) => isName(c, "opus"));
  if (media.kind !== "video") return undefined;
  for (const wanted of videoCodecs) {
    const candidates = media.codecs.filter((c) => isName(c, wanted));
    if (wanted === "H264") {
      const usable = candidates.filter((c) => fmtpParams(c.fmtp).get("packetization-mode") === "1");
      const best = usable.find((c) => h264Profile(c) === "42e0") ??
        usable.find((c) => h264Profile(c) === "4200") ?? usable[0];
      if (best) return best;
    } else if (candidates[0]) return candidates[0];
  }
  return undefined;
}

/**
 * The subscriber's offered codec that carries the publisher's bitstream unchanged: same name
 * and clock rate; for H.264 also the same packetization mode and profile.
 */
export function findMatchingCodec(media: SdpMedia, published: SdpCodec): SdpCodec | undefined {
  return media.codecs.find((c) =>
    isName(c, published.name) && c.clockRate === published.clockRate &&
    (!isName(c, "H264") || (
      fmtpParams(c.fmtp).get("packetization-mode") ===
        fmtpParams(published.fmtp).get("packetization-mode") &&
      h264Profile(c) === h264Profile(published)
    ))
  );
}

/**
 * A copy of `sdp` whose audio and video m-sections list only the payload type `keep` picks.
 * A section for which `keep` returns undefined is left as it is.
 */
export function restrictToOneCodec(
  sdp: string,
  keep: (media: SdpMedia) => number | undefined,
): string {
  const parsed = parseMedia(sdp);
  const { session, media, eol } = splitSections(sdp);
  const out = [...session];
  media.forEach((section, i) => {
    const pt = keep(parsed[i]);
    if (pt === undefined) {
      out.push(...section);
      return;
    }
    const [kind, port, proto] = section[0].slice(2).split(" ");
    out.push(`m=${kind} ${port} ${proto} ${pt}`);
    for (const line of section.slice(1)) {
      const codecLine = /^a=(rtpmap|fmtp|rtcp-fb):(\d+|\*) /.exec(line);
      if (!codecLine || codecLine[2] === "*" || Number(codecLine[2]) === pt) out.push(line);
    }
  });
  return out.join(eol) + eol;
}

/**
 * Narrows a publisher's offer to one codec per audio/video m-section.
 * Throws a RelayError naming the m-section when the browser offers nothing the relay forwards.
 */
export function narrowPublisherOffer(
  sdp: string,
  videoCodecs: readonly VideoCodecName[] = DEFAULT_VIDEO_CODECS,
): { sdp: string; codecs: Map<MediaKind, SdpCodec> } {
  const media = parseMedia(sdp);
  const chosen = new Map<MediaKind, SdpCodec>();
  for (const m of media) {
    if (m.kind !== "audio" && m.kind !== "video") continue;
    if (chosen.has(m.kind)) {
      throw new RelayError("bad_sdp", `The offer has more than one ${m.kind} m-section`);
    }
    const codec = choosePublisherCodec(m, videoCodecs);
    if (!codec) {
      const wanted = m.kind === "audio" ? "Opus" : videoCodecs.join(" or ");
      throw new RelayError(
        "unsupported_codec",
        `The offer's ${m.kind} m-section (mid ${m.mid ?? m.index}) has no ${wanted} codec`,
      );
    }
    chosen.set(m.kind, codec);
  }
  if (chosen.size === 0) throw new RelayError("bad_sdp", "The offer has no audio or video");
  return {
    sdp: restrictToOneCodec(sdp, (m) => chosen.get(m.kind as MediaKind)?.payloadType),
    codecs: chosen,
  };
}

function isName(codec: SdpCodec, name: string): boolean {
  return codec.name.toLowerCase() === name.toLowerCase();
}

/** profile_idc + profile_iop of an H.264 profile-level-id; the level may differ per side. */
function h264Profile(codec: SdpCodec): string {
  return (fmtpParams(codec.fmtp).get("profile-level-id") ?? "42001f").slice(0, 4).toLowerCase();
}

function splitSections(sdp: string): { session: string[]; media: string[][]; eol: string } {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/).filter((line) => line.length > 0);
  const session: string[] = [];
  const media: string[][] = [];
  for (const line of lines) {
    if (line.startsWith("m=")) media.push([line]);
    else if (media.length > 0) media[media.length - 1].push(line);
    else session.push(line);
  }
  return { session, media, eol };
}
