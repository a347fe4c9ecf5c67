import {
  BATCH_CRC_DETAIL,
  type NativeSplit,
  nativeAvailable,
  nativeValidateBatch,
  nativeValidationStatistics,
  nativeWalkRecords,
  RecordWalkProblem,
  setNativeSplit,
} from '@sluice/native';
import { CorruptMessageError, crc32cPortable, InvalidRecordError } from '@sluice/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeBatch,
  encodeRecord,
  pushVarint,
  pushVarlong,
  type TestRecord,
} from '../test/record-batch-builder.js';
import {
  recordWalkError,
  recordWalkImplementation,
  validateRecords,
  walkRecordsPortable,
} from './record-walker.js';

const RECORDS_OFFSET = 61;

interface WalkResult {
  problem: number;
  /** [record index, value, second value], only when there is a problem. */
  details: number[];
}

type Walk = (
  buffer: Uint8Array,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  details: Float64Array,
) => number;

function walkWith(
  walk: Walk,
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): WalkResult {
  const details = new Float64Array(3).fill(Number.NaN);
  const problem = walk(buffer, batchStart, sizeBytes, recordCount, requireKeys, details);
  return { problem, details: problem === RecordWalkProblem.NONE ? [] : [...details] };
}

/** The walks to compare: the JavaScript one, and the addon's when it loaded. */
const walks: [string, Walk][] = [
  ['portable', walkRecordsPortable],
  ...(nativeWalkRecords === null ? [] : [['native', nativeWalkRecords] as [string, Walk]]),
];

/** A batch whose record bytes are `records` exactly (each already encoded, or raw bytes). */
function batchOf(recordBytes: Buffer, recordCount: number): Buffer {
  return encodeBatch({ records: [], rawRecords: recordBytes, recordCount, lastOffsetDelta: recordCount - 1 });
}

/** A record from its raw fields after the length varint; the length is computed unless given. */
function rawRecord(fields: number[], length = fields.length): Buffer {
  const out: number[] = [];
  pushVarint(out, length);
  return Buffer.from([...out, ...fields]);
}

function fields(build: (out: number[]) => void): number[] {
  const out: number[] = [0]; // attributes
  build(out);
  return out;
}

