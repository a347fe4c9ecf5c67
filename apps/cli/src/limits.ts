/** Every bound and default of the CLI, in one place. */
export const CLI_LIMITS = {
  /** --timeout-ms when not given: how long one cluster operation may take, retries included. */
  DEFAULT_TIMEOUT_MS: 30_000,
  /** The first contact with the cluster: a broker that does not answer by then is reported as unreachable. */
  CONNECT_TIMEOUT_MS: 10_000,
  /** request.timeout.ms of the CLI's client (lower when --timeout-ms is lower). */
  REQUEST_TIMEOUT_MS: 30_000,
  /** produce: the most records one producer.send call carries. */
  PRODUCE_RECORDS_PER_SEND: 1_000,
  /** produce: sends not yet acknowledged before reading more input waits. */
  PRODUCE_SENDS_IN_FLIGHT: 32,
  /** produce: the longest input line (one record), so that a file without newlines cannot take all memory. */
  MAX_LINE_BYTES: 64 * 1024 * 1024,
  /** consume: bytes of formatted output gathered before one write to stdout. */
  CONSUME_OUTPUT_CHUNK_BYTES: 256 * 1024,
  /** consume --group --exit: how often to check whether every assigned partition is read to its end. */
  GROUP_END_CHECK_INTERVAL_MS: 200,
  /** perf: how often the live progress line is redrawn. */
  PROGRESS_INTERVAL_MS: 1_000,
  /** perf produce: the most records one send carries (fewer under a throughput cap). */
  PERF_RECORDS_PER_SEND: 500,
  /** perf produce: sends in flight at once. */
  PERF_SENDS_IN_FLIGHT: 64,
} as const;
