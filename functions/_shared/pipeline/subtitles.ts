// Transcript segments to SRT and WebVTT. Segments come from several Whisper requests (one
// per audio chunk) already shifted to recording time; they are put in order, clamped so cues
// never overlap or run backwards, and their text is made safe for each format.

export interface Segment {
  /** Seconds from the start of the recording. */
  start: number;
  end: number;
  text: string;
}

/** Cues shorter than this are stretched so players show them at all. */
const MIN_CUE_SECONDS = 0.2;

/**
 * Ordered, non-overlapping, non-empty segments with millisecond times. Later segments win
 * the time they share with earlier ones (a cue ends where the next begins).
 */
export function normalizeSegments(segments: readonly Segment[]): Segment[] {
  const sorted = segments
    .map((s) => ({
      start: Math.max(0, roundMs(s.start)),
      end: Math.max(0, roundMs(s.end)),
      text: cleanText(s.text),
    }))
    .filter((s) => s.text.length > 0 && Number.isFinite(s.start) && Number.isFinite(s.end))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Segment[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    let start = s.start;
    if (prev && start < prev.end) {
      if (start <= prev.start) start = roundMs(prev.start + MIN_CUE_SECONDS);
      prev.end = start;
    }
    const end = Math.max(s.end, roundMs(start + MIN_CUE_SECONDS));
    out.push({ start, end, text: s.text });
  }
  return out;
}

export function toSrt(segments: readonly Segment[]): string {
  return normalizeSegments(segments)
    .map((s, i) => `${i + 1}\n${timestamp(s.start, ",")} --> ${timestamp(s.end, ",")}\n${s.text}\n`)
    .join("\n");
}

export function toVtt(segments: readonly Segment[]): string {
  const cues = normalizeSegments(segments).map((s) =>
    `${timestamp(s.start, ".")} --> ${timestamp(s.end, ".")}\n${escapeVtt(s.text)}\n`
  );
  return `WEBVTT\n\n${cues.join("\n")}`;
}

/** `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (VTT). */
export function timestamp(seconds: number, separator: "," | "."): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** One line of plain text: no blank lines (they end a cue) and no control characters. */
function cleanText(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, " ")
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join("\n");
}

/** WebVTT cue text: `&`, `<` and `>` are markup, and `-->` may not appear. */
function escapeVtt(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
