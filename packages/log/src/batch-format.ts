import { nativeBatchCrc } from '@sluice/native';
import {
  BatchLayout,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CURRENT_MAGIC,
  crc32c,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
  TIMESTAMP_TYPE_MASK,
} from '@sluice/protocol';

/**
 * Number-valued access to the header of a record batch (magic 2) lying in a Buffer, for the hot paths of the
 * log: no BigInt, no object per batch. The layout itself is @sluice/protocol's `BatchLayout`.
 *
 * 64-bit fields are read as two 32-bit halves; offsets are asserted below 2^53 where they enter the log,
 * so the result is exact for them. Timestamps and producer ids beyond 2^53 come back rounded, which is
 * harmless for comparisons and refused where exactness matters (producer ids).
 */
export {
  BatchLayout,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CURRENT_MAGIC,
  crc32c,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
  TIMESTAMP_TYPE_MASK,
};

const TWO_POW_32 = 2 ** 32;

/** Bytes of a batch's length-counted part that the header occupies: batchLength is at least this. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;

export const NO_TIMESTAMP = -1;

export function readInt64(buffer: Buffer, position: number): number {
  return buffer.readInt32BE(position) * TWO_POW_32 + buffer.readUInt32BE(position + 4);
}

/** Writes a non-negative safe integer as a big-endian int64, without a BigInt. */
export function writeInt64(buffer: Buffer, position: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buffer.writeUInt32BE(high, position);
  buffer.writeUInt32BE(value - high * TWO_POW_32, position + 4);
}

/** Writes any integer timestamp (possibly -1) as a big-endian int64. */
export function writeSignedInt64(buffer: Buffer, position: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(high, position);
  buffer.writeUInt32BE(value - high * TWO_POW_32, position + 4);
}

export function batchBaseOffset(buffer: Buffer, batchStart: number): number {
  return readInt64(buffer, batchStart + BatchLayout.BASE_OFFSET);
}

/** Total size of the batch in bytes (batchLength + 12). */
export function batchSizeBytes(buffer: Buffer, batchStart: number): number {
  return buffer.readInt32BE(batchStart + BatchLayout.BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
}

export function batchLastOffsetDelta(buffer: Buffer, batchStart: number): number {
  return buffer.readInt32BE(batchStart + BatchLayout.LAST_OFFSET_DELTA);
}

export function batchLastOffset(buffer: Buffer, batchStart: number): number {
  return batchBaseOffset(buffer, batchStart) + batchLastOffsetDelta(buffer, batchStart);
}

export function batchPartitionLeaderEpoch(buffer: Buffer, batchStart: number): number {
  return buffer.readInt32BE(batchStart + BatchLayout.PARTITION_LEADER_EPOCH);
}

export function batchMagic(buffer: Buffer, batchStart: number): number {
  return buffer.readInt8(batchStart + BatchLayout.MAGIC);
}

export function batchAttributes(buffer: Buffer, batchStart: number): number {
  return buffer.readInt16BE(batchStart + BatchLayout.ATTRIBUTES);
}

export function batchBaseTimestamp(buffer: Buffer, batchStart: number): number {
  return readInt64(buffer, batchStart + BatchLayout.BASE_TIMESTAMP);
}

export function batchMaxTimestamp(buffer: Buffer, batchStart: number): number {
  return readInt64(buffer, batchStart + BatchLayout.MAX_TIMESTAMP);
}

export function batchProducerId(buffer: Buffer, batchStart: number): number {
  return readInt64(buffer, batchStart + BatchLayout.PRODUCER_ID);
}

export function batchProducerEpoch(buffer: Buffer, batchStart: number): number {
  return buffer.readInt16BE(batchStart + BatchLayout.PRODUCER_EPOCH);
}

export function batchBaseSequence(buffer: Buffer, batchStart: number): number {
  return buffer.readInt32BE(batchStart + BatchLayout.BASE_SEQUENCE);
}

export function batchRecordCount(buffer: Buffer, batchStart: number): number {
  return buffer.readInt32BE(batchStart + BatchLayout.RECORD_COUNT);
}

export function batchStoredCrc(buffer: Buffer, batchStart: number): number {
  return buffer.readUInt32BE(batchStart + BatchLayout.CRC);
}

/**
 * CRC-32C over [attributes, end of batch), the value the header's crc field must hold. With
 * @sluice/native, a large batch's is computed on two cores (`nativeBatchCrc`); the value is the same.
 */
export const batchComputedCrc: (buffer: Buffer, batchStart: number, sizeBytes: number) => number =
  nativeBatchCrc ?? batchComputedCrcPortable;

/** `batchComputedCrc` through @sluice/protocol's `crc32c`, whichever implementation that uses. */
export function batchComputedCrcPortable(buffer: Buffer, batchStart: number, sizeBytes: number): number {
  return crc32c(buffer, batchStart + BatchLayout.ATTRIBUTES, batchStart + sizeBytes);
}

export function isCompressed(attributes: number): boolean {
  return (attributes & COMPRESSION_MASK) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_MASK) !== 0;
}

export function isLogAppendTime(attributes: number): boolean {
  return (attributes & TIMESTAMP_TYPE_MASK) !== 0;
}
