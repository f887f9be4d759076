// The local Storage adapter (embedded default and tests): objects are files under
// `<dir>/<bucket>/`, large uploads grow in `<dir>/.uploads/` and are renamed into place when
// complete, and signed links are HS256 tokens (HMAC of the object and its expiry) served by
// `createLocalStorageApp` at `/storage/v1/object/sign/<bucket>/<path>?token=…` with HTTP
// Range, the same URL shape Supabase Storage uses. Local only: never deployed.
import * as jose from "jose";
import type { Hono } from "hono";
import { type AppEnv, createApp } from "../app.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  assertObjectPath,
  attachmentDisposition,
  contentTypeOf,
  type ObjectInfo,
  parseRange,
  RECORDINGS_BUCKET,
  type ResumableUpload,
  type ResumableUploadOptions,
  type SignedUrlOptions,
  type Storage,
} from "./storage.ts";

export interface LocalStorageOptions {
  /** Root directory; objects go to `<dir>/<bucket>/<path>`. */
  dir: string;
  bucket?: string;
  /** Secret the link tokens are signed with (the service key in local runs). */
  signingSecret: string;
  /** Origin the signed links point at, e.g. `http://127.0.0.1:54321`. */
  publicUrl: string;
}

const UPLOADS = ".uploads";
const READ_BLOCK = 256 * 1024;
/** Reads up to this size are served synchronously (see readSmall). */
const SMALL_READ = 64 * 1024;
/** Synchronous reads hand the event loop back at least this often (ms). */
const SYNC_SLICE_MS = 5;

async function signingKey(secret: string): Promise<Uint8Array> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`foxeo-visio local storage links\n${secret}`),
  );
  return new Uint8Array(digest);
}

function join(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "." : path.slice(0, i);
}

