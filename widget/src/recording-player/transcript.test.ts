import { expect } from "@open-wc/testing";
import { fold, foldQuery, lineAt, matchesIn } from "./transcript.js";

const seg = (start: number, end: number) => ({ start, end, text: "" });

describe("transcript logic", () => {
  it("finds the line playing at any time, including before the first and in gaps", () => {
    const segments = [seg(0.5, 2), seg(2, 5), seg(7, 9)];
    expect(lineAt(segments, 0)).to.equal(-1);
    expect(lineAt(segments, 0.5)).to.equal(0);
    expect(lineAt(segments, 4.99)).to.equal(1);
    expect(lineAt(segments, 6)).to.equal(1);
    expect(lineAt(segments, 100)).to.equal(2);
    expect(lineAt([], 3)).to.equal(-1);
    const long = Array.from({ length: 2500 }, (_, i) => seg(i * 4.32, (i + 1) * 4.32));
    expect(lineAt(long, 1234 * 4.32 + 1)).to.equal(1234);
  });

  it("matches regardless of case and accents, and maps matches back to the original text", () => {
    const text = "Deuxième RÉUNION, puis réunion finale.";
    const ranges = matchesIn(fold(text), foldQuery("  Reunion "));
    expect(ranges.map(([s, e]) => text.slice(s, e))).to.deep.equal(["RÉUNION", "réunion"]);
    expect(matchesIn(fold(text), foldQuery(""))).to.deep.equal([]);
    const emoji = "🎉 Événement";
    expect(matchesIn(fold(emoji), foldQuery("evenement")).map(([s, e]) => emoji.slice(s, e))).to.deep.equal(["Événement"]);
  });
});
