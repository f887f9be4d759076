/**
 * Transcript logic for <foxeo-recording-player>, kept free of DOM and Lit: which line is
 * playing (binary search, O(log n) per `timeupdate`), and where a search matches, ignoring
 * case and accents ("reunion" finds "réunion").
 */
import type { TranscriptSegment } from "../shared/api-types.js";

/** The line playing at `time`: the last one started; before the first, -1. */
export function lineAt(segments: readonly TranscriptSegment[], time: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid].start <= time) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Lower case without diacritics, with, for each folded character, its index in the original. */
export function fold(text: string): { folded: string; index: number[] } {
  let folded = "";
  const index: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = ch.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    for (let k = 0; k < f.length; k++) index.push(i);
    folded += f;
    i += ch.length;
  }
  index.push(i);
  return { folded, index };
}

export const foldQuery = (query: string) => fold(query.trim()).folded;

/** Where `query` (already folded) occurs in a folded text: [start, end) ranges in the original. */
export function matchesIn({ folded, index }: { folded: string; index: number[] }, query: string): [number, number][] {
  if (!query) return [];
  const out: [number, number][] = [];
  let from = 0;
  for (;;) {
    const at = folded.indexOf(query, from);
    if (at < 0) return out;
    out.push([index[at], index[at + query.length]]);
    from = at + query.length;
  }
}
