// The relay carrying real media between headless Chromium pages, through the emulator's
// signalling: page A publishes its fake camera and microphone (and a canvas "screen"), page B
// subscribes with both of openvidu-browser 2.32's flows, and the test checks what a person in
// B would notice: a playing picture that moves, sound packets arriving, the second stream
// appearing and going away; also what the SDK does less often (a publisher's media
// reconnection, an H.264-only or audio-only publisher, replaceTrack). The pages use plain
// RTCPeerConnection (media/testing/relay_page.js) so each of those paths can be driven on
// purpose; the real SDK and widget are in ../e2e/two_party.e2e.ts.

import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { eventually } from "../../../../functions/_shared/testing.ts";
import { CHROMIUM_ARGS, findChromium } from "../../../../scripts/chromium.mjs";
import { startOpenViduEmulator } from "../mod.ts";

const PAGE_JS = new URL("./testing/relay_page.js", import.meta.url);

/** Serves the test page, which loads the page client as `globalThis.app`. */
function startPageServer() {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/relay_page.js") {
      return new Response(await Deno.readTextFile(PAGE_JS), {
        headers: { "content-type": "text/javascript" },
      });
    }
    if (pathname === "/") {
      return new Response(
        `<!doctype html><meta charset="utf-8"><title>relay test</title>
<script type="module">import * as app from "/relay_page.js"; globalThis.app = app;</script>`,
        { headers: { "content-type": "text/html" } },
      );
    }
    return new Response(null, { status: 404 });
  });
}

async function openPage(browser: Browser, pageUrl: string): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => "app" in globalThis);
  return page;
}

interface VideoState {
  frames: number;
  firstFrameMs: number | null;
  totalVideoFrames: number;
  width: number;
  height: number;
  paused: boolean;
  readyState: number;
  currentTime: number;
  picture: string;
  corner: number[];
  events: string[];
  connectionState: string;
  tracks: { kind: string; readyState: string; muted: boolean }[];
}

interface Inbound {
  packetsReceived: number;
  framesDecoded?: number;
  keyFramesDecoded?: number;
  mimeType?: string;
}

