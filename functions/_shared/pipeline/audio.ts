// The audio side of a recording, without ever touching its video bytes: mp4box parses the
// box structure (OpenVidu writes the moov at the END, so it is found by following mp4box's
// "next position" past the mdat and read by range), the audio track's sample table is turned
// into compact typed arrays (one Float64 offset, one Float64 time and one Uint32 size per
// AAC frame: ~20 bytes, instead of the ~200-byte objects mp4box's own sample lists cost,
// which a two-hour recording could not afford; the tables themselves are read straight from
// the moov bytes, since mp4box keeps each as a plain array), chunks are planned on frame boundaries and
// preferably in silences, and each chunk becomes a standalone audio-only `.m4a` (ftyp, moov,
// mdat; the original sample entry with its decoder configuration is kept as is) that Whisper
// accepts and ffmpeg decodes.
import { createFile, DataStream, Log, MP4BoxBuffer } from "mp4box";

/**
 * Reads bytes [start, end) of the recording; when `into` is given (of length end - start),
 * fills and returns it instead of allocating.
 */
export type ReadRange = (start: number, end: number, into?: Uint8Array) => Promise<Uint8Array>;

/** A recording that cannot be transcribed as it is; retrying will not help. */
export class MediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MediaError";
  }
}

export interface AudioTrack {
  trackId: number;
  /** RFC 6381 codec string, e.g. `mp4a.40.2`. */
  codec: string;
  timescale: number;
  sampleRate: number;
  channelCount: number;
  sampleCount: number;
  /** Per sample: byte size, file offset, decode time (track timescale). */
  sizes: Uint32Array;
  offsets: Float64Array;
  dts: Float64Array;
  /** Duration of the last sample (track timescale). */
  lastDuration: number;
  /** Presentation time of decode time 0, from the edit list (seconds; negative with priming). */
  zeroSeconds: number;
  /** Sum of all sample sizes: the audio track's size. */
  totalBytes: number;
  /** The original sample entry (e.g. `mp4a` with its `esds`), written unchanged into chunks. */
  sampleEntry: unknown;
}

export interface RecordingIndex {
  /** Movie duration in seconds. */
  durationSeconds: number;
  hasVideo: boolean;
  audio: AudioTrack | null;
  /** Bytes read to find and parse the index (the moov), for the record. */
  indexBytesRead: number;
}

export interface IndexOptions {
  /** Refuse indexes larger than this (a damaged file should not exhaust memory). */
  maxIndexBytes?: number;
}

// mp4box's parsed boxes, as far as this module reads them.
interface Trak {
  tkhd: { track_id: number };
  edts?: { elst?: { entries: { segment_duration: number; media_time: number }[] } };
  mdia: {
    mdhd: { timescale: number; duration: number };
    hdlr: { handler: string };
    minf: {
      stbl: {
        stsd: { entries: SampleEntryBox[] };
        stsz?: { sample_size: number; sample_count: number; sample_sizes: number[] };
        stco?: { chunk_offsets: number[] };
        co64?: { chunk_offsets: number[] };
        stsc: { first_chunk: number[]; samples_per_chunk: number[] };
        stts: { sample_counts: number[]; sample_deltas: number[] };
      };
    };
  };
}
interface SampleEntryBox {
  type: string;
  getCodec(): string;
  getSampleRate(): number | string;
  getChannelCount(): number | string;
  isAudio?(): boolean;
}
interface Moov {
  mvhd: { timescale: number; duration: number };
  traks: Trak[];
}

Log.setLogLevel(Log.error);

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : bytes.slice().buffer;
}

/**
 * Find and parse the recording's moov with mp4box, reading only box headers and the moov
 * itself (never the media data), and index its audio track.
 */
