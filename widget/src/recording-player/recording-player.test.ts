import { expect, fixture, html, oneEvent } from "@open-wc/testing";
import type { FoxeoErrorEvent } from "../shared/events.js";
import {
  apiRequests,
  button,
  CLIENT_A,
  createTenant,
  hasPart,
  injectFault,
  part,
  partSoon,
  parts,
  patchRecording,
  requestsOf,
  type SeedRecording,
  text,
  until,
} from "../../test/helpers.js";
import "./define.js";
import type { RecordingPlayerElement } from "./recording-player.js";

const hour = 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function setup(
  recordings: SeedRecording[] = [{ started_at: ago(hour) }],
  seed: Parameters<typeof createTenant>[0] = {},
  who: "operator" | "clientA" = "clientA",
) {
  const t0 = await createTenant({ meetings: [{ title: "Lancement du projet", client_id: CLIENT_A, status: "completed" }] });
  const meetingId = t0.meetings[0].id;
  const t = await createTenant({ ...seed, meetings: [{ ...t0.meetings[0] }], recordings: { [meetingId]: recordings } });
  const el = await fixture<RecordingPlayerElement>(html`<foxeo-recording-player
    functions-url=${t.functionsUrl}
    meeting-id=${meetingId}
    .accessToken=${t.tokens[who]}
    poll-interval="0.1"
  ></foxeo-recording-player>`);
  return { t, el, meetingId, recordings: t.recordings[meetingId] };
}

const video = (el: RecordingPlayerElement) => part<HTMLVideoElement>(el, "video");
const lines = (el: RecordingPlayerElement) => parts(el, "line");
const current = (el: RecordingPlayerElement) => lines(el).findIndex((l) => l.getAttribute("aria-current") === "true");

async function ready(el: RecordingPlayerElement) {
  await partSoon(el, "transcript");
  await until(() => video(el).readyState >= 1, "the video never loaded its metadata", 8000);
}

