// Development access tokens for the demo's identity switcher: Supabase-shaped user JWTs
// (DESIGN §5) signed with the LOCAL JWT secret, minted by the demo server only. No function
// mints tokens, and the demo server refuses to start in a deployment (demo/start.ts).
import * as jose from "jose";
import { timingSafeEqual } from "../../functions/_shared/auth.ts";
import type { Identity } from "./identities.ts";

export const TOKEN_TTL_SECONDS = 3600;

export interface DemoSession {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  /** Seconds since the epoch. */
  expires_at: number;
  refresh_token: string;
  user: {
    id: string;
    aud: "authenticated";
    role: "authenticated";
    email: string;
    app_metadata: Record<string, unknown>;
    user_metadata: Record<string, unknown>;
    created_at: string;
  };
}

export interface TokenMinter {
  /** A session for this person, shaped like Supabase Auth's (what supabase-js persists). */
  session(identity: Identity, now?: Date): Promise<DemoSession>;
  /** The identity key a refresh token was issued for, or null when it is not one of ours. */
  refreshTokenIdentity(refreshToken: string): Promise<string | null>;
}

/** `issuer`: the "project URL" the tokens claim to come from (the demo server's origin). */
export function createTokenMinter(options: { jwtSecret: string; issuer: string }): TokenMinter {
  const key = new TextEncoder().encode(options.jwtSecret);
  const hmacKey = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`foxeo demo refresh tokens\n${options.jwtSecret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  const refreshSignature = async (identityKey: string) =>
    base64url(
      new Uint8Array(
        await crypto.subtle.sign("HMAC", await hmacKey, new TextEncoder().encode(identityKey)),
      ),
    );

  return {
    async session(identity, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      const exp = iat + TOKEN_TTL_SECONDS;
      const app_metadata = identity.role === "operator"
        ? { provider: "email", providers: ["email"], foxeo_role: "operator" }
        : {
          provider: "email",
          providers: ["email"],
          foxeo_role: "client",
          client_id: identity.clientId,
        };
      const user_metadata = { full_name: identity.name };
      const access_token = await new jose.SignJWT({
        role: "authenticated",
        email: identity.email,
        app_metadata,
        user_metadata,
        session_id: crypto.randomUUID(),
      })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(identity.userId)
        .setAudience("authenticated")
        .setIssuer(`${options.issuer}/auth/v1`)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return {
        access_token,
        token_type: "bearer",
        expires_in: TOKEN_TTL_SECONDS,
        expires_at: exp,
        refresh_token: `${identity.key}.${await refreshSignature(identity.key)}`,
        user: {
          id: identity.userId,
          aud: "authenticated",
          role: "authenticated",
          email: identity.email,
          app_metadata,
          user_metadata,
          created_at: "2026-11-21T00:00:00.000Z",
        },
      };
    },
    async refreshTokenIdentity(refreshToken) {
      const dot = refreshToken.indexOf(".");
      if (dot <= 0) return null;
      const identityKey = refreshToken.slice(0, dot);
      const expected = await refreshSignature(identityKey);
      return timingSafeEqual(refreshToken.slice(dot + 1), expected) ? identityKey : null;
    },
  };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}
