import assert from "node:assert/strict";
import { createFile, MP4BoxBuffer } from "mp4box";
import {
  type AudioTrack,
  buildChunkFile,
  MediaError,
  planChunks,
  type ReadRange,
  readRecordingIndex,
  sampleTime,
} from "./audio.ts";
import { fileReader, FIXTURE, hasFfmpeg, longRecording, probeAndDecode } from "./test_media.ts";

/** Byte ranges of every video sample of a (small) file, from mp4box's own sample lists. */
async function videoRanges(path: string): Promise<[number, number][]> {
  const bytes = await Deno.readFile(path);
  const file = createFile();
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.slice().buffer, 0));
  // deno-lint-ignore no-explicit-any
  const trak = (file as any).moov.traks.find((t: any) => t.mdia.hdlr.handler === "vide");
  return trak.samples.map((s: { offset: number; size: number }) => [s.offset, s.offset + s.size]);
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

Deno.test("the index is read from the moov at the end without reading the media data", async () => {
  const size = (await Deno.stat(FIXTURE)).size;
  const reads: [number, number][] = [];
  const index = await readRecordingIndex(fileReader(FIXTURE, reads), size);
  assert.ok(Math.abs(index.durationSeconds - 24.2) < 0.1, String(index.durationSeconds));
  assert.equal(index.hasVideo, true);
  assert.equal(index.audio?.codec, "mp4a.40.2");
  assert.equal(index.audio?.sampleRate, 16000);
  assert.equal(index.audio?.sampleCount, 380);
  // Two reads: the leading box headers, then the moov (everything after the media data).
  assert.equal(reads.length, 2);
  assert.deepEqual(reads[0], [0, 4096]);
  const video = await videoRanges(FIXTURE);
  const lastVideoByte = Math.max(...video.map((r) => r[1]));
  assert.ok(reads[1][0] >= lastVideoByte, "the second read starts after the media data");
  assert.equal(reads[1][1], size);
});

/** A reader that hands back at most `max` bytes per call, so no read ever holds the moov. */
const inPieces = (read: ReadRange, max: number): ReadRange => (start, end) =>
  read(start, Math.min(end, start + max));

const comparable = ({ sampleEntry, ...track }: AudioTrack) => ({
  ...track,
  sampleEntry: (sampleEntry as { type: string }).type,
});

Deno.test("the audio tables read from the moov bytes equal mp4box's own", async () => {
  // A moov read whole is handed to mp4box slimmed (no sample tables, no video track) and its
  // audio tables are read directly; one that comes in pieces goes through mp4box's tables.
  const recordings = [{ path: FIXTURE, size: (await Deno.stat(FIXTURE)).size }];
  if (await hasFfmpeg()) recordings.push(await longRecording(48 * 1024 * 1024));
  for (const { path, size } of recordings) {
    const whole = await readRecordingIndex(fileReader(path), size);
    const pieces = await readRecordingIndex(inPieces(fileReader(path), 1024), size);
    assert.equal(whole.hasVideo, true);
    assert.equal(pieces.hasVideo, true);
    assert.equal(whole.durationSeconds, pieces.durationSeconds);
    assert.ok(whole.audio && pieces.audio);
    assert.deepEqual(comparable(whole.audio), comparable(pieces.audio));
  }
});

