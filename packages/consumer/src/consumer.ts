import {
  ClientClosedError,
  type Clock,
  Cluster,
  defaultLogger,
  InvalidOptionError,
  partitionLocation,
  type RandomSource,
  resolveOptions,
  systemClock,
  systemRandom,
} from '@sluice/network';
import type { RecordHeader } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { RecordBuilder } from './completed-fetch.js';
import {
  type ConsumerConfigOptions,
  consumerOptionRelations,
  consumerOptionTable,
  type ResolvedConsumerOptions,
} from './consumer-options.js';
import { type Deserializer, deserializers } from './deserializers.js';
import { NoOffsetForPartitionError } from './errors.js';
import { Fetcher } from './fetcher.js';
import { Limits } from './limits.js';
import { PartitionState, partitionKey } from './partition-state.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Where to start: an offset, the earliest or latest offset, or (undefined) as autoOffsetReset says. */
export type StartOffset = number | bigint | 'earliest' | 'latest';

export interface TopicPartitionOffset extends TopicPartition {
  offset?: StartOffset;
}

export interface ConsumerRecord<Key, Value> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** ms since the epoch: create time, or the broker's append time for LogAppendTime topics. */
  readonly timestamp: number;
  readonly key: Key | null;
  readonly value: Value | null;
  readonly headers: readonly RecordHeader[];
}

export interface ConsumerBatch<Key, Value> {
  readonly topic: string;
  readonly partition: number;
  /** At most maxPollRecords records, in offset order. */
  readonly records: readonly ConsumerRecord<Key, Value>[];
  /** The partition's high watermark when the data was fetched (lag = highWatermark - last offset - 1). */
  readonly highWatermark: number;
}

export interface ConsumerOptions<Key = Buffer, Value = Buffer> extends ConsumerConfigOptions {
  /** Turns key bytes into keys; default: the bytes (a Buffer view). */
  keyDeserializer?: Deserializer<Key>;
  valueDeserializer?: Deserializer<Value>;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface IterationOptions {
  /** Ends the iteration (normally, as close() does) when aborted. */
  signal?: AbortSignal;
}

/**
 * The Sluice consumer, assign mode: the application says which partitions to read (`assign`) and where
 * (`seek`, or autoOffsetReset); subscribe mode with consumer groups comes later.
 *
 * Reading: `for await (const record of consumer)` yields records one at a time, in offset order within a
 * partition; `eachBatch(handler)` (or `for await (const batch of consumer.batches())`) hands over up to
 * maxPollRecords records of one partition at a time, for throughput. Fetching runs ahead in the
 * background: while the application works through one response per partition, the next is fetched, and
 * no more (see Fetcher). Batches are decoded only when the application reaches them.
 *
 * A partition's `position` is the offset of the next record to hand out: it moves as records are yielded,
 * and after each successful eachBatch handler (a handler that throws leaves it at the batch's first
 * record, so the batch comes again).
 */
export class Consumer<Key = Buffer, Value = Buffer> {
  readonly options: ResolvedConsumerOptions;
  private readonly cluster: Cluster;
  private readonly fetcher: Fetcher;
  private readonly keyDeserializer: Deserializer<Key>;
  private readonly valueDeserializer: Deserializer<Value>;
  private readonly logger: Logger;
  /** Assigned partitions by key. */
  private readonly assigned = new Map<string, PartitionState>();
  /** Partitions with buffered data, in arrival order (each at most once). */
  private readonly ready: PartitionState[] = [];
  private readonly readySet = new Set<PartitionState>();
  /** Errors for the application, delivered by the next read. */
  private readonly errors: Error[] = [];
  private readonly waiters = new Set<() => void>();
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(options: ConsumerOptions<Key, Value>) {
    const { keyDeserializer, valueDeserializer, logger, clock, random, ...config } = options;
    this.options = resolveOptions(consumerOptionTable, config, consumerOptionRelations);
    this.keyDeserializer = checkDeserializer(
      'keyDeserializer',
      keyDeserializer ?? (deserializers.buffer as Deserializer<Key>),
    );
    this.valueDeserializer = checkDeserializer(
      'valueDeserializer',
      valueDeserializer ?? (deserializers.buffer as Deserializer<Value>),
    );
    this.logger = (logger ?? defaultLogger('sluice')).child({
      component: 'consumer',
      clientId: this.options.clientId,
    });
    const clockSource = clock ?? systemClock;
    const randomSource = random ?? systemRandom;
    this.cluster = new Cluster({
      ...this.options,
      allowAutoTopicCreation: this.options.allowAutoTopicCreation,
      logger: this.logger,
      clock: clockSource,
      random: randomSource,
    });
    this.fetcher = new Fetcher({
      cluster: this.cluster,
      options: this.options,
      partitions: () => this.assigned.values(),
      isAssigned: (partition) => this.assigned.get(partition.key) === partition,
      onData: (partition) => this.markReady(partition),
      recordBuilder: (partition) => this.recordBuilder(partition) as RecordBuilder<unknown>,
      onError: (partition, error) => {
        this.logger.warn(
          { err: error, topic: partition.topic, partition: partition.partition },
          'fetch error',
        );
        this.errors.push(error);
        this.notify();
      },
      logger: this.logger,
      clock: clockSource,
      random: randomSource,
    });
    this.cluster.metadata.onChange(() => this.fetcher.schedule());
  }

