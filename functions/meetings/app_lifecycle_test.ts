// The meeting lifecycle over HTTP against the OpenVidu emulator: start, tokens, end, cancel;
// roles and other clients; every OpenVidu failure; concurrent calls; and the secret that must
// never show. On every database.
import assert from "node:assert/strict";
import { DEFAULT_SESSION_PROPERTIES } from "../../demo/emulators/openvidu/model.ts";
import { startOpenViduEmulator } from "../../demo/emulators/openvidu/mod.ts";
import { dbTest, eventually } from "../_shared/testing.ts";
import { closedPort, harness, OPENVIDU_SECRET } from "./testing.ts";

const sessionOf = (id: string) => `visio-${id}`;

// ---------------------------------------------------------------------------
// start
// ---------------------------------------------------------------------------

dbTest(
  "POST /meetings/:id/start opens the OpenVidu session with automatic recording and moves to in_progress",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const res = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "in_progress");
    assert.ok(Date.parse(res.json.started_at) <= Date.now());
    const session = h.emulator.model.session(sessionOf(m.id));
    assert.ok(session, "the OpenVidu session exists");
    assert.equal(session.properties.recordingMode, "ALWAYS");
    assert.equal(session.properties.mediaMode, "ROUTED");
    assert.equal(session.properties.defaultRecordingProperties.outputMode, "COMPOSED");
    const [row] = await db.sql`select openvidu_session_id from visio.meetings where id = ${m.id}`;
    assert.equal(row.openvidu_session_id, sessionOf(m.id));
    // Nobody joined yet: nothing records (OpenVidu would refuse a start with 406).
    assert.equal(session.recordingId, null);
  },
);

dbTest(
  "POST /meetings/:id/start uses an OpenVidu session that already exists (409 is success)",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const before = h.emulator.model.createSession({
      ...DEFAULT_SESSION_PROPERTIES,
      customSessionId: sessionOf(m.id),
      recordingMode: "ALWAYS",
    });
    const res = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "in_progress");
    assert.equal(h.emulator.model.session(sessionOf(m.id)), before, "the same session");
  },
);

dbTest(
  "POST /meetings/:id/start answers 409 invalid_state unless the meeting is scheduled",
  async ({ db }) => {
    const h = await harness(db);
    const cases = [
      ["in progress", ["in_progress"]],
      ["completed", ["in_progress", "completed"]],
      ["cancelled", ["cancelled"]],
    ] as const;
    for (const [words, path] of cases) {
      const m = await h.create({ title: `Réunion ${words}` });
      await h.force(m.id, ...path);
      const res = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
      assert.equal(res.status, 409, words);
      assert.equal(res.json.error.code, "invalid_state");
      assert.equal(
        res.json.error.message,
        `Cannot start meeting "Réunion ${words}": it is ${words}`,
      );
      assert.equal(h.emulator.model.session(sessionOf(m.id)), undefined);
    }
  },
);

dbTest(
  "operator actions by a client user: 403 on its own meeting, 404 on another client's",
  async ({ db }) => {
    const h = await harness(db);
    const own = await h.create();
    const live = await h.create();
    await h.force(live.id, "in_progress");
    const theirs = await h.create({ client_id: h.bob.clientId });
    for (const [action, m] of [["start", own], ["cancel", own], ["end", live]] as const) {
      const mine = await h.request("POST", `/meetings/${m.id}/${action}`, h.alice);
      assert.equal(mine.status, 403, action);
      assert.equal(mine.json.error.code, "forbidden");
      const other = await h.request("POST", `/meetings/${theirs.id}/${action}`, h.alice);
      assert.equal(other.status, 404, action);
      assert.equal(other.json.error.code, "not_found");
    }
    assert.equal(await h.status(own.id), "scheduled");
    assert.equal(await h.status(live.id), "in_progress");
    assert.equal(await h.status(theirs.id), "scheduled");
  },
);

