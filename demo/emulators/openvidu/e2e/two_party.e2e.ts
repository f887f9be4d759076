// Two people meet through the real <foxeo-meeting-room> (the built widget) and the real
// openvidu-browser 2.32, against the meetings and webhook functions and the OpenVidu
// emulator, whose werift relay carries their audio and video. Each person is a headless
// Chromium with its own fake camera (a red picture for the operator, a blue one for the
// client, each with a moving box), so a tile showing the other's colour is the other's video.
import assert from "node:assert/strict";
import { cpuUsage } from "node:process";
import { clientUser, eventually, operatorUser } from "../../../../functions/_shared/testing.ts";
import { fakeCamera, type Person, type Stack, startStack } from "./stack.ts";

interface VideoState {
  frames: number;
  currentTime: number;
  readyState: number;
  paused: boolean;
  width: number;
  height: number;
  rgb: [number, number, number];
  picture: string;
}

interface Tile {
  connection: string;
  name: string;
  screen: boolean;
  cameraOff: boolean;
  muted: boolean;
  stream: string | null;
}

const RED = (rgb: number[]) => rgb[0] > rgb[2] + 60;
const BLUE = (rgb: number[]) => rgb[2] > rgb[0] + 60;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** What failures print: the relay's counters, the emulator's last lines, the pages' side. */
async function diagnose(stack: Stack, people: Person[]): Promise<string> {
  const pages = await Promise.all(people.map(async (p, i) => {
    const rtc = await p.probe("rtc").catch((e) => String(e));
    return `page ${i}: ${JSON.stringify(rtc)}\n${p.errors.slice(-10).join("\n")}`;
  }));
  return [
    `relay: ${JSON.stringify(stack.emulator.relay.stats())}`,
    `emulator:\n${stack.emulatorLines.slice(-60).join("\n")}`,
    ...pages,
  ].join("\n");
}

/** The remote video of `target` plays: frames keep coming and the picture changes. */
async function assertPlaying(
  person: Person,
  target: { connection?: string; screen?: boolean },
  what: string,
  colour?: (rgb: number[]) => boolean,
): Promise<VideoState> {
  const video = () => person.probe<VideoState | null>("video", target);
  const first = await eventually(async () => {
    const v = await video();
    return v && v.frames > 0 && v.readyState >= 2 && !v.paused && v.width > 0 ? v : null;
  }, { timeoutMs: 15_000, what: `${what}: a first frame` });
  let last: VideoState | null = null;
  const later = await eventually(async () => {
    const v = last = await video();
    return v && v.frames >= first.frames + 10 && v.currentTime > first.currentTime &&
        v.picture !== first.picture
      ? v
      : null;
  }, { timeoutMs: 15_000, what: `${what}: frames advancing and the picture changing` })
    .catch((error) => {
      const brief = (v: VideoState | null) => v && { ...v, picture: v.picture.slice(0, 24) };
      throw new Error(
        `${error.message}; first ${JSON.stringify(brief(first))}, last ${
          JSON.stringify(brief(last))
        }`,
      );
    });
  if (colour) assert.ok(colour(later.rgb), `${what}: unexpected colour ${later.rgb}`);
  return later;
}

const tiles = (person: Person) => person.probe<Tile[]>("tiles");
const tileOf = async (person: Person, connection: string) =>
  (await tiles(person)).find((t) => t.connection === connection && !t.screen);

