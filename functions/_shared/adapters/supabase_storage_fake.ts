// A fake of the Supabase Storage HTTP endpoints the Supabase adapter calls, for tests only.
// Status codes and bodies follow supabase/storage: user errors are HTTP 400 with the real
// status in the body (`{ statusCode: "404", error: "not_found", message: "Object not found" }`),
// signed URLs are JWTs over `<bucket>/<path>`, resumable uploads speak TUS 1.0.0 the way
// @tus/server does (201 + Location, HEAD offsets, 409 "Upload-Offset conflict", bytes of an
// interrupted PATCH kept). Faults can be injected per operation. In memory; never deployed.
import { Hono } from "hono";
import * as jose from "jose";
import { attachmentDisposition, parseRange } from "./storage.ts";

export type FakeOperation = "upload" | "info" | "sign" | "read" | "tus-create" | "tus-patch";

export interface FakeFault {
  /** Answer this status (with Supabase's error body) instead of doing the work. */
  status?: number;
  /** tus-patch only: keep this many bytes of the body, then fail with a 500. */
  keepBytes?: number;
}

interface StoredObject {
  id: string;
  bytes: Uint8Array;
  contentType: string;
  createdAt: string;
}

interface TusUpload {
  bucket: string;
  objectName: string;
  contentType: string;
  length: number;
  parts: Uint8Array[];
  offset: number;
  upsert: boolean;
  done: boolean;
}

export interface FakeSupabaseStorage {
  /** Project-style URL: `<url>/storage/v1/...` are the storage endpoints. */
  url: string;
  close(): Promise<void>;
  failNext(operation: FakeOperation, fault: FakeFault, times?: number): void;
  /** Stored object bytes, by `<bucket>/<path>`. */
  object(key: string): Uint8Array | undefined;
  /** Every PATCH body size the TUS endpoint accepted, in order. */
  readonly patchSizes: number[];
  /** Every request, `METHOD /path`. */
  readonly requests: string[];
}

const TUS = "1.0.0";

function storageError(statusCode: string, error: string, message: string, http = 400) {
  return new Response(JSON.stringify({ statusCode, error, message }), {
    status: http,
    headers: { "content-type": "application/json" },
  });
}

