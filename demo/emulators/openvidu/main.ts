// Runs the OpenVidu 2.32 EMULATOR as a program, configured like the real server:
//
//   deno run -A demo/emulators/openvidu/main.ts
//
//   PORT                                 default 54330
//   OPENVIDU_SECRET                      default MY_SECRET
//   OPENVIDU_WEBHOOK                     true to send webhooks (default false)
//   OPENVIDU_WEBHOOK_ENDPOINT            where to POST them
//   OPENVIDU_WEBHOOK_HEADERS             JSON array, e.g. ["Authorization: Bearer <secret>"]
//   OPENVIDU_WEBHOOK_EVENTS              JSON array of event names (default: the CE list)
//   OPENVIDU_RECORDING                   default true here (false disables recording: 501)
//   OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT  seconds, default 120
//   OPENVIDU_EMULATOR_RECORDING_FILE     mp4 served as every recording (default the fixture)
//   OPENVIDU_EMULATOR_HOSTNAME           default 127.0.0.1
//   OPENVIDU_EMULATOR_MEDIA_DEBUG        true: also log the media relay's debug lines
import { startOpenViduEmulator } from "./mod.ts";

function jsonList(name: string): string[] | undefined {
  const raw = Deno.env.get(name);
  if (!raw?.trim()) return undefined;
  const value = JSON.parse(raw);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`${name} must be a JSON array of strings`);
  }
  return value;
}

function number(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
  return n;
}

if (import.meta.main) {
  try {
    const webhook = Deno.env.get("OPENVIDU_WEBHOOK") === "true";
    const endpoint = Deno.env.get("OPENVIDU_WEBHOOK_ENDPOINT") || null;
    if (webhook && !endpoint) {
      throw new Error("OPENVIDU_WEBHOOK=true needs OPENVIDU_WEBHOOK_ENDPOINT");
    }
    const emulator = await startOpenViduEmulator({
      port: number("PORT", 54330),
      hostname: Deno.env.get("OPENVIDU_EMULATOR_HOSTNAME") || "127.0.0.1",
      secret: Deno.env.get("OPENVIDU_SECRET") || "MY_SECRET",
      webhookUrl: webhook ? endpoint : null,
      webhookHeaders: jsonList("OPENVIDU_WEBHOOK_HEADERS"),
      webhookEvents: jsonList("OPENVIDU_WEBHOOK_EVENTS"),
      recording: Deno.env.get("OPENVIDU_RECORDING") !== "false",
      autostopTimeoutMs: number("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", 120) * 1000,
      recordingFile: Deno.env.get("OPENVIDU_EMULATOR_RECORDING_FILE") || undefined,
      mediaDebug: Deno.env.get("OPENVIDU_EMULATOR_MEDIA_DEBUG") === "true",
    });
    console.log(
      `[openvidu-emulator] This is an EMULATOR of OpenVidu 2.32 for development and tests. ` +
        `REST API ${emulator.url}/openvidu/api, signalling ${emulator.model.wsUrl()}/openvidu, ` +
        `control API ${emulator.url}/emulator`,
    );
    const stop = () => {
      emulator.close().then(() => Deno.exit(0));
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (err) {
    const e = err as Error & { code?: string };
    const message = e instanceof Deno.errors.AddrInUse
      ? `port ${Deno.env.get("PORT") ?? 54330} is already in use`
      : e.message;
    console.error(`[openvidu-emulator] cannot start: ${message}`);
    Deno.exit(1);
  }
}
