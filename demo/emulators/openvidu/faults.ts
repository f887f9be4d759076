// Fault injection for tests and the demo: the next matching request(s) get the given answer
// instead of the emulated server's, or no answer at all (`hang`).

export interface Fault {
  /** HTTP status to answer; default 500. */
  status?: number;
  /** Body text; default empty. */
  body?: string;
  /** Content type of the body; default application/json, as OpenVidu labels its 500 text. */
  contentType?: string;
  /** Never answer (until the emulator closes): the caller's own deadline is under test. */
  hang?: boolean;
  /** How many requests to fail; default 1. */
  times?: number;
}

interface Armed {
  method: string;
  segments: string[];
  fault: Fault;
  remaining: number;
}

export class Faults {
  readonly #armed: Armed[] = [];

  /** `route` is `"<METHOD> <path>"`; `*` matches any method or one path segment. */
  add(route: string, fault: Fault): void {
    const m = /^(\*|[A-Z]+)\s+(\/\S*)$/.exec(route.trim());
    if (!m) throw new Error(`Fault route must look like "POST /openvidu/api/sessions": ${route}`);
    this.#armed.push({
      method: m[1],
      segments: m[2].split("/"),
      fault,
      remaining: Math.max(1, fault.times ?? 1),
    });
  }

  /** The fault for this request, if one is armed (and counts it). */
  take(method: string, path: string): Fault | null {
    const segments = path.split("/");
    const i = this.#armed.findIndex((a) =>
      (a.method === "*" || a.method === method) && a.segments.length === segments.length &&
      a.segments.every((s, k) => s === "*" || s === segments[k])
    );
    if (i < 0) return null;
    const armed = this.#armed[i];
    if (--armed.remaining <= 0) this.#armed.splice(i, 1);
    return armed.fault;
  }

  clear(): void {
    this.#armed.length = 0;
  }
}
