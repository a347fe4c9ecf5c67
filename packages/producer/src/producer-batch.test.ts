import { type CompressionName, decodeRecordBatch, isBatchCrcValid } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import {
  fieldBytes,
  headersBytes,
  maxRecordBytes,
  ProducerBatch,
  type RecordHeaderInput,
  type RecordMetadata,
  type SendOperation,
} from './producer-batch.js';

function operation(count: number): SendOperation & { outcome: Promise<RecordMetadata[]> } {
  let resolve!: (results: RecordMetadata[]) => void;
  let reject!: (error: Error) => void;
  const outcome = new Promise<RecordMetadata[]>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { results: new Array(count), remainingSegments: 0, settled: false, resolve, reject, outcome };
}

function append(
  batch: ProducerBatch,
  op: SendOperation,
  index: number,
  record: {
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: RecordHeaderInput[];
    timestampMs: number;
  },
): boolean {
  const headers = record.headers ?? null;
  return batch.tryAppend(
    record.timestampMs,
    record.key,
    fieldBytes(record.key),
    record.value,
    fieldBytes(record.value),
    headers,
    headersBytes(headers),
    op,
    index,
  );
}

describe('ProducerBatch', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
    it(`writes records that decode back exactly (${compression})`, () => {
      const batch = new ProducerBatch('t', 0, Buffer.alloc(16_384), 0);
      const op = operation(4);
      const records = [
        { key: 'k1', value: 'v1', timestampMs: 1_700_000_000_000 },
        { key: null, value: Buffer.from([0, 1, 2, 255]), timestampMs: 1_699_999_999_000 },
        {
          key: Buffer.from('k3'),
          value: null,
          headers: [
            { key: 'h', value: 'x' },
            { key: 'n', value: null },
          ],
          timestampMs: 1_700_000_000_500,
        },
        { key: 'ünïcødé', value: '🚀'.repeat(10), timestampMs: 1_700_000_000_001 },
      ];
      for (const [i, record] of records.entries()) expect(append(batch, op, i, record)).toBe(true);
      batch.close(compression);
      batch.stamp(4000n, 3, 17);
      const wire = batch.wire!;
      expect(isBatchCrcValid(wire, 0, wire.length)).toBe(true);
      const decoded = decodeRecordBatch(wire);
      expect(decoded.compression).toBe(compression);
      expect(decoded.producerId).toBe(4000n);
      expect(decoded.producerEpoch).toBe(3);
      expect(decoded.baseSequence).toBe(17);
      expect(decoded.maxTimestamp).toBe(1_700_000_000_500n);
      expect(
        decoded.records.map((record) => ({
          key: record.key === null ? null : record.key.toString('utf8'),
          value: record.value,
          headers: record.headers.map((header) => [header.key, header.value?.toString() ?? null]),
          timestamp: record.timestamp,
          offset: record.offset,
        })),
      ).toEqual(
        records.map((record, i) => ({
          key: record.key === null ? null : record.key.toString(),
          value: record.value === null ? null : Buffer.from(record.value),
          headers: (record.headers ?? []).map((header) => [header.key, header.value]),
          timestamp: record.timestampMs,
          offset: i,
        })),
      );
    });
  }

  it('refuses a record that does not fit, and re-stamps a new producer id with a valid CRC', () => {
    const batch = new ProducerBatch('t', 0, Buffer.alloc(200), 0);
    const op = operation(10);
    let appended = 0;
    while (append(batch, op, appended, { key: null, value: 'x'.repeat(40), timestampMs: 1 })) appended++;
    expect(appended).toBe(2);
    expect(batch.sizeBytes).toBeLessThanOrEqual(200);
    batch.close('none');
    batch.stamp(1n, 0, 0);
    batch.stamp(2n, 0, 0);
    expect(isBatchCrcValid(batch.wire!, 0, batch.wire!.length)).toBe(true);
    expect(decodeRecordBatch(batch.wire!).producerId).toBe(2n);
  });

  it('sizes a record within its upper bound whatever its deltas', () => {
    const bound = maxRecordBytes(fieldBytes('key'), fieldBytes('v'.repeat(500)), headersBytes(null));
    const batch = new ProducerBatch('t', 0, Buffer.alloc(61 + bound), 0);
    const op = operation(1);
    expect(
      append(batch, op, 0, { key: 'key', value: 'v'.repeat(500), timestampMs: Number.MAX_SAFE_INTEGER }),
    ).toBe(true);
  });

  it('resolves each send with its records offsets once the batch is acknowledged', async () => {
    const batch = new ProducerBatch('orders', 3, Buffer.alloc(4_096), 0);
    const first = operation(2);
    const second = operation(3);
    append(batch, first, 0, { key: null, value: 'a', timestampMs: 1 });
    append(batch, second, 0, { key: null, value: 'b', timestampMs: 1 });
    append(batch, second, 1, { key: null, value: 'c', timestampMs: 1 });
    append(batch, first, 1, { key: null, value: 'd', timestampMs: 1 });
    append(batch, second, 2, { key: null, value: 'e', timestampMs: 1 });
    batch.close('none');
    batch.complete(100);
    expect(await first.outcome).toEqual([
      { topic: 'orders', partition: 3, offset: 100 },
      { topic: 'orders', partition: 3, offset: 103 },
    ]);
    expect((await second.outcome).map((result) => result.offset)).toEqual([101, 102, 104]);
  });
});
