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
import { Apis, ErrorCode, type FetchResponse, type ListOffsetsResponse } from '@sluice/protocol';
import type { Logger } from 'pino';
import {
  type AbortedTransaction,
  CompletedFetch,
  nextOffsetAfter,
  type RecordBuilder,
} from './completed-fetch.js';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import { NoOffsetForPartitionError } from './errors.js';
import { Limits } from './limits.js';
import type { PartitionState } from './partition-state.js';

const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;

export interface FetcherOptions {
  readonly cluster: Cluster;
  readonly options: ResolvedConsumerOptions;
  /** The assigned partitions (the consumer owns them). */
  readonly partitions: () => Iterable<PartitionState>;
  readonly isAssigned: (partition: PartitionState) => boolean;
  /** New data for a partition is buffered. */
  readonly onData: (partition: PartitionState) => void;
  /** Makes the application's records for a partition (with its deserializers). */
  readonly recordBuilder: (partition: PartitionState) => RecordBuilder<unknown>;
  /** An error the application must see (offset out of range with 'none', corrupt data, authorization, ...). */
  readonly onError: (partition: PartitionState, error: Error) => void;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Keeps the assigned partitions' buffers filled. One Fetch request is in flight per broker at a time,
 * carrying every partition that broker leads that needs data: positioned, not paused, with at most
 * Limits.MAX_PREFETCHED_FETCHES_PER_PARTITION responses buffered beyond the one being read, and not in a
 * backoff after an error. The broker holds the request until fetch.min.bytes are ready or
 * fetch.max.wait.ms pass (long poll). Partitions without a position get one first with ListOffsets
 * (earliest or latest, as autoOffsetReset says).
 *
 * Errors: NOT_LEADER_OR_FOLLOWER and the like refresh the metadata and retry after a backoff;
 * OFFSET_OUT_OF_RANGE resets the position per autoOffsetReset (or reports NoOffsetForPartitionError for
 * 'none'); other errors are reported to the application and retried after a backoff.
 */
export class Fetcher extends ScheduledLoop {
  private readonly cluster: Cluster;
  private readonly options: ResolvedConsumerOptions;
  private readonly config: FetcherOptions;
  private readonly logger: Logger;
  /** Brokers with a Fetch in flight. */
  private readonly fetching = new Set<number>();
  /** Brokers with a ListOffsets in flight. */
  private readonly listing = new Set<number>();
  private rotation = 0;
  /** Fetch size for a partition whose next batch is larger than maxPartitionFetchBytes. */
  private readonly enlargedFetchBytes = new Map<PartitionState, number>();

  constructor(config: FetcherOptions) {
    super(config.clock, (error) => config.logger.error({ err: error }, 'fetcher run failed'));
    this.config = config;
    this.cluster = config.cluster;
    this.options = config.options;
    this.logger = config.logger;
  }

  private backoff(partition: PartitionState): void {
    partition.retryAtMs =
      this.clock.nowMs() +
      backoffMs(
        partition.failures++,
        this.options.retryBackoffMs,
        this.options.retryBackoffMaxMs,
        this.config.random,
      );
    this.wakeAt(partition.retryAtMs);
  }

  protected override run(): void {
    const now = this.clock.nowMs();
    const toFetch: PartitionState[] = [];
    const toReset: PartitionState[] = [];
    const partitions = [...this.config.partitions()];
    const start = partitions.length === 0 ? 0 : this.rotation++ % partitions.length;
    for (let i = 0; i < partitions.length; i++) {
      const partition = partitions[(start + i) % partitions.length];
      if (partition.retryAtMs > now) {
        this.wakeAt(partition.retryAtMs);
        continue;
      }
      const kind = partition.state.kind;
      if (kind === 'failed' || kind === 'resetting' || kind === 'awaiting-committed') continue;
      if (partition.revoking) continue;
      if (partition.delayedUntilMs > now) {
        this.wakeAt(partition.delayedUntilMs);
        continue;
      }
      if (kind === 'positioned') {
        if (partition.paused || partition.fetching) continue;
        if (partition.buffered.length > Limits.MAX_PREFETCHED_FETCHES_PER_PARTITION) continue;
      }
      (kind === 'positioned' ? toFetch : toReset).push(partition);
    }
    const resets = groupByLeader(this.cluster.metadata, toReset);
    const fetches = groupByLeader(this.cluster.metadata, toFetch);
    if (resets.leaderless.length > 0 || fetches.leaderless.length > 0) {
      this.wakeAt(now + this.options.retryBackoffMs);
    }
    for (const [nodeId, list] of resets.byLeader) {
      if (!this.listing.has(nodeId)) void this.resetPositions(nodeId, list);
    }
    for (const [nodeId, list] of fetches.byLeader) {
      if (!this.fetching.has(nodeId)) void this.fetch(nodeId, list);
    }
  }

