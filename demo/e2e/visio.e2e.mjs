// End to end, in Debian's Chromium (fake camera and microphone) driven by playwright-core,
// against the stack `npm start` runs: three people in three browser profiles, on the demo's
// Foxeo-like pages, through the real elements, functions, PGlite, the OpenVidu and OpenAI
// emulators and the recording pipeline. Each step is a test of its own, in order; a step that
// fails does not hide what the later ones show. Screenshots go to test-results/e2e/.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../../scripts/chromium.mjs";
import { ROOT, startStack } from "./stack.mjs";

const SHOTS = join(ROOT, "test-results/e2e");
const FIXTURE = readFileSync(join(ROOT, "demo/fixtures/recording.mp4"));
const TITLE = `Revue e2e ${new Date().toISOString().slice(11, 19)}`;

/** Poll `check` until it returns something truthy; fail with `what` and the last error. */
async function until(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `Timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${last.message}` : ""}`,
  );
}

describe("the QA demo, end to end", { timeout: 600_000 }, () => {
  let stack;
  let browser;
  const people = {};
  let meetingId = null;
  let functionsUrl;

  const shot = (who, name) =>
    people[who].page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  /** The meeting's row in a person's list (the list pierces into the element's shadow root). */
  const row = (who) =>
    people[who].page.locator('foxeo-meeting-list [part~="meeting"]', { hasText: TITLE });
  const api = async (who, path, init = {}) => {
    const token = await people[who].page.evaluate(async () =>
      (await (await fetch("/demo/token")).json()).access_token
    );
    return fetch(`${functionsUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
  };
  const emulator = async (path) =>
    (await fetch(`${stack.url}/demo/emulators/openvidu${path}`)).json();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    functionsUrl = (await (await fetch(`${stack.url}/demo/stack`)).json()).functionsUrl;
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    for (
      const [who, name] of [["operator", "MiKL"], ["clientA", "Camille Martin"], [
        "clientB",
        "Bruno Petit",
      ]]
    ) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      const log = [];
      page.on("console", (m) => log.push(`[${m.type()}] ${m.text()}`));
      page.on("pageerror", (e) => log.push(`[pageerror] ${e.message}`));
      people[who] = { context, page, log };
      // The identity switcher of the QA home, as a tester uses it.
      await page.goto(`${stack.url}/`);
      await page.getByRole("button", { name: new RegExp(name) }).click();
      await page.waitForURL(`${stack.url}/modules/visio`);
      await page.locator('foxeo-meeting-list [part~="list"]').waitFor();
    }
  });

  after(async () => {
    for (const [who, p] of Object.entries(people)) {
      const problems = p.log.filter((l) => /pageerror|foxeo-error|\[error\]/.test(l));
      if (problems.length) console.log(`${who}'s browser said:\n  ${problems.join("\n  ")}`);
    }
    await browser?.close();
    await stack?.close();
  });

  it("the operator creates a meeting for Atelier Dupont and starts it", async () => {
    const { page } = people.operator;
    await page.getByRole("button", { name: "Nouvelle réunion" }).click();
    const form = page.locator('foxeo-meeting-list [part~="create-form"]');
    await form.getByLabel("Titre").fill(TITLE);
    await form.getByLabel("Client").selectOption({ label: "Atelier Dupont" });
    await shot("operator", "01-operator-create");
    await form.getByRole("button", { name: "Créer la réunion" }).click();
    await row("operator").locator('[part~="status-scheduled"]').waitFor();
    meetingId = await row("operator").getAttribute("data-id");
    assert.match(meetingId, /^[0-9a-f-]{36}$/);
    await row("operator").getByRole("button", { name: "Démarrer" }).click();
    await row("operator").locator('[part~="status-in-progress"]').waitFor();
    await shot("operator", "02-operator-started");
  });

  it("client A's list shows Rejoindre without a reload", async () => {
    const { page } = people.clientA;
    const navigations = [];
    page.on("framenavigated", (f) => f === page.mainFrame() && navigations.push(f.url()));
    // The page was opened before the meeting existed; the list refreshes itself.
    const join = row("clientA").getByRole("link", { name: "Rejoindre" });
    await join.waitFor({ timeout: 20_000 });
    assert.equal(await join.getAttribute("href"), `/modules/visio/${meetingId}`);
    assert.deepEqual(navigations, [], "the page was not reloaded");
    await shot("clientA", "03-client-a-list");
  });

  it("client B never sees that meeting", async () => {
    const { page } = people.clientB;
    // At least one refresh of B's list after the meeting started, then nothing of it.
    await page.waitForResponse(
      (r) => r.url().startsWith(`${functionsUrl}/meetings`) && r.request().method() === "GET",
      {
        timeout: 20_000,
      },
    );
    await page.waitForTimeout(500);
    assert.equal(await row("clientB").count(), 0, "B's list shows A's meeting");
    assert.ok(
      await page.locator('foxeo-meeting-list [part~="meeting"]').count() > 0,
      "B's own meetings are listed",
    );
    // Neither through the API nor on the room page.
    assert.equal((await api("clientB", `/meetings/${meetingId}`)).status, 404);
    assert.equal(
      (await api("clientB", `/meetings/${meetingId}/token`, { method: "POST" })).status,
      404,
    );
    await page.goto(`${stack.url}/modules/visio/${meetingId}`);
    const error = page.locator('foxeo-meeting-room [part~="error"]');
    await error.waitFor();
    assert.match(await error.innerText(), /Introuvable/);
    await shot("clientB", "04-client-b-room-not-found");
  });

  it("client A joins with the fake camera", async () => {
    const { page } = people.clientA;
    await row("clientA").getByRole("link", { name: "Rejoindre" }).click();
    await page.waitForURL(`${stack.url}/modules/visio/${meetingId}`);
    const room = page.locator("foxeo-meeting-room");
    await room.locator('[part~="preview"]').waitFor();
    await until(
      () =>
        room.locator('[part~="preview"] video, video[part~="preview"]').first().evaluate((v) =>
          v.videoWidth > 0
        ),
      "the fake camera in the preview",
    );
    await shot("clientA", "05-client-a-prejoin");
    await room.getByRole("button", { name: "Rejoindre la réunion" }).click();
    const media = await fetch(`${stack.url}/demo/emulators/openvidu/media`);
    if (media.status === 404) {
      assert.fail(
        "The OpenVidu emulator has no signalling (no /emulator/media): openvidu-browser cannot join it",
      );
    }
    await room.locator('[part~="room"]').waitFor({ timeout: 30_000 });
    const session = await until(async () => {
      const { sessions } = await emulator("/sessions");
      const s = sessions.find((x) => x.sessionId === `visio-${meetingId}`);
      return s?.participants.some((p) => p.browser && p.streamId) ? s : null;
    }, "client A's browser publishing in the OpenVidu session");
    assert.ok(session.recording, "the first published stream started the recording (ALWAYS mode)");
    const local = room.locator('[part~="tile-local"] video');
    await until(
      () => local.evaluate((v) => v.videoWidth > 0 && !v.paused),
      "client A's own camera in the room",
    );
    await room.locator('[part~="recording-indicator"]').waitFor();
    await shot("clientA", "06-client-a-in-room");
  });

  it("the operator joins too, and each sees the other's camera through the emulator", async () => {
    const { page } = people.operator;
    await page.goto(`${stack.url}/modules/visio/${meetingId}`);
    const room = page.locator("foxeo-meeting-room");
    await room.getByRole("button", { name: "Rejoindre la réunion" }).click();
    await room.locator('[part~="room"]').waitFor({ timeout: 30_000 });
    /** The remote tile named `name` in `who`'s room shows moving video. */
    const seesVideoOf = (who, name) =>
      until(
        () =>
          people[who].page.locator('foxeo-meeting-room [part~="tile"]', { hasText: name })
            .locator("video").first().evaluate((v) => v.videoWidth > 0 && v.currentTime > 0),
        `${who} to see ${name}'s camera`,
        30_000,
      );
    await seesVideoOf("clientA", "MiKL");
    await seesVideoOf("operator", "Camille Martin");
    await shot("operator", "07-operator-in-room");
    await shot("clientA", "08-client-a-sees-operator");
  });

  it("a simulated participant joins from the QA panel and client A sees them", async () => {
    const panel = people.operator.page.locator("[data-emulator-panel]");
    await panel.getByRole("button", { name: "Un participant simulé rejoint" }).click();
    await panel.getByText("Participant simulé 1 (simulé)").waitFor();
    await people.clientA.page.locator('foxeo-meeting-room [part~="name"]', {
      hasText: "Participant simulé 1",
    }).waitFor();
    const tiles = people.clientA.page.locator('foxeo-meeting-room [part~="tile"]');
    assert.equal(await tiles.count(), 3, "client A, the operator and the simulated participant");
    const local = people.clientA.page.locator('foxeo-meeting-room [part~="tile-local"] video');
    await until(
      () => local.evaluate((v) => v.videoWidth > 0 && !v.paused),
      "client A's own camera, still shown",
    );
    await shot("operator", "09-operator-room-qa-panel");
    await shot("clientA", "10-client-a-three-tiles");
  });

  it("the operator ends it", async () => {
    const { page } = people.operator;
    await page.goto(`${stack.url}/modules/visio`);
    await row("operator").getByRole("button", { name: "Terminer" }).click();
    await row("operator").getByRole("button", { name: "Oui, terminer" }).click();
    await row("operator").locator('[part~="status-completed"]').waitFor();
    await shot("operator", "11-operator-ended");
    const ended = people.clientA.page.locator("foxeo-meeting-room").getByText(
      /réunion est terminée|organisateur a terminé/,
    );
    await ended.waitFor({ timeout: 20_000 });
    await shot("clientA", "12-client-a-ended");
  });

  it("the recording appears and its transcript completes", async () => {
    const { page } = people.operator;
    await page.goto(`${stack.url}/modules/visio/${meetingId}/recordings`);
    const player = page.locator("foxeo-recording-player");
    await player.locator('video[part~="video"]').waitFor({ timeout: 60_000 });
    // Pending and processing show a status line; a completed transcript shows its lines.
    await until(
      async () => (await player.locator('[part~="line"]').count()) >= 3,
      "transcript lines",
      90_000,
    );
    assert.equal(await player.locator('[part~="transcription-status"]').count(), 0);
    const [recording] = await (await api("operator", `/meetings/${meetingId}/recordings`)).json();
    assert.equal(recording.status, "ready");
    assert.equal(recording.transcription_status, "completed");
    assert.equal(recording.size_bytes, FIXTURE.length);
    await shot("operator", "13-recording-ready");
    // Client A sees it too; client B does not.
    assert.equal(
      (await (await api("clientA", `/meetings/${meetingId}/recordings`)).json()).length,
      1,
    );
    assert.equal((await api("clientB", `/meetings/${meetingId}/recordings`)).status, 404);
  });

  it("the player highlights lines as the video plays and seeks on click", async () => {
    const { page } = people.operator;
    const player = page.locator("foxeo-recording-player");
    const video = player.locator('video[part~="video"]');
    const current = player.locator('[part~="line-current"]');
    const currentIndex = () => current.first().getAttribute("data-i").then(Number);
    await video.evaluate((v) => {
      v.muted = true;
      return v.play();
    });
    await until(() => video.evaluate((v) => v.currentTime > 0.5), "the video to play");
    await current.first().waitFor();
    const first = await currentIndex();
    await until(
      async () => (await currentIndex()) > first,
      "the highlight to move to a later line",
      25_000,
    );
    await shot("operator", "14-player-playing");
    // A click on a line seeks there and highlights it.
    await video.evaluate((v) => v.pause());
    const lines = player.locator('[part~="line"]');
    const target = lines.nth(1);
    await target.click();
    const start = await video.evaluate((v) => v.currentTime);
    assert.ok(start > 0, `seeked to ${start}`);
    await until(async () => (await currentIndex()) === 1, "the clicked line to be highlighted");
    await shot("operator", "15-player-seeked");
  });

  it("both downloads work", async () => {
    const { page } = people.operator;
    const downloads = page.locator('foxeo-recording-player [part~="downloads"]');
    const save = async (name) => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        downloads.getByRole("link", { name }).click(),
      ]);
      const path = await download.path();
      return { name: download.suggestedFilename(), bytes: readFileSync(path) };
    };
    const mp4 = await save(/Télécharger la vidéo/);
    assert.match(mp4.name, /\.mp4$/);
    assert.equal(mp4.bytes.length, FIXTURE.length, "the whole recording");
    assert.ok(mp4.bytes.equals(FIXTURE), "byte for byte the file OpenVidu served");
    const srt = await save(/sous-titres \(SRT\)/);
    assert.match(srt.name, /\.srt$/);
    assert.match(srt.bytes.toString("utf8"), /^1\r?\n00:00:00,000 --> 00:00:\d\d,\d{3}\r?\n\S/);
  });
});
