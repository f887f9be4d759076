// Test support for media: the committed fixture, generated long recordings (cached under
// .data/test-media, never committed), range readers that record what they read, and ffmpeg
// checks that skip cleanly where ffmpeg is not installed.
import { ffprobeJson, hasFfprobe } from "../../../demo/emulators/ffprobe.ts";
import { makeLargeRecording } from "../../../demo/fixtures/make_large_recording.ts";
import type { ReadRange } from "./audio.ts";

export const FIXTURE = new URL("../../../demo/fixtures/recording.mp4", import.meta.url).pathname;
const CACHE = new URL("../../../.data/test-media", import.meta.url).pathname;

/** A reader over a local file; each call opens its own handle (safe to run concurrently). */
export function fileReader(path: string, log?: [number, number][]): ReadRange {
  return async (start, end, into) => {
    log?.push([start, end]);
    const file = await Deno.open(path, { read: true });
    try {
      const out = into ?? new Uint8Array(end - start);
      await file.seek(start, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < out.length) {
        const n = await file.read(out.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      return filled === out.length ? out : out.subarray(0, filled);
    } finally {
      file.close();
    }
  };
}

/** Whether the ffmpeg tools run here (checked once): tests that need them skip otherwise. */
export const hasFfmpeg = hasFfprobe;

export interface Probe {
  streams: { codec_type: string; codec_name: string }[];
  duration: number;
  decodes: boolean;
}

/** ffprobe the file's streams and decode it fully with ffmpeg. */
export async function probeAndDecode(bytes: Uint8Array, name = "chunk.m4a"): Promise<Probe> {
  const dir = await Deno.makeTempDir({ prefix: "foxeo-probe-" });
  const path = `${dir}/${name}`;
  try {
    await Deno.writeFile(path, bytes);
    const { json } = await ffprobeJson<{
      streams?: Probe["streams"];
      format?: { duration?: string };
    }>(path, "stream=codec_type,codec_name:format=duration");
    const decode = await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-xerror", "-i", path, "-f", "null", "-"],
      stdout: "null",
      stderr: "piped",
    }).output();
    return {
      streams: json.streams ?? [],
      duration: Number(json.format?.duration ?? 0),
      decodes: decode.success && new TextDecoder().decode(decode.stderr).trim() === "",
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A long recording for tests of at least `bytes`: 360p video at 400 kbit/s (small, so it is quick to make) with
 * the same AAC audio as the benchmark's, moov at the end. Cached between runs.
 */
export function longRecording(bytes: number) {
  return makeLargeRecording({
    bytes,
    workDir: CACHE,
    segmentSeconds: 60,
    videoSize: "640x360",
    videoBitrate: "400k",
  });
}
