import { crc32c } from '@sluice/protocol';

/**
 * Encodes record batches (magic 2) for tests: header, records with zigzag varints, CRC-32C. Independent
 * of the log's own parsing so the tests check it against a second implementation of the format.
 */

export interface TestRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  /** Defaults to the record's index. */
  timestampDelta?: number;
  /** Defaults to the record's index. */
  offsetDelta?: number;
}

export interface TestBatch {
  records: TestRecord[];
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Timestamp of the first record; defaults to 1_700_000_000_000. */
  baseTimestamp?: number;
  /** Defaults to baseTimestamp + the largest timestamp delta. */
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Extra attribute bits (compression codec, timestamp type, control...). */
  attributes?: number;
  /** Overrides (to build invalid batches). */
  lastOffsetDelta?: number;
  recordCount?: number;
  /** Raw bytes to use instead of encoding `records` (e.g. a "compressed" payload). */
  rawRecords?: Buffer;
}

export const BASE_TIMESTAMP = 1_700_000_000_000;

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function pushUnsignedVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

export function pushVarint(out: number[], value: number): void {
  pushUnsignedVarint(out, zigzag32(value));
}

export function pushVarlong(out: number[], value: number): void {
  pushUnsignedVarint(out, value >= 0 ? value * 2 : -value * 2 - 1);
}

function pushBytes(out: number[], bytes: Buffer | null | undefined): void {
  if (bytes === null || bytes === undefined) {
    pushVarint(out, -1);
    return;
  }
  pushVarint(out, bytes.length);
  for (const byte of bytes) out.push(byte);
}

export function encodeRecord(record: TestRecord, index: number): Buffer {
  const body: number[] = [0];
  pushVarlong(body, record.timestampDelta ?? index);
  pushVarint(body, record.offsetDelta ?? index);
  pushBytes(body, record.key === undefined ? null : record.key);
  pushBytes(body, record.value === undefined ? Buffer.from(`value-${index}`) : record.value);
  const headers = record.headers ?? [];
  pushVarint(body, headers.length);
  for (const header of headers) {
    pushBytes(body, Buffer.from(header.key));
    pushBytes(body, header.value);
  }
  const out: number[] = [];
  pushVarint(out, body.length);
  return Buffer.from([...out, ...body]);
}

function writeInt64(buffer: Buffer, position: number, value: number): void {
  buffer.writeBigInt64BE(BigInt(value), position);
}

export function encodeBatch(batch: TestBatch): Buffer {
  const records =
    batch.rawRecords ?? Buffer.concat(batch.records.map((record, index) => encodeRecord(record, index)));
  const size = 61 + records.length;
  const buffer = Buffer.alloc(size);
  const baseTimestamp = batch.baseTimestamp ?? BASE_TIMESTAMP;
  const maxDelta = batch.records.reduce(
    (max, record, index) => Math.max(max, record.timestampDelta ?? index),
    0,
  );
  writeInt64(buffer, 0, batch.baseOffset ?? 0);
  buffer.writeInt32BE(size - 12, 8);
  buffer.writeInt32BE(batch.partitionLeaderEpoch ?? -1, 12);
  buffer.writeInt8(2, 16);
  buffer.writeInt16BE(batch.attributes ?? 0, 21);
  buffer.writeInt32BE(batch.lastOffsetDelta ?? batch.records.length - 1, 23);
  writeInt64(buffer, 27, baseTimestamp);
  writeInt64(buffer, 35, batch.maxTimestamp ?? baseTimestamp + maxDelta);
  writeInt64(buffer, 43, batch.producerId ?? -1);
  buffer.writeInt16BE(batch.producerEpoch ?? -1, 51);
  buffer.writeInt32BE(batch.baseSequence ?? -1, 53);
  buffer.writeInt32BE(batch.recordCount ?? batch.records.length, 57);
  records.copy(buffer, 61);
  buffer.writeUInt32BE(crc32c(buffer, 21, size), 17);
  return buffer;
}

