// OpenVidu serializes with Gson: a Java double is written with a decimal point (`0.0`, `8.6`),
// which JSON.stringify cannot do (it writes `0`). Payloads mark such numbers with JavaDouble
// and are written by toJavaJson, so the emulator's bytes match the real server's.

/** A number OpenVidu holds as a Java double (recording durations). */
export class JavaDouble {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export const double = (value: number) => new JavaDouble(value);

function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return "null";
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** JSON text with keys in insertion order and JavaDouble values written as Java does. */
export function toJavaJson(value: unknown): string {
  if (value instanceof JavaDouble) return formatDouble(value.value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(toJavaJson).join(",")}]`;
  if (typeof value === "object") {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${toJavaJson(v)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value);
}
