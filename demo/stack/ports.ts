// Ports of the local stack: free ones picked for 0, and a clear message when one is taken.
import type { StackPorts } from "./config.ts";

export const SERVICE_NAMES: Record<keyof StackPorts, { label: string; variable: string }> = {
  demo: { label: "the demo pages", variable: "DEMO_PORT" },
  functions: { label: "the functions", variable: "PORT" },
  openvidu: { label: "the OpenVidu emulator", variable: "OPENVIDU_EMULATOR_PORT" },
  openai: { label: "the OpenAI emulator", variable: "OPENAI_EMULATOR_PORT" },
};

export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(readonly service: keyof StackPorts, readonly port: number) {
    const { label, variable } = SERVICE_NAMES[service];
    super(
      `Port ${port} (${label}) is already in use on 127.0.0.1. Another \`npm start\` may be ` +
        `running: stop it, or choose another port with ${variable}=<port> (0 picks a free one).`,
    );
  }
}

/** Resolve every 0 to a free port, and check that every other port is free. */
export function claimPorts(
  ports: StackPorts,
  used: (keyof StackPorts)[],
): StackPorts {
  const out = { ...ports };
  for (const service of used) {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port: ports[service] });
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) throw new PortInUseError(service, ports[service]);
      throw err;
    }
    out[service] = (listener.addr as Deno.NetAddr).port;
    listener.close();
  }
  return out;
}