Deno.test({
  name: "two people meet through <foxeo-meeting-room>, openvidu-browser and the emulator's relay",
  // Chromium, playwright and the shared database keep their own handles; the emulator's
  // own cleanup is proven by its tests.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "foxeo-e2e-cameras-" });
    const [redCamera, blueCamera] = await Promise.all([
      fakeCamera(dir, "operator", "0xC03020", "white"),
      fakeCamera(dir, "client", "0x2040C0", "yellow"),
    ]);
    const stack = await startStack();
    const people: Person[] = [];
    const step = (name: string, fn: () => Promise<void>) =>
      t.step(name, async () => {
        try {
          await fn();
        } catch (error) {
          throw new Error(`${(error as Error).message}\n${await diagnose(stack, people)}`, {
            cause: error,
          });
        }
      });
    try {
      const operator = await operatorUser({ fullName: "MiKL" });
      const client = await clientUser(undefined, { fullName: "Camille Martin" });
      const created = await stack.api("POST", "/meetings", operator.auth, {
        title: "Revue des maquettes",
        client_id: client.clientId,
      });
      assert.equal(created.status, 201);
      const meetingId: string = created.json.id;
      assert.equal(
        (await stack.api("POST", `/meetings/${meetingId}/start`, operator.auth)).status,
        200,
      );
      const sessionId = `visio-${meetingId}`;

      const mikl = await stack.person(redCamera);
      const camille = await stack.person(blueCamera);
      people.push(mikl, camille);
      const mount = async (person: Person, token: string) => {
        await person.probe("mount", { functionsUrl: stack.functionsUrl, meetingId, token });
        await eventually(() => person.probe<boolean>("canJoin"), { what: "the join button" });
      };
      await Promise.all([mount(mikl, operator.token), mount(camille, client.token)]);

      const join = async (person: Person) => {
        await person.probe("armJoinTimer");
        await person.page.click("[part~=join-button]");
      };
      let miklId = "";
      let camilleId = "";
      const joinTimes: number[] = [];

      await step("each sees the other's camera playing, with the other's name", async () => {
        await mikl.page.click("[part~=join-button]");
        await eventually(() => mikl.probe<boolean>("inRoom"), { what: "the operator in the room" });
        miklId = (await mikl.probe<string>("connectionId"))!;
        await join(camille);
        joinTimes.push(await camille.probe<number>("joinTime"));
        camilleId = (await camille.probe<string>("connectionId"))!;
        assert.match(miklId, /^con_/);
        assert.match(camilleId, /^con_/);
        await assertPlaying(
          camille,
          { connection: miklId },
          "the operator seen by the client",
          RED,
        );
        await assertPlaying(
          mikl,
          { connection: camilleId },
          "the client seen by the operator",
          BLUE,
        );
        assert.equal((await tileOf(camille, miklId))?.name, "MiKL");
        assert.equal((await tileOf(mikl, camilleId))?.name, "Camille Martin");
        // Nothing aims at the internet: the only ICE server is the emulator's, on loopback.
        for (const person of [mikl, camille]) {
          const urls = await person.probe<string[]>("iceServers");
          assert.ok(
            urls.length > 0 && urls.every((u) => /^stun:127\.0\.0\.1:\d+$/.test(u)),
            `${urls}`,
          );
        }
        // Both streams went through the relay, and each has one subscriber: the other.
        const streams = stack.emulator.relay.stats().streams;
        assert.equal(Object.keys(streams).length, 2);
        for (const s of Object.values(streams)) {
          assert.deepEqual(s.kinds.sort(), ["audio", "video"]);
          assert.equal(Object.keys(s.subscribers).length, 1);
          assert.ok(s.packetsReceived.audio > 0 && s.packetsReceived.video > 0);
        }
      });

      await step(
        "turning the camera and the microphone off and on is seen on the other side",
        async () => {
          await mikl.page.click("[part~=toggle-cam]");
          await eventually(async () => (await tileOf(camille, miklId))?.cameraOff, {
            what: "the operator's tile showing the camera off",
          });
          await mikl.page.click("[part~=toggle-mic]");
          await eventually(async () => (await tileOf(camille, miklId))?.muted, {
            what: "the operator's tile showing the microphone off",
          });
          await mikl.page.click("[part~=toggle-cam]");
          await mikl.page.click("[part~=toggle-mic]");
          await eventually(async () => {
            const tile = await tileOf(camille, miklId);
            return tile && !tile.cameraOff && !tile.muted;
          }, { what: "the operator's camera and microphone back on" });
          await assertPlaying(camille, { connection: miklId }, "the operator's camera back", RED);
        },
      );

      await step(
        "a screen share appears as a second stream and goes away when stopped",
        async () => {
          await mikl.page.click("[part~=toggle-screen]");
          const screen = await eventually(
            async () => (await tiles(camille)).find((tile) => tile.screen),
            { timeoutMs: 15_000, what: "the shared screen's tile" },
          );
          assert.equal(screen.name, "MiKL's screen");
          // The sharer sees their own screen once, locally, not also as a remote participant.
          assert.deepEqual((await tiles(mikl)).filter((tile) => tile.screen), []);
          await assertPlaying(camille, { screen: true }, "the shared screen");
          // The camera keeps playing beside it.
          await assertPlaying(camille, { connection: miklId }, "the camera beside the screen", RED);
          assert.equal(Object.keys(stack.emulator.relay.stats().streams).length, 3);
          await mikl.page.click("[part~=toggle-screen]");
          await eventually(async () => !(await tiles(camille)).some((tile) => tile.screen), {
            what: "the screen's tile gone",
          });
          await eventually(() => Object.keys(stack.emulator.relay.stats().streams).length === 2, {
            what: "the relay forgetting the screen's stream",
          });
        },
      );

      await step(
        "a dropped signalling connection comes back without leaving the meeting",
        async () => {
          const dropped = await fetch(
            `${stack.emulator.url}/emulator/sessions/${sessionId}/participants/${camilleId}/drop-connection`,
            { method: "POST" },
          );
          assert.equal(dropped.status, 204);
          await eventually(
            () =>
              stack.emulatorLines.some((l) => l.includes(`${camilleId}: WebSocket reconnected`)),
            { what: "the client's SDK reconnecting its WebSocket" },
          );
          await eventually(async () => !(await camille.probe<boolean>("reconnecting")), {
            what: "the reconnecting notice gone",
          });
          assert.ok(await camille.probe<boolean>("inRoom"));
          await assertPlaying(
            mikl,
            { connection: camilleId },
            "the client after reconnecting",
            BLUE,
          );
          await assertPlaying(
            camille,
            { connection: miklId },
            "the operator after reconnecting",
            RED,
          );
          await stack.emulator.webhooksIdle();
          const left = stack.emulator.webhookLog().filter((d) =>
            d.payload.event === "participantLeft" && d.payload.connectionId === camilleId
          );
          assert.deepEqual(left, [], "the client never left");
        },
      );

      await step("measure: two-party join, click to first remote frame (6 joins)", async () => {
        for (let i = 0; i < 5; i++) {
          await camille.page.click("[part~=leave-button]");
          await eventually(() => camille.probe<boolean>("ended"), { what: "the end screen" });
          await camille.page.click("[part~=status] button");
          await eventually(() => camille.probe<boolean>("canJoin"), { what: "the join button" });
          await join(camille);
          joinTimes.push(await camille.probe<number>("joinTime"));
        }
        camilleId = (await camille.probe<string>("connectionId"))!;
        await assertPlaying(mikl, { connection: camilleId }, "the client after rejoining", BLUE);
        const med = median(joinTimes);
        console.log(
          `two-party join, click → first remote frame: median ${med.toFixed(0)} ms ` +
            `(${joinTimes.map((x) => x.toFixed(0)).join(", ")})`,
        );
        // What two people cost this process (the emulator's relay, mostly; the functions and
        // the browsers' drivers are idle meanwhile), over a fixed window of streaming.
        const before = cpuUsage();
        const started = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const used = cpuUsage(before);
        const cpu = (used.user + used.system) / 1000 / (performance.now() - started) * 100;
        console.log(
          `emulator process CPU with two people streaming: ${cpu.toFixed(1)} % of one core`,
        );
        const out = Deno.env.get("MEDIA_E2E_RESULT");
        if (out) await Deno.writeTextFile(out, JSON.stringify({ joinTimes, median: med, cpu }));
        assert.ok(med < 5000, `median join ${med} ms`);
      });

      await step(
        "leaving removes the tile, and the webhooks reach the webhook function",
        async () => {
          await camille.page.click("[part~=leave-button]");
          await eventually(async () => (await tiles(mikl)).length === 0, {
            what: "the client's tile gone from the operator's room",
          });
          assert.ok(await mikl.probe<boolean>("inRoom"));
          await stack.emulator.webhooksIdle();
          const deliveries = stack.emulator.webhookLog();
          const about = (event: string, id: string) =>
            deliveries.filter((d) => d.payload.event === event && d.payload.connectionId === id);
          const joined = about("participantJoined", camilleId);
          const left = about("participantLeft", camilleId);
          assert.equal(joined.length, 1);
          assert.equal(left.length, 1);
          assert.equal(left[0].payload.reason, "disconnect");
          assert.deepEqual([joined[0].status, left[0].status], [200, 200]);
          assert.match(String(joined[0].payload.platform), /Chrome/);
          assert.match(String(joined[0].payload.clientData), /Camille Martin/);
          // The function itself says it received them.
          for (const event of ["participantJoined", "participantLeft"]) {
            assert.ok(
              stack.functionLines.some((l) =>
                l.includes("webhook event ignored") && l.includes(`"${event}"`) &&
                l.includes(sessionId)
              ),
              `the webhook function logged ${event}`,
            );
          }
          const outbound = deliveries.filter((d) =>
            d.payload.event === "webrtcConnectionCreated" && d.payload.connection === "OUTBOUND"
          );
          assert.ok(outbound.some((d) => d.payload.connectionId === miklId));
          const inbound = deliveries.filter((d) =>
            d.payload.event === "webrtcConnectionCreated" && d.payload.connection === "INBOUND"
          );
          assert.ok(
            inbound.some((d) =>
              d.payload.connectionId === camilleId && d.payload.receivingFrom === miklId
            ),
          );
          // The first published stream started the meeting's recording (ALWAYS mode).
          assert.ok(
            deliveries.some((d) =>
              d.payload.event === "recordingStatusChanged" && d.payload.status === "started" &&
              d.payload.sessionId === sessionId
            ),
          );
        },
      );
    } finally {
      await stack.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
