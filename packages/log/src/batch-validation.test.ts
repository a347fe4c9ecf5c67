import { type NativeSplit, nativeValidateBatch, setNativeSplit } from '@sluice/native';
import {
  CorruptMessageError,
  InvalidRecordError,
  InvalidTimestampError,
  MessageTooLargeError,
} from '@sluice/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BASE_TIMESTAMP,
  encodeBatch,
  pushVarint,
  pushVarlong,
  resealBatch,
  simpleBatch,
} from '../test/record-batch-builder.js';
import {
  batchValidationImplementation,
  validateFollowerBatch,
  validateLeaderBatch,
} from './batch-validation.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';

const NOW = BASE_TIMESTAMP + 1000;

function validate(
  batch: Buffer,
  config: Partial<LogConfig> = {},
  requireKeys = false,
  fused = nativeValidateBatch,
): number {
  return validateLeaderBatch(batch, 0, 0, { ...DEFAULT_LOG_CONFIG, ...config }, NOW, requireKeys, fused);
}

describe('leader batch validation', () => {
  it('accepts a well-formed batch and returns its size', () => {
    const batch = simpleBatch(5);
    expect(validate(batch)).toBe(batch.length);
  });

  it('refuses a flipped byte with CORRUPT_MESSAGE naming the CRC', () => {
    const batch = simpleBatch(5);
    batch[batch.length - 3] ^= 0x01;
    expect(() => validate(batch)).toThrow(CorruptMessageError);
    expect(() => validate(batch)).toThrow(/CRC-32C mismatch, header has \d+, bytes give \d+/);
  });

  it('refuses a batch cut short or with a length shorter than its header', () => {
    const batch = simpleBatch(5);
    expect(() => validate(batch.subarray(0, batch.length - 1))).toThrow(
      /declares \d+ bytes but only \d+ remain/,
    );
    expect(() => validate(batch.subarray(0, 40))).toThrow(/a batch header needs 61/);
    const short = Buffer.from(batch);
    short.writeInt32BE(10, 8);
    expect(() => validate(short)).toThrow(CorruptMessageError);
  });

  it('refuses another magic with INVALID_RECORD', () => {
    const batch = simpleBatch(1);
    batch.writeInt8(1, 16);
    expect(() => validate(batch)).toThrow(InvalidRecordError);
    expect(() => validate(batch)).toThrow(/magic is 1/);
  });

  it('refuses a batch over max.message.bytes with MESSAGE_TOO_LARGE', () => {
    const batch = simpleBatch(10, { valueBytes: 100 });
    expect(() => validate(batch, { maxMessageBytes: batch.length - 1 })).toThrow(MessageTooLargeError);
    expect(validate(batch, { maxMessageBytes: batch.length })).toBe(batch.length);
  });

  it('refuses a record count that disagrees with lastOffsetDelta, or no records', () => {
    expect(() => validate(encodeBatch({ records: [{}, {}], recordCount: 3 }))).toThrow(InvalidRecordError);
    expect(() => validate(encodeBatch({ records: [{}, {}], lastOffsetDelta: 5 }))).toThrow(
      /lastOffsetDelta 5 does not match recordCount 2/,
    );
    expect(() => validate(encodeBatch({ records: [], recordCount: 0, lastOffsetDelta: -1 }))).toThrow(
      /at least one record/,
    );
  });

  it('refuses records whose offset deltas are not 0, 1, 2, ...', () => {
    const batch = encodeBatch({ records: [{ offsetDelta: 0 }, { offsetDelta: 2 }, { offsetDelta: 2 }] });
    expect(() => validate(batch)).toThrow(/record 1: offset delta is 2, expected 1/);
  });

  it('refuses records whose lengths do not fit the batch', () => {
    const batch = simpleBatch(3);
    // first record's length varint (zigzag): make it claim far more bytes than the batch has
    batch[61] = 0xfe;
    batch[62] = 0x7f;
    resealBatch(batch);
    expect(() => validate(batch)).toThrow(CorruptMessageError);
    // extra bytes after the declared records
    const padded = encodeBatch({
      records: [{}],
      rawRecords: Buffer.concat([simpleBatch(1).subarray(61), Buffer.from([0])]),
    });
    expect(() => validate(padded)).toThrow(/bytes follow the last of the 1 records/);
  });

  it('checks only the header of a compressed batch', () => {
    const garbage = Buffer.from('not really gzip but the log does not decompress');
    const batch = encodeBatch({ records: [{}, {}, {}], rawRecords: garbage, attributes: 1 });
    expect(validate(batch)).toBe(batch.length);
  });

  it('requires keys on a compacted topic', () => {
    const keyless = encodeBatch({ records: [{ key: null }] });
    expect(() => validate(keyless, {}, true)).toThrow(/compacted topic cannot accept a record without a key/);
    expect(validate(simpleBatch(2), {}, true)).toBeGreaterThan(0);
  });

  it('refuses control batches and idempotent batches without a sequence', () => {
    expect(() => validate(encodeBatch({ records: [{}], attributes: 0x20 }))).toThrow(/control batches/);
    expect(() =>
      validate(encodeBatch({ records: [{}], producerId: 5, producerEpoch: 0, baseSequence: -1 })),
    ).toThrow(/baseSequence -1 is invalid for idempotent producer 5/);
  });

  it('checks CreateTime timestamps against message.timestamp.before/after.max.ms', () => {
    const config = { messageTimestampBeforeMaxMs: 5000, messageTimestampAfterMaxMs: 100 };
    expect(validate(encodeBatch({ records: [{}], baseTimestamp: NOW - 5000 }), config)).toBeGreaterThan(0);
    expect(() => validate(encodeBatch({ records: [{}], baseTimestamp: NOW - 5001 }), config)).toThrow(
      InvalidTimestampError,
    );
    expect(() =>
      validate(encodeBatch({ records: [{}], baseTimestamp: NOW, maxTimestamp: NOW + 101 }), config),
    ).toThrow(/maxTimestamp \d+ is outside/);
    // -1 means "no timestamp" and is accepted, as in Kafka
    expect(
      validate(encodeBatch({ records: [{}], baseTimestamp: -1, maxTimestamp: -1 }), config),
    ).toBeGreaterThan(0);
    // a producer may not claim LogAppendTime
    expect(() => validate(encodeBatch({ records: [{}], attributes: 0x08 }))).toThrow(InvalidTimestampError);
  });

  it('does not check producer timestamps on a LogAppendTime topic', () => {
    const config: Partial<LogConfig> = {
      messageTimestampType: 'LogAppendTime',
      messageTimestampBeforeMaxMs: 1,
    };
    expect(
      validate(encodeBatch({ records: [{}], baseTimestamp: 0, maxTimestamp: 0 }), config),
    ).toBeGreaterThan(0);
  });

  it('walks record headers and null values', () => {
    const batch = encodeBatch({
      records: [
        {
          key: Buffer.from('k'),
          value: null,
          headers: [
            { key: 'h', value: Buffer.from('v') },
            { key: 'n', value: null },
          ],
        },
        { key: Buffer.from('k2'), value: Buffer.alloc(300) },
      ],
    });
    expect(validate(batch)).toBe(batch.length);
  });

  it('decodes multi-byte varints: many records, a value over 2 MiB, negative timestamp deltas', () => {
    const many = encodeBatch({ records: Array.from({ length: 9000 }, () => ({ value: Buffer.alloc(1) })) });
    expect(validate(many)).toBe(many.length);
    const big = encodeBatch({
      records: [{ value: Buffer.alloc(2_200_000) }, { timestampDelta: -5 }],
      maxTimestamp: BASE_TIMESTAMP,
    });
    expect(validate(big, { maxMessageBytes: 3_000_000 })).toBe(big.length);
    const wrongDelta = encodeBatch({
      records: Array.from({ length: 300 }, (_, i) => ({ offsetDelta: i === 200 ? 201 : i })),
    });
    expect(() => validate(wrongDelta)).toThrow(/record 200: offset delta is 201, expected 200/);
  });

  it('accepts varint-heavy records with large timestamp deltas', () => {
    const body: number[] = [0];
    pushVarlong(body, 2 ** 40);
    pushVarint(body, 0);
    pushVarint(body, -1);
    pushVarint(body, -1);
    pushVarint(body, 0);
    const length: number[] = [];
    pushVarint(length, body.length);
    const batch = encodeBatch({
      records: [{}],
      rawRecords: Buffer.from([...length, ...body]),
      maxTimestamp: BASE_TIMESTAMP,
    });
    expect(validate(batch)).toBe(batch.length);
  });
});

