import assert from "node:assert/strict";
import { normalizeSegments, timestamp, toSrt, toVtt } from "./subtitles.ts";

Deno.test("SRT numbers its cues and writes comma milliseconds", () => {
  const srt = toSrt([
    { start: 0, end: 2.5, text: " Bonjour à tous. " },
    { start: 2.5, end: 3661.0456, text: "On commence la revue." },
  ]);
  assert.equal(
    srt,
    "1\n00:00:00,000 --> 00:00:02,500\nBonjour à tous.\n\n" +
      "2\n00:00:02,500 --> 01:01:01,046\nOn commence la revue.\n",
  );
});

Deno.test("WebVTT has its header, dot milliseconds and escaped markup", () => {
  const vtt = toVtt([{ start: 1, end: 2, text: "a <b> & c --> d" }]);
  assert.equal(vtt, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na &lt;b&gt; &amp; c --&gt; d\n");
  assert.equal(toVtt([]), "WEBVTT\n\n");
});

Deno.test("segments from several chunks come out ordered and never overlapping", () => {
  const out = normalizeSegments([
    { start: 10, end: 14, text: "second" },
    { start: 0, end: 11, text: "first runs long" },
    { start: 13.5, end: 13.5, text: "zero length" },
    { start: 20, end: 21, text: "   " },
    { start: -1, end: 0.4, text: "before zero" },
  ]);
  for (let i = 0; i < out.length; i++) {
    assert.ok(out[i].end > out[i].start, JSON.stringify(out[i]));
    if (i > 0) assert.ok(out[i].start >= out[i - 1].end, JSON.stringify(out));
  }
  assert.deepEqual(out.map((s) => s.text), [
    "before zero",
    "first runs long",
    "second",
    "zero length",
  ]);
});

Deno.test("blank lines inside a segment cannot end a cue early", () => {
  const srt = toSrt([{ start: 0, end: 1, text: "ligne un\n\n\nligne deux\u0007" }]);
  assert.equal(srt, "1\n00:00:00,000 --> 00:00:01,000\nligne un\nligne deux\n");
});

Deno.test("timestamps round to the millisecond and pass 24 hours", () => {
  assert.equal(timestamp(0.0005, "."), "00:00:00.001");
  assert.equal(timestamp(90000, ","), "25:00:00,000");
});
