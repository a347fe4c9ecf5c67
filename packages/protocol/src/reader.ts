import { DecodeError } from './decode-error.js';
import { uuidFromBytes } from './uuid.js';

/**
 * Sequential big-endian reader over a Buffer, for the primitive types of the Kafka protocol
 * (../shared/kafka-protocol/messages/primitive-types.txt).
 *
 * Every read checks the bytes it needs against `end` and throws a DecodeError when they are not there, so a
 * decoder fed arbitrary bytes fails with a DecodeError and nothing else. Byte fields are returned as views
 * into the underlying buffer, never copied.
 */
export class Reader {
  /** Position of the next byte to read; only moves forward, never past `end`. */
  offset: number;
  readonly end: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    end = buffer.length,
  ) {
    if (offset < 0 || end > buffer.length || offset > end) {
      throw new RangeError(`reader bounds [${offset}, ${end}) outside a buffer of ${buffer.length} bytes`);
    }
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `byteCount` more bytes are available. */
  need(byteCount: number): void {
    if (byteCount > this.end - this.offset || byteCount < 0) {
      throw new DecodeError(`needed ${byteCount} bytes, ${this.end - this.offset} left`, this.offset);
    }
  }

  skip(byteCount: number): void {
    this.need(byteCount);
    this.offset += byteCount;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int8(): number {
    this.need(1);
    return this.buffer.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1);
    return this.buffer[this.offset++];
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(): bigint {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  float64(): number {
    this.need(8);
    const value = this.buffer.readDoubleBE(this.offset);
    this.offset += 8;
    return value;
  }

  /** Unsigned varint of at most 5 bytes (UNSIGNED_VARINT), as a number in [0, 2^32). */
  uvarint(): number {
    const buffer = this.buffer;
    const end = this.end;
    let offset = this.offset;
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 5; i++) {
      if (offset >= end) throw new DecodeError('varint runs past the end', offset);
      const byte = buffer[offset++];
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new DecodeError('varint does not fit in 32 bits', this.offset);
        this.offset = offset;
        return value;
      }
      multiplier *= 128;
    }
    throw new DecodeError('varint longer than 5 bytes', this.offset);
  }

  /** Zigzag-encoded signed varint (VARINT), as a number in [-2^31, 2^31). */
  varint(): number {
    const raw = this.uvarint();
    // zigzag: 0 -> 0, 1 -> -1, 2 -> 1, ...
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zigzag-encoded signed varlong (VARLONG) as a bigint. */
  varlong(): bigint {
    const start = this.offset;
    let raw = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new DecodeError('varlong runs past the end', this.offset);
      const byte = this.buffer[this.offset++];
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        if (raw > 0xffffffffffffffffn) throw new DecodeError('varlong does not fit in 64 bits', start);
        return (raw >> 1n) ^ -(raw & 1n);
      }
      shift += 7n;
    }
    throw new DecodeError('varlong longer than 10 bytes', start);
  }

  /**
   * Zigzag-encoded varlong as a number, for fields that fit in 53 bits in practice (record timestamp and
   * offset deltas). Throws a DecodeError when the value is outside the safe integer range.
   */
  varlongNumber(): number {
    const buffer = this.buffer;
    const end = this.end;
    const start = this.offset;
    let offset = start;
    let raw = 0;
    let multiplier = 1;
    for (let i = 0; i < 8; i++) {
      if (offset >= end) throw new DecodeError('varlong runs past the end', offset);
      const byte = buffer[offset++];
      raw += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        this.offset = offset;
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      multiplier *= 128;
    }
    // Longer than 56 bits: take the exact path and check it fits.
    this.offset = start;
    const value = this.varlong();
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DecodeError('varlong outside the safe integer range', start);
    }
    return Number(value);
  }

  uuid(): string {
    this.need(16);
    const value = uuidFromBytes(this.buffer, this.offset);
    this.offset += 16;
    return value;
  }

  private utf8(length: number): string {
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private view(length: number): Buffer {
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** STRING: int16 length, then UTF-8. */
  string(): string {
    const length = this.int16();
    if (length < 0) throw new DecodeError(`negative string length ${length}`, this.offset - 2);
    return this.utf8(length);
  }

  /** NULLABLE_STRING: int16 length, -1 for null. */
  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw new DecodeError(`invalid string length ${length}`, this.offset - 2);
    return this.utf8(length);
  }

  /** COMPACT_STRING: unsigned varint length + 1. */
  compactString(): string {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) throw new DecodeError('null compact string where none is allowed', this.offset);
    return this.utf8(lengthPlusOne - 1);
  }

  /** COMPACT_NULLABLE_STRING: unsigned varint length + 1, 0 for null. */
  compactNullableString(): string | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.utf8(lengthPlusOne - 1);
  }

  /** BYTES: int32 length, then the bytes (a view, not a copy). */
  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) throw new DecodeError(`negative bytes length ${length}`, this.offset - 4);
    return this.view(length);
  }

  /** NULLABLE_BYTES (also RECORDS): int32 length, -1 for null. */
  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw new DecodeError(`invalid bytes length ${length}`, this.offset - 4);
    return this.view(length);
  }

  compactBytes(): Buffer {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) throw new DecodeError('null compact bytes where none is allowed', this.offset);
    return this.view(lengthPlusOne - 1);
  }

  compactNullableBytes(): Buffer | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.view(lengthPlusOne - 1);
  }

  /**
   * A record's key, value or header field (record batch v2): a zigzag varint length, -1 for null (other
   * negatives are refused), then the bytes as a view.
   */
  varintNullableBytes(): Buffer | null {
    const start = this.offset;
    const length = this.varint();
    if (length === -1) return null;
    if (length < 0) throw new DecodeError(`invalid field length ${length}`, start);
    return this.view(length);
  }

  /** `length` raw bytes as a view. */
  raw(length: number): Buffer {
    return this.view(length);
  }

  /**
   * ARRAY length: int32, -1 for null. A count larger than the bytes left cannot be honest (every element
   * takes at least one byte), so it is refused before anything is allocated for it.
   */
  arrayLength(): number {
    const count = this.int32();
    if (count < -1) throw new DecodeError(`invalid array length ${count}`, this.offset - 4);
    if (count > this.end - this.offset) {
      throw new DecodeError(`array of ${count} elements in ${this.end - this.offset} bytes`, this.offset - 4);
    }
    return count;
  }

  /** COMPACT_ARRAY length: unsigned varint count + 1, 0 for null (returned as -1). */
  compactArrayLength(): number {
    const start = this.offset;
    const countPlusOne = this.uvarint();
    const count = countPlusOne - 1;
    if (count > this.end - this.offset) {
      throw new DecodeError(`array of ${count} elements in ${this.end - this.offset} bytes`, start);
    }
    return count;
  }
}
