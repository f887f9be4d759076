// QA controls of the OpenVidu emulator, through the demo server's relay of its control API
// (/demo/emulators/openvidu/… → <emulator>/emulator/…): simulated participants join or leave a
// session, a recording finishes now. None of this exists in Foxeo.
const API = "/demo/emulators/openvidu";
const POLL_MS = 2000;

async function call(method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(data?.error ? String(data.error) : `HTTP ${res.status}`);
  return data;
}

/** The name a participant goes by: the client data openvidu-browser sent, else the token's. */
function nameOf(participant) {
  for (const raw of [participant.clientData, participant.serverData]) {
    try {
      const data = JSON.parse(raw);
      const name = data.displayName ?? data.display_name;
      if (typeof name === "string" && name.trim()) return name.trim();
    } catch {
      // not JSON
    }
  }
  return participant.connectionId;
}

function isSimulated(participant) {
  return /simulated/i.test(participant.platform ?? "");
}

let simulatedCount = 0;
function simulatedJoin(sessionId) {
  simulatedCount += 1;
  const displayName = `Participant simulé ${simulatedCount}`;
  // What openvidu-browser sends as the connect() metadata of a camera connection.
  return call("POST", `/sessions/${encodeURIComponent(sessionId)}/participants`, {
    displayName,
    clientData: JSON.stringify({ displayName, kind: "camera" }),
  }).then(() => `${displayName} a rejoint la session.`);
}

function leave(sessionId, participant) {
  return call(
    "DELETE",
    `/sessions/${encodeURIComponent(sessionId)}/participants/${encodeURIComponent(participant.connectionId)}`,
  ).then(() => `${nameOf(participant)} a quitté la session.`);
}

function finishRecording(recordingId) {
  return call("POST", `/recordings/${encodeURIComponent(recordingId)}/stop`).then((r) =>
    `Enregistrement ${r.id} terminé (${r.status}) : le webhook l'envoie au pipeline.`
  );
}

function poll(render) {
  let timer = null;
  const tick = async () => {
    try {
      render((await call("GET", "/sessions")).sessions, null);
    } catch (err) {
      render(null, err);
    }
    timer = setTimeout(tick, POLL_MS);
  };
  tick();
  return {
    now: () => {
      clearTimeout(timer);
      tick();
    },
  };
}

/** The room page's panel: the meeting's own session. */
export function startEmulatorPanel(panel) {
  const sessionId = panel.dataset.session;
  const state = panel.querySelector("[data-session-state]");
  const list = panel.querySelector("[data-participants]");
  const result = panel.querySelector("[data-result]");
  const joinButton = panel.querySelector('[data-action="join"]');
  const stopButton = panel.querySelector('[data-action="stop-recording"]');
  let session = null;
  let shown = "";

  const act = (work) =>
    work().then((text) => (result.textContent = text), (err) => (result.textContent = `Échec : ${err.message}`))
      .finally(() => poller.now());

  joinButton.addEventListener("click", () => act(() => simulatedJoin(sessionId)));
  stopButton.addEventListener("click", () => session?.recordingId && act(() => finishRecording(session.recordingId)));
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-connection]");
    const participant = session?.participants.find((p) => p.connectionId === button?.dataset.connection);
    if (participant) act(() => leave(sessionId, participant));
  });

  const poller = poll((sessions, error) => {
    if (error) {
      state.textContent = `Émulateur injoignable : ${error.message}`;
      return;
    }
    session = sessions.find((s) => s.sessionId === sessionId) ?? null;
    joinButton.disabled = !session;
    stopButton.disabled = !session?.recordingId;
    const key = JSON.stringify(session);
    if (key === shown) return;
    shown = key;
    if (!session) {
      state.textContent = "Session OpenVidu : aucune (elle existe tant que la réunion est en cours).";
      list.replaceChildren();
      return;
    }
    const count = session.participants.length;
    state.textContent = `Session OpenVidu ouverte · ${count} participant${count > 1 ? "s" : ""} · ${
      session.recordingId ? `enregistrement en cours (${session.recordingId})` : "pas d'enregistrement en cours"
    }`;
    list.replaceChildren(...session.participants.map((p) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = `${nameOf(p)}${isSimulated(p) ? " (simulé)" : ""}`;
      li.append(name);
      if (isSimulated(p)) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.connection = p.connectionId;
        button.textContent = "Quitter";
        button.setAttribute("aria-label", `${nameOf(p)} quitte la session`);
        li.append(button);
      }
      return li;
    }));
  });
}

/** The QA home: every session of the emulator. */
export function startSessionsOverview(section) {
  const container = section.querySelector("[data-sessions]");
  const result = section.querySelector("[data-result]");
  let sessions = [];
  let shown = "";
  const act = (work) =>
    work().then((text) => (result.textContent = text), (err) => (result.textContent = `Échec : ${err.message}`))
      .finally(() => poller.now());

  container.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const session = sessions.find((s) => s.sessionId === button.dataset.session);
    if (!session) return;
    if (button.dataset.action === "join") act(() => simulatedJoin(session.sessionId));
    if (button.dataset.action === "stop-recording") act(() => finishRecording(session.recordingId));
    if (button.dataset.action === "leave") {
      const participant = session.participants.find((p) => p.connectionId === button.dataset.connection);
      if (participant) act(() => leave(session.sessionId, participant));
    }
  });

  const poller = poll((list, error) => {
    if (error) {
      container.textContent = `Émulateur injoignable : ${error.message}`;
      return;
    }
    sessions = list;
    const key = JSON.stringify(list);
    if (key === shown) return;
    shown = key;
    if (!list.length) {
      container.innerHTML = "<p>Aucune session : démarrez une réunion dans Visio.</p>";
      return;
    }
    const table = document.createElement("table");
    table.className = "sessions";
    table.innerHTML =
      "<thead><tr><th scope=col>Session</th><th scope=col>Participants</th><th scope=col>Enregistrement</th><th scope=col>Actions</th></tr></thead>";
    const body = table.createTBody();
    for (const s of list) {
      const row = body.insertRow();
      row.insertCell().textContent = s.sessionId;
      const people = row.insertCell();
      for (const p of s.participants) {
        const line = document.createElement("div");
        line.textContent = `${nameOf(p)}${isSimulated(p) ? " (simulé) " : " "}`;
        if (isSimulated(p)) {
          const b = document.createElement("button");
          Object.assign(b.dataset, { action: "leave", session: s.sessionId, connection: p.connectionId });
          b.type = "button";
          b.textContent = "Quitter";
          line.append(b);
        }
        people.append(line);
      }
      if (!s.participants.length) people.textContent = "personne";
      row.insertCell().textContent = s.recordingId ? `en cours (${s.recordingId})` : "—";
      const actions = row.insertCell();
      const join = document.createElement("button");
      Object.assign(join.dataset, { action: "join", session: s.sessionId });
      join.type = "button";
      join.textContent = "Un participant simulé rejoint";
      actions.append(join);
      if (s.recordingId) {
        const stop = document.createElement("button");
        Object.assign(stop.dataset, { action: "stop-recording", session: s.sessionId });
        stop.type = "button";
        stop.textContent = "L'enregistrement se termine";
        actions.append(" ", stop);
      }
    }
    container.replaceChildren(table);
  });
}