dbTest(
  "OpenVidu failing during start leaves the meeting scheduled and the answer says why",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create({ title: "Kick-off" });

    // A 500 whose body is plain text labelled JSON (what OpenVidu does).
    h.emulator.failNext("POST /openvidu/api/sessions", {
      status: 500,
      body: "Error starting session: media server unreachable",
    });
    const crashed = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    assert.equal(crashed.status, 502);
    assert.equal(crashed.json.error.code, "upstream_error");
    assert.match(
      crashed.json.error.message,
      /^Cannot start meeting "Kick-off" \(it is still scheduled\)/,
    );
    assert.match(
      crashed.json.error.message,
      /HTTP 500 \(Error starting session: media server unreachable\)/,
    );
    assert.equal(await h.status(m.id), "scheduled");

    // A bad request (400 with OpenVidu's error JSON): its message is passed on.
    h.emulator.failNext("POST /openvidu/api/sessions", {
      status: 400,
      body: JSON.stringify({ status: 400, message: "Parameter 'customSessionId' is wrong" }),
    });
    const refused = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    assert.equal(refused.status, 502);
    assert.match(refused.json.error.message, /HTTP 400 \(Parameter 'customSessionId' is wrong\)/);

    // No answer in time.
    const slow = await harness(db, { openvidu: { timeoutMs: 200 } });
    slow.emulator.failNext("POST /openvidu/api/sessions", { hang: true });
    const hung = await slow.request("POST", `/meetings/${m.id}/start`, slow.operator);
    assert.equal(hung.status, 502);
    assert.match(
      hung.json.error.message,
      /did not answer within 0.2 s while trying to create session/,
    );
    assert.equal(await h.status(m.id), "scheduled");

    // Nothing listening.
    const down = await harness(db, { openvidu: { url: `http://127.0.0.1:${closedPort()}` } });
    const refusedConn = await down.request("POST", `/meetings/${m.id}/start`, down.operator);
    assert.equal(refusedConn.status, 502);
    assert.match(
      refusedConn.json.error.message,
      /unreachable at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
    );

    // A wrong secret.
    const wrong = await harness(db, { openvidu: { secret: "not-the-secret" } });
    const denied = await wrong.request("POST", `/meetings/${m.id}/start`, wrong.operator);
    assert.equal(denied.status, 502);
    assert.match(denied.json.error.message, /refused the credentials \(check OPENVIDU_SECRET\)/);

    assert.equal(await h.status(m.id), "scheduled");
    assert.equal(h.emulator.model.session(sessionOf(m.id)), undefined);
    // Once OpenVidu is back, the same meeting starts.
    const ok = await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.status, "in_progress");
  },
);

// ---------------------------------------------------------------------------
// token
// ---------------------------------------------------------------------------

dbTest(
  "POST /meetings/:id/token gives each call a fresh single-use token carrying the user",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    await h.request("POST", `/meetings/${m.id}/start`, h.operator);

    const a = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    assert.equal(a.status, 200);
    assert.deepEqual(Object.keys(a.json), ["token", "session_id"]);
    assert.equal(a.json.session_id, sessionOf(m.id));
    assert.match(
      a.json.token,
      new RegExp(
        `^ws://127\\.0\\.0\\.1:\\d+\\?sessionId=${sessionOf(m.id)}&token=tok_[A-Z][A-Za-z0-9]{15}$`,
      ),
    );
    assert.equal(a.headers.get("cache-control"), "no-store");
    const op = await h.request("POST", `/meetings/${m.id}/token`, h.operator);
    const a2 = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    assert.equal(
      new Set([a.json.token, op.json.token, a2.json.token]).size,
      3,
      "one token per call",
    );

    // The connection data names the user, as JSON.
    const { connectionId } = await h.emulator.join(sessionOf(m.id), { token: a.json.token });
    const connection = h.emulator.model.connection(sessionOf(m.id), connectionId);
    assert.deepEqual(JSON.parse(connection.properties.data), {
      user_id: h.alice.userId,
      display_name: "Alice Martin",
      role: "client",
    });
    // Single use: the same token cannot join twice.
    await assert.rejects(
      h.emulator.join(sessionOf(m.id), { token: a.json.token }),
      /is not valid/,
    );
  },
);

dbTest(
  "POST /meetings/:id/token answers 409 unless the meeting is in progress, 404 for another client",
  async ({ db }) => {
    const h = await harness(db);
    const cases = [["scheduled", []], ["completed", ["in_progress", "completed"]], [
      "cancelled",
      ["cancelled"],
    ]] as const;
    for (const [status, path] of cases) {
      const m = await h.create({ title: `T ${status}` });
      await h.force(m.id, ...path);
      const res = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
      assert.equal(res.status, 409, status);
      assert.equal(res.json.error.message, `Cannot join meeting "T ${status}": it is ${status}`);
    }
    const theirs = await h.create({ client_id: h.bob.clientId });
    await h.request("POST", `/meetings/${theirs.id}/start`, h.operator);
    const res = await h.request("POST", `/meetings/${theirs.id}/token`, h.alice);
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, "not_found");
    assert.equal((await h.request("POST", `/meetings/${theirs.id}/token`, h.bob)).status, 200);
  },
);

