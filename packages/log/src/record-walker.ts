import { CorruptMessageError, InvalidRecordError } from '@sluice/protocol';
import { BatchLayout, batchBaseOffset, batchBaseTimestamp } from './batch-format.js';
import { invariant } from './invariant.js';

/**
 * Walks the records of an uncompressed batch (magic 2) in place, without allocating: only the varint
 * lengths and offset deltas are read, never a key or a value.
 *
 *   record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *           keyLength varint, key, valueLength varint, value, headerCount varint,
 *           headers: (keyLength varint, key, valueLength varint, value)*
 *
 * Varints are zigzag-encoded LEB128 (Kafka's VARINT / VARLONG). This is on the append path of every
 * produced batch, so the common one-byte varint takes a fast path, and bounds are checked once per field
 * rather than per byte (reading past a Buffer's end yields undefined, which the slow path reports).
 */

/**
 * Where the last `varint` / `varlong` call stopped, or MALFORMED after a malformed varint, so every later
 * `position <= end` check fails. A constant Int32Array rather than a mutable module variable (or a
 * Float64Array, whose values index a Buffer slowly): V8 keeps this fast, about 15 ns a record.
 */
const next = new Int32Array(1);
/** Beyond any position in a buffer the walker accepts (asserted shorter than this). */
const MALFORMED = 2 ** 31 - 1;

/** Decodes the zigzag varint (at most 5 bytes) at `at`; its end goes to `next[0]`. */
function varint(buffer: Buffer, at: number): number {
  const b0 = buffer[at];
  if (b0 < 0x80) {
    next[0] = at + 1;
    return (b0 >>> 1) ^ -(b0 & 1);
  }
  const b1 = buffer[at + 1];
  if (b1 < 0x80) {
    next[0] = at + 2;
    const raw = (b0 & 0x7f) | (b1 << 7);
    return (raw >>> 1) ^ -(raw & 1);
  }
  const b2 = buffer[at + 2];
  if (b2 < 0x80) {
    next[0] = at + 3;
    const raw = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
    return (raw >>> 1) ^ -(raw & 1);
  }
  return longVarint(buffer, at);
}

