/**
 * Every hard limit of @sluice/consumer, in one place. Options (fetch sizes, waits) have their own bounds in
 * consumer-options.ts; these bound what no option controls.
 */
export const Limits = {
  /** Partitions one consumer may be assigned. */
  MAX_ASSIGNED_PARTITIONS: 100_000,
  /**
   * Fetch responses buffered per partition beyond the one being read: while the application works through
   * one, the next is fetched, and no more.
   */
  MAX_PREFETCHED_FETCHES_PER_PARTITION: 1,
  /** Aborted transactions one fetch response may list (read_committed). */
  MAX_ABORTED_TRANSACTIONS_PER_FETCH: 100_000,
} as const;
