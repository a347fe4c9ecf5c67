import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchLayout,
  type CompressionName,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordBatchInput,
  type RecordInput,
} from '../../src/index.js';

/**
 * Slow suite: kafkajs 2.2.4, an independent implementation, reads the batches Sluice writes with its own
 * record batch decoder (kafkajs/src/protocol/recordBatch/v0/decoder), and Sluice reads the batches kafkajs
 * writes with its encoder. kafkajs has only gzip built in; snappy, lz4 and zstd are plugged into its
 * CompressionCodecs from the npm packages directly (not through Sluice's codecs), so the decompression
 * on the kafkajs side is not Sluice's own code either.
 */

const require = createRequire(import.meta.url);

interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
}
interface KafkajsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  timestampType: number;
  records: KafkajsDecodedRecord[];
}
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<KafkajsDecodedBatch>;
const { RecordBatch: encodeKafkajsBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const encodeKafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: Record<string, unknown>,
) => unknown;
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: string | number | bigint): unknown };
const { CompressionTypes, CompressionCodecs } = require('kafkajs') as {
  CompressionTypes: Record<'None' | 'GZIP' | 'Snappy' | 'LZ4' | 'ZSTD', number>;
  CompressionCodecs: Record<number, () => KafkajsCodec>;
};

const snappy = require('snappy') as {
  compressSync(data: Buffer): Buffer;
  uncompressSync(data: Buffer, options: { asBuffer: true }): Buffer;
};
const lz4 = require('lz4-napi') as {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
};
const zstd = require('zstd-napi') as { compress(data: Buffer): Buffer; decompress(data: Buffer): Buffer };

/** snappy-java's framing, read the way kafkajs-snappy does: a 16-byte header, then length-prefixed blocks. */
function unframeXerialSnappy(buffer: Buffer): Buffer {
  if (buffer.subarray(0, 8).toString('hex') !== '82534e4150505900') {
    return snappy.uncompressSync(buffer, { asBuffer: true });
  }
  const blocks: Buffer[] = [];
  for (let position = 16; position < buffer.length; ) {
    const length = buffer.readInt32BE(position);
    blocks.push(
      snappy.uncompressSync(buffer.subarray(position + 4, position + 4 + length), { asBuffer: true }),
    );
    position += 4 + length;
  }
  return Buffer.concat(blocks);
}

const PLUGGED_CODECS: Record<number, KafkajsCodec> = {
  [CompressionTypes.Snappy]: {
    compress: async (encoder) => snappy.compressSync(encoder.buffer),
    decompress: async (buffer) => unframeXerialSnappy(buffer),
  },
  [CompressionTypes.LZ4]: {
    compress: async (encoder) => lz4.compressFrameSync(encoder.buffer),
    decompress: async (buffer) => lz4.decompressFrameSync(buffer),
  },
  [CompressionTypes.ZSTD]: {
    compress: async (encoder) => zstd.compress(encoder.buffer),
    decompress: async (buffer) => zstd.decompress(buffer),
  },
};

/** Plugs PLUGGED_CODECS into kafkajs for the enclosing suite, and puts its own back afterwards. */
function pluggedCodecsDuringSuite(): void {
  const saved = new Map<number, () => KafkajsCodec>();
  beforeAll(() => {
    for (const [type, codec] of Object.entries(PLUGGED_CODECS)) {
      saved.set(Number(type), CompressionCodecs[Number(type)]);
      CompressionCodecs[Number(type)] = () => codec;
    }
  });
  afterAll(() => {
    for (const [type, codec] of saved) CompressionCodecs[type] = codec;
  });
}

const KAFKAJS_TYPES: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
const CODECS = Object.keys(KAFKAJS_TYPES) as CompressionName[];

