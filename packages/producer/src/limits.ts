/**
 * Every hard limit of @sluice/producer, in one place. Options (batch.size, buffer.memory, ...) have their own
 * bounds in producer-options.ts; these bound what no option controls.
 */
export const Limits = {
  /** Messages one `send` call may carry. */
  MAX_MESSAGES_PER_SEND: 1_000_000,
  /** Headers one record may carry. */
  MAX_HEADERS_PER_RECORD: 10_000,
  /** Partitions of one topic the producer writes to (Kafka's own limit is far lower in practice). */
  MAX_PARTITIONS_PER_TOPIC: 100_000,
  /** Idempotent producers keep at most this many batches in flight per partition (Kafka's limit). */
  MAX_IN_FLIGHT_BATCHES_PER_PARTITION_IDEMPOTENT: 5,
  /** Sequence numbers wrap to 0 after int32 max, as in Kafka. */
  MAX_SEQUENCE: 0x7fffffff,
  /** Bytes of the batch header: a batch needs room for it besides its records. */
  RECORD_BATCH_HEADER_BYTES: 61,
} as const;
