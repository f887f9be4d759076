import assert from "node:assert/strict";
import * as jose from "jose";
import { AppError } from "./errors.ts";
import { createTokenVerifier, timingSafeEqual } from "./auth.ts";
import { clientUser, operatorUser, signUserToken } from "./testing.ts";
import { DEV_DEFAULTS } from "./config.ts";

const verify = createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET });

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError, got ${e}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

Deno.test("an operator token gives an operator principal", async () => {
  const op = await operatorUser({ fullName: "MiKL" });
  const p = await verify(op.token);
  assert.deepEqual([p.userId, p.role, p.clientId, p.displayName], [
    op.userId,
    "operator",
    null,
    "MiKL",
  ]);
});

Deno.test("a client token gives its client id", async () => {
  const u = await clientUser("11111111-1111-4111-8111-111111111111", {
    fullName: "Camille Martin",
  });
  const p = await verify(u.token);
  assert.equal(p.role, "client");
  assert.equal(p.clientId, "11111111-1111-4111-8111-111111111111");
  assert.equal(p.displayName, "Camille Martin");
});

Deno.test("a malformed token is 401", async () => {
  await rejectsWith(verify("not-a-jwt"), "unauthorized", /Malformed/);
  await rejectsWith(verify("a.b.c"), "unauthorized");
});

Deno.test("an expired token is 401", async () => {
  const u = await operatorUser({ expiresIn: -60 });
  await rejectsWith(verify(u.token), "unauthorized", /expired/);
});

Deno.test("a token signed with another secret is 401", async () => {
  const u = await operatorUser({ secret: "another-secret-another-secret-another-secret" });
  await rejectsWith(verify(u.token), "unauthorized", /Invalid access token/);
});

Deno.test("an alg:none token is 401", async () => {
  const u = await operatorUser();
  const payload = u.token.split(".")[1];
  const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  await rejectsWith(verify(`${header}.${payload}.`), "unauthorized", /algorithm none/);
});

Deno.test("a token with no Foxeo role is 403, a client with no client id 403", async () => {
  const none = await signUserToken({ appMetadata: { provider: "email" } });
  await rejectsWith(verify(none.token), "forbidden", /no Foxeo Visio role/);
  const orphan = await signUserToken({ appMetadata: { foxeo_role: "client" } });
  await rejectsWith(verify(orphan.token), "forbidden", /no client/);
});

Deno.test("a token that is not a user's (anon/service key) is 401", async () => {
  const now = Math.floor(Date.now() / 1000);
  const anon = await new jose.SignJWT({ role: "anon", iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(DEV_DEFAULTS.SUPABASE_JWT_SECRET));
  await rejectsWith(verify(anon), "unauthorized");
});

Deno.test("asymmetric tokens verify against the JWKS, which is fetched once and cached", async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let fetches = 0;
  const fakeFetch: typeof fetch = (input) => {
    fetches++;
    assert.equal(
      String(input instanceof Request ? input.url : input),
      "https://ref.supabase.co/auth/v1/.well-known/jwks.json",
    );
    return Promise.resolve(Response.json({ keys: [jwk] }));
  };
  const verifyJwks = createTokenVerifier({
    jwksUrl: "https://ref.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: fakeFetch,
  });
  const now = Math.floor(Date.now() / 1000);
  const sign = (key: CryptoKey, kid: string) =>
    new jose.SignJWT({
      sub: crypto.randomUUID(),
      role: "authenticated",
      app_metadata: { foxeo_role: "operator" },
    }).setProtectedHeader({ alg: "ES256", kid }).setIssuedAt(now).setExpirationTime(now + 60).sign(
      key,
    );
  const p = await verifyJwks(await sign(privateKey, "k1"));
  assert.equal(p.role, "operator");
  await verifyJwks(await sign(privateKey, "k1"));
  assert.equal(fetches, 1);

  const other = await jose.generateKeyPair("ES256");
  await rejectsWith(verifyJwks(await sign(other.privateKey, "k1")), "unauthorized");
  // HS256 tokens are refused when no secret is configured.
  await rejectsWith(
    verifyJwks((await operatorUser()).token),
    "unauthorized",
    /HS256 is not accepted/,
  );
});

Deno.test("a verified token is kept until it expires, and refused once expired", async () => {
  let clock = Date.now();
  const cached = createTokenVerifier({
    jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET,
    now: () => clock,
  });
  const u = await operatorUser({ expiresIn: 30 });
  const first = await cached(u.token);
  assert.equal(await cached(u.token), first, "the second request reuses the verification");
  // A forged signature on the same header and payload is still checked, and refused.
  const [header, payload] = u.token.split(".");
  const forged = `${header}.${payload}.${"A".repeat(43)}`;
  await rejectsWith(cached(forged), "unauthorized", /Invalid access token/);
  clock += 31_000;
  await rejectsWith(cached(u.token), "unauthorized", /expired/);
});

Deno.test("verified tokens are trusted for a bounded time and number", async () => {
  let clock = Date.now();
  const cached = createTokenVerifier({
    jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET,
    now: () => clock,
    cacheMs: 1000,
    cacheEntries: 2,
  });
  const [a, b, c] = await Promise.all([operatorUser(), clientUser(), clientUser()]);
  const pa = await cached(a.token);
  clock += 1500;
  const again = await cached(a.token);
  assert.notEqual(again, pa, "verified again after cacheMs");
  assert.deepEqual(again, pa);
  await cached(b.token);
  await cached(c.token);
  assert.notEqual(await cached(a.token), again, "the oldest entry made room");
  const off = createTokenVerifier({ jwtSecret: DEV_DEFAULTS.SUPABASE_JWT_SECRET, cacheEntries: 0 });
  assert.notEqual(await off(a.token), await off(a.token));
});

Deno.test("timingSafeEqual compares content and length", () => {
  assert.equal(timingSafeEqual("secret-value", "secret-value"), true);
  assert.equal(timingSafeEqual("secret-value", "secret-valuE"), false);
  assert.equal(timingSafeEqual("secret-value", "secret-value-longer"), false);
  assert.equal(timingSafeEqual("", "x"), false);
});
