import { Apis, ErrorCode, KafkaError, type MetadataResponse } from '@sluice/protocol';
import type { Logger } from 'pino';
import { BrandedError, hasBrand } from './branded-error.js';
import type { BrokerAddress } from './broker-address.js';
import type { BrokerPool } from './broker-pool.js';
import { type Clock, type RandomSource, sleep, type TimerHandle } from './clock.js';
import {
  ClientClosedError,
  ConnectionError,
  isRetriable,
  kafkaErrorAt,
  RequestTimeoutError,
} from './errors.js';
import { Limits } from './limits.js';
import { retry } from './retry.js';
import { untilAborted } from './until-aborted.js';

export interface PartitionMetadata {
  readonly partition: number;
  /** -1 while the partition has no leader. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly errorCode: number;
}

export interface TopicMetadata {
  readonly name: string;
  readonly isInternal: boolean;
  /** Indexed by partition number. */
  readonly partitions: readonly PartitionMetadata[];
}

export interface BrokerNode extends BrokerAddress {
  readonly nodeId: number;
  readonly rack: string | null;
}

/** What one Metadata answer says about the cluster. */
export interface ClusterSnapshot {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: ReadonlyMap<number, BrokerNode>;
  readonly topics: ReadonlyMap<string, TopicMetadata>;
  /** Topics the broker answered with an error code (UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, ...). */
  readonly topicErrors: ReadonlyMap<string, number>;
}

/**
 * Error codes after which a client's view of leadership is stale: the metadata is refreshed and the request
 * retried, as Kafka's clients do.
 */
export const METADATA_REFRESH_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
]);

/** Topic errors that no refresh will cure: waiting for such a topic fails at once. */
const FATAL_TOPIC_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.INVALID_TOPIC_EXCEPTION,
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
]);

/** A topic did not appear in the metadata before the caller's deadline (max.block.ms for a producer). */
export class TopicMetadataTimeoutError extends BrandedError {
  static override readonly brand = 'sluice.network.TopicMetadataTimeoutError';
  override readonly name = 'TopicMetadataTimeoutError';
  readonly retriable = true;

  constructor(
    readonly topic: string,
    cause: Error,
  ) {
    super(`topics/${topic}: not present in metadata before the deadline; last error: ${cause.message}`, {
      cause,
    });
  }

  static override isInstance(value: unknown): value is TopicMetadataTimeoutError {
    return hasBrand(value, TopicMetadataTimeoutError.brand);
  }
}

export interface MetadataCacheOptions {
  readonly pool: BrokerPool;
  readonly metadataMaxAgeMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  /** Metadata v4's allow_auto_topic_creation (allow.auto.create.topics). */
  readonly allowAutoTopicCreation: boolean;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
}

/**
 * The client's view of the cluster: brokers, controller, and the topics it uses (their partitions and
 * leaders). It asks for the topics it tracks, never for all topics (except on `fetchAll`), and refreshes:
 * - every metadata.max.age.ms, even without errors;
 * - soon after a caller reports a stale view (`invalidate`, after NOT_LEADER_OR_FOLLOWER,
 *   UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, ... see METADATA_REFRESH_ERROR_CODES), at most once
 *   per retry.backoff.ms;
 * - when a caller waits for a topic it does not know yet (`waitForTopic`).
 * Refreshes never overlap: callers that ask while one is in flight share the next one.
 */
export class MetadataCache {
  private readonly options: MetadataCacheOptions;
  private readonly logger: Logger;
  private readonly tracked = new Set<string>();
  private snapshotValue: ClusterSnapshot = {
    clusterId: null,
    controllerId: -1,
    brokers: new Map(),
    topics: new Map(),
    topicErrors: new Map(),
  };
  private lastRefreshMs = Number.NEGATIVE_INFINITY;
  /** The refresh in flight, if any. */
  private inFlight: Promise<void> | null = null;
  /** A refresh asked for while one was in flight: it runs when that one ends. */
  private next: Promise<void> | null = null;
  private scheduled: TimerHandle | null = null;
  private ageTimer: TimerHandle | null = null;
  private readonly listeners = new Set<(snapshot: ClusterSnapshot) => void>();
  private closed = false;
  private readonly abort = new AbortController();

