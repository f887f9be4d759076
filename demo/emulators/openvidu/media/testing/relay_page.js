// The browser side of the relay test: a stand-in for openvidu-browser 2.32 that uses plain
// RTCPeerConnection with the same negotiation as its WebRtcPeer (publisher: sendonly offer,
// server answers; subscriber: the browser offers recvonly like with Kurento, or the server
// offers sendonly and the browser answers like with mediasoup), against the emulator's real
// signalling: the same JSON-RPC methods, parameters and candidate routing (`endpointName` /
// `senderConnectionId` are connection ids).

/** One JSON-RPC 2.0 WebSocket, like one OpenVidu connection. */
class Rpc {
  #ws;
  #next = 1;
  #pending = new Map();
  #handlers = new Map();
  id = "";

  /** Opens the signalling WebSocket and joins the session with a token (`joinRoom`). */
  static async open(wsUrl, token, sessionId) {
    const rpc = new Rpc();
    rpc.#ws = new WebSocket(`${wsUrl}?sessionId=${sessionId}`);
    await new Promise((resolve, reject) => {
      rpc.#ws.onopen = resolve;
      rpc.#ws.onerror = () => reject(new Error("signalling socket failed"));
    });
    rpc.#ws.onmessage = (event) => rpc.#receive(JSON.parse(event.data));
    const joined = await rpc.call("joinRoom", {
      token,
      session: sessionId,
      platform: navigator.userAgent,
      metadata: "",
      sdkVersion: "2.32.1",
    });
    rpc.id = joined.id;
    return rpc;
  }

  call(method, params) {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  on(method, handler) {
    this.#handlers.set(method, handler);
  }

  close() {
    this.#ws.close();
  }

  #receive(message) {
    if (message.id !== undefined && this.#pending.has(message.id)) {
      const { resolve, reject } = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) reject(new Error(`${message.error.code}: ${message.error.message}`));
      else resolve(message.result);
    } else if (message.method) {
      this.#handlers.get(message.method)?.(message.params);
    }
  }
}

/** openvidu-browser's WebRtcPeer essentials: queue remote candidates until stable. */
class Peer {
  constructor(rpc, endpointName) {
    // No ICE servers: openvidu-browser would use public STUN servers (freeice) unless the
    // application passes rtcConfiguration.iceServers = [].
    this.pc = new RTCPeerConnection({ iceServers: [] });
    (globalThis.allPcs ??= []).push(this.pc);
    this.queued = [];
    this.pc.addEventListener("icecandidate", (event) => {
      // openvidu-browser also forwards the end-of-candidates event (candidate "").
      if (event.candidate === null) return;
      rpc.call("onIceCandidate", {
        endpointName,
        candidate: event.candidate.candidate,
        sdpMid: event.candidate.sdpMid,
        sdpMLineIndex: event.candidate.sdpMLineIndex,
      }).catch((error) => console.error("onIceCandidate", error.message));
    });
    this.pc.addEventListener("signalingstatechange", async () => {
      if (this.pc.signalingState !== "stable") return;
      while (this.queued.length > 0) await this.pc.addIceCandidate(this.queued.shift());
    });
  }

  addRemoteCandidate(candidate) {
    if (this.pc.signalingState === "stable" && this.pc.remoteDescription) {
      return this.pc.addIceCandidate(candidate);
    }
    this.queued.push(candidate);
  }
}

const connections = new Map(); // connectionId → { rpc, publisher?: {peer, stream, streamId} }
const subscriptions = new Map(); // streamId → { peer, video, frames, firstFrameAt, events }

function connectionOf(streamId) {
  // OpenVidu stream ids end with the publisher's connection id: str_CAM_XXXX_con_YYYY.
  return streamId.slice(streamId.indexOf("con_"));
}

function routeNotifications(rpc) {
  // openvidu-browser disposes a subscriber's PeerConnection and stops its tracks when the
  // server says the stream's publisher unpublished.
  rpc.on("participantUnpublished", (params) => {
    for (const [streamId, sub] of subscriptions) {
      if (sub.rpc !== rpc || connectionOf(streamId) !== params.connectionId) continue;
      sub.peer.pc.close();
      for (const track of sub.stream?.getTracks() ?? []) track.stop();
      sub.events.push(`participantUnpublished:${params.reason}`);
    }
  });
  rpc.on("iceCandidate", (params) => {
    const candidate = {
      candidate: params.candidate,
      sdpMid: params.sdpMid,
      sdpMLineIndex: params.sdpMLineIndex,
    };
    if (params.senderConnectionId === rpc.id) {
      connections.get(rpc.id).publisher?.peer.addRemoteCandidate(candidate);
      return;
    }
    for (const [streamId, sub] of subscriptions) {
      if (sub.rpc === rpc && connectionOf(streamId) === params.senderConnectionId) {
        sub.peer.addRemoteCandidate(candidate);
      }
    }
  });
}

