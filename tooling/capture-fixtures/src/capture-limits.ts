/** Every bound the capture tool keeps, in one place. */
export const CaptureLimits = {
  /** Largest request frame accepted (the size prefix's value); a larger one closes the connection. */
  maxFrameBytes: 16 * 1024 * 1024,
  /** Longest a Fetch with nothing to return is held, whatever max_wait_ms the client asked for. */
  fetchWaitMaxMs: 1_000,
  /** Longest one client session may run before it is stopped and the capture fails. */
  sessionTimeoutMs: 60_000,
  /** Frames recorded in one session at most; a client that sends more is stuck in a loop. */
  framesPerSessionMax: 10_000,
  /** Grace between SIGTERM and SIGKILL when a client process has to be stopped. */
  killGraceMs: 2_000,
} as const;
