// A fake of the Visio service for the widget's tests, screenshots and benchmark: the `meetings`
// function of DESIGN §7 (the error envelope, roles and row visibility, the status machine,
// keyset pagination with an opaque cursor, ETag / If-None-Match → 304 on the list and on one
// meeting, CORS with ETag exposed) and signed Storage links that expire like Supabase's (HTTP
// Range on the video, 400 "InvalidJWT" once expired). It is a stand-in for the real functions,
// which are tested on their own; it never ships.
//
// Every test gets its own tenant (its own data, tokens, faults and request log), so tests never
// see each other's rows:
//   POST /control/tenants {meetings?, clients?, recordings?, linkTtlSeconds?} → {id, functionsUrl, tokens, …}
//   POST /control/tenants/:t/tokens {role, clientId?, fullName?, expiresIn?} → {token}
//   POST /control/tenants/:t/faults {method?, path, status?, code?, message?, times?, delayMs?, network?}
//   GET  /control/tenants/:t/requests → [{method, path, query, status, ifNoneMatch, token}]
//   PATCH /control/tenants/:t/meetings/:id {…fields}     (someone else changed a meeting)
//   PUT  /control/tenants/:t/meetings/:id/recordings [Recording + {transcript?}]
//   PATCH /control/tenants/:t/meetings/:id/recordings/:rid {…fields}
// The API itself lives under /t/:t/functions/v1/meetings…, the signed files under
// /t/:t/storage/v1/object/sign/recordings/….
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";

const SECRET = "fake-visio-not-a-secret";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const RECORDING_FILE = `${ROOT}demo/fixtures/recording.mp4`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ["scheduled", "in_progress", "completed", "cancelled"];

export const CLIENT_A = "11111111-1111-4111-8111-111111111111";
export const CLIENT_B = "22222222-2222-4222-8222-222222222222";
export const DEFAULT_CLIENTS = [
  { id: CLIENT_A, name: "Atelier Dupont" },
  { id: CLIENT_B, name: "Boulangerie Bernard" },
];

const TITLES = [
  "Lancement du projet",
  "Revue des maquettes",
  "Point hebdomadaire",
  "Bilan trimestriel",
  "Atelier de cadrage",
  "Présentation de la charte graphique",
  "Suivi de production",
  "Réunion budget",
  "Recette de la version 2",
  "Comité de pilotage",
];

/** The fixture's speech, timed roughly like Whisper would: one segment per phrase. */
export const FIXTURE_SEGMENTS = [
  [0.0, 3.4, "Bonjour à tous et bienvenue dans cette réunion Foxeo."],
  [3.4, 7.3, "Aujourd'hui, nous faisons le point sur le lancement du projet."],
  [7.3, 9.3, "Premier sujet : le calendrier."],
  [9.3, 11.6, "Les maquettes seront prêtes vendredi."],
  [11.6, 13.4, "Deuxième sujet : le budget."],
  [13.4, 15.7, "Il reste dans l'enveloppe prévue."],
  [15.7, 18.0, "Troisième sujet : les prochaines étapes."],
  [18.0, 21.9, "Nous validons la version finale la semaine prochaine."],
  [21.9, 24.2, "Merci à tous, et à bientôt."],
].map(([start, end, text]) => ({ start, end, text }));

