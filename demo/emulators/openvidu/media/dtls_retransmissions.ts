// A guard around werift's DTLS server against retransmitted handshake flights.
//
// Why: the browser (DTLS client) sends its flight 5 (Certificate, ClientKeyExchange,
// CertificateVerify, ChangeCipherSpec, Finished) and retransmits it when the server's answer
// is late; Chromium's first retransmission comes after about 50 ms. werift, all JavaScript, can
// take longer than that on a busy machine, and it handles the retransmitted copy as a new
// flight while the first is still being processed: the second ClientKeyExchange sets up its
// cipher again, the retransmitted Finished then fails to decrypt, and the keys the SRTP
// session is derived from no longer match the browser's. The handshake looks finished on both
// sides, yet every SRTP packet fails authentication: a publisher whose packets the relay never
// receives, or a subscriber whose browser never decodes a frame (seen in about one join in
// five under load, with werift's DTLS debug log showing "decrypt failed" after the repeat).
//
// The guard lets each message of flight 5 through once. A Finished repeated after the
// handshake completed still goes through: werift answers it by sending its last flight again,
// which is what a client that lost that flight needs.
import { DtlsServer, type DtlsSocket, type RTCDtlsTransport } from "werift";

/** certificate, certificate_verify, client_key_exchange, finished (RFC 6347 flight 5). */
const CLIENT_FLIGHT_5 = new Set([11, 15, 16, 20]);
const FINISHED = 20;

const guarded = new WeakSet<DtlsSocket>();

/** Guards `transport`'s DTLS socket, now if it exists, or as soon as it is created. */
export function guardDtlsRetransmissions(transport: RTCDtlsTransport): void {
  if (transport.dtls) {
    guard(transport.dtls);
    return;
  }
  const { unSubscribe } = transport.onStateChange.subscribe((state) => {
    if (state !== "connecting") return;
    unSubscribe();
    // start() announces "connecting" and then creates its socket, synchronously: the socket
    // exists once the current task is done, before any datagram can reach it.
    queueMicrotask(() => transport.dtls && guard(transport.dtls));
  });
}

function guard(socket: DtlsSocket): void {
  // Only the server's side has a client flight 5 to receive.
  if (guarded.has(socket) || !(socket instanceof DtlsServer)) return;
  guarded.add(socket);
  const handle = socket.onHandleHandshakes;
  const seen = new Set<number>();
  socket.onHandleHandshakes = (assembled) => {
    const fresh = assembled.filter((message) => {
      if (!CLIENT_FLIGHT_5.has(message.msg_type)) return true;
      if (!seen.has(message.message_seq)) {
        seen.add(message.message_seq);
        return true;
      }
      return socket.connected && message.msg_type === FINISHED;
    });
    return fresh.length > 0 ? handle(fresh) : Promise.resolve();
  };
}
