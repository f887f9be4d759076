// What the emulator needs to know about the mp4 it serves as every recording: its size and
// duration (OpenVidu reports both when a recording is ready), and, like OpenVidu's ffprobe
// pass after a COMPOSED recording, its resolution, frame rate and whether it has audio.
// ffprobe is used when installed; otherwise the mp4 boxes are read directly (moov may be at
// the end of the file, as in OpenVidu's recordings, so only box headers and moov are read).
import { ffprobeJson } from "../ffprobe.ts";

export interface MediaInfo {
  path: string;
  size: number;
  /** Seconds. */
  duration: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** "WxH", when the file has video. */
  resolution: string | null;
  frameRate: number | null;
  probedWith: "ffprobe" | "mp4";
}

const probed = new Map<string, Promise<MediaInfo>>();

/** Probe `path` (once per path, size and modification time). */
export async function probeMedia(path: string): Promise<MediaInfo> {
  const stat = await Deno.stat(path);
  const key = `${path}|${stat.size}|${stat.mtime?.getTime()}`;
  let info = probed.get(key);
  if (!info) {
    info = probe(path, stat.size);
    probed.set(key, info);
    info.catch(() => probed.delete(key));
  }
  return await info;
}

async function probe(path: string, size: number): Promise<MediaInfo> {
  try {
    return await probeWithFfprobe(path, size);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return await probeMp4(path, size);
}

export async function probeWithFfprobe(path: string, size: number): Promise<MediaInfo> {
  const { success, json, stderr } = await ffprobeJson<{
    format?: { duration?: string };
    streams?: { codec_type?: string; width?: number; height?: number; r_frame_rate?: string }[];
  }>(path, "format=duration:stream=codec_type,width,height,r_frame_rate");
  if (!success) throw new Error(`ffprobe cannot read ${path}: ${stderr.trim()}`);
  const video = json.streams?.find((s) => s.codec_type === "video");
  const audio = json.streams?.find((s) => s.codec_type === "audio");
  const duration = Number(json.format?.duration);
  if (!Number.isFinite(duration)) throw new Error(`ffprobe found no duration in ${path}`);
  let frameRate: number | null = null;
  if (video?.r_frame_rate) {
    const [n, d] = video.r_frame_rate.split("/").map(Number);
    if (n > 0 && d > 0) frameRate = Math.round(n / d);
  }
  return {
    path,
    size,
    duration,
    hasAudio: Boolean(audio),
    hasVideo: Boolean(video),
    resolution: video?.width && video?.height ? `${video.width}x${video.height}` : null,
    frameRate,
    probedWith: "ffprobe",
  };
}

interface Box {
  type: string;
  /** Offset of the payload (after the header) and its length. */
  start: number;
  length: number;
}

function* boxes(view: DataView, start: number, end: number): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(
      view.getUint8(at + 4),
      view.getUint8(at + 5),
      view.getUint8(at + 6),
      view.getUint8(at + 7),
    );
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) return;
    yield { type, start: at + header, length: size - header };
    at += size;
  }
}

export async function probeMp4(path: string, size: number): Promise<MediaInfo> {
  const file = await Deno.open(path);
  try {
    // Walk the top-level boxes by their headers to find moov, wherever it is.
    let at = 0;
    let moov: Uint8Array | null = null;
    const header = new Uint8Array(16);
    while (at + 8 <= size) {
      await file.seek(at, Deno.SeekMode.Start);
      const n = await readFull(file, header);
      if (n < 8) break;
      const view = new DataView(header.buffer);
      let boxSize = view.getUint32(0);
      const type = new TextDecoder().decode(header.subarray(4, 8));
      let headerSize = 8;
      if (boxSize === 1) {
        boxSize = Number(view.getBigUint64(8));
        headerSize = 16;
      } else if (boxSize === 0) boxSize = size - at;
      if (boxSize < headerSize) break;
      if (type === "moov") {
        moov = new Uint8Array(boxSize - headerSize);
        await file.seek(at + headerSize, Deno.SeekMode.Start);
        await readFull(file, moov);
        break;
      }
      at += boxSize;
    }
    if (!moov) throw new Error(`${path} is not a playable mp4: it has no moov box`);
    const view = new DataView(moov.buffer);
    let duration = NaN;
    let hasAudio = false;
    let hasVideo = false;
    let resolution: string | null = null;
    for (const box of boxes(view, 0, moov.length)) {
      if (box.type === "mvhd") {
        const version = view.getUint8(box.start);
        const timescale = view.getUint32(box.start + (version === 1 ? 20 : 12));
        const units = version === 1
          ? Number(view.getBigUint64(box.start + 24))
          : view.getUint32(box.start + 16);
        duration = Math.round((units / timescale) * 1000) / 1000;
      } else if (box.type === "trak") {
        let width = 0;
        let height = 0;
        let handler = "";
        for (const t of boxes(view, box.start, box.start + box.length)) {
          if (t.type === "tkhd") {
            // Width and height are 16.16 fixed point, the last eight bytes of tkhd.
            width = view.getUint32(t.start + t.length - 8) >>> 16;
            height = view.getUint32(t.start + t.length - 4) >>> 16;
          } else if (t.type === "mdia") {
            for (const m of boxes(view, t.start, t.start + t.length)) {
              if (m.type === "hdlr") {
                handler = new TextDecoder().decode(moov.subarray(m.start + 8, m.start + 12));
              }
            }
          }
        }
        if (handler === "soun") hasAudio = true;
        if (handler === "vide") {
          hasVideo = true;
          if (width && height) resolution = `${width}x${height}`;
        }
      }
    }
    if (!Number.isFinite(duration)) throw new Error(`${path} has no movie header (mvhd)`);
    return {
      path,
      size,
      duration,
      hasAudio,
      hasVideo,
      resolution,
      frameRate: null,
      probedWith: "mp4",
    };
  } finally {
    file.close();
  }
}

async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let read = 0;
  while (read < buf.length) {
    const n = await file.read(buf.subarray(read));
    if (n === null) break;
    read += n;
  }
  return read;
}
