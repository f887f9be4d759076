import { Task } from "@lit/task";
import { html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, state } from "lit/decorators.js";
import type { ApiClient } from "../shared/api-client.js";
import { type Meeting, MEETING_STATUSES, type MeetingStatus, type NewMeeting } from "../shared/api-types.js";
import { PollingController } from "../shared/controllers/polling.js";
import { toWidgetError, type WidgetError } from "../shared/errors.js";
import { FoxeoJoinEvent, FoxeoMeetingChangedEvent, FoxeoOpenRecordingsEvent, type MeetingAction } from "../shared/events.js";
import { meetingListMessages, type MeetingListMessages } from "../shared/i18n/meeting-list.js";
import { VisioElement } from "../shared/visio-element.js";
import type { renderCreateForm } from "./create-form.js";
import { styles } from "./meeting-list.styles.js";
import { type Action, renderMeeting, type RowContext } from "./meeting-row.js";

/** A client the operator works for, to show names instead of ids. */
export interface ClientInfo {
  id: string;
  name: string;
}

interface Page {
  cursor: string | null;
  etag: string | null;
  items: Meeting[];
  next: string | null;
}

const DONE: Record<Action, MeetingAction> = { start: "started", end: "ended", cancel: "cancelled" };

interface Notice {
  kind: "success" | "error";
  text: string;
  ref?: string;
}

/**
 * The meetings the user may see: every client's for the operator (with create, start, end and
 * cancel), the user's own client's for a client user. "Join" appears on meetings in progress.
 * The list stays fresh by polling with conditional requests while the page is visible.
 *
 * @summary Foxeo Visio meeting list.
 * @fires foxeo-join - Join clicked; cancelable (with `room-url`, cancel to stay on the page). `detail: {meetingId}`
 * @fires foxeo-open-recordings - "Recordings" clicked (with `recordings-url`); cancelable. `detail: {meetingId}`
 * @fires foxeo-meeting-changed - The operator created, started, ended or cancelled a meeting. `detail: {action, meeting}`
 * @fires foxeo-error - A request failed. `detail: {code, message, error}`
 * @csspart base - The whole list.
 * @csspart toolbar - Heading, filters and the create button.
 * @csspart status-filter - The status `<select>`.
 * @csspart client-filter - The client `<select>` (operator).
 * @csspart create-button - "New meeting" (operator).
 * @csspart create-form - The creation form (operator).
 * @csspart notice - Result of the last action (a polite live region).
 * @csspart loading - Shown while the first page loads.
 * @csspart error - Shown when the list cannot be loaded.
 * @csspart empty - Shown when there is no meeting.
 * @csspart list - The `<ul>` of meetings.
 * @csspart meeting - One meeting row.
 * @csspart meeting-title - Its title.
 * @csspart status - Its status badge (also `status-scheduled`, `status-in-progress`, `status-completed`, `status-cancelled`).
 * @csspart actions - Its buttons.
 * @csspart join - The Join button or link.
 * @csspart confirm - The inline confirmation of End / Cancel.
 * @csspart load-more - "Show more".
 * @cssproperty --foxeo-color-primary - Main action color.
 * @cssproperty --foxeo-color-surface - Background.
 * @cssproperty --foxeo-color-text - Text color.
 * @cssproperty --foxeo-radius - Corner radius.
 * @cssproperty --foxeo-list-gap - Space between rows.
 */
export class MeetingListElement extends VisioElement {
  static override styles = styles;

  /** Clients `[{id, name}]`, to show their names and to pick one when creating a meeting. */
  @property({ attribute: false })
  clients: ClientInfo[] = [];

  /** Status filter: comma-separated statuses (`scheduled,in_progress`); empty for all. */
  @property({ reflect: true })
  status = "";

  /** Operator only: show this client's meetings only. */
  @property({ attribute: "client-id", reflect: true })
  clientId = "";

  /** Makes Join a link: `{id}` is replaced by the meeting id, e.g. `/modules/visio/{id}`. */
  @property({ attribute: "room-url" })
  roomUrl = "";

