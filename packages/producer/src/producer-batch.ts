import {
  appendRecord,
  BatchLayout,
  type CompressionName,
  CompressionType,
  CURRENT_MAGIC,
  compressionCodec,
  computeBatchCrc,
  LOG_OVERHEAD_BYTES,
  NO_PARTITION_LEADER_EPOCH,
  RECORD_BATCH_HEADER_BYTES,
  recordFieldWithLengthBytes,
  varintBytes,
} from '@sluice/protocol';

/**
 * The protocol's record sizing under this package's names: `fieldBytes`, the encoded length of a key, value
 * or header value (-1 for null), and `headersBytes`, the bytes of a record's headers section.
 */
export { recordFieldBytes as fieldBytes, recordHeadersBytes as headersBytes } from '@sluice/protocol';

/** Where an acknowledged record landed. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** -1 when acks=0 (the broker does not say). */
  readonly offset: number;
}

/** One `send` call: its results fill in as the batches holding its records are acknowledged. */
export interface SendOperation {
  readonly results: RecordMetadata[];
  /** Batch segments of this send not yet acknowledged. */
  remainingSegments: number;
  settled: boolean;
  readonly resolve: (results: RecordMetadata[]) => void;
  readonly reject: (error: Error) => void;
}

export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Buffer | Uint8Array | string | null;
}

/**
 * The life of a batch: open (taking records) → closed (encoded, waiting to be sent) → in-flight → done,
 * with in-flight → closed again for a retry.
 */
export type BatchState = 'open' | 'closed' | 'in-flight' | 'done';

/**
 * The most a record can take in a batch, whatever its offset and timestamp deltas (for sizing a batch
 * buffer that must hold it).
 */
export function maxRecordBytes(keyBytes: number, valueBytes: number, headerBytes: number): number {
  const body =
    1 + 10 + 5 + recordFieldWithLengthBytes(keyBytes) + recordFieldWithLengthBytes(valueBytes) + headerBytes;
  return varintBytes(body) + body;
}

/**
 * A record batch being built for one partition, written straight into a buffer from the pool: records are
 * encoded as they are appended (no record objects are kept), the 61-byte header is filled in when the batch
 * closes, and the producer id, epoch and base sequence (with the CRC) when it is first sent. The buffer
 * goes back to the pool when the batch is done.
 */
