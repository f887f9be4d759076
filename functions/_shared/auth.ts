// Callers: users with a Supabase access token (DESIGN §5), and service callers (the worker's
// scheduler) with the service key. Tokens are verified with jose: HS256 with the project's
// JWT secret, or ES256/RS256 against the project's JWKS.
import type { MiddlewareHandler } from "hono";
import * as jose from "jose";
import { z } from "zod";
import { AppError } from "./errors.ts";

const Uuid = z.uuid();

const UserClaims = z.looseObject({
  sub: Uuid,
  role: z.literal("authenticated"),
  exp: z.number(),
  email: z.string().optional(),
  app_metadata: z.looseObject({
    foxeo_role: z.enum(["operator", "client"]),
    client_id: z.string().optional(),
  }),
  user_metadata: z.looseObject({ full_name: z.string().optional() }).optional(),
});

export type FoxeoRole = "operator" | "client";

/** The verified caller of a user request. */
export interface Principal {
  userId: string;
  role: FoxeoRole;
  /** The client a client user belongs to; null for the operator. */
  clientId: string | null;
  displayName: string;
  /** The verified claims, handed to Postgres as `request.jwt.claims`. */
  claims: jose.JWTPayload;
}

export interface VerifierOptions {
  jwtSecret?: string | null;
  jwksUrl?: string | null;
  fetch?: typeof fetch;
  /** Verified tokens kept (default 1000); 0 turns the cache off. */
  cacheEntries?: number;
  /** Longest a verified token is trusted without verifying it again (default 60 s). */
  cacheMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

const HMAC_ALGS = ["HS256"];
const ASYMMETRIC_ALGS = ["ES256", "RS256", "EdDSA"];

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  // Imported once: handing jose the raw secret would import it again for every request.
  const secret = options.jwtSecret
    ? crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(options.jwtSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    )
    : null;
  const jwks = options.jwksUrl
    ? jose.createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: 10 * 60_000,
      cooldownDuration: 30_000,
      ...(options.fetch ? { [jose.customFetch]: options.fetch } : {}),
    })
    : null;

  const now = options.now ?? Date.now;
  const maxEntries = options.cacheEntries ?? 1000;
  const cacheMs = options.cacheMs ?? 60_000;
  /**
   * Verified tokens, by the whole token. A page sends the same access token with every
   * request until its session refreshes it, and checking the signature again each time was
   * the largest cost of a request after the database (HMAC through WebCrypto, ~0.15 ms of the
   * 1.4 ms a join token costs the functions at 50 concurrent clients: `npm run bench`). An
   * entry ends at the token's expiry, or after `cacheMs` (a key withdrawn from the JWKS
   * stops being trusted within that time). Failures are never kept. Oldest entries go first.
   */
  const verified = new Map<string, { principal: Principal; until: number }>();

  const verify = async (token: string): Promise<Principal> => {
    let alg: string | undefined;
    try {
      alg = jose.decodeProtectedHeader(token).alg;
    } catch {
      throw new AppError("unauthorized", "Malformed access token");
    }
    let payload: jose.JWTPayload;
    try {
      const currentDate = new Date(now());
      if (alg && HMAC_ALGS.includes(alg) && secret) {
        ({ payload } = await jose.jwtVerify(token, await secret, {
          algorithms: HMAC_ALGS,
          currentDate,
        }));
      } else if (alg && ASYMMETRIC_ALGS.includes(alg) && jwks) {
        ({ payload } = await jose.jwtVerify(token, jwks, {
          algorithms: ASYMMETRIC_ALGS,
          currentDate,
        }));
      } else {
        throw new AppError(
          "unauthorized",
          `Access token algorithm ${alg ?? "(none)"} is not accepted`,
        );
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof jose.errors.JWTExpired) {
        throw new AppError("unauthorized", "Access token expired");
      }
      if (
        err instanceof jose.errors.JWKSTimeout || err instanceof jose.errors.JOSEError &&
          err.code === "ERR_JWKS_NO_MATCHING_KEY"
      ) {
        throw new AppError("unauthorized", "Access token signed by an unknown key", { cause: err });
      }
      throw new AppError("unauthorized", "Invalid access token", { cause: err });
    }
    return principalFrom(payload);
  };

  return async (token) => {
    const at = now();
    const hit = verified.get(token);
    if (hit) {
      if (at < hit.until) return hit.principal;
      verified.delete(token);
    }
    const principal = await verify(token);
    if (maxEntries > 0) {
      // jose accepted it, so `exp` is a number in the future.
      const until = Math.min((principal.claims.exp as number) * 1000, at + cacheMs);
      verified.set(token, { principal, until });
      if (verified.size > maxEntries) verified.delete(verified.keys().next().value!);
    }
    return principal;
  };
}

function principalFrom(payload: jose.JWTPayload): Principal {
  if (typeof payload.exp !== "number") {
    throw new AppError("unauthorized", "Access token has no expiry");
  }
  const parsed = UserClaims.safeParse(payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join(".") ?? "";
    if (where.startsWith("app_metadata")) {
      throw new AppError("forbidden", "This account has no Foxeo Visio role");
    }
    throw new AppError("unauthorized", `Access token is missing a valid ${where || "claim"}`);
  }
  const claims = parsed.data;
  const role = claims.app_metadata.foxeo_role;
  let clientId: string | null = null;
  if (role === "client") {
    const id = Uuid.safeParse(claims.app_metadata.client_id);
    if (!id.success) throw new AppError("forbidden", "This client account has no client");
    clientId = id.data;
  }
  return {
    userId: claims.sub,
    role,
    clientId,
    displayName: claims.user_metadata?.full_name?.trim() || claims.email || "Foxeo",
    claims: payload,
  };
}

/** Read `Authorization: Bearer <token>`; null when absent or not a bearer credential. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** Constant-time comparison of two strings (length is not hidden, content is). */
export function timingSafeEqual(a: string, b: string): boolean {
  const enc = new TextEncoder();
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export type PrincipalVars = { principal: Principal };

/** Require a verified user; sets `c.var.principal`. */
export function requireUser(
  verify: TokenVerifier,
): MiddlewareHandler<{ Variables: PrincipalVars }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("unauthorized", "Missing bearer access token");
    c.set("principal", await verify(token));
    await next();
  };
}

/**
 * Require a shared secret, sent as `Authorization: Bearer <secret>` or as `apikey: <secret>`
 * (what pg_net, Deno.cron callers and the Supabase client send). Compared in constant time.
 */
export function requireSecret(secret: string, what: string): MiddlewareHandler {
  return async (c, next) => {
    const given = bearerToken(c.req.header("authorization")) ?? c.req.header("apikey") ?? "";
    if (!given || !timingSafeEqual(given, secret)) {
      throw new AppError("unauthorized", `Missing or invalid ${what}`);
    }
    await next();
  };
}
