import { expect, fixture, html, oneEvent } from "@open-wc/testing";
import type { FoxeoErrorEvent, FoxeoJoinedEvent, FoxeoLeftEvent, FoxeoMeetingEndedEvent } from "../shared/events.js";
import { canvasStream, FakeRoom } from "../../test/fake-room.js";
import {
  apiRequests,
  button,
  CLIENT_A,
  createTenant,
  hasPart,
  part,
  partSoon,
  parts,
  patchMeeting,
  type Tenant,
  text,
  until,
} from "../../test/helpers.js";
import "./define.js";
import type { MeetingRoomElement } from "./meeting-room.js";

/** Records every stream getUserMedia hands out (so tests can check they are stopped), or refuses. */
function spyOnMedia() {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia.bind(md);
  const streams: MediaStream[] = [];
  let refuse = false;
  md.getUserMedia = async (constraints) => {
    if (refuse) throw new DOMException("Permission denied", "NotAllowedError");
    const s = await real(constraints);
    streams.push(s);
    return s;
  };
  return {
    streams,
    live: () => streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === "live"),
    refuse: (on: boolean) => (refuse = on),
    restore: () => delete (md as unknown as Record<string, unknown>).getUserMedia,
  };
}

let media: ReturnType<typeof spyOnMedia>;
let fakeRoom: FakeRoom;

async function room(t: Tenant, meetingId: string, token = t.tokens.clientA, attrs: { timeout?: number; lang?: string } = {}) {
  const el = await fixture<MeetingRoomElement>(html`<foxeo-meeting-room
    functions-url=${t.functionsUrl}
    meeting-id=${meetingId}
    .accessToken=${token}
    .connectionFactory=${fakeRoom.factory}
    connect-timeout=${attrs.timeout ?? 5}
    poll-interval="0.1"
    lang=${attrs.lang ?? ""}
  ></foxeo-meeting-room>`);
  return el;
}

/** A tenant with one meeting in progress, and the room ready to join (preview running). */
async function prejoin(token: "operator" | "clientA" = "clientA") {
  const t = await createTenant({ meetings: [{ title: "Revue des maquettes", client_id: CLIENT_A, status: "in_progress" }] });
  const el = await room(t, t.meetings[0].id, t.tokens[token]);
  await until(() => el.media.stream && !part<HTMLButtonElement>(el, "join-button").disabled, "the preview never started");
  return { t, el, meeting: t.meetings[0] };
}

async function joined(token: "operator" | "clientA" = "clientA") {
  const ctx = await prejoin(token);
  const done = oneEvent(ctx.el, "foxeo-joined") as Promise<FoxeoJoinedEvent>;
  part(ctx.el, "join-button").click();
  const event = await done;
  await partSoon(ctx.el, "room");
  return { ...ctx, event };
}

const tileNames = (el: MeetingRoomElement) => parts(el, "tile").map((f) => text(f.querySelector(".who")));
const tileOf = (el: MeetingRoomElement, name: string) => parts(el, "tile").find((f) => text(f.querySelector(".who")) === name)!;

