// The OpenAI transcriber through the real SDK against the OpenAI emulator.
import assert from "node:assert/strict";
import { startOpenAIEmulator } from "../../../demo/emulators/openai/mod.ts";
import { UpstreamError } from "../errors.ts";
import { buildChunkFile, planChunks, readRecordingIndex } from "../pipeline/audio.ts";
import { fileReader, FIXTURE } from "../pipeline/test_media.ts";
import { createOpenAITranscriber, promptTail } from "./transcriber.ts";

const KEY = "sk-test-transcriber-key-123456";

async function fixtureChunk() {
  const size = (await Deno.stat(FIXTURE)).size;
  const index = await readRecordingIndex(fileReader(FIXTURE), size);
  const [chunk] = planChunks(index.audio!, { maxSeconds: 600 });
  return await buildChunkFile(index.audio!, chunk, fileReader(FIXTURE));
}

Deno.test("a chunk is transcribed with segments, the language and the previous text as prompt", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY });
  try {
    const chunk = await fixtureChunk();
    const t = createOpenAITranscriber({ apiKey: KEY, baseUrl: emulator.url, model: "whisper-1" });
    const out = await t.transcribe({
      audio: chunk.bytes,
      fileName: chunk.fileName,
      contentType: chunk.contentType,
      language: "fr",
      prompt: "Bonjour, on reprend la revue des maquettes.",
    });
    assert.match(out.text, /\[Transcription émulée\] chunk-0001\.m4a/);
    assert.equal(out.language, "french");
    assert.ok(out.duration && Math.abs(out.duration - 24.2) < 0.3, String(out.duration));
    assert.ok(out.segments.length >= 3);
    assert.equal(out.segments[0].start, 0);
    assert.ok(Math.abs(out.segments.at(-1)!.end - out.duration!) < 0.01);
    const [req] = emulator.requests;
    assert.equal(req.model, "whisper-1");
    assert.equal(req.language, "fr");
    assert.equal(req.prompt, "Bonjour, on reprend la revue des maquettes.");
    assert.equal(req.responseFormat, "verbose_json");
    assert.equal(req.fileBytes, chunk.bytes.length);
  } finally {
    await emulator.close();
  }
});

Deno.test("a 429 is retried by the SDK and then succeeds", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY, retryAfterSeconds: 0 });
  try {
    const chunk = await fixtureChunk();
    emulator.failNext("429");
    const t = createOpenAITranscriber({ apiKey: KEY, baseUrl: emulator.url, model: "whisper-1" });
    const out = await t.transcribe({ ...chunk, audio: chunk.bytes, language: "fr" });
    assert.ok(out.segments.length > 0);
    assert.deepEqual(emulator.requests.map((r) => r.status), [429, 200]);
  } finally {
    await emulator.close();
  }
});

Deno.test("server errors, timeouts and refusals become upstream errors that say what to do", async () => {
  const emulator = await startOpenAIEmulator({ apiKey: KEY });
  try {
    const chunk = await fixtureChunk();
    const input = {
      audio: chunk.bytes,
      fileName: chunk.fileName,
      contentType: chunk.contentType,
      language: "fr",
    };
    const t = createOpenAITranscriber({
      apiKey: KEY,
      baseUrl: emulator.url,
      model: "whisper-1",
      maxRetries: 0,
      timeoutMs: 400,
    });

    emulator.failNext("500");
    const e500 = await t.transcribe(input).catch((e) => e);
    assert.ok(e500 instanceof UpstreamError && e500.retryable && e500.upstreamStatus === 500);
    assert.match(e500.message, /chunk-0001\.m4a failed: HTTP 500: The server had an error/);

    emulator.failNext("hang");
    const started = Date.now();
    const hung = await t.transcribe(input).catch((e) => e);
    assert.ok(hung instanceof UpstreamError && hung.retryable, String(hung));
    assert.match(hung.message, /timed out after 400 ms/);
    assert.ok(Date.now() - started < 3000);

    const big = await t.transcribe({ ...input, audio: new Uint8Array(26 * 1024 * 1024) })
      .catch((e) => e);
    assert.ok(big instanceof UpstreamError && !big.retryable, String(big));
    assert.match(big.message, /HTTP 413: Maximum content size limit \(26214400\) exceeded/);

    const wav = await t.transcribe({ ...input, fileName: "chunk.aac" }).catch((e) => e);
    assert.ok(wav instanceof UpstreamError && !wav.retryable);
    assert.match(wav.message, /Invalid file format/);

    const wrong = createOpenAITranscriber({
      apiKey: "sk-wrong-key-abcdef",
      baseUrl: emulator.url,
      model: "whisper-1",
      maxRetries: 0,
    });
    const denied = await wrong.transcribe(input).catch((e) => e);
    assert.ok(denied instanceof UpstreamError && !denied.retryable);
    assert.match(denied.message, /HTTP 401: the API key was refused/);
    assert.ok(!denied.message.includes("cdef"));
  } finally {
    await emulator.close();
  }
});

Deno.test("only the tail of a long previous text goes in the prompt, cut at a word", () => {
  const words = Array.from({ length: 400 }, (_, i) => `mot${i}`).join(" ");
  const tail = promptTail(words);
  assert.ok(tail.length <= 800);
  assert.ok(tail.endsWith("mot399"));
  assert.match(tail, /^mot\d+ /);
  assert.equal(promptTail("  court  "), "court");
});