describe('follower batch validation', () => {
  it('checks the frame and CRC but not producer rules or max.message.bytes', () => {
    const batch = encodeBatch({ records: [{}], attributes: 0x20 });
    expect(validateFollowerBatch(batch, 0, 0)).toBe(batch.length);
    batch[70] ^= 1;
    expect(() => validateFollowerBatch(batch, 0, 0)).toThrow(CorruptMessageError);
  });
});

/** What a validation did: the size it returned, or the Kafka error it threw. */
function outcome(run: () => number): { size: number } | { error: string; message: string } {
  try {
    return { size: run() };
  } catch (error) {
    const { name, message } = error as Error;
    return { error: name, message };
  }
}

/** Batches that pass, and batches that fail each check, in ways that the fused pass could reorder. */
function leaderCases(): { name: string; batch: Buffer; requireKeys?: boolean }[] {
  const cases: { name: string; batch: Buffer; requireKeys?: boolean }[] = [
    { name: 'a valid batch', batch: simpleBatch(40, { valueBytes: 100 }) },
    {
      name: 'a compressed batch of garbage',
      batch: encodeBatch({ records: [{}, {}], rawRecords: Buffer.from('zz'), attributes: 2 }),
    },
    {
      name: 'a keyless record on a compacted topic',
      batch: encodeBatch({ records: [{}, { key: null }] }),
      requireKeys: true,
    },
    {
      name: 'an offset delta out of sequence',
      batch: encodeBatch({ records: [{}, { offsetDelta: 5 }, {}] }),
    },
    {
      name: 'a control batch with malformed records',
      batch: encodeBatch({ records: [{}], attributes: 0x20, rawRecords: Buffer.from([0xff, 0xff]) }),
    },
    {
      name: 'a record count that disagrees, with malformed records',
      batch: encodeBatch({ records: [{}], recordCount: 3, rawRecords: Buffer.from([3]) }),
    },
    {
      name: 'trailing bytes',
      batch: encodeBatch({
        records: [{}],
        rawRecords: Buffer.concat([simpleBatch(1).subarray(61), Buffer.from([1, 2])]),
      }),
    },
  ];
  const lengthOverrun = simpleBatch(3);
  lengthOverrun[61] = 0x7e;
  resealBatch(lengthOverrun);
  cases.push({ name: 'a record longer than the batch', batch: lengthOverrun });
  const corruptAndMalformed = Buffer.from(lengthOverrun);
  corruptAndMalformed[70] ^= 0x40;
  cases.push({ name: 'a CRC mismatch on malformed records', batch: corruptAndMalformed });
  const timestampAndMalformed = encodeBatch({
    records: [{}],
    baseTimestamp: NOW + 3_600_000,
    rawRecords: Buffer.from([3]),
  });
  cases.push({ name: 'a timestamp out of range, with malformed records', batch: timestampAndMalformed });
  // Large enough to be split between two threads, with the problem in the second part.
  const large = simpleBatch(6000, { valueBytes: 100 });
  cases.push({ name: 'a valid batch of 700 kB', batch: large });
  const largeBroken = encodeBatch({
    records: Array.from({ length: 6000 }, (_, i) => ({
      value: Buffer.alloc(100, i),
      offsetDelta: i === 5000 ? 4 : i,
    })),
  });
  cases.push({
    name: 'a batch of 700 kB with an offset delta out of sequence late in it',
    batch: largeBroken,
  });
  return cases;
}

