// A file on disk served with HTTP Range, as Spring's resource handler serves OpenVidu's
// recordings: 200 with the whole file, 206 with one byte range, 416 with `bytes */<size>`
// when the range starts past the end. The file is streamed from disk, never read whole: the
// recording can be a multi-gigabyte file.

const CHUNK = 64 * 1024;

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * The single range a `Range` header asks for; null to serve the whole file (no header, a
 * malformed one, or several ranges, which a server may ignore); "unsatisfiable" for 416.
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** A stream of bytes [start, end] of the file at `path`. */
export function fileStream(path: string, start: number, end: number): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let remaining = end - start + 1;
  return new ReadableStream<Uint8Array>({
    async start() {
      file = await Deno.open(path);
      await file.seek(start, Deno.SeekMode.Start);
    },
    async pull(controller) {
      if (remaining <= 0) {
        file?.close();
        file = null;
        controller.close();
        return;
      }
      const buf = new Uint8Array(Math.min(CHUNK, remaining));
      const n = await file!.read(buf);
      if (n === null) {
        file?.close();
        file = null;
        controller.error(new Error(`${path} ended before byte ${end}`));
        return;
      }
      remaining -= n;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      file?.close();
      file = null;
    },
  });
}

export async function serveFile(
  request: Request,
  path: string,
  contentType: string,
  extraHeaders: HeadersInit = {},
): Promise<Response> {
  const stat = await Deno.stat(path);
  const size = stat.size;
  const headers = new Headers(extraHeaders);
  headers.set("content-type", contentType);
  headers.set("accept-ranges", "bytes");
  if (stat.mtime) headers.set("last-modified", stat.mtime.toUTCString());
  const range = parseRange(request.headers.get("range"), size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  headers.set("content-length", String(Math.max(0, end - start + 1)));
  if (range) headers.set("content-range", `bytes ${start}-${end}/${size}`);
  const status = range ? 206 : 200;
  if (request.method === "HEAD" || size === 0) return new Response(null, { status, headers });
  return new Response(fileStream(path, start, end), { status, headers });
}