async function exists(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Read exactly `length` bytes from `file` at `position` (fewer only at end of file). */
async function readAt(
  file: Deno.FsFile,
  position: number,
  length: number,
  into?: Uint8Array,
): Promise<Uint8Array> {
  const out = into && into.length === length ? into : new Uint8Array(length);
  await file.seek(position, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === length ? out : out.slice(0, filled);
}

/**
 * A small read, done synchronously. An audio chunk is assembled from ~12 000 reads of a few
 * hundred bytes (one per video frame the audio is interleaved with); as four async file
 * operations each (open, seek, read, close), they cost ~100 µs and a few hundred bytes of
 * garbage per read, which grew the worker's heap by ~20 MB over a 1 GB recording (measured
 * with `npm run bench`). Synchronously a read takes ~10 µs from the page cache and leaves
 * nothing behind. Every few milliseconds of such reads, the event loop gets a turn, so the
 * requests served by the same process (the local worker loop runs inside the functions) do
 * not wait for a whole chunk.
 */
let syncSliceStarted = 0;
async function readSmall(path: string, position: number, length: number, into?: Uint8Array) {
  if (performance.now() - syncSliceStarted > SYNC_SLICE_MS) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    syncSliceStarted = performance.now();
  }
  const out = into && into.length === length ? into : new Uint8Array(length);
  const file = Deno.openSync(path, { read: true });
  try {
    file.seekSync(position, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < length) {
      const n = file.readSync(out.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return filled === length ? out : out.slice(0, filled);
  } finally {
    file.close();
  }
}

async function writeAllAt(file: Deno.FsFile, position: number, bytes: Uint8Array): Promise<void> {
  await file.seek(position, Deno.SeekMode.Start);
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

export function createLocalStorage(options: LocalStorageOptions): Storage {
  const bucket = options.bucket ?? RECORDINGS_BUCKET;
  const root = options.dir.replace(/\/+$/, "");
  const objectFile = (path: string) => {
    assertObjectPath(path);
    return join(root, bucket, path);
  };
  const publicUrl = options.publicUrl.replace(/\/+$/, "");
  const key = signingKey(options.signingSecret);

  return {
    kind: "local",

    async put(path, data, _contentType) {
      const target = objectFile(path);
      await Deno.mkdir(dirname(target), { recursive: true });
      const tmp = `${target}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(tmp, typeof data === "string" ? new TextEncoder().encode(data) : data);
      await Deno.rename(tmp, target);
    },

    async resumableUpload(path, { size, resume }: ResumableUploadOptions) {
      const target = objectFile(path);
      const done = await exists(target);
      const uploads = join(root, UPLOADS);
      let id = resume && /^[0-9a-f-]{36}$/.test(resume) ? resume : null;
      let part = id ? join(uploads, id) : null;
      let offset = part ? (await exists(part))?.size ?? -1 : -1;
      if (offset < 0) {
        if (done?.size === size && resume) {
          // Finished earlier (the process stopped before recording it): nothing to redo.
          return completed(size, resume);
        }
        id = crypto.randomUUID();
        part = join(uploads, id);
        await Deno.mkdir(uploads, { recursive: true });
        await Deno.writeFile(part, new Uint8Array(0));
        offset = 0;
      }
      if (offset > size) {
        throw new Error(`Upload ${id} holds ${offset} bytes, more than the ${size} expected`);
      }
      const partFile = part!;
      let handle: Promise<Deno.FsFile> | null = null;
      const upload = {
        offset,
        size,
        resume: id!,
        chunkSize: 1,
        async append(bytes: Uint8Array) {
          if (upload.offset + bytes.length > size) {
            throw new RangeError(`Upload ${id} would exceed its ${size} bytes`);
          }
          // Positional writes: a stale writer that lost its lease can only rewrite the same
          // source bytes at the same offsets.
          handle ??= Deno.open(partFile, { write: true });
          try {
            await writeAllAt(await handle, upload.offset, bytes);
          } catch (err) {
            await upload.close();
            throw err;
          }
          upload.offset += bytes.length;
          if (upload.offset === size) {
            await upload.close();
            await Deno.mkdir(dirname(target), { recursive: true });
            await Deno.rename(partFile, target);
          }
        },
        async close() {
          const h = handle;
          handle = null;
          if (h) (await h.catch(() => null))?.close();
        },
      };
      if (offset === size) {
        // Every byte was written before the process stopped: only the rename is left.
        await Deno.mkdir(dirname(target), { recursive: true });
        await Deno.rename(partFile, target);
      }
      return upload;
    },

    async read(path, start, end, options) {
      const length = Math.max(0, end - start);
      if (length <= SMALL_READ) {
        return await readSmall(objectFile(path), start, length, options?.into);
      }
      // A handle per read: large reads of one file run side by side.
      const file = await Deno.open(objectFile(path), { read: true });
      try {
        return await readAt(file, start, length, options?.into);
      } finally {
        file.close();
      }
    },

    async stat(path): Promise<ObjectInfo | null> {
      const info = await exists(objectFile(path));
      return info?.isFile ? { size: info.size, contentType: contentTypeOf(path) } : null;
    },

    async signedUrl(path, { expiresIn, downloadName }: SignedUrlOptions) {
      assertObjectPath(path);
      const token = await new jose.SignJWT({ url: `${bucket}/${path}` })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(expiresIn)))
        .sign(await key);
      const query = new URLSearchParams({ token });
      if (downloadName !== undefined) query.set("download", downloadName);
      const encodedPath = path.split("/").map(encodeURIComponent).join("/");
      return `${publicUrl}/storage/v1/object/sign/${bucket}/${encodedPath}?${query}`;
    },

    async remove(paths) {
      for (const path of paths) {
        await Deno.remove(objectFile(path)).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
      }
    },
  };
}

function completed(size: number, resume: string): ResumableUpload {
  return {
    offset: size,
    size,
    resume,
    chunkSize: 1,
    append: () => Promise.reject(new RangeError("The upload is already complete")),
    close: () => Promise.resolve(),
  };
}

// ---------------------------------------------------------------------------
// The signed-link server
// ---------------------------------------------------------------------------

export interface LocalStorageAppOptions {
  dir: string;
  signingSecret: string;
  logger: Logger;
}

/**
 * Serves local signed links: GET and HEAD `/storage/v1/object/sign/<bucket>/<path>?token=…`
 * with `Range` (206, 416), `Content-Disposition` when `download` is given, and CORS open to
 * every origin (the token is the credential, as with Supabase signed URLs).
 */
export function createLocalStorageApp(options: LocalStorageAppOptions): Hono<AppEnv> {
  const app = createApp("storage", { logger: options.logger, allowedOrigins: "*" });
  const root = options.dir.replace(/\/+$/, "");
  const key = signingKey(options.signingSecret);
  const PREFIX = "/storage/v1/object/sign/";

  // Hono answers HEAD with this GET route and drops the body.
  app.get("/v1/object/sign/*", async (c) => {
    const pathname = new URL(c.req.url).pathname;
    const rest = pathname.slice(pathname.indexOf(PREFIX) + PREFIX.length);
    let objectKey: string;
    try {
      objectKey = rest.split("/").map(decodeURIComponent).join("/");
    } catch {
      throw new AppError("invalid_request", "Malformed object path");
    }
    const slash = objectKey.indexOf("/");
    const bucket = objectKey.slice(0, slash);
    const path = objectKey.slice(slash + 1);
    try {
      assertObjectPath(path);
      assertObjectPath(bucket);
    } catch {
      throw new AppError("invalid_request", "Malformed object path");
    }

    const token = c.req.query("token");
    if (!token) throw new AppError("unauthorized", "Signed link has no token");
    try {
      const { payload } = await jose.jwtVerify(token, await key, { algorithms: ["HS256"] });
      if (payload.url !== objectKey) throw new Error("token is for another object");
    } catch (err) {
      if (err instanceof jose.errors.JWTExpired) {
        throw new AppError("unauthorized", "Signed link expired");
      }
      throw new AppError("unauthorized", "Invalid signed link");
    }

    const file = join(root, bucket, path);
    const info = await exists(file);
    if (!info?.isFile) throw new AppError("not_found", "Object not found");

    const size = info.size;
    const headers = new Headers({
      "accept-ranges": "bytes",
      "content-type": contentTypeOf(path),
      "cache-control": "private, no-cache",
      "last-modified": (info.mtime ?? new Date()).toUTCString(),
    });
    const download = c.req.query("download");
    if (download !== undefined) {
      headers.set(
        "content-disposition",
        download === "" ? "attachment;" : attachmentDisposition(download),
      );
    }
    const range = parseRange(c.req.header("range"), size);
    if (range === "invalid") {
      headers.set("content-range", `bytes */${size}`);
      return new Response(null, { status: 416, headers });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size;
    headers.set("content-length", String(end - start));
    if (range) headers.set("content-range", `bytes ${start}-${end - 1}/${size}`);
    return new Response(fileRangeStream(file, start, end), { status: range ? 206 : 200, headers });
  });

  return app;
}

/** Stream bytes [start, end) of a file without holding more than one block. */
function fileRangeStream(path: string, start: number, end: number): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let position = start;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!file) {
          file = await Deno.open(path, { read: true });
          await file.seek(start, Deno.SeekMode.Start);
        }
        const want = Math.min(READ_BLOCK, end - position);
        if (want <= 0) {
          file.close();
          file = null;
          controller.close();
          return;
        }
        const buf = new Uint8Array(want);
        const n = await file.read(buf);
        if (n === null) {
          file.close();
          file = null;
          controller.close();
          return;
        }
        position += n;
        controller.enqueue(n === want ? buf : buf.subarray(0, n));
      } catch (err) {
        file?.close();
        file = null;
        controller.error(err);
      }
    },
    cancel() {
      file?.close();
      file = null;
    },
  });
}
