import { type CompressionCodec, compressionCodec } from './compression.js';
import { DecodeError } from './decode-error.js';
import { Reader } from './reader.js';
import {
  BatchLayout,
  COMPRESSION_MASK,
  CONTROL_MASK,
  type CompressionName,
  CompressionType,
  CURRENT_MAGIC,
  computeBatchCrc,
  LOG_OVERHEAD_BYTES,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_BYTES,
  type RecordBatchHeader,
  readRecordBatchHeader,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './record-batch-header.js';
import {
  appendRecord,
  recordBodyBytes,
  recordFieldBytes,
  recordHeadersBytes,
  varintBytes,
} from './record-encoding.js';

/**
 * Record batch v2 (magic 2), the unit producers send, brokers store and consumers fetch
 * (../shared/kafka-protocol/messages/RecordBatch-format.txt). After the 61-byte header
 * (record-batch-header.ts) come `recordCount` records, compressed together when the attributes say so:
 *
 *   record:  length varint             bytes of the rest of the record
 *            attributes int8           unused, 0
 *            timestampDelta varlong    timestamp - baseTimestamp
 *            offsetDelta varint        offset - baseOffset
 *            keyLength varint, key     -1 for a null key
 *            valueLength varint, value -1 for a null value
 *            headerCount varint, then per header:
 *              keyLength varint, key (UTF-8), valueLength varint, value (-1 for null)
 *
 * Control batches (attributes bit 5) carry control records: key = version int16, type int16 (0 abort,
 * 1 commit); value = version int16, coordinatorEpoch int32.
 *
 * Encoding sizes everything first and writes into one buffer: header and records for an uncompressed
 * batch; for a compressed one, the records into a reused scratch buffer, then header and compressed
 * records into the output. Decoding returns keys and values as views into the input (or into the
 * decompressed records), never copies.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A decoded record. Offsets and timestamps are numbers: they fit in 2^53 (the decoder checks). */
export interface KafkaRecord {
  offset: number;
  /** ms; for a LogAppendTime batch, the batch's maxTimestamp, as in Kafka. */
  timestamp: number;
  offsetDelta: number;
  timestampDelta: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';

export interface RecordBatch extends RecordBatchHeader {
  compression: CompressionName;
  timestampType: TimestampTypeName;
  isTransactional: boolean;
  isControl: boolean;
  records: KafkaRecord[];
}

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** ms; defaults to the batch's baseTimestamp, or Date.now(). */
  timestamp?: number;
}

export interface RecordBatchInput {
  /** At least one, unless isControl. */
  records: RecordInput[];
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionName;
  timestampType?: TimestampTypeName;
  isTransactional?: boolean;
  isControl?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** ms; defaults to the first record's timestamp, as Kafka's producer does. */
  baseTimestamp?: number;
}

export interface DecodeRecordBatchOptions {
  /** Check the CRC-32C of every batch (default true). */
  verifyCrc?: boolean;
  /** The most a compressed batch's records may decompress to (default DEFAULT_MAX_UNCOMPRESSED_BYTES). */
  maxUncompressedBytes?: number;
}

/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
const MIN_RECORD_BYTES = 7;
/** The largest batch the int32 batchLength field can describe. */
const MAX_BATCH_BYTES = 0x7fffffff + LOG_OVERHEAD_BYTES;
/** Scratch buffers up to this size are kept for the next compressed batch; larger ones are not pooled. */
const MAX_POOLED_SCRATCH_BYTES = 4 * 1024 * 1024;

const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------------------
// Encoding

function assertInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function assertInt64(name: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw new RangeError(`${name} must be a 64-bit bigint, got ${String(value)}`);
  }
}

