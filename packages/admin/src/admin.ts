import {
  type Clock,
  Cluster,
  defaultLogger,
  isRetriable,
  kafkaErrorAt,
  partitionLocation,
  type RandomSource,
  resolveOptions,
  systemClock,
  systemRandom,
} from '@sluice/network';
import { Apis, ErrorCode, KafkaError, type MetadataResponse } from '@sluice/protocol';
import type { Logger } from 'pino';
import {
  type AdminConfigOptions,
  adminOptionRelations,
  adminOptionTable,
  type ResolvedAdminOptions,
} from './admin-options.js';
import {
  ConfigResourceType,
  type ConfigResourceTypeName,
  type ConfigSource,
  ConfigSourceName,
  resourceTypeName,
} from './config-resource.js';
import { markFinal, retryItems, throwFailures } from './retry-items.js';

export interface AdminOptions extends AdminConfigOptions {
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions (ignored with replicaAssignment). */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Replicas per partition (index = partition), instead of numPartitions and replicationFactor. */
  replicaAssignment?: number[][];
  /** Topic configs, e.g. { 'retention.ms': '86400000', 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string>;
}

export interface OperationOptions {
  /** Default defaultApiTimeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CreateTopicsOptions extends OperationOptions {
  /** Ask the controller to check the request without creating anything. */
  validateOnly?: boolean;
  /** Wait until every new partition has a leader (default true), so producing right after works. */
  waitForLeaders?: boolean;
}

export interface NewPartitions {
  topic: string;
  /** The new total number of partitions (partitions only grow). */
  count: number;
  /** Replicas of each new partition, or the broker's choice. */
  assignments?: number[][];
}

export interface PartitionDescription {
  partition: number;
  /** -1 without a leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** 0, or the error the broker gave for this partition (e.g. LEADER_NOT_AVAILABLE). */
  errorCode: number;
}

export interface TopicDescription {
  name: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterDescription {
  clusterId: string | null;
  /** -1 when the cluster has none. */
  controllerId: number;
  brokers: BrokerDescription[];
}

export interface ConfigResource {
  type: ConfigResourceTypeName;
  /** Topic name, or broker id as a string. */
  name: string;
  /** Only these keys (default all). */
  configNames?: string[];
}

export interface ConfigEntry {
  name: string;
  /** null for a sensitive value, or a config without a value. */
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  source: ConfigSource;
  synonyms: { name: string; value: string | null; source: ConfigSource }[];
}

export interface ConfigDescription {
  type: ConfigResourceTypeName | `type-${number}`;
  name: string;
  configs: ConfigEntry[];
}

export interface ConfigChange {
  type: ConfigResourceTypeName;
  name: string;
  /** The complete set of overrides: keys left out return to their defaults (AlterConfigs semantics). */
  configs: Record<string, string | null>;
}

/** Which offset of a partition: the first, the next to be written, or the first at or after a timestamp (ms). */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface PartitionOffsetQuery {
  topic: string;
  partition: number;
  spec: OffsetSpec;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** -1 when no record is at or after the timestamp. */
  offset: number;
  /** The found record's timestamp for a timestamp query, else -1. */
  timestamp: number;
}

export interface RecordsToDelete {
  topic: string;
  partition: number;
  /** Records before this offset are deleted; -1 means up to the high watermark. */
  beforeOffset: number;
}

export interface DeletedRecords {
  topic: string;
  partition: number;
  /** The partition's new log start offset. */
  lowWatermark: number;
}

/** Per-topic answers of the controller that are worth sending again. */
const CONTROLLER_RETRY_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
]);

const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;

/**
 * The Sluice admin client: topics, partitions, configs, offsets and the cluster. Topic changes go to the
 * controller, configs of a broker to that broker, offsets and record deletion to each partition's leader.
 * Every operation retries what failed with a retriable error (NOT_CONTROLLER, NOT_LEADER_OR_FOLLOWER, lost
 * connections, ...) with backoff until its timeout, never sending again what already succeeded. Failures
 * are KafkaErrors located at what failed (`topics/orders`, `topics/orders/partitions/3`); several
 * failures come as one AggregateError.
 */