/** Recomputes the CRC of the batch at `position` (after a test edits its fields). */
export function resealBatch(buffer: Buffer, position = 0): void {
  const size = buffer.readInt32BE(position + 8) + 12;
  buffer.writeUInt32BE(crc32c(buffer, position + 21, position + size), position + 17);
}

/** A batch of `count` records whose values are `valueBytes` long and derived from `seed`. */
export function simpleBatch(
  count: number,
  options: Partial<TestBatch> & { valueBytes?: number; seed?: number } = {},
): Buffer {
  const valueBytes = options.valueBytes ?? 16;
  const seed = options.seed ?? 0;
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.alloc(valueBytes);
    for (let j = 0; j < valueBytes; j++) value[j] = (seed * 31 + i * 7 + j) & 0xff;
    records.push({ key: Buffer.from(`k${i}`), value });
  }
  return encodeBatch({ ...options, records });
}

/** Summary of each batch in a buffer of whole batches. */
export interface BatchSummary {
  baseOffset: number;
  lastOffset: number;
  sizeBytes: number;
  partitionLeaderEpoch: number;
  maxTimestamp: number;
  crcValid: boolean;
}

export function summarizeBatches(buffer: Buffer): BatchSummary[] {
  const batches: BatchSummary[] = [];
  let at = 0;
  while (at < buffer.length) {
    const sizeBytes = buffer.readInt32BE(at + 8) + 12;
    const baseOffset = Number(buffer.readBigInt64BE(at));
    batches.push({
      baseOffset,
      lastOffset: baseOffset + buffer.readInt32BE(at + 23),
      sizeBytes,
      partitionLeaderEpoch: buffer.readInt32BE(at + 12),
      maxTimestamp: Number(buffer.readBigInt64BE(at + 35)),
      crcValid: buffer.readUInt32BE(at + 17) === crc32c(buffer, at + 21, at + sizeBytes),
    });
    at += sizeBytes;
  }
  if (at !== buffer.length) throw new Error(`buffer ends inside a batch: ${at} vs ${buffer.length}`);
  return batches;
}

/** Decodes the records of an uncompressed batch at `buffer[at]` (keys and values as Buffers). */
export function decodeRecords(
  buffer: Buffer,
  at = 0,
): { offset: number; key: Buffer | null; value: Buffer | null }[] {
  const end = at + buffer.readInt32BE(at + 8) + 12;
  const baseOffset = Number(buffer.readBigInt64BE(at));
  let position = at + 61;
  const readVarint = (): number => {
    let raw = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[position++];
      raw += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  };
  const readBytes = (): Buffer | null => {
    const length = readVarint();
    if (length < 0) return null;
    const bytes = buffer.subarray(position, position + length);
    position += length;
    return bytes;
  };
  const records: { offset: number; key: Buffer | null; value: Buffer | null }[] = [];
  while (position < end) {
    const length = readVarint();
    const recordEnd = position + length;
    position += 1;
    readVarint();
    const offsetDelta = readVarint();
    const key = readBytes();
    const value = readBytes();
    position = recordEnd;
    records.push({ offset: baseOffset + offsetDelta, key, value });
  }
  return records;
}

/** The value the crash and property tests store at `offset`: it names its own offset. */
export function valueForOffset(offset: number): Buffer {
  const value = Buffer.alloc(8 + (offset % 50));
  value.writeBigInt64BE(BigInt(offset), 0);
  for (let j = 8; j < value.length; j++) value[j] = (offset * 7 + j * 13) & 0xff;
  return value;
}

/** A batch of `count` records whose values are `valueForOffset` of the offsets they will get. */
export function batchForOffsets(firstOffset: number, count: number, extra: Partial<TestBatch> = {}): Buffer {
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++)
    records.push({ key: Buffer.from(`k${(firstOffset + i) % 10}`), value: valueForOffset(firstOffset + i) });
  return encodeBatch({ ...extra, records });
}
