/**
 * The transcript side of <foxeo-recording-player>: the list of lines (a listbox: one tab stop,
 * arrows move, Enter seeks), search with highlighted matches, and following playback.
 *
 * Following playback is the hot path (`timeupdate` fires about four times a second, and a
 * three-hour meeting has ≈2 500 lines): it finds the line by binary search and moves two
 * attributes on two elements, without re-rendering the list. Lit owns the lines' content and
 * never binds the attributes this class sets, so the two do not fight.
 */
import { html, type LitElement, nothing, type ReactiveController, type TemplateResult } from "lit";
import type { Recording, Transcript } from "../shared/api-types.js";
import type { WidgetError } from "../shared/errors.js";
import { formatClock } from "../shared/format/format.js";
import type { RecordingPlayerMessages } from "../shared/i18n/recording-player.js";
import { searchIcon } from "../shared/icons.js";
import { fold, foldQuery, lineAt, matchesIn } from "./transcript.js";

/** After the user scrolls the list, leave it alone this long before following again. */
const USER_SCROLL_GRACE_MS = 4000;

export interface PanelOptions {
  isOperator: boolean;
  retrying: boolean;
  onRetry: () => void;
  mediaError: WidgetError | null;
  explain: (e: WidgetError) => string;
}

export class TranscriptPanel implements ReactiveController {
  transcript: Transcript | null = null;
  query = "";
  /** Indexes of the lines that match the query. */
  matches: number[] = [];
  /** Which match the search navigation is on. */
  matchAt = -1;

  #folded: { folded: string; index: number[] }[] = [];
  #foldedQuery = "";
  #current = -1;
  #active = -1;
  #userScrolledAt = 0;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: LitElement,
    private readonly video: () => HTMLVideoElement | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    clearTimeout(this.#debounce);
  }

