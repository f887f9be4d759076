import { Task } from "@lit/task";
import { html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, state } from "lit/decorators.js";
import type { Meeting } from "../shared/api-types.js";
import { PollingController } from "../shared/controllers/polling.js";
import { toWidgetError, WidgetError } from "../shared/errors.js";
import { FoxeoJoinedEvent, FoxeoLeftEvent, FoxeoMeetingEndedEvent } from "../shared/events.js";
import { meetingRoomMessages, type MeetingRoomMessages } from "../shared/i18n/meeting-room.js";
import { VisioElement } from "../shared/visio-element.js";
import { LocalMedia } from "./local-media.js";
import { styles } from "./meeting-room.styles.js";
import type { RoomConnectionFactory } from "./room-connection.js";
import { renderPrejoin } from "./prejoin-view.js";
import { renderRoom } from "./room-view.js";
import { connectBounded, RoomSession } from "./room-session.js";

/** The real connection, loaded with openvidu-browser only when someone joins. */
const openViduFactory: RoomConnectionFactory = () =>
  import("./openvidu-connection.js").then((m) => m.createOpenViduConnection());

type Phase = "prejoin" | "connecting" | "room" | "left" | "ended" | "lost";

/**
 * A meeting room: a pre-join screen (camera preview, microphone level, device choice, display
 * name, and the notice that the meeting is recorded), then the meeting itself: tiles for
 * everyone, the active speaker, microphone, camera and screen-share toggles, leave, and "end
 * meeting" for the operator. openvidu-browser is loaded only when the user joins.
 *
 * Removing the element leaves the meeting: every track is stopped and every listener removed.
 *
 * @summary Foxeo Visio meeting room.
 * @fires foxeo-joined - The user is in the meeting. `detail: {meetingId, sessionId}`
 * @fires foxeo-left - The user left (button, element removed, or connection lost). `detail: {meetingId, reason}`
 * @fires foxeo-meeting-ended - The meeting ended while the user was in it. `detail: {meetingId, byMe}`
 * @fires foxeo-error - Something failed. `detail: {code, message, error}`
 * @csspart prejoin - The pre-join screen.
 * @csspart preview - The camera preview.
 * @csspart mic-level - The microphone level meter.
 * @csspart camera-select - Camera choice.
 * @csspart microphone-select - Microphone choice.
 * @csspart name-input - Display name.
 * @csspart recording-notice - The notice that the meeting is recorded and transcribed.
 * @csspart join-button - "Join the meeting".
 * @csspart status - Loading, connecting and end-of-meeting messages.
 * @csspart error - What failed.
 * @csspart room - The meeting itself.
 * @csspart recording-indicator - Shown while the meeting is being recorded.
 * @csspart reconnecting - Shown while the connection is being restored.
 * @csspart grid - The tiles.
 * @csspart tile - One participant or screen (also `tile-local`, `tile-screen`, `tile-speaking`).
 * @csspart name - The name on a tile.
 * @csspart muted-indicator - Shown on a tile whose microphone is off.
 * @csspart controls - The control bar.
 * @cssproperty --foxeo-room-background - Background of the meeting (default: near black).
 * @cssproperty --foxeo-tile-gap - Space between tiles.
 * @cssproperty --foxeo-speaking-color - Outline of the active speaker.
 * @cssproperty --foxeo-color-primary - Main action color.
 */
export class MeetingRoomElement extends VisioElement {
  static override styles = styles;

  /** The meeting to join. */
  @property({ attribute: "meeting-id" })
  meetingId = "";

  /** Name shown to the others; defaults to the name in the user's token. */
  @property({ attribute: "display-name" })
  displayName = "";

  /** Seconds to wait for the video server before giving up on joining. */
  @property({ attribute: "connect-timeout", type: Number })
  connectTimeout = 15;

  /** Seconds between checks of the meeting's status before joining (0: never). */
  @property({ attribute: "poll-interval", type: Number })
  pollInterval = 10;

  /** Makes the connection to the video server (default: openvidu-browser, loaded on join). */
  @property({ attribute: false })
  connectionFactory: RoomConnectionFactory = openViduFactory;

  @state() private meeting: Meeting | null = null;
  @state() private phase: Phase = "prejoin";
  @state() private name = "";
  @state() private joinError: WidgetError | null = null;
  @state() private roomError: { text: string; error: WidgetError } | null = null;
  @state() private confirmingEnd = false;
  @state() private ending = false;
  @state() private endedByMe = false;

  #etag: string | null = null;
  #joinAbort: AbortController | null = null;
  #sessionId = "";
  #levelShown = -1;