describe("<foxeo-recording-player>", () => {
  it("is accessible with a transcript, with a failed transcription, while processing, and with no recording", async () => {
    const { el } = await setup();
    await ready(el);
    await expect(el).to.be.accessible();
    const failed = await setup([{ transcription_status: "failed", transcription_error: "OpenAI answered 500" }], {}, "operator");
    await partSoon(failed.el, "retry-button");
    await expect(failed.el).to.be.accessible();
    const processing = await setup([{ status: "uploading" }, { status: "ready", transcription_status: "processing", started_at: ago(2 * hour) }]);
    await partSoon(processing.el, "history");
    await expect(processing.el).to.be.accessible();
    const none = await setup([]);
    await partSoon(none.el, "empty");
    await expect(none.el).to.be.accessible();
  });

  it("opens the latest ready recording and lists the history with statuses", async () => {
    const { el } = await setup([
      { started_at: ago(3 * hour) },
      { started_at: ago(hour), status: "uploading" },
      { started_at: ago(2 * hour), transcription_status: "processing" },
    ]);
    await partSoon(el, "history");
    const items = parts(el, "recording").map((b) => text(b));
    expect(items).to.have.length(3);
    expect(items[0]).to.contain("En cours de transfert");
    expect(items[1]).to.contain("Prêt · Transcription en cours");
    expect(items[2]).to.contain("Prêt · Transcription terminée").and.contain("24 s");
    // Newest first; the newest ready one is open.
    expect(parts(el, "recording").find((b) => b.getAttribute("aria-current") === "true")).to.equal(parts(el, "recording")[1]);
    expect(text(part(el, "transcription-status"))).to.equal("Transcription en cours…");
    parts(el, "recording")[2].click();
    await partSoon(el, "transcript");
    expect(lines(el)).to.have.length(9);
  });

  it("plays the video with a captions track loaded from the signed VTT link", async () => {
    const { el } = await setup();
    await ready(el);
    const v = video(el);
    expect(v.crossOrigin).to.equal("anonymous");
    expect(new URL(v.src).origin).not.to.equal(location.origin);
    const track = v.querySelector("track")!;
    expect(track.kind).to.equal("captions");
    expect(track.srclang).to.equal("fr");
    expect(track.label).to.equal("Sous-titres (français)");
    v.textTracks[0].mode = "hidden";
    await until(() => (v.textTracks[0].cues?.length ?? 0) === 9, "the captions never loaded");
    expect((v.textTracks[0].cues![2] as VTTCue).text).to.equal("Premier sujet : le calendrier.");
  });

  it("highlights the line being said as the video plays, and keeps it in view", async () => {
    const { el } = await setup([{ transcript: 40 }]);
    await ready(el);
    const v = video(el);
    v.muted = true;
    v.currentTime = 12.5;
    await v.play();
    await until(() => current(el) === 2, "the highlight did not follow playback");
    const line = lines(el)[2];
    expect(line.getAttribute("part")).to.equal("line line-current");
    expect(text(line)).to.contain("Premier sujet : le calendrier. (3)");
    // Later lines, further down the list, are scrolled into the list's view (not the page's).
    const pageScroll = scrollY;
    v.currentTime = 23.5;
    await until(() => current(el) === 5);
    const box = part(el, "transcript");
    const l5 = lines(el)[5];
    expect(l5.offsetTop).to.be.within(box.scrollTop, box.scrollTop + box.clientHeight);
    expect(scrollY).to.equal(pageScroll);
    v.pause();
    expect(lines(el).filter((l) => l.hasAttribute("aria-current"))).to.have.length(1);
  });

  it("seeks when a line is clicked, and from the keyboard", async () => {
    const { el } = await setup();
    await ready(el);
    const v = video(el);
    lines(el)[4].click();
    expect(v.currentTime).to.be.closeTo(11.6, 0.05);
    await until(() => current(el) === 4);
    const box = part(el, "transcript");
    box.focus();
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-4");
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-6");
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(v.currentTime).to.be.closeTo(15.7, 0.05);
    await until(() => current(el) === 6);
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Home", bubbles: true }));
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-0");
  });

  it("finds words in the transcript, ignoring case and accents, and moves between matches", async () => {
    const { el } = await setup();
    await ready(el);
    const input = part<HTMLInputElement>(el, "search-input");
    input.value = "SUJET";
    input.dispatchEvent(new Event("input"));
    await until(() => hasPart(el, "search-count"));
    expect(text(part(el, "search-count"))).to.equal("1/3 · 3 résultats");
    expect(parts(el, "match").map((m) => text(m))).to.deep.equal(["sujet", "sujet", "sujet"]);
    const box = part(el, "transcript");
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-2");
    button(el, "Résultat suivant").click();
    await el.updateComplete;
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-4");
    expect(text(part(el, "search-count"))).to.equal("2/3 · 3 résultats");
    button(el, "Résultat précédent").click();
    button(el, "Résultat précédent").click();
    await el.updateComplete;
    expect(box.getAttribute("aria-activedescendant")).to.equal("line-6");
    input.value = "etapes";
    input.dispatchEvent(new Event("input"));
    await until(() => parts(el, "match").length === 1);
    expect(text(part(el, "match"))).to.equal("étapes");
    input.value = "zèbre";
    input.dispatchEvent(new Event("input"));
    await until(() => text(part(el, "search-count")) === "Aucun résultat");
  });

  it("follows the transcription until it completes, and lets only the operator retry a failure", async () => {
    const client = await setup([{ transcription_status: "failed", transcription_error: "OpenAI answered 500" }]);
    await partSoon(client.el, "transcription-status");
    expect(text(part(client.el, "transcription-status"))).to.contain("La transcription a échoué.").and.contain("OpenAI answered 500");
    expect(hasPart(client.el, "retry-button")).to.equal(false);

    const { el, t, meetingId, recordings } = await setup([{ transcription_status: "failed", transcription_error: "OpenAI answered 500" }], {}, "operator");
    expect(text(await partSoon(el, "retry-button"))).to.equal("Relancer la transcription");
    button(el, "Relancer la transcription").click();
    await until(() => text(part(el, "notice")) === "La transcription a été relancée.");
    expect((await apiRequests(t, "/transcription/retry")).map((r) => r.status)).to.deep.equal([200]);
    await until(() => text(part(el, "transcription-status")) === "La transcription est en attente.");
    await patchRecording(t, meetingId, recordings[0].id, { transcription_status: "processing" });
    await until(() => text(part(el, "transcription-status")) === "Transcription en cours…", "polling missed processing");
    const v = video(el);
    const src = v.src;
    await until(() => v.readyState >= 1);
    v.currentTime = 5;
    await patchRecording(t, meetingId, recordings[0].id, { transcription_status: "completed" });
    await partSoon(el, "transcript");
    expect(video(el), "the video was not reloaded").to.equal(v);
    expect(v.src).to.equal(src);
    expect(v.currentTime).to.be.closeTo(5, 0.1);
    expect(lines(el)).to.have.length(9);
    expect(video(el).querySelector("track")).to.exist;
    expect(text(part(el, "downloads"))).to.contain("Télécharger les sous-titres (SRT)");
  });

  it("says why a retry was refused", async () => {
    const { el, t } = await setup([{ transcription_status: "failed" }], {}, "operator");
    await injectFault(t, { path: "/transcription/retry", status: 409, code: "invalid_state", message: "Cannot retry: it is pending" });
    const failed = oneEvent(el, "foxeo-error") as Promise<FoxeoErrorEvent>;
    (await partSoon(el, "retry-button")).click();
    expect((await failed).detail.code).to.equal("invalid-state");
    await until(() => text(part(el, "notice")).includes("n’a pas pu être relancée"));
  });

  it("downloads the video and the SRT through signed links", async () => {
    const { el } = await setup();
    await ready(el);
    const [mp4, srt] = [...part(el, "downloads").querySelectorAll("a")];
    expect(text(mp4)).to.contain("Télécharger la vidéo");
    expect(mp4.getAttribute("href")).to.contain("download=Lancement-du-projet.mp4").and.contain("token=");
    const res = await fetch(srt.href);
    expect(res.headers.get("content-disposition")).to.contain("attachment");
    expect(await res.text()).to.contain("00:00:07,300 --> 00:00:09,300\nPremier sujet : le calendrier.");
  });

  it("renews the links before they expire during playback and keeps playing from the same position", async () => {
    // Slow chunks: the video cannot have every byte before the link's end of life.
    const { el, t } = await setup([{}], { linkTtlSeconds: [3, 3600], chunkBytes: 24_000, chunkDelayMs: 250 });
    await ready(el);
    const v = video(el);
    v.muted = true;
    const firstSrc = v.src;
    let before = 0;
    let firstAfter = -1;
    v.addEventListener("timeupdate", () => {
      if (v.src === firstSrc) before = v.currentTime;
      else if (firstAfter < 0 && v.currentTime > 0) firstAfter = v.currentTime;
    });
    await v.play();
    await until(async () => (await apiRequests(t, "/links")).length === 2, "the links were not renewed before expiry", 6000);
    await until(() => v.src !== firstSrc, "the video did not move to the new link");
    expect(before, "it was playing when the link was renewed").to.be.above(0.2);
    await until(() => !v.paused && v.currentTime > before + 0.5, "playback did not go on after the renewal", 8000);
    expect(firstAfter, "it resumed where it was, not from the start").to.be.at.least(before - 0.3);
    expect(hasPart(el, "error")).to.equal(false);
    const expired = (await requestsOf(t)).filter((r) => r.path.startsWith("/storage/") && r.status === 400);
    expect(expired, "no request used an expired link").to.deep.equal([]);
  });

  it("recovers when the video fails on an expired link: renews it and resumes at the same position", async () => {
    // The clock lies: the link says it lasts an hour but expires after 2 s, and the recording
    // comes in slow chunks, so the video asks for more bytes after the link died.
    const { el, t } = await setup([{}], { linkTtlSeconds: [2, 3600], reportedTtlSeconds: 3600, chunkBytes: 24_000, chunkDelayMs: 150 });
    await ready(el);
    const v = video(el);
    v.muted = true;
    let beforeError = -1;
    v.addEventListener("error", () => (beforeError = Math.max(beforeError, 0)), { once: true });
    let last = 0;
    v.addEventListener("timeupdate", () => beforeError < 0 && (last = v.currentTime));
    await v.play();
    await until(async () => (await requestsOf(t)).some((r) => r.path.startsWith("/storage/") && r.status === 400), "the link never expired mid-playback", 8000);
    await until(async () => (await apiRequests(t, "/links")).length === 2, "no renewal after the failure", 6000);
    const resumeFrom = last;
    expect(resumeFrom).to.be.above(0.5);
    await until(() => !v.paused && v.currentTime >= resumeFrom, "playback did not resume", 8000);
    expect(v.currentTime).to.be.at.least(resumeFrom - 0.25);
    expect(hasPart(el, "error")).to.equal(false);
  });

  it("shows a playback error when the links cannot be renewed", async () => {
    const { el, t } = await setup([{}], { linkTtlSeconds: -10 });
    await injectFault(t, { path: "/links", status: 502, code: "upstream_error", message: "Storage unavailable", times: 5 });
    await partSoon(el, "video").catch(() => undefined);
    const error = await partSoon(el, "error", 8000);
    expect(text(error)).to.contain("La vidéo ne peut pas être lue.");
  });

  it("stops polling and renewing once removed from the page", async () => {
    const { el, t } = await setup([{ transcription_status: "processing" }], { linkTtlSeconds: 1 });
    await partSoon(el, "transcription-status");
    await until(async () => (await apiRequests(t, "/recordings")).length >= 3, "no polling while the transcript is processing");
    el.remove();
    await new Promise((r) => setTimeout(r, 150));
    const after = (await apiRequests(t)).length;
    await new Promise((r) => setTimeout(r, 1200));
    expect((await apiRequests(t)).length, "no request after removal").to.equal(after);
  });

  it("speaks English with lang=en", async () => {
    const { el } = await setup();
    el.lang = "en";
    await ready(el);
    expect(text(el.shadowRoot!.querySelector("h2"))).to.equal("Recordings");
    expect(text(part(el, "downloads"))).to.contain("Download the video");
    expect(video(el).querySelector("track")!.label).to.equal("Captions (French)");
  });
});
