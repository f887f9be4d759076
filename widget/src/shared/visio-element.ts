/**
 * What the three elements share: where the service is, where the user's token comes from, which
 * language to speak, and how a failure is reported.
 */
import { LitElement, type PropertyValues } from "lit";
import { property } from "lit/decorators.js";
import { ApiClient } from "./api-client.js";
import { toWidgetError, type WidgetError } from "./errors.js";
import { FoxeoErrorEvent } from "./events.js";
import { common, type CommonMessages } from "./i18n/common.js";
import { type Locale, localeOf, PageLangController } from "./i18n/locale.js";
import { type AccessTokenGetter, resolveAccessToken, type SupabaseAuthClient } from "./token-source.js";

const TOKEN_SOURCES = ["accessToken", "getAccessToken", "supabase", "supabaseUrl", "supabaseKey"];

export abstract class VisioElement extends LitElement {
  /**
   * Base URL of the functions: `https://<ref>.supabase.co/functions/v1`.
   */
  @property({ attribute: "functions-url" })
  functionsUrl = "";

  /** The user's access token (a Supabase JWT). Property only: tokens do not belong in markup. */
  @property({ attribute: false })
  accessToken: string | null = null;

  /** Called before each request for a fresh access token; wins over `accessToken`. */
  @property({ attribute: false })
  getAccessToken: AccessTokenGetter | null = null;

  /** A supabase-js client whose current session supplies the token. */
  @property({ attribute: false })
  supabase: SupabaseAuthClient | null = null;

  /** With `supabase-key`: read the page's persisted Supabase session (loads supabase-js). */
  @property({ attribute: "supabase-url" })
  supabaseUrl = "";

  /** The project's anon (publishable) key, with `supabase-url`. */
  @property({ attribute: "supabase-key" })
  supabaseKey = "";

  #api: ApiClient | null = null;
  #apiFor = "";
  #locale: Locale | null = null;

  constructor() {
    super();
    new PageLangController(this);
  }

  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, "lang"];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === "lang") this.requestUpdate();
  }

  protected override willUpdate(changed: PropertyValues): void {
    // Read once per update: render() asks for it many times.
    this.#locale = localeOf(this);
    // A token source set after the first load (a script-tag page sets properties once the
    // element is upgraded), or another user: load again with it.
    if (this.hasUpdated && TOKEN_SOURCES.some((k) => changed.has(k))) this.tokenSourceChanged();
  }

  /** Called when the token source changes after the first render. */
  protected tokenSourceChanged(): void {}

  /** The client for `functions-url`; the token source is read at each request. */
  protected get api(): ApiClient {
    if (!this.#api || this.#apiFor !== this.functionsUrl) {
      this.#apiFor = this.functionsUrl;
      this.#api = new ApiClient({ functionsUrl: this.functionsUrl, getToken: () => resolveAccessToken(this) });
    }
    return this.#api;
  }

  protected get locale(): Locale {
    return this.#locale ?? localeOf(this);
  }

  protected get common(): CommonMessages {
    return common[this.locale.lang];
  }

  /** Fires one `foxeo-error` for a failure and returns it as a WidgetError. */
  protected report(error: unknown): WidgetError {
    const e = toWidgetError(error);
    this.dispatchEvent(new FoxeoErrorEvent(e));
    return e;
  }

  /** The localized sentence for a failure, e.g. for `part="error"`. */
  protected explain(error: WidgetError): string {
    return this.common.errors[error.code];
  }
}
