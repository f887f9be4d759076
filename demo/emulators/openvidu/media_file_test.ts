import assert from "node:assert/strict";
import { probeMedia, probeMp4, probeWithFfprobe } from "./media_file.ts";
import { DEFAULT_RECORDING_FILE } from "./mod.ts";

const hasFfprobe = await new Deno.Command("ffprobe", { args: ["-version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test("the mp4 reader finds duration and tracks of a file whose moov is at the end", async () => {
  const { size } = await Deno.stat(DEFAULT_RECORDING_FILE);
  const info = await probeMp4(DEFAULT_RECORDING_FILE, size);
  assert.equal(info.size, size);
  assert.equal(info.hasAudio, true);
  assert.equal(info.hasVideo, true);
  assert.equal(info.resolution, "640x360");
  assert.ok(info.duration > 20 && info.duration < 30, `${info.duration}`);
});

Deno.test({
  name: "the mp4 reader agrees with ffprobe on the fixture",
  ignore: !hasFfprobe,
  fn: async () => {
    const { size } = await Deno.stat(DEFAULT_RECORDING_FILE);
    const mp4 = await probeMp4(DEFAULT_RECORDING_FILE, size);
    const ff = await probeWithFfprobe(DEFAULT_RECORDING_FILE, size);
    assert.ok(Math.abs(mp4.duration - ff.duration) < 0.1, `${mp4.duration} vs ${ff.duration}`);
    assert.equal(mp4.resolution, ff.resolution);
    assert.equal(ff.frameRate, 15);
    assert.equal((await probeMedia(DEFAULT_RECORDING_FILE)).probedWith, "ffprobe");
  },
});

Deno.test("a file that is not a playable mp4 is refused with a clear error", async () => {
  const path = await Deno.makeTempFile({ suffix: ".mp4" });
  try {
    // An mp4 cut off mid-recording: ftyp and mdat, no moov.
    const bytes = new Uint8Array(32);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 16);
    bytes.set(new TextEncoder().encode("ftypisom"), 4);
    view.setUint32(16, 16);
    bytes.set(new TextEncoder().encode("mdat"), 20);
    await Deno.writeFile(path, bytes);
    await assert.rejects(probeMp4(path, bytes.length), /no moov box/);
  } finally {
    await Deno.remove(path);
  }
});
