// The audio side of a recording, without ever touching its video bytes: mp4box parses the
// box structure (OpenVidu writes the moov at the END, so it is found by following mp4box's
// "next position" past the mdat and read by range), the audio track's sample table is turned
// into compact typed arrays (one Float64 offset, one Float64 time and one Uint32 size per
// AAC frame: ~20 bytes, instead of the ~200-byte objects mp4box's own sample lists cost,
// which a two-hour recording could not afford), chunks are planned on frame boundaries and
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
    const next = file.appendBuffer(buffer);
    position = typeof next === "number" && next > position ? next : position + bytes.length;
    window = Math.min(window * 4, 16 * 1024 * 1024);
  }
  const m = moov()!;
  const traks = m.traks ?? [];
  const audioTrak = traks.find((t) => t.mdia?.hdlr?.handler === "soun");
  return {
    durationSeconds: m.mvhd.timescale ? m.mvhd.duration / m.mvhd.timescale : 0,
    hasVideo: traks.some((t) => t.mdia?.hdlr?.handler === "vide"),
    audio: audioTrak ? indexAudioTrack(audioTrak, m.mvhd.timescale) : null,
    indexBytesRead,
  };
}

/** The ISO BMFF sample-table walk (stsz, stsc, stco/co64, stts), into typed arrays. */
function indexAudioTrack(trak: Trak, movieTimescale: number): AudioTrack {
  const stbl = trak.mdia.minf.stbl;
  const entry = stbl.stsd.entries[0];
  const stsz = stbl.stsz;
  if (!entry || !stsz) throw new MediaError("The audio track has no sample description or sizes");
  const n = stsz.sample_count ?? stsz.sample_sizes.length;
  const sizes = new Uint32Array(n);
  if (stsz.sample_size > 0) sizes.fill(stsz.sample_size);
  else sizes.set(stsz.sample_sizes.slice(0, n));

  const chunkOffsets = (stbl.stco ?? stbl.co64)?.chunk_offsets ?? [];
  const { first_chunk: firstChunk, samples_per_chunk: perChunk } = stbl.stsc;
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
  const { sample_counts: counts, sample_deltas: deltas } = stbl.stts;
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

  // Contiguous runs of samples: [file offset, byte length, position in `out`].
  const runs: [number, number, number][] = [];
  let at = header.length + mdatHeader;
  for (let k = first; k <= last; k++) {
    const prev = runs[runs.length - 1];
    if (prev && prev[0] + prev[1] === track.offsets[k]) prev[1] += track.sizes[k];
    else runs.push([track.offsets[k], track.sizes[k], at]);
    at += track.sizes[k];
  }
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const [offset, length, position] = runs[next++];
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
    Array.from({ length: Math.min(options.concurrency ?? 4, runs.length) }, worker),
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
