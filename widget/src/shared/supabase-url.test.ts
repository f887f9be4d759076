import { expect, fixture, html } from "@open-wc/testing";
import { apiRequests, createTenant, part, partSoon, supabaseSession as session } from "../../test/helpers.js";
import "../meeting-list/define.js";
import type { MeetingListElement } from "../meeting-list/meeting-list.js";

const loaded = () => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => /node_modules\/@supabase|supabase-session/.test(n));

describe("supabase-url + supabase-key", () => {
  it("loads supabase-js only when the attributes are used, and reads the page's persisted session", async () => {
    const t = await createTenant({ meetings: 2 });
    const withToken = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url=${t.functionsUrl} .accessToken=${t.tokens.clientA}></foxeo-meeting-list>`);
    await partSoon(withToken, "list");
    expect(loaded(), "not loaded for a page that passes a token").to.deep.equal([]);

    // What supabase-js persisted when the page's user signed in: sb-<project ref>-auth-token.
    localStorage.setItem("sb-127-auth-token", JSON.stringify(session(t.tokens.operator)));
    try {
      const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list functions-url=${t.functionsUrl}
        supabase-url="http://127.0.0.1:1" supabase-key="anon-key"></foxeo-meeting-list>`);
      await partSoon(el, "list");
      expect(loaded().some((n) => n.includes("supabase-session")), "the lazy module was fetched").to.equal(true);
      expect((await apiRequests(t)).at(-1)!.token).to.equal(t.tokens.operator);
      expect(part(el, "create-button")).to.exist;
    } finally {
      localStorage.removeItem("sb-127-auth-token");
    }
  });
});
