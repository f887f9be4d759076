/**
 * Scenes for the screenshots (widget/test/screenshots.mjs): each element in its main states,
 * against the fake service, with the fake room for the meeting itself. Bundled from source.
 */
import "../../src/define.js";
import type { MeetingListElement } from "../../src/meeting-list/meeting-list.js";
import type { MeetingRoomElement } from "../../src/meeting-room/meeting-room.js";
import type { RecordingPlayerElement } from "../../src/recording-player/recording-player.js";
import { canvasStream, FakeRoom } from "../fake-room.js";

interface Tenant {
  id: string;
  functionsUrl: string;
  meetings: { id: string; title: string }[];
  tokens: Record<string, string>;
}

const FAKE = (window as unknown as { FAKE: string }).FAKE;
const CLIENT_A = "11111111-1111-4111-8111-111111111111";
const CLIENT_B = "22222222-2222-4222-8222-222222222222";
const CLIENTS = [{ id: CLIENT_A, name: "Atelier Dupont" }, { id: CLIENT_B, name: "Boulangerie Bernard" }];
const at = (days: number, hour: number, min = 0) => {
  const d = new Date();
  d.setDate(d.getDate() + days);
  d.setHours(hour, min, 0, 0);
  return d.toISOString();
};

const MEETINGS = [
  { title: "Point hebdomadaire", client_id: CLIENT_A, status: "scheduled", scheduled_at: at(2, 10) },
  { title: "Présentation de la charte graphique", client_id: CLIENT_B, status: "scheduled", scheduled_at: at(1, 14, 30) },
  { title: "Revue des maquettes", client_id: CLIENT_A, status: "in_progress", scheduled_at: at(0, 9) },
  { title: "Bilan trimestriel", client_id: CLIENT_B, status: "completed", scheduled_at: at(-3, 16), duration_seconds: 2820 },
  { title: "Atelier de cadrage", client_id: CLIENT_B, status: "cancelled", scheduled_at: at(-5, 11) },
];

async function tenant(seed: object): Promise<Tenant> {
  const res = await fetch(`${FAKE}/control/tenants`, { method: "POST", body: JSON.stringify(seed) });
  return res.json();
}

const stage = document.getElementById("stage")!;
const until = async (check: () => unknown, timeout = 8000) => {
  const end = performance.now() + timeout;
  while (!check()) {
    if (performance.now() > end) throw new Error("scene never got ready");
    await new Promise((r) => setTimeout(r, 30));
  }
};
const q = (el: Element, sel: string) => el.shadowRoot!.querySelector<HTMLElement>(sel);

async function list(token: "operator" | "clientA", seed: object = { meetings: MEETINGS }) {
  const t = await tenant(seed);
  const el = document.createElement("foxeo-meeting-list") as MeetingListElement;
  el.setAttribute("functions-url", t.functionsUrl);
  el.setAttribute("poll-interval", "0");
  el.setAttribute("room-url", "/modules/visio/{id}");
  el.setAttribute("recordings-url", "/modules/visio/{id}/recordings");
  el.clients = CLIENTS;
  el.accessToken = t.tokens[token];
  stage.append(el);
  await until(() => q(el, "[part=list], [part=empty], [part=error]"));
  return { el, t };
}

async function room(status = "in_progress", token = "clientA") {
  const t = await tenant({ meetings: [{ title: "Revue des maquettes", client_id: CLIENT_A, status, scheduled_at: at(0, 15) }] });
  const fake = new FakeRoom();
  const el = document.createElement("foxeo-meeting-room") as MeetingRoomElement;
  el.setAttribute("functions-url", t.functionsUrl);
  el.setAttribute("meeting-id", t.meetings[0].id);
  el.setAttribute("poll-interval", "0");
  el.connectionFactory = fake.factory;
  el.accessToken = t.tokens[token];
  stage.append(el);
  await until(() => q(el, "[part=prejoin], [part=status], [part=error]"));
  return { el, fake };
}

async function joined(token = "clientA") {
  const { el, fake } = await room("in_progress", token);
  await until(() => el.media.stream && !(q(el, "[part=join-button]") as HTMLButtonElement).disabled);
  await new Promise((r) => setTimeout(r, 400));
  q(el, "[part=join-button]")!.click();
  await until(() => q(el, "[part=room]"));
  return { el, fake };
}

