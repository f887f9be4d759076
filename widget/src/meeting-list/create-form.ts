/** The operator's "new meeting" form, rendered inside <foxeo-meeting-list>. */
import { html, nothing } from "lit";
import type { NewMeeting } from "../shared/api-types.js";
import type { WidgetError } from "../shared/errors.js";
import type { MeetingListMessages } from "../shared/i18n/meeting-list.js";
import type { ClientInfo } from "./meeting-list.js";

export interface CreateFormOptions {
  t: MeetingListMessages["form"];
  languages: Record<string, string>;
  clients: ClientInfo[];
  busy: boolean;
  error: WidgetError | null;
  explain: (e: WidgetError) => string;
  reference: (id: string) => string;
  onSubmit: (input: NewMeeting) => void;
  onClose: () => void;
}

const FIELDS = ["title", "client_id", "scheduled_at", "language", "description"] as const;

/** The next full hour, as a `datetime-local` value in local time. */
function nextHour(): string {
  const d = new Date(Date.now() + 3600_000);
  d.setMinutes(0, 0, 0);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:00`;
}

export function renderCreateForm(o: CreateFormOptions) {
  const { t } = o;
  const issue = (field: string) => o.error?.issues?.find((i) => i.path === field || i.path.startsWith(`${field}.`));
  const unplaced = o.error && !FIELDS.some((f) => issue(f));
  const describe = (field: string) => (issue(field) ? `${field}-error` : nothing);
  const fieldError = (field: string) =>
    issue(field) ? html`<span class="field-error" id="${field}-error">${t.invalid} (${issue(field)!.message})</span>` : nothing;

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? "").trim();
    const when = get("scheduled_at");
    const input: NewMeeting = { title: get("title"), client_id: get("client_id") };
    if (when) input.scheduled_at = new Date(when).toISOString();
    if (get("language")) input.language = get("language");
    if (get("description")) input.description = get("description");
    o.onSubmit(input);
  };

  return html`<form part="create-form" @submit=${submit} @keydown=${(e: KeyboardEvent) => e.key === "Escape" && o.onClose()}
    aria-busy=${o.busy} novalidate>
    <fieldset ?disabled=${o.busy}>
      <legend>${t.legend}</legend>
      <div class="field wide">
        <label for="f-title">${t.title}</label>
        <input id="f-title" name="title" required maxlength="200" autocomplete="off"
          aria-invalid=${issue("title") ? "true" : "false"} aria-describedby=${describe("title")}>
        ${fieldError("title")}
      </div>
      <div class="field">
        <label for="f-client">${o.clients.length ? t.client : t.clientId}</label>
        ${o.clients.length
          ? html`<select id="f-client" name="client_id" required aria-invalid=${issue("client_id") ? "true" : "false"}
              aria-describedby=${describe("client_id")}>
              <option value="">${t.chooseClient}</option>
              ${o.clients.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
            </select>`
          : html`<input id="f-client" name="client_id" required pattern="[0-9a-fA-F-]{36}"
              aria-invalid=${issue("client_id") ? "true" : "false"} aria-describedby=${describe("client_id")}>`}
        ${fieldError("client_id")}
      </div>
      <div class="field">
        <label for="f-when">${t.when}</label>
        <input id="f-when" name="scheduled_at" type="datetime-local" value=${nextHour()}
          aria-invalid=${issue("scheduled_at") ? "true" : "false"} aria-describedby=${describe("scheduled_at")}>
        ${fieldError("scheduled_at")}
      </div>
      <div class="field">
        <label for="f-lang">${t.language}</label>
        <select id="f-lang" name="language" aria-describedby=${describe("language")}>
          ${Object.entries(o.languages).map(([code, name]) => html`<option value=${code}>${name}</option>`)}
        </select>
        ${fieldError("language")}
      </div>
      <div class="field wide">
        <label for="f-desc">${t.description}</label>
        <textarea id="f-desc" name="description" rows="2" maxlength="2000" aria-describedby=${describe("description")}></textarea>
        ${fieldError("description")}
      </div>
      ${o.error
        ? html`<div part="error" class="wide" role="alert">${o.explain(o.error)}
            ${unplaced && o.error.code === "invalid-request" ? html`<span class="ref">${o.error.message}</span>` : nothing}
            ${o.error.requestId ? html`<span class="ref">${o.reference(o.error.requestId)}</span>` : nothing}</div>`
        : nothing}
      <div class="form-actions wide">
        <button type="submit" class="btn primary" aria-busy=${o.busy}>${o.busy ? t.submitting : t.submit}</button>
        <button type="button" class="btn" @click=${o.onClose}>${t.close}</button>
      </div>
    </fieldset>
  </form>`;
}
