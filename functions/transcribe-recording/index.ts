// Supabase Edge Function entry of `transcribe-recording` (requests arrive at
// /transcribe-recording). Called by pg_cron + pg_net with the service key; with
// `Prefer: respond-async` the slice runs in EdgeRuntime.waitUntil after a 202.
import { loadConfig } from "../_shared/config.ts";
import { workerFromServices } from "../_shared/pipeline/worker.ts";
import { createServices } from "../_shared/services.ts";
import { createTranscribeApp } from "./app.ts";
import { edgeBackground } from "./edge.ts";

const config = loadConfig(Deno.env.toObject());
const services = await createServices(config);
const app = createTranscribeApp({
  worker: workerFromServices(services),
  serviceKey: config.serviceRoleKey,
  logger: services.logger,
  background: edgeBackground(),
});

Deno.serve(app.fetch);
