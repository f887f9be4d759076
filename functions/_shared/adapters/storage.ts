// The Storage port: the one narrow interface the functions use for recording files and
// transcripts, with two adapters (storage_local.ts for a directory, storage_supabase.ts for
// Supabase Storage). Objects live in the private `recordings` bucket under
// `meetings/<meeting>/<recording>.{mp4,srt,vtt}` (DESIGN §6).

export const RECORDINGS_BUCKET = "recordings";

export interface ObjectInfo {
  size: number;
  contentType: string | null;
}

export interface SignedUrlOptions {
  /** Seconds until the link stops working. */
  expiresIn: number;
  /** Serve as an attachment under this file name. */
  downloadName?: string;
}

/**
 * A large upload of known size, written sequentially and resumable: `offset` is what the
 * storage already holds (read from the storage, not remembered), `resume` is what to keep to
 * continue it from another process.
 */
export interface ResumableUpload {
  readonly offset: number;
  readonly size: number;
  /** Keep this (in Postgres) and hand it back to `resumableUpload` to continue. */
  readonly resume: string;
  /** Every `append` but the last must carry exactly this many bytes. */
  readonly chunkSize: number;
  /** Append the bytes that follow `offset`; the upload completes with the last byte. */
  append(bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Release what the upload holds open (it can be resumed later). */
  close(): Promise<void>;
}

export interface ResumableUploadOptions {
  size: number;
  contentType: string;
  /** What a previous `ResumableUpload.resume` returned, to continue it; null starts afresh. */
  resume?: string | null;
}

export interface Storage {
  readonly kind: "local" | "supabase";
  /** Store a small object whole (transcripts), replacing any previous one. */
  put(path: string, data: Uint8Array | string, contentType: string): Promise<void>;
  /** Start, or continue, a large upload that is streamed in chunks. */
  resumableUpload(path: string, options: ResumableUploadOptions): Promise<ResumableUpload>;
  /**
   * Bytes [start, end) of an object (end exclusive). With `into` (end - start bytes long) the
   * bytes are written there and it is returned: no allocation per read.
   */
  read(
    path: string,
    start: number,
    end: number,
    options?: { signal?: AbortSignal; into?: Uint8Array },
  ): Promise<Uint8Array>;
  /** null when the object does not exist. */
  stat(path: string): Promise<ObjectInfo | null>;
  /** A link anyone holding it may GET (with HTTP Range) until it expires. */
  signedUrl(path: string, options: SignedUrlOptions): Promise<string>;
  remove(paths: string[]): Promise<void>;
}

/** Where the objects of a recording live. */
export function recordingPaths(meetingId: string, recordingId: string) {
  const base = `meetings/${meetingId}/${recordingId}`;
  return { video: `${base}.mp4`, srt: `${base}.srt`, vtt: `${base}.vtt` };
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4a: "audio/mp4",
  srt: "application/x-subrip",
  vtt: "text/vtt",
  json: "application/json",
};

export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

/**
 * Object paths are relative, slash-separated, with no empty, `.` or `..` segment and no
 * control character: nothing can escape the bucket (or the local directory).
 */
export function assertObjectPath(path: string): void {
  const bad = path.length === 0 || path.length > 1024 || path.startsWith("/") ||
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f\\]/.test(path) ||
    path.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) throw new RangeError(`Invalid storage object path: ${JSON.stringify(path)}`);
}

/** One `bytes=` range of an object of `size` bytes, or "invalid" when it cannot be served. */
export function parseRange(
  header: string | null | undefined,
  size: number,
): { start: number; end: number } | "invalid" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "invalid";
  if (m[1] === "") {
    // suffix range: the last N bytes
    const n = Number(m[2]);
    if (n === 0) return "invalid";
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || last < start) return "invalid";
  return { start, end: last + 1 };
}

/** `Content-Disposition` for a download name, as Supabase Storage writes it. */
export function attachmentDisposition(name: string): string {
  const encoded = encodeURIComponent(name);
  return `attachment; filename=${encoded}; filename*=UTF-8''${encoded}`;
}