function tusText(status: number, body: string, headers: Record<string, string> = {}) {
  return new Response(status === 204 || status === 304 || body === "" ? null : body, {
    status,
    headers: { "tus-resumable": TUS, "content-type": "text/plain", ...headers },
  });
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function startFakeSupabaseStorage(
  options: { serviceKey: string; port?: number } = { serviceKey: "fake" },
): Promise<FakeSupabaseStorage> {
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<string, TusUpload>();
  const faults = new Map<FakeOperation, FakeFault[]>();
  const patchSizes: number[] = [];
  const requests: string[] = [];
  const secret = new TextEncoder().encode(crypto.randomUUID());

  const takeFault = (op: FakeOperation) => faults.get(op)?.shift();
  const failWith = (fault: FakeFault) =>
    fault.status && fault.status >= 500
      ? storageError(String(fault.status), "Internal", "Internal Server Error", fault.status)
      : storageError(String(fault.status ?? 400), "InvalidRequest", "Injected failure");

  const authorized = (req: Request) => {
    const key = req.headers.get("apikey") ??
      req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
    return key === options.serviceKey;
  };
  const keyOf = (c: { req: { path: string } }, prefix: string) => {
    const rest = c.req.path.slice(c.req.path.indexOf(prefix) + prefix.length);
    return rest.split("/").map(decodeURIComponent).join("/");
  };
  const unauthorized = () => storageError("403", "Unauthorized", "Invalid Compact JWS");
  const notFound = () => storageError("404", "not_found", "Object not found");

  function serveObject(req: Request, obj: StoredObject, download?: string) {
    const size = obj.bytes.length;
    const headers = new Headers({
      "accept-ranges": "bytes",
      "content-type": obj.contentType,
      etag: `"${obj.id}"`,
    });
    if (download !== undefined) {
      headers.set(
        "content-disposition",
        download === "" ? "attachment;" : attachmentDisposition(download),
      );
    }
    const range = parseRange(req.headers.get("range"), size);
    if (range === "invalid") {
      return storageError("416", "InvalidRange", "invalid range provided");
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size;
    headers.set("content-length", String(end - start));
    if (range) headers.set("content-range", `bytes ${start}-${end - 1}/${size}`);
    return new Response(obj.bytes.slice(start, end), { status: range ? 206 : 200, headers });
  }

  const app = new Hono();
  app.use(async (c, next) => {
    requests.push(`${c.req.method} ${c.req.path}`);
    await next();
  });

  // --- standard upload (supabase-js upload/update) ---
  const upload = async (c: { req: { raw: Request; path: string } }, method: string) => {
    const req = c.req.raw;
    if (!authorized(req)) return unauthorized();
    const fault = takeFault("upload");
    if (fault) return failWith(fault);
    const key = keyOf(c, "/storage/v1/object/");
    const upsert = method === "PUT" || req.headers.get("x-upsert") === "true";
    if (objects.has(key) && !upsert) {
      return storageError("409", "Duplicate", "The resource already exists");
    }
    let bytes: Uint8Array;
    let contentType = req.headers.get("content-type") ?? "application/octet-stream";
    if (contentType.startsWith("multipart/form-data")) {
      const form = await req.formData();
      const file = [...form.values()].find((v) => v instanceof File) as File | undefined;
      if (!file) return storageError("400", "InvalidRequest", "No file in the form");
      bytes = new Uint8Array(await file.arrayBuffer());
      contentType = file.type || "text/plain;charset=UTF-8";
    } else {
      bytes = new Uint8Array(await req.arrayBuffer());
    }
    const id = crypto.randomUUID();
    objects.set(key, { id, bytes, contentType, createdAt: new Date().toISOString() });
    return Response.json({ Id: id, Key: key });
  };
  app.post("/storage/v1/object/sign/*", async (c) => {
    if (!authorized(c.req.raw)) return unauthorized();
    const fault = takeFault("sign");
    if (fault) return failWith(fault);
    const key = keyOf(c, "/storage/v1/object/sign/");
    const body = await c.req.json().catch(() => ({})) as { expiresIn?: unknown };
    if (
      typeof body.expiresIn !== "number" || !Number.isInteger(body.expiresIn) || body.expiresIn < 1
    ) {
      return storageError("400", "InvalidRequest", "body/expiresIn must be >= 1");
    }
    if (!objects.has(key)) return notFound();
    const token = await new jose.SignJWT({ url: key })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + body.expiresIn)
      .sign(secret);
    return Response.json({ signedURL: `/object/sign/${key}?token=${token}` });
  });
  app.get("/storage/v1/object/sign/*", async (c) => {
    const key = keyOf(c, "/storage/v1/object/sign/");
    const token = c.req.query("token");
    if (!token) {
      return storageError("400", "InvalidJWT", "querystring must have required property 'token'");
    }
    try {
      const { payload } = await jose.jwtVerify(token, secret, { algorithms: ["HS256"] });
      if (payload.url !== key) {
        return storageError("400", "InvalidSignature", "The url do not match the signature");
      }
    } catch (err) {
      return storageError(
        "400",
        "InvalidJWT",
        err instanceof jose.errors.JWTExpired ? "jwt expired" : "invalid signature",
      );
    }
    const obj = objects.get(key);
    if (!obj) return storageError("404", "Not found", "The resource was not found");
    return serveObject(c.req.raw, obj, c.req.query("download"));
  });
  app.get("/storage/v1/object/info/*", (c) => {
    if (!authorized(c.req.raw)) return unauthorized();
    const fault = takeFault("info");
    if (fault) return failWith(fault);
    const key = keyOf(c, "/storage/v1/object/info/").replace(/^authenticated\//, "");
    const obj = objects.get(key);
    if (!obj) return notFound();
    const [bucket, ...name] = key.split("/");
    return Response.json({
      id: obj.id,
      name: name.join("/"),
      version: obj.id,
      bucket_id: bucket,
      size: obj.bytes.length,
      content_type: obj.contentType,
      cache_control: "max-age=3600",
      etag: `"${obj.id}"`,
      metadata: {},
      last_modified: obj.createdAt,
      created_at: obj.createdAt,
    });
  });
  app.get("/storage/v1/object/authenticated/*", (c) => {
    if (!authorized(c.req.raw)) return unauthorized();
    const fault = takeFault("read");
    if (fault) return failWith(fault);
    const obj = objects.get(keyOf(c, "/storage/v1/object/authenticated/"));
    return obj ? serveObject(c.req.raw, obj) : notFound();
  });
  app.delete("/storage/v1/object/:bucket", async (c) => {
    if (!authorized(c.req.raw)) return unauthorized();
    const bucket = c.req.param("bucket");
    const { prefixes } = await c.req.json() as { prefixes: string[] };
    const removed = [];
    for (const p of prefixes) {
      const obj = objects.get(`${bucket}/${p}`);
      if (obj && objects.delete(`${bucket}/${p}`)) {
        removed.push({ name: p, bucket_id: bucket, id: obj.id });
      }
    }
    return Response.json(removed);
  });
  app.post("/storage/v1/object/*", (c) => upload(c, "POST"));
  app.put("/storage/v1/object/*", (c) => upload(c, "PUT"));

  // --- TUS resumable uploads ---
  app.post("/storage/v1/upload/resumable", (c) => {
    const req = c.req.raw;
    if (!authorized(req)) return unauthorized();
    if (req.headers.get("tus-resumable") !== TUS) {
      return tusText(412, "Unsupported version\n", { "tus-version": TUS });
    }
    const fault = takeFault("tus-create");
    if (fault) return tusText(fault.status ?? 500, "Something went wrong with that request\n");
    const length = Number(req.headers.get("upload-length"));
    if (!Number.isInteger(length) || length < 0) {
      return tusText(412, "Upload-Length or Upload-Defer-Length header required\n");
    }
    const meta = new Map<string, string>();
    for (const pair of (req.headers.get("upload-metadata") ?? "").split(",")) {
      const [k, v] = pair.trim().split(" ");
      if (k) {
        meta.set(
          k,
          v ? new TextDecoder().decode(Uint8Array.from(atob(v), (ch) => ch.charCodeAt(0))) : "",
        );
      }
    }
    const bucket = meta.get("bucketName");
    const objectName = meta.get("objectName");
    if (!bucket || !objectName) return tusText(400, "Metadata header is required\n");
    const upsert = req.headers.get("x-upsert") === "true";
    if (objects.has(`${bucket}/${objectName}`) && !upsert) {
      return tusText(409, "The resource already exists");
    }
    const id = btoa(`${bucket}/${objectName}/${crypto.randomUUID()}`).replace(/=+$/, "")
      .replace(/\+/g, "-").replace(/\//g, "_");
    uploads.set(id, {
      bucket,
      objectName,
      contentType: meta.get("contentType") ?? "application/octet-stream",
      length,
      parts: [],
      offset: 0,
      upsert,
      done: false,
    });
    const origin = new URL(req.url).origin;
    return tusText(201, "", { location: `${origin}/storage/v1/upload/resumable/${id}` });
  });
  // Hono answers HEAD with the GET route (body dropped).
  app.get("/storage/v1/upload/resumable/:id", (c) => {
    if (!authorized(c.req.raw)) return unauthorized();
    const up = uploads.get(c.req.param("id"));
    if (!up) return tusText(404, "");
    return tusText(200, "", {
      "upload-offset": String(up.offset),
      "upload-length": String(up.length),
      "cache-control": "no-store",
    });
  });
  app.patch("/storage/v1/upload/resumable/:id", async (c) => {
    const req = c.req.raw;
    if (!authorized(req)) return unauthorized();
    const up = uploads.get(c.req.param("id"));
    if (!up) return tusText(404, "The file for this url was not found\n");
    if (req.headers.get("content-type") !== "application/offset+octet-stream") {
      return tusText(415, "Content-Type header is invalid\n");
    }
    if (Number(req.headers.get("upload-offset")) !== up.offset) {
      return tusText(409, "Upload-Offset conflict\n");
    }
    const body = new Uint8Array(await req.arrayBuffer());
    const fault = takeFault("tus-patch");
    if (fault) {
      // An interrupted PATCH: what arrived before the failure is kept, like @tus/server does.
      const kept = body.slice(0, Math.min(fault.keepBytes ?? 0, body.length));
      if (kept.length) {
        up.parts.push(kept);
        up.offset += kept.length;
      }
      return tusText(fault.status ?? 500, "Something went wrong receiving the file\n");
    }
    if (up.offset + body.length > up.length) return tusText(413, "Maximum size exceeded\n");
    up.parts.push(body);
    up.offset += body.length;
    patchSizes.push(body.length);
    const headers: Record<string, string> = { "upload-offset": String(up.offset) };
    if (up.offset === up.length && !up.done) {
      up.done = true;
      objects.set(`${up.bucket}/${up.objectName}`, {
        id: crypto.randomUUID(),
        bytes: concat(up.parts, up.length),
        contentType: up.contentType,
        createdAt: new Date().toISOString(),
      });
      up.parts = [];
      headers["tus-complete"] = "1";
    }
    return tusText(204, "", headers);
  });

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => {},
    }, app.fetch);
    const url = `http://127.0.0.1:${server.addr.port}`;
    resolve({
      url,
      close: () => server.shutdown(),
      failNext(operation, fault, times = 1) {
        const list = faults.get(operation) ?? [];
        for (let i = 0; i < times; i++) list.push(fault);
        faults.set(operation, list);
      },
      object: (key) => objects.get(key)?.bytes,
      patchSizes,
      requests,
    });
  });
}
