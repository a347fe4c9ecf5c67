import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressionCodec } from './compression.js';
import { crc32c } from './crc32c.js';
import { DecodeError } from './decode-error.js';
import {
  decodeControlRecord,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeControlRecord,
  encodeRecordBatch,
  type KafkaRecord,
  type RecordBatchInput,
  type RecordInput,
} from './record-batch.js';
import { BatchLayout, type CompressionName, readRecordBatchHeader } from './record-batch-header.js';

const CODECS: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const T0 = 1_700_000_000_000;

function asBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** What decoding should give back for the records of `input`, compared as plain values. */
function expectedRecords(input: RecordBatchInput, baseOffset: number, baseTimestamp: number) {
  return input.records.map((record, i) => ({
    offset: baseOffset + i,
    offsetDelta: i,
    timestamp: record.timestamp ?? baseTimestamp,
    timestampDelta: (record.timestamp ?? baseTimestamp) - baseTimestamp,
    attributes: 0,
    key: asBuffer(record.key),
    value: asBuffer(record.value),
    headers: (record.headers ?? []).map((header) => ({ key: header.key, value: asBuffer(header.value) })),
  }));
}

function decodeErrorOf(action: () => unknown): DecodeError {
  try {
    action();
  } catch (error) {
    expect(DecodeError.isInstance(error), String(error)).toBe(true);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError, got a result');
}

/** Rewrites the CRC after the caller changed bytes inside it, so that only the change is tested. */
function withFreshCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch, BatchLayout.ATTRIBUTES), BatchLayout.CRC);
  return batch;
}

const sampleRecords: RecordInput[] = [
  { key: 'user-1', value: '{"clicks":1}', timestamp: T0 },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: T0 + 5 },
  { key: Buffer.alloc(0), value: null, timestamp: T0 - 3 },
  {
    key: 'ключ 🔑',
    value: 'value',
    headers: [
      { key: 'trace', value: 'abc' },
      { key: 'trace', value: Buffer.from('second value, same key') },
      { key: 'empty', value: '' },
      { key: 'none', value: null },
      { key: '', value: 'empty key' },
    ],
    timestamp: T0 + 1000,
  },
];

