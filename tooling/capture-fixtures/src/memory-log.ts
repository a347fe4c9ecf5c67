import { BatchLayout, RECORD_BATCH_HEADER_BYTES, readRecordBatchHeader } from '@sluice/protocol';

/**
 * The capture broker's storage: per topic-partition, the record batches produced to it, kept in memory as
 * the producer's bytes with only baseOffset rewritten (it lies outside the CRC). Enough for a consumer to
 * read back what a producer wrote; nothing is persisted.
 */

interface StoredBatch {
  readonly baseOffset: number;
  /** One past the batch's last offset. */
  readonly nextOffset: number;
  readonly bytes: Buffer;
}

export class PartitionLog {
  /** Batches in offset order; each starts where the previous one ended. */
  private readonly batches: StoredBatch[] = [];
  /** The offset the next appended record gets: the log end offset and the high watermark. */
  private endOffset = 0;

  get logEndOffset(): number {
    return this.endOffset;
  }

  /**
   * Appends every batch in `records` (a Produce partition's records field) and returns the base offset of
   * the first. Throws if the bytes are not a whole number of batches.
   */
  append(records: Buffer): number {
    const firstOffset = this.endOffset;
    let position = 0;
    while (position < records.length) {
      const header = readRecordBatchHeader(records, position);
      const sizeBytes = header.sizeBytes;
      if (sizeBytes < RECORD_BATCH_HEADER_BYTES || position + sizeBytes > records.length) {
        throw new Error(
          `record batch at byte ${position} claims ${sizeBytes} bytes, ${records.length} in all`,
        );
      }
      const bytes = Buffer.from(records.subarray(position, position + sizeBytes));
      const recordSpan = header.lastOffsetDelta + 1;
      bytes.writeBigInt64BE(BigInt(this.endOffset), BatchLayout.BASE_OFFSET);
      this.batches.push({ baseOffset: this.endOffset, nextOffset: this.endOffset + recordSpan, bytes });
      this.endOffset += recordSpan;
      position += sizeBytes;
    }
    return firstOffset;
  }

  /**
   * The batches holding offsets from `fetchOffset` on, whole, up to `maxBytes` (but at least one batch, as
   * Kafka does so that a consumer always makes progress).
   */
  read(fetchOffset: number, maxBytes: number): Buffer {
    const chunks: Buffer[] = [];
    let totalBytes = 0;
    for (const batch of this.batches) {
      if (batch.nextOffset <= fetchOffset) continue;
      if (chunks.length > 0 && totalBytes + batch.bytes.length > maxBytes) break;
      chunks.push(batch.bytes);
      totalBytes += batch.bytes.length;
    }
    return Buffer.concat(chunks);
  }
}

/** All partitions the capture broker knows, created on first mention. Every topic has one partition. */
export class MemoryLog {
  private readonly partitions = new Map<string, PartitionLog>();

  partition(topic: string): PartitionLog {
    let log = this.partitions.get(topic);
    if (!log) {
      log = new PartitionLog();
      this.partitions.set(topic, log);
    }
    return log;
  }

  has(topic: string): boolean {
    return this.partitions.has(topic);
  }

  topics(): string[] {
    return [...this.partitions.keys()];
  }
}