/** One batch per problem, with what every walk must report for it. */
const PROBLEM_CASES: {
  name: string;
  batch: Buffer;
  recordCount: number;
  requireKeys?: boolean;
  expected: WalkResult;
  error: RegExp;
}[] = (() => {
  const good = (index: number) => encodeRecord({ key: Buffer.from('k'), value: Buffer.from('v') }, index);
  const cases = [];
  cases.push({
    name: 'a batch that ends before its record count',
    batch: batchOf(Buffer.concat([good(0), good(1)]), 3),
    recordCount: 3,
    expected: { problem: RecordWalkProblem.BATCH_ENDS_EARLY, details: [2, 2, 0] },
    error: /record 2: the batch ends after 2 of 3 records/,
  });
  const overlong = rawRecord(
    fields((out) => {
      pushVarlong(out, 0);
      pushVarint(out, 0);
    }),
    50,
  );
  cases.push({
    name: 'a record longer than the batch',
    batch: batchOf(overlong, 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.LENGTH, details: [0, 50, overlong.length - 1] },
    error: /record 0: its length 50 does not fit in the 3 bytes left/,
  });
  cases.push({
    name: 'a varlong timestamp delta that never ends',
    batch: batchOf(rawRecord([0, 0x80, 0x80, 0x80]), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.TIMESTAMP_OR_OFFSET_DELTA, details: [0, 0, 0] },
    error: /record 0: its timestamp or offset delta does not parse/,
  });
  cases.push({
    name: 'an offset delta out of sequence',
    batch: batchOf(Buffer.concat([good(0), good(2)]), 2),
    recordCount: 2,
    expected: { problem: RecordWalkProblem.OFFSET_DELTA, details: [1, 2, 0] },
    error: /record 1: offset delta is 2, expected 1/,
  });
  /** A record at timestamp and offset delta 0 with these key and value lengths (and no bytes for them), then headers. */
  const recordWith = ({ keyLength = -1, valueLength = -1, headerCount = 0, headerFields = [] as number[] }) =>
    rawRecord(
      fields((out) => {
        pushVarlong(out, 0);
        pushVarint(out, 0);
        pushVarint(out, keyLength);
        pushVarint(out, valueLength);
        pushVarint(out, headerCount);
        out.push(...headerFields);
      }),
    );
  const keyLength = (length: number) => recordWith({ keyLength: length });
  cases.push({
    name: 'a key length below -1',
    batch: batchOf(keyLength(-2), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.KEY_LENGTH, details: [0, -2, 0] },
    error: /record 0: its key length -2 is invalid/,
  });
  cases.push({
    name: 'a record without a key on a compacted topic',
    batch: batchOf(keyLength(-1), 1),
    recordCount: 1,
    requireKeys: true,
    expected: { problem: RecordWalkProblem.MISSING_KEY, details: [0, 0, 0] },
    error: /record 0: a compacted topic cannot accept a record without a key/,
  });
  cases.push({
    name: 'a key longer than its record',
    batch: batchOf(keyLength(40), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.KEY, details: [0, 40, 0] },
    error: /record 0: its key \(40 bytes\) does not fit in the record/,
  });
  const valueLength = (length: number) => recordWith({ valueLength: length });
  cases.push({
    name: 'a value length below -1',
    batch: batchOf(valueLength(-5), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.VALUE, details: [0, -5, 0] },
    error: /record 0: its value \(-5 bytes\) does not fit in the record/,
  });
  const headerCount = (count: number, headerFields: number[] = []) =>
    recordWith({ headerCount: count, headerFields });
  cases.push({
    name: 'a negative header count',
    batch: batchOf(headerCount(-3), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.HEADER_COUNT, details: [0, -3, 0] },
    error: /record 0: its header count -3 is invalid/,
  });
  const headerBytes: number[] = [];
  pushVarint(headerBytes, 1);
  headerBytes.push(0x61);
  pushVarint(headerBytes, -1);
  pushVarint(headerBytes, -1); // a second header's key length: invalid
  pushVarint(headerBytes, 0);
  cases.push({
    name: 'a header with a negative key length',
    batch: batchOf(headerCount(2, headerBytes), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.HEADER, details: [0, 1, 0] },
    error: /record 0: header 1 does not fit in the record/,
  });
  const padded = fields((out) => {
    pushVarlong(out, 0);
    pushVarint(out, 0);
    pushVarint(out, -1);
    pushVarint(out, -1);
    pushVarint(out, 0);
    out.push(0, 0); // two bytes the fields do not account for
  });
  cases.push({
    name: 'a record length that exceeds its fields',
    batch: batchOf(rawRecord(padded), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.FIELDS, details: [0, padded.length - 2, padded.length] },
    error: /record 0: its fields take 6 bytes but its length says 8/,
  });
  cases.push({
    name: 'bytes after the last record',
    batch: batchOf(Buffer.concat([good(0), Buffer.from([1, 2, 3])]), 1),
    recordCount: 1,
    expected: { problem: RecordWalkProblem.TRAILING_BYTES, details: [1, 3, 0] },
    error: /3 bytes follow the last of the 1 records the header declares/,
  });
  return cases;
})();

const recordArbitrary: fc.Arbitrary<TestRecord> = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
    { nil: null },
  ),
  value: fc.option(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 8 }),
      value: fc.option(
        fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 2 ** 45 })),
});

/** Records with keys or values of 8 KiB and more, whose lengths take three-byte varints. */
const largeRecordArbitrary: fc.Arbitrary<TestRecord> = fc.record({
  key: fc.option(
    fc.integer({ min: 0, max: 9000 }).map((length) => Buffer.alloc(length, 0x6b)),
    { nil: null },
  ),
  value: fc.integer({ min: 8000, max: 20_000 }).map((length) => Buffer.alloc(length, 0x76)),
  headers: fc.constant([]),
  timestampDelta: fc.integer({ min: 0, max: 2 ** 21 }),
});

/** A valid batch placed between random bytes, so that walks may read past the batch's end. */
const placedBatch = fc.record({
  records: fc.oneof(
    { weight: 9, arbitrary: fc.array(recordArbitrary, { minLength: 1, maxLength: 12 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(recordArbitrary, largeRecordArbitrary), { minLength: 1, maxLength: 3 }),
    },
  ),
  before: fc.uint8Array({ maxLength: 16 }),
  after: fc.uint8Array({ maxLength: 16 }),
  requireKeys: fc.boolean(),
});

/** Bytes that steer varints: ends, continuations, small and negative zigzag values. */
const steeringByte = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x05, 0x7f, 0x80, 0x81, 0xfe, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: steeringByte }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
);

