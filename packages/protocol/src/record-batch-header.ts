import { crc32c } from './crc32c.js';
import { DecodeError } from './decode-error.js';

/**
 * The fixed 61-byte header of a record batch (magic 2), as laid out on the wire and on disk
 * (../shared/kafka-protocol/messages/RecordBatch-format.txt):
 *
 *   offset  size  field
 *        0     8  baseOffset             rewritten by the leader on append, outside the CRC
 *        8     4  batchLength            bytes after this field: total size - 12
 *       12     4  partitionLeaderEpoch   stamped by the leader on append, outside the CRC
 *       16     1  magic                  2
 *       17     4  crc                    CRC-32C of bytes [21, end)
 *       21     2  attributes             compression (bits 0-2), timestamp type (3), transactional (4),
 *                                        control (5), delete horizon (6)
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordCount
 *       61        records
 *
 * The broker reads and rewrites these fields in place and never decodes the records behind them.
 */
export const BatchLayout = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  RECORDS: 61,
} as const;

/** Size of the header, and so the smallest possible batch. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the part of the header before the length-counted bytes. */
export const LOG_OVERHEAD_BYTES = 12;
export const CURRENT_MAGIC = 2;

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionType;
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;
export const DELETE_HORIZON_MASK = 0x40;

export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;

/** Producer id, epoch and sequence meaning "not idempotent". */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** The header fields of one batch. 64-bit fields are bigint, as on the wire. */
export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Total size of the batch in bytes, header included (batchLength + 12). */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the header of the batch at `offset`. Checks only that the 61 header bytes are there and that
 * batchLength covers them; it does not check the magic, the CRC, or that the whole batch is present.
 */
export function readRecordBatchHeader(buffer: Buffer, offset = 0): RecordBatchHeader {
  if (buffer.length - offset < RECORD_BATCH_HEADER_BYTES) {
    throw new DecodeError(`record batch header needs 61 bytes, ${buffer.length - offset} left`, offset);
  }
  const batchLength = buffer.readInt32BE(offset + BatchLayout.BATCH_LENGTH);
  if (batchLength < RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) {
    throw new DecodeError(`record batch length ${batchLength} is shorter than its header`, offset + 8);
  }
  return {
    baseOffset: buffer.readBigInt64BE(offset + BatchLayout.BASE_OFFSET),
    sizeBytes: batchLength + LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: buffer.readInt32BE(offset + BatchLayout.PARTITION_LEADER_EPOCH),
    magic: buffer.readInt8(offset + BatchLayout.MAGIC),
    crc: buffer.readUInt32BE(offset + BatchLayout.CRC),
    attributes: buffer.readInt16BE(offset + BatchLayout.ATTRIBUTES),
    lastOffsetDelta: buffer.readInt32BE(offset + BatchLayout.LAST_OFFSET_DELTA),
    baseTimestamp: buffer.readBigInt64BE(offset + BatchLayout.BASE_TIMESTAMP),
    maxTimestamp: buffer.readBigInt64BE(offset + BatchLayout.MAX_TIMESTAMP),
    producerId: buffer.readBigInt64BE(offset + BatchLayout.PRODUCER_ID),
    producerEpoch: buffer.readInt16BE(offset + BatchLayout.PRODUCER_EPOCH),
    baseSequence: buffer.readInt32BE(offset + BatchLayout.BASE_SEQUENCE),
    recordCount: buffer.readInt32BE(offset + BatchLayout.RECORD_COUNT),
  };
}

/** The CRC-32C a batch's header should carry: over bytes [attributes, end of batch). */
export function computeBatchCrc(buffer: Buffer, offset: number, sizeBytes: number): number {
  return crc32c(buffer, offset + BatchLayout.ATTRIBUTES, offset + sizeBytes);
}

/** Whether the stored CRC of the whole batch at `offset` (of `sizeBytes`) matches its contents. */
export function isBatchCrcValid(buffer: Buffer, offset: number, sizeBytes: number): boolean {
  return buffer.readUInt32BE(offset + BatchLayout.CRC) === computeBatchCrc(buffer, offset, sizeBytes);
}

export function compressionOf(attributes: number): number {
  return attributes & COMPRESSION_MASK;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_MASK) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_MASK) !== 0;
}