async function player(recordings: object[], token = "clientA") {
  const t0 = await tenant({});
  void t0;
  const seedMeeting = { title: "Lancement du projet", client_id: CLIENT_A, status: "completed", scheduled_at: at(-1, 10), duration_seconds: 1500 };
  const t = await tenant({ meetings: [seedMeeting] });
  await fetch(`${FAKE}/control/tenants/${t.id}/meetings/${t.meetings[0].id}/recordings`, { method: "PUT", body: JSON.stringify(recordings) });
  const el = document.createElement("foxeo-recording-player") as RecordingPlayerElement;
  el.setAttribute("functions-url", t.functionsUrl);
  el.setAttribute("meeting-id", t.meetings[0].id);
  el.setAttribute("poll-interval", "0");
  el.accessToken = t.tokens[token];
  stage.append(el);
  await until(() => q(el, "[part=transcript], [part=transcription-status], [part=empty]"));
  return el;
}

const ago = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

export const scenes: Record<string, () => Promise<unknown>> = {
  "list-operator": () => list("operator"),
  "list-operator-create": async () => {
    const { el } = await list("operator");
    q(el, "[part=create-button]")!.click();
    await until(() => q(el, "[part=create-form]"));
  },
  "list-operator-confirm": async () => {
    const { el } = await list("operator");
    const row = [...el.shadowRoot!.querySelectorAll("[part=meeting]")].find((r) => r.textContent!.includes("Revue des maquettes"))!;
    [...row.querySelectorAll("button")].find((b) => b.textContent!.trim() === "Terminer")!.click();
    await until(() => q(el, "[part=confirm]"));
  },
  "list-client": () => list("clientA"),
  "list-empty": () => list("clientA", { meetings: [] }),
  "room-prejoin": async () => {
    const { el } = await room();
    await until(() => el.media.stream && !(q(el, "[part=join-button]") as HTMLButtonElement).disabled);
    await new Promise((r) => setTimeout(r, 600));
  },
  "room-not-started": () => room("scheduled"),
  "room-denied": async () => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
    const { el } = await room();
    await until(() => q(el, "[part=prejoin] [part=error]"));
  },
  "room-meeting": async () => {
    const { el, fake } = await joined("operator");
    const bruno = fake.join("Bruno Petit");
    fake.join("Camille Martin", { audio: false });
    fake.join("Alice Moreau", { video: false });
    fake.main.emitNow("recording", { active: true });
    fake.main.emitNow("speaking", { connectionId: bruno.connectionId, speaking: true });
    await new Promise((r) => setTimeout(r, 700));
  },
  "room-screen": async () => {
    const { el, fake } = await joined();
    fake.join("Bruno Petit");
    navigator.mediaDevices.getDisplayMedia = () => Promise.resolve(canvasStream("Présentation — maquettes v2"));
    q(el, "[part=toggle-screen]")!.click();
    await until(() => fake.screens[0]?.published);
    fake.main.emitNow("recording", { active: true });
    await new Promise((r) => setTimeout(r, 700));
  },
  "room-reconnecting": async () => {
    const { fake } = await joined();
    fake.join("Bruno Petit");
    fake.main.emitNow("reconnecting", {});
    await new Promise((r) => setTimeout(r, 500));
  },
  "room-ended": async () => {
    const { el, fake } = await joined();
    fake.main.emitNow("disconnected", { reason: "ended" });
    await until(() => q(el, "[part=status]"));
  },
  "player": async () => {
    const el = await player([{ started_at: ago(20) }, { started_at: ago(26), transcription_status: "failed", transcription_error: "The transcription service answered 503" }]);
    const video = q(el, "video") as HTMLVideoElement;
    await until(() => video.readyState >= 2);
    video.currentTime = 10;
    await until(() => el.shadowRoot!.querySelector("[part~=line-current]"));
    const input = q(el, "[part=search-input]") as HTMLInputElement;
    input.value = "sujet";
    input.dispatchEvent(new Event("input"));
    await until(() => q(el, "[part=search-count]"));
    await new Promise((r) => setTimeout(r, 300));
  },
  "player-failed-operator": async () => {
    const el = await player([{ started_at: ago(2), transcription_status: "failed", transcription_error: "The transcription service answered 503" }], "operator");
    await until(() => q(el, "[part=retry-button]"));
    await until(() => (q(el, "video") as HTMLVideoElement).readyState >= 2);
  },
  "player-processing": async () => {
    const el = await player([{ started_at: ago(1), transcription_status: "processing" }]);
    await until(() => (q(el, "video") as HTMLVideoElement).readyState >= 2);
  },
};

(window as unknown as { scene: (name: string) => Promise<void> }).scene = async (name) => {
  await scenes[name]();
};
