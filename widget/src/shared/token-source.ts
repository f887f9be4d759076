/**
 * Where an element gets the user's access token (DESIGN §9), in this order: `getAccessToken()`
 * (called before each request, so a refreshed session is picked up), `accessToken`, a
 * `supabase` client (its current session), or `supabase-url` + `supabase-key` (the page's
 * persisted Supabase session; supabase-js is loaded only in that case).
 */
import { WidgetError } from "./errors.js";

/** The part of a supabase-js client the elements use. */
export interface SupabaseAuthClient {
  auth: {
    getSession(): Promise<{ data: { session: { access_token: string } | null }; error: unknown }>;
  };
}

export type AccessTokenGetter = () => string | null | undefined | Promise<string | null | undefined>;

export interface TokenSources {
  accessToken?: string | null;
  getAccessToken?: AccessTokenGetter | null;
  supabase?: SupabaseAuthClient | null;
  supabaseUrl?: string | null;
  supabaseKey?: string | null;
}

const NO_SOURCE = "No access token: set `getAccessToken`, `accessToken`, `supabase`, " +
  "or the `supabase-url` and `supabase-key` attributes";

export async function resolveAccessToken(sources: TokenSources): Promise<string> {
  if (sources.getAccessToken) {
    let token: string | null | undefined;
    try {
      token = await sources.getAccessToken();
    } catch (cause) {
      throw new WidgetError("unauthorized", `getAccessToken() failed: ${message(cause)}`, { cause });
    }
    if (!token) throw new WidgetError("unauthorized", "getAccessToken() returned no token");
    return token;
  }
  if (sources.accessToken) return sources.accessToken;
  const client = sources.supabase ?? (await pageClient(sources));
  if (!client) throw new WidgetError("unauthorized", NO_SOURCE);
  const { data, error } = await client.auth.getSession();
  if (error) throw new WidgetError("unauthorized", `Cannot read the Supabase session: ${message(error)}`, { cause: error });
  if (!data.session) throw new WidgetError("unauthorized", "No signed-in Supabase session on this page");
  return data.session.access_token;
}

async function pageClient(sources: TokenSources): Promise<SupabaseAuthClient | null> {
  if (!sources.supabaseUrl || !sources.supabaseKey) return null;
  try {
    const { pageSupabaseClient } = await import("./supabase-session.js");
    return await pageSupabaseClient(sources.supabaseUrl, sources.supabaseKey);
  } catch (cause) {
    throw new WidgetError("network", `Cannot load the Supabase client: ${message(cause)}`, { cause });
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Who the token says the user is; for the UI only (the service decides what is allowed). */
export interface TokenIdentity {
  userId: string | null;
  role: "operator" | "client" | null;
  clientId: string | null;
  displayName: string | null;
}

/** Reads a JWT's claims without verifying it (the service verifies). Unknown shapes give nulls. */
export function identityOf(token: string): TokenIdentity {
  const none: TokenIdentity = { userId: null, role: null, clientId: null, displayName: null };
  const payload = token.split(".")[1];
  if (!payload) return none;
  try {
    const b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    const app = claims?.app_metadata ?? {};
    const role = app.foxeo_role === "operator" || app.foxeo_role === "client" ? app.foxeo_role : null;
    return {
      userId: typeof claims.sub === "string" ? claims.sub : null,
      role,
      clientId: typeof app.client_id === "string" ? app.client_id : null,
      displayName: typeof claims.user_metadata?.full_name === "string" ? claims.user_metadata.full_name : null,
    };
  } catch {
    return none;
  }
}