export class Admin {
  readonly options: ResolvedAdminOptions;
  private readonly cluster: Cluster;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  private connecting: Promise<void> | null = null;

  constructor(options: AdminOptions) {
    const { logger, clock, random, ...config } = options;
    this.options = resolveOptions(adminOptionTable, config, adminOptionRelations);
    this.logger = (logger ?? defaultLogger('sluice')).child({
      component: 'admin',
      clientId: this.options.clientId,
    });
    this.clock = clock ?? systemClock;
    this.random = random ?? systemRandom;
    this.cluster = new Cluster({
      ...this.options,
      allowAutoTopicCreation: false,
      logger: this.logger,
      clock: this.clock,
      random: this.random,
    });
  }

  /** Fetches the cluster metadata now (every operation does it on first use otherwise). */
  connect(): Promise<void> {
    if (this.connecting === null) {
      this.connecting = this.cluster.connect();
      this.connecting.catch(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }

  private deadline(options: OperationOptions): number {
    return this.clock.nowMs() + (options.timeoutMs ?? this.options.defaultApiTimeoutMs);
  }

  /**
   * The retry policy of an operation. `kind` says which item errors are retried: for topic and config
   * changes only NOT_CONTROLLER and quota throttling (any other answer about a topic or config is final, as
   * in Kafka's admin client); for partition operations at the leaders, the errors that mean stale
   * leadership; lost connections and timeouts always.
   */
  private policy(options: OperationOptions, kind: 'controller' | 'config' | 'leader') {
    return {
      retriable: (error: Error) => {
        if (!KafkaError.isInstance(error)) return isRetriable(error);
        if (kind === 'controller') return CONTROLLER_RETRY_CODES.has(error.code);
        if (kind === 'config') return error.code === ErrorCode.THROTTLING_QUOTA_EXCEEDED;
        return error.retriable;
      },
      deadlineMs: this.deadline(options),
      retryBackoffMs: this.options.retryBackoffMs,
      retryBackoffMaxMs: this.options.retryBackoffMaxMs,
      clock: this.clock,
      random: this.random,
      signal: options.signal,
      onRetry: () => this.cluster.metadata.invalidate(),
    };
  }

  /** Creates topics. Resolves when all exist (and, by default, have leaders). */
  async createTopics(topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Promise<void> {
    await this.connect();
    const policy = this.policy(options, 'controller');
    const timeoutMs = Math.max(
      0,
      Math.min(this.options.requestTimeoutMs, policy.deadlineMs - this.clock.nowMs()),
    );
    const outcomes = await retryItems(
      topics,
      async (pending) => {
        const response = await this.cluster.request('controller', Apis.CreateTopics, {
          topics: pending.map((topic) => ({
            name: topic.topic,
            numPartitions: topic.replicaAssignment ? -1 : (topic.numPartitions ?? -1),
            replicationFactor: topic.replicaAssignment ? -1 : (topic.replicationFactor ?? -1),
            assignments: (topic.replicaAssignment ?? []).map((brokerIds, partitionIndex) => ({
              partitionIndex,
              brokerIds,
            })),
            configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
          timeoutMs,
          validateOnly: options.validateOnly ?? false,
        });
        return new Map<NewTopic, true | Error>(
          pending.map((topic) => {
            const result = response.topics.find((candidate) => candidate.name === topic.topic);
            if (result === undefined)
              return [
                topic,
                kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, `topics/${topic.topic}`, 'no answer'),
              ];
            return [
              topic,
              result.errorCode === 0
                ? true
                : kafkaErrorAt(result.errorCode, `topics/${topic.topic}`, result.errorMessage),
            ];
          }),
        );
      },
      policy,
    );
    throwFailures('createTopics', outcomes);
    if ((options.waitForLeaders ?? true) && !options.validateOnly) {
      await this.waitForLeaders(
        topics.map((topic) => topic.topic),
        policy.deadlineMs,
        options.signal,
      );
    }
  }

  private async waitForLeaders(names: string[], deadlineMs: number, signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.metadata(names, { signal });
      const waiting = response.topics.filter(
        (topic) =>
          topic.errorCode !== 0 ||
          topic.partitions.length === 0 ||
          topic.partitions.some((partition) => partition.leaderId < 0),
      );
      if (waiting.length === 0) return;
      if (this.clock.nowMs() >= deadlineMs) {
        throw kafkaErrorAt(
          ErrorCode.LEADER_NOT_AVAILABLE,
          `topics/${waiting[0].name}`,
          'created, but without leaders before the timeout',
        );
      }
      await new Promise((resolve) =>
        setTimeout(
          resolve,
          Math.min(this.options.retryBackoffMaxMs, this.options.retryBackoffMs * 2 ** attempt),
        ),
      );
    }
  }

  /** Deletes topics. */
  async deleteTopics(names: readonly string[], options: OperationOptions = {}): Promise<void> {
    await this.connect();
    const policy = this.policy(options, 'controller');
    const outcomes = await retryItems(
      names,
      async (pending) => {
        const response = await this.cluster.request('controller', Apis.DeleteTopics, {
          topicNames: pending,
          topics: pending.map((name) => ({ name })),
          timeoutMs: this.options.requestTimeoutMs,
        });
        return new Map<string, true | Error>(
          pending.map((name) => {
            const result = response.responses.find((candidate) => candidate.name === name);
            if (result === undefined)
              return [name, kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, `topics/${name}`, 'no answer')];
            return [
              name,
              result.errorCode === 0
                ? true
                : kafkaErrorAt(result.errorCode, `topics/${name}`, result.errorMessage),
            ];
          }),
        );
      },
      policy,
    );
    throwFailures('deleteTopics', outcomes);
  }

  /** Raises topics' partition counts (they never shrink: a lower count fails with INVALID_PARTITIONS). */
  async createPartitions(
    changes: readonly NewPartitions[],
    options: OperationOptions & { validateOnly?: boolean } = {},
  ): Promise<void> {
    await this.connect();
    const policy = this.policy(options, 'controller');
    const outcomes = await retryItems(
      changes,
      async (pending) => {
        const response = await this.cluster.request('controller', Apis.CreatePartitions, {
          topics: pending.map((change) => ({
            name: change.topic,
            count: change.count,
            assignments: change.assignments ? change.assignments.map((brokerIds) => ({ brokerIds })) : null,
          })),
          timeoutMs: this.options.requestTimeoutMs,
          validateOnly: options.validateOnly ?? false,
        });
        return new Map<NewPartitions, true | Error>(
          pending.map((change) => {
            const result = response.results.find((candidate) => candidate.name === change.topic);
            if (result === undefined)
              return [
                change,
                kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, `topics/${change.topic}`, 'no answer'),
              ];
            return [
              change,
              result.errorCode === 0
                ? true
                : kafkaErrorAt(result.errorCode, `topics/${change.topic}`, result.errorMessage),
            ];
          }),
        );
      },
      policy,
    );
    throwFailures('createPartitions', outcomes);
  }

  /** Names of every topic (internal ones, such as __consumer_offsets, only when asked). */
  async listTopics(options: OperationOptions & { includeInternal?: boolean } = {}): Promise<string[]> {
    const response = await this.metadata(null, options);
    return response.topics
      .filter((topic) => topic.errorCode === 0 && (options.includeInternal || !topic.isInternal))
      .map((topic) => topic.name ?? '')
      .sort();
  }

  /** Partitions, leaders and replicas of topics; a topic that does not exist fails with UNKNOWN_TOPIC_OR_PARTITION. */
  async describeTopics(
    names: readonly string[],
    options: OperationOptions = {},
  ): Promise<TopicDescription[]> {
    const response = await this.metadata([...names], options);
    const outcomes = new Map<string, TopicDescription | Error>();
    for (const name of names) {
      const topic = response.topics.find((candidate) => candidate.name === name);
      if (topic === undefined || topic.errorCode !== 0) {
        outcomes.set(
          name,
          kafkaErrorAt(topic?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topics/${name}`),
        );
        continue;
      }
      outcomes.set(name, {
        name,
        isInternal: topic.isInternal,
        partitions: topic.partitions
          .map((partition) => ({
            partition: partition.partitionIndex,
            leader: partition.leaderId,
            leaderEpoch: partition.leaderEpoch,
            replicas: partition.replicaNodes,
            isr: partition.isrNodes,
            offlineReplicas: partition.offlineReplicas,
            errorCode: partition.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      });
    }
    throwFailures('describeTopics', outcomes);
    return names.map((name) => outcomes.get(name) as TopicDescription);
  }

  /** The cluster id, the controller and the brokers. */
  async describeCluster(options: OperationOptions = {}): Promise<ClusterDescription> {
    const response = await this.metadata([], options);
    return {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers
        .map((broker) => ({ nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack }))
        .sort((a, b) => a.nodeId - b.nodeId),
    };
  }

  private async metadata(topics: string[] | null, options: OperationOptions): Promise<MetadataResponse> {
    await this.connect();
    return this.cluster.requestWithRetry(
      'any',
      Apis.Metadata,
      { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false },
      { deadlineMs: this.deadline(options), signal: options.signal },
    );
  }

  /** Configs of topics and brokers (broker resources are asked of that broker). */
  async describeConfigs(
    resources: readonly ConfigResource[],
    options: OperationOptions & { includeSynonyms?: boolean } = {},
  ): Promise<ConfigDescription[]> {
    await this.connect();
    const outcomes = await retryItems(
      resources,
      async (pending) => {
        const results = new Map<ConfigResource, ConfigDescription | Error>();
        const byTarget = groupBy(pending, (resource) => this.configTarget(resource));
        await Promise.all(
          [...byTarget].map(async ([target, group]) => {
            const response = await this.cluster.request(target, Apis.DescribeConfigs, {
              resources: group.map((resource) => ({
                resourceType: ConfigResourceType[resource.type],
                resourceName: resource.name,
                configurationKeys: resource.configNames ?? null,
              })),
              includeSynonyms: options.includeSynonyms ?? false,
              includeDocumentation: false,
            });
            for (const resource of group) {
              const result = response.results.find(
                (candidate) =>
                  candidate.resourceName === resource.name &&
                  candidate.resourceType === ConfigResourceType[resource.type],
              );
              const location = `${resource.type}s/${resource.name}`;
              if (result === undefined) {
                results.set(resource, kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, location, 'no answer'));
              } else if (result.errorCode !== 0) {
                results.set(resource, kafkaErrorAt(result.errorCode, location, result.errorMessage));
              } else {
                results.set(resource, {
                  type: resourceTypeName(result.resourceType),
                  name: result.resourceName,
                  configs: result.configs.map((entry) => ({
                    name: entry.name,
                    value: entry.value,
                    readOnly: entry.readOnly,
                    isDefault: entry.isDefault || entry.configSource === 5,
                    isSensitive: entry.isSensitive,
                    source: ConfigSourceName[entry.configSource] ?? 'unknown',
                    synonyms: entry.synonyms.map((synonym) => ({
                      name: synonym.name,
                      value: synonym.value,
                      source: ConfigSourceName[synonym.source] ?? 'unknown',
                    })),
                  })),
                });
              }
            }
          }),
        );
        return results;
      },
      this.policy(options, 'config'),
    );
    throwFailures('describeConfigs', outcomes);
    return resources.map((resource) => outcomes.get(resource) as ConfigDescription);
  }

  /**
   * Replaces the config overrides of topics or brokers (Kafka's AlterConfigs: keys left out go back to
   * their defaults; a null value removes an override).
   */
  async alterConfigs(
    changes: readonly ConfigChange[],
    options: OperationOptions & { validateOnly?: boolean } = {},
  ): Promise<void> {
    await this.connect();
    const outcomes = await retryItems(
      changes,
      async (pending) => {
        const results = new Map<ConfigChange, true | Error>();
        const byTarget = groupBy(pending, (change) => this.configTarget(change));
        await Promise.all(
          [...byTarget].map(async ([target, group]) => {
            const response = await this.cluster.request(target, Apis.AlterConfigs, {
              resources: group.map((change) => ({
                resourceType: ConfigResourceType[change.type],
                resourceName: change.name,
                configs: Object.entries(change.configs).map(([name, value]) => ({ name, value })),
              })),
              validateOnly: options.validateOnly ?? false,
            });
            for (const change of group) {
              const result = response.responses.find(
                (candidate) =>
                  candidate.resourceName === change.name &&
                  candidate.resourceType === ConfigResourceType[change.type],
              );
              const location = `${change.type}s/${change.name}`;
              results.set(
                change,
                result === undefined
                  ? kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, location, 'no answer')
                  : result.errorCode === 0
                    ? true
                    : kafkaErrorAt(result.errorCode, location, result.errorMessage),
              );
            }
          }),
        );
        return results;
      },
      this.policy(options, 'config'),
    );
    throwFailures('alterConfigs', outcomes);
  }

  /** A broker's configs are asked of that broker; anything else of any broker. */
  private configTarget(resource: { type: ConfigResourceTypeName; name: string }): number | 'any' {
    if (resource.type === 'topic') return 'any';
    const nodeId = Number(resource.name);
    return Number.isInteger(nodeId) && resource.name !== '' ? nodeId : 'any';
  }

  /** Offsets of partitions: earliest, latest, or the first at or after a timestamp (asked of each leader). */
  async listOffsets(
    queries: readonly PartitionOffsetQuery[],
    options: OperationOptions & { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {},
  ): Promise<PartitionOffset[]> {
    await this.connect();
    this.cluster.metadata.track(new Set(queries.map((query) => query.topic)));
    await this.cluster.metadata.refresh(options.signal);
    const outcomes = await retryItems(
      queries,
      (pending) =>
        this.byLeader(pending, async (leader, group) => {
          const response = await this.cluster.request(leader, Apis.ListOffsets, {
            replicaId: -1,
            isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
            topics: [...groupBy(group, (query) => query.topic)].map(([name, list]) => ({
              name,
              partitions: list.map((query) => ({
                partitionIndex: query.partition,
                currentLeaderEpoch: -1,
                timestamp:
                  query.spec === 'earliest'
                    ? EARLIEST_TIMESTAMP
                    : query.spec === 'latest'
                      ? LATEST_TIMESTAMP
                      : BigInt(checkTimestamp(query.spec.timestamp)),
                maxNumOffsets: 1,
              })),
            })),
          });
          return new Map<PartitionOffsetQuery, PartitionOffset | Error>(
            group.map((query) => {
              const answer = response.topics
                .find((topic) => topic.name === query.topic)
                ?.partitions.find((partition) => partition.partitionIndex === query.partition);
              const location = partitionLocation(query.topic, query.partition);
              if (answer === undefined)
                return [query, kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, location, 'no answer')];
              if (answer.errorCode !== 0) return [query, kafkaErrorAt(answer.errorCode, location)];
              return [
                query,
                {
                  topic: query.topic,
                  partition: query.partition,
                  offset: Number(answer.offset),
                  timestamp: typeof query.spec === 'object' ? Number(answer.timestamp) : -1,
                },
              ];
            }),
          );
        }),
      this.policy(options, 'leader'),
    );
    throwFailures('listOffsets', outcomes);
    return queries.map((query) => outcomes.get(query) as PartitionOffset);
  }

  /** Deletes the records before an offset in each partition (moves its log start offset). */
  async deleteRecords(
    targets: readonly RecordsToDelete[],
    options: OperationOptions = {},
  ): Promise<DeletedRecords[]> {
    await this.connect();
    this.cluster.metadata.track(new Set(targets.map((target) => target.topic)));
    await this.cluster.metadata.refresh(options.signal);
    const outcomes = await retryItems(
      targets,
      (pending) =>
        this.byLeader(pending, async (leader, group) => {
          const response = await this.cluster.request(leader, Apis.DeleteRecords, {
            topics: [...groupBy(group, (target) => target.topic)].map(([name, list]) => ({
              name,
              partitions: list.map((target) => ({
                partitionIndex: target.partition,
                offset: BigInt(target.beforeOffset),
              })),
            })),
            timeoutMs: this.options.requestTimeoutMs,
          });
          return new Map<RecordsToDelete, DeletedRecords | Error>(
            group.map((target) => {
              const answer = response.topics
                .find((topic) => topic.name === target.topic)
                ?.partitions.find((partition) => partition.partitionIndex === target.partition);
              const location = partitionLocation(target.topic, target.partition);
              if (answer === undefined)
                return [target, kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, location, 'no answer')];
              if (answer.errorCode !== 0) return [target, kafkaErrorAt(answer.errorCode, location)];
              return [
                target,
                {
                  topic: target.topic,
                  partition: target.partition,
                  lowWatermark: Number(answer.lowWatermark),
                },
              ];
            }),
          );
        }),
      this.policy(options, 'leader'),
    );
    throwFailures('deleteRecords', outcomes);
    return targets.map((target) => outcomes.get(target) as DeletedRecords);
  }

  /** Sends each leader its partitions' items, in parallel; items without a known leader fail retriably. */
  private async byLeader<Item extends { topic: string; partition: number }, Outcome>(
    items: Item[],
    send: (leader: number, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
  ): Promise<Map<Item, Outcome | Error>> {
    const results = new Map<Item, Outcome | Error>();
    const groups = groupBy(items, (item) => this.cluster.metadata.leaderOf(item.topic, item.partition));
    await Promise.all(
      [...groups].map(async ([leader, group]) => {
        if (leader < 0) {
          for (const item of group) {
            const known = this.cluster.metadata.topic(item.topic);
            const location = partitionLocation(item.topic, item.partition);
            // A partition beyond the topic's count will not appear by retrying; a missing leader may.
            const topicError = this.cluster.metadata.snapshot.topicErrors.get(item.topic);
            if (known !== undefined && item.partition >= known.partitions.length) {
              results.set(
                item,
                new RangeError(`${location}: ${item.topic} has ${known.partitions.length} partitions`),
              );
            } else if (
              topicError === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
              topicError === ErrorCode.INVALID_TOPIC_EXCEPTION
            ) {
              results.set(item, markFinal(kafkaErrorAt(topicError, location)));
            } else {
              results.set(item, kafkaErrorAt(ErrorCode.LEADER_NOT_AVAILABLE, location));
            }
          }
          return;
        }
        // A request may name a partition once: asking twice about one partition takes several requests.
        for (const part of withoutRepeats(group, (item) => `${item.topic}\u0000${item.partition}`)) {
          try {
            for (const [item, outcome] of await send(leader, part)) results.set(item, outcome);
          } catch (error) {
            for (const item of part) results.set(item, error as Error);
          }
        }
      }),
    );
    return results;
  }
}

/** Splits items into lists in which no key appears twice, keeping their order. */
function withoutRepeats<Item>(items: readonly Item[], keyOf: (item: Item) => string): Item[][] {
  const parts: { keys: Set<string>; items: Item[] }[] = [];
  for (const item of items) {
    const key = keyOf(item);
    let part = parts.find((candidate) => !candidate.keys.has(key));
    if (part === undefined) {
      part = { keys: new Set(), items: [] };
      parts.push(part);
    }
    part.keys.add(key);
    part.items.push(item);
  }
  return parts.map((part) => part.items);
}

function groupBy<Item, Key>(items: readonly Item[], keyOf: (item: Item) => Key): Map<Key, Item[]> {
  const groups = new Map<Key, Item[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

function checkTimestamp(timestamp: number): number {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`timestamp must be a non-negative integer (ms), got ${timestamp}`);
  }
  return timestamp;
}