export async function readRecordingIndex(
  read: ReadRange,
  size: number,
  options: IndexOptions = {},
): Promise<RecordingIndex> {
  const maxIndexBytes = options.maxIndexBytes ?? 64 * 1024 * 1024;
  const file = createFile();
  // Sample lists are built below for the audio track only, compactly.
  file.sampleListBuilt = true;
  let position = 0;
  // The first read covers the leading box headers (ftyp, free, the mdat header) and little
  // else; mp4box then names the next position it needs: past the media data.
  let window = 4 * 1024;
  let indexBytesRead = 0;
  let slimmed: SlimIndex | null = null;
  const moov = () => (file as unknown as { moov?: Moov }).moov;
  while (!moov()) {
    if (position >= size) {
      throw new MediaError(
        "The recording has no index (moov box): the file is incomplete or not an MP4",
      );
    }
    // Past the media data, what is left is usually just the moov (OpenVidu writes it last):
    // read it whole when it is small enough, so mp4box parses one buffer.
    const remaining = size - position;
    const want = position > 0 && remaining <= 32 * 1024 * 1024
      ? remaining
      : Math.min(window, remaining);
    if (indexBytesRead + want > maxIndexBytes) {
      throw new MediaError(`The recording's index is larger than ${maxIndexBytes} bytes`);
    }
    // Read straight into the buffer mp4box keeps (its fromArrayBuffer would copy it).
    let buffer = new MP4BoxBuffer(want);
    const bytes = await read(position, position + want, new Uint8Array(buffer));
    if (bytes.length === 0) throw new MediaError(`Unexpected end of the recording at ${position}`);
    if (bytes.buffer !== buffer || bytes.length !== want) {
      buffer = MP4BoxBuffer.fromArrayBuffer(asArrayBuffer(bytes), position);
    }
    buffer.fileStart = position;
    indexBytesRead += bytes.length;
    const slim = slimIndex(new Uint8Array(buffer, 0, bytes.length));
    if (slim) {
      slimmed = slim;
      buffer = MP4BoxBuffer.fromArrayBuffer(slim.bytes.buffer as ArrayBuffer, position);
    }
    const next = file.appendBuffer(buffer);
    position = typeof next === "number" && next > position ? next : position + bytes.length;
    window = Math.min(window * 4, 16 * 1024 * 1024);
  }
  const m = moov()!;
  const traks = m.traks ?? [];
  const audioTrak = traks.find((t) => t.mdia?.hdlr?.handler === "soun");
  const tables = slimmed?.tables ?? (audioTrak ? tablesOf(audioTrak) : null);
  return {
    durationSeconds: m.mvhd.timescale ? m.mvhd.duration / m.mvhd.timescale : 0,
    hasVideo: slimmed?.hasVideo ?? traks.some((t) => t.mdia?.hdlr?.handler === "vide"),
    audio: audioTrak && tables ? indexAudioTrack(audioTrak, tables, m.mvhd.timescale) : null,
    indexBytesRead,
  };
}

/** The sample tables of a track (ISO/IEC 14496-12 §8.6-8.7), as arrays or typed arrays. */
interface SampleTables {
  /** stsz: sizes, or one size for every sample. */
  sampleSize: number;
  sampleCount: number;
  sampleSizes: ArrayLike<number>;
  /** stco or co64. */
  chunkOffsets: ArrayLike<number>;
  /** stsc. */
  firstChunk: ArrayLike<number>;
  samplesPerChunk: ArrayLike<number>;
  /** stts. */
  sampleCounts: ArrayLike<number>;
  sampleDeltas: ArrayLike<number>;
}

/** The tables as mp4box parsed them (a moov that did not come in one read). */
function tablesOf(trak: Trak): SampleTables | null {
  const stbl = trak.mdia.minf.stbl;
  const stsz = stbl.stsz;
  if (!stsz) return null;
  return {
    sampleSize: stsz.sample_size,
    sampleCount: stsz.sample_count ?? stsz.sample_sizes.length,
    sampleSizes: stsz.sample_sizes,
    chunkOffsets: (stbl.stco ?? stbl.co64)?.chunk_offsets ?? [],
    firstChunk: stbl.stsc?.first_chunk ?? [],
    samplesPerChunk: stbl.stsc?.samples_per_chunk ?? [],
    sampleCounts: stbl.stts?.sample_counts ?? [],
    sampleDeltas: stbl.stts?.sample_deltas ?? [],
  };
}

