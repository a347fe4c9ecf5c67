import {
  ClientClosedError,
  type Clock,
  Cluster,
  checkFunctionOption,
  defaultLogger,
  type RandomSource,
  resolveOptions,
  systemClock,
  systemRandom,
  type TopicMetadata,
} from '@sluice/network';
import type { Logger } from 'pino';
import { BufferPool } from './buffer-pool.js';
import { BufferExhaustedError, RecordTooLargeError } from './errors.js';
import { Limits } from './limits.js';
import { DefaultPartitioner, type PartitionerTopic } from './partitioner.js';
import {
  fieldBytes,
  headersBytes,
  maxRecordBytes,
  type RecordHeaderInput,
  type RecordMetadata,
  type SendOperation,
} from './producer-batch.js';
import {
  isIdempotent,
  type ProducerConfigOptions,
  producerOptionRelations,
  producerOptionTable,
  type ResolvedProducerOptions,
} from './producer-options.js';
import { type PreparedRecord, RecordAccumulator } from './record-accumulator.js';
import { Sender } from './sender.js';
import { type Serializer, serializers } from './serializers.js';

export type HeaderValue = Buffer | Uint8Array | string | null;

/** One message to send. */
export interface ProducerMessage<Key, Value> {
  key?: Key | null;
  value: Value | null;
  /** An object of header names to values, or a list (which allows repeated names). */
  headers?: Readonly<Record<string, HeaderValue>> | readonly RecordHeaderInput[];
  /** The partition to write to; by default murmur2 of the key, or the sticky partition for no key. */
  partition?: number;
  /** Create time, ms since the epoch (or a Date); by default the time of the send. */
  timestamp?: number | Date;
}

export interface ProducerRecord<Key, Value> {
  topic: string;
  messages: readonly ProducerMessage<Key, Value>[];
}

export interface ProducerOptions<Key = Buffer | string | null, Value = Buffer | string | null>
  extends ProducerConfigOptions {
  /** Turns keys into bytes; default: Buffer and string keys as they are. */
  keySerializer?: Serializer<Key>;
  valueSerializer?: Serializer<Value>;
  logger?: Logger;
  /** Injected time and randomness (tests). */
  clock?: Clock;
  random?: RandomSource;
}

export interface CloseOptions {
  /** How long to wait for what is buffered and in flight; what is left then fails with ClientClosedError. */
  timeoutMs?: number;
}

/** open → closing (flushing, refusing sends) → closed. */
type Lifecycle = 'open' | 'closing' | 'closed';

/**
 * The Sluice producer. `send` serializes and partitions the messages, appends them to per-partition
 * batches in a bounded buffer pool, and resolves with each message's topic, partition and offset once the
 * broker has acknowledged them (acks). A background sender ships the batches (see Sender).
 *
 * Order: messages of one send, and of consecutive sends, are appended in call order; a send that must
 * wait (for topic metadata or buffer memory) holds back later sends rather than letting them overtake it.
 *
 * Back-pressure: when buffer.memory is full of unacknowledged records, `send` waits up to max.block.ms for
 * room, then rejects with BufferExhaustedError. Nothing is dropped: every message of a send is either
 * acknowledged (the send resolves) or the send rejects; when a send is rejected for lack of memory, the
 * error's `acceptedMessages` first messages were taken and will still be delivered.
 */
export class Producer<Key = Buffer | string | null, Value = Buffer | string | null> {
  readonly options: ResolvedProducerOptions;
  readonly idempotent: boolean;
  private readonly cluster: Cluster;
  private readonly pool: BufferPool;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: Sender;
  private readonly partitioner: DefaultPartitioner;
  private readonly keySerializer: Serializer<Key>;
  private readonly valueSerializer: Serializer<Value>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private lifecycle: Lifecycle = 'open';
  private closing: Promise<void> | null = null;
  /** The tail of the sends that had to wait; later sends queue behind it. */
  private appendTail: Promise<void> | null = null;
  /** Partitioner view of each topic, rebuilt when the metadata changes. */
  private readonly topics = new Map<string, PartitionerTopic>();
  private scratch = Buffer.allocUnsafe(1024);

