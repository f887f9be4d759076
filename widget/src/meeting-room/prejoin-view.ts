/** The pre-join screen of <foxeo-meeting-room>: preview, microphone level, devices, name, notice. */
import { html, nothing, type TemplateResult } from "lit";
import type { Meeting } from "../shared/api-types.js";
import type { WidgetError } from "../shared/errors.js";
import { formatDateTime } from "../shared/format/format.js";
import type { MeetingRoomMessages } from "../shared/i18n/meeting-room.js";
import { micIcon } from "../shared/icons.js";
import type { LocalMedia } from "./local-media.js";
import { renderToggle } from "./room-view.js";

/** What the pre-join screen shows and the element's handlers it calls. */
export interface PrejoinView {
  meeting: Meeting;
  media: LocalMedia;
  name: string;
  connecting: boolean;
  joinError: WidgetError | null;
  intl: string;
  connectTimeout: number;
  explain(e: WidgetError): string;
  reference(requestId: string): string;
  setName(name: string): void;
  join(): void;
  cancel(): void;
  toggle(kind: "mic" | "cam"): void;
}

export function renderPrejoin(t: MeetingRoomMessages, v: PrejoinView): TemplateResult {
const { meeting: m, media, connecting } = v;
  const noMedia = !media.stream && !media.starting;
  const videoShown = !!media.videoTrack && media.videoOn;
  return html`<div part="prejoin">
    <header class="prejoin-head">
      <h2 part="title">${m.title}</h2>
      ${m.status === "scheduled"
        ? html`<p part="status" role="status">${t.scheduledFor(formatDateTime(m.scheduled_at, v.intl))}<br>${t.notReady.scheduled}</p>`
        : nothing}
    </header>
    <div class="preview-col">
      <div part="preview" class="tile">
        <video class="mirror" .srcObject=${media.stream} ?hidden=${!videoShown} muted autoplay playsinline
          aria-label=${t.preview}></video>
        ${videoShown ? nothing : html`<div class="placeholder">${media.videoTrack
          ? t.cameraOffPreview
          : media.starting
          ? t.loading
          : media.error?.code === "media-denied"
          ? t.deniedPreview
          : t.noCameraPreview}</div>`}
        <div class="preview-controls">
          ${renderToggle(t, "mic", media.audioOn, !media.audioTrack, () => v.toggle("mic"))}
          ${renderToggle(t, "cam", media.videoOn, !media.videoTrack, () => v.toggle("cam"))}
        </div>
      </div>
      <div class="level-row">
        <span class="level-label" aria-hidden="true">${micIcon}</span>
        <div part="mic-level" role="meter" aria-label=${t.micLevel} aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
          <span class="bar"></span>
        </div>
      </div>
    </div>
    <div class="form-col">
      <label for="name">${t.displayName}</label>
      <input id="name" part="name-input" .value=${v.name} maxlength="80" autocomplete="name" ?disabled=${connecting}
        @input=${(e: Event) => v.setName((e.target as HTMLInputElement).value)}>
      ${media.cameras.length
        ? html`<label for="camera">${t.camera}</label>
          <select id="camera" part="camera-select" ?disabled=${connecting} @change=${(e: Event) => media.choose("camera", (e.target as HTMLSelectElement).value)}>
            ${media.cameras.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.deviceId === media.cameraId}>${d.label || `${t.camera} ${i + 1}`}</option>`)}
          </select>`
        : nothing}
      ${media.microphones.length
        ? html`<label for="microphone">${t.microphone}</label>
          <select id="microphone" part="microphone-select" ?disabled=${connecting} @change=${(e: Event) => media.choose("microphone", (e.target as HTMLSelectElement).value)}>
            ${media.microphones.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.deviceId === media.microphoneId}>${d.label || `${t.microphone} ${i + 1}`}</option>`)}
          </select>`
        : nothing}
      <p part="recording-notice" role="note"><span class="rec-dot" aria-hidden="true"></span>${t.recordedNotice}</p>
      ${media.error
        ? html`<div part="error" role="alert">${v.explain(media.error)}
            ${media.error.code === "media-denied" ? t.deniedHelp : t.unavailableHelp}
            <button class="btn" @click=${() => media.start()}>${t.retryMedia}</button></div>`
        : nothing}
      ${v.joinError
        ? html`<div part="error" role="alert"><strong>${t.joinFailed}</strong> ${v.joinError.code === "timeout"
            ? t.timeout(new Intl.NumberFormat(v.intl).format(v.connectTimeout))
            : v.explain(v.joinError)}
            ${v.joinError.requestId ? html`<span class="ref">${v.reference(v.joinError.requestId)}</span>` : nothing}</div>`
        : nothing}
      <div class="join-row">
        <button part="join-button" class="btn primary" ?disabled=${connecting || m.status !== "in_progress" || media.starting}
          aria-busy=${connecting} @click=${v.join}>${connecting ? t.connecting : noMedia ? t.joinWithoutMedia : t.join}</button>
        ${connecting ? html`<button class="btn" @click=${v.cancel}>${t.cancel}</button>` : nothing}
      </div>
    </div>
  </div>`;
}