  /** Fetches the cluster metadata now (assign does it otherwise). */
  connect(): Promise<void> {
    if (this.connecting === null) {
      this.connecting = this.cluster.connect();
      this.connecting.then(
        () => this.fetcher.schedule(),
        () => {
          this.connecting = null;
        },
      );
    }
    return this.connecting;
  }

  /**
   * Reads exactly these partitions from now on (replacing any earlier assignment). A partition already
   * assigned keeps its position unless an offset is given.
   */
  assign(partitions: readonly TopicPartitionOffset[]): void {
    this.checkOpen();
    if (partitions.length > Limits.MAX_ASSIGNED_PARTITIONS) {
      throw new RangeError(`a consumer may be assigned at most ${Limits.MAX_ASSIGNED_PARTITIONS} partitions`);
    }
    const next = new Map<string, PartitionState>();
    for (const wanted of partitions) {
      checkTopicPartition(wanted);
      const key = partitionKey(wanted.topic, wanted.partition);
      if (next.has(key)) throw new RangeError(`${wanted.topic}-${wanted.partition} is assigned twice`);
      let state = this.assigned.get(key);
      if (state === undefined || wanted.offset !== undefined) {
        state = state ?? new PartitionState(wanted.topic, wanted.partition, { kind: 'positioned' });
        this.startAt(state, wanted.offset);
      }
      next.set(key, state);
    }
    const topics = new Set([...next.values()].map((state) => state.topic));
    this.cluster.metadata.untrack(
      [...this.assigned.values()].map((state) => state.topic).filter((topic) => !topics.has(topic)),
    );
    this.assigned.clear();
    for (const [key, state] of next) this.assigned.set(key, state);
    this.cluster.metadata.track(topics);
    void this.connect()
      .then(() => this.cluster.metadata.refresh())
      .catch((error: unknown) => this.logger.warn({ err: error }, 'metadata refresh after assign failed'));
    this.fetcher.schedule();
    this.notify();
  }

  /** The assigned partitions. */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Moves an assigned partition's position; data fetched for the old position is dropped. */
  seek(target: TopicPartition & { offset: StartOffset }): void {
    this.checkOpen();
    const state = this.requireAssigned(target);
    this.startAt(state, target.offset);
    this.fetcher.schedule();
    this.notify();
  }

  /** The next offset to be handed out for a partition, or undefined while it is being looked up. */
  position(target: TopicPartition): number | undefined {
    const state = this.requireAssigned(target);
    return state.state.kind === 'positioned' ? state.position : undefined;
  }