export async function join(wsUrl, token, sessionId) {
  const rpc = await Rpc.open(wsUrl, token, sessionId);
  routeNotifications(rpc);
  connections.set(rpc.id, { rpc });
  return rpc.id;
}

/** A "screen" made of a canvas: red background, a moving white square, a frame counter. */
export function canvasStream(width = 320, height = 180, fps = 15) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  let n = 0;
  const draw = () => {
    ctx.fillStyle = "rgb(220, 20, 20)";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "white";
    ctx.fillRect((n * 7) % (width - 40), height / 3, 40, 40);
    ctx.fillText(String(n++), 4, 12);
  };
  draw();
  canvas.timer = setInterval(draw, 1000 / fps);
  document.body.append(canvas);
  return canvas.captureStream(fps);
}

async function negotiatePublisher(conn, stream, videoCodec) {
  const peer = new Peer(conn.rpc, conn.rpc.id);
  for (const track of stream.getTracks()) {
    const tc = peer.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    if (videoCodec && track.kind === "video") {
      // Offers only this codec, as a browser without the relay's first choice would.
      const codecs = RTCRtpSender.getCapabilities("video").codecs;
      tc.setCodecPreferences(codecs.filter((c) => c.mimeType === videoCodec));
    }
  }
  const offer = await peer.pc.createOffer();
  await peer.pc.setLocalDescription(offer);
  return { peer, offer };
}

export async function publish(connectionId, options = {}) {
  const { source = "camera", audio = true, video = true, videoCodec } = options;
  const conn = connections.get(connectionId);
  const stream = source === "canvas" ? canvasStream() : await navigator.mediaDevices.getUserMedia({
    audio,
    video: video ? { width: 640, height: 480 } : false,
  });
  const { peer, offer } = await negotiatePublisher(conn, stream, videoCodec);
  const result = await conn.rpc.call("publishVideo", {
    sdpOffer: offer.sdp,
    doLoopback: false,
    hasAudio: stream.getAudioTracks().length > 0,
    hasVideo: stream.getVideoTracks().length > 0,
    audioActive: true,
    videoActive: true,
    typeOfVideo: source === "canvas" ? "SCREEN" : "CAMERA",
    frameRate: 15,
    videoDimensions: JSON.stringify({ width: 640, height: 480 }),
  });
  await peer.pc.setRemoteDescription({ type: "answer", sdp: result.sdpAnswer });
  conn.publisher = { peer, stream, streamId: result.id, videoCodec };
  return result.id;
}

/** openvidu-browser's media reconnection of a publisher: a new PeerConnection, same stream. */
export async function republish(connectionId) {
  const conn = connections.get(connectionId);
  const { stream, streamId, videoCodec } = conn.publisher;
  conn.publisher.peer.pc.close();
  const { peer, offer } = await negotiatePublisher(conn, stream, videoCodec);
  conn.publisher.peer = peer;
  const { sdpAnswer } = await conn.rpc.call("reconnectStream", {
    stream: streamId,
    sdpString: offer.sdp,
  });
  await peer.pc.setRemoteDescription({ type: "answer", sdp: sdpAnswer });
}

export async function unpublish(connectionId) {
  const conn = connections.get(connectionId);
  await conn.rpc.call("unpublishVideo", {});
  conn.publisher.peer.pc.close();
  for (const track of conn.publisher.stream.getTracks()) track.stop();
  conn.publisher = undefined;
}

/** Publisher-side track changes a meeting room makes: mute by `enabled`, swap the camera. */
export function setTrackEnabled(connectionId, kind, enabled) {
  const { stream } = connections.get(connectionId).publisher;
  for (const track of stream.getTracks()) if (track.kind === kind) track.enabled = enabled;
}

export async function replaceVideoTrack(connectionId, source) {
  const { peer } = connections.get(connectionId).publisher;
  const track = source === "canvas"
    ? canvasStream(320, 240).getVideoTracks()[0]
    : (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } }))
      .getVideoTracks()[0];
  const sender = peer.pc.getSenders().find((s) => s.track?.kind === "video");
  await sender.replaceTrack(track);
}

/**
 * Subscribes like openvidu-browser: `flow` "server" is its mediasoup path
 * (prepareReceiveVideoFrom, then answer), "client" its Kurento path (browser offers).
 * Resolves when negotiation is done; frames are counted from then on.
 */
