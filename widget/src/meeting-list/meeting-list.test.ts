import { expect, fixture, html } from "@open-wc/testing";
import "./meeting-list.js";
import type { MeetingListElement } from "./meeting-list.js";

describe("foxeo-meeting-list", () => {
  it("is accessible", async () => {
    const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list></foxeo-meeting-list>`);
    await expect(el).to.be.accessible();
  });

  it("renders in French by default", async () => {
    const el = await fixture<MeetingListElement>(html`<foxeo-meeting-list></foxeo-meeting-list>`);
    expect(el.shadowRoot!.querySelector('[part="empty"]')!.textContent).to.equal("Aucune réunion");
  });
});