  constructor(options: ProducerOptions<Key, Value>) {
    const { keySerializer, valueSerializer, logger, clock, random, ...config } = options;
    this.options = resolveOptions(producerOptionTable, config, producerOptionRelations);
    this.idempotent = isIdempotent(this.options);
    this.keySerializer = checkFunctionOption(
      'keySerializer',
      keySerializer ?? (serializers.raw as Serializer<Key>),
    );
    this.valueSerializer = checkFunctionOption(
      'valueSerializer',
      valueSerializer ?? (serializers.raw as Serializer<Value>),
    );
    this.logger = (logger ?? defaultLogger('sluice')).child({
      component: 'producer',
      clientId: this.options.clientId,
    });
    this.clock = clock ?? systemClock;
    const randomSource = random ?? systemRandom;
    this.cluster = new Cluster({
      ...this.options,
      allowAutoTopicCreation: true,
      // One slot more than produce may use, so metadata requests are not stuck behind produce requests.
      maxInFlightRequests: this.options.maxInFlightRequestsPerConnection + 1,
      logger: this.logger,
      clock: this.clock,
      random: randomSource,
    });
    this.pool = new BufferPool(this.options.bufferMemoryBytes, this.options.batchSizeBytes, this.clock);
    this.accumulator = new RecordAccumulator({
      batchSizeBytes: this.options.batchSizeBytes,
      compression: this.options.compression,
      pool: this.pool,
      clock: this.clock,
    });
    this.sender = new Sender({
      cluster: this.cluster,
      accumulator: this.accumulator,
      pool: this.pool,
      options: this.options,
      idempotent: this.idempotent,
      logger: this.logger,
      clock: this.clock,
      random: randomSource,
    });
    this.partitioner = new DefaultPartitioner(randomSource, this.options.partitionerIgnoreKeys);
    this.cluster.metadata.onChange(() => {
      this.topics.clear();
      this.sender.schedule();
    });
  }

  /** Fetches the cluster metadata now (send does it on first use otherwise). */
  connect(): Promise<void> {
    return this.cluster.connectOnce();
  }

  /** The producer id an idempotent producer writes with (-1 before the first send). */
  get producerId(): bigint {
    return this.sender.producerId;
  }

  /**
   * Sends messages to one topic. Resolves, once all are acknowledged, with where each landed (in message
   * order); rejects if any fails for good, with a KafkaError located at its partition
   * (`topics/orders/partitions/3`), DeliveryTimeoutError, BufferExhaustedError or RecordTooLargeError.
   */
  send(record: ProducerRecord<Key, Value>): Promise<RecordMetadata[]> {
    if (this.lifecycle !== 'open') return Promise.reject(new ClientClosedError('the producer is closed'));
    let prepared: PreparedRecord[];
    try {
      prepared = this.prepare(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const topic = record.topic;
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const operation: SendOperation = {
        results: new Array(prepared.length),
        remainingSegments: 0,
        settled: false,
        resolve,
        reject,
      };
      const topicInfo = this.appendTail === null ? this.topicInfo(topic) : undefined;
      if (topicInfo !== undefined) {
        const appended = this.appendNow(topicInfo, record.messages, prepared, operation, 0);
        if (appended === prepared.length) {
          this.finishAppends(operation);
          return;
        }
        this.queueAppend(topic, record.messages, prepared, operation, appended);
        return;
      }
      this.queueAppend(topic, record.messages, prepared, operation, 0);
    });
  }

  /** Waits until every message sent before this call is acknowledged or has failed. */
  async flush(): Promise<void> {
    while (this.appendTail !== null) await this.appendTail;
    const pending = [...this.accumulator.incomplete];
    if (pending.length === 0) return;
    this.sender.flushing++;
    this.sender.schedule();
    try {
      await Promise.all(pending.map((batch) => batch.whenDone()));
    } finally {
      this.sender.flushing--;
    }
  }

