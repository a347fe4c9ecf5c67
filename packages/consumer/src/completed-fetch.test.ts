import {
  BatchLayout,
  encodeControlRecord,
  encodeRecordBatch,
  KafkaError,
  type RecordInput,
} from '@sluice/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompletedFetch, type CompletedFetchOptions, nextOffsetAfter } from './completed-fetch.js';
import { PartitionState } from './partition-state.js';

function batch(
  baseOffset: number,
  values: string[],
  extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {},
): Buffer {
  const records: RecordInput[] = values.map((value) => ({ value, timestamp: 1_700_000_000_000 }));
  return encodeRecordBatch({ baseOffset: BigInt(baseOffset), records, ...extra });
}

function marker(baseOffset: number, producerId: bigint, type: 'abort' | 'commit'): Buffer {
  const { key, value } = encodeControlRecord(type, 0);
  return encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    records: [{ key, value, timestamp: 1_700_000_000_000 }],
    isControl: true,
    isTransactional: true,
    producerId,
    producerEpoch: 0,
  });
}

function drain(
  data: Buffer,
  fetchOffset: number,
  options: Partial<CompletedFetchOptions<string>> = {},
): string[] {
  const partition = new PartitionState('t', 0, { kind: 'positioned' });
  const { completeBytes } = nextOffsetAfter(data);
  const fetch = new CompletedFetch(partition, data, completeBytes, fetchOffset, {
    verifyCrc: true,
    abortedTransactions: null,
    build: (offset, _timestamp, _key, value) => `${offset}:${value?.toString()}`,
    ...options,
  });
  const values: string[] = [];
  for (let record = fetch.next(); record !== null; record = fetch.next()) values.push(record);
  expect(fetch.isExhausted).toBe(true);
  return values;
}

describe('CompletedFetch', () => {
  it('skips the records of a whole batch that lie before the fetch offset', () => {
    const data = Buffer.concat([batch(10, ['a', 'b', 'c'], { compression: 'gzip' }), batch(13, ['d'])]);
    expect(drain(data, 12)).toEqual(['12:c', '13:d']);
  });

  it('ignores a truncated last batch and says where the next fetch starts', () => {
    const whole = batch(0, ['a', 'b']);
    const next = batch(2, ['c', 'd']);
    const data = Buffer.concat([whole, next.subarray(0, next.length - 3)]);
    expect(nextOffsetAfter(data)).toEqual({
      nextOffset: 2,
      completeBytes: whole.length,
      firstBatchBytes: whole.length,
    });
    expect(drain(data, 0)).toEqual(['0:a', '1:b']);
    expect(nextOffsetAfter(next.subarray(0, 70)).nextOffset).toBe(-1);
  });

  it('never hands out control records', () => {
    const data = Buffer.concat([batch(0, ['a']), marker(1, 5n, 'commit'), batch(2, ['b'])]);
    expect(drain(data, 0)).toEqual(['0:a', '2:b']);
  });

  it('hides the batches of aborted transactions under read_committed, and only those', () => {
    const txn = (offset: number, producerId: bigint, values: string[]) =>
      batch(offset, values, { isTransactional: true, producerId, producerEpoch: 0 });
    const data = Buffer.concat([
      txn(0, 7n, ['aborted-1']),
      txn(1, 8n, ['committed-1']),
      batch(2, ['plain']),
      txn(3, 7n, ['aborted-2']),
      marker(4, 7n, 'abort'),
      marker(5, 8n, 'commit'),
      txn(6, 7n, ['later-7']),
    ]);
    const aborted = [{ producerId: 7n, firstOffset: 0 }];
    expect(drain(data, 0, { abortedTransactions: aborted })).toEqual([
      '1:committed-1',
      '2:plain',
      '6:later-7',
    ]);
    expect(drain(data, 0)).toEqual(['0:aborted-1', '1:committed-1', '2:plain', '3:aborted-2', '6:later-7']);
  });

  it('reports a batch whose CRC does not match as CORRUPT_MESSAGE at its partition, unless CRC checks are off', () => {
    const data = batch(40, ['x', 'y']);
    data[data.length - 1] ^= 0xff;
    expect(() => drain(data, 40)).toThrow(
      /topics\/t\/partitions\/0: the record batch at offset 40 is invalid/,
    );
    try {
      drain(data, 40);
    } catch (error) {
      expect(KafkaError.isInstance(error) && error.errorName).toBe('CORRUPT_MESSAGE');
    }
    const flipped = batch(40, ['x', 'y']);
    flipped[BatchLayout.CRC] ^= 0xff;
    expect(drain(flipped, 40, { verifyCrc: false })).toEqual(['40:x', '41:y']);
  });

  it('gives LogAppendTime batches the broker time for every record, and keeps headers', () => {
    const data = encodeRecordBatch({
      baseOffset: 0n,
      timestampType: 'LogAppendTime',
      baseTimestamp: 5,
      records: [
        { value: 'a', timestamp: 5, headers: [{ key: 'h', value: 'v' }] },
        { value: 'b', timestamp: 9 },
      ],
    });
    const partition = new PartitionState('t', 0, { kind: 'positioned' });
    const fetch = new CompletedFetch(partition, data, data.length, 0, {
      verifyCrc: true,
      abortedTransactions: null,
      build: (offset, timestamp, _key, _value, headers) => ({
        offset,
        timestamp,
        headers: headers.map((h) => `${h.key}=${h.value}`),
      }),
    });
    expect([fetch.next(), fetch.next(), fetch.next()]).toEqual([
      { offset: 0, timestamp: 9, headers: ['h=v'] },
      { offset: 1, timestamp: 9, headers: [] },
      null,
    ]);
  });

  it('fails with CORRUPT_MESSAGE, and nothing else, on any damage to the bytes (CRC checks off)', () => {
    const original = Buffer.concat([
      batch(0, ['alpha', 'beta', 'gamma']),
      batch(3, ['delta', 'epsilon'], { compression: 'gzip' }),
    ]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: original.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (position, flip) => {
          const damaged = Buffer.from(original);
          damaged[position] ^= flip;
          const partition = new PartitionState('t', 0, { kind: 'positioned' });
          const { completeBytes } = nextOffsetAfter(damaged);
          const fetch = new CompletedFetch(partition, damaged, completeBytes, 0, {
            verifyCrc: false,
            abortedTransactions: null,
            build: (offset) => offset,
          });
          try {
            for (let i = 0; i < 100 && fetch.next() !== null; i++);
          } catch (error) {
            expect(KafkaError.isInstance(error) && error.errorName).toBe('CORRUPT_MESSAGE');
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
