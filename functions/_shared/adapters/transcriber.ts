// Speech to text through the real `openai` SDK: one audio-only chunk per request (always
// under Whisper's 25 MB), `verbose_json` with segment timestamps (whisper-1), the meeting's
// language, the previous chunk's text as `prompt` (Whisper keeps only its last 224 tokens),
// and a timeout and retry count that fit inside one worker invocation (the SDK's defaults,
// 10 minutes and 2 retries, would outlive a 150 s Supabase worker).
import OpenAI, { toFile } from "openai";
import { z } from "zod";
import { UpstreamError } from "../errors.ts";

export interface TranscriptSegment {
  /** Seconds from the start of the audio sent. */
  start: number;
  end: number;
  text: string;
}

export interface Transcript {
  text: string;
  /** The language the API reports (a name such as "french"), when it does. */
  language: string | null;
  duration: number | null;
  segments: TranscriptSegment[];
}

export interface TranscribeInput {
  audio: Uint8Array;
  /** With its extension: the API recognizes the format by it. */
  fileName: string;
  contentType: string;
  /** ISO-639-1. */
  language: string;
  /** Text that precedes this audio (the previous chunk's transcript). */
  prompt?: string;
  /** Per-request timeout; default the transcriber's. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Transcriber {
  readonly model: string;
  transcribe(input: TranscribeInput): Promise<Transcript>;
}

export interface OpenAITranscriberOptions {
  apiKey: string;
  /** null or absent: api.openai.com. */
  baseUrl?: string | null;
  model: string;
  fetch?: typeof fetch;
  /** Per request, default 90 s. */
  timeoutMs?: number;
  /** SDK retries of 408/409/429/5xx and connection errors, default 1. */
  maxRetries?: number;
}

const VerboseTranscript = z.looseObject({
  text: z.string(),
  language: z.string().nullish(),
  duration: z.coerce.number().nullish(),
  segments: z.array(z.looseObject({
    start: z.number(),
    end: z.number(),
    text: z.string(),
  })).nullish(),
});

/** About Whisper's 224-token prompt window: the tail of the text, cut at a word. */
export function promptTail(text: string, maxChars = 800): string {
  const t = text.trim();
  if (t.length <= maxChars) return t;
  const tail = t.slice(t.length - maxChars);
  const space = tail.indexOf(" ");
  return (space > 0 && space < 80 ? tail.slice(space + 1) : tail).trim();
}

export function createOpenAITranscriber(options: OpenAITranscriberOptions): Transcriber {
  const timeout = options.timeoutMs ?? 90_000;
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? "https://api.openai.com/v1",
    fetch: options.fetch,
    timeout,
    maxRetries: options.maxRetries ?? 1,
    organization: null,
    project: null,
  });

  return {
    model: options.model,
    async transcribe(input) {
      const what = `Transcription of ${input.fileName}`;
      let raw: unknown;
      try {
        const file = await toFile(input.audio, input.fileName, { type: input.contentType });
        const prompt = input.prompt ? promptTail(input.prompt) : "";
        raw = await client.audio.transcriptions.create({
          file,
          model: options.model,
          language: input.language,
          response_format: "verbose_json",
          timestamp_granularities: ["segment"],
          ...(prompt ? { prompt } : {}),
        }, { timeout: input.timeoutMs ?? timeout, signal: input.signal });
      } catch (err) {
        throw openAIFailure(what, err, input.timeoutMs ?? timeout);
      }
      const parsed = VerboseTranscript.safeParse(raw);
      if (!parsed.success) {
        throw new UpstreamError("openai", `${what}: unexpected answer from the API`, {
          cause: parsed.error,
          retryable: true,
        });
      }
      const body = parsed.data;
      const segments = body.segments?.map((s) => ({ start: s.start, end: s.end, text: s.text })) ??
        // Models without segments: the whole text over the whole chunk.
        [{ start: 0, end: body.duration ?? 0, text: body.text }];
      return {
        text: body.text,
        language: body.language ?? null,
        duration: body.duration ?? null,
        segments,
      };
    },
  };
}

function openAIFailure(what: string, err: unknown, timeoutMs: number): UpstreamError {
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new UpstreamError("openai", `${what} timed out after ${timeoutMs} ms`, {
      cause: err,
      retryable: true,
    });
  }
  if (err instanceof OpenAI.APIUserAbortError) {
    return new UpstreamError("openai", `${what} was cancelled`, { cause: err, retryable: true });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new UpstreamError("openai", `${what} could not reach the API: ${err.message}`, {
      cause: err,
      retryable: true,
    });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    // The 401 message echoes part of the key: say it in our own words.
    const detail = status === 401
      ? "the API key was refused"
      : (err.error as { message?: string } | undefined)?.message ?? err.message;
    return new UpstreamError("openai", `${what} failed: HTTP ${status}: ${detail}`, {
      cause: status === 401 ? undefined : err,
      status,
      retryable: status === undefined || status === 408 || status === 409 || status === 429 ||
        status >= 500,
    });
  }
  return new UpstreamError("openai", `${what} failed: ${(err as Error)?.message ?? err}`, {
    cause: err,
    retryable: true,
  });
}
