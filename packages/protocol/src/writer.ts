import { uuidToBytes } from './uuid.js';

/** Byte fields at least this long are referenced, not copied, by `bytesReference` (record batches). */
export const REFERENCE_THRESHOLD_BYTES = 4096;
const MAX_SEGMENT_BYTES = 1024 * 1024;

/** A reserved slot that is filled in later, for a size prefix or a CRC known only after what follows. */
export interface Slot {
  readonly buffer: Buffer;
  readonly offset: number;
}

/**
 * Big-endian writer for the primitive types of the Kafka protocol.
 *
 * Output is a list of chunks: segments the writer filled itself, interleaved with large byte fields passed
 * by reference (`bytesReference`), so a fetch response hands the log's buffers to the socket as they are,
 * in one vectored write, instead of copying them into one buffer. Segments are never reallocated, so a
 * reserved slot stays valid until the end.
 */
export class Writer {
  /** Finished chunks, in order. */
  private readonly chunks: Buffer[] = [];
  /** Sum of the lengths of `chunks`. */
  private chunkBytes = 0;
  /** The segment being filled; bytes [0, position) of it are written. */
  private current: Buffer;
  private position = 0;
  /** Size of the last segment allocated; each new one doubles it, up to MAX_SEGMENT_BYTES. */
  private segmentBytes: number;

  constructor(initialCapacityBytes = 256) {
    this.current = Buffer.allocUnsafe(initialCapacityBytes);
    this.segmentBytes = initialCapacityBytes;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunkBytes + this.position;
  }

  private ensure(byteCount: number): void {
    if (this.position + byteCount <= this.current.length) return;
    if (this.position > 0) this.finishSegment();
    this.segmentBytes = Math.min(this.segmentBytes * 2, MAX_SEGMENT_BYTES);
    this.current = Buffer.allocUnsafe(Math.max(byteCount, this.segmentBytes));
    this.position = 0;
  }

  private finishSegment(): void {
    const used = this.current.subarray(0, this.position);
    this.chunks.push(used);
    this.chunkBytes += this.position;
    this.current = this.current.subarray(this.position);
    this.position = 0;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int8(value: number): this {
    this.ensure(1);
    this.current.writeInt8(value, this.position);
    this.position += 1;
    return this;
  }

  uint8(value: number): this {
    this.ensure(1);
    this.current[this.position++] = value;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.current.writeInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.current.writeUInt16BE(value, this.position);
    this.position += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.current.writeInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.current.writeUInt32BE(value, this.position);
    this.position += 4;
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.current.writeBigInt64BE(value, this.position);
    this.position += 8;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.current.writeDoubleBE(value, this.position);
    this.position += 8;
    return this;
  }

  /** UNSIGNED_VARINT for a value in [0, 2^32). */
  uvarint(value: number): this {
    if (!(value >= 0 && value <= 0xffffffff) || !Number.isInteger(value)) {
      throw new RangeError(`unsigned varint out of range: ${value}`);
    }
    this.ensure(5);
    const buffer = this.current;
    let position = this.position;
    while (value >= 0x80) {
      buffer[position++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[position++] = value;
    this.position = position;
    return this;
  }

  /** VARINT: zigzag signed 32-bit. */
  varint(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** VARLONG: zigzag signed 64-bit. */
  varlong(value: bigint): this {
    let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    this.ensure(10);
    const buffer = this.current;
    while (raw >= 0x80n) {
      buffer[this.position++] = Number(raw & 0x7fn) | 0x80;
      raw >>= 7n;
    }
    buffer[this.position++] = Number(raw);
    return this;
  }

  /** VARLONG from a safe integer (record timestamp and offset deltas) without going through bigint. */
  varlongNumber(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varlong out of the safe integer range: ${value}`);
    let raw = value >= 0 ? value * 2 : -value * 2 - 1;
    this.ensure(10);
    const buffer = this.current;
    let position = this.position;
    while (raw >= 0x80) {
      buffer[position++] = (raw % 128) | 0x80;
      raw = Math.floor(raw / 128);
    }
    buffer[position++] = raw;
    this.position = position;
    return this;
  }

  uuid(value: string): this {
    this.ensure(16);
    uuidToBytes(value, this.current, this.position);
    this.position += 16;
    return this;
  }

  private utf8(value: string, byteLength: number): void {
    this.ensure(byteLength);
    this.current.write(value, this.position, byteLength, 'utf8');
    this.position += byteLength;
  }

  /** STRING: int16 length, then UTF-8. */
  string(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    if (byteLength > 0x7fff) throw new RangeError(`string of ${byteLength} bytes is longer than 32767`);
    this.int16(byteLength);
    this.utf8(value, byteLength);
    return this;
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1);
    return this.string(value);
  }

  compactString(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.uvarint(byteLength + 1);
    this.utf8(value, byteLength);
    return this;
  }

  compactNullableString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    return this.compactString(value);
  }

  /** BYTES: int32 length, then a copy of the bytes. */
  bytes(value: Uint8Array): this {
    this.int32(value.length);
    return this.raw(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    return this.bytes(value);
  }

  compactBytes(value: Uint8Array): this {
    this.uvarint(value.length + 1);
    return this.raw(value);
  }

  compactNullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.uvarint(0);
    return this.compactBytes(value);
  }

  /** The bytes as they are, copied. */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.current.set(value, this.position);
    this.position += value.length;
    return this;
  }

  /**
   * The bytes as they are, by reference when large: the caller must not change them until the output has
   * been written out.
   */
  rawReference(value: Buffer): this {
    if (value.length < REFERENCE_THRESHOLD_BYTES) return this.raw(value);
    if (this.position > 0) this.finishSegment();
    this.chunks.push(value);
    this.chunkBytes += value.length;
    return this;
  }

  /** NULLABLE_BYTES / RECORDS with the payload by reference (see rawReference). */
  nullableBytesReference(value: Buffer | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    return this.rawReference(value);
  }

  compactNullableBytesReference(value: Buffer | null): this {
    if (value === null) return this.uvarint(0);
    this.uvarint(value.length + 1);
    return this.rawReference(value);
  }

  /** ARRAY length (-1 for null). */
  arrayLength(count: number): this {
    return this.int32(count);
  }

  /** COMPACT_ARRAY length (-1 for null is written as 0). */
  compactArrayLength(count: number): this {
    return this.uvarint(count + 1);
  }

  /** Reserves `byteCount` bytes to fill in later. */
  reserve(byteCount: number): Slot {
    this.ensure(byteCount);
    const slot = { buffer: this.current, offset: this.position };
    this.position += byteCount;
    return slot;
  }

  /** The output as a list of buffers, for a vectored write. The writer must not be used afterwards. */
  toChunks(): Buffer[] {
    if (this.position > 0) this.finishSegment();
    return this.chunks;
  }

  /** The output as one buffer (copies unless there is a single chunk). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    if (chunks.length === 1) return chunks[0];
    return Buffer.concat(chunks, this.chunkBytes);
  }
}
