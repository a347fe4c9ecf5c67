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
  /** Topics one subscription may name (or a pattern may match). */
  MAX_SUBSCRIBED_TOPICS: 10_000,
  /** Members the leader assigns partitions to; a larger JoinGroup answer is refused. */
  MAX_GROUP_MEMBERS: 10_000,
  /** Assignment strategies one consumer may offer. */
  MAX_ASSIGNORS: 16,
  /** Partitions one OffsetCommit or OffsetFetch request carries; more are sent in several requests. */
  MAX_PARTITIONS_PER_OFFSET_REQUEST: 10_000,
  /** Retry topics one retry policy may name. */
  MAX_RETRY_TOPICS: 32,
  /** Handler attempts per record a retry policy may allow. */
  MAX_RETRY_ATTEMPTS: 1_000,
  /** The longest delay before a retry (7 days). */
  MAX_RETRY_DELAY_MS: 7 * 24 * 60 * 60 * 1000,
  /** Characters of the handler's error kept in a re-published record's header. */
  MAX_RETRY_ERROR_CHARS: 1_000,
  /** Retried records remembered to skip their duplicates (a re-publish repeated after a crash). */
  MAX_RETRY_DEDUPLICATION_ENTRIES: 100_000,
} as const;