describe('record batch encode and decode', () => {
  for (const compression of CODECS) {
    it(`round-trips every header field and record with ${compression}`, () => {
      const input: RecordBatchInput = {
        records: sampleRecords,
        baseOffset: 5_000_000_000n,
        partitionLeaderEpoch: 42,
        compression,
        isTransactional: true,
        producerId: 123_456_789_012n,
        producerEpoch: 7,
        baseSequence: 1000,
      };
      const batch = decodeRecordBatch(encodeRecordBatch(input));
      expect(batch).toMatchObject({
        baseOffset: 5_000_000_000n,
        partitionLeaderEpoch: 42,
        magic: 2,
        compression,
        timestampType: 'CreateTime',
        isTransactional: true,
        isControl: false,
        producerId: 123_456_789_012n,
        producerEpoch: 7,
        baseSequence: 1000,
        recordCount: 4,
        lastOffsetDelta: 3,
        baseTimestamp: BigInt(T0),
        maxTimestamp: BigInt(T0 + 1000),
      });
      expect(batch.records).toEqual(expectedRecords(input, 5_000_000_000, T0));
    });
  }

  it('writes the defaults of a plain, non-idempotent producer', () => {
    const before = Date.now();
    const batch = decodeRecordBatch(encodeRecordBatch({ records: [{ value: 'v' }, { value: 'w' }] }));
    const after = Date.now();
    expect(batch).toMatchObject({
      baseOffset: 0n,
      partitionLeaderEpoch: -1,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      compression: 'none',
      timestampType: 'CreateTime',
      isTransactional: false,
      isControl: false,
      attributes: 0,
    });
    const timestamp = batch.records[0].timestamp;
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(batch.records[1].timestamp).toBe(timestamp);
    expect(batch.records[0].key).toBeNull();
    expect(batch.records[0].headers).toEqual([]);
  });

  it("takes the first record's timestamp as the base, with negative deltas for earlier records", () => {
    const batch = decodeRecordBatch(
      encodeRecordBatch({ records: [{ timestamp: T0 }, { timestamp: T0 - 60_000 }, { timestamp: T0 + 1 }] }),
    );
    expect(batch.baseTimestamp).toBe(BigInt(T0));
    expect(batch.maxTimestamp).toBe(BigInt(T0 + 1));
    expect(batch.records.map((record) => record.timestampDelta)).toEqual([0, -60_000, 1]);
    expect(batch.records.map((record) => record.timestamp)).toEqual([T0, T0 - 60_000, T0 + 1]);
  });

  it('gives records without a timestamp the batch base timestamp', () => {
    const batch = decodeRecordBatch(
      encodeRecordBatch({ baseTimestamp: T0, records: [{ value: 'a' }, { value: 'b', timestamp: T0 + 9 }] }),
    );
    expect(batch.records.map((record) => record.timestamp)).toEqual([T0, T0 + 9]);
  });

  it('stamps every record of a LogAppendTime batch with the batch max timestamp', () => {
    const encoded = encodeRecordBatch({
      timestampType: 'LogAppendTime',
      records: [{ timestamp: T0 }, { timestamp: T0 + 10 }],
    });
    // The broker sets maxTimestamp to its append time; base timestamp and deltas stay as produced.
    encoded.writeBigInt64BE(BigInt(T0 + 999), BatchLayout.MAX_TIMESTAMP);
    const batch = decodeRecordBatch(withFreshCrc(encoded));
    expect(batch.timestampType).toBe('LogAppendTime');
    expect(batch.records.map((record) => record.timestamp)).toEqual([T0 + 999, T0 + 999]);
    expect(batch.records.map((record) => record.timestampDelta)).toEqual([0, 10]);
  });

  it('returns keys and values of an uncompressed batch as views into the input, not copies', () => {
    const encoded = encodeRecordBatch({ records: [{ key: 'k', value: 'some value' }] });
    const [record] = decodeRecordBatch(encoded).records;
    expect(record.value!.buffer).toBe(encoded.buffer);
    encoded[encoded.length - 3] = 0x58; // the value's next-to-last byte (a header count follows it)
    expect(record.value!.toString()).toBe('some valXe');
  });

  it('keeps earlier compressed batches intact when the scratch space is reused', () => {
    const first = encodeRecordBatch({ compression: 'gzip', records: [{ value: 'first batch' }] });
    const second = encodeRecordBatch({ compression: 'gzip', records: [{ value: 'second batch, longer' }] });
    expect(decodeRecordBatch(first).records[0].value!.toString()).toBe('first batch');
    expect(decodeRecordBatch(second).records[0].value!.toString()).toBe('second batch, longer');
  });

  it('round-trips a batch larger than the pooled scratch space', () => {
    const value = Buffer.alloc(1024 * 1024, 'x');
    const records = Array.from({ length: 5 }, (_, i) => ({ key: String(i), value }));
    for (const compression of ['none', 'lz4'] as const) {
      const batch = decodeRecordBatch(encodeRecordBatch({ compression, records }));
      expect(batch.records.map((record) => record.key!.toString())).toEqual(['0', '1', '2', '3', '4']);
      expect(batch.records[4].value!.equals(value)).toBe(true);
    }
  });

  it('sizes the batch exactly: batchLength covers every byte after it', () => {
    for (const compression of CODECS) {
      const encoded = encodeRecordBatch({ compression, records: sampleRecords });
      expect(readRecordBatchHeader(encoded).sizeBytes).toBe(encoded.length);
    }
  });

  it('round-trips any records (property)', () => {
    const bytesOrString = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 30, unit: 'grapheme' }),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)),
    );
    const record = fc.record(
      {
        key: bytesOrString,
        value: bytesOrString,
        headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: bytesOrString }), {
          maxLength: 3,
        }),
        timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      },
      { requiredKeys: ['timestamp'] },
    );
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(...CODECS),
        fc.bigInt({ min: 0n, max: 2n ** 50n }),
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
        fc.integer({ min: -1, max: 32767 }),
        (records, compression, baseOffset, baseSequence, producerId, producerEpoch) => {
          const input = { records, compression, baseOffset, baseSequence, producerId, producerEpoch };
          const batch = decodeRecordBatch(encodeRecordBatch(input));
          expect(batch).toMatchObject({ baseOffset, baseSequence, producerId, producerEpoch, compression });
          const baseTimestamp = records[0].timestamp;
          expect(batch.records).toEqual(expectedRecords(input, Number(baseOffset), baseTimestamp));
          expect(batch.maxTimestamp).toBe(BigInt(Math.max(...records.map((r) => r.timestamp))));
        },
      ),
      { seed: 2, numRuns: 300 },
    );
  });

  it('refuses fields outside their wire range with a RangeError', () => {
    const records = [{ value: 'v' }];
    expect(() => encodeRecordBatch({ records: [] })).toThrow(/at least one record/);
    expect(() => encodeRecordBatch({ records, producerEpoch: 32768 })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records, baseSequence: 2 ** 31 })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records, partitionLeaderEpoch: 1.5 })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records, baseOffset: 2n ** 63n })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records: [{ timestamp: 2 ** 53 }] })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records, compression: 'brotli' as CompressionName })).toThrow(
      RangeError,
    );
  });
});

