import type { Clock } from '@sluice/network';
import type { CompressionName } from '@sluice/protocol';
import type { BufferPool } from './buffer-pool.js';
import { Limits } from './limits.js';
import { ProducerBatch, type RecordHeaderInput, type SendOperation } from './producer-batch.js';

/** One record ready to append: serialized fields and their encoded lengths. */
export interface PreparedRecord {
  timestampMs: number;
  key: Buffer | Uint8Array | string | null;
  keyBytes: number;
  value: Buffer | Uint8Array | string | null;
  valueBytes: number;
  headers: readonly RecordHeaderInput[] | null;
  headerBytes: number;
  /** The most the record can take in a batch (maxRecordBytes). */
  maxBytes: number;
}

/**
 * The batches of one partition. Invariants: `batches` holds batches not in flight, oldest first, and only
 * the last may be open; `inFlight` holds the batches sent and not yet answered, in the order sent. With
 * idempotence, batches in both are in sequence order, `inFlight` before `batches`.
 */
export class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  readonly inFlight: ProducerBatch[] = [];
  /** Idempotence: the sequence number of the next new batch. */
  nextSequence = 0;
  /** Idempotence: the last sequence number acknowledged under the current producer id, -1 for none. */
  lastAckedSequence = -1;
  /**
   * Set when a batch failed while others were in flight: nothing is sent until every in-flight batch has
   * come back, so that the retries go out in sequence order.
   */
  recovering = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get isIdle(): boolean {
    return this.batches.length === 0 && this.inFlight.length === 0;
  }

  /** The open batch, if the last one is open. */
  get openBatch(): ProducerBatch | null {
    const last = this.batches[this.batches.length - 1];
    return last !== undefined && last.stateValue === 'open' ? last : null;
  }

  /** Puts a failed batch back for a retry, keeping sequence (then creation) order. */
  requeue(batch: ProducerBatch): void {
    let index = 0;
    while (index < this.batches.length && precedes(this.batches[index], batch)) index++;
    this.batches.splice(index, 0, batch);
  }

  removeInFlight(batch: ProducerBatch): void {
    const index = this.inFlight.indexOf(batch);
    if (index >= 0) this.inFlight.splice(index, 1);
  }
}

/** Whether `a` goes before `b`: by sequence when both have one, else batches with one first, else by age. */
function precedes(a: ProducerBatch, b: ProducerBatch): boolean {
  if (a.baseSequence >= 0 && b.baseSequence >= 0 && a.producerId === b.producerId) {
    return a.baseSequence < b.baseSequence;
  }
  if (a.baseSequence >= 0 !== b.baseSequence >= 0) return a.baseSequence >= 0;
  return a.createdMs <= b.createdMs;
}

export interface RecordAccumulatorOptions {
  readonly batchSizeBytes: number;
  readonly compression: CompressionName;
  readonly pool: BufferPool;
  readonly clock: Clock;
}

/**
 * The producer's batches, one queue per partition. Records are appended to the partition's open batch;
 * a record that does not fit closes it and starts a new one in a buffer from the pool, of batch.size
 * bytes or, for a larger record, just big enough for it.
 */
export class RecordAccumulator {
  private readonly options: RecordAccumulatorOptions;
  /** Queues by topic, then partition. */
  private readonly queues = new Map<string, PartitionQueue[]>();
  /** Queues that hold batches (sent or not): the sender looks only at these. */
  readonly active = new Set<PartitionQueue>();
  /** Every batch not yet done, for flush. */
  readonly incomplete = new Set<ProducerBatch>();

  constructor(options: RecordAccumulatorOptions) {
    this.options = options;
  }

  queue(topic: string, partition: number): PartitionQueue {
    let partitions = this.queues.get(topic);
    if (partitions === undefined) {
      partitions = [];
      this.queues.set(topic, partitions);
    }
    let queue = partitions[partition];
    if (queue === undefined) {
      if (partition < 0 || partition >= Limits.MAX_PARTITIONS_PER_TOPIC) {
        throw new RangeError(`partition ${partition} of ${topic} is out of range`);
      }
      queue = new PartitionQueue(topic, partition);
      partitions[partition] = queue;
    }
    return queue;
  }

  /** Every queue, for sequence resets. */
  allQueues(): PartitionQueue[] {
    return [...this.queues.values()].flatMap((partitions) =>
      partitions.filter((queue) => queue !== undefined),
    );
  }

  /** Whether the open batch of `queue` certainly has room for a record of up to `maxBytes`. */
  hasRoomFor(queue: PartitionQueue, maxBytes: number): boolean {
    const open = queue.openBatch;
    return open !== null && open.sizeBytes + maxBytes <= open.buffer.length;
  }

  /** The size of the buffer a new batch for this record needs. */
  batchBufferBytes(record: PreparedRecord): number {
    return Math.max(this.options.batchSizeBytes, Limits.RECORD_BATCH_HEADER_BYTES + record.maxBytes);
  }

  /**
   * Appends to the open batch, or to a new batch when there is memory for one now. Returns false when a
   * new batch is needed and the pool has no room (the caller waits for `allocateFor` and calls again).
   */
  tryAppend(
    queue: PartitionQueue,
    record: PreparedRecord,
    operation: SendOperation,
    resultIndex: number,
  ): boolean {
    const open = queue.openBatch;
    if (open !== null && this.appendTo(open, record, operation, resultIndex)) return true;
    const buffer = this.options.pool.tryAllocate(this.batchBufferBytes(record));
    if (buffer === null) return false;
    this.appendToNewBatch(queue, buffer, record, operation, resultIndex);
    return true;
  }

  /** Appends into a new batch in `buffer` (from the pool, waited for by the caller). */
  appendToNewBatch(
    queue: PartitionQueue,
    buffer: Buffer,
    record: PreparedRecord,
    operation: SendOperation,
    resultIndex: number,
  ): void {
    const open = queue.openBatch;
    if (open !== null) this.closeBatch(open);
    const batch = new ProducerBatch(queue.topic, queue.partition, buffer, this.options.clock.nowMs());
    if (!this.appendTo(batch, record, operation, resultIndex)) {
      throw new Error(`a new batch of ${buffer.length} bytes refused its first record`);
    }
    queue.batches.push(batch);
    this.incomplete.add(batch);
    this.active.add(queue);
  }

  private appendTo(
    batch: ProducerBatch,
    record: PreparedRecord,
    operation: SendOperation,
    resultIndex: number,
  ): boolean {
    return batch.tryAppend(
      record.timestampMs,
      record.key,
      record.keyBytes,
      record.value,
      record.valueBytes,
      record.headers,
      record.headerBytes,
      operation,
      resultIndex,
    );
  }

  closeBatch(batch: ProducerBatch): void {
    batch.close(this.options.compression);
  }

  /** A batch is done (acknowledged or failed): its buffer goes back to the pool. */
  release(batch: ProducerBatch): void {
    if (this.incomplete.delete(batch)) this.options.pool.deallocate(batch.buffer);
  }
}