  constructor(options: MetadataCacheOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'metadata' });
  }

  get snapshot(): ClusterSnapshot {
    return this.snapshotValue;
  }

  get controllerId(): number {
    return this.snapshotValue.controllerId;
  }

  get clusterId(): string | null {
    return this.snapshotValue.clusterId;
  }

  /** When the last refresh succeeded (clock ms). */
  get lastRefreshAtMs(): number {
    return this.lastRefreshMs;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.snapshotValue.topics.get(name);
  }

  /** The leader of a partition, or -1 when there is none or the partition is unknown. */
  leaderOf(topic: string, partition: number): number {
    return this.snapshotValue.topics.get(topic)?.partitions[partition]?.leaderId ?? -1;
  }

  /** Calls `listener` after every refresh. Returns a function that removes it. */
  onChange(listener: (snapshot: ClusterSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds topics to those refreshed. */
  track(topics: Iterable<string>): void {
    for (const topic of topics) {
      if (this.tracked.size >= Limits.MAX_METADATA_TOPICS && !this.tracked.has(topic)) {
        throw new RangeError(`a client may track at most ${Limits.MAX_METADATA_TOPICS} topics`);
      }
      this.tracked.add(topic);
    }
  }

  untrack(topics: Iterable<string>): void {
    for (const topic of topics) this.tracked.delete(topic);
  }

  /** Starts the metadata.max.age.ms timer; the first refresh is the caller's (`refresh`). */
  start(): void {
    this.armAgeTimer();
  }

  /**
   * Refreshes the tracked topics (and brokers). Shares a refresh in flight only if it started after this
   * call's topics were tracked; otherwise runs one more after it.
   */
  refresh(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('the client is closed'));
    let promise: Promise<void>;
    if (this.inFlight === null) {
      promise = this.startRefresh();
    } else {
      if (this.next === null) {
        this.next = this.inFlight
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            this.next = null;
            return this.startRefresh();
          });
      }
      promise = this.next;
    }
    return untilAborted(promise, signal);
  }

  /**
   * Invalidates the metadata when `error` says the view of leadership may be stale: a Kafka error in
   * METADATA_REFRESH_ERROR_CODES (NOT_LEADER_OR_FOLLOWER, ...), a lost connection or a request timeout.
   * Returns whether it did.
   */
  invalidateIfStale(error: unknown): boolean {
    const stale = KafkaError.isInstance(error)
      ? METADATA_REFRESH_ERROR_CODES.has(error.code)
      : ConnectionError.isInstance(error) || RequestTimeoutError.isInstance(error);
    if (stale) this.invalidate();
    return stale;
  }

  /**
   * Reports a stale view (a metadata error code from a broker): a refresh runs soon, no sooner than
   * retry.backoff.ms after the last one.
   */
  invalidate(): void {
    if (this.closed || this.scheduled !== null) return;
    const sinceLastMs = this.options.clock.nowMs() - this.lastRefreshMs;
    const delayMs = Math.max(0, this.options.retryBackoffMs - sinceLastMs);
    this.scheduled = this.options.clock.setTimeout(() => {
      this.scheduled = null;
      this.refresh().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'metadata refresh failed');
      });
    }, delayMs);
  }

  /**
   * The metadata of `topic`, tracking it and refreshing until the cluster knows it (auto-creation may take a
   * moment) or `deadlineMs` passes. Fails at once for an invalid or unauthorized topic; after the deadline
   * with the last error (UNKNOWN_TOPIC_OR_PARTITION when the topic never appeared).
   */
  async waitForTopic(topic: string, deadlineMs: number, signal?: AbortSignal): Promise<TopicMetadata> {
    const known = this.snapshotValue.topics.get(topic);
    if (known !== undefined && known.partitions.length > 0) return known;
    this.track([topic]);
    const clock = this.options.clock;
    for (let attempt = 0; ; attempt++) {
      let error: Error;
      try {
        await this.refresh(signal);
        const metadata = this.snapshotValue.topics.get(topic);
        if (metadata !== undefined && metadata.partitions.length > 0) return metadata;
        const code = this.snapshotValue.topicErrors.get(topic) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        error = kafkaErrorAt(code, `topics/${topic}`);
        if (FATAL_TOPIC_ERROR_CODES.has(code)) throw error;
      } catch (refreshError) {
        if (signal?.aborted || !isRetriable(refreshError)) throw refreshError;
        error = refreshError as Error;
      }
      const delayMs = Math.min(
        this.options.retryBackoffMaxMs,
        this.options.retryBackoffMs * 2 ** Math.min(attempt, 20),
      );
      if (clock.nowMs() + delayMs >= deadlineMs) {
        throw new TopicMetadataTimeoutError(topic, error);
      }
      await sleep(clock, delayMs, signal);
    }
  }

  /** Asks any broker for every topic (listTopics); does not change what is tracked. */
  async fetchAll(signal?: AbortSignal): Promise<ClusterSnapshot> {
    const response = await this.request(null, signal);
    return this.apply(response, true);
  }

  private startRefresh(): Promise<void> {
    const run = this.request([...this.tracked], this.abort.signal).then((response) => {
      this.apply(response, false);
    });
    const inFlight = run.finally(() => {
      if (this.inFlight === inFlight) this.inFlight = null;
    });
    this.inFlight = inFlight;
    return inFlight;
  }

  private async request(topics: string[] | null, signal?: AbortSignal): Promise<MetadataResponse> {
    const clock = this.options.clock;
    return retry(
      async () => {
        const connection = await this.options.pool.anyConnection(signal);
        return connection.request(
          Apis.Metadata,
          {
            topics: topics === null ? null : topics.map((name) => ({ name })),
            allowAutoTopicCreation: this.options.allowAutoTopicCreation,
          },
          { signal },
        );
      },
      {
        retryBackoffMs: this.options.retryBackoffMs,
        retryBackoffMaxMs: this.options.retryBackoffMaxMs,
        deadlineMs: clock.nowMs() + this.options.requestTimeoutMs,
        clock,
        random: this.options.random,
        signal,
        isRetriable: (error) => !this.closed && isRetriable(error),
      },
    );
  }

  private apply(response: MetadataResponse, all: boolean): ClusterSnapshot {
    const brokers = new Map<number, BrokerNode>();
    for (const broker of response.brokers) {
      brokers.set(broker.nodeId, {
        nodeId: broker.nodeId,
        host: broker.host,
        port: broker.port,
        rack: broker.rack,
      });
    }
    const topics = new Map(all ? [] : this.snapshotValue.topics);
    const topicErrors = new Map(all ? [] : this.snapshotValue.topicErrors);
    for (const topic of response.topics) {
      const name = topic.name ?? '';
      if (topic.errorCode !== 0 && topic.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) {
        topics.delete(name);
        topicErrors.set(name, topic.errorCode);
        continue;
      }
      const partitions: PartitionMetadata[] = [];
      for (const partition of topic.partitions) {
        partitions[partition.partitionIndex] = {
          partition: partition.partitionIndex,
          leaderId: partition.leaderId,
          leaderEpoch: partition.leaderEpoch,
          replicas: partition.replicaNodes,
          isr: partition.isrNodes,
          offlineReplicas: partition.offlineReplicas,
          errorCode: partition.errorCode,
        };
      }
      // A partition list with holes cannot be used for partitioning: treat it as not known yet.
      if (partitions.length === 0 || partitions.some((partition) => partition === undefined)) {
        topics.delete(name);
        topicErrors.set(name, topic.errorCode || ErrorCode.LEADER_NOT_AVAILABLE);
        continue;
      }
      topics.set(name, { name, isInternal: topic.isInternal, partitions });
      topicErrors.delete(name);
    }
    const snapshot: ClusterSnapshot = {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers,
      topics,
      topicErrors,
    };
    if (!all) {
      this.snapshotValue = snapshot;
      this.lastRefreshMs = this.options.clock.nowMs();
      this.armAgeTimer();
    } else {
      this.snapshotValue = {
        ...this.snapshotValue,
        clusterId: snapshot.clusterId,
        controllerId: snapshot.controllerId,
        brokers,
      };
    }
    this.options.pool.setBrokers(brokers);
    for (const listener of this.listeners) listener(this.snapshotValue);
    return snapshot;
  }

  private armAgeTimer(): void {
    if (this.closed) return;
    if (this.ageTimer !== null) this.options.clock.clearTimeout(this.ageTimer);
    this.ageTimer = this.options.clock.setTimeout(() => {
      this.ageTimer = null;
      this.refresh().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'periodic metadata refresh failed');
        this.armAgeTimer();
      });
    }, this.options.metadataMaxAgeMs);
  }

  close(): void {
    this.closed = true;
    this.abort.abort(new ClientClosedError('the client is closed'));
    if (this.scheduled !== null) this.options.clock.clearTimeout(this.scheduled);
    if (this.ageTimer !== null) this.options.clock.clearTimeout(this.ageTimer);
    this.scheduled = null;
    this.ageTimer = null;
    this.listeners.clear();
  }
}
