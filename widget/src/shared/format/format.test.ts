import { expect } from "@open-wc/testing";
import { localeOf } from "../i18n/locale.js";
import { formatBytes, formatClock, formatDateTime, formatDuration } from "./format.js";

describe("formats and locale", () => {
  it("writes durations the way each language does", () => {
    expect(formatDuration(3900, "fr-FR").replace(/\s/g, " ")).to.match(/^1 h(,| et)? 5 min$/);
    expect(formatDuration(2700, "fr-FR").replace(/\s/g, " ")).to.equal("45 min");
    expect(formatDuration(24.2, "fr-FR").replace(/\s/g, " ")).to.equal("24 s");
    expect(formatDuration(3900, "en").replace(/\s/g, " ")).to.match(/^1 hr,? 5 min$/);
  });

  it("writes dates, sizes and media times for the locale", () => {
    const iso = "2026-11-25T13:30:00.000000Z";
    expect(formatDateTime(iso, "fr-FR")).to.equal(
      new Intl.DateTimeFormat("fr-FR", { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit" }).format(new Date(iso)),
    );
    expect(formatDateTime("not a date", "fr-FR")).to.equal("not a date");
    expect(formatBytes(12_400_000, "fr-FR").replace(/\s/g, " ")).to.equal("12,4 Mo");
    expect(formatBytes(430_000, "en")).to.equal("430 kB");
    expect(formatClock(65)).to.equal("1:05");
    expect(formatClock(3723.9)).to.equal("1:02:03");
  });

  it("speaks French unless the element or the page says English", () => {
    const el = document.createElement("div");
    document.body.append(el);
    try {
      expect(localeOf(el)).to.deep.equal({ lang: "fr", intl: "fr" });
      el.setAttribute("lang", "en-GB");
      expect(localeOf(el)).to.deep.equal({ lang: "en", intl: "en-GB" });
      el.setAttribute("lang", "de");
      expect(localeOf(el)).to.deep.equal({ lang: "fr", intl: "fr-FR" });
      el.setAttribute("lang", "fr-CA");
      expect(localeOf(el).intl).to.equal("fr-CA");
      el.removeAttribute("lang");
      document.documentElement.lang = "en";
      expect(localeOf(el).lang).to.equal("en");
    } finally {
      document.documentElement.lang = "fr";
      el.remove();
    }
  });
});
