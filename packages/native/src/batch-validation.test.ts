import { seededRandom } from '@sluice/test-support';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BATCH_CRC_DETAIL,
  type NativeSplit,
  nativeAvailable,
  nativeBatchCheck,
  nativeBatchCrc,
  nativeCrc32cTable,
  nativeSplitMinBytes,
  nativeValidateBatch,
  nativeValidationStatistics,
  nativeWalkRecords,
  RecordWalkProblem,
  setNativeSplit,
} from './index.js';

/** Where a batch's CRC-32C starts (its attributes) and its records start. */
const CRC_START = 21;
const RECORDS_START = 61;

interface TestRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headerCount: number;
}

function pushVarint(out: number[], value: number): void {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    out.push((raw & 0x7f) | 0x80);
    raw >>>= 7;
  }
  out.push(raw);
}

/** One record with offset delta `index` (and timestamp delta `index`). */
function encodeRecord(record: TestRecord, index: number): number[] {
  const body: number[] = [0];
  pushVarint(body, index);
  pushVarint(body, index);
  pushVarint(body, record.key === null ? -1 : record.key.length);
  if (record.key !== null) body.push(...record.key);
  pushVarint(body, record.value === null ? -1 : record.value.length);
  if (record.value !== null) for (const byte of record.value) body.push(byte);
  pushVarint(body, record.headerCount);
  for (let header = 0; header < record.headerCount; header++) body.push(2, 0x68, 2, 0x76);
  const out: number[] = [];
  pushVarint(out, body.length);
  for (const byte of body) out.push(byte);
  return out;
}

/** A batch: a header of zeros (neither check reads it but the CRC covers its tail) and `recordBytes`. */
function batchOf(recordBytes: Uint8Array): Buffer {
  const batch = Buffer.alloc(RECORDS_START + recordBytes.length);
  for (let i = 0; i < CRC_START; i++) batch[i] = i * 7;
  batch.set(recordBytes, RECORDS_START);
  return batch;
}

/** A batch of about `targetBytes` of records with random values of up to `maxValueBytes`. */
function largeBatch(
  targetBytes: number,
  maxValueBytes: number,
  seed: number,
): { batch: Buffer; recordCount: number; recordStarts: number[] } {
  const next = seededRandom(seed);
  const parts: number[][] = [];
  let size = RECORDS_START;
  for (let index = 0; ; index++) {
    const value = new Uint8Array(Math.floor(next() * maxValueBytes));
    for (let i = 0; i < value.length; i++) value[i] = Math.floor(next() * 256);
    const key = next() < 0.5 ? null : Uint8Array.of(index & 0xff, 1, 2);
    const record = encodeRecord({ key, value, headerCount: next() < 0.1 ? 1 : 0 }, index);
    if (size + record.length > targetBytes && index > 0) break;
    parts.push(record);
    size += record.length;
  }
  const bytes = new Uint8Array(size - RECORDS_START);
  const recordStarts: number[] = [];
  let at = 0;
  for (const part of parts) {
    recordStarts.push(RECORDS_START + at);
    bytes.set(part, at);
    at += part.length;
  }
  return { batch: batchOf(bytes), recordCount: parts.length, recordStarts };
}

interface Outcome {
  problem: number;
  /** [record index, value, second value] when there is a problem. */
  details: number[];
  crc: number;
}

/** The two checks apart: the CRC-32C by the tables, the walk by the addon's walk. */
function separately(
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): Outcome {
  const details = new Float64Array(3);
  const problem = nativeWalkRecords!(buffer, batchStart, sizeBytes, recordCount, requireKeys, details);
  return {
    problem,
    details: problem === RecordWalkProblem.NONE ? [] : [...details],
    crc: nativeCrc32cTable!(buffer, batchStart + CRC_START, batchStart + sizeBytes, 0),
  };
}