function asBuffer(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Headers the way kafkajs returns them: one key, one value; a repeated key, an array of its values. */
function kafkajsHeaders(headers: RecordInput['headers'] = []): KafkajsDecodedRecord['headers'] {
  const out: KafkajsDecodedRecord['headers'] = {};
  for (const { key, value } of headers) {
    const existing = out[key];
    const buffer = asBuffer(value);
    if (existing === undefined) out[key] = buffer;
    else out[key] = Array.isArray(existing) ? [...existing, buffer] : [existing, buffer];
  }
  return out;
}

async function decodeWithKafkajs(batch: Buffer): Promise<KafkajsDecodedBatch> {
  return decodeKafkajsBatch(new KafkajsDecoder(batch));
}

/** Checks that kafkajs reads back from `encoded` exactly what `input` asked for. */
async function expectKafkajsReads(input: RecordBatchInput, encoded: Buffer): Promise<void> {
  const decoded = await decodeWithKafkajs(encoded);
  const baseOffset = input.baseOffset ?? 0n;
  const baseTimestamp = input.baseTimestamp ?? input.records[0].timestamp!;
  const timestamps = input.records.map((record) => record.timestamp ?? baseTimestamp);
  expect(decoded).toMatchObject({
    firstOffset: String(baseOffset),
    firstTimestamp: String(baseTimestamp),
    maxTimestamp: String(Math.max(...timestamps)),
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    inTransaction: input.isTransactional ?? false,
    isControlBatch: input.isControl ?? false,
    lastOffsetDelta: input.records.length - 1,
    producerId: String(input.producerId ?? -1n),
    producerEpoch: input.producerEpoch ?? -1,
    firstSequence: input.baseSequence ?? -1,
    timestampType: 0,
  });
  expect(decoded.records).toHaveLength(input.records.length);
  input.records.forEach((record, i) => {
    const actual = decoded.records[i];
    expect(actual.offset).toBe(String(baseOffset + BigInt(i)));
    expect(actual.timestamp).toBe(String(timestamps[i]));
    expect(actual.key).toEqual(asBuffer(record.key));
    expect(actual.value).toEqual(asBuffer(record.value));
    expect(actual.headers).toEqual(kafkajsHeaders(record.headers));
  });
}

const T0 = 1_700_000_000_000;
const richRecords: RecordInput[] = [
  { key: 'order-17', value: JSON.stringify({ id: 17, total: 99.5 }), timestamp: T0 },
  { key: null, value: Buffer.from([0, 255, 1, 254, 0x80]), timestamp: T0 + 250 },
  { key: Buffer.alloc(0), value: null, timestamp: T0 - 1000 },
  {
    key: 'utf-8: żółw 🐢',
    value: 'x'.repeat(5000),
    headers: [
      { key: 'trace-id', value: 'a1b2' },
      { key: 'trace-id', value: 'c3d4' },
      { key: 'binary', value: Buffer.from([1, 2, 3]) },
      { key: 'null', value: null },
    ],
    timestamp: T0 + 60_000,
  },
];

describe('kafkajs reads record batches that Sluice encodes', () => {
  pluggedCodecsDuringSuite();

  for (const compression of CODECS) {
    it(`decodes keys, values, headers, timestamps, offsets and producer fields (${compression})`, async () => {
      const input: RecordBatchInput = {
        records: richRecords,
        compression,
        baseOffset: 9_007_199_254_000n,
        partitionLeaderEpoch: 12,
        isTransactional: true,
        producerId: 8_000_000_001n,
        producerEpoch: 4,
        baseSequence: 77,
      };
      await expectKafkajsReads(input, encodeRecordBatch(input));
    });

    it(`decodes a batch of many records spanning several compression blocks (${compression})`, async () => {
      const records = Array.from({ length: 3000 }, (_, i) => ({
        key: `key-${i % 97}`,
        value: `value ${i} `.repeat(1 + (i % 20)),
        timestamp: T0 + i,
      }));
      const input: RecordBatchInput = {
        records,
        compression,
        producerId: 5n,
        producerEpoch: 0,
        baseSequence: 0,
      };
      await expectKafkajsReads(input, encodeRecordBatch(input));
    });
  }

  it('marks control batches as kafkajs expects', async () => {
    const decoded = await decodeWithKafkajs(
      encodeRecordBatch({
        isControl: true,
        isTransactional: true,
        producerId: 3n,
        records: [
          { key: Buffer.from('00000001', 'hex'), value: Buffer.from('000000000005', 'hex'), timestamp: T0 },
        ],
      }),
    );
    expect(decoded.isControlBatch).toBe(true);
    expect(decoded.inTransaction).toBe(true);
    expect(decoded.records[0].isControlRecord).toBe(true);
  });

  it('agrees with kafkajs on the CRC-32C of every batch', () => {
    for (const compression of CODECS) {
      const encoded = encodeRecordBatch({ records: richRecords, compression });
      expect(encoded.readUInt32BE(BatchLayout.CRC)).toBe(
        kafkajsCrc32c(encoded.subarray(BatchLayout.ATTRIBUTES)),
      );
    }
  });

  it('round-trips any records through kafkajs (property)', async () => {
    const bytes = fc.oneof(
      fc.constant(null),
      fc.string({ maxLength: 40, unit: 'grapheme' }),
      fc.uint8Array({ maxLength: 80 }).map((array) => Buffer.from(array)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: bytes,
            value: bytes,
            headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytes }), {
              maxLength: 3,
            }),
            timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.constantFrom(...CODECS),
        fc.bigInt({ min: 0n, max: 2n ** 52n }),
        async (records, compression, baseOffset) => {
          const input: RecordBatchInput = { records, compression, baseOffset };
          await expectKafkajsReads(input, encodeRecordBatch(input));
        },
      ),
      { seed: 2024, numRuns: 200 },
    );
  });
});