  /** Adds a "Recordings" link on completed meetings: e.g. `/modules/visio/{id}/recordings`. */
  @property({ attribute: "recordings-url" })
  recordingsUrl = "";

  /** Meetings per page (1–100). */
  @property({ attribute: "page-size", type: Number })
  pageSize = 20;

  /** Seconds between refreshes while the page is visible; 0 turns polling off. */
  @property({ attribute: "poll-interval", type: Number })
  pollInterval = 15;

  @state() private pages: Page[] = [];
  @state() private loadingMore = false;
  @state() private stale: WidgetError | null = null;
  @state() private busy = new Map<string, Action>();
  @state() private confirming: { id: string; action: "end" | "cancel" } | null = null;
  @state() private notice: Notice | null = null;
  @state() private creating = false;
  @state() private createBusy = false;
  @state() private createError: WidgetError | null = null;

  #key = "";
  /** The creation form, loaded the first time the operator opens it (clients never need it). */
  #form: typeof renderCreateForm | null = null;
  readonly #poll = new PollingController(this, {
    interval: () => this.pollInterval * 1000,
    poll: () => this.#refresh(),
    active: () => this.pages.length > 0,
  });

  readonly #load = new Task(this, {
    args: () => [this.functionsUrl, this.#statuses().join(","), this.clientId, this.#limit()] as const,
    task: async (args, { signal }) => {
      this.#key = args.join("|");
      this.pages = [];
      this.stale = null;
      const page = await this.#fetchPage(null, null, signal);
      this.pages = [page];
      this.#poll.reschedule();
      return page;
    },
    onError: (error) => {
      if (!(error instanceof DOMException && error.name === "AbortError")) this.report(error);
    },
  });

  /** Reload from the service now (the list also refreshes by itself). */
  refresh(): Promise<void> {
    return this.pages.length ? this.#poll.now() : this.#load.run();
  }

  protected override tokenSourceChanged(): void {
    void this.refresh();
  }

  get #t(): MeetingListMessages {
    return meetingListMessages[this.locale.lang];
  }

  get #operator(): boolean {
    return this.api.identity.role === "operator";
  }

  override render(): TemplateResult {
    const t = this.#t;
    return html`<section part="base" aria-labelledby="heading">
      <header part="toolbar">
        <h2 id="heading">${t.heading}</h2>
        <div class="filters">
          <label>${t.statusFilter}
            <select part="status-filter" @change=${this.#onStatus}>
              <option value="" ?selected=${!this.status}>${t.allStatuses}</option>
              ${MEETING_STATUSES.map((s) => html`<option value=${s} ?selected=${this.status === s}>${t.statusOption[s]}</option>`)}
            </select>
          </label>
          ${this.#operator && this.clients.length
            ? html`<label>${t.clientFilter}
                <select part="client-filter" @change=${this.#onClient}>
                  <option value="" ?selected=${!this.clientId}>${t.allClients}</option>
                  ${this.clients.map((c) => html`<option value=${c.id} ?selected=${this.clientId === c.id}>${c.name}</option>`)}
                </select>
              </label>`
            : nothing}
        </div>
        ${this.#operator && !this.creating
          ? html`<button part="create-button" class="btn primary" @click=${this.#openForm}>${t.newMeeting}</button>`
          : nothing}
      </header>
      ${this.creating && this.#operator && this.#form
        ? this.#form({
          t: t.form,
          languages: t.languages,
          clients: this.clients,
          busy: this.createBusy,
          error: this.createError,
          explain: (e) => this.explain(e),
          reference: this.common.reference,
          onSubmit: (input) => this.#create(input),
          onClose: () => this.#closeForm(),
        })
        : nothing}
      <p part="notice" class=${this.notice?.kind ?? ""} role="status" aria-live="polite">${this.notice
        ? html`${this.notice.text}${this.notice.ref ? html`<span class="ref">${this.notice.ref}</span>` : nothing}`
        : nothing}</p>
      ${this.#load.render({
        pending: () => (this.pages.length ? this.#renderList() : this.#renderLoading()),
        complete: () => this.#renderList(),
        error: (e) => this.#renderError(toWidgetError(e)),
      })}
    </section>`;
  }

  #renderLoading() {
    return html`<div part="loading" role="status" aria-busy="true">
      <span class="visually-hidden">${this.#t.loading}</span>
      ${[0, 1, 2].map(() => html`<div class="skeleton" aria-hidden="true"></div>`)}
    </div>`;
  }

  #renderError(e: WidgetError) {
    return html`<div part="error" role="alert">
      <p><strong>${this.#t.loadFailed}</strong> ${this.explain(e)}
        ${e.requestId ? html`<span class="ref">${this.common.reference(e.requestId)}</span>` : nothing}</p>
      <button class="btn" @click=${() => this.#load.run()}>${this.common.retry}</button>
    </div>`;
  }

  #renderList() {
    const t = this.#t;
    const items = this.#items();
    // Worked out once for every row.
    const row: RowContext = {
      t,
      status: this.common.status,
      intl: this.locale.intl,
      operator: this.#operator,
      clients: new Map(this.clients.map((c) => [c.id, c.name])),
      busy: this.busy,
      confirming: this.confirming,
      roomUrl: this.roomUrl,
      recordingsUrl: this.recordingsUrl,
      act: (m, action) => void this.#act(m, action),
      confirm: (m, action) => (this.confirming = action ? { id: m.id, action } : null),
      join: (e, m) => this.#join(e, m),
      openRecordings: (e, m) => this.dispatchEvent(new FoxeoOpenRecordingsEvent(m.id)) || e.preventDefault(),
    };
    const next = this.pages.at(-1)?.next;
    if (!items.length) {
      return html`<p part="empty">${this.status || this.clientId ? t.emptyFiltered : t.empty}</p>`;
    }
    return html`${this.stale
        ? html`<p class="stale" role="status">${t.refreshFailed} ${this.explain(this.stale)}</p>`
        : nothing}
      <ul part="list">${items.map((m) => renderMeeting(m, row))}</ul>
      ${next
        ? html`<button part="load-more" class="btn" ?disabled=${this.loadingMore} aria-busy=${this.loadingMore}
            @click=${this.#loadMore}>${this.loadingMore ? t.loadingMore : t.more}</button>`
        : nothing}`;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has("creating") && this.creating) this.renderRoot.querySelector<HTMLInputElement>("#f-title")?.focus();
    // Keep focus in the row when its confirmation opens.
    if (changed.has("confirming") && this.confirming) {
      this.renderRoot.querySelector<HTMLButtonElement>(`li[data-id="${this.confirming.id}"] [part="confirm"] button`)?.focus();
    }
  }

  #items(): Meeting[] {
    const seen = new Set<string>();
    const out: Meeting[] = [];
    for (const p of this.pages) {
      for (const m of p.items) {
        if (!seen.has(m.id)) {
          seen.add(m.id);
          out.push(m);
        }
      }
    }
    return out;
  }

  #statuses(): MeetingStatus[] {
    return this.status.split(",").map((s) => s.trim()).filter((s): s is MeetingStatus => MEETING_STATUSES.includes(s as MeetingStatus));
  }

  #limit(): number {
    return Math.min(100, Math.max(1, Math.floor(this.pageSize) || 20));
  }

  async #fetchPage(cursor: string | null, old: Page | null, signal?: AbortSignal): Promise<Page> {
    const api: ApiClient = this.api;
    const r = await api.listMeetings(
      { status: this.#statuses(), clientId: this.clientId || undefined, limit: this.#limit(), cursor },
      { signal, etag: old?.cursor === cursor ? old.etag : null },
    );
    if (!r.value && old) return old;
    return { cursor, etag: r.etag, items: r.value?.items ?? [], next: r.value?.next_cursor ?? null };
  }

  /** Revalidates every loaded page in order: unchanged pages cost a 304. */
  async #refresh(): Promise<void> {
    const key = this.#key;
    const old = this.pages;
    const fresh: Page[] = [];
    try {
      let cursor: string | null = null;
      for (const page of old) {
        const p = await this.#fetchPage(cursor, page);
        fresh.push(p);
        if (!p.next) break;
        cursor = p.next;
      }
    } catch (error) {
      if (key !== this.#key) return;
      const e = toWidgetError(error);
      if (!this.stale) this.report(e);
      this.stale = e;
      return;
    }
    if (key !== this.#key || old !== this.pages) return;
    this.pages = fresh;
    this.stale = null;
  }

  async #loadMore(): Promise<void> {
    const last = this.pages.at(-1);
    if (!last?.next || this.loadingMore) return;
    const key = this.#key;
    this.loadingMore = true;
    try {
      const page = await this.#fetchPage(last.next, null);
      if (key === this.#key) this.pages = [...this.pages, page];
    } catch (error) {
      const e = this.report(error);
      this.notice = { kind: "error", text: `${this.#t.loadFailed} ${this.explain(e)}` };
    } finally {
      this.loadingMore = false;
    }
  }

  async #act(m: Meeting, action: Action): Promise<void> {
    this.confirming = null;
    this.busy = new Map(this.busy).set(m.id, action);
    try {
      const api = this.api;
      const updated = await (action === "start" ? api.startMeeting(m.id) : action === "end" ? api.endMeeting(m.id) : api.cancelMeeting(m.id));
      this.#replace(updated);
      this.notice = { kind: "success", text: this.#t.done[DONE[action]](m.title) };
      this.dispatchEvent(new FoxeoMeetingChangedEvent(DONE[action], updated));
    } catch (error) {
      const e = this.report(error);
      this.notice = { kind: "error", text: `${this.#t.failed[action](m.title)} ${this.explain(e)}`, ref: e.requestId && this.common.reference(e.requestId) };
    } finally {
      const busy = new Map(this.busy);
      busy.delete(m.id);
      this.busy = busy;
      // Whatever happened, show the service's truth (a 409 means someone else moved it).
      void this.#poll.now();
    }
    this.#focusRow(m.id);
  }

  #replace(updated: Meeting): void {
    this.pages = this.pages.map((p) => ({ ...p, items: p.items.map((x) => (x.id === updated.id ? updated : x)) }));
  }

  async #focusRow(id: string): Promise<void> {
    await this.updateComplete;
    const row = this.renderRoot.querySelector<HTMLElement>(`li[data-id="${id}"]`);
    (row?.querySelector<HTMLElement>("[part~=actions] .btn:not([disabled])") ?? row)?.focus();
  }

  #join(e: Event, m: Meeting): void {
    if (!this.dispatchEvent(new FoxeoJoinEvent(m.id))) e.preventDefault();
  }

  #onStatus(e: Event): void {
    this.status = (e.target as HTMLSelectElement).value;
  }

  #onClient(e: Event): void {
    this.clientId = (e.target as HTMLSelectElement).value;
  }

  async #openForm(): Promise<void> {
    this.#form ??= (await import("./create-form.js")).renderCreateForm;
    this.creating = true;
    this.createError = null;
    this.notice = null;
  }

  async #closeForm(): Promise<void> {
    this.creating = false;
    this.createError = null;
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>("[part~=create-button]")?.focus();
  }

  async #create(input: NewMeeting): Promise<void> {
    this.createBusy = true;
    this.createError = null;
    try {
      const meeting = await this.api.createMeeting(input);
      this.notice = { kind: "success", text: this.#t.done.created(meeting.title) };
      this.dispatchEvent(new FoxeoMeetingChangedEvent("created", meeting));
      await this.#closeForm();
      void this.#poll.now();
    } catch (error) {
      this.createError = this.report(error);
    } finally {
      this.createBusy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "foxeo-meeting-list": MeetingListElement;
  }
}
