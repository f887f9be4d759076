/**
 * Loaded only when an element is given `supabase-url` + `supabase-key`: this module (and
 * supabase-js with it) lands in its own lazy chunk. One client per project and key for the
 * whole page, so several elements share one session reader.
 */
import { createClient } from "@supabase/supabase-js";
import type { SupabaseAuthClient } from "./token-source.js";

const clients = new Map<string, SupabaseAuthClient>();

export function pageSupabaseClient(url: string, key: string): SupabaseAuthClient {
  const id = `${url}\n${key}`;
  let client = clients.get(id);
  if (!client) {
    client = createClient(url, key, {
      // The session is the page's own (persisted by its sign-in); never consume the page's
      // URL fragment, which belongs to the host application.
      auth: { detectSessionInUrl: false, persistSession: true, autoRefreshToken: true },
    });
    clients.set(id, client);
  }
  return client;
}
