// Runs the OpenAI transcription EMULATOR as a program (it is not OpenAI):
//
//   deno run -A demo/emulators/openai/main.ts
//
//   PORT              default 54331 (the functions' OPENAI_BASE_URL default is
//                     http://127.0.0.1:54331/v1)
//   OPENAI_API_KEY    the key to accept; default: any key starting with sk-
//
// Faults for QA: curl -X POST localhost:54331/emulator/faults -d '{"fault":"429","times":2}'
import { startOpenAIEmulator } from "./mod.ts";

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") || 54331);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error("PORT must be a port number");
    Deno.exit(2);
  }
  try {
    const emulator = await startOpenAIEmulator({
      port,
      apiKey: Deno.env.get("OPENAI_API_KEY") || undefined,
      log: (line) => console.log(line),
    });
    console.log(
      `[openai-emulator] This is an EMULATOR of OpenAI audio transcriptions for development ` +
        `and tests, not the OpenAI API. Base URL ${emulator.url}`,
    );
    const stop = () => {
      emulator.close().then(() => Deno.exit(0));
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      console.error(`[openai-emulator] port ${port} is already in use`);
    } else {
      console.error(`[openai-emulator] ${(err as Error).message}`);
    }
    Deno.exit(1);
  }
}
