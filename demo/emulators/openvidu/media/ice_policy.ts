// Where the relay's ICE may listen and whom it may talk to. The emulator runs next to the
// browsers on one machine with no network: every socket binds to 127.0.0.1, no STUN or TURN
// server is ever contacted, and the relay answers or checks only addresses of this machine.

import { networkInterfaces } from "node:os";
import type { RTCPeerConnectionConfig } from "werift";

/** The addresses this machine owns (loopback and its interfaces), looked up once per relay. */
export function machineAddresses(): Set<string> {
  const found = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) found.add(stripZone(info.address));
  }
  return found;
}

/**
 * True when a packet to `address` stays on this machine. Chromium with its default flags
 * gathers no loopback candidate, so its checks reach 127.0.0.1 from the machine's own
 * interface address; the kernel delivers those locally, and the relay may answer them.
 */
export function isOnThisMachine(address: string, machine: ReadonlySet<string>): boolean {
  const bare = stripZone(address);
  return bare.startsWith("127.") || machine.has(bare);
}

/** werift settings: one host candidate on 127.0.0.1, no server, one bundled transport. */
export function localOnlyPeerConfig(machine: ReadonlySet<string>): RTCPeerConnectionConfig {
  return {
    iceServers: [],
    // Interface scanning would add the machine's LAN addresses; only loopback is wanted.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceFilterStunResponse: (_message, [host]) => isOnThisMachine(host, machine),
    iceFilterCandidatePair: (pair) => isOnThisMachine(pair.remoteCandidate.host, machine),
    // One ICE/DTLS transport per peer, like Kurento and every browser's default.
    bundlePolicy: "max-bundle",
  };
}

export interface CandidateAddress {
  protocol: string;
  address: string;
  port: number;
}

/** The transport, address and port of an SDP candidate line (`candidate:…` form). */
export function parseCandidate(candidate: string): CandidateAddress | undefined {
  // candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> …
  const parts = candidate.replace(/^a=/, "").trim().split(/\s+/);
  if (parts.length < 8 || !parts[0].startsWith("candidate:")) return undefined;
  const port = Number(parts[5]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { protocol: parts[2].toLowerCase(), address: parts[4], port };
}

/**
 * Whether a browser candidate is worth giving to werift: UDP to an address of this machine.
 * mDNS names (`….local`) cannot be resolved here and TCP is not gathered by the relay; the
 * browser's checks still arrive from those hosts and become peer-reflexive candidates.
 */
export function isUsableRemoteCandidate(
  candidate: string,
  machine: ReadonlySet<string>,
): boolean {
  const parsed = parseCandidate(candidate);
  return parsed !== undefined && parsed.protocol === "udp" &&
    isOnThisMachine(parsed.address, machine);
}

function stripZone(address: string): string {
  const zone = address.indexOf("%");
  return zone === -1 ? address : address.slice(0, zone);
}
