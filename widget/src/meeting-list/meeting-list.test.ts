import { aTimeout, expect, fixture, html, oneEvent } from "@open-wc/testing";
import type { FoxeoJoinEvent, FoxeoMeetingChangedEvent } from "../shared/events.js";
import {
  addMeeting,
  apiRequests,
  button,
  CLIENT_A,
  CLIENT_B,
  CLIENTS,
  createTenant,
  hasPart,
  injectFault,
  part,
  partSoon,
  parts,
  patchMeeting,
  restorePageVisibility,
  setPageHidden,
  type Tenant,
  text,
  until,
} from "../../test/helpers.js";
import "./define.js";
import type { MeetingListElement } from "./meeting-list.js";

const day = 86400_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

const SEED = [
  { title: "Revue des maquettes", client_id: CLIENT_A, status: "in_progress", scheduled_at: at(-600_000) },
  { title: "Point hebdomadaire", client_id: CLIENT_A, status: "scheduled", scheduled_at: at(2 * day) },
  { title: "Bilan trimestriel", client_id: CLIENT_B, status: "completed", scheduled_at: at(-3 * day), duration_seconds: 2700 },
  { title: "Atelier annulé", client_id: CLIENT_B, status: "cancelled", scheduled_at: at(day) },
] as const;

async function list(t: Tenant, token: string, attrs: { status?: string; roomUrl?: string; poll?: number; lang?: string; pageSize?: number } = {}) {
  const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list
    functions-url=${t.functionsUrl}
    .accessToken=${token}
    .clients=${CLIENTS}
    status=${attrs.status ?? ""}
    room-url=${attrs.roomUrl ?? ""}
    poll-interval=${attrs.poll ?? 0}
    page-size=${attrs.pageSize ?? 20}
    lang=${attrs.lang ?? ""}
  ></foxeo-meeting-list>`);
  await partSoon(el, attrs.status === "none" ? "empty" : "list").catch(() => undefined);
  return el;
}

const titles = (el: MeetingListElement) => parts(el, "meeting-title").map((h) => text(h));
const row = (el: MeetingListElement, title: string) => {
  const found = parts(el, "meeting").find((li) => text(li.querySelector("[part=meeting-title]")) === title);
  if (!found) throw new Error(`no row "${title}" in ${titles(el).join(", ")}`);
  return found;
};

describe("<foxeo-meeting-list>", () => {
  afterEach(() => restorePageVisibility());

  it("is accessible in its loading, list, form, confirmation, empty and error states", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    await injectFault(t, { path: "/meetings", delayMs: 400 });
    const loading = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url=${t.functionsUrl} .accessToken=${t.tokens.operator}></foxeo-meeting-list>`);
    expect(part(loading, "loading")).to.exist;
    await expect(loading).to.be.accessible();

    const el = await list(t, t.tokens.operator);
    await expect(el).to.be.accessible();
    button(el, "Nouvelle réunion").click();
    await partSoon(el, "create-form");
    await expect(el).to.be.accessible();
    button(el, "Fermer").click();
    button(row(el, "Revue des maquettes"), "Terminer", row(el, "Revue des maquettes")).click();
    await partSoon(el, "confirm");
    await expect(el).to.be.accessible();

    const client = await list(t, t.tokens.clientB, { status: "scheduled" });
    await partSoon(client, "empty");
    await expect(client).to.be.accessible();

    await injectFault(t, { path: "/meetings", status: 500, code: "internal", message: "boom" });
    const failing = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url=${t.functionsUrl} .accessToken=${t.tokens.operator}></foxeo-meeting-list>`);
    await partSoon(failing, "error");
    await expect(failing).to.be.accessible();
  });

  it("shows the operator every client's meetings, newest first, with the client's name and French dates", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);
    expect(titles(el)).to.deep.equal(["Point hebdomadaire", "Atelier annulé", "Revue des maquettes", "Bilan trimestriel"]);
    const bilan = row(el, "Bilan trimestriel");
    expect(text(bilan)).to.contain("Boulangerie Bernard").and.contain("Terminée").and.contain("Durée 45 min");
    const time = bilan.querySelector("time")!;
    const expected = new Intl.DateTimeFormat("fr-FR", { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit" })
      .format(new Date(time.dateTime));
    expect(text(time)).to.equal(expected);
    expect(text(row(el, "Revue des maquettes"))).to.contain("Atelier Dupont").and.contain("En cours");
    expect(part(el, "create-button")).to.exist;
  });

  it("shows a client user only its own client's meetings, without operator actions", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.clientA);
    expect(titles(el)).to.deep.equal(["Point hebdomadaire", "Revue des maquettes"]);
    expect(parts(el, "create-button")).to.have.length(0);
    expect(text(part(el, "list"))).not.to.contain("Atelier Dupont");
    const live = row(el, "Revue des maquettes");
    expect([...live.querySelectorAll("button, a")].map((b) => text(b))).to.deep.equal(["Rejoindre"]);
    expect(row(el, "Point hebdomadaire").querySelectorAll("button, a")).to.have.length(0);
  });

  it("filters by status through the service", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);
    const select = part<HTMLSelectElement>(el, "status-filter");
    select.value = "in_progress";
    select.dispatchEvent(new Event("change"));
    await until(() => titles(el).length === 1, "the filter never applied");
    expect(titles(el)).to.deep.equal(["Revue des maquettes"]);
    expect(el.getAttribute("status")).to.equal("in_progress");
    const last = (await apiRequests(t, "/meetings")).at(-1)!;
    expect(new URLSearchParams(last.query).get("status")).to.equal("in_progress");
  });

  it("creates a meeting for a client, announces it and shows it in the list", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);
    button(el, "Nouvelle réunion").click();
    const form = await partSoon<HTMLFormElement>(el, "create-form");
    expect(el.shadowRoot!.activeElement?.id).to.equal("f-title");
    (form.querySelector("[name=title]") as HTMLInputElement).value = "  Kick-off Boulangerie  ";
    (form.querySelector("[name=client_id]") as HTMLSelectElement).value = CLIENT_B;
    (form.querySelector("[name=scheduled_at]") as HTMLInputElement).value = "2031-03-04T09:30";
    (form.querySelector("[name=language]") as HTMLSelectElement).value = "en";
    const changed = oneEvent(el, "foxeo-meeting-changed") as Promise<FoxeoMeetingChangedEvent>;
    button(el, "Créer la réunion").click();
    const { detail } = await changed;
    expect(detail.action).to.equal("created");
    expect(detail.meeting).to.include({ title: "Kick-off Boulangerie", client_id: CLIENT_B, language: "en", status: "scheduled" });
    expect(Date.parse(detail.meeting.scheduled_at)).to.equal(new Date("2031-03-04T09:30").getTime());
    await until(() => titles(el).includes("Kick-off Boulangerie"), "the new meeting never appeared");
    expect(text(part(el, "notice"))).to.equal("Réunion « Kick-off Boulangerie » créée.");
    expect(parts(el, "create-form")).to.have.length(0);
    expect(titles(el)[0]).to.equal("Kick-off Boulangerie");
  });

  it("keeps the form and points at the field when the service refuses the input", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);
    button(el, "Nouvelle réunion").click();
    const form = await partSoon<HTMLFormElement>(el, "create-form");
    (form.querySelector("[name=title]") as HTMLInputElement).value = "x".repeat(150);
    (form.querySelector("[name=client_id]") as HTMLSelectElement).value = CLIENT_A;
    await injectFault(t, {
      method: "POST",
      path: "/meetings",
      status: 400,
      code: "invalid_request",
      message: "Invalid meeting: title Too long",
      issues: [{ path: "title", message: "Too long" }],
    });
    const failed = oneEvent(el, "foxeo-error");
    button(el, "Créer la réunion").click();
    expect((await failed).detail.code).to.equal("invalid-request");
    await el.updateComplete;
    const title = form.querySelector<HTMLInputElement>("[name=title]")!;
    expect(title.getAttribute("aria-invalid")).to.equal("true");
    expect(text(el.shadowRoot!.getElementById(title.getAttribute("aria-describedby")!))).to.contain("Too long");
    expect(title.value).to.have.length(150);
  });

  it("starts, ends and cancels meetings, each with a clear result", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);

    const started = oneEvent(el, "foxeo-meeting-changed") as Promise<FoxeoMeetingChangedEvent>;
    button(el, "Démarrer", row(el, "Point hebdomadaire")).click();
    expect((await started).detail).to.deep.include({ action: "started" });
    await until(() => text(row(el, "Point hebdomadaire")).includes("En cours"));
    expect(text(part(el, "notice"))).to.equal("Réunion « Point hebdomadaire » démarrée.");
    expect(button(el, "Rejoindre", row(el, "Point hebdomadaire"))).to.exist;

    button(el, "Terminer", row(el, "Point hebdomadaire")).click();
    await partSoon(el, "confirm");
    expect(text(part(el, "confirm"))).to.contain("Terminer « Point hebdomadaire » pour tous les participants ?");
    expect(el.shadowRoot!.activeElement?.textContent?.trim()).to.equal("Oui, terminer");
    button(el, "Oui, terminer").click();
    await until(() => text(row(el, "Point hebdomadaire")).includes("Terminée"));
    expect(text(part(el, "notice"))).to.equal("Réunion « Point hebdomadaire » terminée.");

    await addMeeting(t, { title: "Atelier à annuler", client_id: CLIENT_A, scheduled_at: at(5 * day) });
    await el.refresh();
    button(el, "Annuler la réunion", row(el, "Atelier à annuler")).click();
    await el.updateComplete;
    button(el, "Non").click();
    await el.updateComplete;
    expect(parts(el, "confirm")).to.have.length(0);
    button(el, "Annuler la réunion", row(el, "Atelier à annuler")).click();
    await el.updateComplete;
    button(el, "Oui, annuler").click();
    await until(() => text(row(el, "Atelier à annuler")).includes("Annulée"));
    expect(text(part(el, "notice"))).to.equal("Réunion « Atelier à annuler » annulée.");
  });

  it("says why a start was refused and then shows the meeting's real status", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator);
    const weekly = t.meetings.find((m) => m.title === "Point hebdomadaire")!;
    await patchMeeting(t, weekly.id, { status: "cancelled" });
    const failed = oneEvent(el, "foxeo-error");
    button(el, "Démarrer", row(el, "Point hebdomadaire")).click();
    const { detail } = await failed;
    expect(detail.code).to.equal("invalid-state");
    expect(detail.message).to.contain('Cannot start meeting "Point hebdomadaire": it is cancelled');
    await until(() => text(part(el, "notice")).includes("n’a pas pu démarrer"));
    expect(text(part(el, "notice"))).to.contain("Ce n’est plus possible dans l’état actuel de la réunion.").and.contain("Référence :");
    await until(() => text(row(el, "Point hebdomadaire")).includes("Annulée"), "the list never caught up");
  });

  it("fires a cancelable foxeo-join; with room-url Join is a link the host can veto", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const plain = await list(t, t.tokens.clientA);
    const live = t.meetings.find((m) => m.status === "in_progress")!;
    const joined = oneEvent(plain, "foxeo-join") as Promise<FoxeoJoinEvent>;
    button(plain, "Rejoindre").click();
    const e = await joined;
    expect(e.detail.meetingId).to.equal(live.id);
    expect(e.cancelable && e.bubbles && e.composed).to.equal(true);

    const linked = await list(t, t.tokens.clientA, { roomUrl: "/modules/visio/{id}" });
    const link = part<HTMLAnchorElement>(linked, "join");
    expect(link.localName).to.equal("a");
    expect(link.getAttribute("href")).to.equal(`/modules/visio/${live.id}`);
    // What the browser would do with the click, seen from the document (and then stopped, so
    // the test page stays where it is).
    const followed = () =>
      new Promise<boolean>((resolve) =>
        document.addEventListener("click", (ev) => {
          resolve(!ev.defaultPrevented);
          ev.preventDefault();
        }, { once: true })
      );
    const click = () => link.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, composed: true }));
    let result = followed();
    click();
    expect(await result, "without a veto the link is followed").to.equal(true);
    linked.addEventListener("foxeo-join", (ev) => ev.preventDefault(), { once: true });
    result = followed();
    click();
    expect(await result, "the host's veto keeps the page").to.equal(false);
  });

  it("shows Join without a reload when a meeting starts, using conditional requests", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.clientA, { poll: 0.1 });
    await until(async () => (await apiRequests(t, "/meetings")).some((r) => r.status === 304), "no conditional poll answered 304");
    const polls = await apiRequests(t, "/meetings");
    expect(polls.slice(1).every((r) => r.ifNoneMatch), "every poll is conditional").to.equal(true);
    const weekly = t.meetings.find((m) => m.title === "Point hebdomadaire")!;
    await patchMeeting(t, weekly.id, { status: "in_progress", started_at: new Date().toISOString() });
    await until(() => row(el, "Point hebdomadaire").querySelector("[part~=join]"), "Join never appeared");
    expect(text(row(el, "Point hebdomadaire"))).to.contain("En cours");
  });

  it("stops polling while the page is hidden and refreshes as soon as it is visible again", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.clientA, { poll: 0.05 });
    await until(async () => (await apiRequests(t)).length >= 3);
    setPageHidden(true);
    const before = (await apiRequests(t)).length;
    await aTimeout(400);
    const during = (await apiRequests(t)).length;
    expect(during - before, "at most the poll already in flight").to.be.at.most(1);
    const weekly = t.meetings.find((m) => m.title === "Point hebdomadaire")!;
    await patchMeeting(t, weekly.id, { title: "Point hebdo (déplacé)" });
    el.pollInterval = 60;
    setPageHidden(false);
    await until(() => titles(el).includes("Point hebdo (déplacé)"), "no refresh on return");
  });

  it("stops polling once removed from the page", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.clientA, { poll: 0.05 });
    await until(async () => (await apiRequests(t)).length >= 2);
    el.remove();
    await aTimeout(100);
    const after = (await apiRequests(t)).length;
    await aTimeout(300);
    expect((await apiRequests(t)).length).to.equal(after);
  });

  it("loads more pages on demand and keeps them fresh", async () => {
    const t = await createTenant({ meetings: 45 });
    const el = await list(t, t.tokens.operator, { pageSize: 20, poll: 0.1 });
    expect(parts(el, "meeting")).to.have.length(20);
    button(el, "Afficher plus").click();
    await until(() => parts(el, "meeting").length === 40);
    button(el, "Afficher plus").click();
    await until(() => parts(el, "meeting").length === 45);
    expect(parts(el, "load-more")).to.have.length(0);
    const all = t.meetings.slice().sort((a, b) => (a.scheduled_at === b.scheduled_at ? b.id.localeCompare(a.id) : b.scheduled_at.localeCompare(a.scheduled_at)));
    expect(titles(el)).to.deep.equal(all.map((m) => m.title));
    // A change on the third page shows up too.
    const deep = all[42];
    await patchMeeting(t, deep.id, { title: "Tout au fond" });
    await until(() => titles(el)[42] === "Tout au fond", "deep pages are not refreshed");
  });

  it("speaks English with lang=en, or when the page is in English", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const el = await list(t, t.tokens.operator, { lang: "en" });
    expect(text(part(el, "toolbar"))).to.contain("Meetings").and.contain("New meeting");
    expect(text(row(el, "Bilan trimestriel"))).to.contain("Completed").and.contain("Duration 45 min");
    const page = await list(t, t.tokens.operator);
    expect(text(part(page, "toolbar"))).to.contain("Réunions");
    document.documentElement.lang = "en-GB";
    try {
      await until(() => text(part(page, "toolbar")).includes("Meetings"), "the page's lang change was not followed");
      const time = row(page, "Bilan trimestriel").querySelector("time")!;
      expect(text(time)).to.equal(new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit" }).format(new Date(time.dateTime)));
    } finally {
      document.documentElement.lang = "fr";
    }
  });

  it("shows the error state when the service is unreachable or failing, with a retry that recovers", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const failed = new Promise<CustomEvent>((resolve) => document.addEventListener("foxeo-error", (e) => resolve(e as CustomEvent), { once: true }));
    const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url="http://127.0.0.1:9/functions/v1" .accessToken=${t.tokens.operator}></foxeo-meeting-list>`);
    expect((await failed).detail.code).to.equal("network");
    expect(text(await partSoon(el, "error"))).to.contain("Impossible de charger les réunions.").and.contain("injoignable");

    await injectFault(t, { path: "/meetings", status: 500, code: "internal", message: "Internal error" });
    el.functionsUrl = t.functionsUrl;
    await until(() => hasPart(el, "error") && text(part(el, "error")).includes("a rencontré une erreur"), "the 500 was not shown");
    expect(text(part(el, "error"))).to.contain("Référence :");
    button(el, "Réessayer").click();
    await partSoon(el, "list");
    expect(parts(el, "meeting")).to.have.length(4);
  });

  it("says so when the token is refused", async () => {
    const t = await createTenant({ meetings: [...SEED] });
    const failed = new Promise<CustomEvent>((resolve) => document.addEventListener("foxeo-error", (e) => resolve(e as CustomEvent), { once: true }));
    const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url=${t.functionsUrl} .accessToken=${t.tokens.expired}></foxeo-meeting-list>`);
    expect((await failed).detail.code).to.equal("unauthorized");
    expect(text(await partSoon(el, "error"))).to.contain("Reconnectez-vous");
    el.accessToken = t.tokens.operator;
    await partSoon(el, "list");
  });
});
