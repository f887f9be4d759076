// The Storage port's promises, checked on both adapters: the local directory (with its
// signed-link server) and Supabase Storage (against the fake of its HTTP API).
import assert from "node:assert/strict";
import { UpstreamError } from "../errors.ts";
import { memoryLogger } from "../log.ts";
import { parseRange, recordingPaths, type Storage } from "./storage.ts";
import { createLocalStorage, createLocalStorageApp } from "./storage_local.ts";
import { createSupabaseStorage, directStorageUrl, TUS_CHUNK_SIZE } from "./storage_supabase.ts";
import { startFakeSupabaseStorage } from "./supabase_storage_fake.ts";

const SECRET = "test-service-role-key-0123456789";

interface Rig {
  storage: (chunkSize?: number) => Storage;
  close(): Promise<void>;
}

async function localRig(): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "foxeo-storage-" });
  const app = createLocalStorageApp({ dir, signingSecret: SECRET, logger: memoryLogger() });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const publicUrl = `http://127.0.0.1:${server.addr.port}`;
  return {
    storage: () => createLocalStorage({ dir, signingSecret: SECRET, publicUrl }),
    close: async () => {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function supabaseRig(): Promise<
  Rig & { fake: Awaited<ReturnType<typeof startFakeSupabaseStorage>> }
> {
  const fake = await startFakeSupabaseStorage({ serviceKey: SECRET });
  return {
    fake,
    storage: (chunkSize = 64 * 1024) =>
      createSupabaseStorage({ url: fake.url, serviceKey: SECRET, chunkSize }),
    close: () => fake.close(),
  };
}

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Upload `data` through `upload.append` in the upload's chunk size, stopping after `limit`. */
async function pump(
  storage: Storage,
  path: string,
  data: Uint8Array,
  resume: string | null,
  limit = Infinity,
) {
  const up = await storage.resumableUpload(path, {
    size: data.length,
    contentType: "video/mp4",
    resume,
  });
  const step = Math.max(up.chunkSize, 100_000 - (100_000 % up.chunkSize));
  const startedAt = up.offset;
  let sent = 0;
  let at = up.offset;
  while (at < data.length && sent < limit) {
    const n = Math.min(step, data.length - at);
    await up.append(data.subarray(at, at + n));
    at += n;
    sent += n;
  }
  await up.close();
  return { resume: up.resume, startedAt, offset: at };
}

for (const [name, makeRig] of [["local", localRig], ["supabase", supabaseRig]] as const) {
  Deno.test(`[${name}] a small object is stored, described and read back by range`, async () => {
    const rig = await makeRig();
    try {
      const storage = rig.storage();
      const { srt } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
      assert.equal(await storage.stat(srt), null);
      await storage.put(srt, "1\n00:00:00,000 --> 00:00:01,000\nBonjour\n", "application/x-subrip");
      const info = await storage.stat(srt);
      assert.equal(info?.size, 40);
      assert.equal(new TextDecoder().decode(await storage.read(srt, 32, 39)), "Bonjour");
      await storage.put(srt, "replaced", "application/x-subrip");
      assert.equal(new TextDecoder().decode(await storage.read(srt, 0, 100)), "replaced");
      await storage.remove([srt]);
      assert.equal(await storage.stat(srt), null);
    } finally {
      await rig.close();
    }
  });

  Deno.test(`[${name}] a large upload resumes from what the storage holds and ends byte-identical`, async () => {
    const rig = await makeRig();
    try {
      const data = bytes(700_000, 7);
      const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
      const first = await pump(rig.storage(), video, data, null, 300_000);
      assert.equal(await rig.storage().stat(video), null, "not visible before it is complete");
      // Another process continues with only the resume state.
      const second = await pump(rig.storage(), video, data, first.resume);
      assert.equal(second.startedAt, first.offset, "resumed where the first stopped");
      const back = await rig.storage().read(video, 0, data.length);
      assert.deepEqual(back, data);
      assert.equal((await rig.storage().stat(video))?.size, data.length);
      // Asking again after completion finds it complete instead of starting over.
      const again = await rig.storage().resumableUpload(video, {
        size: data.length,
        contentType: "video/mp4",
        resume: second.resume,
      });
      assert.equal(again.offset, data.length);
    } finally {
      await rig.close();
    }
  });

  Deno.test(`[${name}] signed links serve ranges and download names, then expire`, async () => {
    const rig = await makeRig();
    try {
      const storage = rig.storage();
      const data = bytes(50_000, 3);
      const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
      await pump(storage, video, data, null);

      const url = await storage.signedUrl(video, { expiresIn: 3600 });
      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get("accept-ranges"), "bytes");
      assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), data);

      const part = await fetch(url, { headers: { range: "bytes=100-199" } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 100-199/${data.length}`);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), data.slice(100, 200));

      const named = await storage.signedUrl(video, {
        expiresIn: 3600,
        downloadName: "Revue des maquettes – 2026-11-21.mp4",
      });
      const dl = await fetch(named, { method: "HEAD" });
      await dl.body?.cancel();
      const disposition = dl.headers.get("content-disposition") ?? "";
      assert.match(disposition, /^attachment; filename=/);
      assert.ok(
        decodeURIComponent(disposition.split("filename*=UTF-8''")[1].replace(/\+/g, " "))
          .startsWith("Revue des maquettes – 2026-11-21.mp4"),
        disposition,
      );

      // Another object's token does not open this one.
      const other = recordingPaths(crypto.randomUUID(), crypto.randomUUID()).srt;
      await storage.put(other, "x", "application/x-subrip");
      const otherUrl = new URL(await storage.signedUrl(other, { expiresIn: 3600 }));
      const forged = new URL(url);
      forged.searchParams.set("token", otherUrl.searchParams.get("token")!);
      const refused = await fetch(forged);
      await refused.body?.cancel();
      assert.ok(refused.status >= 400 && refused.status < 500, `status ${refused.status}`);

      const short = await storage.signedUrl(video, { expiresIn: 1 });
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await fetch(short);
      const body = await expired.text();
      assert.ok(expired.status >= 400 && expired.status < 500, `status ${expired.status}`);
      assert.match(body, /expired/i);
    } finally {
      await rig.close();
    }
  });
}

Deno.test("[local] thousands of small reads return the object's bytes and let timers run meanwhile", async () => {
  // Audio extraction reads a chunk as ~12 000 small ranges; the local adapter serves them
  // synchronously, handing the event loop back every few milliseconds.
  const rig = await localRig();
  try {
    const storage = rig.storage();
    const data = bytes(1_500_000, 11);
    const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
    await pump(storage, video, data, null);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    try {
      for (let i = 0; i < 20_000; i++) {
        const at = (i * 7919) % (data.length - 400);
        const into = new Uint8Array(100 + (i % 300));
        const got = await storage.read(video, at, at + into.length, { into });
        assert.equal(got, into, "read into the caller's buffer");
        if (i % 97 === 0) assert.deepEqual(got, data.subarray(at, at + into.length));
      }
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    assert.ok(
      ticks >= Math.floor(elapsed / 25),
      `${ticks} timer ticks in ${elapsed.toFixed(0)} ms`,
    );
    // Past the end: what exists; a missing object: NotFound, as with large reads.
    assert.deepEqual(
      await storage.read(video, data.length - 3, data.length + 10),
      data.subarray(-3),
    );
    await assert.rejects(storage.read(`${video}.missing`, 0, 10), Deno.errors.NotFound);
  } finally {
    await rig.close();
  }
});

Deno.test("[supabase] resumable uploads go out in 6 MB chunks over TUS", async () => {
  const rig = await supabaseRig();
  try {
    const storage = rig.storage(TUS_CHUNK_SIZE);
    const data = bytes(2 * TUS_CHUNK_SIZE + 12_345, 11);
    const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
    const up = await storage.resumableUpload(video, {
      size: data.length,
      contentType: "video/mp4",
    });
    assert.equal(up.chunkSize, TUS_CHUNK_SIZE);
    await assert.rejects(up.append(data.subarray(0, 1000)), RangeError);
    for (let at = 0; at < data.length; at += TUS_CHUNK_SIZE) {
      await up.append(data.subarray(at, Math.min(at + TUS_CHUNK_SIZE, data.length)));
    }
    assert.deepEqual(rig.fake.patchSizes, [TUS_CHUNK_SIZE, TUS_CHUNK_SIZE, 12_345]);
    assert.deepEqual(rig.fake.object(`recordings/${video}`), data);
  } finally {
    await rig.close();
  }
});

Deno.test("[supabase] an upload cut mid-chunk resumes from the bytes the storage kept", async () => {
  const rig = await supabaseRig();
  try {
    const storage = rig.storage(100_000);
    const data = bytes(450_000, 5);
    const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
    const up = await storage.resumableUpload(video, {
      size: data.length,
      contentType: "video/mp4",
    });
    await up.append(data.subarray(0, 100_000));
    rig.fake.failNext("tus-patch", { status: 500, keepBytes: 37_000 });
    const err = await up.append(data.subarray(100_000, 200_000)).catch((e) => e);
    assert.ok(err instanceof UpstreamError && err.retryable, String(err));
    assert.match(err.message, /byte 100000/);

    const resumed = await storage.resumableUpload(video, {
      size: data.length,
      contentType: "video/mp4",
      resume: up.resume,
    });
    assert.equal(resumed.offset, 137_000);
    for (let at = resumed.offset; at < data.length; at += 100_000) {
      await resumed.append(data.subarray(at, Math.min(at + 100_000, data.length)));
    }
    assert.deepEqual(rig.fake.object(`recordings/${video}`), data);
    const sent = rig.fake.patchSizes.reduce((a, b) => a + b, 0);
    assert.equal(sent + 37_000, data.length, "no byte was sent twice");
  } finally {
    await rig.close();
  }
});

Deno.test("[supabase] an unknown resume URL starts a new upload instead of failing", async () => {
  const rig = await supabaseRig();
  try {
    const storage = rig.storage();
    const { video } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
    const up = await storage.resumableUpload(video, {
      size: 10,
      contentType: "video/mp4",
      resume: `${rig.fake.url}/storage/v1/upload/resumable/bm90LWEtcmVhbC11cGxvYWQ`,
    });
    assert.equal(up.offset, 0);
    await up.append(new Uint8Array(10).fill(9));
    assert.equal((await storage.stat(video))?.size, 10);
  } finally {
    await rig.close();
  }
});

Deno.test("[supabase] storage failures become upstream errors that say what failed", async () => {
  const rig = await supabaseRig();
  try {
    const storage = rig.storage();
    const { srt } = recordingPaths(crypto.randomUUID(), crypto.randomUUID());
    rig.fake.failNext("upload", { status: 503 });
    const err = await storage.put(srt, "x", "application/x-subrip").catch((e) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.service, "storage");
    assert.equal(err.retryable, true);
    assert.match(err.message, new RegExp(`Cannot store ${srt}`));
    assert.ok(!err.message.includes(SECRET));

    const wrongKey = createSupabaseStorage({
      url: rig.fake.url,
      serviceKey: "sb_secret_wrong_key_value",
    });
    const denied = await wrongKey.stat(srt).catch((e) => e);
    assert.ok(denied instanceof UpstreamError);
    assert.ok(!denied.message.includes("sb_secret_wrong_key_value"));

    await assert.rejects(storage.read(srt, 0, 10), UpstreamError);
  } finally {
    await rig.close();
  }
});

Deno.test("hosted projects upload large files to the direct storage host", () => {
  assert.equal(
    directStorageUrl("https://abcd1234.supabase.co"),
    "https://abcd1234.storage.supabase.co",
  );
  assert.equal(directStorageUrl("http://127.0.0.1:54321"), "http://127.0.0.1:54321");
});

Deno.test("byte ranges are parsed like HTTP servers do", () => {
  assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 100 });
  assert.deepEqual(parseRange("bytes=900-", 1000), { start: 900, end: 1000 });
  assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 1000 });
  assert.deepEqual(parseRange("bytes=990-2000", 1000), { start: 990, end: 1000 });
  assert.equal(parseRange("bytes=1000-", 1000), "invalid");
  assert.equal(parseRange("bytes=5-1", 1000), "invalid");
  assert.equal(parseRange("items=0-1", 1000), "invalid");
  assert.equal(parseRange(null, 1000), null);
});

Deno.test("object paths cannot escape the bucket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const storage = createLocalStorage({ dir, signingSecret: SECRET, publicUrl: "http://x" });
    for (const bad of ["../etc/passwd", "/abs", "a//b", "a/./b", "a\\b", "a/\u0000"]) {
      await assert.rejects(storage.put(bad, "x", "text/plain"), RangeError, bad);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