dbTest(
  "POST /meetings/:id/token re-creates the OpenVidu session after it closed on emptying",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    const first = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    // Alice joins without publishing (nothing records), then leaves: OpenVidu closes the session.
    const { connectionId } = await h.emulator.join(sessionOf(m.id), {
      token: first.json.token,
      publish: false,
    });
    const closedInstance = h.emulator.model.session(sessionOf(m.id))!.uniqueSessionId;
    await h.emulator.leave(sessionOf(m.id), connectionId);
    assert.equal(h.emulator.model.session(sessionOf(m.id)), undefined, "closed when emptied");

    const again = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    assert.equal(again.status, 200);
    const session = h.emulator.model.session(sessionOf(m.id));
    assert.ok(session, "re-created");
    assert.notEqual(session.uniqueSessionId, closedInstance);
    assert.equal(session.properties.recordingMode, "ALWAYS");
    // The new token works.
    await h.emulator.join(sessionOf(m.id), { token: again.json.token });
    // The old one died with the old session.
    await assert.rejects(h.emulator.join(sessionOf(m.id), { token: first.json.token }));
  },
);

dbTest(
  "a recorded session that emptied stays open until its automatic stop, then tokens re-create it",
  async ({ db }) => {
    const emulator = await startOpenViduEmulator({
      secret: OPENVIDU_SECRET,
      autostopTimeoutMs: 50,
      log: () => {},
    });
    try {
      const h = await harness(db, { emulator });
      const m = await h.create();
      const sid = sessionOf(m.id);
      await h.request("POST", `/meetings/${m.id}/start`, h.operator);
      const t = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
      const { connectionId } = await emulator.join(sid, { token: t.json.token });
      assert.equal(
        emulator.model.session(sid)!.recordingId,
        sid,
        "ALWAYS: recording at first publish",
      );
      await emulator.leave(sid, connectionId);
      assert.ok(emulator.model.session(sid), "kept open by its recording");
      await eventually(() => !emulator.model.session(sid), { what: "automatic stop" });
      assert.equal(emulator.model.recording(sid).status, "ready");

      const t2 = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
      assert.equal(t2.status, 200);
      await emulator.join(sid, { token: t2.json.token });
      // A second recording of the same session id gets the next free id.
      assert.equal(emulator.model.session(sid)!.recordingId, `${sid}~1`);
    } finally {
      await emulator.close();
    }
  },
);

dbTest(
  "POST /meetings/:id/token creates the session of an in-progress meeting that has none",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    await h.force(m.id, "in_progress"); // like the seed: no OpenVidu session yet
    const res = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    assert.equal(res.status, 200);
    assert.equal(res.json.session_id, sessionOf(m.id));
    assert.ok(h.emulator.model.session(sessionOf(m.id)));
  },
);

dbTest(
  "POST /meetings/:id/token does not re-create the session of a meeting ended meanwhile",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    // OpenVidu says the session is gone, and by then the operator has ended the meeting.
    h.emulator.failNext(`POST /openvidu/api/sessions/${sessionOf(m.id)}/connection`, {
      status: 404,
    });
    h.emulator.model.closeSession(sessionOf(m.id));
    await h.force(m.id, "completed");
    const res = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    assert.equal(res.status, 409);
    assert.equal(h.emulator.model.session(sessionOf(m.id)), undefined);
  },
);

dbTest("POST /meetings/:id/token maps OpenVidu failures to 502 upstream_error", async ({ db }) => {
  const h = await harness(db);
  const m = await h.create({ title: "Démo" });
  await h.request("POST", `/meetings/${m.id}/start`, h.operator);
  const route = `POST /openvidu/api/sessions/${sessionOf(m.id)}/connection`;

  h.emulator.failNext(route, { status: 500, body: "java.lang.NullPointerException" });
  const crashed = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
  assert.equal(crashed.status, 502);
  assert.equal(
    crashed.json.error.message,
    `Cannot get a token for meeting "Démo": OpenVidu could not create a connection in session ${
      sessionOf(m.id)
    }: HTTP 500 (java.lang.NullPointerException)`,
  );

  // A session that keeps vanishing: two re-creations, then a clear error.
  h.emulator.failNext(route, { status: 404, times: 3 });
  const vanished = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
  assert.equal(vanished.status, 502);
  assert.match(vanished.json.error.message, /session does not exist/);

  // 404 once: re-created, and the token comes.
  h.emulator.failNext(route, { status: 404 });
  assert.equal((await h.request("POST", `/meetings/${m.id}/token`, h.alice)).status, 200);
});