function assertTimestamp(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer (ms), got ${value}`);
}

let scratch: Buffer = Buffer.alloc(0);

/** A buffer of at least `byteCount` bytes for records about to be compressed, reused between batches. */
function scratchBuffer(byteCount: number): Buffer {
  if (byteCount > MAX_POOLED_SCRATCH_BYTES) return Buffer.allocUnsafeSlow(byteCount);
  if (scratch.length < byteCount) {
    scratch = Buffer.allocUnsafeSlow(
      Math.min(MAX_POOLED_SCRATCH_BYTES, Math.max(byteCount, scratch.length * 2)),
    );
  }
  return scratch;
}

/**
 * Encodes a record batch. Record i gets offsetDelta i. A record's timestamp defaults to `baseTimestamp`,
 * or to the time of the call; `baseTimestamp` defaults to the first record's timestamp. Throws a RangeError
 * for a field out of its wire range.
 */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const records = input.records;
  const recordCount = records.length;
  const isControl = input.isControl ?? false;
  if (recordCount === 0 && !isControl) throw new RangeError('a record batch needs at least one record');
  const baseOffset = input.baseOffset ?? 0n;
  const partitionLeaderEpoch = input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH;
  const compression = input.compression ?? 'none';
  const timestampType = input.timestampType ?? 'CreateTime';
  const producerId = input.producerId ?? NO_PRODUCER_ID;
  const producerEpoch = input.producerEpoch ?? NO_PRODUCER_EPOCH;
  const baseSequence = input.baseSequence ?? NO_SEQUENCE;
  assertInt64('baseOffset', baseOffset);
  assertInt64('producerId', producerId);
  assertInteger('partitionLeaderEpoch', partitionLeaderEpoch, -(2 ** 31), 2 ** 31 - 1);
  assertInteger('producerEpoch', producerEpoch, -(2 ** 15), 2 ** 15 - 1);
  assertInteger('baseSequence', baseSequence, -(2 ** 31), 2 ** 31 - 1);
  if (!Object.hasOwn(CompressionType, compression)) {
    throw new RangeError(`unknown compression ${compression}`);
  }
  if (timestampType !== 'CreateTime' && timestampType !== 'LogAppendTime') {
    throw new RangeError(`unknown timestamp type ${timestampType}`);
  }

  const defaultTimestamp = input.baseTimestamp ?? Date.now();
  const baseTimestamp = input.baseTimestamp ?? records[0]?.timestamp ?? defaultTimestamp;
  assertTimestamp('baseTimestamp', baseTimestamp);

  // Pass 1: the size of every record, and of all of them.
  const lengths = new Int32Array(recordCount * 3); // per record: headers bytes, key bytes, value bytes
  let maxTimestamp = recordCount === 0 ? baseTimestamp : Number.MIN_SAFE_INTEGER;
  let recordsBytes = 0;
  for (let i = 0; i < recordCount; i++) {
    const record = records[i];
    const timestamp = record.timestamp ?? defaultTimestamp;
    assertTimestamp('record timestamp', timestamp);
    assertTimestamp('record timestamp - baseTimestamp', timestamp - baseTimestamp);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const keyBytes = recordFieldBytes(record.key);
    const valueBytes = recordFieldBytes(record.value);
    const headersBytes = recordHeadersBytes(record.headers);
    const bodyBytes = recordBodyBytes(timestamp - baseTimestamp, i, keyBytes, valueBytes, headersBytes);
    lengths[3 * i] = headersBytes;
    lengths[3 * i + 1] = keyBytes;
    lengths[3 * i + 2] = valueBytes;
    recordsBytes += varintBytes(bodyBytes) + bodyBytes;
    if (recordsBytes > MAX_BATCH_BYTES - RECORD_BATCH_HEADER_BYTES) {
      throw new RangeError(`records of more than ${MAX_BATCH_BYTES} bytes do not fit in one batch`);
    }
  }

  // Pass 2: the records, into the output itself or into scratch space for the codec.
  const codec: CompressionCodec | null = compression === 'none' ? null : compressionCodec(compression);
  const recordsStart = codec === null ? RECORD_BATCH_HEADER_BYTES : 0;
  const target =
    codec === null ? Buffer.allocUnsafe(recordsStart + recordsBytes) : scratchBuffer(recordsBytes);
  let position = recordsStart;
  for (let i = 0; i < recordCount; i++) {
    const record = records[i];
    const timestamp = record.timestamp ?? defaultTimestamp;
    position = appendRecord(
      target,
      position,
      timestamp - baseTimestamp,
      i,
      record.key,
      lengths[3 * i + 1],
      record.value,
      lengths[3 * i + 2],
      record.headers,
      lengths[3 * i],
    );
    if (position < 0)
      throw new Error(`record ${i} does not fit in the ${recordsBytes} bytes sized for the records`);
  }
  if (position - recordsStart !== recordsBytes) {
    throw new Error(`records took ${position - recordsStart} bytes but were sized at ${recordsBytes}`);
  }
  let output = target;
  if (codec !== null) {
    const compressed = codec.compress(target.subarray(0, recordsBytes));
    if (compressed.length > MAX_BATCH_BYTES - RECORD_BATCH_HEADER_BYTES) {
      throw new RangeError(`compressed records of ${compressed.length} bytes do not fit in one batch`);
    }
    output = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + compressed.length);
    compressed.copy(output, RECORD_BATCH_HEADER_BYTES);
  }

  const attributes =
    CompressionType[compression] |
    (timestampType === 'LogAppendTime' ? TIMESTAMP_TYPE_MASK : 0) |
    (input.isTransactional ? TRANSACTIONAL_MASK : 0) |
    (isControl ? CONTROL_MASK : 0);
  output.writeBigInt64BE(baseOffset, BatchLayout.BASE_OFFSET);
  output.writeInt32BE(output.length - LOG_OVERHEAD_BYTES, BatchLayout.BATCH_LENGTH);
  output.writeInt32BE(partitionLeaderEpoch, BatchLayout.PARTITION_LEADER_EPOCH);
  output[BatchLayout.MAGIC] = CURRENT_MAGIC;
  output.writeInt16BE(attributes, BatchLayout.ATTRIBUTES);
  output.writeInt32BE(recordCount - 1, BatchLayout.LAST_OFFSET_DELTA);
  output.writeBigInt64BE(BigInt(baseTimestamp), BatchLayout.BASE_TIMESTAMP);
  output.writeBigInt64BE(BigInt(maxTimestamp), BatchLayout.MAX_TIMESTAMP);
  output.writeBigInt64BE(producerId, BatchLayout.PRODUCER_ID);
  output.writeInt16BE(producerEpoch, BatchLayout.PRODUCER_EPOCH);
  output.writeInt32BE(baseSequence, BatchLayout.BASE_SEQUENCE);
  output.writeInt32BE(recordCount, BatchLayout.RECORD_COUNT);
  output.writeUInt32BE(computeBatchCrc(output, 0, output.length), BatchLayout.CRC);
  return output;
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** A 64-bit header field as a number, refused when it does not fit in 2^53. */
function safeNumber(name: string, value: bigint, offset: number): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DecodeError(`${name} ${value} does not fit in 2^53`, offset);
  }
  return Number(value);
}

function decodeRecord(
  reader: Reader,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number | null,
): KafkaRecord {
  const start = reader.offset;
  const length = reader.varint();
  if (length < MIN_RECORD_BYTES - 1 || length > reader.remaining) {
    throw new DecodeError(`record length ${length} with ${reader.remaining} bytes left`, start);
  }
  const bodyStart = reader.offset;
  const end = bodyStart + length;
  const attributes = reader.int8();
  const timestampDelta = reader.varlongNumber();
  const offsetDelta = reader.varint();
  const key = reader.varintNullableBytes();
  const value = reader.varintNullableBytes();
  const headerCountStart = reader.offset;
  const headerCount = reader.varint();
  if (headerCount < 0 || headerCount > end - reader.offset) {
    throw new DecodeError(`invalid header count ${headerCount}`, headerCountStart);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyStart = reader.offset;
    const headerKey = reader.varintNullableBytes();
    if (headerKey === null) throw new DecodeError('null header key', keyStart);
    headers.push({ key: headerKey.toString('utf8'), value: reader.varintNullableBytes() });
  }
  if (reader.offset !== end) {
    throw new DecodeError(
      `record states ${length} bytes but its fields take ${reader.offset - bodyStart}`,
      start,
    );
  }
  const offset = baseOffset + offsetDelta;
  const timestamp = logAppendTime ?? baseTimestamp + timestampDelta;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(timestamp)) {
    throw new DecodeError('record offset or timestamp does not fit in 2^53', start);
  }
  return { offset, timestamp, offsetDelta, timestampDelta, attributes, key, value, headers };
}

/**
 * Decodes the whole batch at `offset`. Throws a DecodeError when the bytes are not a valid batch of magic 2:
 * cut short, a bad CRC (unless `verifyCrc` is false), a malformed record, a record count that does not
 * match, bytes left after the last record, compressed records that do not decompress or would decompress to
 * more than `maxUncompressedBytes`. Throws UnsupportedCompressionTypeError when the codec's optional package
 * is not installed.
 */
export function decodeRecordBatch(
  buffer: Buffer,
  offset = 0,
  options: DecodeRecordBatchOptions = {},
): RecordBatch {
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`invalid batch offset ${offset}`);
  const header = readRecordBatchHeader(buffer, offset);
  if (header.sizeBytes > buffer.length - offset) {
    throw new DecodeError(
      `record batch of ${header.sizeBytes} bytes, ${buffer.length - offset} left`,
      offset,
    );
  }
  if (header.magic !== CURRENT_MAGIC) {
    throw new DecodeError(
      `record batch magic ${header.magic}, only 2 is supported`,
      offset + BatchLayout.MAGIC,
    );
  }
  if (options.verifyCrc ?? true) {
    const computed = computeBatchCrc(buffer, offset, header.sizeBytes);
    if (computed !== header.crc) {
      throw new DecodeError(
        `record batch CRC-32C is 0x${header.crc.toString(16)}, its bytes give 0x${computed.toString(16)}`,
        offset + BatchLayout.CRC,
      );
    }
  }
  const compressionCode = header.attributes & COMPRESSION_MASK;
  const compression = COMPRESSION_NAMES[compressionCode];
  if (compression === undefined) {
    throw new DecodeError(`unknown compression type ${compressionCode}`, offset + BatchLayout.ATTRIBUTES);
  }
  const baseOffset = safeNumber('base offset', header.baseOffset, offset + BatchLayout.BASE_OFFSET);
  const baseTimestamp = safeNumber(
    'base timestamp',
    header.baseTimestamp,
    offset + BatchLayout.BASE_TIMESTAMP,
  );
  const isLogAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const logAppendTime = isLogAppendTime
    ? safeNumber('max timestamp', header.maxTimestamp, offset + BatchLayout.MAX_TIMESTAMP)
    : null;

  let reader: Reader;
  if (compression === 'none') {
    reader = new Reader(buffer, offset + RECORD_BATCH_HEADER_BYTES, offset + header.sizeBytes);
  } else {
    const compressed = buffer.subarray(offset + RECORD_BATCH_HEADER_BYTES, offset + header.sizeBytes);
    reader = new Reader(compressionCodec(compression).decompress(compressed, options.maxUncompressedBytes));
  }
  const recordCount = header.recordCount;
  if (recordCount < 0 || recordCount > reader.remaining / MIN_RECORD_BYTES) {
    throw new DecodeError(
      `record count ${recordCount} cannot fit in ${reader.remaining} bytes of records`,
      offset + BatchLayout.RECORD_COUNT,
    );
  }
  const records: KafkaRecord[] = [];
  for (let i = 0; i < recordCount; i++) {
    records.push(decodeRecord(reader, baseOffset, baseTimestamp, logAppendTime));
  }
  if (reader.remaining !== 0) {
    throw new DecodeError(
      `${reader.remaining} bytes after the last of ${recordCount} records`,
      reader.offset,
    );
  }
  return {
    ...header,
    compression,
    timestampType: isLogAppendTime ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (header.attributes & TRANSACTIONAL_MASK) !== 0,
    isControl: (header.attributes & CONTROL_MASK) !== 0,
    records,
  };
}

/**
 * Every whole batch in `buffer`, in order; a truncated last batch is skipped (fetch responses may end in
 * one). A malformed batch before it throws, as in decodeRecordBatch.
 */
export function decodeRecordBatches(buffer: Buffer, options: DecodeRecordBatchOptions = {}): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let offset = 0;
  while (buffer.length - offset >= RECORD_BATCH_HEADER_BYTES) {
    const sizeBytes = buffer.readInt32BE(offset + BatchLayout.BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
    if (sizeBytes > buffer.length - offset) break;
    const batch = decodeRecordBatch(buffer, offset, options);
    batches.push(batch);
    offset += batch.sizeBytes;
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------------------
// Control records

const CONTROL_RECORD_KEY_VERSION = 0;
const END_TRANSACTION_MARKER_VERSION = 0;
const CONTROL_KEY_BYTES = 4;
const END_TRANSACTION_MARKER_BYTES = 6;
const ControlRecordType = { abort: 0, commit: 1 } as const;

/** Key and value of the control record that ends a transaction (in a control batch). */
export function encodeControlRecord(
  type: 'abort' | 'commit',
  coordinatorEpoch: number,
): { key: Buffer; value: Buffer } {
  if (type !== 'abort' && type !== 'commit') throw new RangeError(`unknown control record type ${type}`);
  assertInteger('coordinatorEpoch', coordinatorEpoch, -(2 ** 31), 2 ** 31 - 1);
  const key = Buffer.allocUnsafe(CONTROL_KEY_BYTES);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(ControlRecordType[type], 2);
  const value = Buffer.allocUnsafe(END_TRANSACTION_MARKER_BYTES);
  value.writeInt16BE(END_TRANSACTION_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return { key, value };
}

/**
 * Reads a transaction marker from a control record. `version` is the marker's (the value's) version; later
 * versions may append fields, which are ignored. Throws a DecodeError for any other control record.
 */
export function decodeControlRecord(record: KafkaRecord): {
  type: 'abort' | 'commit';
  version: number;
  coordinatorEpoch: number;
} {
  const { key, value } = record;
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new DecodeError(`control record key of ${key?.length ?? 'null'} bytes, needs 4`, 0);
  }
  const keyVersion = key.readInt16BE(0);
  if (keyVersion < 0) throw new DecodeError(`control record key version ${keyVersion}`, 0);
  const typeCode = key.readInt16BE(2);
  if (typeCode !== ControlRecordType.abort && typeCode !== ControlRecordType.commit) {
    throw new DecodeError(`control record type ${typeCode} is not a transaction marker`, 2);
  }
  if (value === null || value.length < END_TRANSACTION_MARKER_BYTES) {
    throw new DecodeError(`transaction marker of ${value?.length ?? 'null'} bytes, needs 6`, 0);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new DecodeError(`transaction marker version ${version}`, 0);
  return {
    type: typeCode === ControlRecordType.commit ? 'commit' : 'abort',
    version,
    coordinatorEpoch: value.readInt32BE(2),
  };
}
