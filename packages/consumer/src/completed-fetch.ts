import { kafkaErrorAt, partitionLocation } from '@sluice/network';
import {
  BatchLayout,
  COMPRESSION_MASK,
  CONTROL_MASK,
  type CompressionName,
  compressionCodec,
  computeBatchCrc,
  DecodeError,
  ErrorCode,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
  Reader,
  type RecordHeader,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from '@sluice/protocol';
import type { PartitionState } from './partition-state.js';

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

/** Makes the application's record from a decoded one (deserializers run here). */
export type RecordBuilder<Record> = (
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[],
) => Record;

export interface CompletedFetchOptions<Record> {
  readonly verifyCrc: boolean;
  /** read_committed: skip the batches of aborted transactions listed here (sorted by firstOffset). */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  readonly build: RecordBuilder<Record>;
}

const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** The smallest record: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
const MIN_RECORD_BYTES = 7;
/** Control record type of a transaction abort marker (key: version int16, type int16). */
const ABORT_MARKER_TYPE = 0;
const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** Offset of the record after the last complete batch in `data` (-1 when there is none), and its extent. */
export function nextOffsetAfter(data: Buffer): {
  nextOffset: number;
  completeBytes: number;
  firstBatchBytes: number;
} {
  let position = 0;
  let nextOffset = -1;
  let firstBatchBytes = -1;
  while (data.length - position >= RECORD_BATCH_HEADER_BYTES) {
    const sizeBytes = data.readInt32BE(position + BatchLayout.BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
    if (firstBatchBytes < 0) firstBatchBytes = sizeBytes;
    if (sizeBytes < RECORD_BATCH_HEADER_BYTES || sizeBytes > data.length - position) break;
    const baseOffset = Number(data.readBigInt64BE(position + BatchLayout.BASE_OFFSET));
    nextOffset = baseOffset + data.readInt32BE(position + BatchLayout.LAST_OFFSET_DELTA) + 1;
    position += sizeBytes;
  }
  return { nextOffset, completeBytes: position, firstBatchBytes };
}

/**
 * The record data one fetch returned for one partition, decoded a record at a time as the application
 * reads it: batches it never reaches are never decompressed or checked, and each record becomes the
 * application's record object directly, keys and values as views into the fetched (or decompressed)
 * bytes. Records before the fetch offset (a compressed batch is returned whole) are skipped, and so are
 * control batches and, for read_committed, the batches of aborted transactions (Kafka's rule: a producer's
 * batches count as aborted from the first offset the broker lists for it until its abort marker).
 *
 * Every batch is checked as it is reached: magic 2, its CRC-32C (unless turned off), each record's lengths,
 * the record count, and that nothing is left after the last record; a bad batch is reported as
 * CORRUPT_MESSAGE at its partition, with the batch's offset.
 */
export class CompletedFetch<Record> {
  readonly partition: PartitionState;
  readonly generation: number;
  private readonly data: Buffer;
  private readonly end: number;
  private readonly options: CompletedFetchOptions<Record>;
  /** Byte offset of the next batch to open. */
  private byteOffset = 0;
  /** The records of the batch being read, or null between batches. */
  private reader: Reader | null = null;
  private recordsLeft = 0;
  private batchOffset = 0;
  private baseOffset = 0;
  private baseTimestamp = 0;
  private logAppendTime = -1;
  /** Records below this offset are not delivered. */
  private nextOffset: number;
  private abortedIndex = 0;
  private readonly abortedProducers = new Set<bigint>();

  constructor(
    partition: PartitionState,
    data: Buffer,
    completeBytes: number,
    fetchOffset: number,
    options: CompletedFetchOptions<Record>,
  ) {
    this.partition = partition;
    this.generation = partition.generation;
    this.data = data;
    this.end = completeBytes;
    this.nextOffset = fetchOffset;
    this.options = options;
  }

  get isExhausted(): boolean {
    return this.reader === null && this.byteOffset >= this.end;
  }

  /** The next record, or null when this fetch has no more. Throws a located CorruptMessageError. */
  next(): Record | null {
    for (;;) {
      if (this.reader !== null) {
        if (this.recordsLeft > 0) {
          const record = this.readRecord(this.reader);
          if (record !== null) return record;
          continue;
        }
        if (this.reader.remaining !== 0) {
          this.corrupt(`${this.reader.remaining} bytes after the last record`);
        }
        this.reader = null;
      }
      if (this.byteOffset >= this.end) return null;
      this.openBatch();
    }
  }

  /** Reads one record; null when it lies before the fetch offset. */
  private readRecord(reader: Reader): Record | null {
    this.recordsLeft--;
    try {
      const start = reader.offset;
      const length = reader.varint();
      if (length < MIN_RECORD_BYTES - 1 || length > reader.remaining) {
        throw new DecodeError(`record length ${length} with ${reader.remaining} bytes left`, start);
      }
      const end = reader.offset + length;
      reader.skip(1); // attributes
      const timestampDelta = reader.varlongNumber();
      const offsetDelta = reader.varint();
      const key = reader.varintNullableBytes();
      const value = reader.varintNullableBytes();
      const headerCount = reader.varint();
      if (headerCount < 0 || headerCount > end - reader.offset) {
        throw new DecodeError(`invalid header count ${headerCount}`, reader.offset);
      }
      let headers = NO_HEADERS;
      if (headerCount > 0) {
        const list: RecordHeader[] = [];
        for (let i = 0; i < headerCount; i++) {
          const headerKey = reader.varintNullableBytes();
          if (headerKey === null) throw new DecodeError('null header key', reader.offset);
          list.push({ key: headerKey.toString('utf8'), value: reader.varintNullableBytes() });
        }
        headers = list;
      }
      if (reader.offset !== end)
        throw new DecodeError(`record states ${length} bytes but its fields differ`, start);
      const offset = this.baseOffset + offsetDelta;
      if (offset < this.nextOffset) return null;
      this.nextOffset = offset + 1;
      const timestamp = this.logAppendTime >= 0 ? this.logAppendTime : this.baseTimestamp + timestampDelta;
      return this.options.build(offset, timestamp, key, value, headers);
    } catch (error) {
      if (DecodeError.isInstance(error)) this.corrupt(error.message);
      throw error;
    }
  }

  /** Opens the batch at byteOffset: skips it whole when nothing in it is delivered, else starts reading it. */
  private openBatch(): void {
    const data = this.data;
    const start = this.byteOffset;
    const sizeBytes = data.readInt32BE(start + BatchLayout.BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
    this.byteOffset = start + sizeBytes;
    this.batchOffset = Number(data.readBigInt64BE(start + BatchLayout.BASE_OFFSET));
    const attributes = data.readInt16BE(start + BatchLayout.ATTRIBUTES);
    const lastOffset = this.batchOffset + data.readInt32BE(start + BatchLayout.LAST_OFFSET_DELTA);
    if (lastOffset < this.nextOffset) return;
    const isControl = (attributes & CONTROL_MASK) !== 0;
    const aborted = this.options.abortedTransactions;
    if (aborted !== null && (attributes & TRANSACTIONAL_MASK) !== 0) {
      while (this.abortedIndex < aborted.length && aborted[this.abortedIndex].firstOffset <= lastOffset) {
        this.abortedProducers.add(aborted[this.abortedIndex++].producerId);
      }
      const producerId = data.readBigInt64BE(start + BatchLayout.PRODUCER_ID);
      if (isControl) {
        if (this.controlType(start, sizeBytes, attributes) === ABORT_MARKER_TYPE)
          this.abortedProducers.delete(producerId);
        return;
      }
      if (this.abortedProducers.has(producerId)) return;
    } else if (isControl) {
      return;
    }
    this.reader = this.recordsOf(start, sizeBytes, attributes);
  }

  /** The type of a control batch's marker, from its first record's key (version int16, type int16). */
  private controlType(start: number, sizeBytes: number, attributes: number): number {
    const reader = this.recordsOf(start, sizeBytes, attributes);
    this.recordsLeft = 0;
    try {
      reader.varint(); // record length
      reader.skip(1); // attributes
      reader.varlongNumber(); // timestamp delta
      reader.varint(); // offset delta
      const key = reader.varintNullableBytes();
      if (key === null || key.length < 4) this.corrupt('a control record without a 4-byte key');
      return key.readInt16BE(2);
    } catch (error) {
      if (DecodeError.isInstance(error)) this.corrupt(error.message);
      throw error;
    }
  }

  /** Checks a batch's header and CRC, decompresses its records, and returns a reader over them. */
  private recordsOf(start: number, sizeBytes: number, attributes: number): Reader {
    const data = this.data;
    if (data[start + BatchLayout.MAGIC] !== 2)
      this.corrupt(`magic ${data[start + BatchLayout.MAGIC]}, only 2 is supported`);
    if (this.options.verifyCrc) {
      const expected = data.readUInt32BE(start + BatchLayout.CRC);
      const computed = computeBatchCrc(data, start, sizeBytes);
      if (computed !== expected) {
        this.corrupt(`CRC-32C is 0x${expected.toString(16)}, its bytes give 0x${computed.toString(16)}`);
      }
    }
    this.baseOffset = this.batchOffset;
    this.baseTimestamp = Number(data.readBigInt64BE(start + BatchLayout.BASE_TIMESTAMP));
    this.logAppendTime =
      (attributes & TIMESTAMP_TYPE_MASK) !== 0
        ? Number(data.readBigInt64BE(start + BatchLayout.MAX_TIMESTAMP))
        : -1;
    this.recordsLeft = data.readInt32BE(start + BatchLayout.RECORD_COUNT);
    const compression = COMPRESSION_NAMES[attributes & COMPRESSION_MASK];
    if (compression === undefined) this.corrupt(`unknown compression type ${attributes & COMPRESSION_MASK}`);
    let reader: Reader;
    if (compression === 'none') {
      reader = new Reader(data, start + RECORD_BATCH_HEADER_BYTES, start + sizeBytes);
    } else {
      try {
        reader = new Reader(
          compressionCodec(compression).decompress(
            data.subarray(start + RECORD_BATCH_HEADER_BYTES, start + sizeBytes),
          ),
        );
      } catch (error) {
        if (DecodeError.isInstance(error))
          this.corrupt(`${compression} records do not decompress: ${error.message}`);
        throw error;
      }
    }
    if (this.recordsLeft < 0 || this.recordsLeft > reader.remaining / MIN_RECORD_BYTES) {
      this.corrupt(`record count ${this.recordsLeft} cannot fit in ${reader.remaining} bytes of records`);
    }
    return reader;
  }

  private corrupt(reason: string): never {
    this.reader = null;
    this.recordsLeft = 0;
    throw Object.assign(
      kafkaErrorAt(
        ErrorCode.CORRUPT_MESSAGE,
        partitionLocation(this.partition.topic, this.partition.partition),
        `the record batch at offset ${this.batchOffset} is invalid: ${reason}`,
      ),
      { offset: this.batchOffset },
    );
  }
}
