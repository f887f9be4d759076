// The end-to-end test's eyes inside a page: it mounts the built <foxeo-meeting-room> (from
// dist/, the real openvidu-browser in its lazy chunk) and reads what a person would see in its
// shadow DOM: tiles, their marks, and whether their videos really play. The page loads
// /dist/meeting-room.js before this module.

// Every PeerConnection the page makes (openvidu-browser's), for the failure diagnostics.
const peerConnections = [];
const iceServers = new Set();
globalThis.RTCPeerConnection = class extends RTCPeerConnection {
  constructor(config, ...rest) {
    super(config, ...rest);
    peerConnections.push(this);
    for (const server of config?.iceServers ?? []) {
      for (const url of [server.urls ?? server.url].flat()) iceServers.add(url);
    }
  }
};

const room = () => document.querySelector("foxeo-meeting-room");
const $ = (selector) => room()?.shadowRoot?.querySelector(selector) ?? null;
const $$ = (selector) => [...(room()?.shadowRoot?.querySelectorAll(selector) ?? [])];

/** Remote tiles: people's cameras, and screens. */
const remoteTiles = () => $$("figure[part~=tile]:not([part~=tile-local])");

function tileInfo(figure) {
  const parts = figure.getAttribute("part").split(" ");
  return {
    connection: figure.dataset.connection,
    name: figure.querySelector(".who")?.textContent ?? "",
    screen: parts.includes("tile-screen"),
    cameraOff: figure.classList.contains("no-video"),
    muted: figure.querySelector("[part=muted-indicator]") !== null,
    stream: figure.querySelector("video")?.dataset.stream ?? null,
  };
}

/** Frame count and a 16×12 picture of a video, to tell live video from a frozen frame. */
function sample(video) {
  const canvas = new OffscreenCanvas(16, 12);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let picture = "";
  let rgb = [0, 0, 0];
  if (video.videoWidth > 0) {
    ctx.drawImage(video, 0, 0, 16, 12);
    const data = ctx.getImageData(0, 0, 16, 12).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) {
      sum[0] += data[i];
      sum[1] += data[i + 1];
      sum[2] += data[i + 2];
      picture += (data[i] >> 5).toString(8) + (data[i + 1] >> 5).toString(8) +
        (data[i + 2] >> 5).toString(8);
    }
    rgb = sum.map((s) => Math.round(s / (data.length / 4)));
  }
  return {
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    currentTime: video.currentTime,
    readyState: video.readyState,
    paused: video.paused,
    width: video.videoWidth,
    height: video.videoHeight,
    rgb,
    picture,
  };
}

globalThis.probe = {
  mount({ functionsUrl, meetingId, token }) {
    const el = document.createElement("foxeo-meeting-room");
    el.setAttribute("functions-url", functionsUrl);
    el.setAttribute("meeting-id", meetingId);
    el.setAttribute("lang", "en");
    el.accessToken = token;
    document.body.append(el);
  },

  /** The join button is there and enabled (the camera preview is running). */
  canJoin() {
    const button = $("[part~=join-button]");
    return button !== null && !button.disabled;
  },

  /**
   * Starts timing a join: from the next click on "Join" (the test clicks it like a person,
   * through the browser's input) to the first frame of a remote camera, seen with
   * requestVideoFrameCallback on the tile's video. `joinTime()` gives the result.
   */
  armJoinTimer(timeoutMs = 15_000) {
    const host = room();
    globalThis.joinTiming = new Promise((resolve, reject) => {
      const watched = new WeakSet();
      let poll;
      const deadline = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`no remote frame within ${timeoutMs} ms of the click`));
      }, timeoutMs);
      const onClick = (event) => {
        if (!event.composedPath().some((n) => n.getAttribute?.("part") === "join-button")) return;
        host.removeEventListener("click", onClick, true);
        const clicked = event.timeStamp;
        poll = setInterval(() => {
          for (const figure of remoteTiles()) {
            const video = figure.querySelector("video");
            if (!video || watched.has(video) || tileInfo(figure).screen) continue;
            watched.add(video);
            video.requestVideoFrameCallback(() => {
              clearInterval(poll);
              clearTimeout(deadline);
              resolve(performance.now() - clicked);
            });
          }
        }, 5);
      };
      host.addEventListener("click", onClick, true);
    });
  },

  joinTime: () => globalThis.joinTiming,

  inRoom: () => $("[part~=room]") !== null,
  reconnecting: () => $("[part~=reconnecting]") !== null,
  count: () => $(".count")?.textContent ?? "",
  tiles: () => remoteTiles().map(tileInfo),

  /** The state of the video in the remote tile of `connection` (or the screen tile). */
  video({ connection, screen = false }) {
    const figure = remoteTiles().find((f) =>
      screen ? tileInfo(f).screen : f.dataset.connection === connection && !tileInfo(f).screen
    );
    const video = figure?.querySelector("video");
    return video ? sample(video) : null;
  },

  /** The end screen is showing (after leaving). */
  ended: () => $("[part~=status] button") !== null && !$("[part~=room]"),

  /** Every ICE server URL a PeerConnection of this page was given. */
  iceServers: () => [...iceServers],

  /** State and RTP counters of every PeerConnection, for failure messages. */
  async rtc() {
    const out = [];
    for (const pc of peerConnections) {
      if (pc.connectionState === "closed") continue;
      const rtp = [];
      let transport = null;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" || r.type === "outbound-rtp") {
          rtp.push(
            [r.type, r.kind, r.packetsReceived ?? r.packetsSent, r.framesDecoded ?? r.framesEncoded]
              .join(":"),
          );
        }
        if (r.type === "transport") transport = `${r.dtlsState}/${r.iceState}`;
      });
      out.push({ state: pc.connectionState, transport, rtp });
    }
    return out;
  },

  /** Our own connection id, as openvidu-browser knows it. */
  connectionId: () => room()?.session?.main?.connectionId ?? null,
};