describe('Sluice reads record batches that kafkajs encodes', () => {
  pluggedCodecsDuringSuite();

  for (const compression of CODECS) {
    it(`decodes what kafkajs's RecordBatch encoder writes (${compression}, snappy raw)`, async () => {
      const messages = Array.from({ length: 500 }, (_, i) => ({
        key: i % 5 === 0 ? null : Buffer.from(`k${i}`),
        value: Buffer.from(`message number ${i} `.repeat(1 + (i % 7))),
        headers: i % 3 === 0 ? { source: Buffer.from('kafkajs'), attempt: Buffer.from(String(i)) } : {},
        timestampDelta: i * 3,
      }));
      const encoded = await encodeKafkajsBatch({
        compression: KAFKAJS_TYPES[compression],
        firstOffset: Long.fromValue(100),
        firstTimestamp: T0,
        maxTimestamp: T0 + 3 * 499,
        partitionLeaderEpoch: 2,
        lastOffsetDelta: 499,
        transactional: true,
        producerId: Long.fromValue(66),
        producerEpoch: 1,
        firstSequence: 10,
        records: messages.map((message, i) => encodeKafkajsRecord({ ...message, offsetDelta: i })),
      });
      const batch = decodeRecordBatch(encoded.buffer);
      expect(batch).toMatchObject({
        baseOffset: 100n,
        compression,
        partitionLeaderEpoch: 2,
        isTransactional: true,
        producerId: 66n,
        producerEpoch: 1,
        baseSequence: 10,
        lastOffsetDelta: 499,
        maxTimestamp: BigInt(T0 + 3 * 499),
      });
      expect(batch.sizeBytes).toBe(encoded.buffer.length);
      expect(
        batch.records.map((record) => ({
          offset: record.offset,
          timestamp: record.timestamp,
          key: record.key,
          value: record.value,
          headers: Object.fromEntries(record.headers.map((header) => [header.key, header.value])),
        })),
      ).toEqual(
        messages.map((message, i) => ({
          offset: 100 + i,
          timestamp: T0 + message.timestampDelta,
          key: message.key,
          value: message.value,
          headers: message.headers,
        })),
      );
    });
  }
});