describe('fused and separate leader validation', () => {
  afterEach(() => setNativeSplit('never'));

  it('runs fused when @sluice/native loaded', () => {
    expect(batchValidationImplementation).toBe(nativeValidateBatch === null ? 'separate' : 'fused');
  });

  for (const split of ['never', 'when-free', 'always'] as NativeSplit[]) {
    it.runIf(nativeValidateBatch !== null)(
      `returns the same size or throws the same Kafka error either way (split ${split})`,
      () => {
        setNativeSplit(split);
        const config = {
          ...DEFAULT_LOG_CONFIG,
          maxMessageBytes: 2 ** 20,
          messageTimestampAfterMaxMs: 60_000,
        };
        for (const { name, batch, requireKeys = false } of leaderCases()) {
          const fused = outcome(() => validateLeaderBatch(batch, 0, 3, config, NOW, requireKeys));
          const separate = outcome(() => validateLeaderBatch(batch, 0, 3, config, NOW, requireKeys, null));
          expect({ name, ...fused }).toEqual({ name, ...separate });
        }
      },
    );
  }

  it('reports the CRC-32C mismatch first, whatever else is wrong, either way', () => {
    const batch = leaderCases().find(
      (testCase) => testCase.name === 'a CRC mismatch on malformed records',
    )!.batch;
    for (const fused of [nativeValidateBatch, null]) {
      expect(() => validate(batch, {}, false, fused)).toThrow(/CRC-32C mismatch/);
    }
  });
});
