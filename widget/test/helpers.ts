/**
 * Test helpers: a fresh tenant of the fake Visio service per test (widget/test/fake-visio.mjs),
 * its request log and fault injection, and small waits that poll with a deadline.
 */
import { waitUntil } from "@open-wc/testing";
import type { Meeting, Recording, TranscriptSegment } from "../src/shared/api-types.js";

export const FAKE_URL: string = (window as unknown as { __FAKE_VISIO__: string }).__FAKE_VISIO__;

export const CLIENT_A = "11111111-1111-4111-8111-111111111111";
export const CLIENT_B = "22222222-2222-4222-8222-222222222222";
export const CLIENTS = [
  { id: CLIENT_A, name: "Atelier Dupont" },
  { id: CLIENT_B, name: "Boulangerie Bernard" },
];

export type SeedMeeting = Partial<Meeting>;
export type SeedRecording = Partial<Recording> & { transcript?: TranscriptSegment[] | number };

export interface Tenant {
  id: string;
  functionsUrl: string;
  meetings: Meeting[];
  recordings: Record<string, Recording[]>;
  tokens: { operator: string; clientA: string; clientB: string; expired: string };
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  ifNoneMatch: string | null;
  token: string | null;
  range?: string | null;
}

async function control<T>(path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${FAKE_URL}/control/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fake control ${method} ${path}: HTTP ${res.status}`);
  return res.json() as Promise<T>;
}

export const createTenant = (seed: {
  meetings?: number | SeedMeeting[];
  recordings?: Record<string, SeedRecording[]>;
  /** Lifetime of successive signed links (the last one repeats). */
  linkTtlSeconds?: number | number[];
  /** What `expires_at` claims instead of the real lifetime (clock skew). */
  reportedTtlSeconds?: number;
  /** Serve the video in chunks of this size, each after `chunkDelayMs` (a large recording). */
  chunkBytes?: number;
  chunkDelayMs?: number;
} = {}) => control<Tenant>("tenants", "POST", seed);

export const tokenFor = (t: Tenant, user: { role: string; clientId?: string; fullName?: string; expiresIn?: number }) =>
  control<{ token: string }>(`tenants/${t.id}/tokens`, "POST", user).then((r) => r.token);

export const requestsOf = (t: Tenant) => control<LoggedRequest[]>(`tenants/${t.id}/requests`);

export const injectFault = (
  t: Tenant,
  fault: {
    method?: string;
    path: string;
    status?: number;
    code?: string;
    message?: string;
    issues?: { path: string; message: string }[];
    times?: number;
    delayMs?: number;
    network?: boolean;
    raw?: string;
  },
) => control(`tenants/${t.id}/faults`, "POST", fault);

export const addMeeting = (t: Tenant, m: SeedMeeting) => control<Meeting>(`tenants/${t.id}/meetings`, "POST", m);

export const patchMeeting = (t: Tenant, id: string, fields: SeedMeeting) =>
  control<Meeting>(`tenants/${t.id}/meetings/${id}`, "PATCH", fields);

export const patchRecording = (t: Tenant, meetingId: string, id: string, fields: Partial<Recording>) =>
  control<Recording>(`tenants/${t.id}/meetings/${meetingId}/recordings/${id}`, "PATCH", fields);

/** API requests only (not signed media), optionally those whose path contains `path`. */
export async function apiRequests(t: Tenant, path = ""): Promise<LoggedRequest[]> {
  return (await requestsOf(t)).filter((r) => !r.path.startsWith("/storage/") && r.path.includes(path));
}

/** Poll `check` until it holds, for up to `timeout` ms (default 5 s), or fail with `message`. */
export const until = (check: () => unknown, message = "condition never held", timeout = 5000) =>
  waitUntil(async () => {
    try {
      return Boolean(await check());
    } catch {
      return false; // e.g. the part is not rendered yet
    }
  }, message, { timeout, interval: 20 });

/** The element's shadow root, typed. */
export const shadow = (el: Element): ShadowRoot => el.shadowRoot!;

/** One element in the shadow root by `part` (word match), or fail. */
export function part<T extends Element = HTMLElement>(el: Element, name: string, within: ParentNode = shadow(el)): T {
  const found = within.querySelector<T>(`[part~="${name}"]`);
  if (!found) throw new Error(`no [part~="${name}"] in <${el.localName}>`);
  return found;
}

export const parts = <T extends Element = HTMLElement>(el: Element, name: string, within: ParentNode = shadow(el)): T[] =>
  [...within.querySelectorAll<T>(`[part~="${name}"]`)];

export const hasPart = (el: Element, name: string) => shadow(el).querySelector(`[part~="${name}"]`) !== null;

/** Wait until `[part~=name]` exists, then return it. */
export async function partSoon<T extends Element = HTMLElement>(el: Element, name: string, timeout = 5000): Promise<T> {
  await waitUntil(() => hasPart(el, name), `[part~="${name}"] never appeared in <${el.localName}>`, { timeout });
  return part<T>(el, name);
}

export const text = (node: Element | null | undefined) => (node?.textContent ?? "").replace(/\s+/g, " ").trim();

/** A button in the shadow root by its visible text or accessible label. */
export function button(el: Element, label: string | RegExp, within: ParentNode = shadow(el)): HTMLButtonElement {
  const all = [...within.querySelectorAll<HTMLButtonElement>("button, a")];
  const match = (s: string) => (typeof label === "string" ? s === label : label.test(s));
  const found = all.find((b) => match(text(b)) || match(b.getAttribute("aria-label") ?? ""));
  if (!found) throw new Error(`no button "${label}" in <${el.localName}>; have: ${all.map((b) => text(b) || b.getAttribute("aria-label")).join(" | ")}`);
  return found as HTMLButtonElement;
}

/** Pretend the page went to the background (or came back), as the Page Visibility API reports it. */
export function setPageHidden(hidden: boolean): void {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  document.dispatchEvent(new Event("visibilitychange"));
}

export function restorePageVisibility(): void {
  delete (document as unknown as Record<string, unknown>).hidden;
  delete (document as unknown as Record<string, unknown>).visibilityState;
}

/** A supabase-js session as it persists it. */
export function supabaseSession(accessToken: string) {
  const now = Math.floor(Date.now() / 1000);
  const claims = JSON.parse(atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  return {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: 3600,
    expires_at: now + 3600,
    refresh_token: "refresh-token",
    user: { id: claims.sub, aud: "authenticated", role: "authenticated", app_metadata: claims.app_metadata, user_metadata: claims.user_metadata, created_at: new Date().toISOString() },
  };
}