Deno.test("audio chunks hold only audio samples and decode as standalone files", async () => {
  const size = (await Deno.stat(FIXTURE)).size;
  const index = await readRecordingIndex(fileReader(FIXTURE), size);
  const audio = index.audio!;
  const plan = planChunks(audio, { maxSeconds: 8, searchSeconds: 3 });
  assert.ok(plan.length >= 3, `${plan.length} chunks`);
  // The chunks tile the track: contiguous samples, contiguous times, nothing left out.
  assert.equal(plan[0].first_sample, 0);
  for (let i = 1; i < plan.length; i++) {
    assert.equal(plan[i].first_sample, plan[i - 1].first_sample + plan[i - 1].sample_count);
    assert.equal(plan[i].start, plan[i - 1].end);
    assert.ok(plan[i - 1].end - plan[i - 1].start <= 8);
  }
  const last = plan[plan.length - 1];
  assert.equal(last.first_sample + last.sample_count, audio.sampleCount);
  assert.ok(Math.abs(last.end - index.durationSeconds) < 0.1);

  const video = await videoRanges(FIXTURE);
  let total = 0;
  for (const chunk of plan) {
    const reads: [number, number][] = [];
    const file = await buildChunkFile(audio, chunk, fileReader(FIXTURE, reads));
    total += file.audioBytes;
    assert.equal(file.audioBytes, chunk.bytes);
    assert.equal(file.contentType, "audio/mp4");
    assert.match(file.fileName, /^chunk-\d{4}\.m4a$/);
    for (const r of reads) {
      assert.ok(!video.some((v) => overlaps(r, v)), `read ${r} touches video bytes`);
    }
    if (await hasFfmpeg()) {
      const probe = await probeAndDecode(file.bytes, file.fileName);
      assert.deepEqual(probe.streams.map((s) => s.codec_type), ["audio"]);
      assert.equal(probe.streams[0].codec_name, "aac");
      assert.ok(probe.decodes, `chunk ${chunk.index} decodes`);
      assert.ok(Math.abs(probe.duration - (chunk.end - chunk.start)) < 0.15);
    }
  }
  assert.equal(total, audio.totalBytes, "every audio byte is in exactly one chunk");
});

Deno.test("a file without its moov is refused as incomplete", async () => {
  const bytes = await Deno.readFile(FIXTURE);
  const cut = bytes.slice(0, 300_000);
  const err = await readRecordingIndex((s, e) => Promise.resolve(cut.slice(s, e)), cut.length)
    .catch((e) => e);
  assert.ok(err instanceof MediaError);
  assert.match(err.message, /no index \(moov box\)/);
  const junk = new TextEncoder().encode("not an mp4 at all, just text");
  await assert.rejects(
    readRecordingIndex((s, e) => Promise.resolve(junk.slice(s, e)), junk.length),
    MediaError,
  );
});

Deno.test("a long recording is cut in silences into chunks under the Whisper limit", async () => {
  if (!(await hasFfmpeg())) return;
  const rec = await longRecording(48 * 1024 * 1024);
  const index = await readRecordingIndex(fileReader(rec.path), rec.size);
  const audio = index.audio!;
  assert.ok(index.durationSeconds > 8 * 60, `${index.durationSeconds} s`);
  const plan = planChunks(audio, { maxSeconds: 150, searchSeconds: 70 });
  assert.ok(plan.length >= 4);
  for (const chunk of plan.slice(0, -1)) {
    // Each 60 s segment is ~24 s of speech then silence: a cut lands in the silence.
    const inSegment = chunk.end % 60;
    assert.ok(inSegment > 25 && inSegment < 59.5, `cut at ${chunk.end} s (${inSegment} s in)`);
  }
  for (const chunk of [plan[0], plan[plan.length - 1]]) {
    const file = await buildChunkFile(audio, chunk, fileReader(rec.path));
    assert.ok(file.bytes.length < 25 * 1024 * 1024);
    const probe = await probeAndDecode(file.bytes, file.fileName);
    assert.ok(probe.decodes);
    assert.deepEqual(probe.streams.map((s) => s.codec_type), ["audio"]);
  }
  // A byte cap cuts earlier than the duration cap when the audio is dense.
  const small = planChunks(audio, { maxSeconds: 600, maxBytes: 1_000_000 });
  for (const c of small) assert.ok(c.bytes + 4096 + 8 * c.sample_count <= 1_000_000);
  assert.ok(sampleTime(audio, audio.sampleCount) > index.durationSeconds - 0.1);
});