function longVarint(buffer: Buffer, at: number): number {
  let raw = 0;
  for (let count = 0; count < 5; count++) {
    const byte = buffer[at + count];
    if (byte === undefined) break;
    raw += (byte & 0x7f) * 2 ** (7 * count);
    if (byte < 0x80) {
      next[0] = at + count + 1;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  next[0] = MALFORMED;
  return 0;
}

/** Decodes the zigzag varlong (at most 10 bytes) at `at` as a number (exact below 2^53). */
function varlong(buffer: Buffer, at: number): number {
  let raw = 0;
  let scale = 1;
  for (let count = 0; count < 10; count++) {
    const byte = buffer[at + count];
    if (byte === undefined) break;
    raw += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      next[0] = at + count + 1;
      return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    }
    scale *= 128;
  }
  next[0] = MALFORMED;
  return 0;
}

/** Skips the varlong at `at`; its end goes to `next[0]`. */
function skipVarlong(buffer: Buffer, at: number): void {
  for (let count = 0; count < 10; count++) {
    const byte = buffer[at + count];
    if (byte === undefined) break;
    if (byte < 0x80) {
      next[0] = at + count + 1;
      return;
    }
  }
  next[0] = MALFORMED;
}

/** Why a walk stopped; the details (record index, offending value) go to `problemDetail`. */
const Problem = {
  NONE: 0,
  BATCH_ENDS_EARLY: 1,
  LENGTH: 2,
  TIMESTAMP_OR_OFFSET_DELTA: 3,
  OFFSET_DELTA: 4,
  KEY_LENGTH: 5,
  MISSING_KEY: 6,
  KEY: 7,
  VALUE: 8,
  HEADER_COUNT: 9,
  HEADER: 10,
  FIELDS: 11,
  TRAILING_BYTES: 12,
} as const;

/** [record index, offending value, second value] of the last problem. */
const problemDetail = new Float64Array(3);

function fail(problem: number, recordIndex: number, value: number, second = 0): number {
  problemDetail[0] = recordIndex;
  problemDetail[1] = value;
  problemDetail[2] = second;
  return problem;
}

/**
 * The walk itself, kept small and free of string building so that V8 optimizes it well: returns
 * Problem.NONE, or the problem with its details in `problemDetail`.
 */
function walkRecords(
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
): number {
  const batchEnd = batchStart + sizeBytes;
  let at = batchStart + BatchLayout.RECORDS;
  for (let index = 0; index < recordCount; index++) {
    if (!(at < batchEnd)) return fail(Problem.BATCH_ENDS_EARLY, index, index);
    const length = varint(buffer, at);
    const start = next[0];
    const end = start + length;
    if (!(length > 0 && end <= batchEnd)) return fail(Problem.LENGTH, index, length, batchEnd - start);
    skipVarlong(buffer, start + 1); // after the attributes byte: timestampDelta
    const offsetDelta = varint(buffer, next[0]);
    at = next[0];
    if (!(at <= end)) return fail(Problem.TIMESTAMP_OR_OFFSET_DELTA, index, 0);
    if (offsetDelta !== index) return fail(Problem.OFFSET_DELTA, index, offsetDelta);
    const keyLength = varint(buffer, at);
    at = next[0];
    if (keyLength > 0) at += keyLength;
    else if (keyLength < -1) return fail(Problem.KEY_LENGTH, index, keyLength);
    else if (keyLength === -1 && requireKeys) return fail(Problem.MISSING_KEY, index, 0);
    if (!(at <= end)) return fail(Problem.KEY, index, keyLength);
    const valueLength = varint(buffer, at);
    at = next[0];
    if (valueLength > 0) at += valueLength;
    if (!(valueLength >= -1 && at <= end)) return fail(Problem.VALUE, index, valueLength);
    const headerCount = varint(buffer, at);
    at = next[0];
    if (!(headerCount >= 0 && at <= end)) return fail(Problem.HEADER_COUNT, index, headerCount);
    for (let header = 0; header < headerCount; header++) {
      const headerKeyLength = varint(buffer, at);
      at = next[0];
      if (headerKeyLength > 0) at += headerKeyLength;
      const headerValueLength = varint(buffer, at);
      at = next[0];
      if (headerValueLength > 0) at += headerValueLength;
      if (!(headerKeyLength >= 0 && headerValueLength >= -1 && at <= end))
        return fail(Problem.HEADER, index, header);
    }
    if (at !== end) return fail(Problem.FIELDS, index, at - start, length);
  }
  if (at !== batchEnd) return fail(Problem.TRAILING_BYTES, recordCount, batchEnd - at);
  return Problem.NONE;
}

/** The Kafka error for a problem `walkRecords` found. */
function problemError(problem: number, batchIndex: number, recordCount: number): Error {
  const [record, value, second] = problemDetail;
  const where = `batch ${batchIndex}, record ${record}`;
  switch (problem) {
    case Problem.OFFSET_DELTA:
      return new InvalidRecordError(`${where}: offset delta is ${value}, expected ${record}`);
    case Problem.MISSING_KEY:
      return new InvalidRecordError(`${where}: a compacted topic cannot accept a record without a key`);
    case Problem.BATCH_ENDS_EARLY:
      return new CorruptMessageError(`${where}: the batch ends after ${record} of ${recordCount} records`);
    case Problem.LENGTH:
      return new CorruptMessageError(
        `${where}: its length ${value} does not fit in the ${second} bytes left`,
      );
    case Problem.TIMESTAMP_OR_OFFSET_DELTA:
      return new CorruptMessageError(`${where}: its timestamp or offset delta does not parse`);
    case Problem.KEY_LENGTH:
      return new CorruptMessageError(`${where}: its key length ${value} is invalid`);
    case Problem.KEY:
      return new CorruptMessageError(`${where}: its key (${value} bytes) does not fit in the record`);
    case Problem.VALUE:
      return new CorruptMessageError(`${where}: its value (${value} bytes) does not fit in the record`);
    case Problem.HEADER_COUNT:
      return new CorruptMessageError(`${where}: its header count ${value} is invalid`);
    case Problem.HEADER:
      return new CorruptMessageError(`${where}: header ${value} does not fit in the record`);
    case Problem.FIELDS:
      return new CorruptMessageError(
        `${where}: its fields take ${value} bytes but its length says ${second}`,
      );
    default:
      return new CorruptMessageError(
        `batch ${batchIndex}: ${value} bytes follow the last of the ${recordCount} records the header declares`,
      );
  }
}

/**
 * Checks that the records of the uncompressed batch at `batchStart` exactly fill it: `recordCount` records,
 * each with a well-formed length that covers its fields, offset deltas 0, 1, 2, ... and, for a compacted
 * topic (`requireKeys`), a key. Throws CorruptMessageError for bytes that do not parse and
 * InvalidRecordError for well-formed records that break a rule. Bounds are checked once per field, not
 * per byte: reading past a Buffer yields undefined, which the varint functions report as MALFORMED.
 */
export function validateRecords(
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  batchIndex: number,
): void {
  invariant(buffer.length < MALFORMED, 'record walks need buffers shorter than 2 GiB');
  const problem = walkRecords(buffer, batchStart, sizeBytes, recordCount, requireKeys);
  if (problem !== Problem.NONE) throw problemError(problem, batchIndex, recordCount);
}

/** Result slot of `findRecordAtOrAfterTimestamp`, reused: read it before the next call. */
export const foundRecord = { offset: -1, timestampMs: -1 };

/**
 * In the uncompressed CreateTime batch at `batchStart`, finds the first record whose timestamp is at least
 * `targetTimestampMs` and whose offset is at least `minOffset`. Fills `foundRecord` and returns true, or
 * returns false (also when the records do not parse: the caller then falls back to the batch level).
 */
export function findRecordAtOrAfterTimestamp(
  buffer: Buffer,
  batchStart: number,
  sizeBytes: number,
  targetTimestampMs: number,
  minOffset: number,
): boolean {
  const batchEnd = batchStart + sizeBytes;
  const baseOffset = batchBaseOffset(buffer, batchStart);
  const baseTimestamp = batchBaseTimestamp(buffer, batchStart);
  let at = batchStart + BatchLayout.RECORDS;
  while (at < batchEnd) {
    const length = varint(buffer, at);
    const end = next[0] + length;
    if (!(length > 0 && end <= batchEnd)) return false;
    const timestampDelta = varlong(buffer, next[0] + 1);
    const offsetDelta = varint(buffer, next[0]);
    if (!(next[0] <= end)) return false;
    const timestampMs = baseTimestamp + timestampDelta;
    const offset = baseOffset + offsetDelta;
    if (timestampMs >= targetTimestampMs && offset >= minOffset) {
      foundRecord.offset = offset;
      foundRecord.timestampMs = timestampMs;
      return true;
    }
    at = end;
  }
  return false;
}
