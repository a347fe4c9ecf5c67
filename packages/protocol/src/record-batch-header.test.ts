import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.js';
import { DecodeError } from './decode-error.js';
import {
  BatchLayout,
  CompressionType,
  compressionOf,
  computeBatchCrc,
  isBatchCrcValid,
  isControlBatch,
  isTransactionalBatch,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
  readRecordBatchHeader,
} from './record-batch-header.js';

/** A header written field by field at the documented positions, followed by `recordsBytes` of payload. */
function handWrittenBatch(recordsBytes: number): Buffer {
  const batch = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + recordsBytes, 0xab);
  batch.writeBigInt64BE(1234567890123n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(17, 12);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(0x0033, 21); // lz4 | transactional | control
  batch.writeInt32BE(9, 23);
  batch.writeBigInt64BE(1700000000000n, 27);
  batch.writeBigInt64BE(1700000000555n, 35);
  batch.writeBigInt64BE(424242n, 43);
  batch.writeInt16BE(3, 51);
  batch.writeInt32BE(100, 53);
  batch.writeInt32BE(10, 57);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

describe('record batch header', () => {
  it('reads every field from its documented position', () => {
    const batch = Buffer.concat([Buffer.alloc(5), handWrittenBatch(20)]);
    expect(readRecordBatchHeader(batch, 5)).toEqual({
      baseOffset: 1234567890123n,
      sizeBytes: 81,
      partitionLeaderEpoch: 17,
      magic: 2,
      crc: crc32c(batch, 5 + 21),
      attributes: 0x33,
      lastOffsetDelta: 9,
      baseTimestamp: 1700000000000n,
      maxTimestamp: 1700000000555n,
      producerId: 424242n,
      producerEpoch: 3,
      baseSequence: 100,
      recordCount: 10,
    });
  });

  it('lays out 61 bytes, the last field ending where the records start', () => {
    expect(BatchLayout.RECORD_COUNT + 4).toBe(RECORD_BATCH_HEADER_BYTES);
    expect(BatchLayout.RECORDS).toBe(RECORD_BATCH_HEADER_BYTES);
    expect(BatchLayout.BATCH_LENGTH + 4).toBe(LOG_OVERHEAD_BYTES);
  });

  it('refuses fewer than 61 bytes with a DecodeError', () => {
    const batch = handWrittenBatch(0);
    for (let cut = 0; cut < RECORD_BATCH_HEADER_BYTES; cut++) {
      expect(() => readRecordBatchHeader(batch.subarray(0, cut))).toThrow(DecodeError);
    }
    expect(() => readRecordBatchHeader(batch, 1)).toThrow(DecodeError);
  });

  it('refuses a batch length shorter than the header after it', () => {
    const batch = handWrittenBatch(0);
    batch.writeInt32BE(48, BatchLayout.BATCH_LENGTH);
    expect(() => readRecordBatchHeader(batch)).toThrow(/shorter than its header/);
    batch.writeInt32BE(-1, BatchLayout.BATCH_LENGTH);
    expect(() => readRecordBatchHeader(batch)).toThrow(DecodeError);
  });

  it('checks the CRC over attributes to the end of the batch', () => {
    const batch = handWrittenBatch(30);
    expect(isBatchCrcValid(batch, 0, batch.length)).toBe(true);
    expect(computeBatchCrc(batch, 0, batch.length)).toBe(batch.readUInt32BE(BatchLayout.CRC));
    for (const position of [BatchLayout.ATTRIBUTES, BatchLayout.PRODUCER_ID + 3, batch.length - 1]) {
      const corrupted = Buffer.from(batch);
      corrupted[position] ^= 0x01;
      expect(isBatchCrcValid(corrupted, 0, corrupted.length), `byte ${position}`).toBe(false);
    }
  });

  it('leaves base offset and partition leader epoch outside the CRC, so a leader can rewrite them', () => {
    const batch = handWrittenBatch(30);
    batch.writeBigInt64BE(99n, BatchLayout.BASE_OFFSET);
    batch.writeInt32BE(123, BatchLayout.PARTITION_LEADER_EPOCH);
    expect(isBatchCrcValid(batch, 0, batch.length)).toBe(true);
  });

  it('reads compression, transactional and control flags from the attributes', () => {
    const attributes = readRecordBatchHeader(handWrittenBatch(0)).attributes;
    expect(compressionOf(attributes)).toBe(CompressionType.lz4);
    expect(isTransactionalBatch(attributes)).toBe(true);
    expect(isControlBatch(attributes)).toBe(true);
    expect(compressionOf(0)).toBe(CompressionType.none);
    expect(isTransactionalBatch(0x08)).toBe(false);
    expect(isControlBatch(0x10)).toBe(false);
  });
});
