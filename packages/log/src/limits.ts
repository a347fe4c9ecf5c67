/**
 * Every hard limit of @sluice/log, in one place. Topic configs (segment.bytes, max.message.bytes, ...) are
 * checked against these when a `LogConfig` is validated; the rest bound loops, buffers and files that no
 * config controls.
 */
export const Limits = {
  /** Largest single record batch any append accepts, whatever max.message.bytes says. */
  MAX_BATCH_BYTES: 256 * 1024 * 1024,
  /** Most batches in one append call (a produce request carries one; a replica fetch may carry many). */
  MAX_BATCHES_PER_APPEND: 100_000,
  /** Largest segment: positions in the offset index are unsigned 32-bit, Kafka keeps them below 2^31. */
  MAX_SEGMENT_BYTES: 2 ** 31 - 1,
  /** Largest offset relative to a segment's base offset; an append beyond it rolls a new segment. */
  MAX_RELATIVE_OFFSET: 2 ** 31 - 1,
  /** Largest index file (segment.index.bytes); index entries are also held in memory. */
  MAX_SEGMENT_INDEX_BYTES: 256 * 1024 * 1024,
  /** Largest buffer one `read` returns (at least one whole batch, so at least MAX_BATCH_BYTES). */
  MAX_READ_BYTES: 256 * 1024 * 1024,
  /** Bytes read at a time when walking batch headers in a segment file (reads, recovery, rebuilds). */
  SCAN_CHUNK_BYTES: 64 * 1024,
  /** Bytes read at a time when locating the batch that holds a fetch offset (about an index interval). */
  LOCATE_CHUNK_BYTES: 16 * 1024,
  /** Batches per producer id kept for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
  PRODUCER_BATCHES_RETAINED: 5,
  /** Producer ids tracked per partition; beyond it the least recently active producer is forgotten. */
  MAX_PRODUCERS_PER_LOG: 200_000,
  /** Leader epochs kept in one partition's epoch cache. */
  MAX_LEADER_EPOCH_ENTRIES: 100_000,
  /** Largest checkpoint file read (recovery point, log start, high watermark, leader epochs). */
  MAX_CHECKPOINT_FILE_BYTES: 64 * 1024 * 1024,
  /** Largest producer state snapshot read. */
  MAX_SNAPSHOT_FILE_BYTES: 512 * 1024 * 1024,
  /** Largest meta.properties read. */
  MAX_META_PROPERTIES_BYTES: 64 * 1024,
  /** Partition directories opened (and recovered) at the same time by the LogManager. */
  LOG_OPEN_PARALLELISM: 8,
} as const;
