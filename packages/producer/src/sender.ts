import {
  backoffMs,
  type Clock,
  type Cluster,
  groupByLeader,
  isRetriable,
  kafkaErrorAt,
  partitionLocation,
  partitionsByTopic,
  type RandomSource,
  ScheduledLoop,
} from '@sluice/network';
import {
  Apis,
  ErrorCode,
  type InitProducerIdResponse,
  KafkaError,
  type ProduceResponse,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import type { BufferPool } from './buffer-pool.js';
import { DeliveryTimeoutError } from './errors.js';
import { Limits } from './limits.js';
import type { ProducerBatch } from './producer-batch.js';
import type { ResolvedProducerOptions } from './producer-options.js';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.js';

/** Transaction timeout sent with InitProducerId (Kafka's transaction.timeout.ms default). */
const INIT_PRODUCER_ID_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * The producer id of an idempotent producer: none → initializing → ready; ready → reset-pending when a
 * sequence gap can no longer be closed (a batch failed for good), which waits for every in-flight batch to
 * come back, then gets a new id and restarts every partition's sequence at 0.
 */
type ProducerIdState = 'none' | 'initializing' | 'ready' | 'reset-pending';

export interface SenderOptions {
  readonly cluster: Cluster;
  readonly accumulator: RecordAccumulator;
  readonly pool: BufferPool;
  readonly options: ResolvedProducerOptions;
  readonly idempotent: boolean;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Sends what the accumulator holds. Each run looks at the partitions with batches, takes the first batch
 * of each that is ready (full, lingered long enough, flushed, or memory is short) and may be sent now, and
 * groups them by leader into Produce requests: one batch per partition per request, up to
 * max.request.size, with at most max.in.flight.requests.per.connection requests in flight per broker.
 * While a broker's window is full, batches keep filling, which is what makes batching work under load.
 *
 * Retries: a batch that fails with a retriable error goes back to the front of its partition (in
 * sequence order) and is sent again after an exponential backoff with full jitter, until retries or
 * delivery.timeout.ms run out. Once one batch of a partition failed, that partition sends nothing new
 * until all its in-flight batches are back, so retries leave in order.
 *
 * Idempotence: an idempotent producer first gets a producer id (InitProducerId). Each batch gets its base
 * sequence when first sent and keeps it on every retry, so the broker recognizes a retry of a batch it
 * already wrote and answers with the original offsets instead of writing it twice. A partition keeps at most
 * 5 batches in flight, and only 1 until the broker has acknowledged one under the current producer id.
 * OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next one expected means an earlier batch is
 * being retried: it is retried too. For the next batch expected it cannot be fixed by a retry: the batch
 * fails, and the producer gets a new id (Kafka's Java client bumps the epoch; the brokers Sluice targets
 * serve InitProducerId up to v1, which cannot bump an epoch). UNKNOWN_PRODUCER_ID (the broker forgot the
 * producer) gets a new id and the batch is retried under it. DUPLICATE_SEQUENCE_NUMBER means the batch was
 * written already: it counts as acknowledged.
 */
export class Sender extends ScheduledLoop {
  private readonly cluster: Cluster;
  private readonly accumulator: RecordAccumulator;
  private readonly pool: BufferPool;
  private readonly options: ResolvedProducerOptions;
  private readonly idempotent: boolean;
  private readonly logger: Logger;
  private readonly random: RandomSource;
  /** Produce requests in flight per broker. */
  private readonly nodeInFlight = new Map<number, number>();
  /** Batches in flight, all partitions. */
  private inFlightBatches = 0;
  private producerIdState: ProducerIdState = 'none';
  producerId = -1n;
  producerEpoch = -1;
  /** Not before this time (ms): the next InitProducerId attempt after a failure. */
  private producerIdRetryAtMs = 0;
  private producerIdAttempts = 0;
  /** Callers of flush() waiting; every batch is ready while positive. */
  flushing = 0;
  closing = false;
  /** Rotates the order partitions are drained in, so that none is always last. */
  private rotation = 0;

  constructor(options: SenderOptions) {
    super(options.clock, (error) => options.logger.error({ err: error }, 'sender run failed'));
    this.cluster = options.cluster;
    this.accumulator = options.accumulator;
    this.pool = options.pool;
    this.options = options.options;
    this.idempotent = options.idempotent;
    this.logger = options.logger;
    this.random = options.random;
  }

  protected override run(): void {
    const now = this.clock.nowMs();
    if (this.idempotent && this.producerIdState !== 'ready') {
      this.expireAll(now);
      this.maybeInitProducerId(now);
      return;
    }
    const lingerMs = this.options.lingerMs;
    const sendEverything = this.flushing > 0 || this.closing || this.pool.waitingCallers > 0;
    const ready: PartitionQueue[] = [];
    const active = [...this.accumulator.active];
    const start = active.length === 0 ? 0 : this.rotation++ % active.length;
    for (let i = 0; i < active.length; i++) {
      const queue = active[(start + i) % active.length];
      if (queue.isIdle) {
        this.accumulator.active.delete(queue);
        continue;
      }
      this.expire(queue, now);
      const head = queue.batches[0];
      if (head === undefined) continue;
      this.wakeAt(head.createdMs + this.options.deliveryTimeoutMs);
      if (head.stateValue === 'open' && !sendEverything) {
        const lingerDueMs = head.createdMs + lingerMs;
        if (now < lingerDueMs) {
          this.wakeAt(lingerDueMs);
          continue;
        }
      }
      if (head.retryAtMs > now) {
        this.wakeAt(head.retryAtMs);
        continue;
      }
      if (this.partitionMaySend(queue)) ready.push(queue);
    }
    const { byLeader, leaderless } = groupByLeader(this.cluster.metadata, ready);
    if (leaderless.length > 0) this.wakeAt(now + this.options.retryBackoffMs);
    for (const [nodeId, queues] of byLeader) this.drainNode(nodeId, queues);
  }

  /** Whether a partition may put another batch on the wire now. */
  private partitionMaySend(queue: PartitionQueue): boolean {
    if (queue.recovering) {
      if (queue.inFlight.length > 0) return false;
      queue.recovering = false;
    }
    if (this.idempotent) {
      if (queue.inFlight.length >= Limits.MAX_IN_FLIGHT_BATCHES_PER_PARTITION_IDEMPOTENT) return false;
      // Until the broker has acknowledged this producer on this partition, one batch at a time: a broker
      // that does not know a producer takes any first sequence, so a retried first batch could land
      // behind the second.
      if (queue.lastAckedSequence < 0 && queue.inFlight.length > 0) return false;
      return true;
    }
    return this.options.maxInFlightRequestsPerConnection > 1 || queue.inFlight.length === 0;
  }

  /** Sends requests to one broker while its window has room and its partitions have ready batches. */
  private drainNode(nodeId: number, queues: PartitionQueue[]): void {
    const maxInFlight = this.options.maxInFlightRequestsPerConnection;
    while ((this.nodeInFlight.get(nodeId) ?? 0) < maxInFlight) {
      const batches: ProducerBatch[] = [];
      let requestBytes = 0;
      for (const queue of queues) {
        const head = queue.batches[0];
        if (head === undefined || head.retryAtMs > this.clock.nowMs() || !this.partitionMaySend(queue))
          continue;
        const headBytes = head.sizeBytes;
        if (batches.length > 0 && requestBytes + headBytes > this.options.maxRequestSizeBytes) continue;
        if (head.stateValue === 'open') {
          if (
            !(this.flushing > 0 || this.closing || this.pool.waitingCallers > 0) &&
            this.clock.nowMs() < head.createdMs + this.options.lingerMs
          )
            continue;
          this.accumulator.closeBatch(head);
        }
        queue.batches.shift();
        this.stampSequence(queue, head);
        head.stateValue = 'in-flight';
        head.attempts++;
        queue.inFlight.push(head);
        batches.push(head);
        requestBytes += head.sizeBytes;
      }
      if (batches.length === 0) return;
      this.inFlightBatches += batches.length;
      this.nodeInFlight.set(nodeId, (this.nodeInFlight.get(nodeId) ?? 0) + 1);
      void this.sendRequest(nodeId, batches);
    }
  }

  private stampSequence(queue: PartitionQueue, batch: ProducerBatch): void {
    if (!this.idempotent) {
      batch.stamp(-1n, -1, -1);
      return;
    }
    if (
      batch.baseSequence < 0 ||
      batch.producerId !== this.producerId ||
      batch.producerEpoch !== this.producerEpoch
    ) {
      const sequence = queue.nextSequence;
      queue.nextSequence = (sequence + batch.recordCount) % (Limits.MAX_SEQUENCE + 1);
      batch.stamp(this.producerId, this.producerEpoch, sequence);
    } else {
      batch.stamp(batch.producerId, batch.producerEpoch, batch.baseSequence);
    }
  }

  private async sendRequest(nodeId: number, batches: ProducerBatch[]): Promise<void> {
    const acks = this.options.acks;
    const byTopic = partitionsByTopic(batches, (batch) => ({ index: batch.partition, records: batch.wire }));
    let response: ProduceResponse | null;
    try {
      const connection = await this.cluster.connectionTo(nodeId);
      response = await connection.request(
        Apis.Produce,
        {
          transactionalId: null,
          acks,
          timeoutMs: this.options.requestTimeoutMs,
          topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
        },
        { expectResponse: acks !== 0 },
      );
    } catch (error) {
      this.requestDone(nodeId, batches.length);
      for (const batch of batches) this.attemptFailed(batch, error);
      this.schedule();
      return;
    }
    this.requestDone(nodeId, batches.length);
    if (response === null) {
      for (const batch of batches) this.succeeded(batch, -1);
    } else {
      this.handleResponse(response, batches);
    }
    this.schedule();
  }

  private requestDone(nodeId: number, batchCount: number): void {
    this.nodeInFlight.set(nodeId, (this.nodeInFlight.get(nodeId) ?? 1) - 1);
    this.inFlightBatches -= batchCount;
  }

  private handleResponse(response: ProduceResponse, batches: ProducerBatch[]): void {
    for (const batch of batches) {
      const partition = response.responses
        .find((topic) => topic.name === batch.topic)
        ?.partitionResponses.find((candidate) => candidate.index === batch.partition);
      if (partition === undefined) {
        this.attemptFailed(
          batch,
          kafkaErrorAt(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            partitionLocation(batch.topic, batch.partition),
            'no answer for this partition',
          ),
        );
        continue;
      }
      const code = partition.errorCode;
      if (code === 0 || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.succeeded(batch, Number(partition.baseOffset));
      } else {
        this.attemptFailed(
          batch,
          kafkaErrorAt(code, partitionLocation(batch.topic, batch.partition), partition.errorMessage),
        );
      }
    }
  }

  private succeeded(batch: ProducerBatch, baseOffset: number): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition);
    queue.removeInFlight(batch);
    if (
      this.idempotent &&
      batch.producerId === this.producerId &&
      batch.producerEpoch === this.producerEpoch
    ) {
      queue.lastAckedSequence = batch.lastSequence;
    }
    batch.complete(baseOffset);
    this.accumulator.release(batch);
  }

  /** One attempt of a batch failed: retry it, or fail it for good. */
  private attemptFailed(batch: ProducerBatch, error: unknown): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition);
    queue.removeInFlight(batch);
    batch.lastError = error;
    const now = this.clock.nowMs();
    const code = KafkaError.isInstance(error) ? error.code : null;
    let retriable = isRetriable(error);
    this.cluster.metadata.invalidateIfStale(error);
    if (this.idempotent && code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
      const sameProducer = batch.producerId === this.producerId && batch.producerEpoch === this.producerEpoch;
      const expected = (queue.lastAckedSequence + 1) % (Limits.MAX_SEQUENCE + 1);
      // Not the next batch the broker expects: an earlier one failed and is coming again first.
      retriable = sameProducer && batch.baseSequence !== expected;
    } else if (this.idempotent && code === ErrorCode.UNKNOWN_PRODUCER_ID) {
      this.requestProducerIdReset('the broker does not know the producer id');
      retriable = true;
    }
    const deliveryDeadlineMs = batch.createdMs + this.options.deliveryTimeoutMs;
    if (!retriable || batch.attempts > this.options.retries || now >= deliveryDeadlineMs) {
      const location = partitionLocation(batch.topic, batch.partition);
      const finalError =
        retriable && now >= deliveryDeadlineMs
          ? new DeliveryTimeoutError(location, batch.recordCount, this.options.deliveryTimeoutMs, error)
          : (error as Error);
      this.failForGood(batch, finalError);
      return;
    }
    this.logger.debug(
      { err: error, topic: batch.topic, partition: batch.partition, attempts: batch.attempts },
      'retrying a batch',
    );
    batch.stateValue = 'closed';
    batch.retryAtMs =
      now +
      backoffMs(batch.attempts - 1, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, this.random);
    queue.requeue(batch);
    queue.recovering = true;
    this.accumulator.active.add(queue);
  }

  private failForGood(batch: ProducerBatch, error: Error): void {
    const queue = this.accumulator.queue(batch.topic, batch.partition);
    queue.removeInFlight(batch);
    this.logger.warn({ err: error, topic: batch.topic, partition: batch.partition }, 'batch failed');
    if (this.idempotent && batch.baseSequence >= 0 && batch.producerId === this.producerId) {
      // Its sequence numbers will never be acknowledged: later batches of the partition would be out of order.
      this.requestProducerIdReset(`a batch of ${partitionLocation(batch.topic, batch.partition)} failed`);
    }
    batch.fail(error);
    this.accumulator.release(batch);
  }

  /** Fails queued (not in-flight) batches whose delivery timeout has passed. */
  private expire(queue: PartitionQueue, now: number): void {
    while (queue.batches.length > 0) {
      const head = queue.batches[0];
      if (now < head.createdMs + this.options.deliveryTimeoutMs) return;
      queue.batches.shift();
      if (head.stateValue === 'open') this.accumulator.closeBatch(head);
      this.failForGood(
        head,
        new DeliveryTimeoutError(
          partitionLocation(head.topic, head.partition),
          head.recordCount,
          this.options.deliveryTimeoutMs,
          head.lastError,
        ),
      );
    }
  }

  private expireAll(now: number): void {
    for (const queue of this.accumulator.active) this.expire(queue, now);
  }

  private requestProducerIdReset(reason: string): void {
    if (this.producerIdState === 'ready') {
      this.logger.info({ producerId: String(this.producerId), reason }, 'the producer id will be replaced');
      this.producerIdState = 'reset-pending';
    }
  }

  private maybeInitProducerId(now: number): void {
    if (this.producerIdState === 'initializing') return;
    if (this.producerIdState === 'reset-pending' && this.inFlightBatches > 0) return;
    if (now < this.producerIdRetryAtMs) {
      this.wakeAt(this.producerIdRetryAtMs);
      return;
    }
    this.producerIdState = 'initializing';
    void this.initProducerId();
  }

  private async initProducerId(): Promise<void> {
    try {
      const response = await this.cluster.requestWithRetry(
        'any',
        Apis.InitProducerId,
        {
          transactionalId: null,
          transactionTimeoutMs: INIT_PRODUCER_ID_TRANSACTION_TIMEOUT_MS,
          producerId: -1n,
          producerEpoch: -1,
        },
        {
          check: (answer: InitProducerIdResponse) => {
            if (answer.errorCode !== 0) throw kafkaErrorAt(answer.errorCode, 'InitProducerId');
          },
        },
      );
      this.producerId = response.producerId;
      this.producerEpoch = response.producerEpoch;
      this.producerIdAttempts = 0;
      for (const queue of this.accumulator.allQueues()) {
        queue.nextSequence = 0;
        queue.lastAckedSequence = -1;
      }
      this.producerIdState = 'ready';
      this.logger.debug(
        { producerId: String(this.producerId), epoch: this.producerEpoch },
        'producer id assigned',
      );
    } catch (error) {
      this.producerIdState = this.producerId >= 0n ? 'reset-pending' : 'none';
      this.producerIdRetryAtMs =
        this.clock.nowMs() +
        backoffMs(
          this.producerIdAttempts++,
          this.options.retryBackoffMs,
          this.options.retryBackoffMaxMs,
          this.random,
        );
      this.logger.warn({ err: error }, 'InitProducerId failed; will retry');
      if (!isRetriable(error) && !this.closing) {
        // A broker that refuses idempotence: fail what waits rather than retry forever.
        for (const queue of [...this.accumulator.active]) {
          while (queue.batches.length > 0) {
            const batch = queue.batches.shift()!;
            if (batch.stateValue === 'open') this.accumulator.closeBatch(batch);
            this.failForGood(batch, error as Error);
          }
        }
      }
    }
    this.schedule();
  }

  /** Fails every batch not yet done (a forced close). */
  abortAll(error: Error): void {
    for (const queue of this.accumulator.allQueues()) {
      for (const batch of [...queue.inFlight, ...queue.batches]) {
        batch.fail(error);
        this.accumulator.release(batch);
      }
      queue.inFlight.length = 0;
      queue.batches.length = 0;
    }
    this.stop();
  }
}
