// Supabase Edge Function entry of `meetings` (requests arrive at /meetings/...).
import { loadConfig } from "../_shared/config.ts";
import { createServices } from "../_shared/services.ts";
import { createMeetingsApp } from "./app.ts";

const config = loadConfig(Deno.env.toObject());
const services = await createServices(config);
const app = createMeetingsApp({
  ...services,
  allowedOrigins: config.allowedOrigins,
  defaultLanguage: config.transcription.language,
  signedUrlTtlSeconds: config.storage.signedUrlTtlSeconds,
});

Deno.serve(app.fetch);
