import { Task, TaskStatus } from "@lit/task";
import { html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, state } from "lit/decorators.js";
import { listRecordings, recordingLinks, recordingTranscript, retryTranscription } from "../shared/api-recordings.js";
import type { Recording, RecordingLinks } from "../shared/api-types.js";
import { PollingController } from "../shared/controllers/polling.js";
import { toWidgetError, WidgetError } from "../shared/errors.js";
import { formatBytes, formatDateTime, formatDuration } from "../shared/format/format.js";
import { recordingPlayerMessages, type RecordingPlayerMessages } from "../shared/i18n/recording-player.js";
import { downloadIcon } from "../shared/icons.js";
import { VisioElement } from "../shared/visio-element.js";
import { styles } from "./recording-player.styles.js";
import { TranscriptPanel } from "./transcript-panel.js";

const FINAL_FILE = new Set(["ready", "failed"]);
const FINAL_TRANSCRIPTION = new Set(["completed", "failed"]);

/**
 * Replays a meeting: its recordings (history and status), the video with captions, and the
 * transcript beside it (the line playing is highlighted and kept in view; click or Enter on a
 * line to seek; search with highlighted matches). Downloads go through signed links, which are
 * renewed before they expire, or when the video fails on an expired one, resuming at the same
 * position. The operator can retry a failed transcription.
 *
 * @summary Foxeo Visio recording player.
 * @fires foxeo-error - Something failed. `detail: {code, message, error}`
 * @csspart base - The whole player.
 * @csspart history - The list of the meeting's recordings.
 * @csspart recording - One recording in the history.
 * @csspart video - The `<video>`.
 * @csspart downloads - The download links.
 * @csspart transcript-panel - The transcript side.
 * @csspart transcription-status - Where the transcription stands.
 * @csspart retry-button - "Retry the transcription" (operator).
 * @csspart search-input - The transcript search box.
 * @csspart search-count - How many lines match.
 * @csspart transcript - The list of lines (a listbox).
 * @csspart line - One line (also `line-current` for the line playing).
 * @csspart match - A search match inside a line.
 * @csspart notice - Result of the last action.
 * @csspart loading - Shown while loading.
 * @csspart error - What failed.
 * @csspart empty - Shown when the meeting has no recording.
 * @cssproperty --foxeo-highlight-color - Background of the line playing.
 * @cssproperty --foxeo-match-color - Background of search matches.
 * @cssproperty --foxeo-transcript-height - Height of the transcript list (default 420px).
 * @cssproperty --foxeo-color-primary - Main action color.
 */
export class RecordingPlayerElement extends VisioElement {
  static override styles = styles;

  /** The meeting whose recordings are shown. */
  @property({ attribute: "meeting-id" })
  meetingId = "";

  /** Which recording to open first (default: the latest ready one). */
  @property({ attribute: "recording-id" })
  recordingId = "";

  /** Seconds between status checks while a recording or transcript is still being prepared. */
  @property({ attribute: "poll-interval", type: Number })
  pollInterval = 10;

  @state() private recordings: Recording[] = [];
  @state() private selected = "";
  @state() private videoSrc = "";
  @state() private links: RecordingLinks | null = null;
  @state() private notice: { kind: "success" | "error"; text: string } | null = null;
  @state() private playbackError: WidgetError | null = null;
  @state() private retrying = false;