  /** @internal */
  readonly media = new LocalMedia(this, (level) => this.#showLevel(level));
  /** @internal */
  readonly session = new RoomSession(this, {
    onClosed: (reason) => this.#closed(reason),
    onScreenClosed: () => this.requestUpdate(),
  });

  readonly #poll = new PollingController(this, {
    interval: () => this.pollInterval * 1000,
    poll: () => this.#reloadMeeting(),
    active: () => this.meeting !== null && this.phase === "prejoin",
  });

  readonly #load = new Task(this, {
    args: () => [this.functionsUrl, this.meetingId] as const,
    task: async ([, id], { signal }) => {
      if (!id) throw new WidgetError("config", "No `meeting-id` given");
      this.meeting = null;
      const { value, etag } = await this.api.getMeeting(id, { signal });
      this.#etag = etag;
      this.#adopt(value!);
      this.#poll.reschedule();
      return value!;
    },
    onError: (e) => !(e instanceof DOMException) && this.report(e),
  });

  get #t(): MeetingRoomMessages {
    return meetingRoomMessages[this.locale.lang];
  }

  get isOperator(): boolean {
    return this.api.identity.role === "operator";
  }

  override disconnectedCallback(): void {
    this.#joinAbort?.abort();
    const wasIn = this.phase === "room";
    super.disconnectedCallback();
    if (wasIn) {
      this.phase = "left";
      this.dispatchEvent(new FoxeoLeftEvent(this.meetingId, "removed"));
    }
  }

  override render(): TemplateResult {
    const t = this.#t;
    if (this.phase === "room") return renderRoom(this, t);
    if (this.phase === "left" || this.phase === "ended" || this.phase === "lost") return this.#renderEnd();
    const loading = () => html`<p part="status" role="status">${t.loading}</p>`;
    return this.#load.render({
      initial: loading,
      pending: () => (this.meeting ? this.#renderPrejoin() : loading()),
      error: (e) => {
        const err = toWidgetError(e);
        return html`<div part="error" role="alert"><strong>${t.loadFailed}</strong> ${this.explain(err)}
          ${err.requestId ? html`<span class="ref">${this.common.reference(err.requestId)}</span>` : nothing}
          <button class="btn" @click=${() => this.#load.run()}>${this.common.retry}</button></div>`;
      },
      complete: () => this.#renderPrejoin(),
    }) ?? loading();
  }

  #renderPrejoin(): TemplateResult {
    const m = this.meeting!;
    if (m.status === "completed" || m.status === "cancelled") {
      return html`<div part="status" role="status"><h2>${m.title}</h2><p>${this.#t.notReady[m.status]}</p></div>`;
    }
    return renderPrejoin(this.#t, {
      meeting: m,
      media: this.media,
      name: this.name,
      connecting: this.phase === "connecting",
      joinError: this.joinError,
      intl: this.locale.intl,
      connectTimeout: this.connectTimeout,
      explain: (e) => this.explain(e),
      reference: this.common.reference,
      setName: (name) => (this.name = name),
      join: this.#join,
      cancel: () => this.#joinAbort?.abort(),
      toggle: (kind) => void this.toggle(kind),
    });
  }

  #renderEnd(): TemplateResult {
    const t = this.#t;
    const text = this.phase === "left" ? t.left : this.phase === "ended" ? (this.endedByMe ? t.ended : t.endedByHost) : t.lost;
    const canRejoin = this.phase !== "ended";
    return html`<div part="status" role="status" class="end">
      <h2>${this.meeting?.title ?? ""}</h2>
      <p>${text}</p>
      ${canRejoin ? html`<button class="btn primary" @click=${this.#rejoin}>${t.rejoin}</button>` : nothing}
    </div>`;
  }

  /** Turns the microphone or camera on or off, in the preview and in the meeting. */
  async toggle(kind: "mic" | "cam"): Promise<void> {
    if (kind === "mic") {
      this.media.setAudio(!this.media.audioOn);
      this.session.main?.setAudioActive(this.media.audioOn);
    } else {
      this.media.setVideo(!this.media.videoOn);
      await this.session.main?.setVideoActive(this.media.videoOn);
    }
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has("displayName") && this.displayName) this.name = this.displayName;
  }

  protected override tokenSourceChanged(): void {
    if (this.phase === "prejoin" && !this.meeting) void this.#load.run();
  }

  protected override updated(): void {
    const m = this.meeting;
    const wantsPreview = this.isConnected && this.phase === "prejoin" && m && (m.status === "in_progress" || m.status === "scheduled");
    if (wantsPreview && !this.media.stream && !this.media.starting && !this.media.error) void this.media.start();
    if (this.phase === "room") {
      for (const video of this.renderRoot.querySelectorAll<HTMLVideoElement>("video[data-stream]")) {
        this.session.attach(video.dataset.stream!, video);
      }
    }
  }

  #adopt(m: Meeting): void {
    this.meeting = m;
    if (!this.name) this.name = this.displayName || this.api.identity.displayName || "";
    if (m.status === "completed" || m.status === "cancelled") this.media.stop();
  }

  async #reloadMeeting(): Promise<void> {
    const { value, etag } = await this.api.getMeeting(this.meetingId, { etag: this.#etag });
    this.#etag = etag;
    if (value) this.#adopt(value);
  }

  #showLevel(level: number): void {
    const meter = this.renderRoot.querySelector<HTMLElement>("[part~=mic-level]");
    meter?.style.setProperty("--level", level.toFixed(3));
    const pct = Math.round(level * 10) * 10;
    if (pct !== this.#levelShown) {
      this.#levelShown = pct;
      meter?.setAttribute("aria-valuenow", String(pct));
    }
    if (this.phase === "room") this.session.setSpeaking("local", this.session.speaking.has("local") ? level > 0.25 : level > 0.45);
  }

  #join = async (): Promise<void> => {
    if (!this.meeting || this.phase === "connecting") return;
    this.phase = "connecting";
    this.joinError = null;
    this.roomError = null;
    const abort = (this.#joinAbort = new AbortController());
    try {
      const { token, session_id } = await this.api.meetingToken(this.meetingId, abort.signal);
      const conn = await connectBounded({
        factory: this.connectionFactory,
        token,
        displayName: this.name.trim() || this.api.identity.displayName || this.#t.participant,
        kind: "camera",
        timeoutMs: this.connectTimeout * 1000,
        signal: abort.signal,
      });
      this.session.selfUserId = this.api.identity.userId;
      const m = this.media;
      await this.session.enter(conn, { audio: m.audioTrack, video: m.videoTrack, audioActive: m.audioOn, videoActive: m.videoOn });
      this.#sessionId = session_id;
      this.phase = "room";
      this.dispatchEvent(new FoxeoJoinedEvent(this.meetingId, this.#sessionId));
    } catch (error) {
      this.session.leave();
      this.phase = "prejoin";
      if (abort.signal.aborted) return;
      this.joinError = this.report(error);
      if (this.joinError.code === "invalid-state") void this.#reloadMeeting().catch(() => {});
    } finally {
      if (this.#joinAbort === abort) this.#joinAbort = null;
    }
  };

  /** Leaves the meeting (the Leave button). */
  leave(): void {
    if (this.phase !== "room") return;
    this.session.leave();
    this.media.stop();
    this.phase = "left";
    this.dispatchEvent(new FoxeoLeftEvent(this.meetingId, "left"));
  }

  /** Operator: ends the meeting for everyone. */
  async endMeeting(): Promise<void> {
    this.confirmingEnd = false;
    this.ending = true;
    try {
      await this.api.endMeeting(this.meetingId);
      this.session.leave();
      this.media.stop();
      this.endedByMe = true;
      this.phase = "ended";
      this.dispatchEvent(new FoxeoMeetingEndedEvent(this.meetingId, true));
    } catch (error) {
      const e = this.report(error);
      this.roomError = { text: this.#t.endFailed, error: e };
    } finally {
      this.ending = false;
    }
  }

  /** Screen share on or off. The capture starts here, inside the click (Safari requires it). */
  shareScreen(): void {
    if (this.session.screen) {
      this.session.stopScreen();
      return;
    }
    if (!navigator.mediaDevices?.getDisplayMedia) {
      this.#shareFailed(new WidgetError("screen-share-failed", "This browser cannot share its screen"));
      return;
    }
    const capture = navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    void this.#share(capture);
  }

  async #share(capture: Promise<MediaStream>): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await capture;
    } catch (error) {
      // The user closed the browser's picker: nothing to report.
      if ((error as DOMException)?.name !== "NotAllowedError") {
        this.#shareFailed(new WidgetError("screen-share-failed", `Cannot capture the screen: ${(error as Error).message}`, { cause: error }));
      }
      return;
    }
    try {
      const { token } = await this.api.meetingToken(this.meetingId);
      await this.session.shareScreen(stream, {
        factory: this.connectionFactory,
        token,
        displayName: this.name.trim() || this.#t.participant,
        timeoutMs: this.connectTimeout * 1000,
      });
    } catch (error) {
      stream.getTracks().forEach((t) => t.stop());
      this.#shareFailed(toWidgetError(error, "screen-share-failed"));
    }
  }

  #shareFailed(error: WidgetError): void {
    this.roomError = { text: this.#t.shareFailed, error: this.report(error) };
  }

  #closed(reason: "ended" | "evicted" | "network"): void {
    this.media.stop();
    if (reason === "ended") {
      this.phase = "ended";
      this.endedByMe = false;
      this.dispatchEvent(new FoxeoMeetingEndedEvent(this.meetingId, false));
      return;
    }
    this.phase = "lost";
    this.report(new WidgetError("connection-lost", `Disconnected from meeting ${this.meetingId}: ${reason === "evicted" ? "removed by the server" : "network connection lost"}`));
    this.dispatchEvent(new FoxeoLeftEvent(this.meetingId, "connection-lost"));
  }

  #rejoin = (): void => {
    this.phase = "prejoin";
    this.joinError = null;
    this.roomError = null;
    void this.#reloadMeeting().catch(() => {});
  };

  /** For the room view: state it renders and the handlers it calls. @internal */
  get view() {
    return {
      meeting: this.meeting,
      media: this.media,
      session: this.session,
      name: this.name,
      isOperator: this.isOperator,
      confirmingEnd: this.confirmingEnd,
      ending: this.ending,
      roomError: this.roomError,
      explain: (e: WidgetError) => this.explain(e),
      toggle: (kind: "mic" | "cam") => this.toggle(kind),
      askEnd: (on: boolean) => (this.confirmingEnd = on),
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "foxeo-meeting-room": MeetingRoomElement;
  }
}