// ---------------------------------------------------------------------------
// end and cancel
// ---------------------------------------------------------------------------

dbTest(
  "POST /meetings/:id/end stops the recording, closes the session and completes with the duration",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const sid = sessionOf(m.id);
    await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    const t = await h.request("POST", `/meetings/${m.id}/token`, h.alice);
    await h.emulator.join(sid, { token: t.json.token });
    const recordingId = h.emulator.model.session(sid)!.recordingId!;
    // The meeting has lasted a while.
    await db.asService((tx) =>
      tx`update visio.meetings set started_at = now() - interval '95 seconds' where id = ${m.id}`
    );

    const res = await h.request("POST", `/meetings/${m.id}/end`, h.operator);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "completed");
    assert.ok(res.json.duration_seconds >= 95 && res.json.duration_seconds < 120);
    assert.ok(Date.parse(res.json.ended_at) >= Date.parse(res.json.started_at));
    const recording = h.emulator.model.recording(recordingId);
    assert.equal(recording.status, "ready");
    assert.equal(
      recording.reason,
      "recordingStoppedByServer",
      "stopped by the end, not by the close",
    );
    assert.equal(h.emulator.model.session(sid), undefined, "session closed");
  },
);

dbTest(
  "POST /meetings/:id/end still ends the meeting when OpenVidu fails, and logs it",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const sid = sessionOf(m.id);
    await h.request("POST", `/meetings/${m.id}/start`, h.operator);
    h.emulator.failNext(`GET /openvidu/api/sessions/${sid}`, { status: 500, body: "boom" });
    const res = await h.request("POST", `/meetings/${m.id}/end`, h.operator);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "completed");
    assert.ok(
      h.logLines.some((l) =>
        l.includes('"level":"error"') && l.includes("could not be closed") && l.includes(sid)
      ),
      "the failure is logged",
    );

    // OpenVidu unreachable: the same.
    const m2 = await h.create();
    await h.request("POST", `/meetings/${m2.id}/start`, h.operator);
    const down = await harness(db, { openvidu: { url: `http://127.0.0.1:${closedPort()}` } });
    const res2 = await down.request("POST", `/meetings/${m2.id}/end`, down.operator);
    assert.equal(res2.status, 200);
    assert.equal(await h.status(m2.id), "completed");
    assert.ok(down.logLines.some((l) => l.includes("connection refused")));
  },
);

dbTest("POST /meetings/:id/end answers 409 unless the meeting is in progress", async ({ db }) => {
  const h = await harness(db);
  for (
    const [status, path] of [["scheduled", []], ["completed", ["in_progress", "completed"]], [
      "cancelled",
      ["cancelled"],
    ]] as const
  ) {
    const m = await h.create({ title: status });
    await h.force(m.id, ...path);
    const res = await h.request("POST", `/meetings/${m.id}/end`, h.operator);
    assert.equal(res.status, 409, status);
    assert.equal(res.json.error.message, `Cannot end meeting "${status}": it is ${status}`);
    assert.equal(await h.status(m.id), status);
  }
});

dbTest(
  "POST /meetings/:id/cancel cancels a scheduled meeting and answers 409 otherwise",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const res = await h.request("POST", `/meetings/${m.id}/cancel`, h.operator);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "cancelled");
    const again = await h.request("POST", `/meetings/${m.id}/cancel`, h.operator);
    assert.equal(again.status, 409);
    assert.match(again.json.error.message, /it is cancelled/);
    const live = await h.create();
    await h.request("POST", `/meetings/${live.id}/start`, h.operator);
    assert.equal((await h.request("POST", `/meetings/${live.id}/cancel`, h.operator)).status, 409);
    assert.equal((await h.request("POST", `/meetings/${live.id}/start`, h.operator)).status, 409);
  },
);

// ---------------------------------------------------------------------------
// concurrency
// ---------------------------------------------------------------------------