  hostUpdated(): void {
    // A new list was rendered: mark the line playing.
    const box = this.#box;
    if (box && box.dataset.for === undefined) {
      this.#current = -1;
      this.follow(this.video()?.currentTime ?? 0);
      if (this.#active >= 0) this.#activate(this.#active, false);
    }
  }

  set(transcript: Transcript | null): void {
    const box = this.#box;
    if (box) {
      // The line elements are reused for the next transcript: clear our marks.
      const prev = box.children[this.#current];
      prev?.removeAttribute("aria-current");
      prev?.setAttribute("part", "line");
      box.children[this.#active]?.classList.remove("active");
      box.removeAttribute("aria-activedescendant");
      delete box.dataset.for;
    }
    this.transcript = transcript;
    this.#folded = transcript?.segments.map((s) => fold(s.text)) ?? [];
    this.#current = -1;
    this.#active = -1;
    this.#search(this.query);
    this.host.requestUpdate();
  }

  get #box(): HTMLElement | null {
    return this.host.renderRoot.querySelector<HTMLElement>("[part~=transcript]");
  }

  /** Called on every `timeupdate` and `seeked`. */
  follow(time: number): void {
    const segments = this.transcript?.segments;
    if (!segments) return;
    const i = lineAt(segments, time);
    if (i !== this.#current) this.#mark(i);
  }

  #mark(i: number): void {
    const box = this.#box;
    if (!box) return;
    const lines = box.children;
    const prev = lines[this.#current];
    if (prev) {
      prev.removeAttribute("aria-current");
      prev.setAttribute("part", "line");
    }
    this.#current = i;
    box.dataset.for = String(i);
    const line = lines[i] as HTMLElement | undefined;
    if (!line) return;
    line.setAttribute("aria-current", "true");
    line.setAttribute("part", "line line-current");
    if (performance.now() - this.#userScrolledAt > USER_SCROLL_GRACE_MS) this.#reveal(box, line);
  }

  /** Scrolls the list (never the page) so the line is visible, a third from the top. */
  #reveal(box: HTMLElement, line: HTMLElement): void {
    const top = line.offsetTop;
    const bottom = top + line.offsetHeight;
    if (top >= box.scrollTop && bottom <= box.scrollTop + box.clientHeight) return;
    box.scrollTop = Math.max(0, top - box.clientHeight / 3);
  }

  #activate(i: number, reveal = true): void {
    const box = this.#box;
    if (!box || !this.transcript) return;
    const n = this.transcript.segments.length;
    if (!n) return;
    i = Math.max(0, Math.min(n - 1, i));
    box.children[this.#active]?.classList.remove("active");
    this.#active = i;
    const line = box.children[i] as HTMLElement | undefined;
    line?.classList.add("active");
    box.setAttribute("aria-activedescendant", `line-${i}`);
    if (line && reveal) this.#reveal(box, line);
  }

  seek(i: number): void {
    const v = this.video();
    const seg = this.transcript?.segments[i];
    if (!v || !seg) return;
    v.currentTime = seg.start;
    this.#activate(i);
    this.#userScrolledAt = 0;
    this.follow(seg.start);
  }

  #onKey = (e: KeyboardEvent): void => {
    const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    const n = this.transcript?.segments.length ?? 0;
    if (e.key in step) this.#activate((this.#active < 0 ? Math.max(0, this.#current) : this.#active) + step[e.key]);
    else if (e.key === "Home") this.#activate(0);
    else if (e.key === "End") this.#activate(n - 1);
    else if (e.key === "Enter" || e.key === " ") this.seek(this.#active < 0 ? Math.max(0, this.#current) : this.#active);
    else return;
    e.preventDefault();
    this.#userScrolledAt = performance.now();
  };

  #onFocus = (): void => {
    if (this.#active < 0) this.#activate(Math.max(0, this.#current));
  };

  #onClick = (e: Event): void => {
    const line = (e.target as Element).closest<HTMLElement>("[data-i]");
    if (line) this.seek(Number(line.dataset.i));
  };

  #onUserScroll = (): void => {
    this.#userScrolledAt = performance.now();
  };

  #onInput = (e: Event): void => {
    const value = (e.target as HTMLInputElement).value;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#search(value);
      this.host.requestUpdate();
    }, 120);
  };

  #onSearchKey = (e: KeyboardEvent): void => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    clearTimeout(this.#debounce);
    const value = (e.target as HTMLInputElement).value;
    if (value !== this.query) {
      this.#search(value);
      this.host.requestUpdate();
    } else {
      this.step(e.shiftKey ? -1 : 1);
    }
  };

  #search(query: string): void {
    this.query = query;
    this.#foldedQuery = foldQuery(query);
    const q = this.#foldedQuery;
    this.matches = [];
    if (q) this.#folded.forEach((f, i) => f.folded.includes(q) && this.matches.push(i));
    this.matchAt = this.matches.length ? 0 : -1;
    if (this.matchAt === 0) queueMicrotask(() => this.host.updateComplete.then(() => this.#activate(this.matches[0])));
  }

  /** Moves to the next (1) or previous (-1) match. */
  step(by: 1 | -1): void {
    if (!this.matches.length) return;
    this.matchAt = (this.matchAt + by + this.matches.length) % this.matches.length;
    this.#activate(this.matches[this.matchAt]);
    this.#userScrolledAt = performance.now();
    this.host.requestUpdate();
  }

  #line(text: string, i: number): TemplateResult | string {
    if (!this.#foldedQuery) return text;
    const ranges = matchesIn(this.#folded[i], this.#foldedQuery);
    if (!ranges.length) return text;
    const out: (string | TemplateResult)[] = [];
    let at = 0;
    for (const [s, e] of ranges) {
      out.push(text.slice(at, s), html`<mark part="match">${text.slice(s, e)}</mark>`);
      at = e;
    }
    out.push(text.slice(at));
    return html`${out}`;
  }

  render(t: RecordingPlayerMessages, r: Recording, o: PanelOptions): TemplateResult {
    const status = r.status !== "ready" ? null : r.transcription_status;
    const segments = this.transcript?.segments;
    return html`<aside part="transcript-panel" aria-labelledby="transcript-heading">
      <div class="panel-head">
        <h3 id="transcript-heading">${t.transcript}</h3>
        ${status && status !== "completed"
          ? html`<p part="transcription-status" class=${status} role="status">${t.transcription[status]}
              ${status === "failed" && r.transcription_error ? html`<span class="ref">${r.transcription_error}</span>` : nothing}</p>`
          : nothing}
        ${status === "failed" && o.isOperator
          ? html`<button part="retry-button" class="btn" ?disabled=${o.retrying} aria-busy=${o.retrying} @click=${o.onRetry}>${t.retry}</button>`
          : nothing}
      </div>
      ${o.mediaError ? html`<p part="error" role="alert">${t.transcriptFailed} ${o.explain(o.mediaError)}</p>` : nothing}
      ${segments
        ? html`<div class="search" role="search">
            <label for="search" class="visually-hidden">${t.search}</label>
            <span class="search-icon" aria-hidden="true">${searchIcon}</span>
            <input id="search" part="search-input" type="search" placeholder=${t.searchPlaceholder} .value=${this.query}
              autocomplete="off" @input=${this.#onInput} @keydown=${this.#onSearchKey}>
            ${this.query.trim()
              ? html`<span part="search-count" role="status">${this.matches.length ? `${this.matchAt + 1}/${this.matches.length} · ` : ""}${t.results(this.matches.length)}</span>
                  <button class="btn icon" aria-label=${t.previous} ?disabled=${!this.matches.length} @click=${() => this.step(-1)}>↑</button>
                  <button class="btn icon" aria-label=${t.next} ?disabled=${!this.matches.length} @click=${() => this.step(1)}>↓</button>`
              : nothing}
          </div>
          ${segments.length
            ? html`<div part="transcript" role="listbox" tabindex="0" aria-label=${t.transcript}
                @keydown=${this.#onKey} @focus=${this.#onFocus} @click=${this.#onClick}
                @wheel=${this.#onUserScroll} @touchmove=${this.#onUserScroll}>${segments.map((s, i) =>
                  html`<div part="line" role="option" aria-selected="false" id="line-${i}" data-i=${i}><span class="time">${formatClock(s.start)}</span> <span class="text">${this.#line(s.text, i)}</span></div>`
                )}</div>`
            : html`<p class="pending">${t.empty}</p>`}`
        : nothing}
    </aside>`;
  }
}