export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly createdMs: number;
  /** The pool buffer: header space, then records. */
  readonly buffer: Buffer;
  stateValue: BatchState = 'open';
  /** End of the records written so far. */
  private position = RECORD_BATCH_HEADER_BYTES;
  recordCount = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;
  /** Contiguous runs of records from one send: the send, its first result index, first offset delta. */
  private readonly operations: SendOperation[] = [];
  private readonly operationFirstIndexes: number[] = [];
  private readonly segmentFirstDeltas: number[] = [];
  /** The encoded batch (a view of `buffer`, or a compressed copy), once closed. */
  wire: Buffer | null = null;
  /** Producer id, epoch and base sequence the wire bytes (and CRC) carry; -1 before the first send. */
  producerId = -1n;
  producerEpoch = -1;
  baseSequence = -1;
  private crcWritten = false;
  /** Sends attempted so far. */
  attempts = 0;
  /** Not sent again before this time (ms), after a failure. */
  retryAtMs = 0;
  lastError: unknown = null;
  /** Called once when the batch is done (flush waits on these). */
  private doneWaiters: (() => void)[] | null = null;

  constructor(topic: string, partition: number, buffer: Buffer, createdMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.buffer = buffer;
    this.createdMs = createdMs;
  }

  get sizeBytes(): number {
    return this.wire?.length ?? this.position;
  }

  get isEmpty(): boolean {
    return this.recordCount === 0;
  }

  /** The last sequence number of the batch (base + count - 1, wrapping at int32 max). */
  get lastSequence(): number {
    return (this.baseSequence + this.recordCount - 1) % 0x80000000;
  }

  /**
   * Appends one record, or returns false when it does not fit (the batch is then full). `keyBytes` and
   * `valueBytes` are the fields' encoded lengths (fieldBytes), -1 for null.
   */
  tryAppend(
    timestampMs: number,
    key: Buffer | Uint8Array | string | null,
    keyBytes: number,
    value: Buffer | Uint8Array | string | null,
    valueBytes: number,
    headers: readonly RecordHeaderInput[] | null,
    headerBytes: number,
    operation: SendOperation,
    resultIndex: number,
  ): boolean {
    if (this.stateValue !== 'open') throw new Error(`append to a ${this.stateValue} batch`);
    const offsetDelta = this.recordCount;
    if (offsetDelta === 0) {
      this.baseTimestamp = timestampMs;
      this.maxTimestamp = timestampMs;
    }
    const position = appendRecord(
      this.buffer,
      this.position,
      timestampMs - this.baseTimestamp,
      offsetDelta,
      key,
      keyBytes,
      value,
      valueBytes,
      headers,
      headerBytes,
    );
    if (position < 0) {
      if (offsetDelta === 0)
        throw new Error(`batch buffer of ${this.buffer.length} bytes cannot hold its first record`);
      return false;
    }
    this.position = position;
    if (timestampMs > this.maxTimestamp) this.maxTimestamp = timestampMs;
    this.recordCount++;
    const last = this.operations.length - 1;
    if (
      last < 0 ||
      this.operations[last] !== operation ||
      this.operationFirstIndexes[last] + (offsetDelta - this.segmentFirstDeltas[last]) !== resultIndex
    ) {
      this.operations.push(operation);
      this.operationFirstIndexes.push(resultIndex);
      this.segmentFirstDeltas.push(offsetDelta);
      operation.remainingSegments++;
    }
    return true;
  }

  /** Ends the batch: writes its header and compresses its records. No record may be appended after. */
  close(compression: CompressionName): void {
    if (this.stateValue !== 'open') return;
    if (this.recordCount === 0) throw new Error('closing an empty batch');
    let wire: Buffer;
    if (compression === 'none') {
      wire = this.buffer.subarray(0, this.position);
    } else {
      const compressed = compressionCodec(compression).compress(
        this.buffer.subarray(RECORD_BATCH_HEADER_BYTES, this.position),
      );
      wire = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + compressed.length);
      compressed.copy(wire, RECORD_BATCH_HEADER_BYTES);
    }
    wire.writeBigInt64BE(0n, BatchLayout.BASE_OFFSET);
    wire.writeInt32BE(wire.length - LOG_OVERHEAD_BYTES, BatchLayout.BATCH_LENGTH);
    wire.writeInt32BE(NO_PARTITION_LEADER_EPOCH, BatchLayout.PARTITION_LEADER_EPOCH);
    wire[BatchLayout.MAGIC] = CURRENT_MAGIC;
    wire.writeInt16BE(CompressionType[compression], BatchLayout.ATTRIBUTES);
    wire.writeInt32BE(this.recordCount - 1, BatchLayout.LAST_OFFSET_DELTA);
    wire.writeBigInt64BE(BigInt(this.baseTimestamp), BatchLayout.BASE_TIMESTAMP);
    wire.writeBigInt64BE(BigInt(this.maxTimestamp), BatchLayout.MAX_TIMESTAMP);
    wire.writeInt32BE(this.recordCount, BatchLayout.RECORD_COUNT);
    this.wire = wire;
    this.stateValue = 'closed';
  }

  /**
   * Stamps the producer id, epoch and base sequence into the header and computes the CRC, unless the bytes
   * already carry exactly these (a retry sends the same bytes).
   */
  stamp(producerId: bigint, producerEpoch: number, baseSequence: number): void {
    const wire = this.wire;
    if (wire === null) throw new Error('stamping a batch that is not closed');
    if (
      this.crcWritten &&
      producerId === this.producerId &&
      producerEpoch === this.producerEpoch &&
      baseSequence === this.baseSequence
    ) {
      return;
    }
    wire.writeBigInt64BE(producerId, BatchLayout.PRODUCER_ID);
    wire.writeInt16BE(producerEpoch, BatchLayout.PRODUCER_EPOCH);
    wire.writeInt32BE(baseSequence, BatchLayout.BASE_SEQUENCE);
    wire.writeUInt32BE(computeBatchCrc(wire, 0, wire.length), BatchLayout.CRC);
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.crcWritten = true;
  }

  /** Resolves when the batch is acknowledged or has failed. */
  whenDone(): Promise<void> {
    if (this.stateValue === 'done') return Promise.resolve();
    return new Promise((resolve) => {
      this.doneWaiters ??= [];
      this.doneWaiters.push(resolve);
    });
  }

  private markDone(): void {
    this.stateValue = 'done';
    const waiters = this.doneWaiters;
    this.doneWaiters = null;
    if (waiters !== null) for (const waiter of waiters) waiter();
  }

  /** Resolves this batch's records with their offsets (baseOffset -1 for acks=0). */
  complete(baseOffset: number): void {
    if (this.stateValue === 'done') return;
    this.markDone();
    const { topic, partition } = this;
    for (let segment = 0; segment < this.operations.length; segment++) {
      const operation = this.operations[segment];
      if (operation.settled) continue;
      const firstIndex = this.operationFirstIndexes[segment];
      const firstDelta = this.segmentFirstDeltas[segment];
      const endDelta =
        segment + 1 < this.operations.length ? this.segmentFirstDeltas[segment + 1] : this.recordCount;
      const results = operation.results;
      for (let delta = firstDelta; delta < endDelta; delta++) {
        results[firstIndex + delta - firstDelta] = {
          topic,
          partition,
          offset: baseOffset < 0 ? -1 : baseOffset + delta,
        };
      }
      if (--operation.remainingSegments === 0) {
        operation.settled = true;
        operation.resolve(results);
      }
    }
  }

  /** Fails every send with records in this batch. */
  fail(error: Error): void {
    if (this.stateValue === 'done') return;
    this.markDone();
    for (const operation of this.operations) {
      if (operation.settled) continue;
      operation.settled = true;
      operation.reject(error);
    }
  }
}