/** A long transcript: `lines` segments of about 4.3 s each (2 500 lines ≈ 3 hours). */
export function longTranscript(lines) {
  const words = FIXTURE_SEGMENTS.map((s) => s.text);
  return Array.from({ length: lines }, (_, i) => ({
    start: Math.round(i * 4.32 * 100) / 100,
    end: Math.round((i + 1) * 4.32 * 100) / 100,
    text: `${words[i % words.length]} (${i + 1})`,
  }));
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

export function signToken(claims) {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac("sha256", SECRET).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

function userToken({ role, clientId, fullName, expiresIn = 3600, sub = randomUUID() }) {
  const now = Math.floor(Date.now() / 1000);
  return signToken({
    sub,
    role: "authenticated",
    aud: "authenticated",
    iat: now,
    exp: now + expiresIn,
    app_metadata: role === "operator" ? { foxeo_role: "operator" } : role === "client" ? { foxeo_role: "client", client_id: clientId } : {},
    user_metadata: { full_name: fullName ?? (role === "operator" ? "MiKL" : "Camille Martin") },
  });
}

function verifyToken(token) {
  const [head, body, sig] = token.split(".");
  if (!head || !body || !sig) return null;
  const want = createHmac("sha256", SECRET).update(`${head}.${body}`).digest();
  const got = Buffer.from(sig, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  const claims = JSON.parse(Buffer.from(body, "base64url").toString());
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return null;
  return claims;
}

class ApiError extends Error {
  constructor(code, status, message, issues) {
    super(message);
    this.code = code;
    this.status = status;
    this.issues = issues;
  }
}

const refuse = {
  invalid: (message, issues) => new ApiError("invalid_request", 400, message, issues),
  unauthorized: (message) => new ApiError("unauthorized", 401, message),
  forbidden: (message) => new ApiError("forbidden", 403, message),
  notFound: (message) => new ApiError("not_found", 404, message),
  state: (message) => new ApiError("invalid_state", 409, message),
};

/** Deterministic pseudo-random numbers, so generated data is the same on every run. */
function seeded(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function iso(ms) {
  // Microsecond precision like Postgres, so ordering and cursors behave like the real thing.
  return new Date(ms).toISOString().replace("Z", "000Z");
}

/** `count` meetings over the clients, in every status, around now. */
export function generateMeetings(count, clients = DEFAULT_CLIENTS, now = Date.now()) {
  const rnd = seeded(count * 7919 + 1);
  const out = [];
  for (let i = 0; i < count; i++) {
    const client = clients[i % clients.length];
    const when = now + Math.round((rnd() - 0.8) * 60 * 86400_000);
    const status = when > now ? (rnd() < 0.1 ? "cancelled" : "scheduled") : rnd() < 0.08 ? "in_progress" : rnd() < 0.1 ? "cancelled" : "completed";
    out.push(makeMeeting({
      title: `${TITLES[i % TITLES.length]}${i >= TITLES.length ? ` n° ${Math.floor(i / TITLES.length) + 1}` : ""}`,
      client_id: client.id,
      scheduled_at: iso(when),
      status,
    }));
  }
  return out;
}

function makeMeeting(fields) {
  const now = iso(Date.now());
  const m = {
    id: randomUUID(),
    title: "Réunion",
    description: null,
    client_id: CLIENT_A,
    status: "scheduled",
    scheduled_at: now,
    started_at: null,
    ended_at: null,
    duration_seconds: null,
    language: "fr",
    created_at: now,
    updated_at: now,
    ...fields,
  };
  if (m.status === "in_progress" || m.status === "completed") m.started_at ??= m.scheduled_at;
  if (m.status === "completed" && !m.ended_at) {
    m.duration_seconds ??= 1800 + (m.title.length * 97) % 3600;
    m.ended_at = iso(Date.parse(m.started_at) + m.duration_seconds * 1000);
  }
  return m;
}

function makeRecording(meetingId, fields = {}) {
  const started = fields.started_at ?? iso(Date.now() - 3600_000);
  return {
    id: randomUUID(),
    meeting_id: meetingId,
    status: "ready",
    started_at: started,
    duration_seconds: 24.2,
    size_bytes: statSync(RECORDING_FILE).size,
    transcription_status: "completed",
    transcription_language: "fr",
    transcription_error: null,
    created_at: started,
    ...fields,
  };
}

const etagOf = (body) => `W/"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`;

const encodeCursor = (m) => Buffer.from(`${m.scheduled_at}|${m.id}`).toString("base64url");
function decodeCursor(cursor) {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  if (!at || !UUID.test(id ?? "") || Number.isNaN(Date.parse(at))) throw refuse.invalid("Invalid cursor", [{ path: "cursor", message: "Invalid cursor" }]);
  return { at, id };
}

/** Order of the list: scheduled_at desc, id desc. */
const desc = (x, y) => (x < y ? 1 : x > y ? -1 : 0);
const before = (a, b) => (a.scheduled_at === b.scheduled_at ? desc(a.id, b.id) : desc(a.scheduled_at, b.scheduled_at));

function vtt(segments) {
  const t = (s) => new Date(s * 1000).toISOString().slice(11, 23);
  return `WEBVTT\n\n${segments.map((s, i) => `${i + 1}\n${t(s.start)} --> ${t(s.end)}\n${s.text}\n`).join("\n")}`;
}
function srt(segments) {
  const t = (s) => new Date(s * 1000).toISOString().slice(11, 23).replace(".", ",");
  return segments.map((s, i) => `${i + 1}\n${t(s.start)} --> ${t(s.end)}\n${s.text}\n`).join("\n");
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, content-type, if-none-match, x-client-info, apikey, x-request-id, range",
  "access-control-allow-methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
  "access-control-expose-headers": "etag, x-request-id, content-range, content-length, accept-ranges, content-disposition",
  "access-control-max-age": "600",
};

export async function startFakeVisio({ port = 0, hostname = "127.0.0.1", log = () => {} } = {}) {
  const tenants = new Map();
  const video = readFileSync(RECORDING_FILE);
  let base = "";

  function createTenant(seed = {}) {
    const id = randomBytes(6).toString("hex");
    const clients = seed.clients ?? DEFAULT_CLIENTS;
    const list = typeof seed.meetings === "number" ? generateMeetings(seed.meetings, clients) : (seed.meetings ?? []).map(makeMeeting);
    const t = {
      id,
      clients,
      meetings: new Map(list.map((m) => [m.id, m])),
      recordings: new Map(),
      transcripts: new Map(),
      faults: [],
      requests: [],
      // Successive links get successive lifetimes (the last one repeats).
      linkTtl: [].concat(seed.linkTtlSeconds ?? 3600),
      // What `expires_at` claims, when it should differ from the real lifetime (clock skew).
      reportedTtl: seed.reportedTtlSeconds ?? null,
      // Answer video range requests with at most this many bytes, slowly: a large recording.
      chunkBytes: seed.chunkBytes ?? null,
      chunkDelayMs: seed.chunkDelayMs ?? 0,
      // Where the tokens send openvidu-browser (an OpenVidu server, or nothing listening).
      openviduUrl: seed.openviduUrl ?? "ws://127.0.0.1:54330",
    };
    for (const [meetingId, recs] of Object.entries(seed.recordings ?? {})) setRecordings(t, meetingId, recs);
    tenants.set(id, t);
    return {
      id,
      functionsUrl: `${base}/t/${id}/functions/v1`,
      clients,
      meetings: list,
      tokens: {
        operator: userToken({ role: "operator", sub: "0e000000-0000-4000-8000-000000000001" }),
        clientA: userToken({ role: "client", clientId: CLIENT_A, sub: "0a000000-0000-4000-8000-00000000000a", fullName: "Camille Martin" }),
        clientB: userToken({ role: "client", clientId: CLIENT_B, sub: "0b000000-0000-4000-8000-00000000000b", fullName: "Bruno Petit" }),
        expired: userToken({ role: "operator", expiresIn: -60 }),
      },
      recordings: Object.fromEntries([...t.recordings].map(([k, v]) => [k, v])),
    };
  }

  function setRecordings(t, meetingId, recs) {
    const made = recs.map(({ transcript, ...fields }) => {
      const r = makeRecording(meetingId, fields);
      t.transcripts.set(r.id, typeof transcript === "number" ? longTranscript(transcript) : transcript ?? FIXTURE_SEGMENTS);
      return r;
    });
    t.recordings.set(meetingId, made);
    return made;
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS).end();
      return;
    }
    try {
      const parts = url.pathname.split("/").filter(Boolean);
      if (parts[0] === "control") return await control(req, res, parts.slice(1));
      if (parts[0] === "t" && parts[2] === "functions" && parts[3] === "v1") {
        const t = tenants.get(parts[1]);
        if (!t) return send(res, 404, { error: { code: "not_found", message: "No such fake tenant", request_id: rid() } });
        return await api(t, req, res, url, parts.slice(4));
      }
      if (parts[0] === "t" && parts[2] === "storage") {
        const t = tenants.get(parts[1]);
        if (!t) return send(res, 404, { statusCode: "404", error: "not_found", message: "Object not found" });
        return storage(t, req, res, url, parts);
      }
      send(res, 404, { error: { code: "not_found", message: `No route ${req.method} ${url.pathname}`, request_id: rid() } });
    } catch (error) {
      log(`fake-visio: ${error.stack ?? error}`);
      if (!res.headersSent) send(res, 500, { error: { code: "internal", message: "Internal error", request_id: rid() } });
    }
  });

  async function control(req, res, parts) {
    if (parts[0] !== "tenants") return send(res, 404, { error: "unknown control route" });
    if (parts.length === 1 && req.method === "POST") return send(res, 201, createTenant(await json(req)));
    const t = tenants.get(parts[1]);
    if (!t) return send(res, 404, { error: "unknown tenant" });
    const [, , what, mid, sub, rid_] = parts;
    if (what === "tokens" && req.method === "POST") return send(res, 201, { token: userToken(await json(req)) });
    if (what === "faults" && req.method === "POST") {
      t.faults.push({ times: 1, ...(await json(req)) });
      return send(res, 201, { ok: true });
    }
    if (what === "requests" && req.method === "GET") return send(res, 200, t.requests);
    if (what === "meetings" && req.method === "POST" && !mid) {
      const m = makeMeeting(await json(req));
      t.meetings.set(m.id, m);
      return send(res, 201, m);
    }
    if (what === "meetings" && mid && !sub && req.method === "PATCH") {
      const m = t.meetings.get(mid);
      if (!m) return send(res, 404, { error: "unknown meeting" });
      Object.assign(m, await json(req), { updated_at: iso(Date.now()) });
      return send(res, 200, m);
    }
    if (what === "meetings" && sub === "recordings" && !rid_ && req.method === "PUT") {
      return send(res, 200, setRecordings(t, mid, await json(req)));
    }
    if (what === "meetings" && sub === "recordings" && rid_ && req.method === "PATCH") {
      const r = (t.recordings.get(mid) ?? []).find((x) => x.id === rid_);
      if (!r) return send(res, 404, { error: "unknown recording" });
      Object.assign(r, await json(req));
      return send(res, 200, r);
    }
    send(res, 404, { error: "unknown control route" });
  }

  async function api(t, req, res, url, parts) {
    const entry = {
      method: req.method,
      path: `/${parts.join("/")}`,
      query: url.search,
      ifNoneMatch: req.headers["if-none-match"] ?? null,
      token: (req.headers.authorization ?? "").replace(/^Bearer /, "") || null,
      status: 0,
    };
    t.requests.push(entry);
    const fault = t.faults.find((f) => (!f.method || f.method === req.method) && entry.path.includes(f.path ?? ""));
    if (fault) {
      if (--fault.times <= 0) t.faults.splice(t.faults.indexOf(fault), 1);
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.network) {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        entry.status = fault.status;
        if (fault.raw !== undefined) {
          res.writeHead(fault.status, { ...CORS, "content-type": "text/plain" }).end(fault.raw);
          return;
        }
        return send(res, fault.status, { error: { code: fault.code ?? "internal", message: fault.message ?? "Injected failure", request_id: rid(), ...(fault.issues ? { issues: fault.issues } : {}) } });
      }
    }
    let status = 200;
    let body;
    let conditional = false;
    try {
      if (parts[0] !== "meetings") throw refuse.notFound(`No route ${req.method} /${parts.join("/")}`);
      const user = principal(req);
      ({ status = 200, body, conditional = false } = await route(t, user, req, url, parts.slice(1)));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      entry.status = error.status;
      return send(res, error.status, { error: { code: error.code, message: error.message, request_id: rid(), ...(error.issues ? { issues: error.issues } : {}) } });
    }
    const text = JSON.stringify(body);
    const headers = { ...CORS, "content-type": "application/json", "x-request-id": rid() };
    if (conditional) {
      const etag = etagOf(text);
      headers.etag = etag;
      if (req.headers["if-none-match"] === etag) {
        entry.status = 304;
        res.writeHead(304, headers).end();
        return;
      }
    }
    entry.status = status;
    res.writeHead(status, headers).end(text);
  }

  function principal(req) {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ")) throw refuse.unauthorized("Missing bearer token");
    const claims = verifyToken(auth.slice(7));
    if (!claims) throw refuse.unauthorized("Invalid or expired token");
    const role = claims.app_metadata?.foxeo_role;
    if (role !== "operator" && role !== "client") throw refuse.forbidden("The token carries no Foxeo role");
    return { role, clientId: claims.app_metadata.client_id ?? null, name: claims.user_metadata?.full_name ?? "" };
  }

  function visible(t, user, id) {
    if (!UUID.test(id)) throw refuse.invalid(`Invalid meeting id "${id}"`, [{ path: "id", message: "Invalid UUID" }]);
    const m = t.meetings.get(id);
    if (!m || (user.role === "client" && m.client_id !== user.clientId)) throw refuse.notFound(`Meeting ${id} not found`);
    return m;
  }

  const operatorOnly = (user, what) => {
    if (user.role !== "operator") throw refuse.forbidden(`Only the operator can ${what}`);
  };

  async function route(t, user, req, url, parts) {
    const [id, action, rid_, sub, sub2] = parts;
    const method = req.method;
    if (!id && method === "GET") return { body: list(t, user, url.searchParams), conditional: true };
    if (!id && method === "POST") {
      operatorOnly(user, "create meetings");
      return { status: 201, body: create(t, await json(req)) };
    }
    const m = visible(t, user, id);
    if (!action && method === "GET") return { body: m, conditional: true };
    if (method === "POST" && ["start", "end", "cancel"].includes(action) && !rid_) {
      operatorOnly(user, `${action} meetings`);
      const from = { start: "scheduled", end: "in_progress", cancel: "scheduled" }[action];
      if (m.status !== from) throw refuse.state(`Cannot ${action} meeting "${m.title}": it is ${m.status}`);
      const now = iso(Date.now());
      if (action === "start") Object.assign(m, { status: "in_progress", started_at: now });
      if (action === "end") {
        const seconds = Math.max(0, Math.round((Date.now() - Date.parse(m.started_at)) / 1000));
        Object.assign(m, { status: "completed", ended_at: now, duration_seconds: seconds });
      }
      if (action === "cancel") Object.assign(m, { status: "cancelled" });
      m.updated_at = now;
      return { body: m };
    }
    if (method === "POST" && action === "token" && !rid_) {
      if (m.status !== "in_progress") throw refuse.state(`Cannot join meeting "${m.title}": it is ${m.status}`);
      const session = `visio-${m.id}`;
      return { body: { token: `${t.openviduUrl}?sessionId=${session}&token=tok_${randomBytes(8).toString("hex")}`, session_id: session } };
    }
    if (action === "recordings") {
      const recs = t.recordings.get(m.id) ?? [];
      if (!rid_ && method === "GET") return { body: [...recs].sort((a, b) => desc(a.started_at, b.started_at)) };
      const r = recs.find((x) => x.id === rid_);
      if (!r) throw refuse.notFound(`Recording ${rid_} not found`);
      if (sub === "links" && method === "GET") {
        if (r.status !== "ready") throw refuse.state(`Recording ${r.id} is not ready: it is ${r.status}`);
        return { body: links(t, m, r) };
      }
      if (sub === "transcript" && method === "GET") {
        if (r.transcription_status !== "completed") throw refuse.state(`The transcript of recording ${r.id} is not ready: it is ${r.transcription_status}`);
        return { body: { language: r.transcription_language, segments: t.transcripts.get(r.id) ?? [] } };
      }
      if (sub === "transcription" && sub2 === "retry" && method === "POST") {
        operatorOnly(user, "retry transcriptions");
        if (r.transcription_status !== "failed") throw refuse.state(`Cannot retry the transcription of recording ${r.id}: it is ${r.transcription_status}`);
        Object.assign(r, { transcription_status: "pending", transcription_error: null });
        return { body: r };
      }
    }
    throw refuse.notFound(`No route ${method} /meetings/${parts.join("/")}`);
  }

  function list(t, user, q) {
    const issues = [];
    const statuses = q.get("status") ? q.get("status").split(",") : [];
    for (const s of statuses) if (!STATUSES.includes(s)) issues.push({ path: "status", message: `Unknown status "${s}"` });
    const clientId = q.get("client_id");
    if (clientId && !UUID.test(clientId)) issues.push({ path: "client_id", message: "Invalid UUID" });
    const limit = q.has("limit") ? Number(q.get("limit")) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) issues.push({ path: "limit", message: "Must be an integer from 1 to 100" });
    if (issues.length) throw refuse.invalid(`Invalid query: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`, issues);
    const cursor = q.get("cursor") ? decodeCursor(q.get("cursor")) : null;
    const rows = [...t.meetings.values()]
      .filter((m) => user.role === "operator" || m.client_id === user.clientId)
      .filter((m) => !statuses.length || statuses.includes(m.status))
      .filter((m) => !clientId || m.client_id === clientId)
      .filter((m) => !cursor || before({ scheduled_at: cursor.at, id: cursor.id }, m) < 0)
      .sort(before);
    const items = rows.slice(0, limit);
    return { items, next_cursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null };
  }

  function create(t, body) {
    const issues = [];
    const known = ["title", "client_id", "scheduled_at", "description", "language"];
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw refuse.invalid("Invalid meeting: expected an object", [{ path: "(root)", message: "Expected object" }]);
    for (const k of Object.keys(body)) if (!known.includes(k)) issues.push({ path: k, message: "Unrecognized key" });
    const title = typeof body.title === "string" ? body.title.trim() : "";
    if (title.length < 1 || title.length > 200) issues.push({ path: "title", message: "Must be 1 to 200 characters" });
    if (typeof body.client_id !== "string" || !UUID.test(body.client_id)) issues.push({ path: "client_id", message: "Invalid UUID" });
    if (body.scheduled_at !== undefined && (typeof body.scheduled_at !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(body.scheduled_at))) {
      issues.push({ path: "scheduled_at", message: "Invalid ISO date-time" });
    }
    if (body.language !== undefined && (typeof body.language !== "string" || !/^[a-z]{2}$/.test(body.language))) issues.push({ path: "language", message: "Must be an ISO-639-1 code" });
    if (body.description !== undefined && typeof body.description !== "string") issues.push({ path: "description", message: "Expected string" });
    if (issues.length) throw refuse.invalid(`Invalid meeting: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`, issues);
    const m = makeMeeting({
      title,
      client_id: body.client_id,
      scheduled_at: body.scheduled_at ? iso(Date.parse(body.scheduled_at)) : iso(Date.now()),
      description: body.description ?? null,
      language: body.language ?? "fr",
    });
    t.meetings.set(m.id, m);
    return m;
  }

  function links(t, m, r) {
    const ttl = t.linkTtl.length > 1 ? t.linkTtl.shift() : t.linkTtl[0];
    const exp = Math.floor(Date.now() / 1000) + ttl;
    const sign = (ext, download) => {
      const path = `recordings/meetings/${m.id}/${r.id}.${ext}`;
      const token = createHmac("sha256", SECRET).update(`${path}|${exp}`).digest("base64url");
      const dl = download ? `&download=${encodeURIComponent(download)}` : "";
      return `${base}/t/${t.id}/storage/v1/object/sign/${path}?token=${token}&exp=${exp}${dl}`;
    };
    const done = r.transcription_status === "completed";
    const name = m.title.replace(/[^\p{L}\p{N}]+/gu, "-");
    return {
      expires_at: new Date((t.reportedTtl === null ? exp : Math.floor(Date.now() / 1000) + t.reportedTtl) * 1000).toISOString(),
      video_url: sign("mp4"),
      video_download_url: sign("mp4", `${name}.mp4`),
      srt_url: done ? sign("srt") : null,
      vtt_url: done ? sign("vtt") : null,
      srt_download_url: done ? sign("srt", `${name}.srt`) : null,
    };
  }

  async function storage(t, req, res, url, parts) {
    const path = parts.slice(6).join("/");
    const exp = Number(url.searchParams.get("exp"));
    const token = url.searchParams.get("token") ?? "";
    const want = createHmac("sha256", SECRET).update(`${path}|${exp}`).digest("base64url");
    const headers = { ...CORS };
    t.requests.push({ method: req.method, path: `/storage/${path}`, query: url.search, status: 0, range: req.headers.range ?? null });
    const entry = t.requests[t.requests.length - 1];
    if (token !== want) {
      entry.status = 400;
      return send(res, 400, { statusCode: "400", error: "InvalidSignature", message: "The signature does not match" });
    }
    if (exp * 1000 < Date.now()) {
      entry.status = 400;
      return send(res, 400, { statusCode: "400", error: "InvalidJWT", message: "\"exp\" claim timestamp check failed" });
    }
    const download = url.searchParams.get("download");
    if (download) headers["content-disposition"] = `attachment; filename="${download}"`;
    const [, , meetingId, file] = path.split("/");
    const [recordingId, ext] = file.split(".");
    const rec = (t.recordings.get(meetingId) ?? []).find((r) => r.id === recordingId);
    if (!rec) return send(res, 404, { statusCode: "404", error: "not_found", message: "Object not found" });
    if (ext === "vtt" || ext === "srt") {
      entry.status = 200;
      const segments = t.transcripts.get(recordingId) ?? [];
      headers["content-type"] = ext === "vtt" ? "text/vtt; charset=utf-8" : "application/x-subrip; charset=utf-8";
      res.writeHead(200, headers).end(ext === "vtt" ? vtt(segments) : srt(segments));
      return;
    }
    headers["content-type"] = "video/mp4";
    headers["accept-ranges"] = "bytes";
    headers.expires = new Date(exp * 1000).toUTCString();
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (!range) {
      entry.status = 200;
      headers["content-length"] = String(video.length);
      res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : video);
      return;
    }
    let start = range[1] === "" ? video.length - Number(range[2]) : Number(range[1]);
    // (end is narrowed below when the tenant serves in chunks)
    let end = range[1] === "" || range[2] === "" ? video.length - 1 : Math.min(Number(range[2]), video.length - 1);
    if (start < 0) start = 0;
    if (start >= video.length || start > end) {
      entry.status = 416;
      res.writeHead(416, { ...headers, "content-range": `bytes */${video.length}` }).end();
      return;
    }
    if (t.chunkBytes) {
      end = Math.min(end, start + t.chunkBytes - 1);
      if (t.chunkDelayMs) await new Promise((r) => setTimeout(r, t.chunkDelayMs));
    }
    entry.status = 206;
    headers["content-range"] = `bytes ${start}-${end}/${video.length}`;
    headers["content-length"] = String(end - start + 1);
    res.writeHead(206, headers).end(req.method === "HEAD" ? undefined : video.subarray(start, end + 1));
  }

  await new Promise((resolve) => server.listen(port, hostname, resolve));
  base = `http://${hostname}:${server.address().port}`;
  server.unref();
  return {
    url: base,
    createTenant,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const rid = () => randomUUID();

function send(res, status, body) {
  res.writeHead(status, { ...CORS, "content-type": "application/json" }).end(JSON.stringify(body));
}

async function json(req) {
  let text = "";
  for await (const chunk of req) text += chunk;
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw refuse.invalid("Malformed JSON body", [{ path: "(root)", message: "Malformed JSON" }]);
  }
}