describe('control records', () => {
  it('round-trip commit and abort markers in a transactional control batch', () => {
    const commit = encodeControlRecord('commit', 17);
    const abort = encodeControlRecord('abort', -1);
    const batch = decodeRecordBatch(
      encodeRecordBatch({
        isControl: true,
        isTransactional: true,
        producerId: 9n,
        producerEpoch: 2,
        records: [commit, abort],
      }),
    );
    expect(batch.isControl).toBe(true);
    expect(batch.isTransactional).toBe(true);
    expect(batch.attributes & 0x30).toBe(0x30);
    expect(batch.records.map(decodeControlRecord)).toEqual([
      { type: 'commit', version: 0, coordinatorEpoch: 17 },
      { type: 'abort', version: 0, coordinatorEpoch: -1 },
    ]);
  });

  it('lay out key and value as Kafka does', () => {
    const { key, value } = encodeControlRecord('commit', 0x01020304);
    expect(key.toString('hex')).toBe('00000001');
    expect(value.toString('hex')).toBe('000001020304');
  });

  it('accept a control batch with no records', () => {
    const batch = decodeRecordBatch(encodeRecordBatch({ isControl: true, records: [], baseTimestamp: T0 }));
    expect(batch.records).toEqual([]);
    expect(batch.lastOffsetDelta).toBe(-1);
  });

  it('read later marker versions, ignoring fields they append', () => {
    const record = { key: Buffer.from('00000000', 'hex'), value: Buffer.from('0001000000050000', 'hex') };
    expect(decodeControlRecord(record as KafkaRecord)).toEqual({
      type: 'abort',
      version: 1,
      coordinatorEpoch: 5,
    });
  });

  it('refuse what is not a transaction marker with a DecodeError', () => {
    const valid = encodeControlRecord('commit', 1);
    const cases = [
      { key: null, value: valid.value },
      { key: Buffer.from('000000', 'hex'), value: valid.value },
      { key: Buffer.from('00000002', 'hex'), value: valid.value }, // leader change, not a marker
      { key: Buffer.from('ffff0001', 'hex'), value: valid.value },
      { key: valid.key, value: null },
      { key: valid.key, value: Buffer.from('0000000000', 'hex') },
    ];
    for (const record of cases) decodeErrorOf(() => decodeControlRecord(record as KafkaRecord));
  });
});

