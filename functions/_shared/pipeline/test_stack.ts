// Support for the tests and the bench that run the worker as its own process
// (functions/transcribe-recording/worker_cli.ts): the services around it — the webhook
// function served on a free port, the OpenVidu EMULATOR delivering its webhooks there and
// serving a given recording file, the OpenAI EMULATOR — and the peak resident memory of a
// child process, sampled from /proc.
import { type OpenAIEmulator, startOpenAIEmulator } from "../../../demo/emulators/openai/mod.ts";
import {
  type OpenViduEmulator,
  startOpenViduEmulator,
} from "../../../demo/emulators/openvidu/mod.ts";
import { createWebhookApp } from "../../openvidu-webhook/app.ts";
import { createOpenViduClient } from "../adapters/openvidu.ts";
import type { Database } from "../db.ts";
import { memoryLogger } from "../log.ts";

export interface RecordingStack {
  openvidu: OpenViduEmulator;
  openai: OpenAIEmulator;
  /**
   * Records the meeting on the OpenVidu emulator (its session, one publisher, a REST start
   * and stop) and waits for the `ready` webhook; returns the recording row it stored.
   */
  record(meetingId: string): Promise<string>;
  close(): Promise<void>;
}

export async function startRecordingStack(
  db: Database,
  options: {
    recordingFile: string;
    openviduSecret: string;
    webhookSecret: string;
    openaiKey: string;
  },
): Promise<RecordingStack> {
  const webhook = createWebhookApp({
    db,
    logger: memoryLogger(),
    webhookSecret: options.webhookSecret,
    defaultLanguage: "fr",
  });
  const hooks = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, webhook.fetch);
  const openvidu = await startOpenViduEmulator({
    secret: options.openviduSecret,
    recordingFile: options.recordingFile,
    webhookUrl: `http://127.0.0.1:${hooks.addr.port}/openvidu-webhook`,
    webhookHeaders: [`Authorization: Bearer ${options.webhookSecret}`],
    log: () => {},
  }).catch(async (err) => {
    await hooks.shutdown();
    throw err;
  });
  const openai = await startOpenAIEmulator({ apiKey: options.openaiKey }).catch(async (err) => {
    await openvidu.close();
    await hooks.shutdown();
    throw err;
  });
  const client = createOpenViduClient({ url: openvidu.url, secret: options.openviduSecret });
  return {
    openvidu,
    openai,
    async record(meetingId) {
      const session = `visio-${meetingId}`;
      await client.createSession(session, { recordingMode: "MANUAL" });
      await openvidu.join(session, { publish: true });
      const started = await client.startRecording(session, { outputMode: "COMPOSED" });
      await client.stopRecording(started.id);
      await openvidu.webhooksIdle();
      const [row] = await db.sql`
        select id from visio.meeting_recordings where meeting_id = ${meetingId}`;
      if (!row) throw new Error("the webhook did not store the recording");
      return row.id as string;
    },
    async close() {
      await openai.close();
      await openvidu.close();
      await hooks.shutdown();
    },
  };
}

/** Samples a process's resident memory (VmRSS) every `intervalMs` until `stop()`. */
export function sampleRss(pid: number, intervalMs = 20): { peakKb(): number; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
    } catch { /* exited */ }
  }, intervalMs);
  return { peakKb: () => peak, stop: () => clearInterval(timer) };
}
