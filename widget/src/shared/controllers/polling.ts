/**
 * Calls `poll` every `interval()` ms while the page is visible; stops while it is hidden and
 * polls at once when it comes back. `now()` polls immediately (after the element's own
 * actions). Polls never overlap: a request made during one runs right after it.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";

export interface PollingOptions {
  /** Milliseconds between polls; 0 or less turns polling off. Read before each wait. */
  interval: () => number;
  poll: () => Promise<unknown>;
  /** Whether polling applies right now (e.g. only once there is something to refresh). */
  active?: () => boolean;
}

export class PollingController implements ReactiveController {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #again = false;
  #connected = false;

  constructor(host: ReactiveControllerHost, private readonly options: PollingOptions) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    document.addEventListener("visibilitychange", this.#onVisibility);
    this.#schedule();
  }

  hostDisconnected(): void {
    this.#connected = false;
    document.removeEventListener("visibilitychange", this.#onVisibility);
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Poll now (unless hidden or disconnected), then resume the regular rhythm. */
  now(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#connected || document.hidden || !(this.options.active?.() ?? true)) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.options.poll();
        } catch {
          // The poll reports its own failures; the rhythm goes on.
        }
      } while (this.#again && this.#connected);
      this.#running = null;
      this.#schedule();
    })();
    return this.#running;
  }

  /** Restart the wait (after the element loaded data by other means). */
  reschedule(): void {
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ms = this.options.interval();
    if (!this.#connected || document.hidden || !(ms > 0) || this.#running) return;
    this.#timer = setTimeout(() => void this.now(), ms);
  }

  readonly #onVisibility = () => {
    if (document.hidden) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else {
      void this.now();
    }
  };
}