/** The ISO BMFF sample-table walk (stsz, stsc, stco/co64, stts), into typed arrays. */
function indexAudioTrack(trak: Trak, tables: SampleTables, movieTimescale: number): AudioTrack {
  const stbl = trak.mdia.minf.stbl;
  const entry = stbl.stsd.entries[0];
  if (!entry) throw new MediaError("The audio track has no sample description or sizes");
  const n = tables.sampleCount;
  let sizes: Uint32Array;
  if (tables.sampleSizes instanceof Uint32Array && tables.sampleSizes.length === n) {
    sizes = tables.sampleSizes;
  } else {
    sizes = new Uint32Array(n);
    if (tables.sampleSize > 0) sizes.fill(tables.sampleSize);
    else {
      const given = tables.sampleSizes;
      sizes.set(given.length > n ? Array.prototype.slice.call(given, 0, n) : given);
    }
  }

  const { chunkOffsets, firstChunk, samplesPerChunk: perChunk } = tables;
  const offsets = new Float64Array(n);
  let s = 0;
  for (let run = 0; run < firstChunk.length && s < n; run++) {
    const lastChunk = run + 1 < firstChunk.length ? firstChunk[run + 1] - 1 : chunkOffsets.length;
    for (let chunk = firstChunk[run]; chunk <= lastChunk && s < n; chunk++) {
      let offset = chunkOffsets[chunk - 1];
      if (offset === undefined) throw new MediaError("The audio sample table is damaged");
      for (let k = 0; k < perChunk[run] && s < n; k++) {
        offsets[s] = offset;
        offset += sizes[s];
        s++;
      }
    }
  }
  if (s !== n) throw new MediaError(`The audio sample table places ${s} of ${n} samples`);

  const dts = new Float64Array(n);
  let t = 0;
  let i = 0;
  let lastDuration = 0;
  const { sampleCounts: counts, sampleDeltas: deltas } = tables;
  for (let run = 0; run < counts.length && i < n; run++) {
    for (let k = 0; k < counts[run] && i < n; k++) {
      dts[i++] = t;
      t += deltas[run];
      lastDuration = deltas[run];
    }
  }
  if (i !== n) throw new MediaError(`The audio timing table covers ${i} of ${n} samples`);

  const timescale = trak.mdia.mdhd.timescale;
  // Edit list: leading empty edits delay the track; the first real edit skips priming.
  let zeroSeconds = 0;
  for (const e of trak.edts?.elst?.entries ?? []) {
    if (e.media_time === -1) {
      zeroSeconds += movieTimescale ? e.segment_duration / movieTimescale : 0;
    } else {
      zeroSeconds -= e.media_time / timescale;
      break;
    }
  }
  let totalBytes = 0;
  for (let k = 0; k < n; k++) totalBytes += sizes[k];
  return {
    trackId: trak.tkhd.track_id,
    codec: entry.getCodec(),
    timescale,
    sampleRate: Number(entry.getSampleRate()) || timescale,
    channelCount: Number(entry.getChannelCount()) || 2,
    sampleCount: n,
    sizes,
    offsets,
    dts,
    lastDuration,
    zeroSeconds,
    totalBytes,
    sampleEntry: entry,
  };
}

/** Presentation time (seconds) of sample `i`; `i === sampleCount` is the track's end. */
export function sampleTime(track: AudioTrack, i: number): number {
  const media = i < track.sampleCount
    ? track.dts[i]
    : track.dts[track.sampleCount - 1] + track.lastDuration;
  return Math.max(0, track.zeroSeconds + media / track.timescale);
}

// ---------------------------------------------------------------------------
// The moov handed to mp4box
// ---------------------------------------------------------------------------

/**
 * mp4box parses every sample table into a plain array, entry by entry: for a 92-minute
 * recording that is ~25 MB of short-lived heap, built in one synchronous call, so it outlives
 * the young generation and stays until a full collection, while the tables themselves are
 * ~3 MB. So when a read holds the whole moov, mp4box is handed a slim copy of it instead: the
 * movie header and the audio track with its sample description, without any sample table
 * and without the other tracks. The audio track's tables are read here, straight into typed
 * arrays. A moov that does not come in one read (or unusual tables) takes mp4box's own path.
 */
interface SlimIndex {
  /** The bytes before the moov in the read, then the slim moov. */
  bytes: Uint8Array;
  hasVideo: boolean;
  /** The audio track's tables; null when there is no audio track. */
  tables: SampleTables | null;
}

interface BoxRef {
  type: string;
  start: number;
  end: number;
  /** Where the box's content starts (after its header). */
  body: number;
}

/** Per-sample boxes of a sample table, left out of the slim moov (ISO/IEC 14496-12 §8.6-8.7). */
const SAMPLE_TABLES = new Set([
  "stsz",
  "stz2",
  "stco",
  "co64",
  "stsc",
  "stts",
  "ctts",
  "stss",
  "sdtp",
]);

