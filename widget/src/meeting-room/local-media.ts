/**
 * The user's camera and microphone for <foxeo-meeting-room>: the preview stream, device lists,
 * the microphone level, and on/off state. A reactive controller: when the element leaves the
 * page every track is stopped and the audio graph closed.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { WidgetError } from "../shared/errors.js";

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

export class LocalMedia implements ReactiveController {
  stream: MediaStream | null = null;
  cameras: DeviceChoice[] = [];
  microphones: DeviceChoice[] = [];
  cameraId = "";
  microphoneId = "";
  audioOn = true;
  videoOn = true;
  error: WidgetError | null = null;
  starting = false;
  /** 0–1, updated about 20 times a second while the microphone is live. */
  level = 0;

  #audio: { ctx: AudioContext; analyser: AnalyserNode; source: MediaStreamAudioSourceNode } | null = null;
  #meter: ReturnType<typeof setInterval> | undefined;
  #generation = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onLevel: (level: number) => void = () => {},
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }

  get audioTrack(): MediaStreamTrack | null {
    return this.stream?.getAudioTracks()[0] ?? null;
  }

  get videoTrack(): MediaStreamTrack | null {
    return this.stream?.getVideoTracks()[0] ?? null;
  }

  /** Opens the chosen devices (asking permission the first time). */
  async start(): Promise<void> {
    const generation = ++this.#generation;
    this.starting = true;
    this.error = null;
    this.host.requestUpdate();
    const video: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, ...(this.cameraId ? { deviceId: { exact: this.cameraId } } : {}) };
    const audio: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, ...(this.microphoneId ? { deviceId: { exact: this.microphoneId } } : {}) };
    let stream: MediaStream | null = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    } catch (error) {
      const name = (error as DOMException)?.name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        this.error = new WidgetError("media-denied", "Cannot use the camera or microphone: permission denied", { cause: error });
      } else {
        // No camera (or it is busy): the microphone alone will do; then nothing at all.
        stream = await navigator.mediaDevices.getUserMedia({ audio }).catch((e2) => {
          const denied = (e2 as DOMException)?.name === "NotAllowedError";
          this.error = new WidgetError(denied ? "media-denied" : "media-unavailable", `Cannot use the camera or microphone: ${(error as Error).message}`, { cause: error });
          return null;
        });
      }
    }
    if (generation !== this.#generation) {
      stream?.getTracks().forEach((t) => t.stop());
      return;
    }
    this.#release();
    this.stream = stream;
    if (stream) {
      this.audioTrack && (this.audioTrack.enabled = this.audioOn);
      this.videoTrack && (this.videoTrack.enabled = this.videoOn);
      this.cameraId = this.videoTrack?.getSettings().deviceId ?? this.cameraId;
      this.microphoneId = this.audioTrack?.getSettings().deviceId ?? this.microphoneId;
      this.#startMeter();
      await this.#listDevices();
    }
    this.starting = false;
    this.host.requestUpdate();
  }

  async choose(kind: "camera" | "microphone", deviceId: string): Promise<void> {
    if (kind === "camera") this.cameraId = deviceId;
    else this.microphoneId = deviceId;
    await this.start();
  }

  setAudio(on: boolean): void {
    this.audioOn = on;
    if (this.audioTrack) this.audioTrack.enabled = on;
    this.host.requestUpdate();
  }

  setVideo(on: boolean): void {
    this.videoOn = on;
    if (this.videoTrack) this.videoTrack.enabled = on;
    this.host.requestUpdate();
  }

  /** Stops every track and the level meter. */
  stop(): void {
    this.#generation++;
    this.#release();
    this.stream = null;
    this.starting = false;
  }

  #release(): void {
    clearInterval(this.#meter);
    this.#meter = undefined;
    this.#audio?.source.disconnect();
    void this.#audio?.ctx.close().catch(() => {});
    this.#audio = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.level = 0;
  }

  async #listDevices(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    const pick = (kind: MediaDeviceKind) =>
      devices.filter((d) => d.kind === kind && d.deviceId).map((d) => ({ deviceId: d.deviceId, label: d.label }));
    this.cameras = pick("videoinput");
    this.microphones = pick("audioinput");
  }

  #startMeter(): void {
    const track = this.audioTrack;
    if (!track) return;
    try {
      const ctx = new AudioContext();
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      this.#audio = { ctx, analyser, source };
      const samples = new Float32Array(analyser.fftSize);
      this.#meter = setInterval(() => {
        if (ctx.state === "suspended") void ctx.resume().catch(() => {});
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        // Speech sits around -40…-10 dBFS: map that range onto 0…1.
        const db = 20 * Math.log10(rms || 1e-8);
        this.level = track.enabled ? Math.min(1, Math.max(0, (db + 55) / 45)) : 0;
        this.onLevel(this.level);
      }, 50);
    } catch {
      // No Web Audio: no meter, the call still works.
    }
  }
}
