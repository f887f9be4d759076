/** Dates, durations, sizes and media clock times for a locale, with cached `Intl` formatters. */

interface Formatter {
  format(value: never): string;
}

/** Intl formatters are costly to build: build each once. */
const cache = new Map<string, Formatter>();

function cached<T extends Formatter>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

/** "mer. 25 nov. 2026, 14:30" / "Wed, Nov 25, 2026, 2:30 PM". */
export function formatDateTime(iso: string, intl: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return cached(`dt|${intl}`, () =>
    new Intl.DateTimeFormat(intl, {
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "numeric",
      minute: "2-digit",
    })).format(date);
}

/** "1 h 5 min", "42 min", "35 s", as the locale writes them. */
export function formatDuration(totalSeconds: number, intl: string): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  // Units with NumberFormat: Intl.DurationFormat is not everywhere yet, and where it is its
  // format() costs about a tenth of a millisecond, too much for a list of 500 meetings.
  const parts = h ? { hours: h, minutes: m } : m ? { minutes: m } : { seconds: sec };
  return Object.entries(parts)
    .map(([unit, n]) =>
      cached(`u|${intl}|${unit}`, () =>
        new Intl.NumberFormat(intl, { style: "unit", unit: unit.slice(0, -1), unitDisplay: "short" })).format(n)
    )
    .join(" ");
}

/** "12,4 Mo" / "12.4 MB". */
export function formatBytes(bytes: number, intl: string): string {
  const [unit, value] = bytes >= 1e9
    ? ["gigabyte", bytes / 1e9]
    : bytes >= 1e6
    ? ["megabyte", bytes / 1e6]
    : ["kilobyte", bytes / 1e3];
  return cached(`b|${intl}|${unit}`, () =>
    new Intl.NumberFormat(intl, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }))
    .format(value);
}

/** Media clock time: "4:05", "1:02:03". */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
