import assert from "node:assert/strict";
import {
  findMatchingCodec,
  narrowPublisherOffer,
  parseMedia,
  restrictToOneCodec,
} from "./sdp_codecs.ts";
import { RelayError } from "./relay_error.ts";

// A real publish offer of Chromium 156 (sendonly Opus + VP8/H.264/VP9/AV1, with RTX).
const OFFER = await Deno.readTextFile(
  new URL("./testing/fixtures/chromium_publish_offer.sdp", import.meta.url),
);

Deno.test("parseMedia reads kinds, mids, directions and codecs of a Chromium offer", () => {
  const [audio, video] = parseMedia(OFFER);
  assert.equal(audio.kind, "audio");
  assert.equal(audio.mid, "0");
  assert.equal(audio.direction, "sendonly");
  const opus = audio.codecs.find((c) => c.name === "opus")!;
  assert.deepEqual(
    { pt: opus.payloadType, rate: opus.clockRate, ch: opus.channels, fmtp: opus.fmtp },
    { pt: 111, rate: 48000, ch: 2, fmtp: "minptime=10;useinbandfec=1" },
  );
  assert.equal(video.mid, "1");
  const vp8 = video.codecs.find((c) => c.name === "VP8")!;
  assert.deepEqual(vp8.rtcpFeedback, ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]);
});

Deno.test("a publisher's offer is narrowed to Opus and VP8, nothing else", () => {
  const { sdp, codecs } = narrowPublisherOffer(OFFER);
  assert.equal(codecs.get("audio")?.payloadType, 111);
  assert.equal(codecs.get("video")?.name, "VP8");
  const [audio, video] = parseMedia(sdp);
  assert.deepEqual(audio.codecs.map((c) => c.payloadType), [111]);
  assert.deepEqual(video.codecs.map((c) => c.payloadType), [96]);
  assert.match(sdp, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 96\r$/m);
  assert.doesNotMatch(sdp, /a=rtpmap:97 rtx/);
  // Everything that is not about codecs survives: ICE, DTLS, mids, extensions, ssrcs.
  for (const kept of ["a=ice-ufrag:", "a=fingerprint:", "a=mid:1", "a=extmap:4 ", "a=ssrc:"]) {
    assert.ok(sdp.includes(kept), kept);
  }
  assert.ok(sdp.endsWith("\r\n"));
});

Deno.test("H.264 is chosen as constrained baseline, packetization-mode 1, when preferred", () => {
  const { codecs } = narrowPublisherOffer(OFFER, ["H264", "VP8"]);
  const h264 = codecs.get("video")!;
  assert.equal(h264.payloadType, 108);
  assert.match(h264.fmtp, /packetization-mode=1/);
  assert.match(h264.fmtp, /profile-level-id=42e01f/);
});

Deno.test("an offer without a codec the relay forwards is refused with a clear error", () => {
  const vp9Only = restrictToOneCodec(OFFER, (m) => m.kind === "video" ? 98 : undefined);
  assert.throws(
    () => narrowPublisherOffer(vp9Only),
    (e: unknown) =>
      e instanceof RelayError && e.code === "unsupported_codec" &&
      /video m-section \(mid 1\) has no VP8 or H264 codec/.test(e.message),
  );
  assert.throws(() => narrowPublisherOffer("v=0\r\n"), /no audio or video/);
});

Deno.test("a subscriber's codec must match the published H.264 profile and mode", () => {
  const [, video] = parseMedia(OFFER);
  const published = video.codecs.find((c) => c.payloadType === 108)!; // 42e01f, mode 1
  assert.equal(findMatchingCodec(video, published)?.payloadType, 108);
  const withoutIt =
    parseMedia(restrictToOneCodec(OFFER, (m) => m.kind === "video" ? 114 : undefined))[1];
  assert.equal(findMatchingCodec(withoutIt, published), undefined, "mode 0 does not carry mode 1");
});
