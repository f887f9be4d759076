// An EMULATOR of OpenAI's `POST /v1/audio/transcriptions`, for development and tests. It is
// not OpenAI and says so: every transcript starts with "[Transcription émulée]" (or
// "[Emulated transcription]") and describes the audio it received (file, duration), and
// every answer carries `x-emulator: foxeo-openai-emulator`. It behaves as the API documents:
// multipart form, 25 MB limit (413 with OpenAI's message), only the audio formats Whisper
// accepts, the file checked to decode as audio with ffprobe when it is installed, the
// `json`, `text`, `verbose_json` (segments), `srt` and `vtt` formats, errors in OpenAI's
// `{ "error": { message, type, param, code } }` shape. Faults: 429 (with retry-after), 500,
// or a request that never gets an answer. Never part of a deployment.
import { Hono } from "hono";
import { createFile, MP4BoxBuffer } from "mp4box";
import { ffprobeJson, hasFfprobe } from "../ffprobe.ts";

export const OPENAI_EMULATOR_HEADER = "foxeo-openai-emulator";
/** OpenAI's request size limit for audio (26214400 bytes). */
export const MAX_CONTENT_BYTES = 25 * 1024 * 1024;
const FORMATS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"];
const MODELS: Record<string, readonly string[]> = {
  "whisper-1": ["json", "text", "srt", "verbose_json", "vtt"],
  "gpt-4o-transcribe": ["json", "text"],
  "gpt-4o-mini-transcribe": ["json", "text"],
};
const LANGUAGE_NAMES: Record<string, string> = {
  fr: "french",
  en: "english",
  de: "german",
  es: "spanish",
  it: "italian",
  nl: "dutch",
  pt: "portuguese",
};

export type OpenAIFault = "429" | "500" | "hang";

export interface OpenAIEmulatorOptions {
  port?: number;
  hostname?: string;
  /** The API key accepted; default: any key that starts with `sk-`. */
  apiKey?: string;
  /** Check that files decode with ffprobe: "auto" (default) when it is installed. */
  ffprobe?: boolean | "auto";
  /** Length of the emulated segments, seconds (default 8). */
  segmentSeconds?: number;
  /** Seconds announced in `retry-after` on an injected 429 (default 1). */
  retryAfterSeconds?: number;
  /** Where to log each request (default: nowhere). */
  log?: (line: string) => void;
}

export interface ReceivedTranscription {
  fileName: string;
  contentType: string;
  fileBytes: number;
  model: string;
  language: string | null;
  prompt: string | null;
  responseFormat: string;
  /** Streams ffprobe found (codec types), when it ran. */
  streams: string[] | null;
  durationSeconds: number;
  status: number;
}

export interface OpenAIEmulator {
  /** Base URL for the SDK: `http://host:port/v1`. */
  url: string;
  close(): Promise<void>;
  /** The next `times` transcription requests (after `after` normal ones) get this fault. */
  failNext(fault: OpenAIFault, times?: number, options?: { after?: number }): void;
  /** Every transcription request, answered or not. */
  readonly requests: ReceivedTranscription[];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

function errorResponse(e: ApiError, headers: Record<string, string> = {}): Response {
  return new Response(
    JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.code } }),
    {
      status: e.status,
      headers: {
        "content-type": "application/json",
        "x-emulator": OPENAI_EMULATOR_HEADER,
        ...headers,
      },
    },
  );
}

