// A STUN server on the loopback interface, answering Binding requests only (RFC 8489 §3).
//
// openvidu-browser gives its PeerConnections the ICE servers the server names in its
// `joinRoom` answer (`customIceServers`), and falls back to public STUN servers when there
// are none. The emulator names this one, so a browser in the offline demo never aims a
// packet outside the machine; it learns nothing new from it (its reflexive address is its
// host address) and the relay never uses it.
import { createSocket, type RemoteInfo } from "node:dgram";
import { Buffer } from "node:buffer";
import { classes, Message, methods, parseMessage } from "werift";

export interface StunServer {
  /** `stun:127.0.0.1:<port>` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startStunServer(hostname = "127.0.0.1"): Promise<StunServer> {
  const socket = createSocket("udp4");
  socket.on("message", (data: Buffer, from: RemoteInfo) => {
    const request = parseMessage(data);
    if (
      !request || request.messageMethod !== methods.BINDING ||
      request.messageClass !== classes.REQUEST
    ) return;
    const response = new Message(methods.BINDING, classes.RESPONSE, request.transactionId)
      .setAttribute("XOR-MAPPED-ADDRESS", [from.address, from.port])
      .setAttribute("SOFTWARE", "OpenVidu emulator");
    socket.send(response.addFingerprint().bytes, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, hostname, () => resolve());
  });
  const { port } = socket.address();
  return {
    url: `stun:${hostname}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
