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
  /** Called after each stored chunk; throwing stops the transfer (e.g. a lost lease). */
  onProgress(progress: { offset: number; size: number; resume: string }): Promise<void>;
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
const LOCAL_BATCH = 1024 * 1024;

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

  const reader = file.body.getReader();
  // A server that ignored the Range sends from an earlier byte: skip up to the wanted one.
  let skip = upload.offset - file.offset;
  if (skip < 0) {
    await reader.cancel().catch(() => {});
    throw new UpstreamError("openvidu", `OpenVidu sent ${what} from byte ${file.offset}`, {
      retryable: true,
    });
  }

  const maxBytes = input.maxBytes ?? Infinity;
  const batch = upload.chunkSize > 1 ? upload.chunkSize : Math.min(LOCAL_BATCH, maxBytes);
  const buffer = new Uint8Array(batch);
  let filled = 0;
  let bytes = 0;
  const started = upload.offset;

  const flush = async () => {
    await upload.append(buffer.subarray(0, filled));
    bytes += filled;
    filled = 0;
    await input.onProgress({ offset: upload.offset, size, resume: upload.resume });
  };

  try {
    while (upload.offset + filled < size) {
      armStall();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
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
      if (chunk.done) {
        throw new UpstreamError(
          "openvidu",
          `The download of ${what} ended at byte ${upload.offset + filled} of ${size}`,
          { retryable: true },
        );
      }
      let data = chunk.value;
      if (skip > 0) {
        const n = Math.min(skip, data.length);
        skip -= n;
        data = data.subarray(n);
      }
      while (data.length > 0) {
        const n = Math.min(batch - filled, data.length, size - upload.offset - filled);
        buffer.set(data.subarray(0, n), filled);
        filled += n;
        data = data.subarray(n);
        if (filled === batch || upload.offset + filled === size) {
          await flush();
          if (upload.offset >= size) break;
          const spent = upload.offset - started;
          if (now() >= input.deadline || spent >= maxBytes) {
            return { done: false, offset: upload.offset, size, resume: upload.resume, bytes };
          }
        }
      }
    }
    if (filled > 0) await flush();
    return {
      done: upload.offset >= size,
      offset: upload.offset,
      size,
      resume: upload.resume,
      bytes,
    };
  } finally {
    clearTimeout(stallTimer);
    await reader.cancel().catch(() => {});
  }
}

class StallError extends Error {
  constructor() {
    super("download stalled");
  }
}