/** The boxes laid end to end in bytes [start, end); stops at the first that does not fit. */
function boxesIn(view: DataView, start: number, end: number): BoxRef[] {
  const boxes: BoxRef[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) break;
    const type = String.fromCharCode(
      view.getUint8(at + 4),
      view.getUint8(at + 5),
      view.getUint8(at + 6),
      view.getUint8(at + 7),
    );
    boxes.push({ type, start: at, end: at + size, body: at + header });
    at += size;
  }
  return boxes;
}

/** A slim index when `bytes` (starting on a box boundary) hold a whole moov; else null. */
function slimIndex(bytes: Uint8Array): SlimIndex | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const moov = boxesIn(view, 0, bytes.length).find((b) => b.type === "moov");
  if (!moov) return null;
  let hasVideo = false;
  let audio: BoxRef | null = null;
  for (const b of boxesIn(view, moov.body, moov.end)) {
    if (b.type !== "trak") continue;
    const handler = handlerOf(view, b);
    if (handler === "vide") hasVideo = true;
    if (handler === "soun" && !audio) audio = b;
  }
  let tables: SampleTables | null = null;
  const parts: Uint8Array[] = [];
  if (audio) {
    const path = ["mdia", "minf", "stbl"];
    const stbl = path.reduce<BoxRef | undefined>(
      (box, type) => box && boxesIn(view, box.body, box.end).find((b) => b.type === type),
      audio,
    );
    if (!stbl) return null;
    tables = readSampleTables(view, boxesIn(view, stbl.body, stbl.end));
    if (!tables) return null;
    // trak > mdia > minf > stbl, each rebuilt without what is left out below it.
    const rebuild = (box: BoxRef, depth: number): Uint8Array => {
      const kept = boxesIn(view, box.body, box.end).flatMap((child) => {
        if (depth === path.length) return SAMPLE_TABLES.has(child.type) ? [] : [slice(child)];
        return [child.type === path[depth] ? rebuild(child, depth + 1) : slice(child)];
      });
      return boxOf(box.type, kept);
    };
    parts.push(rebuild(audio, 0));
  }
  const others = boxesIn(view, moov.body, moov.end).filter((b) => b.type !== "trak").map(slice);
  const slimMoov = boxOf("moov", [...others, ...parts]);
  const out = new Uint8Array(moov.start + slimMoov.length);
  out.set(bytes.subarray(0, moov.start));
  out.set(slimMoov, moov.start);
  return { bytes: out, hasVideo, tables };

  function slice(b: BoxRef) {
    return bytes.subarray(b.start, b.end);
  }
}

/** The handler type of a trak (mdia > hdlr: version/flags, pre_defined, then the type). */
function handlerOf(view: DataView, trak: BoxRef): string {
  const mdia = boxesIn(view, trak.body, trak.end).find((b) => b.type === "mdia");
  const hdlr = mdia && boxesIn(view, mdia.body, mdia.end).find((b) => b.type === "hdlr");
  if (!hdlr || hdlr.body + 12 > hdlr.end) return "";
  const at = hdlr.body + 8;
  return String.fromCharCode(
    view.getUint8(at),
    view.getUint8(at + 1),
    view.getUint8(at + 2),
    view.getUint8(at + 3),
  );
}

