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

/** The network layer's words for the closes it decides itself. */
const NETWORK_REASONS: ReadonlyMap<string, ConnectionCloseReason> = new Map([
  ['peer', 'client'],
  ['idle', 'idle'],
  ['max.connections', 'max_connections'],
  ['malformed frame', 'malformed_frame'],
  ['oversized frame', 'frame_too_large'],
  ['shutdown', 'shutdown'],
  ['internal error', 'error'],
]);

function isConnectionCloseReason(text: string): text is ConnectionCloseReason {
  return (CONNECTION_CLOSE_REASONS as readonly string[]).includes(text);
}

/**
 * The message of a CloseConnection thrown by a request handler: the reason, a colon, then the detail. The
 * network layer logs the whole message and passes it on as the close reason; `connectionCloseReason` reads
 * the reason back from its start.
 */
export function closeConnectionMessage(reason: ConnectionCloseReason, detail: string): string {
  return `${reason}: ${detail}`;
}

/**
 * Maps a close reason as the network layer reports it (one of its own words, or the message of a refused
 * request) onto the fixed set; anything it does not recognise is `error`.
 */
export function connectionCloseReason(reported: string): ConnectionCloseReason {
  const network = NETWORK_REASONS.get(reported);
  if (network !== undefined) return network;
  const colon = reported.indexOf(':');
  const prefix = colon < 0 ? reported : reported.slice(0, colon);
  return isConnectionCloseReason(prefix) ? prefix : 'error';
}