  /** @internal */
  readonly transcript = new TranscriptPanel(this, () => this.#video);

  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | null = null;
  /** The recording whose video is loaded. */
  #videoFor = "";
  #failures = 0;
  #lastTime = 0;
  #playing = false;

  readonly #poll = new PollingController(this, {
    interval: () => this.pollInterval * 1000,
    poll: () => this.#reloadList(),
    active: () => this.recordings.some((r) => !FINAL_FILE.has(r.status) || (r.status === "ready" && !FINAL_TRANSCRIPTION.has(r.transcription_status))),
  });

  readonly #list = new Task(this, {
    args: () => [this.functionsUrl, this.meetingId] as const,
    task: async ([, id], { signal }) => {
      if (!id) throw new WidgetError("config", "No `meeting-id` given");
      const list = await listRecordings(this.api, id, signal);
      this.#adopt(list);
      return list;
    },
    onError: (e) => !(e instanceof DOMException) && this.report(e),
  });

  /** Links and transcript of the selected recording, reloaded when its statuses change. */
  readonly #media = new Task(this, {
    args: () => {
      const r = this.#current();
      return [this.meetingId, r?.id ?? "", r?.status ?? "", r?.transcription_status ?? ""] as const;
    },
    task: async ([meetingId, id, status, transcription], { signal }) => {
      // The transcript finishing while the video plays must not restart the video.
      const sameVideo = status === "ready" && this.#videoFor === id && !!this.videoSrc;
      if (sameVideo) this.transcript.set(null);
      else this.#clearMedia();
      if (!id || status !== "ready") return { links: null, transcript: null };
      const [links, transcript] = await Promise.all([
        recordingLinks(this.api, meetingId, id, signal),
        transcription === "completed" ? recordingTranscript(this.api, meetingId, id, signal) : Promise.resolve(null),
      ]);
      this.#useLinks(links, !sameVideo);
      this.#videoFor = id;
      this.transcript.set(transcript);
      return { links, transcript };
    },
    onError: (e) => !(e instanceof DOMException) && this.report(e),
  });

  get #t(): RecordingPlayerMessages {
    return recordingPlayerMessages[this.locale.lang];
  }

  get #video(): HTMLVideoElement | null {
    return this.renderRoot.querySelector("video");
  }

  #current(): Recording | undefined {
    return this.recordings.find((r) => r.id === this.selected);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.links) this.#scheduleRenewal(this.links);
  }

  protected override tokenSourceChanged(): void {
    if (!this.recordings.length) void this.#list.run();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    if (changed.has("recordingId") && this.recordingId && this.recordings.some((r) => r.id === this.recordingId)) {
      this.selected = this.recordingId;
    }
  }

  override render(): TemplateResult {
    const t = this.#t;
    const loading = () => html`<p part="loading" role="status">${t.loading}</p>`;
    return html`<section part="base" aria-labelledby="heading">
      <h2 id="heading">${t.heading}</h2>
      <p part="notice" class=${this.notice?.kind ?? ""} role="status" aria-live="polite">${this.notice?.text ?? nothing}</p>
      ${this.#list.render({
        initial: loading,
        pending: () => (this.recordings.length ? this.#renderMain() : loading()),
        error: (e) => this.#renderError(t.loadFailed, toWidgetError(e), () => this.#list.run()),
        complete: () => this.#renderMain(),
      }) ?? loading()}
    </section>`;
  }

  #renderError(what: string, e: WidgetError, retry?: () => void): TemplateResult {
    return html`<div part="error" role="alert"><strong>${what}</strong> ${this.explain(e)}
      ${e.requestId ? html`<span class="ref">${this.common.reference(e.requestId)}</span>` : nothing}
      ${retry ? html`<button class="btn" @click=${retry}>${this.common.retry}</button>` : nothing}</div>`;
  }

  #renderMain(): TemplateResult {
    const t = this.#t;
    const r = this.#current();
    if (!r) return html`<p part="empty">${t.none}</p>`;
    return html`<div class="layout">
      <div class="main">${this.#renderVideo(r)}</div>
      ${this.transcript.render(this.#t, r, {
        isOperator: this.api.identity.role === "operator",
        retrying: this.retrying,
        onRetry: () => this.#retry(r),
        mediaError: this.#media.status === TaskStatus.ERROR && r.transcription_status === "completed" ? toWidgetError(this.#media.error) : null,
        explain: (e) => this.explain(e),
      })}
      ${this.recordings.length > 1 ? this.#renderHistory() : nothing}
    </div>`;
  }

  #renderVideo(r: Recording): TemplateResult {
    const t = this.#t;
    if (r.status === "failed") return html`<p part="error" role="alert">${t.fileFailed}</p>`;
    if (r.status !== "ready") return html`<p class="pending" role="status">${t.fileNotReady}</p>`;
    if (this.#media.status === TaskStatus.ERROR) return this.#renderError(t.playbackFailed, toWidgetError(this.#media.error), () => this.#media.run());
    const links = this.links;
    const lang = r.transcription_language ?? "fr";
    return html`<div class="player">
        <video part="video" controls crossorigin="anonymous" preload="metadata" playsinline
          aria-label=${t.video} src=${this.videoSrc || nothing}
          @timeupdate=${this.#onTime} @seeked=${this.#onTime} @error=${this.#onVideoError}
          @playing=${() => ((this.#playing = true), (this.#failures = 0), (this.playbackError = null))}
          @pause=${() => (this.#playing = false)}>
          ${links?.vtt_url
            ? html`<track kind="captions" srclang=${lang} label=${t.captions(t.language[lang] ?? lang)} src=${links.vtt_url}>`
            : nothing}
        </video>
      </div>
      ${this.playbackError ? this.#renderError(t.playbackFailed, this.playbackError, () => this.#renew(true)) : nothing}
      ${links
        ? html`<div part="downloads" role="group" aria-label=${t.downloads}>
            <a class="btn" href=${links.video_download_url} download @click=${this.#onDownload}>${downloadIcon}${t.downloadVideo}
              ${r.size_bytes ? html`<span class="size">(${formatBytes(r.size_bytes, this.locale.intl)})</span>` : nothing}</a>
            ${links.srt_download_url
              ? html`<a class="btn" href=${links.srt_download_url} download @click=${this.#onDownload}>${downloadIcon}${t.downloadSrt}</a>`
              : nothing}
          </div>`
        : nothing}`;
  }

  #renderHistory(): TemplateResult {
    const t = this.#t;
    const { intl } = this.locale;
    return html`<nav class="history" aria-label=${t.history}>
      <h3>${t.history}</h3>
      <ol part="history">
        ${this.recordings.map((r) => html`<li>
          <button part="recording" class="recording" aria-current=${r.id === this.selected ? "true" : "false"}
            @click=${() => this.#select(r.id)}>
            <span class="when">${t.recordingOf(formatDateTime(r.started_at ?? r.created_at, intl))}</span>
            <span class="meta">${r.duration_seconds ? formatDuration(r.duration_seconds, intl) : ""}
              · ${t.file[r.status]}${r.status === "ready" ? html` · ${t.transcriptionShort[r.transcription_status]}` : nothing}</span>
          </button>
        </li>`)}
      </ol>
    </nav>`;
  }

  #select(id: string): void {
    if (id === this.selected) return;
    this.selected = id;
    this.notice = null;
  }

  #adopt(list: Recording[]): void {
    this.recordings = list;
    if (!list.some((r) => r.id === this.selected)) {
      const wanted = list.find((r) => r.id === this.recordingId) ?? list.find((r) => r.status === "ready") ?? list[0];
      this.selected = wanted?.id ?? "";
    }
    this.#poll.reschedule();
  }

  async #reloadList(): Promise<void> {
    this.#adopt(await listRecordings(this.api, this.meetingId));
  }

  #clearMedia(): void {
    clearTimeout(this.#renewTimer);
    this.#videoFor = "";
    this.links = null;
    this.videoSrc = "";
    this.playbackError = null;
    this.#failures = 0;
    this.#lastTime = 0;
    this.transcript.set(null);
  }

  #useLinks(links: RecordingLinks, swapVideo: boolean): void {
    this.links = links;
    if (swapVideo) this.videoSrc = links.video_url;
    this.#scheduleRenewal(links);
  }

  /** Renew a little before the links expire (a tenth of their life, at most a minute). */
  #scheduleRenewal(links: RecordingLinks): void {
    clearTimeout(this.#renewTimer);
    const left = Date.parse(links.expires_at) - Date.now();
    const lead = Math.min(60_000, Math.max(0, left) / 10);
    this.#renewTimer = setTimeout(() => void this.#renew(false), Math.max(0, left - lead));
  }

  #onTime = (): void => {
    const v = this.#video;
    if (!v) return;
    if (v.currentTime > 0 || !v.error) this.#lastTime = v.currentTime;
    this.transcript.follow(v.currentTime);
  };

  #onVideoError = (): void => {
    // Most often the signed link expired (the storage answers 400): renew and resume, twice at most.
    if (this.#failures >= 2) {
      const v = this.#video;
      this.playbackError = this.report(new WidgetError("playback-failed", `Cannot play the recording: media error ${v?.error?.code ?? "?"} ${v?.error?.message ?? ""}`.trim()));
      return;
    }
    this.#failures++;
    void this.#renew(true);
  };

  /**
   * New links; the video moves to the new URL (unless it has every byte already) and resumes
   * where it was, playing if it was.
   */
  #renew(afterError: boolean): Promise<void> {
    if (this.#renewing) return this.#renewing;
    const r = this.#current();
    if (!r || r.status !== "ready") return Promise.resolve();
    this.#renewing = (async () => {
      const v = this.#video;
      const at = afterError ? this.#lastTime : (v?.currentTime ?? this.#lastTime);
      const wasPlaying = afterError ? this.#playing : !!v && !v.paused && !v.ended;
      try {
        const links = await recordingLinks(this.api, this.meetingId, r.id);
        if (this.selected !== r.id) return;
        const swap = afterError || !v || !fullyBuffered(v);
        this.#useLinks(links, swap);
        if (swap && v) {
          await this.updateComplete;
          v.addEventListener("loadedmetadata", () => {
            v.currentTime = Math.min(at, v.duration || at);
            if (wasPlaying) void v.play().catch(() => {});
          }, { once: true });
        }
      } catch (error) {
        this.playbackError = this.report(toWidgetError(error));
      } finally {
        this.#renewing = null;
      }
    })();
    return this.#renewing;
  }

  /** A download clicked after the links expired: renew first, then download. */
  #onDownload = async (e: MouseEvent): Promise<void> => {
    if (!this.links || Date.parse(this.links.expires_at) > Date.now() + 5_000) return;
    e.preventDefault();
    const which = (e.currentTarget as HTMLAnchorElement).href === this.links.srt_download_url ? "srt" : "video";
    await this.#renew(false);
    const url = which === "srt" ? this.links?.srt_download_url : this.links?.video_download_url;
    if (url) Object.assign(document.createElement("a"), { href: url, download: "" }).click();
  };

  async #retry(r: Recording): Promise<void> {
    this.retrying = true;
    try {
      await retryTranscription(this.api, this.meetingId, r.id);
      this.notice = { kind: "success", text: this.#t.retried };
      await this.#reloadList();
    } catch (error) {
      const e = this.report(error);
      this.notice = { kind: "error", text: `${this.#t.retryFailed} ${this.explain(e)}` };
    } finally {
      this.retrying = false;
    }
  }
}

function fullyBuffered(v: HTMLVideoElement): boolean {
  const d = v.duration;
  if (!Number.isFinite(d) || d <= 0) return false;
  for (let i = 0; i < v.buffered.length; i++) {
    if (v.buffered.start(i) <= 0.05 && v.buffered.end(i) >= d - 0.05) return true;
  }
  return false;
}

declare global {
  interface HTMLElementTagNameMap {
    "foxeo-recording-player": RecordingPlayerElement;
  }
}