describe("<foxeo-meeting-room>", () => {
  beforeEach(() => {
    media = spyOnMedia();
    fakeRoom = new FakeRoom();
  });
  afterEach(() => {
    media.live().forEach((t) => t.stop());
    media.restore();
    fakeRoom.dispose();
    delete (navigator.mediaDevices as unknown as Record<string, unknown>).getDisplayMedia;
  });

  it("is accessible before joining, in the room, and after", async () => {
    const { el } = await prejoin();
    await expect(el).to.be.accessible();
    part(el, "join-button").click();
    await partSoon(el, "room");
    fakeRoom.join("Bruno Petit");
    fakeRoom.join("Alice Moreau", { audio: false, video: false });
    await el.updateComplete;
    await expect(el).to.be.accessible();
    button(el, "Quitter").click();
    await partSoon(el, "status");
    await expect(el).to.be.accessible();

    const t = await createTenant({ meetings: [{ title: "Plus tard", client_id: CLIENT_A, status: "scheduled" }, { title: "Passée", client_id: CLIENT_A, status: "completed" }] });
    const waiting = await room(t, t.meetings[0].id);
    await partSoon(waiting, "prejoin");
    await expect(waiting).to.be.accessible();
    const over = await room(t, t.meetings[1].id);
    await until(() => text(over.shadowRoot!.querySelector("[part=status]")).includes("terminée"));
    await expect(over).to.be.accessible();
  });

  it("shows a live camera preview, the microphone level, the devices, the user's name and the recording notice", async () => {
    const { el } = await prejoin();
    const video = part<HTMLVideoElement>(el, "preview").querySelector("video")!;
    await until(() => video.readyState >= 2 && video.videoWidth > 0, "the preview never played");
    expect((video.srcObject as MediaStream).getVideoTracks()[0].readyState).to.equal("live");
    await until(() => Number(part(el, "mic-level").getAttribute("aria-valuenow")) > 0, "the microphone level never moved");
    expect(part<HTMLSelectElement>(el, "camera-select").options.length).to.be.at.least(1);
    expect(part<HTMLSelectElement>(el, "microphone-select").options.length).to.be.at.least(1);
    expect(part<HTMLInputElement>(el, "name-input").value).to.equal("Camille Martin");
    expect(text(part(el, "recording-notice"))).to.contain("enregistrée et transcrite automatiquement");
    expect(text(part(el, "join-button"))).to.equal("Rejoindre la réunion");
  });

  it("does not load the video meeting library before joining", async () => {
    const { el } = await prejoin();
    expect(el.connectionFactory).to.equal(fakeRoom.factory);
    const loaded = performance.getEntriesByType("resource").map((e) => e.name);
    expect(loaded.filter((n) => /openvidu/i.test(n))).to.deep.equal([]);
  });

  it("lets a scheduled meeting be joined as soon as it starts, without a reload", async () => {
    const t = await createTenant({ meetings: [{ title: "Point hebdomadaire", client_id: CLIENT_A, status: "scheduled" }] });
    const el = await room(t, t.meetings[0].id);
    await partSoon(el, "prejoin");
    expect(part<HTMLButtonElement>(el, "join-button").disabled).to.equal(true);
    expect(text(el.shadowRoot!.querySelector("[part=prejoin] [part=status]"))).to.contain("n’a pas encore commencé");
    await until(async () => (await apiRequests(t)).some((r) => r.status === 304), "no conditional re-check of the meeting");
    await patchMeeting(t, t.meetings[0].id, { status: "in_progress" });
    await until(() => !part<HTMLButtonElement>(el, "join-button").disabled, "Join never became possible");
  });

  it("joins with a fresh token and the chosen name, publishing the preview's tracks", async () => {
    const { el, t, meeting } = await prejoin();
    const name = part<HTMLInputElement>(el, "name-input");
    name.value = "Camille (Atelier)";
    name.dispatchEvent(new Event("input"));
    const done = oneEvent(el, "foxeo-joined") as Promise<FoxeoJoinedEvent>;
    part(el, "join-button").click();
    const { detail } = await done;
    expect(detail).to.deep.equal({ meetingId: meeting.id, sessionId: `visio-${meeting.id}` });
    const tokens = await apiRequests(t, "/token");
    expect(tokens).to.have.length(1);
    const main = fakeRoom.main;
    expect(main.token).to.match(/^ws:\/\/.+\?sessionId=visio-.+&token=tok_/);
    expect(main.options).to.deep.equal({ displayName: "Camille (Atelier)", kind: "camera" });
    expect(main.published!.video).to.equal(el.media.videoTrack);
    expect(main.published!.audio).to.equal(el.media.audioTrack);
    expect(main.published).to.include({ audioActive: true, videoActive: true });
    await partSoon(el, "room");
    expect(tileNames(el)).to.deep.equal(["Camille (Atelier) (vous)"]);
  });

  it("shows remote participants as they arrive and leave, in a grid that fits the count", async () => {
    const { el } = await joined();
    const grid = () => part(el, "grid");
    const cols = () => getComputedStyle(grid()).gridTemplateColumns.split(" ").length;
    expect(cols()).to.equal(1);
    const bruno = fakeRoom.join("Bruno Petit");
    await el.updateComplete;
    expect(tileNames(el)).to.deep.equal(["Camille Martin (vous)", "Bruno Petit"]);
    expect(cols()).to.equal(2);
    const remoteVideo = tileOf(el, "Bruno Petit").querySelector("video")!;
    await until(() => remoteVideo.readyState >= 2, "the remote video never played");
    expect(fakeRoom.main.attached.get(bruno.streamId)).to.equal(remoteVideo);
    const others = ["Alice", "Bernard", "Chloé", "David"].map((n) => fakeRoom.join(n));
    await el.updateComplete;
    expect(parts(el, "tile")).to.have.length(6);
    expect(cols()).to.equal(3);
    expect(text(el.shadowRoot!.querySelector(".count"))).to.equal("6 participants");
    fakeRoom.leave(bruno);
    others.forEach((o) => fakeRoom.leave(o));
    await el.updateComplete;
    expect(tileNames(el)).to.deep.equal(["Camille Martin (vous)"]);
    expect(cols()).to.equal(1);
  });

  it("highlights the active speaker and shows who is muted or has the camera off", async () => {
    const { el } = await joined();
    const bruno = fakeRoom.join("Bruno Petit");
    const alice = fakeRoom.join("Alice Moreau", { audio: false });
    await el.updateComplete;
    expect(tileOf(el, "Alice Moreau").querySelector("[part=muted-indicator]")).to.exist;
    expect(tileOf(el, "Bruno Petit").querySelector("[part=muted-indicator]")).to.equal(null);
    fakeRoom.main.emitNow("speaking", { connectionId: bruno.connectionId, speaking: true });
    await el.updateComplete;
    expect(tileOf(el, "Bruno Petit").getAttribute("part")).to.contain("tile-speaking");
    expect(text(tileOf(el, "Bruno Petit").querySelector("figcaption"))).to.contain("Parle");
    fakeRoom.main.emitNow("speaking", { connectionId: alice.connectionId, speaking: true });
    await el.updateComplete;
    expect(tileOf(el, "Bruno Petit").getAttribute("part")).not.to.contain("tile-speaking");
    expect(tileOf(el, "Alice Moreau").getAttribute("part")).to.contain("tile-speaking");
    fakeRoom.main.emitNow("stream-changed", { streamId: bruno.streamId, audioActive: false, videoActive: false });
    await el.updateComplete;
    const tile = tileOf(el, "Bruno Petit");
    expect(tile.querySelector("[part=muted-indicator]")).to.exist;
    expect(text(tile.querySelector(".avatar"))).to.equal("BP");
    expect(text(tile.querySelector("figcaption"))).to.contain("Caméra coupée");
  });

  it("turns the microphone and camera off and on in what is published", async () => {
    const { el } = await joined();
    const main = fakeRoom.main;
    const mic = part<HTMLButtonElement>(el, "toggle-mic");
    expect(mic.getAttribute("aria-pressed")).to.equal("true");
    mic.click();
    await el.updateComplete;
    expect(main.audioActive).to.equal(false);
    expect(el.media.audioTrack!.enabled).to.equal(false);
    expect(mic.getAttribute("aria-pressed")).to.equal("false");
    expect(tileOf(el, "Camille Martin (vous)").querySelector("[part=muted-indicator]")).to.exist;
    part(el, "toggle-cam").click();
    await until(() => main.videoActive === false);
    await el.updateComplete;
    expect(tileOf(el, "Camille Martin (vous)").classList.contains("no-video")).to.equal(true);
    part(el, "toggle-cam").click();
    mic.click();
    await until(() => main.videoActive && main.audioActive);
  });

  it("shares the screen on a second connection with a second token, and stops from the button or the browser", async () => {
    const { el, t } = await joined();
    let captures = 0;
    let screen: MediaStream | null = null;
    navigator.mediaDevices.getDisplayMedia = () => {
      captures++;
      screen = canvasStream("Écran");
      return Promise.resolve(screen);
    };
    part(el, "toggle-screen").click();
    expect(captures, "the capture starts inside the click, before any await").to.equal(1);
    await until(() => fakeRoom.screens[0]?.published, "the screen was never published");
    const share = fakeRoom.screens[0];
    expect(share.options).to.deep.equal({ displayName: "Camille Martin", kind: "screen" });
    expect(share.published!.video).to.equal(screen!.getVideoTracks()[0]);
    expect(share.published!.audio).to.equal(null);
    expect(share.token).not.to.equal(fakeRoom.main.token);
    expect(await apiRequests(t, "/token")).to.have.length(2);
    // The main connection sees our own share as a remote screen: it is not shown twice.
    expect([...fakeRoom.main.attached.keys()]).to.deep.equal([]);
    await el.updateComplete;
    expect(tileNames(el)).to.deep.equal(["Votre écran", "Camille Martin (vous)"]);
    expect(part(el, "toggle-screen").getAttribute("aria-pressed")).to.equal("true");

    part(el, "toggle-screen").click();
    await el.updateComplete;
    expect(share.disconnected).to.equal(true);
    expect(screen!.getVideoTracks()[0].readyState).to.equal("ended");
    expect(tileNames(el)).to.deep.equal(["Camille Martin (vous)"]);

    part(el, "toggle-screen").click();
    await until(() => fakeRoom.screens[1]?.published);
    // The browser's own "Stop sharing" ends the track.
    screen!.getVideoTracks()[0].dispatchEvent(new Event("ended"));
    await el.updateComplete;
    expect(fakeRoom.screens[1].disconnected).to.equal(true);
    expect(tileNames(el)).to.deep.equal(["Camille Martin (vous)"]);
  });

  it("shows other people's screen shares first, across the grid", async () => {
    const { el } = await joined();
    fakeRoom.join("Bruno Petit");
    fakeRoom.join("Bruno Petit", { kind: "screen" });
    await el.updateComplete;
    expect(tileNames(el)).to.deep.equal(["Écran de Bruno Petit", "Camille Martin (vous)", "Bruno Petit"]);
    expect(tileOf(el, "Écran de Bruno Petit").getAttribute("part")).to.contain("tile-screen");
  });

  it("shows reconnection while the connection recovers, and the recording indicator", async () => {
    const { el } = await joined();
    expect(hasPart(el, "recording-indicator")).to.equal(false);
    fakeRoom.main.emitNow("recording", { active: true });
    await el.updateComplete;
    expect(text(part(el, "recording-indicator"))).to.equal("Enregistrement en cours");
    fakeRoom.main.emitNow("reconnecting", {});
    await el.updateComplete;
    expect(text(part(el, "reconnecting"))).to.contain("reconnexion en cours");
    fakeRoom.main.emitNow("reconnected", {});
    await el.updateComplete;
    expect(hasPart(el, "reconnecting")).to.equal(false);
  });

  it("ends for everyone when the operator ends the meeting, releasing the camera", async () => {
    const { el, meeting } = await joined();
    const ended = oneEvent(el, "foxeo-meeting-ended") as Promise<FoxeoMeetingEndedEvent>;
    fakeRoom.main.emitNow("disconnected", { reason: "ended" });
    expect((await ended).detail).to.deep.equal({ meetingId: meeting.id, byMe: false });
    await el.updateComplete;
    expect(text(part(el, "status"))).to.contain("L’organisateur a terminé la réunion.");
    await expect(el).to.be.accessible();
    expect(media.live()).to.deep.equal([]);
    expect(fakeRoom.main.listenerCount).to.equal(0);
  });

  it("lets only the operator end the meeting from the room", async () => {
    const client = await joined("clientA");
    expect(hasPart(client.el, "end-button")).to.equal(false);
    client.el.remove();

    const { el, t, meeting } = await joined("operator");
    part(el, "end-button").click();
    await el.updateComplete;
    const ended = oneEvent(el, "foxeo-meeting-ended") as Promise<FoxeoMeetingEndedEvent>;
    button(el, "Oui, terminer pour tous").click();
    expect((await ended).detail).to.deep.equal({ meetingId: meeting.id, byMe: true });
    expect((await apiRequests(t, "/end")).map((r) => r.status)).to.deep.equal([200]);
    await el.updateComplete;
    expect(text(part(el, "status"))).to.contain("La réunion est terminée.");
    expect(fakeRoom.main.disconnected).to.equal(true);
  });

  it("explains a refused camera and microphone, and still lets the user join without them", async () => {
    media.refuse(true);
    const t = await createTenant({ meetings: [{ title: "Revue", client_id: CLIENT_A, status: "in_progress" }] });
    const errors: string[] = [];
    const el = await room(t, t.meetings[0].id);
    el.addEventListener("foxeo-error", (e) => errors.push((e as FoxeoErrorEvent).detail.code));
    const error = await partSoon(el, "error");
    expect(text(error)).to.contain("L’accès à la caméra ou au micro a été refusé.").and.contain("réglages du navigateur");
    await expect(el).to.be.accessible();
    expect(text(part(el, "join-button"))).to.equal("Rejoindre sans caméra ni micro");
    media.refuse(false);
    button(el, "Autoriser la caméra et le micro").click();
    await until(() => el.media.stream && !hasPart(el, "error"), "retrying did not restore the preview");
    media.live().forEach((tr) => tr.stop());
    el.media.stop();
    media.refuse(true);
    void el.media.start();
    await partSoon(el, "error");
    part(el, "join-button").click();
    await partSoon(el, "room");
    expect(fakeRoom.main.published).to.deep.equal({ audio: null, video: null, audioActive: true, videoActive: true });
    expect(part<HTMLButtonElement>(el, "toggle-mic").disabled).to.equal(true);
  });

  it("gives up on a server that never answers after connect-timeout, with a clear error", async () => {
    const t = await createTenant({ meetings: [{ title: "Revue", client_id: CLIENT_A, status: "in_progress" }] });
    const el = await room(t, t.meetings[0].id, t.tokens.clientA, { timeout: 0.3 });
    await until(() => el.media.stream && !part<HTMLButtonElement>(el, "join-button").disabled);
    fakeRoom.hangNext = true;
    const failed = oneEvent(el, "foxeo-error") as Promise<FoxeoErrorEvent>;
    const started = performance.now();
    part(el, "join-button").click();
    await partSoon(el, "join-button");
    expect(text(part(el, "join-button"))).to.equal("Connexion à la réunion…");
    const { detail } = await failed;
    expect(performance.now() - started).to.be.within(250, 2500);
    expect(detail.code).to.equal("timeout");
    await el.updateComplete;
    expect(text(part(el, "error"))).to.contain("n’a pas répondu en 0,3 secondes");
    expect(fakeRoom.connections[0].disconnected).to.equal(true);
    expect(text(part(el, "join-button"))).to.equal("Rejoindre la réunion");
  });

  it("says why when the meeting ended before the user could join", async () => {
    const { el, t, meeting } = await prejoin();
    el.pollInterval = 0;
    await patchMeeting(t, meeting.id, { status: "completed" });
    const failed = oneEvent(el, "foxeo-error") as Promise<FoxeoErrorEvent>;
    part(el, "join-button").click();
    expect((await failed).detail.code).to.equal("invalid-state");
    await until(() => text(el.shadowRoot!.querySelector("[part=status]")).includes("Cette réunion est terminée."), "the ended meeting was not shown");
    expect(fakeRoom.connections).to.have.length(0);
    expect(media.live()).to.deep.equal([]);
  });

  it("releases everything on leave, and rejoins with a new token", async () => {
    const { el, t } = await joined();
    const main = fakeRoom.main;
    const left = oneEvent(el, "foxeo-left") as Promise<FoxeoLeftEvent>;
    button(el, "Quitter").click();
    expect((await left).detail.reason).to.equal("left");
    await el.updateComplete;
    expect(main.disconnected).to.equal(true);
    expect(main.listenerCount).to.equal(0);
    expect(media.live()).to.deep.equal([]);
    expect(text(part(el, "status"))).to.contain("Vous avez quitté la réunion.");
    button(el, "Rejoindre à nouveau").click();
    await until(() => el.media.stream && !part<HTMLButtonElement>(el, "join-button").disabled);
    part(el, "join-button").click();
    await partSoon(el, "room");
    expect(await apiRequests(t, "/token")).to.have.length(2);
    expect(fakeRoom.connections).to.have.length(2);
  });

  it("releases everything when removed from the page mid-meeting", async () => {
    const { el } = await joined();
    navigator.mediaDevices.getDisplayMedia = () => Promise.resolve(canvasStream("Écran"));
    part(el, "toggle-screen").click();
    await until(() => fakeRoom.screens[0]?.published);
    const screenTrack = fakeRoom.screens[0].published!.video!;
    const left = oneEvent(el, "foxeo-left") as Promise<FoxeoLeftEvent>;
    el.remove();
    expect((await left).detail.reason).to.equal("removed");
    expect(fakeRoom.connections.every((c) => c.disconnected)).to.equal(true);
    expect(fakeRoom.connections.every((c) => c.listenerCount === 0)).to.equal(true);
    expect(media.live()).to.deep.equal([]);
    expect(screenTrack.readyState).to.equal("ended");
  });

  it("offers to rejoin after the connection is lost for good", async () => {
    const { el } = await joined();
    const failed = oneEvent(el, "foxeo-error") as Promise<FoxeoErrorEvent>;
    fakeRoom.main.emitNow("disconnected", { reason: "network" });
    expect((await failed).detail.code).to.equal("connection-lost");
    await el.updateComplete;
    expect(text(part(el, "status"))).to.contain("La connexion à la réunion a été perdue.");
    expect(media.live()).to.deep.equal([]);
    button(el, "Rejoindre à nouveau").click();
    await partSoon(el, "prejoin");
  });

  it("loads once a token is given after the element is on the page", async () => {
    const t = await createTenant({ meetings: [{ title: "Revue", client_id: CLIENT_A, status: "in_progress" }] });
    const el = await fixture<MeetingRoomElement>(html`<foxeo-meeting-room functions-url=${t.functionsUrl} meeting-id=${t.meetings[0].id}
      .connectionFactory=${fakeRoom.factory}></foxeo-meeting-room>`);
    expect(text(await partSoon(el, "error"))).to.contain("Reconnectez-vous");
    el.accessToken = t.tokens.clientA;
    await partSoon(el, "prejoin");
  });

  it("speaks English with lang=en", async () => {
    const t = await createTenant({ meetings: [{ title: "Design review", client_id: CLIENT_A, status: "in_progress" }] });
    const el = await room(t, t.meetings[0].id, t.tokens.clientA, { lang: "en" });
    await partSoon(el, "join-button");
    expect(text(part(el, "recording-notice"))).to.contain("recorded and transcribed automatically");
    expect(text(part(el, "join-button"))).to.match(/Join the meeting|Loading/);
  });

  it("reports a meeting it cannot see", async () => {
    const t = await createTenant({ meetings: [{ title: "Secret", client_id: "22222222-2222-4222-8222-222222222222", status: "in_progress" }] });
    const el = await room(t, t.meetings[0].id, t.tokens.clientA);
    const error = await partSoon(el, "error");
    expect(text(error)).to.contain("Impossible d’ouvrir la réunion.").and.contain("Introuvable");
    expect(media.streams).to.have.length(0);
  });
});
