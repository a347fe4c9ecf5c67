/**
 * Sizing and writing the records of a record batch v2 (the layout is in record-batch.ts) straight into a
 * buffer: `encodeRecordBatch` writes a whole batch with them (sized first), and the producer appends records
 * one by one into a pooled batch buffer until one does not fit. Writers return the position after what they
 * wrote. Nothing here allocates.
 *
 * Varints are zigzag-encoded: a 32-bit signed integer (lengths, counts, offset deltas) as VARINT, a safe
 * integer (timestamp deltas) as VARLONG without going through bigint.
 */

/** A key, value or header value as given: a string is written as UTF-8; null (or absent) is length -1. */
export type RecordField = Buffer | Uint8Array | string | null | undefined;

export interface RecordHeaderField {
  readonly key: string;
  readonly value: RecordField;
}

/** Bytes of the zigzag varint of a 32-bit signed integer. */
export function varintBytes(value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (raw >= 0x80) {
    raw >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Bytes of the zigzag varlong of a safe integer. */
export function varlongBytes(value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128);
    bytes++;
  }
  return bytes;
}

/** Writes the zigzag varint of a 32-bit signed integer at `position`; returns the position after it. */
export function writeVarint(buffer: Buffer, position: number, value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    buffer[position++] = (raw & 0x7f) | 0x80;
    raw >>>= 7;
  }
  buffer[position++] = raw;
  return position;
}

/** Writes the zigzag varlong of a safe integer at `position`; returns the position after it. */
export function writeVarlong(buffer: Buffer, position: number, value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  while (raw >= 0x80) {
    buffer[position++] = (raw % 128) | 0x80;
    raw = Math.floor(raw / 128);
  }
  buffer[position++] = raw;
  return position;
}

/** The encoded length of a key, value or header value: -1 for null. */
export function recordFieldBytes(value: RecordField): number {
  if (value === null || value === undefined) return -1;
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

/** Bytes of a length-prefixed field of `byteLength` bytes (-1 for null: the prefix alone). */
export function recordFieldWithLengthBytes(byteLength: number): number {
  return byteLength < 0 ? 1 : varintBytes(byteLength) + byteLength;
}

/** Writes a length-prefixed field whose length `byteLength` (from recordFieldBytes) is already known. */
export function writeRecordField(
  buffer: Buffer,
  position: number,
  value: RecordField,
  byteLength: number,
): number {
  position = writeVarint(buffer, position, byteLength);
  if (byteLength <= 0) return position;
  if (typeof value === 'string') buffer.write(value, position, byteLength, 'utf8');
  else buffer.set(value as Uint8Array, position);
  return position + byteLength;
}

/** Bytes of a record's headers section: the count, then each header's key and value. */
export function recordHeadersBytes(headers: readonly RecordHeaderField[] | null | undefined): number {
  if (headers === null || headers === undefined || headers.length === 0) return 1;
  let bytes = varintBytes(headers.length);
  for (const header of headers) {
    bytes += recordFieldWithLengthBytes(Buffer.byteLength(header.key, 'utf8'));
    bytes += recordFieldWithLengthBytes(recordFieldBytes(header.value));
  }
  return bytes;
}

/**
 * Bytes of a record after its length prefix: attributes, the deltas, key, value and the headers section
 * (`headersBytes` from recordHeadersBytes). The whole record takes `varintBytes(body) + body`.
 */
export function recordBodyBytes(
  timestampDelta: number,
  offsetDelta: number,
  keyBytes: number,
  valueBytes: number,
  headersBytes: number,
): number {
  return (
    1 +
    varlongBytes(timestampDelta) +
    varintBytes(offsetDelta) +
    recordFieldWithLengthBytes(keyBytes) +
    recordFieldWithLengthBytes(valueBytes) +
    headersBytes
  );
}

/**
 * Appends one record at `position` when it fits before the end of `buffer`: its length prefix, attributes 0,
 * the deltas, key, value and headers. `keyBytes` and `valueBytes` are the fields' lengths from
 * recordFieldBytes, `headersBytes` the headers section's from recordHeadersBytes. Returns the position after
 * the record, or -1, with nothing written, when it does not fit. (One function from sizing to the last byte:
 * it is the producer's per-record hot path, and stays one optimized unit.)
 */
export function appendRecord(
  buffer: Buffer,
  position: number,
  timestampDelta: number,
  offsetDelta: number,
  key: RecordField,
  keyBytes: number,
  value: RecordField,
  valueBytes: number,
  headers: readonly RecordHeaderField[] | null | undefined,
  headersBytes: number,
): number {
  const bodyBytes = recordBodyBytes(timestampDelta, offsetDelta, keyBytes, valueBytes, headersBytes);
  const start = position;
  const end = start + varintBytes(bodyBytes) + bodyBytes;
  if (end > buffer.length) return -1;
  position = writeVarint(buffer, position, bodyBytes);
  buffer[position++] = 0; // attributes
  position = writeVarlong(buffer, position, timestampDelta);
  position = writeVarint(buffer, position, offsetDelta);
  position = writeRecordField(buffer, position, key, keyBytes);
  position = writeRecordField(buffer, position, value, valueBytes);
  if (headers === null || headers === undefined || headers.length === 0) {
    buffer[position++] = 0;
  } else {
    position = writeVarint(buffer, position, headers.length);
    for (const header of headers) {
      position = writeRecordField(buffer, position, header.key, Buffer.byteLength(header.key, 'utf8'));
      position = writeRecordField(buffer, position, header.value, recordFieldBytes(header.value));
    }
  }
  if (position !== end) {
    throw new Error(`a record took ${position - start} bytes but was sized at ${end - start}`);
  }
  return end;
}
