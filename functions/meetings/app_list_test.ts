// The meetings API without OpenVidu in the way: list, create, read, authentication, and the
// conditional requests the widget polls with. Over HTTP (app.request), on every database.
import assert from "node:assert/strict";
import { dbTest, signUserToken } from "../_shared/testing.ts";
import { futureTimes, harness } from "./testing.ts";
import type { Meeting } from "./schemas.ts";

const ids = (items: Meeting[]) => items.map((m) => m.id);

// ---------------------------------------------------------------------------
// GET /meetings
// ---------------------------------------------------------------------------

dbTest(
  "GET /meetings lists every client's meetings to the operator, newest scheduled first",
  async ({ db }) => {
    const h = await harness(db);
    const [t1, t2, t3] = futureTimes(3);
    const b = await h.create({ title: "B", client_id: h.bob.clientId, scheduled_at: t2 });
    const a1 = await h.create({ title: "A1", scheduled_at: t1 });
    const a3 = await h.create({ title: "A3", scheduled_at: t3 });

    const res = await h.request("GET", "/meetings?limit=3", h.operator);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res.json.items), [a1.id, b.id, a3.id]);
    assert.deepEqual(Object.keys(res.json.items[0]), [
      "id",
      "title",
      "description",
      "client_id",
      "status",
      "scheduled_at",
      "started_at",
      "ended_at",
      "duration_seconds",
      "language",
      "created_at",
      "updated_at",
    ]);
  },
);

