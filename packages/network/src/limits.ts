/**
 * Every hard limit of @sluice/network, in one place. Options (request.timeout.ms, ...) are validated against
 * their own bounds in network-options.ts; these bound what no option controls.
 */
export const Limits = {
  /** Largest response frame accepted; a larger size prefix closes the connection before allocating. */
  MAX_RESPONSE_BYTES: 512 * 1024 * 1024,
  /** Requests waiting for an in-flight slot on one connection; more are refused at once. */
  MAX_QUEUED_REQUESTS_PER_CONNECTION: 10_000,
  /** In-flight requests on one connection when the caller does not choose (admin, metadata, consumer). */
  DEFAULT_MAX_IN_FLIGHT_REQUESTS: 100,
  /** Largest in-flight window any caller may ask for. */
  MAX_IN_FLIGHT_REQUESTS: 1_000,
  /** How long `close()` waits for in-flight requests before destroying the socket. */
  CLOSE_DRAIN_TIMEOUT_MS: 5_000,
  /** Brokers a bootstrap list may name. */
  MAX_BOOTSTRAP_SERVERS: 1_000,
  /** Topics one metadata request may name. */
  MAX_METADATA_TOPICS: 100_000,
  /** Correlation ids wrap at int32 max. */
  MAX_CORRELATION_ID: 0x7fffffff,
} as const;