describe('decodeRecordBatches', () => {
  const batches = CODECS.map((compression, i) =>
    encodeRecordBatch({ compression, baseOffset: BigInt(i * 10), records: [{ value: compression }] }),
  );
  const joined = Buffer.concat(batches);

  it('decodes every batch in a buffer, in order', () => {
    const decoded = decodeRecordBatches(joined);
    expect(decoded.map((batch) => batch.records[0].value!.toString())).toEqual(CODECS);
    expect(decoded.map((batch) => batch.records[0].offset)).toEqual([0, 10, 20, 30, 40]);
  });

  it('skips a truncated last batch, wherever it is cut', () => {
    const lastStart = joined.length - batches[4].length;
    for (let cut = lastStart; cut < joined.length; cut++) {
      expect(decodeRecordBatches(joined.subarray(0, cut))).toHaveLength(4);
    }
    expect(decodeRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('throws for a corrupt batch before the end', () => {
    const corrupted = Buffer.from(joined);
    corrupted[batches[0].length + BatchLayout.RECORDS + 3] ^= 0x40;
    expect(decodeErrorOf(() => decodeRecordBatches(corrupted)).message).toMatch(/CRC/);
  });
});

describe('decoding malformed batches', () => {
  const good = () => encodeRecordBatch({ records: sampleRecords, baseTimestamp: T0 });

  it('refuses a magic other than 2', () => {
    const batch = good();
    batch[BatchLayout.MAGIC] = 1;
    expect(decodeErrorOf(() => decodeRecordBatch(batch)).message).toMatch(/magic 1/);
  });

  it('refuses a wrong CRC, unless asked not to check it', () => {
    const batch = good();
    const valueStart = batch.indexOf('{"clicks":1}');
    batch[valueStart + 2] = 0x43; // "C"
    expect(decodeErrorOf(() => decodeRecordBatch(batch)).message).toMatch(/CRC-32C/);
    const unchecked = decodeRecordBatch(batch, 0, { verifyCrc: false });
    expect(unchecked.records[0].value!.toString()).toBe('{"Clicks":1}');
  });

  it('refuses a batch that runs past the end of the buffer', () => {
    const batch = good();
    decodeErrorOf(() => decodeRecordBatch(batch.subarray(0, batch.length - 1)));
    decodeErrorOf(() => decodeRecordBatch(batch, 1));
  });

  it('refuses a record count that does not match the records', () => {
    for (const recordCount of [3, 5, -1, 2 ** 31 - 1]) {
      const batch = good();
      batch.writeInt32BE(recordCount, BatchLayout.RECORD_COUNT);
      decodeErrorOf(() => decodeRecordBatch(withFreshCrc(batch)));
    }
  });

  it('refuses an unknown compression type', () => {
    const batch = good();
    batch.writeInt16BE(6, BatchLayout.ATTRIBUTES);
    expect(decodeErrorOf(() => decodeRecordBatch(withFreshCrc(batch))).message).toMatch(/compression type 6/);
  });

  it('refuses compressed records that do not decompress', () => {
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = encodeRecordBatch({ compression, records: sampleRecords });
      batch.fill(0x11, BatchLayout.RECORDS, BatchLayout.RECORDS + 8);
      decodeErrorOf(() => decodeRecordBatch(withFreshCrc(batch)));
    }
  });

  it('refuses a batch that would decompress past maxUncompressedBytes (a decompression bomb)', () => {
    const records = Array.from({ length: 64 }, () => ({ value: Buffer.alloc(64 * 1024) }));
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const batch = encodeRecordBatch({ compression, records });
      expect(decodeRecordBatch(batch).records).toHaveLength(64);
      const error = decodeErrorOf(() => decodeRecordBatch(batch, 0, { maxUncompressedBytes: 1024 * 1024 }));
      expect(error.message).toMatch(/limit of 1048576 bytes/);
    }
  });

  it('refuses bytes left over after the last record', () => {
    const records = encodeRecordBatch({ records: [{ value: 'v' }] }).subarray(BatchLayout.RECORDS);
    const compressed = compressionCodec('gzip').compress(Buffer.concat([records, Buffer.from([0])]));
    const batch = encodeRecordBatch({ compression: 'gzip', records: [{ value: 'v' }] });
    const rebuilt = Buffer.concat([batch.subarray(0, BatchLayout.RECORDS), compressed]);
    rebuilt.writeInt32BE(rebuilt.length - 12, BatchLayout.BATCH_LENGTH);
    expect(decodeErrorOf(() => decodeRecordBatch(withFreshCrc(rebuilt))).message).toMatch(/after the last/);
  });

  it('refuses a record whose length disagrees with its fields', () => {
    const batch = encodeRecordBatch({ records: [{ value: 'v' }, { value: 'w' }] });
    batch[BatchLayout.RECORDS] += 2; // the first record's length varint: 2 more bytes than it has
    decodeErrorOf(() => decodeRecordBatch(withFreshCrc(batch)));
  });

  it('refuses a base offset beyond 2^53, which records could not express as numbers', () => {
    const batch = good();
    batch.writeBigInt64BE(2n ** 60n, BatchLayout.BASE_OFFSET);
    expect(decodeErrorOf(() => decodeRecordBatch(batch)).message).toMatch(/2\^53/);
  });

  const validBatches = CODECS.map((compression) =>
    encodeRecordBatch({ compression, records: sampleRecords, producerId: 1n }),
  );

  it('fails with a DecodeError and nothing else, on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, verifyCrc) => {
        const buffer = Buffer.from(bytes);
        if (buffer.length >= 17) buffer[16] = 2; // reach past the magic check more often
        for (const decode of [
          () => decodeRecordBatch(buffer, 0, { verifyCrc }),
          () => decodeRecordBatches(buffer),
        ]) {
          try {
            decode();
          } catch (error) {
            expect(DecodeError.isInstance(error), String(error)).toBe(true);
          }
        }
      }),
      { seed: 61, numRuns: 5000 },
    );
  });

  it('fails with a DecodeError and nothing else, on mutated valid batches of every compression', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...validBatches),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        (valid, flips, cut, verifyCrc) => {
          const mutated = Buffer.from(valid);
          for (const [position, mask] of flips) mutated[position % mutated.length] ^= mask;
          const truncated = cut % 3 === 0 ? mutated.subarray(0, cut % mutated.length) : mutated;
          try {
            const batch = decodeRecordBatch(truncated, 0, { verifyCrc, maxUncompressedBytes: 100_000 });
            expect(batch.records.length).toBe(batch.recordCount);
          } catch (error) {
            expect(DecodeError.isInstance(error), String(error)).toBe(true);
          }
        },
      ),
      { seed: 62, numRuns: 10_000 },
    );
  });
});
