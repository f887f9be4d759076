/**
 * Which language an element speaks: its own `lang` attribute, else the page's `<html lang>`;
 * French unless that says English. Dates and numbers use the full tag (`en-GB`, `fr-CA`) when
 * its language is one the elements speak.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";

export type Lang = "fr" | "en";

export interface Locale {
  /** The language of the messages. */
  lang: Lang;
  /** The BCP 47 tag handed to `Intl`. */
  intl: string;
}

export function localeOf(host: HTMLElement): Locale {
  const tag = (host.getAttribute("lang") || document.documentElement.lang || "").trim();
  const lang: Lang = /^en\b/i.test(tag) ? "en" : "fr";
  const valid = tag.toLowerCase().startsWith(lang) && safeTag(tag);
  return { lang, intl: valid ? tag : lang === "fr" ? "fr-FR" : "en" };
}

function safeTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

const hosts = new Set<ReactiveControllerHost>();
let observer: MutationObserver | null = null;

/**
 * Re-renders its host when the page's `lang` changes. The host's own `lang` attribute is
 * observed by the element itself (VisioElement).
 */
export class PageLangController implements ReactiveController {
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    hosts.add(this.host);
    if (!observer) {
      observer = new MutationObserver(() => hosts.forEach((h) => h.requestUpdate()));
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    }
  }

  hostDisconnected(): void {
    hosts.delete(this.host);
    if (hosts.size === 0) {
      observer?.disconnect();
      observer = null;
    }
  }
}

/** A message catalog: English must have every French key, with the same parameters. */
export type Catalog<T> = Record<Lang, T>;