/** Codec types and duration of a file as ffprobe reads it; null when it cannot. */
async function ffprobe(
  bytes: Uint8Array,
  ext: string,
): Promise<{ streams: string[]; duration: number } | null> {
  const dir = await Deno.makeTempDir({ prefix: "openai-emulator-" });
  try {
    const path = `${dir}/upload.${ext}`;
    await Deno.writeFile(path, bytes);
    const { success, json } = await ffprobeJson<{
      streams?: { codec_type: string }[];
      format?: { duration?: string };
    }>(path, "stream=codec_type:format=duration");
    if (!success) return null;
    const streams = (json.streams ?? []).map((s) => s.codec_type);
    return { streams, duration: Number(json.format?.duration ?? NaN) };
  } catch {
    return null;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Duration of an MP4/M4A from its moov, when ffprobe is not there. */
function mp4Duration(bytes: Uint8Array): number | null {
  try {
    const file = createFile();
    file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes.slice().buffer, 0));
    const info = file.getInfo();
    return info.timescale ? info.duration / info.timescale : null;
  } catch {
    return null;
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

function ts(seconds: number, sep: "," | "."): string {
  const ms = Math.round(seconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${
    p(Math.floor(ms / 1000) % 60)
  }${sep}${p(ms % 1000, 3)}`;
}

interface EmulatedSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

function transcribe(
  fileName: string,
  duration: number,
  language: string | null,
  segmentSeconds: number,
): { text: string; segments: EmulatedSegment[] } {
  const english = language === "en";
  const segments: EmulatedSegment[] = [];
  // A remainder under a second joins the last segment, as Whisper never ends on a sliver.
  const count = Math.max(1, Math.ceil(Math.max(0, duration - 1) / segmentSeconds));
  for (let i = 0; i < count; i++) {
    const start = Math.round(i * segmentSeconds * 100) / 100;
    const end = Math.round((i === count - 1 ? duration : (i + 1) * segmentSeconds) * 100) / 100;
    const text = english
      ? ` [Emulated transcription] ${fileName}, ${clock(start)}–${clock(end)} of ${
        clock(duration)
      } of audio received.`
      : ` [Transcription émulée] ${fileName}, ${clock(start)}–${clock(end)} sur ${
        clock(duration)
      } d'audio reçu.`;
    segments.push({
      id: i,
      seek: Math.round(start * 100),
      start,
      end,
      text,
      tokens: [],
      temperature: 0,
      avg_logprob: -0.25,
      compression_ratio: 1.3,
      no_speech_prob: 0.01,
    });
  }
  return { text: segments.map((s) => s.text.trim()).join(" "), segments };
}

export function startOpenAIEmulator(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
  const requests: ReceivedTranscription[] = [];
  const faults: (OpenAIFault | "pass")[] = [];
  const hanging = new Set<() => void>();
  const segmentSeconds = options.segmentSeconds ?? 8;
  const log = options.log ?? (() => {});
  const app = new Hono();

  app.get("/", (c) =>
    c.text(
      "OpenAI transcription EMULATOR (not the OpenAI API): POST /v1/audio/transcriptions\n",
      200,
      { "x-emulator": OPENAI_EMULATOR_HEADER },
    ));

  // Faults from outside the process (the demo page, QA): POST {"fault": "429", "times": 2}.
  app.post("/emulator/faults", async (c) => {
    const body = await c.req.json().catch(() => ({})) as { fault?: string; times?: number };
    if (body.fault !== "429" && body.fault !== "500" && body.fault !== "hang") {
      return c.json({ error: "fault must be 429, 500 or hang" }, 400);
    }
    for (let i = 0; i < Math.max(1, body.times ?? 1); i++) faults.push(body.fault);
    return c.json({ armed: faults.filter((f) => f !== "pass").length });
  });

  app.post("/v1/audio/transcriptions", async (c) => {
    const req = c.req.raw;
    const started = performance.now();
    const requestId = `req_emulated_${crypto.randomUUID().replace(/-/g, "")}`;
    const headers = { "x-request-id": requestId, "openai-version": "2020-10-01" };
    const auth = req.headers.get("authorization");
    const key = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!key) {
      return errorResponse(
        new ApiError(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_request_error",
        ),
        headers,
      );
    }
    if (options.apiKey ? key !== options.apiKey : !key.startsWith("sk-")) {
      return errorResponse(
        new ApiError(
          401,
          `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-4)}.`,
          "invalid_request_error",
          null,
          "invalid_api_key",
        ),
        headers,
      );
    }

    const record: ReceivedTranscription = {
      fileName: "",
      contentType: "",
      fileBytes: 0,
      model: "",
      language: null,
      prompt: null,
      responseFormat: "json",
      streams: null,
      durationSeconds: 0,
      status: 0,
    };
    requests.push(record);
    const answer = (res: Response) => {
      record.status = res.status;
      log(
        `[openai-emulator] POST /v1/audio/transcriptions ${record.fileName || "-"} ` +
          `${record.fileBytes} B → ${res.status} (${Math.round(performance.now() - started)} ms)`,
      );
      res.headers.set("openai-processing-ms", String(Math.round(performance.now() - started)));
      return res;
    };

    const fault = faults.shift();
    if (fault === "hang") {
      // Never answer (the client's own timeout is under test); released when the emulator
      // stops.
      await req.body?.cancel().catch(() => {});
      await new Promise<void>((resolve) => hanging.add(resolve));
      record.status = -1;
      return new Response(null, { status: 499 });
    }
    if (fault === "429") {
      await req.body?.cancel().catch(() => {});
      return answer(errorResponse(
        new ApiError(
          429,
          "Rate limit reached for whisper-1 in organization org-emulated on requests per min (RPM): Limit 50, Used 50, Requested 1. Please try again in 1s.",
          "requests",
          null,
          "rate_limit_exceeded",
        ),
        { ...headers, "retry-after": String(options.retryAfterSeconds ?? 1) },
      ));
    }
    if (fault === "500") {
      await req.body?.cancel().catch(() => {});
      return answer(errorResponse(
        new ApiError(
          500,
          "The server had an error while processing your request. Sorry about that!",
          "server_error",
        ),
        headers,
      ));
    }

    try {
      const length = Number(req.headers.get("content-length") ?? NaN);
      if (length > MAX_CONTENT_BYTES) {
        await req.body?.cancel().catch(() => {});
        throw new ApiError(
          413,
          `Maximum content size limit (${MAX_CONTENT_BYTES}) exceeded (${length} bytes read)`,
          "server_error",
        );
      }
      let form: FormData;
      try {
        form = await req.formData();
      } catch {
        throw new ApiError(400, "Could not parse multipart form", "invalid_request_error");
      }
      const model = form.get("model");
      if (typeof model !== "string" || !model) {
        throw new ApiError(400, "you must provide a model parameter", "invalid_request_error");
      }
      record.model = model;
      const formats = MODELS[model];
      if (!formats) {
        throw new ApiError(
          404,
          `The model \`${model}\` does not exist or you do not have access to it.`,
          "invalid_request_error",
          null,
          "model_not_found",
        );
      }
      const responseFormat = String(form.get("response_format") ?? "json");
      record.responseFormat = responseFormat;
      if (!formats.includes(responseFormat)) {
        throw new ApiError(
          400,
          `response_format '${responseFormat}' is not compatible with model '${model}'. Use ${
            formats.map((f) => `'${f}'`).join(" or ")
          }.`,
          "invalid_request_error",
          "response_format",
          "unsupported_value",
        );
      }
      const language = form.get("language");
      if (language !== null) {
        record.language = String(language);
        if (!/^[a-z]{2}$/.test(record.language)) {
          throw new ApiError(
            400,
            `Invalid language '${record.language}'. Language parameter must be specified in ISO-639-1 format.`,
            "invalid_request_error",
            "language",
            "invalid_value",
          );
        }
      }
      const prompt = form.get("prompt");
      record.prompt = prompt === null ? null : String(prompt);
      const file = form.get("file");
      if (!(file instanceof File)) {
        throw new ApiError(
          400,
          "1 validation error for Request\nbody -> file\n  field required (type=value_error.missing)",
          "invalid_request_error",
        );
      }
      record.fileName = file.name;
      record.contentType = file.type;
      record.fileBytes = file.size;
      if (file.size > MAX_CONTENT_BYTES) {
        throw new ApiError(
          413,
          `Maximum content size limit (${MAX_CONTENT_BYTES}) exceeded (${file.size} bytes read)`,
          "server_error",
        );
      }
      const ext = file.name.includes(".") ? file.name.split(".").pop()!.toLowerCase() : "";
      if (!FORMATS.includes(ext)) {
        throw new ApiError(
          400,
          `Invalid file format. Supported formats: [${FORMATS.map((f) => `'${f}'`).join(", ")}]`,
          "invalid_request_error",
        );
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      let duration: number | null = null;
      const useFfprobe = options.ffprobe === "auto" || options.ffprobe === undefined
        ? await hasFfprobe()
        : options.ffprobe;
      if (useFfprobe) {
        const probe = await ffprobe(bytes, ext);
        record.streams = probe?.streams ?? null;
        if (!probe || !probe.streams.includes("audio") || !Number.isFinite(probe.duration)) {
          throw new ApiError(
            400,
            "Audio file might be corrupted or unsupported",
            "invalid_request_error",
            "file",
            "invalid_value",
          );
        }
        duration = probe.duration;
      } else if (["mp4", "m4a"].includes(ext)) {
        duration = mp4Duration(bytes);
      }
      duration ??= bytes.length / 16_000;
      record.durationSeconds = duration;

      const { text, segments } = transcribe(file.name, duration, record.language, segmentSeconds);
      const usage = { type: "duration", seconds: Math.ceil(duration) };
      const plain = { ...headers, "x-emulator": OPENAI_EMULATOR_HEADER };
      switch (responseFormat) {
        case "text":
          return answer(c.text(`${text}\n`, 200, plain));
        case "srt":
          return answer(c.text(
            segments.map((s, i) =>
              `${i + 1}\n${ts(s.start, ",")} --> ${ts(s.end, ",")}\n${s.text.trim()}\n`
            ).join("\n"),
            200,
            plain,
          ));
        case "vtt":
          return answer(c.text(
            `WEBVTT\n\n${
              segments.map((s) => `${ts(s.start, ".")} --> ${ts(s.end, ".")}\n${s.text.trim()}\n`)
                .join("\n")
            }`,
            200,
            plain,
          ));
        case "verbose_json":
          return answer(c.json(
            {
              task: "transcribe",
              language: LANGUAGE_NAMES[record.language ?? "fr"] ?? record.language ?? "french",
              duration,
              text,
              segments,
              usage,
            },
            200,
            plain,
          ));
        default:
          return answer(c.json({ text, usage }, 200, plain));
      }
    } catch (err) {
      if (err instanceof ApiError) return answer(errorResponse(err, headers));
      throw err;
    }
  });

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => {},
    }, app.fetch);
    resolve({
      url: `http://${options.hostname ?? "127.0.0.1"}:${server.addr.port}/v1`,
      close: async () => {
        for (const release of hanging) release();
        hanging.clear();
        await server.shutdown();
      },
      failNext(fault, times = 1, { after = 0 } = {}) {
        for (let i = 0; i < after; i++) faults.push("pass");
        for (let i = 0; i < times; i++) faults.push(fault);
      },
      requests,
    });
  });
}
