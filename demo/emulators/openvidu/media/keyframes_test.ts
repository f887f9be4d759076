import assert from "node:assert/strict";
import { startsKeyframe } from "./keyframes.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("a VP8 keyframe start is recognised with and without extended descriptor fields", () => {
  // S=1, PID=0, then the VP8 header with P=0 (key frame).
  assert.equal(startsKeyframe("VP8", bytes(0x10, 0x50)), true);
  // X=1, I=1 with a 15-bit PictureID, then the VP8 header.
  assert.equal(startsKeyframe("VP8", bytes(0x90, 0x80, 0x81, 0x23, 0x50)), true);
  // Same, inter frame (P=1).
  assert.equal(startsKeyframe("VP8", bytes(0x90, 0x80, 0x81, 0x23, 0x51)), false);
  // A continuation packet of a key frame (S=0) does not start one.
  assert.equal(startsKeyframe("VP8", bytes(0x00, 0x50)), false);
});

Deno.test("an H.264 IDR or SPS starts a keyframe, single, aggregated or fragmented", () => {
  assert.equal(startsKeyframe("H264", bytes(0x65, 0x88)), true); // IDR
  assert.equal(startsKeyframe("H264", bytes(0x41, 0x9a)), false); // non-IDR slice
  // STAP-A holding SPS (2 bytes) then PPS.
  assert.equal(startsKeyframe("H264", bytes(0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68)), true);
  // FU-A first fragment of an IDR, then a middle fragment.
  assert.equal(startsKeyframe("H264", bytes(0x7c, 0x85, 0x00)), true);
  assert.equal(startsKeyframe("H264", bytes(0x7c, 0x05, 0x00)), false);
  assert.equal(startsKeyframe("opus", bytes(0x65)), false);
});