  /**
   * Sends what is buffered, waits for what is in flight (up to `timeoutMs`, default no limit), then closes
   * the connections. Sends made after close starts are refused with ClientClosedError, and so is whatever is
   * still unacknowledged when the timeout passes.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = this.closeNow(options);
    return this.closing;
  }

  private async closeNow(options: CloseOptions): Promise<void> {
    this.lifecycle = 'closing';
    this.sender.closing = true;
    this.sender.schedule();
    const flushed = this.flush();
    if (options.timeoutMs === undefined) {
      await flushed;
    } else {
      let timer: ReturnType<Clock['setTimeout']> | null = null;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = this.clock.setTimeout(() => resolve('timeout'), options.timeoutMs!);
      });
      const outcome = await Promise.race([flushed.then(() => 'flushed' as const), timedOut]);
      if (timer !== null) this.clock.clearTimeout(timer);
      if (outcome === 'timeout') {
        this.logger.warn({ timeoutMs: options.timeoutMs }, 'close timed out; failing what is left');
        this.pool.close();
        this.sender.abortAll(
          new ClientClosedError('the producer was closed before these records were acknowledged'),
        );
      }
    }
    this.sender.stop();
    this.pool.close();
    await this.cluster.close();
    this.lifecycle = 'closed';
  }

  /** Serializes and sizes every message (so a bad one fails the send before any is taken). */
  private prepare(record: ProducerRecord<Key, Value>): PreparedRecord[] {
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.topic !== 'string' ||
      record.topic === ''
    ) {
      throw new TypeError('send needs { topic, messages }, with a non-empty topic name');
    }
    const messages = record.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      throw new TypeError('send needs at least one message');
    if (messages.length > Limits.MAX_MESSAGES_PER_SEND) {
      throw new RangeError(`send takes at most ${Limits.MAX_MESSAGES_PER_SEND} messages`);
    }
    const nowMs = this.clock.nowMs();
    const limitBytes = Math.min(this.options.maxRequestSizeBytes, this.options.bufferMemoryBytes);
    const prepared: PreparedRecord[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      const key =
        message.key === undefined || message.key === null
          ? null
          : checkBytes('key', i, this.keySerializer(message.key));
      const value =
        message.value === null || message.value === undefined
          ? null
          : checkBytes('value', i, this.valueSerializer(message.value));
      const headers = normalizeHeaders(message.headers);
      const keyBytes = fieldBytes(key);
      const valueBytes = fieldBytes(value);
      const headerBytes = headersBytes(headers);
      const maxBytes = maxRecordBytes(keyBytes, valueBytes, headerBytes);
      if (maxBytes + Limits.RECORD_BATCH_HEADER_BYTES > limitBytes) {
        throw new RecordTooLargeError(
          maxBytes + Limits.RECORD_BATCH_HEADER_BYTES,
          limitBytes === this.options.maxRequestSizeBytes ? 'max.request.size' : 'buffer.memory',
          limitBytes,
        );
      }
      const timestamp = message.timestamp;
      const timestampMs =
        timestamp === undefined ? nowMs : timestamp instanceof Date ? timestamp.getTime() : timestamp;
      if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
        throw new RangeError(
          `message ${i}: timestamp must be a non-negative integer (ms), got ${String(timestamp)}`,
        );
      }
      prepared[i] = { timestampMs, key, keyBytes, value, valueBytes, headers, headerBytes, maxBytes };
    }
    return prepared;
  }

  /** The partitioner's view of a topic, or undefined when its metadata is not known yet. */
  private topicInfo(topic: string): PartitionerTopic | undefined {
    const cached = this.topics.get(topic);
    if (cached !== undefined) return cached;
    const metadata: TopicMetadata | undefined = this.cluster.metadata.topic(topic);
    if (metadata === undefined || metadata.partitions.length === 0) return undefined;
    const info: PartitionerTopic = {
      name: topic,
      partitionCount: metadata.partitions.length,
      availablePartitions: metadata.partitions
        .filter((partition) => partition.leaderId >= 0)
        .map((partition) => partition.partition),
    };
    this.topics.set(topic, info);
    return info;
  }

  /**
   * Appends messages from `from` on while memory allows; returns how many of them are appended in all.
   * Throws for an invalid explicit partition (before appending it).
   */
  private appendNow(
    topic: PartitionerTopic,
    messages: readonly ProducerMessage<Key, Value>[],
    prepared: PreparedRecord[],
    operation: SendOperation,
    from: number,
  ): number {
    for (let i = from; i < prepared.length; i++) {
      const queue = this.accumulator.queue(topic.name, this.partitionFor(topic, messages[i], prepared[i], i));
      if (!this.accumulator.tryAppend(queue, prepared[i], operation, i)) return i;
    }
    return prepared.length;
  }

  private partitionFor(
    topic: PartitionerTopic,
    message: ProducerMessage<Key, Value>,
    record: PreparedRecord,
    index: number,
  ): number {
    const explicit = message.partition;
    if (explicit !== undefined && explicit !== null) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= topic.partitionCount) {
        throw new RangeError(
          `message ${index}: partition ${explicit} is not in [0, ${topic.partitionCount}) of ${topic.name}`,
        );
      }
      return explicit;
    }
    const keyBytes = record.key === null ? null : this.keyBytes(record.key);
    let partition = this.partitioner.partition(topic, keyBytes);
    if (this.partitioner.isSticky(keyBytes)) {
      const queue = this.accumulator.queue(topic.name, partition);
      if (!this.accumulator.hasRoomFor(queue, record.maxBytes))
        partition = this.partitioner.onNewBatch(topic, partition);
    }
    return partition;
  }

  /** A key's bytes for hashing: strings are encoded into a reused scratch buffer. */
  private keyBytes(key: Buffer | Uint8Array | string): Uint8Array {
    if (typeof key !== 'string') return key;
    const length = Buffer.byteLength(key, 'utf8');
    if (length > this.scratch.length)
      this.scratch = Buffer.allocUnsafe(Math.max(length, this.scratch.length * 2));
    this.scratch.write(key, 0, length, 'utf8');
    return this.scratch.subarray(0, length);
  }

  private finishAppends(operation: SendOperation): void {
    if (operation.remainingSegments === 0 && !operation.settled) {
      // Cannot happen: every message went into some batch.
      operation.settled = true;
      operation.reject(new Error('no record was appended'));
      return;
    }
    this.sender.schedule();
  }

  /** Appends the rest of a send once metadata and memory allow, behind every send queued before it. */
  private queueAppend(
    topic: string,
    messages: readonly ProducerMessage<Key, Value>[],
    prepared: PreparedRecord[],
    operation: SendOperation,
    from: number,
  ): void {
    const previous = this.appendTail ?? Promise.resolve();
    const deadlineMs = this.clock.nowMs() + this.options.maxBlockMs;
    const run = previous.then(() =>
      this.appendWaiting(topic, messages, prepared, operation, from, deadlineMs),
    );
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.appendTail = tail;
    void tail.then(() => {
      if (this.appendTail === tail) this.appendTail = null;
    });
    run.then(
      () => this.finishAppends(operation),
      (error: unknown) => {
        // Records already appended stay and will be delivered; the send reports the failure.
        if (operation.remainingSegments > 0) this.sender.schedule();
        if (!operation.settled) {
          operation.settled = true;
          operation.reject(error as Error);
        }
      },
    );
  }

  private async appendWaiting(
    topic: string,
    messages: readonly ProducerMessage<Key, Value>[],
    prepared: PreparedRecord[],
    operation: SendOperation,
    from: number,
    deadlineMs: number,
  ): Promise<void> {
    if (this.lifecycle !== 'open' && from === 0) throw new ClientClosedError('the producer is closed');
    await this.connect();
    let info = this.topicInfo(topic);
    if (info === undefined) {
      await this.cluster.metadata.waitForTopic(topic, deadlineMs);
      info = this.topicInfo(topic);
      if (info === undefined) throw new Error(`topic ${topic} has metadata but no partitions`);
    }
    let next = from;
    while (next < prepared.length) {
      next = this.appendNow(info, messages, prepared, operation, next);
      if (next === prepared.length) break;
      // No room in the pool: wait for a buffer of the size the next record needs.
      this.sender.schedule();
      const record = prepared[next];
      const remainingMs = Math.max(0, deadlineMs - this.clock.nowMs());
      let buffer: Buffer;
      try {
        buffer = await this.pool.allocate(this.accumulator.batchBufferBytes(record), remainingMs);
      } catch (error) {
        if (!BufferExhaustedError.isInstance(error)) throw error;
        // The pool was given what was left of the send's budget; the error names the configured one.
        const exhausted = new BufferExhaustedError(
          error.requestedBytes,
          this.options.maxBlockMs,
          error.bufferMemoryBytes,
        );
        exhausted.acceptedMessages = next;
        throw exhausted;
      }
      info = this.topicInfo(topic) ?? info;
      const queue = this.accumulator.queue(topic, this.partitionFor(info, messages[next], record, next));
      this.accumulator.appendToNewBatch(queue, buffer, record, operation, next);
      next++;
    }
  }
}

