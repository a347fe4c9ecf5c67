import { type NativeWalkRecords, nativeWalkRecords, RecordWalkProblem } from '@sluice/native';
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
 *
 * The walk runs in C when @sluice/native's addon loaded (about 5-6 ns a record instead of 18-25 here): the
 * addon's walk makes the same checks in the same order and reports the same problem and details, so the
 * errors below are the same whichever ran. `recordWalkImplementation` says which.
 */

/**
 * Where the last `varint` / `varlong` call stopped, or MALFORMED after a malformed varint, so every later
 * `position <= end` check fails. A constant Int32Array rather than a mutable module variable (or a
 * Float64Array, whose values index a Buffer slowly): V8 keeps this fast, about 15 ns a record.
 */
const next = new Int32Array(1);
/** Beyond any position in a buffer the walker accepts (asserted shorter than this). */
const MALFORMED = 2 ** 31 - 1;
/** Buffers the record walks (and @sluice/native's fused validation) accept are shorter than this. */
export const MAX_WALK_BUFFER_BYTES = MALFORMED;

/** Decodes the zigzag varint (at most 5 bytes) at `at`; its end goes to `next[0]`. */
function varint(buffer: Uint8Array, at: number): number {
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

function longVarint(buffer: Uint8Array, at: number): number {
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
function varlong(buffer: Uint8Array, at: number): number {
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
function skipVarlong(buffer: Uint8Array, at: number): void {
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

/** [record index, offending value, second value] of the last problem. */
const problemDetail = new Float64Array(3);

function fail(
  details: Float64Array,
  problem: number,
  recordIndex: number,
  value: number,
  second = 0,
): number {
  details[0] = recordIndex;
  details[1] = value;
  details[2] = second;
  return problem;
}

/**
 * The walk itself in JavaScript, kept small and free of string building so that V8 optimizes it well:
 * returns RecordWalkProblem.NONE, or the problem with its details in `details` (a Float64Array of 3:
 * record index, offending value, second value). The same contract as @sluice/native's walk.
 */
export function walkRecordsPortable(
  buffer: Uint8Array,
  batchStart: number,
  sizeBytes: number,
  recordCount: number,
  requireKeys: boolean,
  details: Float64Array,
): number {
  const batchEnd = batchStart + sizeBytes;
  let at = batchStart + BatchLayout.RECORDS;
  for (let index = 0; index < recordCount; index++) {
    if (!(at < batchEnd)) return fail(details, RecordWalkProblem.BATCH_ENDS_EARLY, index, index);
    const length = varint(buffer, at);
    const start = next[0];
    const end = start + length;
    if (!(length > 0 && end <= batchEnd))
      return fail(details, RecordWalkProblem.LENGTH, index, length, batchEnd - start);
    skipVarlong(buffer, start + 1); // after the attributes byte: timestampDelta
    const offsetDelta = varint(buffer, next[0]);
    at = next[0];
    if (!(at <= end)) return fail(details, RecordWalkProblem.TIMESTAMP_OR_OFFSET_DELTA, index, 0);
    if (offsetDelta !== index) return fail(details, RecordWalkProblem.OFFSET_DELTA, index, offsetDelta);
    const keyLength = varint(buffer, at);
    at = next[0];
    if (keyLength > 0) at += keyLength;
    else if (keyLength < -1) return fail(details, RecordWalkProblem.KEY_LENGTH, index, keyLength);
    else if (keyLength === -1 && requireKeys) return fail(details, RecordWalkProblem.MISSING_KEY, index, 0);
    if (!(at <= end)) return fail(details, RecordWalkProblem.KEY, index, keyLength);
    const valueLength = varint(buffer, at);
    at = next[0];
    if (valueLength > 0) at += valueLength;
    if (!(valueLength >= -1 && at <= end)) return fail(details, RecordWalkProblem.VALUE, index, valueLength);
    const headerCount = varint(buffer, at);
    at = next[0];
    if (!(headerCount >= 0 && at <= end))
      return fail(details, RecordWalkProblem.HEADER_COUNT, index, headerCount);
    for (let header = 0; header < headerCount; header++) {
      const headerKeyLength = varint(buffer, at);
      at = next[0];
      if (headerKeyLength > 0) at += headerKeyLength;
      const headerValueLength = varint(buffer, at);
      at = next[0];
      if (headerValueLength > 0) at += headerValueLength;
      if (!(headerKeyLength >= 0 && headerValueLength >= -1 && at <= end))
        return fail(details, RecordWalkProblem.HEADER, index, header);
    }
    if (at !== end) return fail(details, RecordWalkProblem.FIELDS, index, at - start, length);
  }
  if (at !== batchEnd) return fail(details, RecordWalkProblem.TRAILING_BYTES, recordCount, batchEnd - at);
  return RecordWalkProblem.NONE;
}

/** Which record walk `validateRecords` uses. */
export const recordWalkImplementation: 'native' | 'portable' = nativeWalkRecords ? 'native' : 'portable';

const walkRecords: NativeWalkRecords = nativeWalkRecords ?? walkRecordsPortable;

/** The Kafka error for a problem a walk found, with its `details`. */
export function recordWalkError(
  problem: number,
  details: Float64Array,
  batchIndex: number,
  recordCount: number,
): Error {
  const [record, value, second] = details;
  const where = `batch ${batchIndex}, record ${record}`;
  switch (problem) {
    case RecordWalkProblem.OFFSET_DELTA:
      return new InvalidRecordError(`${where}: offset delta is ${value}, expected ${record}`);
    case RecordWalkProblem.MISSING_KEY:
      return new InvalidRecordError(`${where}: a compacted topic cannot accept a record without a key`);
    case RecordWalkProblem.BATCH_ENDS_EARLY:
      return new CorruptMessageError(`${where}: the batch ends after ${record} of ${recordCount} records`);
    case RecordWalkProblem.LENGTH:
      return new CorruptMessageError(
        `${where}: its length ${value} does not fit in the ${second} bytes left`,
      );
    case RecordWalkProblem.TIMESTAMP_OR_OFFSET_DELTA:
      return new CorruptMessageError(`${where}: its timestamp or offset delta does not parse`);
    case RecordWalkProblem.KEY_LENGTH:
      return new CorruptMessageError(`${where}: its key length ${value} is invalid`);
    case RecordWalkProblem.KEY:
      return new CorruptMessageError(`${where}: its key (${value} bytes) does not fit in the record`);
    case RecordWalkProblem.VALUE:
      return new CorruptMessageError(`${where}: its value (${value} bytes) does not fit in the record`);
    case RecordWalkProblem.HEADER_COUNT:
      return new CorruptMessageError(`${where}: its header count ${value} is invalid`);
    case RecordWalkProblem.HEADER:
      return new CorruptMessageError(`${where}: header ${value} does not fit in the record`);
    case RecordWalkProblem.FIELDS:
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
  invariant(buffer.length < MAX_WALK_BUFFER_BYTES, 'record walks need buffers shorter than 2 GiB');
  const problem = walkRecords(buffer, batchStart, sizeBytes, recordCount, requireKeys, problemDetail);
  if (problem !== RecordWalkProblem.NONE)
    throw recordWalkError(problem, problemDetail, batchIndex, recordCount);
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