/** Calls `app.<method>(...args)` of the test client in the page (testing/relay_page.js). */
const app = <T = unknown>(page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(
    // deno-lint-ignore no-explicit-any
    ([m, a]) => (globalThis as any).app[m](...a),
    [method, args] as const,
  ) as Promise<T>;

const videoState = (page: Page, streamId: string) => app<VideoState>(page, "videoState", streamId);
const inbound = (page: Page, streamId: string) =>
  app<{ audio: Inbound | null; video: Inbound | null }>(page, "inboundStats", streamId);

/** Extra state for failure messages (the relay's counters), set by the test. */
let diagnose: () => unknown = () => null;

/** Frames keep arriving and the picture changes: the video is live, not a frozen frame. */
async function assertVideoAdvances(page: Page, streamId: string, what: string) {
  const first = await eventually(async () => {
    const s = await videoState(page, streamId);
    return s.frames > 0 && !s.paused ? s : undefined;
  }, { what: `${what}: a first frame`, timeoutMs: 10_000 }).catch(async (error) => {
    const { picture: _, ...state } = await videoState(page, streamId);
    throw new Error(
      `${error.message}; video ${JSON.stringify(state)}; ` +
        `inbound ${JSON.stringify(await inbound(page, streamId))}; ` +
        `relay ${JSON.stringify(diagnose())}`,
    );
  });
  const later = await eventually(async () => {
    const s = await videoState(page, streamId);
    return s.frames >= first.frames + 10 && s.totalVideoFrames > first.totalVideoFrames &&
        s.currentTime > first.currentTime && s.picture !== first.picture
      ? s
      : undefined;
  }, { what: `${what}: frames advancing with a changing picture`, timeoutMs: 8000 });
  return { first, later };
}

async function assertAudioFlows(page: Page, streamId: string) {
  const first = await eventually(async () => {
    const a = (await inbound(page, streamId)).audio;
    return a && a.packetsReceived > 0 ? a : undefined;
  }, { what: "audio packets" });
  assert.equal(first.mimeType, "audio/opus");
  await eventually(async () => {
    const a = (await inbound(page, streamId)).audio;
    return a && a.packetsReceived >= first.packetsReceived + 25 ? a : undefined;
  }, { what: "audio packets still arriving" });
}

/** UDP sockets bound on 127.0.0.1 by this machine, as local ports (Linux /proc). */
/**
 * UDP ports this process has bound on 127.0.0.1 (Linux /proc): the relay's and the emulator's
 * STUN server's, not those of other programs on a shared machine.
 */
async function ownLoopbackUdpPorts(): Promise<Set<number>> {
  const inodes = new Set<string>();
  for await (const fd of Deno.readDir("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${fd.name}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports = new Set<number>();
  const table = await Deno.readTextFile("/proc/net/udp");
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, inode] = [fields[1], fields[9]];
    if (local?.startsWith("0100007F:") && inodes.has(inode)) {
      ports.add(parseInt(local.split(":")[1], 16));
    }
  }
  return ports;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

Deno.test({
  name: "the relay carries camera, microphone and a second stream between Chromium pages",
  // Chromium and playwright keep their own timers and pipes; the relay's cleanup is
  // asserted explicitly at the end instead (no PeerConnection, no UDP socket left).
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const emulator = await startOpenViduEmulator({ log: () => {} });
    const relay = emulator.relay;
    diagnose = () => relay.stats().streams;
    const pageServer = startPageServer();
    const pageUrl = `http://127.0.0.1:${pageServer.addr.port}/`;
    const browser = await chromium.launch({ executablePath: findChromium()!, args: CHROMIUM_ARGS });
    const relayPorts = new Set<number>();
    // Tokens as the meetings function gets them: a session, then one connection per join.
    const sessionId = "relay-test";
    const rest = (path: string, body: unknown) =>
      fetch(`${emulator.url}/openvidu/api${path}`, {
        method: "POST",
        headers: { authorization: `Basic ${btoa("OPENVIDUAPP:MY_SECRET")}` },
        body: JSON.stringify(body),
      }).then((res) => res.json());
    await rest("/sessions", { customSessionId: sessionId });
    try {
      const pageA = await openPage(browser, pageUrl);
      const pageB = await openPage(browser, pageUrl);
      const join = async (page: Page) => {
        const { token } = await rest(`/sessions/${sessionId}/connection`, {});
        return app<string>(page, "join", `${emulator.model.wsUrl()}/openvidu`, token, sessionId);
      };
      const cameraConn = await join(pageA);
      const viewer = await join(pageB);
      // This process's UDP sockets on 127.0.0.1 are the relay's (and the STUN server's):
      // each is checked to be closed at the end.
      const sampleRelayPorts = async () => {
        for (const port of await ownLoopbackUdpPorts()) relayPorts.add(port);
      };

      const camera = await app<string>(pageA, "publish", cameraConn);

      await t.step("a subscriber sees moving video and receives audio", async () => {
        await app(pageB, "subscribe", viewer, camera);
        const { later } = await assertVideoAdvances(pageB, camera, "camera");
        assert.equal(later.width, 640);
        assert.equal(later.height, 480);
        assert.deepEqual(later.tracks.map((tr) => tr.readyState), ["live", "live"]);
        await assertAudioFlows(pageB, camera);
        const video = (await inbound(pageB, camera)).video!;
        assert.equal(video.mimeType, "video/VP8");
        assert.ok(video.keyFramesDecoded! >= 1);
        const stats = relay.stats().streams[camera];
        assert.ok(stats.keyframesReceived >= 1);
        assert.equal(stats.subscribers[viewer].state, "connected");
      });

      await t.step(
        "muting by enabled=false and replaceTrack keep the picture flowing",
        async () => {
          await app(pageA, "setTrackEnabled", cameraConn, "video", false);
          // A disabled track sends black frames: the video keeps playing, and turns black.
          await eventually(async () => {
            const s = await videoState(pageB, camera);
            return s.corner.every((v) => v < 30) ? s : undefined;
          }, { what: "a black picture while the camera is disabled" });
          await app(pageA, "setTrackEnabled", cameraConn, "video", true);
          await assertVideoAdvances(pageB, camera, "camera re-enabled");

          await app(pageA, "replaceVideoTrack", cameraConn, "canvas");
          const swapped = await eventually(async () => {
            const s = await videoState(pageB, camera);
            return s.width === 320 && s.height === 240 && s.corner[0] > 150 ? s : undefined;
          }, { what: "the replaced track (red 320x240 canvas) in the subscriber" });
          await assertVideoAdvances(pageB, camera, "replaced track");
          assert.ok(swapped.corner[1] < 90, `red canvas expected, got ${swapped.corner}`);
          await app(pageA, "replaceVideoTrack", cameraConn, "camera");
          // The fake camera's picture is green; the encoder may scale it, so colour decides.
          await eventually(async () => {
            const s = await videoState(pageB, camera);
            return s.corner[1] > 100 && s.corner[0] < 60 ? s : undefined;
          }, { what: "the camera back in the subscriber" });
          await assertVideoAdvances(pageB, camera, "camera restored");
        },
      );

      const screenConn = await join(pageA);
      let screen = "";
      await t.step("a second, video-only stream shows, then ends when unpublished", async () => {
        screen = await app<string>(pageA, "publish", screenConn, { source: "canvas" });
        assert.deepEqual(relay.stats().streams[screen].kinds, ["video"]);
        await app(pageB, "subscribe", viewer, screen, { audio: false });
        const { later } = await assertVideoAdvances(pageB, screen, "screen");
        assert.equal(later.width, 320);
        assert.ok(later.corner[0] > 150 && later.corner[1] < 90, `red expected: ${later.corner}`);
        assert.deepEqual(later.tracks.map((tr) => tr.kind), ["video"]);
        assert.equal((await inbound(pageB, screen)).audio, null);
        // The camera stream is unaffected by the second one.
        await assertVideoAdvances(pageB, camera, "camera beside the screen");
        await sampleRelayPorts();
      });

      await t.step("unpublishing the second stream ends it in the subscriber", async () => {
        const flowing = (await inbound(pageB, screen)).video!.packetsReceived;
        await app(pageA, "unpublish", screenConn);
        assert.equal(relay.stats().streams[screen], undefined);
        const gone = await eventually(async () => {
          const s = await videoState(pageB, screen);
          return s.tracks.every((tr) => tr.readyState === "ended") ? s : undefined;
        }, { what: "the screen track ended in the subscriber" });
        assert.ok(gone.events.includes("participantUnpublished:unpublish"));
        assert.equal(gone.connectionState, "closed");
        assert.ok(flowing > 0);
        // A frame already in the decoder may still be shown; then the picture stops.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const settled = (await videoState(pageB, screen)).frames;
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal((await videoState(pageB, screen)).frames, settled, "no frame after the end");
        await assertVideoAdvances(pageB, camera, "camera after the screen left");
      });

      await t.step("a publisher's media reconnection keeps its subscribers playing", async () => {
        const before = await videoState(pageB, camera);
        await app(pageA, "republish", cameraConn);
        // Same subscriber PeerConnection, no new subscription: the relay splices the new
        // ingest (new SSRC, sequence numbers, timestamps) into the existing leg.
        const after = await assertVideoAdvances(pageB, camera, "camera after reconnect");
        assert.equal(after.later.connectionState, "connected");
        assert.ok(after.later.frames > before.frames);
        await assertAudioFlows(pageB, camera);
        assert.deepEqual(Object.keys(relay.stats().streams[camera].subscribers), [viewer]);
      });

      await t.step("an H.264-only publisher reaches the subscriber as H.264", async () => {
        const h264Conn = await join(pageA);
        const h264 = await app<string>(pageA, "publish", h264Conn, { videoCodec: "video/H264" });
        assert.equal(relay.stats().streams[h264].codecs.video, "H264");
        await app(pageB, "subscribe", viewer, h264);
        await assertVideoAdvances(pageB, h264, "H.264 camera");
        assert.equal((await inbound(pageB, h264)).video!.mimeType, "video/H264");
        await app(pageA, "unpublish", h264Conn);
      });

      await t.step("an audio-only stream reaches the subscriber", async () => {
        const micConn = await join(pageA);
        const mic = await app<string>(pageA, "publish", micConn, { video: false });
        assert.deepEqual(relay.stats().streams[mic].kinds, ["audio"]);
        await app(pageB, "subscribe", viewer, mic, { video: false });
        await assertAudioFlows(pageB, mic);
        await app(pageA, "unpublish", micConn);
      });

      await t.step("the Kurento subscribe flow (the browser offers) also plays", async () => {
        const otherViewer = await join(pageB);
        await app(pageB, "unsubscribe", camera);
        await app(pageB, "subscribe", otherViewer, camera, { flow: "client" });
        await assertVideoAdvances(pageB, camera, "camera via client offer");
        await assertAudioFlows(pageB, camera);
        await app(pageB, "unsubscribe", camera);
        assert.deepEqual(relay.stats().streams[camera].subscribers, {});
      });

      await t.step("measure: subscribe request to first decoded frame (median of 5)", async () => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const requested = relay.stats().streams[camera].keyframeRequests;
          await app(pageB, "subscribe", viewer, camera);
          const s = await eventually(async () => {
            const v = await videoState(pageB, camera);
            return v.firstFrameMs !== null ? v : undefined;
          }, { what: "a first frame" }).catch(async (error) => {
            const leg = relay.stats().streams[camera]?.subscribers[viewer];
            throw new Error(
              `${error.message}; relay leg ${JSON.stringify(leg)}; ` +
                `inbound ${JSON.stringify(await inbound(pageB, camera))}`,
            );
          });
          times.push(s.firstFrameMs!);
          assert.ok(
            relay.stats().streams[camera].keyframeRequests > requested,
            "the relay asked the publisher for a keyframe for the new subscriber",
          );
          await app(pageB, "unsubscribe", camera);
        }
        const med = median(times);
        console.log(
          `subscribe → first frame: median ${med.toFixed(0)} ms (${
            times.map((x) => x.toFixed(0)).join(", ")
          })`,
        );
        // openvidu-browser raises NO_STREAM_PLAYING_EVENT after 4 s without playback.
        assert.ok(med < 2000, `median ${med} ms`);
      });

      await sampleRelayPorts();
    } finally {
      await browser.close();
      await emulator.close();
      await pageServer.shutdown();
    }

    await t.step("closing the emulator leaves no PeerConnection and no relay socket", async () => {
      assert.deepEqual(relay.stats(), { publications: 0, subscriptions: 0, streams: {} });
      await assert.rejects(relay.prepareSubscribe("x", "y"), /closed/);
      assert.ok(
        relayPorts.size >= 3,
        `relay sockets were seen while streaming: ${relayPorts.size}`,
      );
      const open = await ownLoopbackUdpPorts();
      const leaked = [...relayPorts].filter((p) => open.has(p));
      assert.deepEqual(leaked, [], "relay UDP ports still bound after close");
    });
  },
});
