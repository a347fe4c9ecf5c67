/**
 * Why a client connection closed, as the `reason` label of `sluice_connections_closed_total`: a fixed set, so
 * that no client can create metric series by what it sends. The detail (a refused request's message, the
 * frame size, ...) goes to the log line only.
 */
export const CONNECTION_CLOSE_REASONS = [
  /** The client closed it. */
  'client',
  /** No traffic for connections.max.idle.ms. */
  'idle',
  /** Accepted beyond max.connections. */
  'max_connections',
  /** A size prefix too small to hold a request header. */
  'malformed_frame',
  /** A size prefix above socket.request.max.bytes. */
  'frame_too_large',
  /** A request that does not decode. */
  'malformed_request',
  /** An API key or version this broker does not serve. */
  'unsupported_api',
  /** An acks=0 produce that failed: closing is how the producer learns of it. */
  'produce_failed',
  /** The broker is shutting down. */
  'shutdown',
  /** An unexpected error, or a reason this list does not know. */
  'error',
] as const;

export type ConnectionCloseReason = (typeof CONNECTION_CLOSE_REASONS)[number];
