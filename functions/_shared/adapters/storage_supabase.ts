// The Supabase Storage adapter (production): supabase-js's storage client (@supabase/storage-js,
// the `supabase.storage` of supabase-js, without the rest of supabase-js: a worker holding
// recordings counts its megabytes) with the service key for small uploads, object info,
// signed URLs and removal; plain HTTP for what it does not do: ranged reads
// (`GET /object/authenticated/…` with `Range`) and resumable uploads over TUS
// (`/storage/v1/upload/resumable`, 6 MB chunks, the upload URL kept in Postgres so another
// invocation continues where this one stopped).
import { StorageClient } from "@supabase/storage-js";
import { z } from "zod";
import { UpstreamError } from "../errors.ts";
import {
  assertObjectPath,
  type ObjectInfo,
  RECORDINGS_BUCKET,
  type ResumableUpload,
  type ResumableUploadOptions,
  type Storage,
} from "./storage.ts";

/** Supabase requires 6 MB TUS chunks (every PATCH but the last). */
export const TUS_CHUNK_SIZE = 6 * 1024 * 1024;
const TUS_VERSION = "1.0.0";

export interface SupabaseStorageOptions {
  /** Project URL, `https://<ref>.supabase.co` (or a local/self-hosted gateway). */
  url: string;
  serviceKey: string;
  bucket?: string;
  fetch?: typeof fetch;
  /**
   * Origin of the TUS endpoint. Hosted projects upload large files to the direct storage host
   * `https://<ref>.storage.supabase.co`; elsewhere it is the project URL.
   */
  resumableUrl?: string;
  chunkSize?: number;
}

const ObjectInfoBody = z.looseObject({
  size: z.number().int().nonnegative().nullable().optional(),
  contentType: z.string().nullable().optional(),
  metadata: z.looseObject({
    size: z.number().optional(),
    mimetype: z.string().optional(),
  }).nullable().optional(),
});

const OffsetHeader = z.coerce.number().int().nonnegative();

