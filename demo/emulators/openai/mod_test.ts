// The OpenAI emulator answers as the transcription API documents, over raw HTTP.
import assert from "node:assert/strict";
import { MAX_CONTENT_BYTES, OPENAI_EMULATOR_HEADER, startOpenAIEmulator } from "./mod.ts";

const FIXTURE = new URL("../../fixtures/recording.mp4", import.meta.url);
const KEY = "sk-emulator-test";

async function hasFfprobe() {
  try {
    return (await new Deno.Command("ffprobe", { args: ["-version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

function form(fields: Record<string, string>, file?: { bytes: Uint8Array; name: string }) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append("file", new File([file.bytes as Uint8Array<ArrayBuffer>], file.name));
  return f;
}

async function post(url: string, body: FormData, key: string | null = KEY) {
  const res = await fetch(`${url}/audio/transcriptions`, {
    method: "POST",
    body,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const text = await res.text();
  return { res, text, json: () => JSON.parse(text) };
}

Deno.test("the OpenAI emulator says it is one and answers every response format", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY });
  try {
    const bytes = await Deno.readFile(FIXTURE);
    const file = { bytes, name: "meeting.mp4" };
    const json = await post(emulator.url, form({ model: "whisper-1", language: "fr" }, file));
    assert.equal(json.res.status, 200);
    assert.equal(json.res.headers.get("x-emulator"), OPENAI_EMULATOR_HEADER);
    assert.match(json.json().text, /^\[Transcription émulée\] meeting\.mp4, 0:00–0:08 sur 0:24/);
    assert.equal(json.json().usage.type, "duration");

    const verbose = await post(
      emulator.url,
      form({ model: "whisper-1", language: "en", response_format: "verbose_json" }, file),
    );
    const v = verbose.json();
    assert.equal(v.language, "english");
    assert.match(v.text, /\[Emulated transcription\]/);
    // 24 s of audio: three segments, the last ending with the audio, none shorter than 1 s.
    assert.deepEqual(
      v.segments.map((s: { start: number }) => s.start),
      [0, 8, 16],
    );
    assert.ok(v.segments.at(-1).end >= 24 && v.segments.at(-1).end < 25);
    assert.deepEqual(Object.keys(v.segments[0]).sort(), [
      "avg_logprob",
      "compression_ratio",
      "end",
      "id",
      "no_speech_prob",
      "seek",
      "start",
      "temperature",
      "text",
      "tokens",
    ]);

    const srt = await post(
      emulator.url,
      form({ model: "whisper-1", response_format: "srt" }, file),
    );
    assert.match(srt.text, /^1\n00:00:00,000 --> 00:00:08,000\n/);
    const vtt = await post(
      emulator.url,
      form({ model: "whisper-1", response_format: "vtt" }, file),
    );
    assert.match(vtt.text, /^WEBVTT\n\n00:00:00\.000 --> 00:00:08\.000\n/);
    const text = await post(
      emulator.url,
      form({ model: "whisper-1", response_format: "text" }, file),
    );
    assert.match(text.text, /^\[Transcription émulée\]/);
    assert.equal(text.res.headers.get("content-type")?.startsWith("text/plain"), true);

    if (await hasFfprobe()) {
      // Video is accepted (as by OpenAI) and recorded, so tests can tell it was sent.
      assert.deepEqual(emulator.requests[0].streams, ["video", "audio"]);
    }
  } finally {
    await emulator.close();
  }
});

Deno.test("the OpenAI emulator refuses what the API refuses, in OpenAI's error shape", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY });
  try {
    const audio = { bytes: await Deno.readFile(FIXTURE), name: "a.m4a" };
    const noKey = await post(emulator.url, form({ model: "whisper-1" }, audio), null);
    assert.equal(noKey.res.status, 401);
    assert.equal(noKey.json().error.type, "invalid_request_error");
    const wrongKey = await post(emulator.url, form({ model: "whisper-1" }, audio), "sk-nope");
    assert.equal(wrongKey.json().error.code, "invalid_api_key");

    const noModel = await post(emulator.url, form({}, audio));
    assert.equal(noModel.res.status, 400);
    const badModel = await post(emulator.url, form({ model: "whisper-9" }, audio));
    assert.equal(badModel.res.status, 404);
    assert.equal(badModel.json().error.code, "model_not_found");
    const gpt4o = await post(
      emulator.url,
      form({ model: "gpt-4o-transcribe", response_format: "srt" }, audio),
    );
    assert.equal(gpt4o.res.status, 400);
    const lang = await post(emulator.url, form({ model: "whisper-1", language: "french" }, audio));
    assert.equal(lang.res.status, 400);
    assert.equal(lang.json().error.param, "language");

    const aac = await post(emulator.url, form({ model: "whisper-1" }, { ...audio, name: "a.aac" }));
    assert.equal(aac.res.status, 400);
    assert.match(aac.json().error.message, /^Invalid file format\. Supported formats: \['flac'/);
    const noFile = await post(emulator.url, form({ model: "whisper-1" }));
    assert.equal(noFile.res.status, 400);

    const huge = await post(
      emulator.url,
      form({ model: "whisper-1" }, { bytes: new Uint8Array(MAX_CONTENT_BYTES + 1), name: "a.m4a" }),
    );
    assert.equal(huge.res.status, 413);
    assert.deepEqual(huge.json().error.type, "server_error");
    assert.match(huge.json().error.message, /^Maximum content size limit \(26214400\) exceeded/);

    if (await hasFfprobe()) {
      const junk = await post(
        emulator.url,
        form({ model: "whisper-1" }, {
          bytes: new TextEncoder().encode("not audio"),
          name: "a.m4a",
        }),
      );
      assert.equal(junk.res.status, 400);
      assert.equal(junk.json().error.message, "Audio file might be corrupted or unsupported");
    }
  } finally {
    await emulator.close();
  }
});

Deno.test("the OpenAI emulator injects 429, 500 and hangs, also from its control endpoint", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY, retryAfterSeconds: 2 });
  try {
    const audio = { bytes: await Deno.readFile(FIXTURE), name: "a.m4a" };
    emulator.failNext("429");
    const limited = await post(emulator.url, form({ model: "whisper-1" }, audio));
    assert.equal(limited.res.status, 429);
    assert.equal(limited.res.headers.get("retry-after"), "2");
    assert.equal(limited.json().error.code, "rate_limit_exceeded");

    const control = await fetch(emulator.url.replace(/\/v1$/, "/emulator/faults"), {
      method: "POST",
      body: JSON.stringify({ fault: "500" }),
    });
    assert.equal(control.status, 200);
    await control.body?.cancel();
    const failed = await post(emulator.url, form({ model: "whisper-1" }, audio));
    assert.equal(failed.res.status, 500);
    assert.equal(failed.json().error.type, "server_error");

    emulator.failNext("hang");
    const hung = await fetch(`${emulator.url}/audio/transcriptions`, {
      method: "POST",
      body: form({ model: "whisper-1" }, audio),
      headers: { authorization: `Bearer ${KEY}` },
      signal: AbortSignal.timeout(300),
    }).catch((e) => e);
    assert.equal((hung as Error).name, "TimeoutError");

    const ok = await post(emulator.url, form({ model: "whisper-1" }, audio));
    assert.equal(ok.res.status, 200);
  } finally {
    await emulator.close();
  }
});
