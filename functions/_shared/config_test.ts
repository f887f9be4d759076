import assert from "node:assert/strict";
import { ConfigError, DEV_DEFAULTS, loadConfig, secretsOf } from "./config.ts";

Deno.test("an empty environment gives the local defaults of DESIGN §4", () => {
  const c = loadConfig({});
  assert.equal(c.port, 54321);
  assert.equal(c.databaseUrl, null);
  assert.equal(c.storage.backend, "local");
  assert.equal(c.storage.dir, ".data/storage");
  assert.equal(c.storage.signedUrlTtlSeconds, 3600);
  assert.equal(c.transcription.model, "whisper-1");
  assert.equal(c.transcription.language, "fr");
  assert.equal(c.allowedOrigins, "*");
  assert.equal(c.workerIntervalMs, 2000);
  assert.equal(c.openvidu.url, DEV_DEFAULTS.OPENVIDU_URL);
  assert.equal(c.openai.baseUrl, DEV_DEFAULTS.OPENAI_BASE_URL);
  assert.deepEqual(c.emulated, { openvidu: true, openai: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected an error");
}

Deno.test("every bad key is listed at once", () => {
  const err = thrown(() =>
    loadConfig({
      PORT: "eighty",
      DATABASE_URL: "mysql://x",
      OPENVIDU_URL: "not a url",
      TRANSCRIPTION_MODEL: "gpt-4o-transcribe",
      TRANSCRIPTION_LANGUAGE: "french",
      STORAGE_BACKEND: "s3",
      SIGNED_URL_TTL_SECONDS: "5",
      ALLOWED_ORIGINS: "https://ok.example, nonsense",
    })
  );
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.keys.sort(), [
    "ALLOWED_ORIGINS",
    "DATABASE_URL",
    "OPENVIDU_URL",
    "PORT",
    "SIGNED_URL_TTL_SECONDS",
    "STORAGE_BACKEND",
    "TRANSCRIPTION_LANGUAGE",
    "TRANSCRIPTION_MODEL",
  ]);
  assert.match(err.message, /TRANSCRIPTION_MODEL must be whisper-1/);
});

Deno.test("deployed, development defaults are refused and the missing keys listed", () => {
  try {
    loadConfig({ DENO_DEPLOYMENT_ID: "abc", SUPABASE_URL: "https://ref.supabase.co" });
    assert.fail("expected a ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.keys.sort(), [
      "DATABASE_URL",
      "OPENAI_API_KEY",
      "OPENVIDU_SECRET",
      "OPENVIDU_URL",
      "OPENVIDU_WEBHOOK_SECRET",
      "SUPABASE_SERVICE_ROLE_KEY",
    ]);
  }
});

Deno.test("deployed on Supabase: JWKS from SUPABASE_URL, storage on Supabase, SUPABASE_DB_URL used", () => {
  const c = loadConfig({
    SB_REGION: "eu-west-3",
    SUPABASE_URL: "https://ref.supabase.co/",
    SUPABASE_DB_URL: "postgresql://postgres:db-password@db.ref.supabase.co:5432/postgres",
    SUPABASE_SERVICE_ROLE_KEY: "service-role-key-0123456789",
    OPENVIDU_URL: "https://ov.example.com",
    OPENVIDU_SECRET: "s3cret",
    OPENVIDU_WEBHOOK_SECRET: "a-long-webhook-secret",
    OPENAI_API_KEY: "sk-real",
    ALLOWED_ORIGINS: "https://app.foxeo.fr,https://hub.foxeo.fr",
  });
  assert.equal(c.deployed, true);
  assert.equal(c.jwtSecret, null);
  assert.equal(c.jwksUrl, "https://ref.supabase.co/auth/v1/.well-known/jwks.json");
  assert.equal(c.storage.backend, "supabase");
  assert.equal(c.databaseUrl, "postgresql://postgres:db-password@db.ref.supabase.co:5432/postgres");
  assert.equal(c.openai.baseUrl, null, "a real key without a base URL uses the real API");
  assert.deepEqual(c.allowedOrigins, ["https://app.foxeo.fr", "https://hub.foxeo.fr"]);
  assert.deepEqual(c.emulated, { openvidu: false, openai: false });
  assert.ok(secretsOf(c).includes("db-password"));
  assert.ok(secretsOf(c).includes("s3cret"));
});

Deno.test("local storage is refused when deployed", () => {
  assert.throws(
    () =>
      loadConfig({
        DENO_DEPLOYMENT_ID: "x",
        STORAGE_BACKEND: "local",
        DATABASE_URL: "postgres://u:p@h/db",
        SUPABASE_JWT_SECRET: "x".repeat(40),
        SUPABASE_SERVICE_ROLE_KEY: "k".repeat(20),
        OPENVIDU_URL: "https://ov",
        OPENVIDU_SECRET: "s",
        OPENVIDU_WEBHOOK_SECRET: "w".repeat(20),
        OPENAI_API_KEY: "sk",
      }),
    (e: ConfigError) => e.keys.join() === "STORAGE_BACKEND",
  );
});