dbTest(
  "GET /meetings pages through every meeting exactly once, ties on scheduled_at included",
  async ({ db }) => {
    const h = await harness(db);
    const [t1, t2] = futureTimes(2);
    const created: Meeting[] = [];
    // Four meetings share one microsecond-precise time; the id breaks the tie.
    const shared = t2.replace("Z", "").replace(/\.(\d{3})$/, ".$1321Z");
    for (let i = 0; i < 4; i++) {
      created.push(
        await h.create({ title: `Tie ${i}`, scheduled_at: shared }),
      );
    }
    for (let i = 0; i < 3; i++) {
      created.push(
        await h.create({ title: `Early ${i}`, scheduled_at: t1 }),
      );
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/meetings?client_id=${h.alice.clientId}&limit=3` +
        (cursor ? `&cursor=${cursor}` : "");
      const res = await h.request("GET", q, h.operator);
      assert.equal(res.status, 200);
      assert.ok(res.json.items.length <= 3);
      seen.push(...ids(res.json.items));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor && pages < 10);

    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 7, "no meeting twice");
    const expected = [...created].sort((x, y) =>
      x.scheduled_at === y.scheduled_at
        ? (x.id < y.id ? 1 : -1)
        : (x.scheduled_at < y.scheduled_at ? 1 : -1)
    );
    assert.deepEqual(seen, ids(expected));
  },
);

dbTest(
  "GET /meetings filters by several statuses at once, with and without a client filter",
  async ({ db }) => {
    const h = await harness(db);
    const times = futureTimes(5);
    const scheduled = await h.create({ title: "S", scheduled_at: times[0] });
    const live = await h.create({ title: "L", scheduled_at: times[1] });
    const cancelled = await h.create({ title: "C", scheduled_at: times[2] });
    const done = await h.create({ title: "D", scheduled_at: times[3] });
    const scheduled2 = await h.create({ title: "S2", scheduled_at: times[4] });
    await h.force(live.id, "in_progress");
    await h.force(cancelled.id, "cancelled");
    await h.force(done.id, "in_progress", "completed");

    const mine = await h.request(
      "GET",
      `/meetings?status=scheduled,cancelled&client_id=${h.alice.clientId}`,
      h.operator,
    );
    assert.deepEqual(ids(mine.json.items), [scheduled.id, cancelled.id, scheduled2.id]);

    // Repeated parameters work too.
    const repeated = await h.request(
      "GET",
      `/meetings?status=in_progress&status=completed&client_id=${h.alice.clientId}`,
      h.operator,
    );
    assert.deepEqual(ids(repeated.json.items), [live.id, done.id]);

    // Without a client filter (one index range per status), paged two at a time.
    const first = await h.request(
      "GET",
      "/meetings?status=cancelled,scheduled&limit=2",
      h.operator,
    );
    assert.deepEqual(ids(first.json.items), [scheduled.id, cancelled.id]);
    const second = await h.request(
      "GET",
      `/meetings?status=cancelled,scheduled&limit=2&cursor=${first.json.next_cursor}`,
      h.operator,
    );
    assert.equal(second.json.items[0].id, scheduled2.id);
    for (const m of [...first.json.items, ...second.json.items]) {
      assert.ok(["scheduled", "cancelled"].includes(m.status));
    }
  },
);

dbTest("GET /meetings shows a client user only its own client's meetings", async ({ db }) => {
  const h = await harness(db);
  const [t1, t2] = futureTimes(2);
  const mine = await h.create({ title: "Alice's", scheduled_at: t2 });
  const theirs = await h.create({ title: "Bob's", client_id: h.bob.clientId, scheduled_at: t1 });

  const own = await h.request("GET", "/meetings", h.alice);
  assert.equal(own.status, 200);
  assert.deepEqual(ids(own.json.items), [mine.id]);

  const peek = await h.request("GET", `/meetings?client_id=${h.bob.clientId}`, h.alice);
  assert.equal(peek.status, 200);
  assert.deepEqual(peek.json.items, []);
  assert.ok(
    !(await h.request("GET", "/meetings", h.bob)).json.items.some((m: Meeting) => m.id === mine.id),
  );
  assert.deepEqual(ids((await h.request("GET", "/meetings", h.bob)).json.items), [theirs.id]);
});

dbTest(
  "GET /meetings answers 400 for a bad limit, an unknown status or a forged cursor",
  async ({ db }) => {
    const h = await harness(db);
    for (
      const [query, path] of [
        ["limit=0", "limit"],
        ["limit=101", "limit"],
        ["limit=ten", "limit"],
        ["status=scheduled,archived", "status.1"],
        ["client_id=42", "client_id"],
        ["cursor=not-a-cursor!", "cursor"],
        [`cursor=${btoa("2026-01-01|x")}`, "cursor"],
      ]
    ) {
      const res = await h.request("GET", `/meetings?${query}`, h.operator);
      assert.equal(res.status, 400, query);
      assert.equal(res.json.error.code, "invalid_request", query);
      assert.ok(
        res.json.error.issues.some((i: { path: string }) => i.path === path),
        `${query}: ${JSON.stringify(res.json.error.issues)}`,
      );
    }
  },
);

dbTest(
  "GET /meetings answers 304 to If-None-Match until a meeting on the page changes",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const path = `/meetings?client_id=${h.alice.clientId}`;
    const first = await h.request("GET", path, h.alice, {
      headers: { origin: "https://app.foxeo.fr" },
    });
    const etag = first.headers.get("etag");
    assert.ok(etag, "an ETag");
    assert.match(first.headers.get("cache-control") ?? "", /no-cache/);

    const again = await h.request("GET", path, h.alice, {
      headers: { "if-none-match": etag!, origin: "https://app.foxeo.fr" },
    });
    assert.equal(again.status, 304);
    assert.equal(again.text, "");
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(again.headers.get("access-control-allow-origin"), "*", "CORS on the 304 too");

    await h.force(m.id, "cancelled");
    const changed = await h.request("GET", path, h.alice, { headers: { "if-none-match": etag! } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
    assert.equal(changed.json.items[0].status, "cancelled");
  },
);

// ---------------------------------------------------------------------------
// POST /meetings
// ---------------------------------------------------------------------------

dbTest(
  "POST /meetings creates a scheduled meeting with a trimmed title and the operator as creator",
  async ({ db }) => {
    const h = await harness(db);
    const res = await h.request("POST", "/meetings", h.operator, {
      body: {
        title: "  Point hebdomadaire  ",
        client_id: h.alice.clientId,
        scheduled_at: "2026-12-01T15:00:00+01:00",
        description: "Ordre du jour",
        language: "en",
      },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json.title, "Point hebdomadaire");
    assert.equal(res.json.status, "scheduled");
    assert.equal(res.json.scheduled_at, "2026-12-01T14:00:00.000Z");
    assert.equal(res.json.language, "en");
    assert.equal(res.json.description, "Ordre du jour");
    assert.equal(res.json.started_at, null);
    const [row] = await db.sql`select created_by from visio.meetings where id = ${res.json.id}`;
    assert.equal(row.created_by, h.operator.userId);

    const defaults = await h.request("POST", "/meetings", h.operator, {
      body: { title: "Sans date", client_id: h.alice.clientId },
    });
    assert.equal(defaults.status, 201);
    assert.equal(defaults.json.language, "fr");
    assert.equal(defaults.json.description, null);
    assert.ok(Math.abs(Date.parse(defaults.json.scheduled_at) - Date.now()) < 60_000);
  },
);

dbTest(
  "POST /meetings rejects invalid input with the issues and writes nothing",
  async ({ db }) => {
    const h = await harness(db);
    const client = h.alice.clientId;
    const cases: [string, unknown, string][] = [
      ["empty title", { title: "   ", client_id: client }, "title"],
      ["long title", { title: "x".repeat(201), client_id: client }, "title"],
      ["no title", { client_id: client }, "title"],
      ["bad client", { title: "T", client_id: "client-a" }, "client_id"],
      [
        "local time",
        { title: "T", client_id: client, scheduled_at: "2026-12-01T15:00:00" },
        "scheduled_at",
      ],
      ["date only", { title: "T", client_id: client, scheduled_at: "2026-12-01" }, "scheduled_at"],
      ["language", { title: "T", client_id: client, language: "fra" }, "language"],
      ["unknown field", { title: "T", client_id: client, status: "completed" }, "(root)"],
      ["not an object", ["T"], "(root)"],
    ];
    for (const [what, body, path] of cases) {
      const res = await h.request("POST", "/meetings", h.operator, { body });
      assert.equal(res.status, 400, what);
      assert.equal(res.json.error.code, "invalid_request", what);
      assert.ok(
        res.json.error.issues.some((i: { path: string }) => i.path === path),
        `${what}: ${JSON.stringify(res.json.error.issues)}`,
      );
    }
    const notJson = await h.request("POST", "/meetings", h.operator, {
      raw: "{title: 'T'",
      headers: { "content-type": "application/json" },
    });
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error.message, /not valid JSON/);
    const wrongType = await h.request("POST", "/meetings", h.operator, {
      raw: "title=T",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.error.message, /must be JSON/);

    const [{ count }] = await db.sql`select count(*)::int as count from visio.meetings
                                   where client_id = ${client}`;
    assert.equal(count, 0);
  },
);

dbTest("POST /meetings is the operator's: a client user gets 403", async ({ db }) => {
  const h = await harness(db);
  const res = await h.request("POST", "/meetings", h.alice, {
    body: { title: "Mine", client_id: h.alice.clientId },
  });
  assert.equal(res.status, 403);
  assert.equal(res.json.error.code, "forbidden");
});

dbTest("POST /meetings refuses a body over 16 KB with 413", async ({ db }) => {
  const h = await harness(db);
  const res = await h.request("POST", "/meetings", h.operator, {
    body: { title: "T", client_id: h.alice.clientId, description: "x".repeat(20_000) },
  });
  assert.equal(res.status, 413);
  assert.equal(res.json.error.code, "payload_too_large");
});

// ---------------------------------------------------------------------------
// GET /meetings/:id and authentication
// ---------------------------------------------------------------------------

dbTest(
  "GET /meetings/:id: the operator and the meeting's client read it; another client gets 404, never 403",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    for (const user of [h.operator, h.alice]) {
      const res = await h.request("GET", `/meetings/${m.id}`, user);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, m);
    }
    const other = await h.request("GET", `/meetings/${m.id}`, h.bob);
    assert.equal(other.status, 404);
    assert.equal(other.json.error.code, "not_found");
    const missing = await h.request("GET", `/meetings/${crypto.randomUUID()}`, h.operator);
    assert.equal(missing.status, 404);
    const malformed = await h.request("GET", "/meetings/42", h.operator);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, "invalid_request");
  },
);

dbTest("GET /meetings/:id answers 304 to a matching If-None-Match", async ({ db }) => {
  const h = await harness(db);
  const m = await h.create();
  const first = await h.request("GET", `/meetings/${m.id}`, h.alice);
  const etag = first.headers.get("etag")!;
  const again = await h.request("GET", `/meetings/${m.id}`, h.alice, {
    headers: { "if-none-match": `W/${etag}, "other"` },
  });
  assert.equal(again.status, 304);
});

dbTest("every route answers 401 without a valid access token", async ({ db }) => {
  const h = await harness(db);
  const m = await h.create();
  const expired = await signUserToken({ role: "operator", expiresIn: -60 });
  const forged = await signUserToken({ role: "operator", secret: "x".repeat(40) });
  const routes: [string, string][] = [
    ["GET", "/meetings"],
    ["POST", "/meetings"],
    ["GET", `/meetings/${m.id}`],
    ["POST", `/meetings/${m.id}/start`],
    ["POST", `/meetings/${m.id}/token`],
    ["POST", `/meetings/${m.id}/end`],
    ["POST", `/meetings/${m.id}/cancel`],
  ];
  for (const [method, path] of routes) {
    for (const user of [null, expired, forged]) {
      const res = await h.request(method, path, user);
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.json.error.code, "unauthorized");
    }
  }
  assert.equal(await h.status(m.id), "scheduled");
  // A valid token without a Foxeo role is 403.
  const stranger = await signUserToken({ appMetadata: {} });
  assert.equal((await h.request("GET", "/meetings", stranger)).status, 403);
  // So is a client user whose token names no client.
  const orphan = await signUserToken({ appMetadata: { foxeo_role: "client" } });
  assert.equal((await h.request("GET", "/meetings", orphan)).status, 403);
});

dbTest("CORS preflight is answered without a token", async ({ db }) => {
  const h = await harness(db);
  const res = await h.app.request("/meetings", {
    method: "OPTIONS",
    headers: {
      origin: "https://app.foxeo.fr",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/i);
});