function mutate(recordBytes: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(recordBytes);
  for (const change of mutations) {
    const at = change.at % (bytes.length + 1);
    if (change.kind === 'set') {
      if (at < bytes.length) bytes[at] = change.byte;
    } else if (change.kind === 'insert') {
      bytes = Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
    } else {
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.count)]);
    }
  }
  return bytes;
}

describe('record walk', () => {
  it('runs in C when the @sluice/native addon loads', () => {
    expect(recordWalkImplementation).toBe(nativeAvailable ? 'native' : 'portable');
  });

  for (const testCase of PROBLEM_CASES) {
    for (const [name, walk] of walks) {
      it(`${name} reports ${testCase.name} with its details`, () => {
        const { batch, recordCount, requireKeys = false } = testCase;
        expect(walkWith(walk, batch, 0, batch.length, recordCount, requireKeys)).toEqual(testCase.expected);
      });
    }

    it(`validateRecords refuses ${testCase.name} with the Kafka error`, () => {
      const { batch, recordCount, requireKeys = false } = testCase;
      const errorClass =
        testCase.expected.problem === RecordWalkProblem.OFFSET_DELTA ||
        testCase.expected.problem === RecordWalkProblem.MISSING_KEY
          ? InvalidRecordError
          : CorruptMessageError;
      expect(() => validateRecords(batch, 0, batch.length, recordCount, requireKeys, 4)).toThrow(errorClass);
      expect(() => validateRecords(batch, 0, batch.length, recordCount, requireKeys, 4)).toThrow(
        testCase.error,
      );
    });
  }

  it('builds the same message from the same details', () => {
    const details = new Float64Array([3, -7, 0]);
    expect(recordWalkError(RecordWalkProblem.KEY_LENGTH, details, 2, 9).message).toBe(
      'batch 2, record 3: its key length -7 is invalid',
    );
  });

  it.skipIf(!nativeAvailable)('native and portable accept the same valid batches', () => {
    fc.assert(
      fc.property(placedBatch, ({ records, before, after, requireKeys }) => {
        const batch = encodeBatch({ records });
        const buffer = Buffer.concat([before, batch, after]);
        const expected = walkWith(
          walkRecordsPortable,
          buffer,
          before.length,
          batch.length,
          records.length,
          requireKeys,
        );
        const hasNullKey = records.some((record) => record.key === null);
        expect(expected.problem).toBe(
          requireKeys && hasNullKey ? RecordWalkProblem.MISSING_KEY : RecordWalkProblem.NONE,
        );
        expect(
          walkWith(nativeWalkRecords!, buffer, before.length, batch.length, records.length, requireKeys),
        ).toEqual(expected);
      }),
      { seed: 1126, numRuns: 500 },
    );
  });

  it.skipIf(!nativeAvailable)(
    'native and portable report the same problem and details on mutated batches',
    () => {
      const seen = new Set<number>();
      fc.assert(
        fc.property(
          placedBatch,
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.integer({ min: -2, max: 3 }),
          fc.integer({ min: -4, max: 16 }),
          ({ records, before, after, requireKeys }, mutations, countChange, sizeChange) => {
            const recordBytes = encodeBatch({ records }).subarray(RECORDS_OFFSET);
            const batch = Buffer.concat([
              encodeBatch({ records }).subarray(0, RECORDS_OFFSET),
              mutate(recordBytes, mutations),
            ]);
            const buffer = Buffer.concat([before, batch, after]);
            const sizeBytes = Math.max(0, Math.min(batch.length + sizeChange, buffer.length - before.length));
            const recordCount = records.length + countChange;
            const expected = walkWith(
              walkRecordsPortable,
              buffer,
              before.length,
              sizeBytes,
              recordCount,
              requireKeys,
            );
            seen.add(expected.problem);
            expect(
              walkWith(nativeWalkRecords!, buffer, before.length, sizeBytes, recordCount, requireKeys),
            ).toEqual(expected);
          },
        ),
        { seed: 1127, numRuns: 5000 },
      );
      // The mutations reach every problem, so the comparison covered each of them.
      expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(RecordWalkProblem).sort((a, b) => a - b));
    },
  );
});

