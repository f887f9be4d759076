// Copies an OpenVidu recording file into Storage as a stream, one bounded slice at a time:
// the bytes already in Storage (asked of the storage itself, the authority) are never sent
// again, the source is read from there with an HTTP Range, and at most one upload chunk
// (6 MB on Supabase, 1 MB locally) is held in memory, whatever the file's size.
import { UpstreamError } from "../errors.ts";
import type { OpenViduClient } from "../adapters/openvidu.ts";
import type { ResumableUpload, Storage } from "../adapters/storage.ts";

/** Where recording files come from: the OpenVidu client's `fetchRecordingFile`. */
export type RecordingSource = Pick<OpenViduClient, "fetchRecordingFile">;

export interface TransferInput {
  source: RecordingSource;
  storage: Storage;
  /** Storage path of the copy. */
  path: string;
  openviduRecordingId: string;
  /** `<recording name>.mp4` */
  fileName: string;
  /** The size OpenVidu announced (webhook `size`), used when the download does not say it. */
  announcedSize: number | null;
  /** Storage resume state from the previous slice. */
  resume: string | null;
  /** Where the previous slice stopped, as recorded. */
  offset: number;
  /** Stop starting new chunks after this time (epoch ms). */
  deadline: number;
  /** Stop after this many bytes in this slice (tests); default no limit. */
  maxBytes?: number;
  /** Abort a download that sends nothing for this long; default 30 s. */
  stallMs?: number;
  /**
   * Called after stored chunks, at most every `progressEveryMs` (and always before the slice
   * ends); throwing stops the transfer (e.g. a lost lease).
   */
  onProgress(progress: { offset: number; size: number; resume: string }): Promise<void>;
  /** Default 2 s: progress (and the lease) is recorded that often, not for every chunk. */
  progressEveryMs?: number;
  now?: () => number;
}

export interface TransferResult {
  done: boolean;
  offset: number;
  size: number;
  resume: string;
  /** Bytes stored by this slice. */
  bytes: number;
}

/** The local adapter takes any chunk size; batch writes by this much. */
const LOCAL_BATCH = 4 * 1024 * 1024;

