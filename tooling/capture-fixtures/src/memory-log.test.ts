import { decodeRecordBatches, encodeRecordBatch, isBatchCrcValid } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from './memory-log.js';

function batchOf(...values: string[]): Buffer {
  return encodeRecordBatch({ records: values.map((value, index) => ({ value, timestamp: 1_000 + index })) });
}

describe('PartitionLog', () => {
  it('gives appended batches consecutive offsets and keeps their CRCs valid', () => {
    const log = new PartitionLog();
    expect(log.append(batchOf('a', 'b'))).toBe(0);
    expect(log.append(Buffer.concat([batchOf('c'), batchOf('d', 'e', 'f')]))).toBe(2);
    expect(log.logEndOffset).toBe(6);

    const stored = log.read(0, Number.MAX_SAFE_INTEGER);
    const batches = decodeRecordBatches(stored);
    expect(batches.map((batch) => batch.baseOffset)).toEqual([0n, 2n, 3n]);
    expect(batches.flatMap((batch) => batch.records.map((record) => record.offset))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    let position = 0;
    for (const batch of batches) {
      expect(isBatchCrcValid(stored, position, batch.sizeBytes)).toBe(true);
      position += batch.sizeBytes;
    }
  });

  it('reads from the batch that holds the fetch offset, whole batches up to the byte limit', () => {
    const log = new PartitionLog();
    log.append(batchOf('a', 'b'));
    log.append(batchOf('c'));
    log.append(batchOf('d'));
    const fromInside = decodeRecordBatches(log.read(1, Number.MAX_SAFE_INTEGER));
    expect(fromInside.map((batch) => batch.baseOffset)).toEqual([0n, 2n, 3n]);
    // Over the limit from the first batch on: still one batch, so that a consumer makes progress.
    const limited = decodeRecordBatches(log.read(2, 1));
    expect(limited.map((batch) => batch.baseOffset)).toEqual([2n]);
    expect(log.read(4, Number.MAX_SAFE_INTEGER).length).toBe(0);
  });

  it('refuses bytes that are not whole batches', () => {
    const log = new PartitionLog();
    const batch = batchOf('a');
    expect(() => log.append(batch.subarray(0, batch.length - 1))).toThrow(/claims/);
    expect(log.logEndOffset).toBe(0);
  });
});
