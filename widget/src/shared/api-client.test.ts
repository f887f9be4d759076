import { createClient } from "@supabase/supabase-js";
import { expect } from "@open-wc/testing";
import { apiRequests, createTenant, injectFault, supabaseSession as session, tokenFor } from "../../test/helpers.js";
import { ApiClient } from "./api-client.js";
import { WidgetError } from "./errors.js";
import { resolveAccessToken, type TokenSources } from "./token-source.js";

const client = (functionsUrl: string, sources: TokenSources, timeoutMs?: number) =>
  new ApiClient({ functionsUrl, getToken: () => resolveAccessToken(sources), timeoutMs });

async function failure(p: Promise<unknown>): Promise<WidgetError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(WidgetError);
    return e as WidgetError;
  }
  throw new Error("expected a failure");
}

describe("ApiClient and token sources", () => {
  it("asks getAccessToken() before every request, so a refreshed session is used", async () => {
    const t = await createTenant({ meetings: 3 });
    const second = await tokenFor(t, { role: "operator" });
    const tokens = [t.tokens.operator, second];
    let calls = 0;
    const api = client(t.functionsUrl, { getAccessToken: () => tokens[calls++ % 2], accessToken: "ignored" });
    await api.listMeetings({});
    await api.listMeetings({});
    expect(calls).to.equal(2);
    expect((await apiRequests(t)).map((r) => r.token)).to.deep.equal(tokens);
    expect(api.identity).to.include({ role: "operator", displayName: "MiKL" });
  });

  it("retries once with a newer token when the service says the token expired", async () => {
    const t = await createTenant({ meetings: 1 });
    const given = [t.tokens.expired, t.tokens.clientA];
    const api = client(t.functionsUrl, { getAccessToken: () => given.shift() ?? t.tokens.clientA });
    const page = await api.listMeetings({});
    expect(page.value!.items).to.have.length(1);
    expect((await apiRequests(t)).map((r) => r.status)).to.deep.equal([401, 200]);
  });

  it("uses the session of a supabase-js client given as a property", async () => {
    const t = await createTenant({ meetings: 2 });
    const storage = new Map<string, string>();
    const supabase = createClient("http://127.0.0.1:1", "anon-key", {
      auth: {
        storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v), removeItem: (k) => void storage.delete(k) },
        storageKey: "foxeo-test",
        autoRefreshToken: false,
        detectSessionInUrl: false,
      },
    });
    storage.set("foxeo-test", JSON.stringify(session(t.tokens.clientA)));
    const api = client(t.functionsUrl, { supabase });
    await api.listMeetings({});
    expect((await apiRequests(t))[0].token).to.equal(t.tokens.clientA);
    storage.delete("foxeo-test"); // signed out (in another tab, say)
    const e = await failure(api.listMeetings({}));
    expect(e.code).to.equal("unauthorized");
    expect(e.message).to.contain("No signed-in Supabase session");
  });

  it("refuses clearly, without calling the service, when no token source is set", async () => {
    const t = await createTenant();
    const e = await failure(client(t.functionsUrl, {}).listMeetings({}));
    expect(e.code).to.equal("unauthorized");
    expect(e.message).to.contain("No access token");
    expect(await apiRequests(t)).to.deep.equal([]);
  });

  it("maps the service's error envelope to codes, keeping the message and request id", async () => {
    const t = await createTenant({ meetings: [{ title: "Passée", status: "completed" }] });
    const api = client(t.functionsUrl, { accessToken: t.tokens.operator });
    const refused = await failure(api.startMeeting(t.meetings[0].id));
    expect(refused.code).to.equal("invalid-state");
    expect(refused.status).to.equal(409);
    expect(refused.message).to.equal(`Cannot start meeting ${t.meetings[0].id}: Cannot start meeting "Passée": it is completed`);
    expect(refused.requestId).to.match(/^[0-9a-f-]{36}$/);

    const missing = await failure(api.getMeeting("00000000-0000-4000-8000-000000000000"));
    expect(missing.code).to.equal("not-found");
    const invalid = await failure(api.createMeeting({ title: "", client_id: "nope" }));
    expect(invalid.code).to.equal("invalid-request");
    expect(invalid.issues!.map((i) => i.path)).to.deep.equal(["title", "client_id"]);
    const forbidden = await failure(client(t.functionsUrl, { accessToken: t.tokens.clientA }).createMeeting({ title: "x", client_id: t.meetings[0].client_id }));
    expect(forbidden.code).to.equal("forbidden");

    await injectFault(t, { path: "/meetings", status: 502, raw: "<html>Bad gateway</html>" });
    const gateway = await failure(api.listMeetings({}));
    expect(gateway.code).to.equal("upstream");
    expect(gateway.message).to.contain("HTTP 502");
  });

  it("tells a network failure from a timeout", async () => {
    const t = await createTenant();
    const offline = await failure(client("http://127.0.0.1:9/functions/v1", { accessToken: t.tokens.operator }).listMeetings({}));
    expect(offline.code).to.equal("network");
    await injectFault(t, { path: "/meetings", delayMs: 800 });
    const slow = await failure(client(t.functionsUrl, { accessToken: t.tokens.operator }, 200).listMeetings({}));
    expect(slow.code).to.equal("timeout");
  });

  it("reads conditionally: an unchanged list costs a 304 and no body", async () => {
    const t = await createTenant({ meetings: 5 });
    const api = client(t.functionsUrl, { accessToken: t.tokens.operator });
    const first = await api.listMeetings({ limit: 2 });
    expect(first.value!.items).to.have.length(2);
    expect(first.etag).to.match(/^W\/"/);
    const again = await api.listMeetings({ limit: 2 }, { etag: first.etag });
    expect(again.value).to.equal(undefined);
    expect(again.etag).to.equal(first.etag);
    const one = await api.getMeeting(first.value!.items[0].id);
    const same = await api.getMeeting(first.value!.items[0].id, { etag: one.etag });
    expect(same.value).to.equal(undefined);
    expect((await apiRequests(t)).map((r) => r.status)).to.deep.equal([200, 304, 200, 304]);
  });

  it("refuses an answer that does not have the contract's shape", async () => {
    const t = await createTenant();
    await injectFault(t, { path: "/meetings", status: 200, raw: JSON.stringify({ items: [{ id: 1 }], next_cursor: null }) });
    const e = await failure(client(t.functionsUrl, { accessToken: t.tokens.operator }).listMeetings({}));
    expect(e.code).to.equal("server");
    expect(e.message).to.contain("items[0].id should be a string");
  });
});
