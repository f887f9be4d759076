// Errors the relay reports to its caller (the signalling layer), with a code it can map to a
// JSON-RPC error and a message that says what failed.

export type RelayErrorCode =
  | "bad_sdp"
  | "unsupported_codec"
  | "unknown_stream"
  | "unknown_endpoint"
  | "duplicate_subscription"
  | "invalid_state"
  | "closed";

export class RelayError extends Error {
  override name = "RelayError";
  constructor(readonly code: RelayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