function normalizeHeaders(headers: ProducerMessage<unknown, unknown>['headers']): RecordHeaderInput[] | null {
  if (headers === undefined || headers === null) return null;
  const list: RecordHeaderInput[] = Array.isArray(headers)
    ? (headers as RecordHeaderInput[])
    : Object.entries(headers as Record<string, HeaderValue>).map(([key, value]) => ({ key, value }));
  if (list.length > Limits.MAX_HEADERS_PER_RECORD) {
    throw new RangeError(`a record may have at most ${Limits.MAX_HEADERS_PER_RECORD} headers`);
  }
  for (const header of list) {
    if (typeof header.key !== 'string') throw new TypeError('header keys must be strings');
    const value = header.value;
    if (!(value === null || typeof value === 'string' || value instanceof Uint8Array)) {
      throw new TypeError(`header ${header.key}: values must be Buffer, string or null`);
    }
  }
  return list.length === 0 ? null : list;
}

/** A serializer's output must be bytes, a string, or null. */
function checkBytes(
  field: 'key' | 'value',
  index: number,
  bytes: Buffer | Uint8Array | string | null,
): Buffer | Uint8Array | string | null {
  if (bytes === null || typeof bytes === 'string' || bytes instanceof Uint8Array) return bytes;
  throw new TypeError(
    `message ${index}: the ${field} serializer returned ${typeof bytes}, not a Buffer, string or null (set ${field}Serializer, e.g. serializers.json)`,
  );
}