  /** Stops handing out (and fetching) records of these partitions until `resume`. Buffered data is kept. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const target of partitions) this.requireAssigned(target).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const target of partitions) this.requireAssigned(target).paused = false;
    this.fetcher.schedule();
    this.notify();
  }

  paused(): TopicPartition[] {
    return [...this.assigned.values()]
      .filter((state) => state.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<Key, Value>> {
    return this.records();
  }

  /**
   * Records one at a time, until close() or the signal. Throws errors the application must see. While
   * fetched data is buffered, each step is answered at once, without waiting on the event loop.
   */
  records(options: IterationOptions = {}): AsyncIterableIterator<ConsumerRecord<Key, Value>> {
    const signal = options.signal;
    let finished = false;
    const done: IteratorResult<ConsumerRecord<Key, Value>> = { done: true, value: undefined };
    const iterator: AsyncIterableIterator<ConsumerRecord<Key, Value>> = {
      next: (): Promise<IteratorResult<ConsumerRecord<Key, Value>>> => {
        if (finished) return Promise.resolve(done);
        let record: ConsumerRecord<Key, Value> | 'wait' | 'done';
        try {
          record = this.pollRecord(signal);
        } catch (error) {
          return Promise.reject(error);
        }
        if (record === 'done') {
          finished = true;
          return Promise.resolve(done);
        }
        if (record === 'wait') return this.waitForChange(signal).then(() => iterator.next());
        return Promise.resolve({ done: false, value: record });
      },
      return: (): Promise<IteratorResult<ConsumerRecord<Key, Value>>> => {
        finished = true;
        return Promise.resolve(done);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The next record if one is buffered, 'wait' if none is, 'done' once closed or aborted. */
  private pollRecord(signal: AbortSignal | undefined): ConsumerRecord<Key, Value> | 'wait' | 'done' {
    for (;;) {
      const partition = this.findReady(signal);
      if (partition === null) return 'wait';
      if (partition === 'done') return 'done';
      const fetch = partition.buffered[0];
      let record: ConsumerRecord<Key, Value> | null;
      try {
        record = fetch.next() as ConsumerRecord<Key, Value> | null;
      } catch (error) {
        this.dropAfterCorruption(partition);
        throw error;
      }
      if (record === null) {
        this.finishFetch(partition);
        continue;
      }
      partition.position = record.offset + 1;
      return record;
    }
  }

  /** Batches of up to maxPollRecords records of one partition, until close() or the signal. */
  async *batches(options: IterationOptions = {}): AsyncGenerator<ConsumerBatch<Key, Value>, void, undefined> {
    for (;;) {
      const batch = await this.nextBatch(options.signal);
      if (batch === null) return;
      const state = this.assigned.get(partitionKey(batch.topic, batch.partition));
      if (state !== undefined && state.state.kind === 'positioned') {
        state.position = batch.records[batch.records.length - 1].offset + 1;
      }
      yield batch;
    }
  }

  /**
   * Calls `handler` with each batch, one at a time, until close() or the signal (then resolves). When the
   * handler throws, the partition goes back to the batch's first record and eachBatch rejects with the
   * error.
   */
  async eachBatch(
    handler: (batch: ConsumerBatch<Key, Value>) => Promise<void> | void,
    options: IterationOptions = {},
  ): Promise<void> {
    for (;;) {
      const batch = await this.nextBatch(options.signal);
      if (batch === null) return;
      const state = this.assigned.get(partitionKey(batch.topic, batch.partition));
      const generation = state?.generation;
      try {
        await handler(batch);
      } catch (error) {
        if (state !== undefined && state.generation === generation)
          this.startAt(state, batch.records[0].offset);
        this.fetcher.schedule();
        throw error;
      }
      if (state !== undefined && state.generation === generation && state.state.kind === 'positioned') {
        state.position = batch.records[batch.records.length - 1].offset + 1;
      }
    }
  }

  /** Stops fetching, ends every iteration, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fetcher.stop();
    this.notify();
    await this.cluster.close();
  }

  private async nextBatch(signal: AbortSignal | undefined): Promise<ConsumerBatch<Key, Value> | null> {
    for (;;) {
      const partition = await this.nextReady(signal);
      if (partition === null) return null;
      const fetch = partition.buffered[0];
      const records: ConsumerRecord<Key, Value>[] = [];
      const max = this.options.maxPollRecords;
      try {
        while (records.length < max) {
          const record = fetch.next() as ConsumerRecord<Key, Value> | null;
          if (record === null) break;
          records.push(record);
        }
      } catch (error) {
        if (records.length === 0) {
          this.dropAfterCorruption(partition);
          throw error;
        }
        // Hand over what came before the bad batch; the error comes with the next read.
        this.dropAfterCorruption(partition, records[records.length - 1].offset + 1);
        this.errors.push(error as Error);
      }
      if (records.length < max || fetch.isExhausted) this.finishFetch(partition);
      if (records.length === 0) continue;
      return {
        topic: partition.topic,
        partition: partition.partition,
        records,
        highWatermark: partition.highWatermark,
      };
    }
  }

  /** The next partition with data to hand out, waiting for one; null once closed or aborted. */
  private async nextReady(signal: AbortSignal | undefined): Promise<PartitionState | null> {
    for (;;) {
      const partition = this.findReady(signal);
      if (partition === 'done') return null;
      if (partition !== null) return partition;
      await this.waitForChange(signal);
    }
  }

  /**
   * The first partition in line with data to hand out (assigned, not paused, data of its current
   * generation), null when there is none now, 'done' once closed or aborted. Throws a pending error first.
   */
  private findReady(signal: AbortSignal | undefined): PartitionState | null | 'done' {
    if (this.closed || signal?.aborted) return 'done';
    const error = this.errors.shift();
    if (error !== undefined) throw error;
    for (let i = 0; i < this.ready.length; i++) {
      const partition = this.ready[i];
      const fetch = partition.buffered[0];
      const stale = fetch !== undefined && fetch.generation !== partition.generation;
      if (
        this.assigned.get(partition.key) !== partition ||
        fetch === undefined ||
        stale ||
        partition.state.kind === 'failed'
      ) {
        this.ready.splice(i--, 1);
        this.readySet.delete(partition);
        if (stale) partition.buffered.length = 0;
        continue;
      }
      if (partition.paused) continue;
      return partition;
    }
    return null;
  }

  /** The fetch at the head of a partition is used up: the next one (if any) goes to the back of the line. */
  private finishFetch(partition: PartitionState): void {
    partition.buffered.shift();
    const index = this.ready.indexOf(partition);
    if (index >= 0) this.ready.splice(index, 1);
    this.readySet.delete(partition);
    if (partition.buffered.length > 0) this.markReady(partition);
    this.fetcher.schedule();
  }

  /** After a corrupt batch: drop what is buffered and fetch again from the position (or `from`). */
  private dropAfterCorruption(partition: PartitionState, from = partition.position): void {
    partition.seek(from);
    this.fetcher.schedule();
  }

  private markReady(partition: PartitionState): void {
    if (!this.readySet.has(partition)) {
      this.readySet.add(partition);
      this.ready.push(partition);
    }
    this.notify();
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private waitForChange(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** Builds the application's records of one partition: one closure per fetch, one object per record. */
  private recordBuilder(state: PartitionState): RecordBuilder<ConsumerRecord<Key, Value>> {
    const { topic, partition } = state;
    const keyDeserializer = this.keyDeserializer;
    const valueDeserializer = this.valueDeserializer;
    return (offset, timestamp, key, value, headers) => ({
      topic,
      partition,
      offset,
      timestamp,
      key: key === null ? null : keyDeserializer(key),
      value: value === null ? null : valueDeserializer(value),
      headers,
    });
  }

  private startAt(state: PartitionState, offset: StartOffset | undefined): void {
    if (offset === 'earliest' || offset === 'latest') {
      state.reset(offset);
    } else if (offset === undefined) {
      const strategy = this.options.autoOffsetReset;
      if (strategy === 'none') {
        state.reset('earliest');
        state.state = {
          kind: 'failed',
          error: new NoOffsetForPartitionError(partitionLocation(state.topic, state.partition)),
        };
        this.errors.push(state.state.error);
      } else {
        state.reset(strategy);
      }
    } else {
      const value = typeof offset === 'bigint' ? Number(offset) : offset;
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(
          `offset must be a non-negative integer, 'earliest' or 'latest', not ${String(offset)}`,
        );
      }
      state.seek(value);
    }
    state.retryAtMs = 0;
    state.failures = 0;
  }

  private requireAssigned(target: TopicPartition): PartitionState {
    const state = this.assigned.get(partitionKey(target.topic, target.partition));
    if (state === undefined)
      throw new RangeError(`${target.topic}-${target.partition} is not assigned to this consumer`);
    return state;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClientClosedError('the consumer is closed');
  }
}

function checkTopicPartition(target: TopicPartitionOffset): void {
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof target.topic !== 'string' ||
    target.topic === ''
  ) {
    throw new TypeError('a partition is { topic, partition, offset? } with a non-empty topic');
  }
  if (!Number.isInteger(target.partition) || target.partition < 0) {
    throw new RangeError(`partition must be a non-negative integer, not ${String(target.partition)}`);
  }
}

function checkDeserializer<T>(name: string, deserializer: Deserializer<T>): Deserializer<T> {
  if (typeof deserializer !== 'function') throw new InvalidOptionError(name, `${name} must be a function`);
  return deserializer;
}