  private async fetch(nodeId: number, partitions: PartitionState[]): Promise<void> {
    this.fetching.add(nodeId);
    const requested = partitions.map((partition) => ({
      partition,
      generation: partition.generation,
      fetchOffset: partition.fetchOffset,
    }));
    for (const { partition } of requested) partition.fetching = true;
    const byTopic = partitionsByTopic(partitions, (partition) => ({
      partition: partition.partition,
      currentLeaderEpoch: -1,
      fetchOffset: BigInt(partition.fetchOffset),
      logStartOffset: -1n,
      partitionMaxBytes: this.enlargedFetchBytes.get(partition) ?? this.options.maxPartitionFetchBytes,
    }));
    let response: FetchResponse;
    try {
      const connection = await this.cluster.connectionTo(nodeId);
      response = await connection.request(
        Apis.Fetch,
        {
          replicaId: -1,
          maxWaitMs: this.options.fetchMaxWaitMs,
          minBytes: this.options.fetchMinBytes,
          maxBytes: this.options.fetchMaxBytes,
          isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })),
          forgottenTopicsData: [],
          rackId: '',
        },
        { timeoutMs: this.options.requestTimeoutMs + this.options.fetchMaxWaitMs },
      );
    } catch (error) {
      this.fetching.delete(nodeId);
      this.logger.debug({ err: error, nodeId }, 'fetch failed');
      this.cluster.metadata.invalidate();
      for (const { partition } of requested) {
        partition.fetching = false;
        if (!this.stopped) this.backoff(partition);
      }
      this.schedule();
      return;
    }
    this.fetching.delete(nodeId);
    const answers = new Map<string, FetchResponse['responses'][number]['partitions'][number]>();
    for (const topic of response.responses) {
      for (const data of topic.partitions) answers.set(`${topic.topic}\u0000${data.partitionIndex}`, data);
    }
    for (const { partition, generation, fetchOffset } of requested) {
      partition.fetching = false;
      const data = answers.get(partition.key);
      if (data === undefined || generation !== partition.generation || !this.config.isAssigned(partition))
        continue;
      this.handlePartition(partition, fetchOffset, data);
    }
    this.schedule();
  }

  private handlePartition(
    partition: PartitionState,
    fetchOffset: number,
    data: FetchResponse['responses'][number]['partitions'][number],
  ): void {
    const code = data.errorCode;
    if (code === 0) {
      partition.failures = 0;
      partition.highWatermark = Number(data.highWatermark);
      partition.logStartOffset = Number(data.logStartOffset);
      const records = data.records;
      if (records === null || records.length === 0) return;
      const { nextOffset, completeBytes, firstBatchBytes } = nextOffsetAfter(records);
      if (nextOffset < 0) {
        // Only part of a batch came back: it is larger than the partition fetch size. Ask for all of it.
        const wanted = Math.min(
          this.options.fetchMaxBytes,
          Math.max(firstBatchBytes, this.options.maxPartitionFetchBytes * 2),
        );
        this.enlargedFetchBytes.set(partition, wanted);
        return;
      }
      this.enlargedFetchBytes.delete(partition);
      const aborted = this.abortedTransactions(data.abortedTransactions);
      partition.buffered.push(
        new CompletedFetch(partition, records, completeBytes, fetchOffset, {
          verifyCrc: this.options.checkCrcs,
          abortedTransactions: aborted,
          build: this.config.recordBuilder(partition),
        }),
      );
      partition.fetchOffset = Math.max(partition.fetchOffset, nextOffset);
      this.config.onData(partition);
      return;
    }
    const location = partitionLocation(partition.topic, partition.partition);
    const error = kafkaErrorAt(code, location);
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const strategy = this.options.autoOffsetReset;
      this.logger.info(
        { topic: partition.topic, partition: partition.partition, fetchOffset, strategy },
        'offset out of range',
      );
      if (strategy === 'none') {
        partition.state = { kind: 'failed', error: new NoOffsetForPartitionError(location) };
        this.config.onError(partition, partition.state.error);
      } else {
        partition.reset(strategy);
      }
      return;
    }
    if (!this.cluster.metadata.invalidateIfStale(error) && !isRetriable(error)) {
      this.config.onError(partition, error);
    }
    this.backoff(partition);
  }

  private abortedTransactions(
    list: FetchResponse['responses'][number]['partitions'][number]['abortedTransactions'],
  ): AbortedTransaction[] | null {
    if (this.options.isolationLevel !== 'read_committed') return null;
    if (list === null || list.length === 0) return [];
    if (list.length > Limits.MAX_ABORTED_TRANSACTIONS_PER_FETCH) {
      throw new RangeError(`a fetch listed ${list.length} aborted transactions`);
    }
    return list
      .map((entry) => ({ producerId: entry.producerId, firstOffset: Number(entry.firstOffset) }))
      .sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Looks up the earliest or latest offset of partitions without a position, on one broker. */
  private async resetPositions(nodeId: number, partitions: PartitionState[]): Promise<void> {
    this.listing.add(nodeId);
    const requested: {
      topic: string;
      partition: PartitionState;
      generation: number;
      strategy: 'earliest' | 'latest';
    }[] = [];
    for (const partition of partitions) {
      if (partition.state.kind !== 'reset-needed') continue;
      const strategy = partition.state.strategy;
      partition.state = { kind: 'resetting', strategy };
      requested.push({ topic: partition.topic, partition, generation: partition.generation, strategy });
    }
    const byTopic = partitionsByTopic(requested, ({ partition, strategy }) => ({
      partitionIndex: partition.partition,
      currentLeaderEpoch: -1,
      timestamp: strategy === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
      maxNumOffsets: 1,
    }));
    let response: ListOffsetsResponse | null = null;
    let failure: unknown = null;
    try {
      const connection = await this.cluster.connectionTo(nodeId);
      response = await connection.request(Apis.ListOffsets, {
        replicaId: -1,
        isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
        topics: [...byTopic].map(([name, list]) => ({ name, partitions: list })),
      });
    } catch (error) {
      failure = error;
      this.cluster.metadata.invalidate();
    }
    this.listing.delete(nodeId);
    for (const { partition, generation, strategy } of requested) {
      if (generation !== partition.generation || partition.state.kind !== 'resetting') continue;
      const answer = response?.topics
        .find((topic) => topic.name === partition.topic)
        ?.partitions.find((candidate) => candidate.partitionIndex === partition.partition);
      if (answer === undefined || answer.errorCode !== 0) {
        const code = answer?.errorCode ?? null;
        if (code !== null) {
          const error = kafkaErrorAt(code, partitionLocation(partition.topic, partition.partition));
          this.cluster.metadata.invalidateIfStale(error);
          if (!isRetriable(error)) this.config.onError(partition, error);
        }
        this.logger.debug(
          { err: failure, code, topic: partition.topic, partition: partition.partition },
          'offset lookup failed',
        );
        partition.state = { kind: 'reset-needed', strategy };
        this.backoff(partition);
        continue;
      }
      partition.failures = 0;
      partition.seek(Number(answer.offset));
      this.logger.debug(
        { topic: partition.topic, partition: partition.partition, strategy, offset: partition.position },
        'position reset',
      );
    }
    this.schedule();
  }
}