function fused(
  split: NativeSplit,
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): Outcome {
  setNativeSplit(split);
  const details = new Float64Array(4).fill(Number.NaN);
  const problem = nativeValidateBatch!(buffer, batchStart, sizeBytes, recordCount, requireKeys, details);
  expect(nativeBatchCrc!(buffer, batchStart, sizeBytes)).toBe(details[BATCH_CRC_DETAIL]);
  return {
    problem,
    details: problem === RecordWalkProblem.NONE ? [] : [...details.subarray(0, 3)],
    crc: details[BATCH_CRC_DETAIL],
  };
}

const SPLITS: NativeSplit[] = ['never', 'when-free', 'always'];

const recordArbitrary: fc.Arbitrary<TestRecord> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 400 }), { nil: null }),
  headerCount: fc.integer({ min: 0, max: 2 }),
});

/** Bytes that steer varints: ends, continuations, small and negative zigzag values. */
const steeringByte = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

describe.runIf(nativeAvailable)('fused batch validation', () => {
  afterEach(() => setNativeSplit('never'));

  it('gives the CRC-32C of [attributes, end) and the walk outcome of a valid batch', () => {
    const records = [
      encodeRecord({ key: null, value: Uint8Array.of(1, 2, 3), headerCount: 0 }, 0),
      encodeRecord({ key: Uint8Array.of(9), value: null, headerCount: 1 }, 1),
    ].flat();
    const batch = batchOf(Uint8Array.from(records));
    for (const split of SPLITS) {
      expect(fused(split, batch, 0, batch.length, 2, false)).toEqual({
        problem: RecordWalkProblem.NONE,
        details: [],
        crc: nativeCrc32cTable!(batch, CRC_START, batch.length, 0),
      });
      expect(fused(split, batch, 0, batch.length, 2, true)).toEqual({
        problem: RecordWalkProblem.MISSING_KEY,
        details: [0, 0, 0],
        crc: nativeCrc32cTable!(batch, CRC_START, batch.length, 0),
      });
    }
  });

  it('agrees with the separate CRC-32C and walk on valid and mutated batches, however it splits', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 14 }),
        fc.array(fc.record({ at: fc.nat(), byte: steeringByte }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 16 }),
        fc.uint8Array({ maxLength: 16 }),
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: -3, max: 3 }),
        fc.boolean(),
        (records, mutations, before, after, countChange, sizeChange, requireKeys) => {
          const recordBytes = Uint8Array.from(
            records.flatMap((record, index) => encodeRecord(record, index)),
          );
          for (const { at, byte } of mutations) recordBytes[at % recordBytes.length] = byte;
          const batch = batchOf(recordBytes);
          const buffer = Buffer.concat([before, batch, after]);
          const sizeBytes = Math.max(
            RECORDS_START,
            Math.min(batch.length + sizeChange, buffer.length - before.length),
          );
          const recordCount = records.length + countChange;
          const expected = separately(buffer, before.length, sizeBytes, recordCount, requireKeys);
          seen.add(expected.problem);
          for (const split of SPLITS) {
            expect(fused(split, buffer, before.length, sizeBytes, recordCount, requireKeys)).toEqual(
              expected,
            );
          }
        },
      ),
      { seed: 2611, numRuns: 3000 },
    );
    expect([...seen].sort((a, b) => a - b)).toEqual(Object.values(RecordWalkProblem).sort((a, b) => a - b));
  });

  it('splits batches of several MiB with the helper thread and gets the same results', () => {
    const before = nativeValidationStatistics()!;
    for (const [targetBytes, maxValueBytes, seed] of [
      [nativeSplitMinBytes! + 1000, 300, 1],
      [3 * 1024 * 1024, 200, 2],
      [5 * 1024 * 1024, 5000, 3],
    ]) {
      const { batch, recordCount, recordStarts } = largeBatch(targetBytes, maxValueBytes, seed);
      const valid = separately(batch, 0, batch.length, recordCount, false);
      expect(valid.problem).toBe(RecordWalkProblem.NONE);
      // A record in the second half with a negative length: the helper's walk finds it.
      const corrupt = Buffer.from(batch);
      corrupt[recordStarts[Math.floor(recordCount * 0.8)]] = 0x03;
      const broken = separately(corrupt, 0, corrupt.length, recordCount, false);
      expect(broken.problem).toBe(RecordWalkProblem.LENGTH);
      for (const split of SPLITS) {
        expect(fused(split, batch, 0, batch.length, recordCount, false)).toEqual(valid);
        expect(fused(split, corrupt, 0, corrupt.length, recordCount, false)).toEqual(broken);
        expect(fused(split, batch, 0, batch.length, recordCount + 1, false)).toEqual(
          separately(batch, 0, batch.length, recordCount + 1, false),
        );
      }
    }
    const after = nativeValidationStatistics()!;
    // 'always' splits every one of them, with the caller waiting for the helper, whose guesses about
    // where a record starts in these batches are right.
    expect(after.splits - before.splits).toBeGreaterThanOrEqual(9);
    expect(after.guessesTaken - before.guessesTaken).toBeGreaterThanOrEqual(6);
    expect(after.helperPosts - after.helperTakenBack).toBeGreaterThan(
      before.helperPosts - before.helperTakenBack,
    );
  });

  it('walks the second part itself when the helper guessed a record start wrong', () => {
    // A record whose value spans the middle of the batch holds bytes that look like records 1 to 6:
    // the helper guesses a record start inside the value, the caller's walk never gets there.
    const fake = [1, 2, 3, 4, 5, 6].flatMap((index) =>
      encodeRecord({ key: null, value: Uint8Array.of(7, 7, 7), headerCount: 0 }, index),
    );
    const value = new Uint8Array(4000).fill(0xee);
    value.set(fake, 1990);
    const records = [
      encodeRecord({ key: null, value, headerCount: 0 }, 0),
      encodeRecord({ key: null, value: Uint8Array.of(1), headerCount: 0 }, 1),
    ].flat();
    const batch = batchOf(Uint8Array.from(records));
    const before = nativeValidationStatistics()!;
    const expected = separately(batch, 0, batch.length, 2, false);
    expect(expected.problem).toBe(RecordWalkProblem.NONE);
    expect(fused('always', batch, 0, batch.length, 2, false)).toEqual(expected);
    expect(fused('always', batch, 0, batch.length, 3, false)).toEqual(
      separately(batch, 0, batch.length, 3, false),
    );
    const after = nativeValidationStatistics()!;
    expect(after.guessesMissed - before.guessesMissed).toBe(2);
  });

  it('computes the CRC-32C alone for any batch size, split or not', () => {
    for (const sizeBytes of [CRC_START, CRC_START + 1, 4096, nativeSplitMinBytes! * 3 + 17]) {
      const buffer = Buffer.alloc(sizeBytes + 9);
      for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31) & 0xff;
      const expected = nativeCrc32cTable!(buffer, 5 + CRC_START, 5 + sizeBytes, 0);
      for (const split of SPLITS) {
        setNativeSplit(split);
        expect(nativeBatchCrc!(buffer, 5, sizeBytes)).toBe(expected);
      }
    }
  });

  it('checks a batch on the helper thread while the caller works, with the outcome of the pass in place', () => {
    const cases: {
      buffer: Buffer;
      batchStart: number;
      sizeBytes: number;
      recordCount: number;
      requireKeys: boolean;
    }[] = [];
    for (const [targetBytes, seed] of [
      [4096, 11],
      [nativeSplitMinBytes! + 5000, 12],
      [2 * 1024 * 1024, 13],
    ]) {
      const { batch, recordCount, recordStarts } = largeBatch(targetBytes, 300, seed);
      const corrupt = Buffer.from(batch);
      corrupt[recordStarts[Math.floor(recordCount / 2)]] = 0x03;
      const padded = Buffer.concat([Buffer.alloc(7, 0xaa), batch]);
      cases.push(
        { buffer: batch, batchStart: 0, sizeBytes: batch.length, recordCount, requireKeys: false },
        { buffer: batch, batchStart: 0, sizeBytes: batch.length, recordCount, requireKeys: true },
        {
          buffer: batch,
          batchStart: 0,
          sizeBytes: batch.length,
          recordCount: recordCount - 1,
          requireKeys: false,
        },
        { buffer: corrupt, batchStart: 0, sizeBytes: corrupt.length, recordCount, requireKeys: false },
        { buffer: padded, batchStart: 7, sizeBytes: batch.length, recordCount, requireKeys: false },
      );
    }
    const before = nativeValidationStatistics()!;
    const outcomes = cases.map(({ buffer, batchStart, sizeBytes, recordCount, requireKeys }) => {
      expect(nativeBatchCheck!.start(buffer, batchStart, sizeBytes, recordCount, requireKeys, 200)).toBe(
        true,
      );
      // The caller's own work meanwhile: the same check in place, for the expected outcome.
      const expected = separately(buffer, batchStart, sizeBytes, recordCount, requireKeys);
      const details = new Float64Array(4).fill(Number.NaN);
      const problem = nativeBatchCheck!.finish(details);
      return {
        actual: {
          problem,
          details: problem === RecordWalkProblem.NONE ? [] : [...details.subarray(0, 3)],
          crc: details[BATCH_CRC_DETAIL],
        },
        expected,
      };
    });
    for (const { actual, expected } of outcomes) expect(actual).toEqual(expected);
    expect(new Set(outcomes.map(({ expected }) => expected.problem))).toEqual(
      new Set([
        RecordWalkProblem.NONE,
        RecordWalkProblem.MISSING_KEY,
        RecordWalkProblem.LENGTH,
        RecordWalkProblem.TRAILING_BYTES,
      ]),
    );
    const after = nativeValidationStatistics()!;
    expect(after.helperPosts - before.helperPosts).toBe(cases.length);
  });

  it('starts no second check while one is not finished, and refuses a finish without a start', () => {
    const { batch, recordCount } = largeBatch(64 * 1024, 300, 14);
    expect(nativeBatchCheck!.start(batch, 0, batch.length, recordCount, false, 0)).toBe(true);
    expect(nativeBatchCheck!.start(batch, 0, batch.length, recordCount, false, 0)).toBe(false);
    // A split in the meantime finds the helper taken and validates alone, with the same outcome.
    expect(fused('when-free', batch, 0, batch.length, recordCount, false).problem).toBe(
      RecordWalkProblem.NONE,
    );
    const details = new Float64Array(4);
    expect(nativeBatchCheck!.finish(details)).toBe(RecordWalkProblem.NONE);
    expect(details[BATCH_CRC_DETAIL]).toBe(nativeCrc32cTable!(batch, CRC_START, batch.length, 0));
    expect(() => nativeBatchCheck!.finish(details)).toThrow(RangeError);
    expect(() => nativeBatchCheck!.start(batch, 0, batch.length + 1, recordCount, false, 0)).toThrow(
      RangeError,
    );
    expect(() => nativeBatchCheck!.start(batch, 0, batch.length, recordCount, false, 20_000)).toThrow(
      RangeError,
    );
    expect(() => nativeBatchCheck!.start(batch, 0, batch.length, recordCount, false, -1)).toThrow(RangeError);
    expect(() => nativeBatchCheck!.start(batch, 0, batch.length, recordCount, 'no' as never, 0)).toThrow(
      TypeError,
    );
  });

  it('refuses misuse: a batch outside the buffer or shorter than its header, a short details array', () => {
    const batch = batchOf(Uint8Array.from(encodeRecord({ key: null, value: null, headerCount: 0 }, 0)));
    expect(() => nativeValidateBatch!(batch, 0, batch.length + 1, 1, false, new Float64Array(4))).toThrow(
      RangeError,
    );
    expect(() => nativeValidateBatch!(batch, 0, RECORDS_START - 1, 1, false, new Float64Array(4))).toThrow(
      RangeError,
    );
    expect(() => nativeValidateBatch!(batch, 0, batch.length, 1, false, new Float64Array(3))).toThrow(
      TypeError,
    );
    expect(() => nativeBatchCrc!(batch, 2, batch.length)).toThrow(RangeError);
    expect(() => nativeBatchCrc!(batch, 0, CRC_START - 1)).toThrow(RangeError);
    expect(() => setNativeSplit('sometimes' as NativeSplit)).toThrow(TypeError);
  });
});
