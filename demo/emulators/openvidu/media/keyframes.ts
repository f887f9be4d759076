// Recognises the first RTP packet of a video keyframe, so the relay knows when a keyframe it
// asked for has arrived (and a later request is a new need, not a duplicate).

/** True when `payload` starts a VP8 or H.264 keyframe; false for other packets and codecs. */
export function startsKeyframe(codecName: string, payload: Uint8Array): boolean {
  switch (codecName.toUpperCase()) {
    case "VP8":
      return startsVp8Keyframe(payload);
    case "H264":
      return startsH264Keyframe(payload);
    default:
      return false;
  }
}

/** RFC 7741 §4.2–4.3: payload descriptor, then the VP8 header's inverse key frame bit P. */
function startsVp8Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const extended = (p[0] & 0x80) !== 0;
  const startOfPartition = (p[0] & 0x10) !== 0;
  const partitionId = p[0] & 0x07;
  if (!startOfPartition || partitionId !== 0) return false;
  let i = 1;
  if (extended) {
    if (p.length < 2) return false;
    const flags = p[1];
    i = 2;
    if (flags & 0x80) i += p.length > i && (p[i] & 0x80) ? 2 : 1; // PictureID, 7 or 15 bits
    if (flags & 0x40) i += 1; // TL0PICIDX
    if (flags & 0x30) i += 1; // TID / KEYIDX
  }
  return p.length > i && (p[i] & 0x01) === 0;
}

const H264_IDR = 5;
const H264_SPS = 7;
const H264_STAP_A = 24;
const H264_FU_A = 28;

/** RFC 6184: an IDR slice or SPS alone, aggregated (STAP-A) or as a first fragment (FU-A). */
function startsH264Keyframe(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const type = p[0] & 0x1f;
  if (type === H264_IDR || type === H264_SPS) return true;
  if (type === H264_FU_A) {
    return p.length > 1 && (p[1] & 0x80) !== 0 && (p[1] & 0x1f) === H264_IDR;
  }
  if (type === H264_STAP_A) {
    for (let i = 1; i + 2 < p.length;) {
      const size = (p[i] << 8) | p[i + 1];
      const nal = p[i + 2] & 0x1f;
      if (nal === H264_IDR || nal === H264_SPS) return true;
      i += 2 + size;
    }
  }
  return false;
}
