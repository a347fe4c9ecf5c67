import {
  ClientClosedError,
  type Clock,
  Cluster,
  checkFunctionOption,
  defaultLogger,
  partitionLocation,
  type RandomSource,
  resolveOptions,
  sleep,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '@sluice/network';
import type { RecordHeader } from '@sluice/protocol';
import type { Logger } from 'pino';
import { assignorsNamed } from './assignor-registry.js';
import type { RecordBuilder } from './completed-fetch.js';
import {
  type ConsumerConfigOptions,
  consumerOptionRelations,
  consumerOptionTable,
  type ResolvedConsumerOptions,
} from './consumer-options.js';
import { CoordinatorChannel } from './coordinator-channel.js';
import { type Deserializer, deserializers } from './deserializers.js';
import { CommitFailedError, IllegalStateError, NoOffsetForPartitionError } from './errors.js';
import { Fetcher } from './fetcher.js';
import {
  GroupMembership,
  type GroupMetadata,
  type MembershipHost,
  type ReleaseKind,
} from './group-membership.js';
import { GroupOffsets, NO_GROUP_IDENTITY, type PartitionOffset } from './group-offsets.js';
import { Limits } from './limits.js';
import { PartitionState } from './partition-state.js';
import type { RebalanceListener } from './rebalance-listener.js';
import type { RetryInfo } from './retry-headers.js';
import {
  type ResolvedRetryPolicy,
  type RetryPolicy,
  type RetryPublication,
  resolveRetryPolicy,
} from './retry-policy.js';
import { RetryRouter } from './retry-router.js';
import { partitionKey, type TopicPartition } from './topic-partition.js';

export type { TopicPartition } from './topic-partition.js';

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

/** What `eachRecord` tells its handler besides the record. */
export interface RecordContext {
  /** 1 for a first delivery; with a retry policy, 2 for the first retry, and so on. */
  readonly attempt: number;
  /** Where the record was first consumed (itself, unless it comes from a retry topic). */
  readonly origin: { readonly topic: string; readonly partition: number; readonly offset: number };
  /** The error of the previous attempt (from the retry headers), or null. */
  readonly lastError: string | null;
}

export interface ConsumerOptions<Key = Buffer, Value = Buffer> extends ConsumerConfigOptions {
  /** Turns key bytes into keys; default: the bytes (a Buffer view). */
  keyDeserializer?: Deserializer<Key>;
  valueDeserializer?: Deserializer<Value>;
  /** Retries and dead letters for `eachRecord` handlers (off by default). */
  retry?: RetryPolicy;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface IterationOptions {
  /** Ends the iteration (normally, as close() does) when aborted. */
  signal?: AbortSignal;
}

export interface CommitOptions {
  /** Give up after this long (retrying coordinator moves and lost connections); default request.timeout.ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** An offset to commit: the offset of the next record to read. */
export interface CommitOffset extends TopicPartition {
  offset: number | bigint;
}

export interface CommittedOffset extends TopicPartition {
  /** null when the group has committed nothing for the partition. */
  offset: number | null;
}

type Lifecycle = 'open' | 'closing' | 'closed';

/** A record handed out by the consumer, with what is needed to settle it. */
interface HandedRecord<Key, Value> {
  readonly record: ConsumerRecord<Key, Value>;
  readonly state: PartitionState;
  /** The partition's generation when it was handed out: a seek since makes the settlement moot. */
  readonly generation: number;
}

/**
 * The Sluice consumer, in assign mode or in subscribe mode (consumer groups).
 *
 * Assign mode: the application says which partitions to read (`assign`) and where (`seek`, or
 * autoOffsetReset; with a groupId, a partition assigned without an offset starts at the group's committed
 * offset). Subscribe mode: `subscribe(topics | pattern)` joins the group `groupId`, whose members share
 * the partitions of the subscribed topics as the chosen assignor decides; rebalances move them as members
 * come and go (see GroupMembership), and a partition taken over starts at the group's committed offset.
 *
 * Reading: `for await (const record of consumer)` yields records one at a time, in offset order within a
 * partition; `eachRecord(handler)` calls a handler per record (with optional retries and dead letters);
 * `eachBatch(handler)` (or `batches()`) hands over up to maxPollRecords records of one partition at a time.
 * Fetching runs ahead in the background (see Fetcher); batches are decoded only when reached.
 *
 * A partition's `position` is the offset of the next record to hand out. A record counts as consumed when
 * the application is done with it: when it asks for the next record, or when the handler given the record
 * (or its batch) returns. Auto commit (enableAutoCommit, every autoCommitIntervalMs, and when partitions
 * are revoked or the consumer closes) commits only consumed offsets, so a crash never skips a record that
 * was handed out but not finished (at-least-once). A revoked partition is given up only once the
 * application is done with what it holds of it, up to the rebalance timeout (maxPollIntervalMs).
 */
export class Consumer<Key = Buffer, Value = Buffer> {
  readonly options: ResolvedConsumerOptions;
  private readonly cluster: Cluster;
  private readonly fetcher: Fetcher;
  private readonly keyDeserializer: Deserializer<Key>;
  private readonly valueDeserializer: Deserializer<Value>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  /** Assigned partitions by key (in subscribe mode: owned by this member). */
  private readonly assigned = new Map<string, PartitionState>();
  /** Partitions with buffered data, in arrival order (each at most once). */
  private readonly ready: PartitionState[] = [];
  private readonly readySet = new Set<PartitionState>();
  /** Errors for the application, delivered by the next read. */
  private readonly errors: Error[] = [];
  private readonly waiters = new Set<() => void>();
  private lifecycle: Lifecycle = 'open';
  /** How partitions are chosen: by the application, by the group, or not yet. */
  private mode: 'none' | 'assign' | 'subscribe' = 'none';
  /** What the application subscribed to (subscribe mode). */
  private subscription: { readonly topics: readonly string[] } | { readonly pattern: RegExp } | null = null;
  /** The topics the member subscribes to: the list or the pattern's matches, plus the retry topics. */
  private subscribedTopics: readonly string[] = [];
  private listener: RebalanceListener = {};
  /** Group machinery, made on first use when a groupId is set. */
  private channel: CoordinatorChannel | null = null;
  private offsets: GroupOffsets | null = null;
  private membership: GroupMembership | null = null;
  private autoCommitTimer: TimerHandle | null = null;
  private autoCommitting = false;
  private patternTimer: TimerHandle | null = null;
  /** When the application last asked for records (clock ms). */
  private lastPollMs: number;
  /** Reads waiting for records right now (the application is asking, so it is not idle). */
  private waitingReads = 0;
  private readonly retryRouter: RetryRouter | null;
  /** Key and value bytes of handed-out records, kept for re-publishing (only with a retry policy). */
  private readonly rawBytes: WeakMap<object, { key: Buffer | null; value: Buffer | null }> | null;

  constructor(options: ConsumerOptions<Key, Value>) {
    const { keyDeserializer, valueDeserializer, retry, logger, clock, random, ...config } = options;
    this.options = resolveOptions(consumerOptionTable, config, consumerOptionRelations);
    this.keyDeserializer = checkFunctionOption(
      'keyDeserializer',
      keyDeserializer ?? (deserializers.buffer as Deserializer<Key>),
    );
    this.valueDeserializer = checkFunctionOption(
      'valueDeserializer',
      valueDeserializer ?? (deserializers.buffer as Deserializer<Value>),
    );
    const retryPolicy: ResolvedRetryPolicy | null = retry === undefined ? null : resolveRetryPolicy(retry);
    this.logger = (logger ?? defaultLogger('sluice')).child({
      component: 'consumer',
      clientId: this.options.clientId,
      ...(this.options.groupId === '' ? {} : { groupId: this.options.groupId }),
    });
    this.clock = clock ?? systemClock;
    this.random = random ?? systemRandom;
    this.lastPollMs = this.clock.nowMs();
    this.cluster = new Cluster({
      ...this.options,
      allowAutoTopicCreation: this.options.allowAutoTopicCreation,
      logger: this.logger,
      clock: this.clock,
      random: this.random,
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
      clock: this.clock,
      random: this.random,
    });
    this.retryRouter =
      retryPolicy === null
        ? null
        : new RetryRouter({
            policy: retryPolicy,
            options: this.options,
            partitionCount: async (topic) =>
              (
                await this.cluster.metadata.waitForTopic(
                  topic,
                  this.clock.nowMs() + this.options.requestTimeoutMs,
                )
              ).partitions.length,
            logger: this.logger,
            clock: this.clock,
            random: this.random,
          });
    this.rawBytes = retryPolicy === null ? null : new WeakMap();
    this.cluster.metadata.onChange((snapshot) => {
      this.fetcher.schedule();
      this.membership?.metadataChanged((topic) => snapshot.topics.get(topic)?.partitions.length);
    });
  }

  /** Fetches the cluster metadata now (assign and subscribe do it otherwise). */
  connect(): Promise<void> {
    const connecting = this.cluster.connectOnce();
    connecting.then(
      () => this.fetcher.schedule(),
      () => {},
    );
    return connecting;
  }

  /**
   * Reads exactly these partitions from now on (replacing any earlier assignment). A partition already
   * assigned keeps its position unless an offset is given; a new one without an offset starts at the
   * group's committed offset when a groupId is set, else as autoOffsetReset says.
   */
  assign(partitions: readonly TopicPartitionOffset[]): void {
    this.checkOpen();
    if (this.mode === 'subscribe') {
      throw new IllegalStateError('assign is not allowed while subscribed: call unsubscribe() first');
    }
    if (partitions.length > Limits.MAX_ASSIGNED_PARTITIONS) {
      throw new RangeError(`a consumer may be assigned at most ${Limits.MAX_ASSIGNED_PARTITIONS} partitions`);
    }
    const next = new Map<string, PartitionState>();
    const fromCommitted: PartitionState[] = [];
    for (const wanted of partitions) {
      checkTopicPartition(wanted);
      const key = partitionKey(wanted.topic, wanted.partition);
      if (next.has(key)) throw new RangeError(`${wanted.topic}-${wanted.partition} is assigned twice`);
      let state = this.assigned.get(key);
      if (state === undefined && wanted.offset === undefined && this.options.groupId !== '') {
        state = new PartitionState(wanted.topic, wanted.partition, { kind: 'awaiting-committed' });
        fromCommitted.push(state);
      } else if (state === undefined || wanted.offset !== undefined) {
        state = state ?? new PartitionState(wanted.topic, wanted.partition, { kind: 'positioned' });
        this.startAt(state, wanted.offset);
      }
      next.set(key, state);
    }
    this.mode = next.size > 0 ? 'assign' : 'none';
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
    if (fromCommitted.length > 0) {
      void this.positionFromCommitted(fromCommitted, new AbortController().signal);
    }
    if (this.mode === 'assign') this.startAutoCommit();
    this.fetcher.schedule();
    this.notify();
  }

  /**
   * Joins the consumer group `groupId` and reads the partitions of these topics (or of every topic whose
   * name matches the pattern, checked again every metadataMaxAgeMs) that the group gives this member.
   * Subscribing again replaces the subscription (the group rebalances). The listener hears of partitions
   * assigned, revoked (offsets may still be committed) and lost (another member may own them already).
   */
  subscribe(topics: readonly string[] | RegExp, listener: RebalanceListener = {}): void {
    this.checkOpen();
    if (this.mode === 'assign') {
      throw new IllegalStateError('subscribe is not allowed after assign: call assign([]) first');
    }
    if (this.options.groupId === '') {
      throw new IllegalStateError('subscribe needs a groupId (group.id)');
    }
    checkListener(listener);
    if (topics instanceof RegExp) {
      this.subscription = { pattern: new RegExp(topics.source, topics.flags.replace(/[gy]/g, '')) };
    } else {
      if (!Array.isArray(topics) || topics.length > Limits.MAX_SUBSCRIBED_TOPICS) {
        throw new RangeError(
          `subscribe takes a pattern or a list of at most ${Limits.MAX_SUBSCRIBED_TOPICS} topics`,
        );
      }
      for (const topic of topics) {
        if (typeof topic !== 'string' || topic === '')
          throw new TypeError('topics must be non-empty strings');
      }
      this.subscription = { topics: [...new Set(topics)] };
    }
    this.listener = listener;
    this.mode = 'subscribe';
    this.lastPollMs = this.clock.nowMs();
    const membership = this.group().membership;
    void this.connect().catch((error: unknown) => this.logger.warn({ err: error }, 'connecting failed'));
    this.startAutoCommit();
    if ('pattern' in this.subscription) {
      this.refreshPatternSoon(0);
    } else {
      this.setSubscribedTopics(this.subscription.topics);
      membership.start();
    }
  }

  /** The topics subscribed to now (a pattern's current matches, and the retry topics); empty in assign mode. */
  subscribed(): string[] {
    return [...this.subscribedTopics];
  }

  /**
   * Leaves the group: revokes every partition (committing consumed offsets with auto commit, and calling
   * the listener), then LeaveGroup (a static member does not send it).
   */
  async unsubscribe(): Promise<void> {
    if (this.mode !== 'subscribe') return;
    this.subscription = null;
    this.stopPatternRefresh();
    this.subscribedTopics = [];
    await this.membership?.leave('the consumer unsubscribed');
    // Unless the application subscribed again meanwhile.
    if (this.subscription === null) this.mode = 'none';
  }

  /** The assigned partitions (in subscribe mode, those the group gave this member). */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The group, this member's id and generation (generationId -1 outside a generation). */
  groupMetadata(): GroupMetadata {
    if (this.membership !== null) return this.membership.metadata();
    return {
      groupId: this.options.groupId,
      memberId: '',
      generationId: -1,
      groupInstanceId: this.options.groupInstanceId === '' ? null : this.options.groupInstanceId,
      protocolName: null,
      state: 'idle',
    };
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

  /**
   * Commits offsets for the group: the given ones (each the offset of the next record to read), or, without
   * arguments, every assigned partition's position (the records handed out so far; for eachBatch and
   * eachRecord, those whose handler returned). Fails with CommitFailedError when the group rebalanced and
   * this member's generation is over.
   */
  async commit(offsets?: readonly CommitOffset[], options: CommitOptions = {}): Promise<void> {
    if (this.lifecycle === 'closed') throw new ClientClosedError('the consumer is closed');
    if (this.options.groupId === '') throw new IllegalStateError('commit needs a groupId (group.id)');
    let list: PartitionOffset[];
    if (offsets === undefined) {
      list = [];
      for (const state of this.assigned.values()) {
        if (state.state.kind === 'positioned') {
          list.push({ topic: state.topic, partition: state.partition, offset: state.position });
        }
      }
    } else {
      list = offsets.map((entry) => {
        checkTopicPartition(entry);
        const offset = typeof entry.offset === 'bigint' ? Number(entry.offset) : entry.offset;
        if (!Number.isSafeInteger(offset) || offset < 0) {
          throw new RangeError(
            `a committed offset must be a non-negative integer, not ${String(entry.offset)}`,
          );
        }
        return { topic: entry.topic, partition: entry.partition, offset };
      });
    }
    if (list.length === 0) return;
    await this.commitOffsets(list, options);
  }

  /** The group's committed offsets of these partitions (null where there is none). */
  async committed(
    partitions: readonly TopicPartition[],
    options: CommitOptions = {},
  ): Promise<CommittedOffset[]> {
    this.checkOpen();
    if (this.options.groupId === '') throw new IllegalStateError('committed needs a groupId (group.id)');
    for (const target of partitions) checkTopicPartition(target);
    const { offsets } = this.group();
    const found = await offsets.fetch(partitions, {
      deadlineMs: this.clock.nowMs() + (options.timeoutMs ?? this.options.requestTimeoutMs),
      signal: options.signal,
    });
    return partitions.map(({ topic, partition }) => {
      const offset = found.get(partitionKey(topic, partition)) ?? -1;
      return { topic, partition, offset: offset < 0 ? null : offset };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<Key, Value>> {
    return this.records();
  }

  /**
   * Records one at a time, until close() or the signal. Throws errors the application must see. While
   * fetched data is buffered, each step is answered at once, without waiting on the event loop. A record
   * counts as consumed when the next one is asked for.
   */
  records(options: IterationOptions = {}): AsyncIterableIterator<ConsumerRecord<Key, Value>> {
    const signal = options.signal;
    let finished = false;
    let held: HandedRecord<Key, Value> | null = null;
    const done: IteratorResult<ConsumerRecord<Key, Value>> = { done: true, value: undefined };
    const settleHeld = (consumed: boolean) => {
      if (held !== null) {
        this.settle(held, consumed, held.record.offset, true);
        held = null;
      }
    };
    const iterator: AsyncIterableIterator<ConsumerRecord<Key, Value>> = {
      next: (): Promise<IteratorResult<ConsumerRecord<Key, Value>>> => {
        settleHeld(true);
        if (finished) return Promise.resolve(done);
        let handed: HandedRecord<Key, Value> | 'wait' | 'done';
        try {
          handed = this.pollRecord(signal);
        } catch (error) {
          return Promise.reject(error);
        }
        if (handed === 'done') {
          finished = true;
          return Promise.resolve(done);
        }
        if (handed === 'wait') return this.waitForRecords(signal).then(() => iterator.next());
        handed.state.heldByIterators++;
        held = handed;
        return Promise.resolve({ done: false, value: handed.record });
      },
      return: (): Promise<IteratorResult<ConsumerRecord<Key, Value>>> => {
        settleHeld(false);
        finished = true;
        return Promise.resolve(done);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Calls `handler` with each record, one at a time, until close() or the signal (then resolves).
   *
   * Without a retry policy, a handler that throws sends the partition back to that record (it comes again)
   * and eachRecord rejects with the error. With one (`retry` option), the record is re-published to a retry
   * topic (or, after maxAttempts, to the dead-letter topic) and the partition carries on; the record counts
   * as consumed only once the re-publish is acknowledged. Records from a retry topic are handled no sooner
   * than their not-before time: until then their partition is paused, and other partitions flow.
   */
  async eachRecord(
    handler: (record: ConsumerRecord<Key, Value>, context: RecordContext) => Promise<void> | void,
    options: IterationOptions = {},
  ): Promise<void> {
    for (;;) {
      const handed = await this.nextRecord(options.signal);
      if (handed === null) return;
      const { record, state, generation } = handed;
      state.inHand++;
      let consumed = false;
      try {
        const router = this.retryRouter;
        const info: RetryInfo | null = router?.info(record) ?? null;
        if (router !== null && info !== null) {
          if (info.notBeforeMs > this.clock.nowMs()) {
            this.delayPartition(state, generation, record.offset, info.notBeforeMs);
            continue;
          }
          if (router.isDuplicate(info)) {
            this.logger.info(
              {
                topic: record.topic,
                partition: record.partition,
                offset: record.offset,
                attempt: info.attempt,
              },
              'skipping a duplicate of a retried record',
            );
            consumed = true;
            continue;
          }
        }
        try {
          await handler(record, {
            attempt: info?.attempt ?? 1,
            origin: {
              topic: info?.originTopic ?? record.topic,
              partition: info?.originPartition ?? record.partition,
              offset: info?.originOffset ?? record.offset,
            },
            lastError: info?.lastError ?? null,
          });
        } catch (error) {
          if (router === null || info === null) {
            this.rewind(state, generation, record.offset);
            throw error;
          }
          const raw = this.rawBytes?.get(record) ?? { key: null, value: null };
          let publication: RetryPublication;
          try {
            publication = await router.publish(
              {
                topic: record.topic,
                partition: record.partition,
                offset: record.offset,
                headers: record.headers,
                key: raw.key,
                value: raw.value,
              },
              info,
              error,
            );
          } catch (publishError) {
            // Nothing is lost: the record was not consumed and comes again.
            this.rewind(state, generation, record.offset);
            throw publishError;
          }
          try {
            await router.policy.onPublished?.(publication);
          } catch (listenerError) {
            this.logger.warn({ err: listenerError }, 'retry onPublished threw');
          }
        }
        if (router !== null && info !== null) router.remember(info);
        consumed = true;
      } finally {
        this.settle(handed, consumed, record.offset);
      }
    }
  }

  /** Batches of up to maxPollRecords records of one partition, until close() or the signal. */
  async *batches(options: IterationOptions = {}): AsyncGenerator<ConsumerBatch<Key, Value>, void, undefined> {
    for (;;) {
      const handed = await this.nextBatch(options.signal);
      if (handed === null) return;
      const { batch, state, generation } = handed;
      const last = batch.records[batch.records.length - 1].offset;
      if (state.generation === generation && state.state.kind === 'positioned') state.position = last + 1;
      state.inHand++;
      let consumed = false;
      try {
        yield batch;
        consumed = true;
      } finally {
        this.settleBatch(state, generation, last, consumed);
      }
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
      const handed = await this.nextBatch(options.signal);
      if (handed === null) return;
      const { batch, state, generation } = handed;
      const last = batch.records[batch.records.length - 1].offset;
      state.inHand++;
      let consumed = false;
      try {
        await handler(batch);
        consumed = true;
      } catch (error) {
        this.rewind(state, generation, batch.records[0].offset);
        throw error;
      } finally {
        if (consumed && state.generation === generation && state.state.kind === 'positioned') {
          state.position = last + 1;
        }
        this.settleBatch(state, generation, last, consumed);
      }
    }
  }

  /**
   * Stops handing out records (every iteration ends), leaves the group (revoking the partitions: consumed
   * offsets are committed with auto commit, and the listener runs), and closes the connections.
   */
  async close(): Promise<void> {
    if (this.lifecycle !== 'open') return;
    this.lifecycle = 'closing';
    this.notify();
    this.stopAutoCommit();
    this.stopPatternRefresh();
    try {
      if (this.mode === 'assign' && this.options.groupId !== '' && this.options.enableAutoCommit) {
        await this.commitConsumed([...this.assigned.values()], 'close').catch((error: unknown) =>
          this.logger.warn({ err: error }, 'commit on close failed'),
        );
      }
      await this.membership?.close();
    } finally {
      this.fetcher.stop();
      await this.retryRouter
        ?.close()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'closing the retry producer failed'));
      await this.channel?.close();
      await this.cluster.close();
      this.lifecycle = 'closed';
    }
  }

  /** The group machinery (coordinator channel, offsets, membership), made on first use. */
  private group(): { channel: CoordinatorChannel; offsets: GroupOffsets; membership: GroupMembership } {
    if (this.channel === null || this.offsets === null || this.membership === null) {
      const common = {
        groupId: this.options.groupId,
        options: this.options,
        logger: this.logger,
        clock: this.clock,
        random: this.random,
      };
      this.channel ??= new CoordinatorChannel({ ...common, cluster: this.cluster });
      this.offsets ??= new GroupOffsets({ ...common, channel: this.channel });
      this.membership ??= new GroupMembership({
        ...common,
        groupInstanceId: this.options.groupInstanceId === '' ? null : this.options.groupInstanceId,
        assignors: assignorsNamed(this.options.partitionAssignmentStrategy),
        channel: this.channel,
        host: this.membershipHost(),
      });
    }
    return { channel: this.channel, offsets: this.offsets, membership: this.membership };
  }

  private membershipHost(): MembershipHost {
    return {
      subscribedTopics: () => this.subscribedTopics,
      // In assign mode the partitions are the application's, not the group's.
      owned: () => (this.mode === 'subscribe' ? this.assignment() : []),
      release: (partitions, kind, signal) => this.release(partitions, kind, signal),
      acquire: (partitions, signal) => this.acquire(partitions, signal),
      partitionCounts: (topics, signal) => this.partitionCounts(topics, signal),
      pollIdleMs: () => (this.waitingReads > 0 ? 0 : this.clock.nowMs() - this.lastPollMs),
      fail: (error) => {
        this.errors.push(error);
        this.notify();
      },
    };
  }

  /** Gives partitions up in a rebalance (see MembershipHost.release). */
  private async release(
    partitions: readonly TopicPartition[],
    kind: ReleaseKind,
    signal: AbortSignal,
  ): Promise<void> {
    const states: PartitionState[] = [];
    for (const { topic, partition } of partitions) {
      const state = this.assigned.get(partitionKey(topic, partition));
      if (state !== undefined) {
        state.revoking = true;
        states.push(state);
      }
    }
    if (kind === 'revoked') {
      const waitMs =
        this.lifecycle === 'open' ? this.options.maxPollIntervalMs : this.options.requestTimeoutMs;
      await this.waitUntilDone(states, this.clock.nowMs() + waitMs, signal);
      if (this.options.enableAutoCommit) {
        await this.commitConsumed(states, 'revoke').catch((error: unknown) =>
          this.logger.warn({ err: error }, 'commit of revoked partitions failed'),
        );
      }
      await this.callListener('onPartitionsRevoked', partitions);
    } else {
      await this.callListener(
        this.listener.onPartitionsLost !== undefined ? 'onPartitionsLost' : 'onPartitionsRevoked',
        partitions,
      );
    }
    for (const state of states) {
      if (this.assigned.get(state.key) === state) this.assigned.delete(state.key);
      state.generation++;
      state.buffered.length = 0;
    }
    const topicsLeft = new Set([...this.assigned.values()].map((state) => state.topic));
    const subscribed = new Set(this.subscribedTopics);
    this.cluster.metadata.untrack(
      states.map((state) => state.topic).filter((topic) => !topicsLeft.has(topic) && !subscribed.has(topic)),
    );
    this.logger.info(
      { kind, partitions: partitions.length },
      kind === 'revoked' ? 'partitions revoked' : 'partitions lost',
    );
    this.fetcher.schedule();
    this.notify();
  }

  /** Takes partitions the group gave this member (see MembershipHost.acquire). */
  private async acquire(partitions: readonly TopicPartition[], signal: AbortSignal): Promise<void> {
    const states: PartitionState[] = [];
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      if (this.assigned.has(key)) continue;
      if (this.assigned.size >= Limits.MAX_ASSIGNED_PARTITIONS) {
        throw new RangeError(
          `a consumer may be assigned at most ${Limits.MAX_ASSIGNED_PARTITIONS} partitions`,
        );
      }
      const state = new PartitionState(topic, partition, { kind: 'awaiting-committed' });
      this.assigned.set(key, state);
      states.push(state);
    }
    this.cluster.metadata.track(new Set(states.map((state) => state.topic)));
    this.logger.info({ partitions: partitions.length }, 'partitions assigned');
    await this.callListener('onPartitionsAssigned', partitions);
    await this.positionFromCommitted(states, signal);
    this.fetcher.schedule();
    this.notify();
  }

  /**
   * Positions partitions still waiting for one at the group's committed offsets (as autoOffsetReset says
   * where there is none), retrying until it works, the partitions are gone, or the signal aborts.
   */
  private async positionFromCommitted(states: readonly PartitionState[], signal: AbortSignal): Promise<void> {
    const { offsets } = this.group();
    for (let attempt = 0; ; attempt++) {
      const pending = states.filter(
        (state) => this.assigned.get(state.key) === state && state.state.kind === 'awaiting-committed',
      );
      if (pending.length === 0 || signal.aborted || this.lifecycle !== 'open') return;
      try {
        const committed = await offsets.fetch(pending, { signal });
        for (const state of pending) {
          if (this.assigned.get(state.key) !== state || state.state.kind !== 'awaiting-committed') continue;
          const offset = committed.get(state.key) ?? -1;
          state.committedOffset = offset;
          if (offset >= 0) {
            state.seek(offset);
          } else {
            this.startAt(state, undefined);
          }
        }
        this.logger.debug(
          {
            partitions: pending.map((state) => `${state.topic}-${state.partition}@${state.committedOffset}`),
          },
          'positions from committed offsets',
        );
        this.fetcher.schedule();
        this.notify();
        return;
      } catch (error) {
        if (signal.aborted || this.lifecycle !== 'open') return;
        this.logger.warn({ err: error, attempt }, 'fetching committed offsets failed; retrying');
        await sleep(
          this.clock,
          Math.min(this.options.retryBackoffMaxMs, this.options.retryBackoffMs * 2 ** Math.min(attempt, 20)),
          signal,
        ).catch(() => undefined);
      }
    }
  }

  /** Partition counts of topics from fresh metadata (the leader assigns from them). */
  private async partitionCounts(
    topics: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, number>> {
    this.cluster.metadata.track(topics);
    await this.connect();
    await this.cluster.metadata.refresh(signal);
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const metadata = this.cluster.metadata.topic(topic);
      if (metadata !== undefined && metadata.partitions.length > 0)
        counts.set(topic, metadata.partitions.length);
    }
    return counts;
  }

  /**
   * Waits until the application is done with what it holds of these partitions, or the deadline, or the
   * signal. While the consumer closes, records held by iterators do not count: nobody will ask for the next.
   */
  private async waitUntilDone(
    states: readonly PartitionState[],
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const holding = (state: PartitionState) =>
      state.inHand > 0 || (this.lifecycle === 'open' && state.heldByIterators > 0);
    while (states.some(holding)) {
      const remainingMs = deadlineMs - this.clock.nowMs();
      if (remainingMs <= 0 || signal.aborted) {
        this.logger.warn(
          {
            partitions: states.filter(holding).map((state) => `${state.topic}-${state.partition}`),
          },
          'giving partitions up while the application still holds records of them',
        );
        return;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.clock.clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = this.clock.setTimeout(wake, remainingMs);
        this.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private async callListener(
    name: keyof RebalanceListener,
    partitions: readonly TopicPartition[],
  ): Promise<void> {
    const callback = this.listener[name];
    if (callback === undefined) return;
    try {
      await callback.call(
        this.listener,
        partitions.map(({ topic, partition }) => ({ topic, partition })),
      );
    } catch (error) {
      this.logger.error({ err: error, listener: name }, 'the rebalance listener threw');
      this.errors.push(error as Error);
      this.notify();
    }
  }

  private async commitOffsets(list: readonly PartitionOffset[], options: CommitOptions = {}): Promise<void> {
    const { offsets, membership } = this.group();
    let identity = NO_GROUP_IDENTITY;
    if (this.mode === 'subscribe' || membership.state.kind !== 'idle') {
      const current = membership.commitIdentity();
      if (current === null) {
        throw new CommitFailedError(
          `groups/${this.options.groupId}: this member belongs to no generation now (rebalancing or out of the group)`,
        );
      }
      identity = current;
    }
    await offsets.commit(list, identity, {
      deadlineMs: this.clock.nowMs() + (options.timeoutMs ?? this.options.requestTimeoutMs),
      signal: options.signal,
    });
    for (const { topic, partition, offset } of list) {
      const state = this.assigned.get(partitionKey(topic, partition));
      if (state !== undefined) state.committedOffset = offset;
    }
    this.logger.debug({ partitions: list.length }, 'offsets committed');
  }

  /** Commits the consumed offsets of these partitions that moved past what was committed. */
  private async commitConsumed(states: readonly PartitionState[], reason: string): Promise<void> {
    const list: PartitionOffset[] = [];
    for (const state of states) {
      if (state.consumedOffset >= 0 && state.consumedOffset > state.committedOffset) {
        list.push({ topic: state.topic, partition: state.partition, offset: state.consumedOffset });
      }
    }
    if (list.length === 0) return;
    if (this.mode === 'subscribe' && this.membership?.commitIdentity() == null) return;
    this.logger.debug({ reason, partitions: list.length }, 'committing consumed offsets');
    await this.commitOffsets(list);
  }

  private startAutoCommit(): void {
    if (!this.options.enableAutoCommit || this.options.groupId === '' || this.autoCommitTimer !== null)
      return;
    this.autoCommitTimer = this.clock.setTimeout(() => {
      this.autoCommitTimer = null;
      void this.autoCommit().finally(() => {
        if (this.lifecycle === 'open' && this.mode !== 'none') this.startAutoCommit();
      });
    }, this.options.autoCommitIntervalMs);
  }

  private stopAutoCommit(): void {
    if (this.autoCommitTimer !== null) this.clock.clearTimeout(this.autoCommitTimer);
    this.autoCommitTimer = null;
  }

  private async autoCommit(): Promise<void> {
    if (this.autoCommitting || this.lifecycle !== 'open') return;
    if (this.mode === 'subscribe' && this.membership?.state.kind !== 'stable') return;
    this.autoCommitting = true;
    try {
      const states = [...this.assigned.values()].filter(
        (state) => !state.revoking && state.state.kind === 'positioned',
      );
      await this.commitConsumed(states, 'auto commit');
    } catch (error) {
      this.logger.warn({ err: error }, 'auto commit failed');
    } finally {
      this.autoCommitting = false;
    }
  }

  /** Sets the topics the member subscribes to (with the retry topics); a change makes the group rebalance. */
  private setSubscribedTopics(topics: readonly string[]): void {
    const retryTopics = this.retryRouter?.policy.topics ?? [];
    const next = [...new Set([...topics, ...retryTopics])].sort();
    if (next.length > Limits.MAX_SUBSCRIBED_TOPICS) {
      throw new RangeError(`a consumer may subscribe to at most ${Limits.MAX_SUBSCRIBED_TOPICS} topics`);
    }
    const changed =
      next.length !== this.subscribedTopics.length ||
      next.some((topic, i) => topic !== this.subscribedTopics[i]);
    if (!changed) return;
    this.subscribedTopics = next;
    this.cluster.metadata.track(next);
    this.logger.info({ topics: next }, 'subscribed');
    this.membership?.subscriptionChanged();
  }

  private refreshPatternSoon(delayMs: number): void {
    this.stopPatternRefresh();
    this.patternTimer = this.clock.setTimeout(() => {
      this.patternTimer = null;
      void this.refreshPattern();
    }, delayMs);
  }

  private stopPatternRefresh(): void {
    if (this.patternTimer !== null) this.clock.clearTimeout(this.patternTimer);
    this.patternTimer = null;
  }

  /** Matches the pattern against every topic of the cluster (internal topics excepted). */
  private async refreshPattern(): Promise<void> {
    const subscription = this.subscription;
    if (subscription === null || !('pattern' in subscription) || this.lifecycle !== 'open') return;
    try {
      const snapshot = await this.cluster.metadata.fetchAll();
      if (this.subscription !== subscription || this.lifecycle !== 'open') return;
      const matched = [...snapshot.topics.values()]
        .filter((topic) => !topic.isInternal && subscription.pattern.test(topic.name))
        .map((topic) => topic.name);
      this.setSubscribedTopics(matched);
      this.membership?.start();
    } catch (error) {
      this.logger.warn({ err: error }, 'matching the subscription pattern failed');
    }
    if (this.subscription === subscription && this.lifecycle === 'open') {
      this.refreshPatternSoon(this.options.metadataMaxAgeMs);
    }
  }

  /** The next record if one is buffered, 'wait' if none is, 'done' once closed or aborted. */
  private pollRecord(signal: AbortSignal | undefined): HandedRecord<Key, Value> | 'wait' | 'done' {
    this.notePoll();
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
      return { record, state: partition, generation: partition.generation };
    }
  }

  private async nextRecord(signal: AbortSignal | undefined): Promise<HandedRecord<Key, Value> | null> {
    for (;;) {
      const handed = this.pollRecord(signal);
      if (handed === 'done') return null;
      if (handed !== 'wait') return handed;
      await this.waitForRecords(signal);
    }
  }

  private async nextBatch(
    signal: AbortSignal | undefined,
  ): Promise<{ batch: ConsumerBatch<Key, Value>; state: PartitionState; generation: number } | null> {
    for (;;) {
      this.notePoll();
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
        batch: {
          topic: partition.topic,
          partition: partition.partition,
          records,
          highWatermark: partition.highWatermark,
        },
        state: partition,
        generation: partition.generation,
      };
    }
  }

  /** The next partition with data to hand out, waiting for one; null once closed or aborted. */
  private async nextReady(signal: AbortSignal | undefined): Promise<PartitionState | null> {
    for (;;) {
      const partition = this.findReady(signal);
      if (partition === 'done') return null;
      if (partition !== null) return partition;
      await this.waitForRecords(signal);
    }
  }

  /**
   * The first partition in line with data to hand out (assigned, not paused, revoking or delayed, data of
   * its current generation), null when there is none now, 'done' once closed or aborted. Throws a pending
   * error first.
   */
  private findReady(signal: AbortSignal | undefined): PartitionState | null | 'done' {
    if (this.lifecycle !== 'open' || signal?.aborted) return 'done';
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
      if (partition.paused || partition.revoking) continue;
      return partition;
    }
    return null;
  }

  /** The application is done with a record (or gave it back unfinished). */
  private settle(
    handed: HandedRecord<Key, Value>,
    consumed: boolean,
    offset = handed.record.offset,
    byIterator = false,
  ): void {
    const { state, generation } = handed;
    if (byIterator) state.heldByIterators--;
    else state.inHand--;
    if (consumed && state.generation === generation && this.assigned.get(state.key) === state) {
      state.consumedOffset = Math.max(state.consumedOffset, offset + 1);
    }
    if (state.revoking && state.inHand === 0 && state.heldByIterators === 0) this.notify();
  }

  private settleBatch(
    state: PartitionState,
    generation: number,
    lastOffset: number,
    consumed: boolean,
  ): void {
    state.inHand--;
    if (consumed && state.generation === generation && this.assigned.get(state.key) === state) {
      state.consumedOffset = Math.max(state.consumedOffset, lastOffset + 1);
    }
    if (state.revoking && state.inHand === 0 && state.heldByIterators === 0) this.notify();
  }

  /** After a failed handler: the partition goes back to `offset`, unless it was moved meanwhile. */
  private rewind(state: PartitionState, generation: number, offset: number): void {
    if (state.generation === generation && this.assigned.get(state.key) === state)
      this.startAt(state, offset);
    this.fetcher.schedule();
  }

  /** A retry-topic record not due yet: the partition goes back to it and waits until `untilMs`. */
  private delayPartition(state: PartitionState, generation: number, offset: number, untilMs: number): void {
    if (state.generation !== generation || this.assigned.get(state.key) !== state) return;
    state.seek(offset);
    state.delayedUntilMs = untilMs;
    this.logger.debug(
      { topic: state.topic, partition: state.partition, offset, waitMs: untilMs - this.clock.nowMs() },
      'retry not due yet; pausing its partition',
    );
    this.fetcher.wakeAt(untilMs);
    this.fetcher.schedule();
  }

  /** The application asked for records: note it for max.poll.interval.ms. */
  private notePoll(): void {
    this.lastPollMs = this.clock.nowMs();
    this.membership?.notePoll();
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

  /** Waits for a change while the application asks for records (it is not idle meanwhile). */
  private async waitForRecords(signal: AbortSignal | undefined): Promise<void> {
    this.waitingReads++;
    try {
      await this.waitForChange(signal);
    } finally {
      this.waitingReads--;
      this.lastPollMs = this.clock.nowMs();
    }
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
    const rawBytes = this.rawBytes;
    return (offset, timestamp, key, value, headers) => {
      const record = {
        topic,
        partition,
        offset,
        timestamp,
        key: key === null ? null : keyDeserializer(key),
        value: value === null ? null : valueDeserializer(value),
        headers,
      };
      rawBytes?.set(record, { key, value });
      return record;
    };
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
    state.delayedUntilMs = 0;
  }

  private requireAssigned(target: TopicPartition): PartitionState {
    const state = this.assigned.get(partitionKey(target.topic, target.partition));
    if (state === undefined)
      throw new RangeError(`${target.topic}-${target.partition} is not assigned to this consumer`);
    return state;
  }

  private checkOpen(): void {
    if (this.lifecycle !== 'open') throw new ClientClosedError('the consumer is closed');
  }
}

function checkTopicPartition(target: TopicPartition): void {
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

function checkListener(listener: RebalanceListener): void {
  if (typeof listener !== 'object' || listener === null)
    throw new TypeError('the rebalance listener must be an object');
  for (const name of ['onPartitionsAssigned', 'onPartitionsRevoked', 'onPartitionsLost'] as const) {
    if (listener[name] !== undefined && typeof listener[name] !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
}
