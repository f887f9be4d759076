/** One meeting in <foxeo-meeting-list>: its summary, and its actions or the confirmation of one. */
import { html, nothing, type TemplateResult } from "lit";
import type { Meeting, MeetingStatus } from "../shared/api-types.js";
import { formatDateTime, formatDuration } from "../shared/format/format.js";
import type { MeetingListMessages } from "../shared/i18n/meeting-list.js";

export type Action = "start" | "end" | "cancel";

/** What every row needs, worked out once per render of the list. */
export interface RowContext {
  t: MeetingListMessages;
  status: Record<MeetingStatus, string>;
  intl: string;
  operator: boolean;
  clients: Map<string, string>;
  busy: Map<string, Action>;
  confirming: { id: string; action: "end" | "cancel" } | null;
  roomUrl: string;
  recordingsUrl: string;
  act(m: Meeting, action: Action): void;
  /** Ask to confirm End or Cancel; `null` closes the question. */
  confirm(m: Meeting, action: "end" | "cancel" | null): void;
  join(e: Event, m: Meeting): void;
  openRecordings(e: Event, m: Meeting): void;
}

const url = (template: string, id: string) => template.replaceAll("{id}", encodeURIComponent(id));

export function renderMeeting(m: Meeting, row: RowContext): TemplateResult {
  const { t, intl } = row;
  const client = row.operator ? (row.clients.get(m.client_id) ?? t.unknownClient) : null;
  const titleId = `m-${m.id}`;
  return html`<li part="meeting" data-id=${m.id} data-status=${m.status}>
    <div class="summary">
      <h3 part="meeting-title" id=${titleId}>${m.title}</h3>
      <span part="status status-${m.status.replace("_", "-")}" class="badge ${m.status}">${row.status[m.status]}</span>
      <p class="meta">
        <time datetime=${m.scheduled_at}>${formatDateTime(m.scheduled_at, intl)}</time>
        ${client ? html`<span class="client">${client}</span>` : nothing}
        ${m.status === "completed" && m.duration_seconds != null
          ? html`<span>${t.duration(formatDuration(m.duration_seconds, intl))}</span>`
          : nothing}
      </p>
    </div>
    ${row.confirming?.id === m.id ? renderConfirm(m, row.confirming.action, row) : renderActions(m, titleId, row)}
  </li>`;
}

function renderActions(m: Meeting, titleId: string, row: RowContext): TemplateResult {
  const { t, operator: op } = row;
  const busy = row.busy.get(m.id);
  const btn = (action: Action, label: string, cls = "btn") =>
    html`<button class=${cls} aria-describedby=${titleId} ?disabled=${!!busy} aria-busy=${busy === action}
      @click=${() => (action === "start" ? row.act(m, action) : row.confirm(m, action))}>${label}</button>`;
  const join = m.status === "in_progress"
    ? row.roomUrl
      ? html`<a part="join" class="btn primary" href=${url(row.roomUrl, m.id)} aria-describedby=${titleId}
          @click=${(e: Event) => row.join(e, m)}>${t.join}</a>`
      : html`<button part="join" class="btn primary" aria-describedby=${titleId} @click=${(e: Event) => row.join(e, m)}>${t.join}</button>`
    : nothing;
  const recordings = m.status === "completed" && row.recordingsUrl
    ? html`<a class="btn" href=${url(row.recordingsUrl, m.id)} aria-describedby=${titleId}
        @click=${(e: Event) => row.openRecordings(e, m)}>${t.recordings}</a>`
    : nothing;
  return html`<div part="actions">
    ${join}
    ${op && m.status === "scheduled" ? btn("start", t.start, "btn primary") : nothing}
    ${op && m.status === "in_progress" ? btn("end", t.end, "btn danger") : nothing}
    ${op && m.status === "scheduled" ? btn("cancel", t.cancel, "btn danger") : nothing}
    ${recordings}
  </div>`;
}

function renderConfirm(m: Meeting, action: "end" | "cancel", row: RowContext): TemplateResult {
  const { t } = row;
  return html`<div part="confirm" role="group" aria-label=${action === "end" ? t.end : t.cancel}>
    <p>${action === "end" ? t.confirmEnd(m.title) : t.confirmCancel(m.title)}</p>
    <button class="btn danger solid" @click=${() => row.act(m, action)}>
      ${action === "end" ? t.confirmEndYes : t.confirmCancelYes}</button>
    <button class="btn" @click=${() => row.confirm(m, null)}>${t.keep}</button>
  </div>`;
}