dbTest(
  "two concurrent starts of one meeting: one succeeds, the other gets 409, one session",
  async ({ db }) => {
    const h = await harness(db);
    const m = await h.create();
    const answers = await Promise.all([
      h.request("POST", `/meetings/${m.id}/start`, h.operator),
      h.request("POST", `/meetings/${m.id}/start`, h.operator),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
    assert.equal(await h.status(m.id), "in_progress");
    assert.equal(
      h.emulator.model.sessions().filter((s) => s.sessionId === sessionOf(m.id)).length,
      1,
    );
    assert.ok(h.emulator.model.session(sessionOf(m.id)), "the winner's session is open");
  },
);

dbTest("two concurrent ends of one meeting: one succeeds, the other gets 409", async ({ db }) => {
  const h = await harness(db);
  const m = await h.create();
  await h.request("POST", `/meetings/${m.id}/start`, h.operator);
  const answers = await Promise.all([
    h.request("POST", `/meetings/${m.id}/end`, h.operator),
    h.request("POST", `/meetings/${m.id}/end`, h.operator),
  ]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
  const [row] = await db.sql`select status, ended_at from visio.meetings where id = ${m.id}`;
  assert.equal(row.status, "completed");
  const winner = answers.find((a) => a.status === 200)!;
  assert.equal(new Date(row.ended_at).toISOString(), winner.json.ended_at);
  assert.equal(h.emulator.model.session(sessionOf(m.id)), undefined);
});

dbTest(
  "a start that loses the race to a cancel closes the OpenVidu session it opened",
  async ({ db }) => {
    const base = await harness(db);
    const m = await base.create();
    // The cancel lands while OpenVidu is creating the session.
    const racing = await harness(db, {
      openvidu: {
        fetch: async (input, init) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          if (init?.method === "POST" && url.pathname === "/openvidu/api/sessions") {
            const cancel = await base.request("POST", `/meetings/${m.id}/cancel`, base.operator);
            assert.equal(cancel.status, 200);
          }
          return fetch(input, init);
        },
      },
    });
    const res = await racing.request("POST", `/meetings/${m.id}/start`, racing.operator);
    assert.equal(res.status, 409);
    assert.match(res.json.error.message, /it is cancelled/);
    assert.equal(await base.status(m.id), "cancelled");
    assert.equal(base.emulator.model.session(sessionOf(m.id)), undefined, "no orphan session");
  },
);

// ---------------------------------------------------------------------------
// the secret
// ---------------------------------------------------------------------------

dbTest("OPENVIDU_SECRET appears in no response body and no log line", async ({ db }) => {
  const h = await harness(db);
  const slow = await harness(db, { openvidu: { timeoutMs: 100 } });
  const m = await h.create();
  const sid = sessionOf(m.id);
  // Happy path and every failure path that carries OpenVidu's words back.
  h.emulator.failNext("POST /openvidu/api/sessions", {
    status: 500,
    body: `Authorization failed for OPENVIDUAPP:${OPENVIDU_SECRET}`,
  });
  await h.request("POST", `/meetings/${m.id}/start`, h.operator);
  slow.emulator.failNext("POST /openvidu/api/sessions", { hang: true });
  await slow.request("POST", `/meetings/${m.id}/start`, slow.operator);
  await h.request("POST", `/meetings/${m.id}/start`, h.operator);
  await h.request("POST", `/meetings/${m.id}/token`, h.alice);
  h.emulator.failNext(`POST /openvidu/api/sessions/${sid}/connection`, {
    status: 400,
    body: JSON.stringify({ message: `bad secret ${OPENVIDU_SECRET}` }),
  });
  await h.request("POST", `/meetings/${m.id}/token`, h.alice);
  h.emulator.failNext(`DELETE /openvidu/api/sessions/${sid}`, {
    status: 500,
    body: OPENVIDU_SECRET,
  });
  await h.request("POST", `/meetings/${m.id}/end`, h.operator);

  const basic = btoa(`OPENVIDUAPP:${OPENVIDU_SECRET}`);
  const everything = [...h.bodies, ...slow.bodies, ...h.logLines, ...slow.logLines];
  assert.ok(h.logLines.length > 5 && h.bodies.length >= 5, "there was plenty to look at");
  assert.ok(everything.some((t) => t.includes("[redacted]")), "the echoed secret was caught");
  for (const text of everything) {
    assert.ok(!text.includes(OPENVIDU_SECRET), `secret in: ${text.slice(0, 200)}`);
    assert.ok(!text.includes(basic), `credentials in: ${text.slice(0, 200)}`);
  }
});