/** The fused native validation: the walk's outcome and the CRC-32C of [attributes, end). */
function fusedWith(
  split: NativeSplit,
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): WalkResult & { crc: number } {
  setNativeSplit(split);
  const details = new Float64Array(BATCH_CRC_DETAIL + 1).fill(Number.NaN);
  const problem = nativeValidateBatch!(buffer, batchStart, sizeBytes, recordCount, requireKeys, details);
  return {
    problem,
    details: problem === RecordWalkProblem.NONE ? [] : [...details.subarray(0, 3)],
    crc: details[BATCH_CRC_DETAIL],
  };
}

/** The JavaScript CRC-32C and walk, apart. */
function portable(
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): WalkResult & { crc: number } {
  return {
    ...walkWith(walkRecordsPortable, buffer, batchStart, sizeBytes, recordCount, requireKeys),
    crc: crc32cPortable(buffer, batchStart + 21, batchStart + sizeBytes),
  };
}

const SPLITS: NativeSplit[] = ['never', 'when-free', 'always'];

describe.runIf(nativeAvailable)('fused native validation against the JavaScript CRC-32C and walk', () => {
  afterEach(() => setNativeSplit('never'));

  it('agrees on valid and mutated batches, split or not, reaching every problem', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(
        placedBatch,
        fc.array(mutation, { maxLength: 4 }),
        fc.integer({ min: -2, max: 3 }),
        fc.integer({ min: -4, max: 16 }),
        ({ records, before, after, requireKeys }, mutations, countChange, sizeChange) => {
          const encoded = encodeBatch({ records });
          const batch = Buffer.concat([
            encoded.subarray(0, RECORDS_OFFSET),
            mutate(encoded.subarray(RECORDS_OFFSET), mutations),
          ]);
          const buffer = Buffer.concat([before, batch, after]);
          const sizeBytes = Math.max(
            RECORDS_OFFSET,
            Math.min(batch.length + sizeChange, buffer.length - before.length),
          );
          const recordCount = records.length + countChange;
          const expected = portable(buffer, before.length, sizeBytes, recordCount, requireKeys);
          seen.add(expected.problem);
          for (const split of SPLITS) {
            expect(fusedWith(split, buffer, before.length, sizeBytes, recordCount, requireKeys)).toEqual(
              expected,
            );
          }
        },
      ),
      { seed: 1128, numRuns: 3000 },
    );
    expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(RecordWalkProblem).sort((a, b) => a - b));
  });

  it('agrees on batches of several MiB that the helper thread validates in part', () => {
    const statisticsBefore = nativeValidationStatistics()!;
    fc.assert(
      fc.property(
        fc.integer({ min: 1400, max: 3000 }),
        fc.integer({ min: 30, max: 400 }),
        fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: steeringByte }), {
          maxLength: 2,
        }),
        fc.boolean(),
        (recordCountWanted, valueBytes, mutations, requireKeys) => {
          // From 280 kB to 5 MB; the records differ, so a wrong guess would show.
          const records = Array.from({ length: recordCountWanted * 4 }, (_, index) => ({
            key: index % 7 === 0 && !requireKeys ? null : Buffer.from(`key-${index}`),
            value: Buffer.alloc(valueBytes + (index % 13), index & 0xff),
            timestampDelta: index * 3,
          }));
          const batch = encodeBatch({ records });
          for (const { at, byte } of mutations) {
            batch[RECORDS_OFFSET + Math.floor(at * (batch.length - RECORDS_OFFSET - 1))] = byte;
          }
          const expected = portable(batch, 0, batch.length, records.length, requireKeys);
          for (const split of SPLITS) {
            expect(fusedWith(split, batch, 0, batch.length, records.length, requireKeys)).toEqual(expected);
          }
        },
      ),
      { seed: 1129, numRuns: 25 },
    );
    const statisticsAfter = nativeValidationStatistics()!;
    expect(statisticsAfter.splits - statisticsBefore.splits).toBeGreaterThanOrEqual(25);
    expect(statisticsAfter.guessesTaken).toBeGreaterThan(statisticsBefore.guessesTaken);
  });
});