/** A plain box of `type` holding `parts`. */
function boxOf(type: string, parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * stsz, stco or co64, stsc and stts (version 0, as mp4box reads them), into typed arrays;
 * null for other layouts (stz2), which mp4box's path handles.
 */
function readSampleTables(view: DataView, stbl: BoxRef[]): SampleTables | null {
  const find = (type: string) => stbl.find((b) => b.type === type);
  const stsz = find("stsz");
  const stco = find("stco") ?? find("co64");
  const stsc = find("stsc");
  const stts = find("stts");
  if (!stsz || !stco || !stsc || !stts) return null;
  if ([stsz, stco, stsc, stts].some((b) => b.body + 8 > b.end || view.getUint8(b.body) !== 0)) {
    return null;
  }
  const damaged = () => new MediaError("The audio sample table is damaged");
  /** The entry count after the version and flags, checked against the box's size. */
  const entries = (box: BoxRef, at: number, bytesPerEntry: number) => {
    const count = view.getUint32(at);
    if (at + 4 + count * bytesPerEntry > box.end) throw damaged();
    return count;
  };

  const sampleSize = view.getUint32(stsz.body + 4);
  const sampleCount = sampleSize === 0
    ? entries(stsz, stsz.body + 8, 4)
    : view.getUint32(stsz.body + 8);
  const sampleSizes = new Uint32Array(sampleCount);
  if (sampleSize > 0) sampleSizes.fill(sampleSize);
  else {for (let i = 0, at = stsz.body + 12; i < sampleCount; i++, at += 4) {
      sampleSizes[i] = view.getUint32(at);
    }}

  const wide = stco.type === "co64";
  const chunks = entries(stco, stco.body + 4, wide ? 8 : 4);
  const chunkOffsets = new Float64Array(chunks);
  for (let i = 0, at = stco.body + 8; i < chunks; i++) {
    chunkOffsets[i] = wide ? Number(view.getBigUint64(at)) : view.getUint32(at);
    at += wide ? 8 : 4;
  }

  const runs = entries(stsc, stsc.body + 4, 12);
  const firstChunk = new Uint32Array(runs);
  const samplesPerChunk = new Uint32Array(runs);
  for (let i = 0, at = stsc.body + 8; i < runs; i++, at += 12) {
    firstChunk[i] = view.getUint32(at);
    samplesPerChunk[i] = view.getUint32(at + 4);
  }

  const timings = entries(stts, stts.body + 4, 8);
  const sampleCounts = new Uint32Array(timings);
  const sampleDeltas = new Uint32Array(timings);
  for (let i = 0, at = stts.body + 8; i < timings; i++, at += 8) {
    sampleCounts[i] = view.getUint32(at);
    // A negative delta is read as 1, as mp4box does.
    const delta = view.getInt32(at + 4);
    sampleDeltas[i] = delta < 0 ? 1 : delta;
  }
  return {
    sampleSize,
    sampleCount,
    sampleSizes,
    chunkOffsets,
    firstChunk,
    samplesPerChunk,
    sampleCounts,
    sampleDeltas,
  };
}

// ---------------------------------------------------------------------------
// Chunk planning
// ---------------------------------------------------------------------------

export interface ChunkPlan {
  index: number;
  first_sample: number;
  sample_count: number;
  /** Seconds from the start of the recording. */
  start: number;
  end: number;
  /** Audio payload bytes (the file adds a small header). */
  bytes: number;
}

export interface PlanOptions {
  /** Longest chunk, in seconds. */
  maxSeconds?: number;
  /** Largest chunk file, in bytes (Whisper takes at most 25 MB per request). */
  maxBytes?: number;
  /** How far back from the longest cut to look for a silence, in seconds. */
  searchSeconds?: number;
}

export const CHUNK_DEFAULTS = {
  maxSeconds: 600,
  maxBytes: 24_000_000,
  searchSeconds: 90,
} as const;

/** Bytes a chunk file adds to its samples (ftyp, moov with 8 bytes of tables per sample). */
export function chunkOverhead(sampleCount: number): number {
  return 4096 + 8 * sampleCount;
}

/**
 * Cut the audio track into chunks on sample boundaries, each within `maxSeconds` and
 * `maxBytes`. A cut falls where the encoded audio is smallest over half a second (AAC
 * spends few bytes on silence), within the last `searchSeconds` before the limit.
 */
export function planChunks(track: AudioTrack, options: PlanOptions = {}): ChunkPlan[] {
  const maxSeconds = options.maxSeconds ?? CHUNK_DEFAULTS.maxSeconds;
  const maxBytes = options.maxBytes ?? CHUNK_DEFAULTS.maxBytes;
  const searchSeconds = Math.min(
    options.searchSeconds ?? CHUNK_DEFAULTS.searchSeconds,
    maxSeconds / 2,
  );
  const n = track.sampleCount;
  const chunks: ChunkPlan[] = [];
  if (n === 0) return chunks;
  const time = (i: number) => sampleTime(track, i);
  const perSample = n > 1 ? (time(n) - time(0)) / n : 0.02;
  const quietWindow = Math.max(1, Math.round(0.5 / Math.max(perSample, 1e-3)));

  let first = 0;
  while (first < n) {
    const startTime = time(first);
    // The longest chunk allowed from `first`.
    let limit = first;
    let bytes = 0;
    while (
      limit < n &&
      time(limit + 1) - startTime <= maxSeconds &&
      bytes + track.sizes[limit] + chunkOverhead(limit - first + 1) <= maxBytes
    ) {
      bytes += track.sizes[limit];
      limit++;
    }
    if (limit === first) {
      throw new MediaError(`Audio sample ${first} does not fit in a ${maxBytes}-byte chunk`);
    }
    let cut = limit;
    if (limit < n) {
      const earliest = Math.max(
        first + 1,
        firstAtOrAfter(track, time(limit) - searchSeconds, first),
      );
      cut = quietestCut(track.sizes, earliest, limit, quietWindow);
    }
    let payload = 0;
    for (let k = first; k < cut; k++) payload += track.sizes[k];
    chunks.push({
      index: chunks.length,
      first_sample: first,
      sample_count: cut - first,
      start: round3(startTime),
      end: round3(time(cut)),
      bytes: payload,
    });
    first = cut;
  }
  return chunks;
}

function firstAtOrAfter(track: AudioTrack, seconds: number, from: number): number {
  let lo = from;
  let hi = track.sampleCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sampleTime(track, mid) < seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The cut in [lo, hi]: windows of `w` samples are scored by their bytes; among the quietest
 * (within 5% of the minimum), the longest stretch wins and the cut falls in its middle, so a
 * pause is split in two rather than clipped at the last word.
 */
function quietestCut(sizes: Uint32Array, lo: number, hi: number, w: number): number {
  if (hi - lo <= w) return hi;
  const windows = hi - lo - w + 1;
  const sums = new Float64Array(windows);
  let sum = 0;
  for (let k = lo; k < lo + w; k++) sum += sizes[k];
  sums[0] = sum;
  let min = sum;
  for (let i = 1; i < windows; i++) {
    sum += sizes[lo + i + w - 1] - sizes[lo + i - 1];
    sums[i] = sum;
    if (sum < min) min = sum;
  }
  const quiet = min * 1.05 + w;
  let bestStart = 0;
  let bestLength = 0;
  for (let i = 0; i < windows;) {
    if (sums[i] > quiet) {
      i++;
      continue;
    }
    let j = i;
    while (j < windows && sums[j] <= quiet) j++;
    if (j - i > bestLength) {
      bestLength = j - i;
      bestStart = i;
    }
    i = j;
  }
  // The stretch of quiet windows covers samples [start, start + length + w - 1).
  return lo + bestStart + ((bestLength + w - 1) >> 1);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---------------------------------------------------------------------------
// Chunk files
// ---------------------------------------------------------------------------

export interface AudioChunkFile {
  /** A complete audio-only MP4 (`.m4a`). */
  bytes: Uint8Array;
  /** Of which audio samples. */
  audioBytes: number;
  fileName: string;
  contentType: "audio/mp4";
}

/**
 * Build the `.m4a` of one planned chunk, reading only its audio samples (contiguous runs are
 * read in one range each, a few at a time).
 */
export async function buildChunkFile(
  track: AudioTrack,
  chunk: ChunkPlan,
  read: ReadRange,
  options: {
    concurrency?: number;
    /** Write the file here when it is large enough (one buffer for every chunk of a slice). */
    buffer?: Uint8Array;
  } = {},
): Promise<AudioChunkFile> {
  const first = chunk.first_sample;
  const count = chunk.sample_count;
  const last = first + count - 1;
  if (count <= 0 || last >= track.sampleCount) {
    throw new MediaError(`Chunk ${chunk.index} does not match the audio track`);
  }
  const header = chunkHeader(track, first, count);
  let payload = 0;
  for (let k = first; k <= last; k++) payload += track.sizes[k];
  const mdatHeader = 8;
  const total = header.length + mdatHeader + payload;
  const out = options.buffer && options.buffer.length >= total
    ? options.buffer.subarray(0, total)
    : new Uint8Array(total);
  out.set(header, 0);
  // The mdat box header: 32-bit size and type (a chunk is far below 4 GB).
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(
    header.length,
    mdatHeader + payload,
  );
  out.set([0x6d, 0x64, 0x61, 0x74], header.length + 4);

  // Contiguous runs of samples (one per video frame the audio is interleaved with: ~12 000
  // in a 10-minute chunk), in typed arrays: file offset, byte length, position in `out`.
  let runCount = 0;
  for (let k = first; k <= last; k++) {
    if (k === first || track.offsets[k - 1] + track.sizes[k - 1] !== track.offsets[k]) runCount++;
  }
  const runOffsets = new Float64Array(runCount);
  const runLengths = new Uint32Array(runCount);
  const runPositions = new Uint32Array(runCount);
  let at = header.length + mdatHeader;
  for (let k = first, r = -1; k <= last; k++) {
    if (k === first || track.offsets[k - 1] + track.sizes[k - 1] !== track.offsets[k]) {
      r++;
      runOffsets[r] = track.offsets[k];
      runPositions[r] = at;
    }
    runLengths[r] += track.sizes[k];
    at += track.sizes[k];
  }
  let next = 0;
  const worker = async () => {
    while (next < runCount) {
      const run = next++;
      const offset = runOffsets[run];
      const length = runLengths[run];
      const position = runPositions[run];
      const target = out.subarray(position, position + length);
      const bytes = await read(offset, offset + length, target);
      if (bytes.length !== length) {
        throw new MediaError(
          `Short read of audio at ${offset}: ${bytes.length} of ${length} bytes`,
        );
      }
      if (bytes !== target) target.set(bytes);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 4, runCount) }, worker),
  );

  return {
    bytes: out,
    audioBytes: payload,
    fileName: `chunk-${String(chunk.index + 1).padStart(4, "0")}.m4a`,
    contentType: "audio/mp4",
  };
}

/** ftyp + moov of an audio-only file holding samples [first, first + count) in one mdat chunk. */
function chunkHeader(track: AudioTrack, first: number, count: number): Uint8Array {
  const last = first + count - 1;
  const durationOf = (k: number) =>
    k + 1 < track.sampleCount ? track.dts[k + 1] - track.dts[k] : track.lastDuration;
  let duration = 0;
  const counts: number[] = [];
  const deltas: number[] = [];
  for (let k = first; k <= last; k++) {
    const d = durationOf(k);
    duration += d;
    if (deltas.length && deltas[deltas.length - 1] === d) counts[counts.length - 1]++;
    else {
      counts.push(1);
      deltas.push(d);
    }
  }

  const file = createFile();
  file.addTrack(
    {
      type: "mp4a",
      timescale: track.timescale,
      duration,
      media_duration: duration,
      brands: ["M4A ", "isom", "iso2", "mp41"],
      hdlr: "soun",
      name: "SoundHandler",
      samplerate: track.sampleRate,
      channel_count: track.channelCount,
      samplesize: 16,
    } as Parameters<typeof file.addTrack>[0],
  );
  // deno-lint-ignore no-explicit-any
  const f = file as any;
  f.ftyp.major_brand = "M4A ";
  f.ftyp.minor_version = 512;
  const moov = f.moov;
  // addTrack prepares a fragmented file (mvex); this one is a plain, complete file.
  moov.boxes = moov.boxes.filter((b: { type: string }) => b.type !== "mvex");
  moov.mvex = undefined;
  moov.mvhd.duration = duration;
  const trak = moov.traks[0];
  trak.tkhd.duration = duration;
  trak.tkhd.width = 0;
  trak.tkhd.height = 0;
  trak.tkhd.alternate_group = 1;
  const mdia = trak.mdia;
  mdia.boxes = mdia.boxes.filter((b: { type: string }) => b.type !== "elng");
  mdia.elng = undefined;
  mdia.mdhd.language = 0x55c4; // "und", packed ISO-639-2/T
  const stbl = mdia.minf.stbl;
  // The recording's own sample entry (mp4a + esds decoder configuration), unchanged.
  stbl.stsd.entries = [track.sampleEntry];
  stbl.stts.sample_counts = counts;
  stbl.stts.sample_deltas = deltas;
  stbl.stsc.first_chunk = [1];
  stbl.stsc.samples_per_chunk = [count];
  stbl.stsc.sample_description_index = [1];
  stbl.stsz.sample_size = 0;
  // A copy starting at offset 0: mp4box's fast path copies from the array's buffer start.
  stbl.stsz.sample_sizes = track.sizes.slice(first, last + 1);

  const write = () => {
    const stream = new DataStream();
    f.ftyp.write(stream);
    moov.write(stream);
    return new Uint8Array(stream.buffer as ArrayBuffer, 0, stream.getPosition()).slice();
  };
  // The single chunk offset points just past ftyp + moov + the mdat header; its width does
  // not change the moov's size, so one measuring pass is enough.
  stbl.stco.chunk_offsets = [0];
  const size = write().length;
  stbl.stco.chunk_offsets = [size + 8];
  return write();
}