/** `https://abc.supabase.co` → `https://abc.storage.supabase.co`; other URLs unchanged. */
export function directStorageUrl(projectUrl: string): string {
  const u = new URL(projectUrl);
  const m = /^([a-z0-9]+)\.supabase\.co$/.exec(u.hostname);
  return m ? `https://${m[1]}.storage.supabase.co` : u.origin + u.pathname.replace(/\/+$/, "");
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Status of a storage-js error, when it has one. */
function statusOf(error: unknown): { status?: number; code?: string } {
  const e = error as { status?: unknown; statusCode?: unknown };
  return {
    status: typeof e?.status === "number" ? e.status : undefined,
    code: typeof e?.statusCode === "string" ? e.statusCode : undefined,
  };
}

function storageFailure(what: string, error: unknown, status?: number): UpstreamError {
  const s = status ?? statusOf(error).status;
  const detail = (error as Error)?.message ?? String(error);
  return new UpstreamError("storage", `${what}: ${s ? `HTTP ${s}, ` : ""}${detail}`, {
    status: s,
    cause: error,
    // Client errors other than conflicts and rate limits will not heal on their own.
    retryable: s === undefined || s >= 500 || s === 408 || s === 409 || s === 429,
  });
}

/** Copy a response body into `into`; the part of `into` that was filled. */
async function readBodyInto(
  body: ReadableStream<Uint8Array>,
  into: Uint8Array,
): Promise<Uint8Array> {
  const reader = body.getReader();
  let filled = 0;
  try {
    while (filled < into.length) {
      const { done, value } = await reader.read();
      if (done) break;
      const n = Math.min(value.length, into.length - filled);
      into.set(value.subarray(0, n), filled);
      filled += n;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return into.subarray(0, filled);
}

export function createSupabaseStorage(options: SupabaseStorageOptions): Storage {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const bucket = options.bucket ?? RECORDINGS_BUCKET;
  const projectUrl = options.url.replace(/\/+$/, "");
  const tusEndpoint = `${
    (options.resumableUrl ?? directStorageUrl(projectUrl)).replace(/\/+$/, "")
  }/storage/v1/upload/resumable`;
  const chunkSize = options.chunkSize ?? TUS_CHUNK_SIZE;
  // New `sb_secret_…` keys go in `apikey` only; legacy service-role JWTs also as a bearer.
  const authHeaders: Record<string, string> = { apikey: options.serviceKey };
  if (options.serviceKey.startsWith("eyJ")) {
    authHeaders.authorization = `Bearer ${options.serviceKey}`;
  }
  const client = new StorageClient(`${projectUrl}/storage/v1`, authHeaders, fetchFn);
  const files = () => client.from(bucket);
  const objectUrl = (path: string) =>
    `${projectUrl}/storage/v1/object/authenticated/${bucket}/${
      path.split("/").map(encodeURIComponent).join("/")
    }`;

  async function headUpload(url: string): Promise<{ offset: number; length: number } | null> {
    const res = await fetchFn(url, {
      method: "HEAD",
      headers: { ...authHeaders, "tus-resumable": TUS_VERSION },
    }).catch((err) => {
      throw storageFailure("Cannot reach the resumable upload", err);
    });
    await res.body?.cancel();
    if (res.status === 404 || res.status === 410) return null;
    if (!res.ok) {
      throw storageFailure("Cannot read the resumable upload's offset", res.statusText, res.status);
    }
    const offset = OffsetHeader.safeParse(res.headers.get("upload-offset"));
    const length = OffsetHeader.safeParse(res.headers.get("upload-length"));
    if (!offset.success || !length.success) {
      throw storageFailure(
        "Resumable upload answered without a valid Upload-Offset",
        "bad headers",
      );
    }
    return { offset: offset.data, length: length.data };
  }

  async function createUpload(path: string, size: number, contentType: string): Promise<string> {
    const metadata = [
      `bucketName ${base64(bucket)}`,
      `objectName ${base64(path)}`,
      `contentType ${base64(contentType)}`,
      `cacheControl ${base64("3600")}`,
    ].join(",");
    const res = await fetchFn(tusEndpoint, {
      method: "POST",
      headers: {
        ...authHeaders,
        "tus-resumable": TUS_VERSION,
        "upload-length": String(size),
        "upload-metadata": metadata,
        "x-upsert": "true",
      },
    }).catch((err) => {
      throw storageFailure(`Cannot start the upload of ${path}`, err);
    });
    const text = await res.text().catch(() => "");
    const location = res.headers.get("location");
    if (res.status !== 201 || !location) {
      throw storageFailure(
        `Cannot start the upload of ${path}`,
        text.trim() || res.statusText,
        res.status,
      );
    }
    return new URL(location, tusEndpoint).toString();
  }

  return {
    kind: "supabase",

    async put(path, data, contentType) {
      assertObjectPath(path);
      const body = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const { error } = await files().upload(path, body, {
        contentType,
        upsert: true,
        cacheControl: "3600",
      });
      if (error) throw storageFailure(`Cannot store ${path}`, error);
    },

    async resumableUpload(path, { size, contentType, resume }: ResumableUploadOptions) {
      assertObjectPath(path);
      let url = resume ?? null;
      let offset = 0;
      const existing = url ? await headUpload(url) : null;
      if (existing && existing.length === size) {
        offset = existing.offset;
      } else {
        url = await createUpload(path, size, contentType);
      }
      const uploadUrl = url!;
      const upload: ResumableUpload & { offset: number } = {
        offset,
        size,
        resume: uploadUrl,
        chunkSize,
        async append(bytes: Uint8Array, signal?: AbortSignal) {
          const last = upload.offset + bytes.length === size;
          if (bytes.length !== chunkSize && !last) {
            throw new RangeError(
              `Resumable upload chunks must be ${chunkSize} bytes (got ${bytes.length})`,
            );
          }
          const res = await fetchFn(uploadUrl, {
            method: "PATCH",
            headers: {
              ...authHeaders,
              "tus-resumable": TUS_VERSION,
              "upload-offset": String(upload.offset),
              "content-type": "application/offset+octet-stream",
            },
            body: bytes as Uint8Array<ArrayBuffer>,
            signal,
          }).catch((err) => {
            throw storageFailure(`Upload of ${path} interrupted at byte ${upload.offset}`, err);
          });
          const text = await res.text().catch(() => "");
          if (res.status !== 204 && res.status !== 200) {
            throw storageFailure(
              `Upload of ${path} refused at byte ${upload.offset}`,
              text.trim() || res.statusText,
              res.status,
            );
          }
          const next = OffsetHeader.safeParse(res.headers.get("upload-offset"));
          if (!next.success || next.data !== upload.offset + bytes.length) {
            throw storageFailure(
              `Upload of ${path} reported offset ${res.headers.get("upload-offset")} after ` +
                `writing up to ${upload.offset + bytes.length}`,
              "offset mismatch",
            );
          }
          upload.offset = next.data;
        },
        close: () => Promise.resolve(),
      };
      return upload;
    },

    async read(path, start, end, options = {}) {
      assertObjectPath(path);
      if (end <= start) return new Uint8Array(0);
      const res = await fetchFn(objectUrl(path), {
        headers: { ...authHeaders, range: `bytes=${start}-${end - 1}` },
        signal: options.signal,
      }).catch((err) => {
        throw storageFailure(`Cannot read ${path}`, err);
      });
      if (res.status !== 206 && res.status !== 200) {
        const text = await res.text().catch(() => "");
        throw storageFailure(
          `Cannot read bytes ${start}-${end - 1} of ${path}`,
          text || res.statusText,
          res.status,
        );
      }
      if (res.status === 206 && options.into?.length === end - start && res.body) {
        return await readBodyInto(res.body, options.into);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      // A 200 is the whole object (the range was not applied): cut it here.
      return res.status === 200 ? bytes.slice(start, end) : bytes;
    },

    async stat(path): Promise<ObjectInfo | null> {
      assertObjectPath(path);
      const { data, error } = await files().info(path);
      if (error) {
        const { status, code } = statusOf(error);
        if (status === 404 || code === "404" || code === "NoSuchKey") return null;
        throw storageFailure(`Cannot read the info of ${path}`, error);
      }
      const info = ObjectInfoBody.safeParse(data);
      if (!info.success) throw storageFailure(`Unexpected info for ${path}`, info.error);
      const size = info.data.size ?? info.data.metadata?.size;
      if (typeof size !== "number") {
        throw storageFailure(`No size in the info of ${path}`, "missing size");
      }
      return { size, contentType: info.data.contentType ?? info.data.metadata?.mimetype ?? null };
    },

    async signedUrl(path, { expiresIn, downloadName }) {
      assertObjectPath(path);
      const { data, error } = await files().createSignedUrl(
        path,
        Math.max(1, Math.floor(expiresIn)),
      );
      if (error || !data?.signedUrl) throw storageFailure(`Cannot sign a link to ${path}`, error);
      // supabase-js runs encodeURI over an already encoded `download` value, which turns
      // "é" or "–" into literal %C3%A9 in the saved file name: add it here, encoded once.
      if (downloadName === undefined) return data.signedUrl;
      return `${data.signedUrl}&download=${encodeURIComponent(downloadName)}`;
    },

    async remove(paths) {
      paths.forEach(assertObjectPath);
      if (!paths.length) return;
      const { error } = await files().remove(paths);
      if (error) throw storageFailure(`Cannot remove ${paths.join(", ")}`, error);
    },
  };
}
