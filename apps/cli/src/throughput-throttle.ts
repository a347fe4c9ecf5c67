/**
 * Keeps a sender at or below a rate (records per second) over the whole run, as Kafka's perf tools do: the
 * n-th record is due at start + n / rate; a sender ahead of schedule waits until its next record is due.
 */
export class ThroughputThrottle {
  constructor(
    /** Records per second; 0 or less means no cap. */
    readonly recordsPerSecond: number,
    readonly startMs: number,
  ) {}

  get capped(): boolean {
    return this.recordsPerSecond > 0;
  }

  /** How many more records may be sent at nowMs, given that `sent` were sent (unbounded without a cap). */
  allowance(sent: number, nowMs: number): number {
    if (!this.capped) return Number.POSITIVE_INFINITY;
    const due = Math.floor(((nowMs - this.startMs) * this.recordsPerSecond) / 1000) + 1;
    return Math.max(0, due - sent);
  }

  /** How long to wait at nowMs before record number `sent` (0-based) is due. */
  waitMs(sent: number, nowMs: number): number {
    if (!this.capped) return 0;
    return Math.max(0, this.startMs + (sent * 1000) / this.recordsPerSecond - nowMs);
  }
}