export async function subscribe(
  connectionId,
  streamId,
  { audio = true, video = true, flow = "server" } = {},
) {
  const { rpc } = connections.get(connectionId);
  const requestedAt = performance.now();
  const peer = new Peer(rpc, connectionOf(streamId));
  const sub = { rpc, peer, requestedAt, frames: 0, firstFrameAt: undefined, events: [] };
  subscriptions.set(streamId, sub);
  const wanted = { audio, video };
  if (flow === "server") {
    const { sdpOffer } = await rpc.call("prepareReceiveVideoFrom", { sender: streamId });
    await peer.pc.setRemoteDescription({ type: "offer", sdp: sdpOffer });
    for (const kind of ["audio", "video"]) {
      if (!wanted[kind]) continue;
      const tc = peer.pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
      if (!tc) throw new Error(`${kind} requested, but no transceiver was created from the offer`);
      tc.direction = "recvonly";
    }
    const answer = await peer.pc.createAnswer();
    await peer.pc.setLocalDescription(answer);
    await rpc.call("receiveVideoFrom", { sender: streamId, sdpAnswer: answer.sdp });
  } else {
    for (const kind of ["audio", "video"]) {
      if (wanted[kind]) peer.pc.addTransceiver(kind, { direction: "recvonly" });
    }
    const offer = await peer.pc.createOffer();
    await peer.pc.setLocalDescription(offer);
    const { sdpAnswer } = await rpc.call("receiveVideoFrom", {
      sender: streamId,
      sdpOffer: offer.sdp,
    });
    await peer.pc.setRemoteDescription({ type: "answer", sdp: sdpAnswer });
  }
  // openvidu-browser builds the subscriber's MediaStream from the receivers' tracks.
  const stream = new MediaStream(peer.pc.getReceivers().map((r) => r.track));
  for (const track of stream.getTracks()) {
    for (const type of ["mute", "unmute", "ended"]) {
      track.addEventListener(type, () => sub.events.push(`${track.kind}:${type}`));
    }
  }
  if (video) {
    const el = document.createElement("video");
    el.autoplay = true;
    el.playsInline = true;
    el.srcObject = stream;
    document.body.append(el);
    sub.video = el;
    const onFrame = (now) => {
      sub.frames++;
      sub.firstFrameAt ??= now;
      el.requestVideoFrameCallback(onFrame);
    };
    el.requestVideoFrameCallback(onFrame);
  }
  sub.stream = stream;
  return true;
}

export async function unsubscribe(streamId) {
  const sub = subscriptions.get(streamId);
  await sub.rpc.call("unsubscribeFromVideo", { sender: streamId });
  sub.peer.pc.close();
  sub.video?.remove();
  subscriptions.delete(streamId);
}

/** What the subscriber's <video> shows, and a coarse hash of the current picture. */
export function videoState(streamId) {
  const sub = subscriptions.get(streamId);
  const el = sub.video;
  const quality = el.getVideoPlaybackQuality();
  let picture = "";
  let corner = [0, 0, 0];
  if (el.videoWidth > 0) {
    const canvas = document.createElement("canvas");
    canvas.width = 16;
    canvas.height = 12;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(el, 0, 0, 16, 12);
    const data = ctx.getImageData(0, 0, 16, 12).data;
    for (let i = 0; i < data.length; i += 4) picture += (data[i] >> 4).toString(16);
    corner = [...ctx.getImageData(1, 1, 1, 1).data.slice(0, 3)];
  }
  return {
    frames: sub.frames,
    firstFrameMs: sub.firstFrameAt === undefined ? null : sub.firstFrameAt - sub.requestedAt,
    totalVideoFrames: quality.totalVideoFrames,
    width: el.videoWidth,
    height: el.videoHeight,
    paused: el.paused,
    readyState: el.readyState,
    currentTime: el.currentTime,
    picture,
    corner,
    events: [...sub.events],
    tracks: sub.stream.getTracks().map((t) => ({
      kind: t.kind,
      readyState: t.readyState,
      muted: t.muted,
    })),
    connectionState: sub.peer.pc.connectionState,
  };
}

/** inbound-rtp counters of one subscription. */
export async function inboundStats(streamId) {
  const sub = subscriptions.get(streamId);
  const out = { audio: null, video: null, connectionState: sub.peer.pc.connectionState };
  const report = await sub.peer.pc.getStats();
  report.forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    const codec = report.get(s.codecId);
    out[s.kind] = {
      packetsReceived: s.packetsReceived,
      bytesReceived: s.bytesReceived,
      framesDecoded: s.framesDecoded,
      keyFramesDecoded: s.keyFramesDecoded,
      pliCount: s.pliCount,
      nackCount: s.nackCount,
      mimeType: codec?.mimeType,
      audioLevel: s.audioLevel,
    };
  });
  return out;
}

/** outbound-rtp counters of a publisher (what its encoder is doing). */
export async function outboundStats(connectionId) {
  const { peer } = connections.get(connectionId).publisher;
  const out = {};
  const report = await peer.pc.getStats();
  report.forEach((s) => {
    if (s.type === "outbound-rtp") {
      out[s.kind] = {
        packetsSent: s.packetsSent,
        bytesSent: s.bytesSent,
        keyFramesEncoded: s.keyFramesEncoded,
        pliCount: s.pliCount,
        frameWidth: s.frameWidth,
        mimeType: report.get(s.codecId)?.mimeType,
      };
    }
    if (s.type === "candidate-pair" && s.nominated) {
      out.availableOutgoingBitrate = s.availableOutgoingBitrate;
    }
  });
  return out;
}