export async function transferSlice(input: TransferInput): Promise<TransferResult> {
  const now = input.now ?? Date.now;
  const what = `recording ${input.openviduRecordingId}/${input.fileName}`;
  const stallMs = input.stallMs ?? 30_000;
  const controller = new AbortController();
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const armStall = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => controller.abort(new StallError()), stallMs);
  };

  // The download tells the file's size; the upload needs it to start. (The client's own
  // deadline covers the answer's headers; the stall timer covers the body.)
  let file = await input.source.fetchRecordingFile(input.openviduRecordingId, input.fileName, {
    offset: input.offset,
    signal: controller.signal,
  });
  const size = file.totalSize ?? input.announcedSize;
  if (!size) {
    await file.body.cancel().catch(() => {});
    throw new UpstreamError("openvidu", `OpenVidu did not say how large ${what} is`, {
      retryable: false,
    });
  }

  let upload: ResumableUpload;
  try {
    upload = await input.storage.resumableUpload(input.path, {
      size,
      contentType: "video/mp4",
      resume: input.resume,
    });
  } catch (err) {
    await file.body.cancel().catch(() => {});
    throw err;
  }
  if (upload.offset >= size) {
    await file.body.cancel().catch(() => {});
    return { done: true, offset: size, size, resume: upload.resume, bytes: 0 };
  }
  if (upload.offset !== input.offset) {
    // Storage holds a different amount than recorded (a cut PATCH kept some bytes, or an
    // expired upload started over): download from what storage holds.
    await file.body.cancel().catch(() => {});
    file = await input.source.fetchRecordingFile(input.openviduRecordingId, input.fileName, {
      offset: upload.offset,
      signal: controller.signal,
    });
  }

  // A server that ignored the Range sends from an earlier byte: skip up to the wanted one.
  const skip = upload.offset - file.offset;
  if (skip < 0) {
    await file.body.cancel().catch(() => {});
    throw new UpstreamError("openvidu", `OpenVidu sent ${what} from byte ${file.offset}`, {
      retryable: true,
    });
  }
  const pull = puller(file.body, skip);

  const maxBytes = input.maxBytes ?? Infinity;
  const batch = upload.chunkSize > 1 ? upload.chunkSize : Math.min(LOCAL_BATCH, maxBytes);
  let buffer = new Uint8Array(batch);
  let filled = 0;
  let bytes = 0;
  const started = upload.offset;
  const progressEveryMs = input.progressEveryMs ?? 2000;
  // The first chunk is always recorded: it says "uploading" and saves the resume state.
  let reported = -Infinity;

  try {
    while (upload.offset + filled < size) {
      const want = Math.min(batch - filled, size - upload.offset - filled);
      armStall();
      let view: Uint8Array | null;
      try {
        view = await pull.read(buffer.subarray(filled, filled + want));
      } catch (err) {
        throw new UpstreamError(
          "openvidu",
          controller.signal.reason instanceof StallError
            ? `The download of ${what} stalled for ${stallMs / 1000} s at byte ${
              upload.offset + filled
            }`
            : `The download of ${what} was interrupted at byte ${upload.offset + filled}`,
          { retryable: true, cause: err },
        );
      } finally {
        clearTimeout(stallTimer);
      }
      if (!view) {
        throw new UpstreamError(
          "openvidu",
          `The download of ${what} ended at byte ${upload.offset + filled} of ${size}`,
          { retryable: true },
        );
      }
      // A BYOB read hands the buffer back as a new ArrayBuffer (the old one is detached).
      buffer = new Uint8Array(view.buffer as ArrayBuffer);
      filled += view.length;
      if (filled === batch || upload.offset + filled === size) {
        await upload.append(buffer.subarray(0, filled));
        bytes += filled;
        filled = 0;
        const stopping = upload.offset >= size || now() >= input.deadline ||
          upload.offset - started >= maxBytes;
        if (stopping || now() - reported >= progressEveryMs) {
          await input.onProgress({ offset: upload.offset, size, resume: upload.resume });
          reported = now();
        }
        if (upload.offset >= size) break;
        if (stopping) {
          return { done: false, offset: upload.offset, size, resume: upload.resume, bytes };
        }
      }
    }
    return {
      done: upload.offset >= size,
      offset: upload.offset,
      size,
      resume: upload.resume,
      bytes,
    };
  } finally {
    clearTimeout(stallTimer);
    await pull.cancel();
    await upload.close();
  }
}

interface Puller {
  /** Fill (part of) `into`; the bytes read, or null at the end of the stream. */
  read(into: Uint8Array): Promise<Uint8Array | null>;
  cancel(): Promise<void>;
}

/**
 * Reads a body into the caller's buffer. Fetch bodies are byte streams: a BYOB reader fills
 * the buffer directly, with no allocation per read, so memory stays flat at the one buffer
 * whatever the file's size. Other streams are copied from their chunks.
 */
function puller(body: ReadableStream<Uint8Array>, skip: number): Puller {
  if (skip === 0) {
    try {
      const byob = body.getReader({ mode: "byob" });
      return {
        read: async (into) => {
          const r = await byob.read(into as Uint8Array<ArrayBuffer>);
          return r.done ? null : r.value;
        },
        cancel: () => byob.cancel().catch(() => {}),
      };
    } catch {
      // not a byte stream
    }
  }
  const reader = body.getReader();
  let pending: Uint8Array = new Uint8Array(0);
  let toSkip = skip;
  return {
    async read(into) {
      while (pending.length === 0) {
        const r = await reader.read();
        if (r.done) return null;
        pending = r.value;
        if (toSkip > 0) {
          const n = Math.min(toSkip, pending.length);
          toSkip -= n;
          pending = pending.subarray(n);
        }
      }
      const n = Math.min(into.length, pending.length);
      into.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return into.subarray(0, n);
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

class StallError extends Error {
  constructor() {
    super("download stalled");
  }
}
