import {
  type Clock,
  Cluster,
  defaultLogger,
  groupByLeader,
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
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  type TopicPartitions,
} from './consumer-protocol.js';
import { outcomesOf, partitionOutcomesOf, requestTopics } from './item-answers.js';
import { type ItemRetryPolicy, markFinal, retryItems, throwFailures } from './retry-items.js';

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

export interface GroupListing {
  groupId: string;
  /** `consumer` for consumer groups; other group kinds (Connect workers, ...) have their own. */
  protocolType: string;
  /** The broker that coordinates the group. */
  coordinator: number;
}

/**
 * A group's state as its coordinator names it: `Empty` (no members; offsets may be reset), `Stable`,
 * `PreparingRebalance`, `CompletingRebalance`, or `Dead` (the group does not exist, or is being deleted).
 */
export type GroupState =
  | 'Empty'
  | 'Stable'
  | 'PreparingRebalance'
  | 'CompletingRebalance'
  | 'Dead'
  | (string & {});

export interface GroupMemberDescription {
  memberId: string;
  /** The static member id (group.instance.id), or null. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The topics the member subscribed to (consumer groups), or null when its metadata is not a consumer subscription. */
  subscription: string[] | null;
  /** The partitions assigned to the member (consumer groups; [] before the first assignment), or null when its assignment is not a consumer assignment. */
  assignment: TopicPartitions[] | null;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  /** `consumer` for consumer groups, '' for a group without members. */
  protocolType: string;
  /** The assignor the group chose (`range`, `roundrobin`, ...), '' when it is not Stable. */
  protocol: string;
  coordinator: number;
  members: GroupMemberDescription[];
}

export interface GroupOffset {
  topic: string;
  partition: number;
  /** The committed offset: the next record the group reads in this partition. */
  offset: number;
  /** -1 when the committer gave none. */
  leaderEpoch: number;
  metadata: string | null;
}

/** A topic, and some of its partitions (default all). */
export interface TopicSelection {
  topic: string;
  partitions?: number[];
}

/**
 * Where to move a group's offsets: the first or the next offset to be written, the first record at or
 * after a time (ms since the epoch), a given offset, or N records on from (negative: back from) the
 * committed one. Every target is clamped to the partition's [earliest, latest].
 */
export type OffsetResetSpec =
  | 'earliest'
  | 'latest'
  | { timestamp: number }
  | { offset: number }
  | { shiftBy: number };

export interface ResetOffsetsRequest {
  /** The partitions to reset; default: every partition the group has committed an offset for. */
  topics?: TopicSelection[];
  to: OffsetResetSpec;
  /** Compute and return the new offsets without committing them. */
  dryRun?: boolean;
}

export interface OffsetReset {
  topic: string;
  partition: number;
  /** The committed offset before the reset, or null when there was none. */
  previousOffset: number | null;
  /** The offset committed (or, in a dry run, that would be). */
  offset: number;
}

export interface GroupPartition {
  topic: string;
  partition: number;
}

/** Per-topic answers of the controller that are worth sending again. */
const CONTROLLER_RETRY_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
]);

/** Answers of a group coordinator that mean "ask again, maybe elsewhere": the coordinator is looked up again. */
const COORDINATOR_RETRY_CODES: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

/** Group states in which a group has no members, so that an admin may commit offsets for it. */
const INACTIVE_GROUP_STATES: ReadonlySet<string> = new Set(['Empty', 'Dead']);

/** FindCoordinator key_type of a consumer group. */
const GROUP_KEY_TYPE = 0;

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
  /** The coordinator of each group looked up so far; forgotten whenever an operation retries. */
  private readonly coordinators = new Map<string, number>();

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
    return this.cluster.connectOnce();
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
  private policy(options: OperationOptions, kind: 'controller' | 'config' | 'leader' | 'coordinator') {
    return {
      retriable: (error: Error) => {
        if (!KafkaError.isInstance(error)) return isRetriable(error);
        if (kind === 'controller') return CONTROLLER_RETRY_CODES.has(error.code);
        if (kind === 'config') return error.code === ErrorCode.THROTTLING_QUOTA_EXCEEDED;
        if (kind === 'coordinator') return COORDINATOR_RETRY_CODES.has(error.code);
        return error.retriable;
      },
      deadlineMs: this.deadline(options),
      retryBackoffMs: this.options.retryBackoffMs,
      retryBackoffMaxMs: this.options.retryBackoffMaxMs,
      clock: this.clock,
      random: this.random,
      signal: options.signal,
      onRetry: () => {
        this.coordinators.clear();
        this.cluster.metadata.invalidate();
      },
    };
  }

  /**
   * Runs an operation on items: rounds of `send` for the items still pending, under `policy`
   * (retryItems), then every failure thrown (throwFailures). Returns each item's outcome, in order.
   */
  private async perItem<Item, Outcome>(
    operation: string,
    items: readonly Item[],
    policy: ItemRetryPolicy,
    send: (pending: Item[]) => Promise<Map<Item, Outcome | Error>>,
  ): Promise<Outcome[]> {
    const outcomes = await retryItems(items, send, policy);
    throwFailures(operation, outcomes);
    return items.map((item) => outcomes.get(item) as Outcome);
  }

  /** An operation on partitions, one request per leader (byLeader), retried while leadership moves. */
  private atLeaders<Item extends { topic: string; partition: number }, Outcome>(
    operation: string,
    items: readonly Item[],
    options: OperationOptions,
    send: (leader: number, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
  ): Promise<Outcome[]> {
    return this.perItem(operation, items, this.policy(options, 'leader'), (pending) =>
      this.byLeader(pending, send),
    );
  }

  /** An operation on groups' items, one request per coordinator (byCoordinator), retried while it moves. */
  private atCoordinators<Item, Outcome>(
    operation: string,
    items: readonly Item[],
    groupIdOf: (item: Item) => string,
    options: OperationOptions,
    send: (coordinator: number, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
  ): Promise<Outcome[]> {
    return this.perItem(operation, items, this.policy(options, 'coordinator'), (pending) =>
      this.byCoordinator(pending, groupIdOf, send, options.signal),
    );
  }

  /** An operation on config resources, one request per broker asked (byConfigTarget). */
  private atConfigTargets<Resource extends NamedConfigResource, Outcome>(
    operation: string,
    resources: readonly Resource[],
    options: OperationOptions,
    send: (target: number | 'any', group: Resource[]) => Promise<Map<Resource, Outcome | Error>>,
  ): Promise<Outcome[]> {
    return this.perItem(operation, resources, this.policy(options, 'config'), (pending) =>
      this.byConfigTarget(pending, send),
    );
  }

  /** Creates topics. Resolves when all exist (and, by default, have leaders). */
  async createTopics(topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Promise<void> {
    await this.connect();
    const policy = this.policy(options, 'controller');
    const timeoutMs = Math.max(
      0,
      Math.min(this.options.requestTimeoutMs, policy.deadlineMs - this.clock.nowMs()),
    );
    await this.perItem('createTopics', topics, policy, async (pending) => {
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
      return outcomesOf(
        pending,
        (topic) => response.topics.find((candidate) => candidate.name === topic.topic),
        (topic) => `topics/${topic.topic}`,
        () => true,
      );
    });
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
    await this.perItem('deleteTopics', names, this.policy(options, 'controller'), async (pending) => {
      const response = await this.cluster.request('controller', Apis.DeleteTopics, {
        topicNames: pending,
        topics: pending.map((name) => ({ name })),
        timeoutMs: this.options.requestTimeoutMs,
      });
      return outcomesOf(
        pending,
        (name) => response.responses.find((candidate) => candidate.name === name),
        (name) => `topics/${name}`,
        () => true,
      );
    });
  }

  /** Raises topics' partition counts (they never shrink: a lower count fails with INVALID_PARTITIONS). */
  async createPartitions(
    changes: readonly NewPartitions[],
    options: OperationOptions & { validateOnly?: boolean } = {},
  ): Promise<void> {
    await this.connect();
    await this.perItem('createPartitions', changes, this.policy(options, 'controller'), async (pending) => {
      const response = await this.cluster.request('controller', Apis.CreatePartitions, {
        topics: pending.map((change) => ({
          name: change.topic,
          count: change.count,
          assignments: change.assignments ? change.assignments.map((brokerIds) => ({ brokerIds })) : null,
        })),
        timeoutMs: this.options.requestTimeoutMs,
        validateOnly: options.validateOnly ?? false,
      });
      return outcomesOf(
        pending,
        (change) => response.results.find((candidate) => candidate.name === change.topic),
        (change) => `topics/${change.topic}`,
        () => true,
      );
    });
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
    return this.atConfigTargets('describeConfigs', resources, options, async (target, group) => {
      const response = await this.cluster.request(target, Apis.DescribeConfigs, {
        resources: group.map((resource) => ({
          resourceType: ConfigResourceType[resource.type],
          resourceName: resource.name,
          configurationKeys: resource.configNames ?? null,
        })),
        includeSynonyms: options.includeSynonyms ?? false,
        includeDocumentation: false,
      });
      return outcomesOf(
        group,
        (resource) => configAnswer(response.results, resource),
        configLocation,
        (result): ConfigDescription => ({
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
        }),
      );
    });
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
    await this.atConfigTargets('alterConfigs', changes, options, async (target, group) => {
      const response = await this.cluster.request(target, Apis.AlterConfigs, {
        resources: group.map((change) => ({
          resourceType: ConfigResourceType[change.type],
          resourceName: change.name,
          configs: Object.entries(change.configs).map(([name, value]) => ({ name, value })),
        })),
        validateOnly: options.validateOnly ?? false,
      });
      return outcomesOf(
        group,
        (change) => configAnswer(response.responses, change),
        configLocation,
        () => true,
      );
    });
  }

  /**
   * Sends each broker the config resources it is asked about (a broker's configs go to that broker, the
   * rest to any broker), one request each, in parallel.
   */
  private async byConfigTarget<Resource extends NamedConfigResource, Outcome>(
    resources: Resource[],
    send: (target: number | 'any', group: Resource[]) => Promise<Map<Resource, Outcome | Error>>,
  ): Promise<Map<Resource, Outcome | Error>> {
    const results = new Map<Resource, Outcome | Error>();
    await Promise.all(
      [...groupBy(resources, configTarget)].map(async ([target, group]) => {
        for (const [resource, outcome] of await send(target, group)) results.set(resource, outcome);
      }),
    );
    return results;
  }

  /** Offsets of partitions: earliest, latest, or the first at or after a timestamp (asked of each leader). */
  async listOffsets(
    queries: readonly PartitionOffsetQuery[],
    options: OperationOptions & { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {},
  ): Promise<PartitionOffset[]> {
    await this.connect();
    this.cluster.metadata.track(new Set(queries.map((query) => query.topic)));
    await this.cluster.metadata.refresh(options.signal);
    return this.atLeaders('listOffsets', queries, options, async (leader, group) => {
      const response = await this.cluster.request(leader, Apis.ListOffsets, {
        replicaId: -1,
        isolationLevel: options.isolationLevel === 'read_committed' ? 1 : 0,
        topics: requestTopics(group, (query) => ({
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
      });
      return partitionOutcomesOf(
        group,
        response.topics,
        '',
        (answer, query): PartitionOffset => ({
          topic: query.topic,
          partition: query.partition,
          offset: Number(answer.offset),
          timestamp: typeof query.spec === 'object' ? Number(answer.timestamp) : -1,
        }),
      );
    });
  }

  /** Deletes the records before an offset in each partition (moves its log start offset). */
  async deleteRecords(
    targets: readonly RecordsToDelete[],
    options: OperationOptions = {},
  ): Promise<DeletedRecords[]> {
    await this.connect();
    this.cluster.metadata.track(new Set(targets.map((target) => target.topic)));
    await this.cluster.metadata.refresh(options.signal);
    return this.atLeaders('deleteRecords', targets, options, async (leader, group) => {
      const response = await this.cluster.request(leader, Apis.DeleteRecords, {
        topics: requestTopics(group, (target) => ({
          partitionIndex: target.partition,
          offset: BigInt(target.beforeOffset),
        })),
        timeoutMs: this.options.requestTimeoutMs,
      });
      return partitionOutcomesOf(
        group,
        response.topics,
        '',
        (answer, target): DeletedRecords => ({
          topic: target.topic,
          partition: target.partition,
          lowWatermark: Number(answer.lowWatermark),
        }),
      );
    });
  }

  /** Every group of the cluster (ListGroups asked of every broker, since each coordinates some). */
  async listGroups(options: OperationOptions = {}): Promise<GroupListing[]> {
    const cluster = await this.describeCluster(options);
    const listings = await this.perItem(
      'listGroups',
      cluster.brokers.map((broker) => broker.nodeId),
      this.policy(options, 'coordinator'),
      (pending) =>
        sendEach(
          pending.map((nodeId) => [nodeId, [nodeId]] as const),
          async (nodeId) => {
            const response = await this.cluster.request(nodeId, Apis.ListGroups, {}, options);
            return outcomesOf(
              [nodeId],
              () => response,
              () => `brokers/${nodeId}`,
              (answer) =>
                answer.groups.map(
                  (group): GroupListing => ({
                    groupId: group.groupId,
                    protocolType: group.protocolType,
                    coordinator: nodeId,
                  }),
                ),
            );
          },
        ),
    );
    const groups = new Map<string, GroupListing>();
    for (const listing of listings) {
      for (const group of listing) groups.set(group.groupId, group);
    }
    return [...groups.values()].sort((a, b) => compareStrings(a.groupId, b.groupId));
  }

  /**
   * Groups' states, members, and for consumer groups each member's subscription and assigned partitions.
   * A group that does not exist is described with state `Dead` and no members, as Kafka does.
   */
  async describeGroups(
    groupIds: readonly string[],
    options: OperationOptions = {},
  ): Promise<GroupDescription[]> {
    await this.connect();
    return this.atCoordinators(
      'describeGroups',
      groupIds,
      (groupId) => groupId,
      options,
      async (coordinator, group) => {
        const response = await this.cluster.request(
          coordinator,
          Apis.DescribeGroups,
          { groups: group, includeAuthorizedOperations: false },
          options,
        );
        return outcomesOf(
          group,
          (groupId) => response.groups.find((candidate) => candidate.groupId === groupId),
          (groupId) => `groups/${groupId}`,
          (answer, groupId): GroupDescription => {
            const isConsumerGroup = answer.protocolType === CONSUMER_PROTOCOL_TYPE;
            return {
              groupId,
              state: answer.groupState,
              protocolType: answer.protocolType,
              protocol: answer.protocolData,
              coordinator,
              members: answer.members
                .map((member) => ({
                  memberId: member.memberId,
                  groupInstanceId: member.groupInstanceId,
                  clientId: member.clientId,
                  clientHost: member.clientHost,
                  subscription: isConsumerGroup ? decodeConsumerSubscription(member.memberMetadata) : null,
                  assignment: isConsumerGroup ? decodeConsumerAssignment(member.memberAssignment) : null,
                }))
                .sort((a, b) => compareStrings(a.memberId, b.memberId)),
            };
          },
        );
      },
    );
  }

  /**
   * A group's committed offsets, one per partition that has one, sorted by topic and partition; only those
   * of the given topics when topics are named (their partitions are asked for by name; a topic that does
   * not exist has none).
   */
  async fetchOffsets(
    groupId: string,
    options: OperationOptions & { topics?: readonly string[] } = {},
  ): Promise<GroupOffset[]> {
    await this.connect();
    // Without topics, null asks for every partition the group has an offset for (OffsetFetch v2+).
    let topics: { name: string; partitionIndexes: number[] }[] | null = null;
    if (options.topics !== undefined) {
      if (options.topics.length === 0) return [];
      const metadata = await this.metadata([...new Set(options.topics)], options);
      topics = metadata.topics
        .filter((topic) => topic.errorCode === 0 && topic.name !== null)
        .map((topic) => ({
          name: topic.name as string,
          partitionIndexes: topic.partitions.map((partition) => partition.partitionIndex),
        }));
      if (topics.length === 0) return [];
    }
    const [offsets] = await this.atCoordinators<string, GroupOffset[]>(
      'fetchOffsets',
      [groupId],
      (id) => id,
      options,
      async (coordinator) => {
        const response = await this.cluster.request(
          coordinator,
          Apis.OffsetFetch,
          { groupId, topics, requireStable: false },
          options,
        );
        const location = `groups/${groupId}`;
        return outcomesOf(
          [groupId],
          () => response,
          () => location,
          (answer): GroupOffset[] | Error => {
            const found: GroupOffset[] = [];
            for (const topic of answer.topics) {
              for (const partition of topic.partitions) {
                // A partition-level error (e.g. UNSTABLE_OFFSET_COMMIT) fails the whole fetch: it is retried if it may be.
                if (partition.errorCode !== 0) {
                  return kafkaErrorAt(
                    partition.errorCode,
                    `${location}/${partitionLocation(topic.name, partition.partitionIndex)}`,
                  );
                }
                if (partition.committedOffset >= 0n) {
                  found.push({
                    topic: topic.name,
                    partition: partition.partitionIndex,
                    offset: Number(partition.committedOffset),
                    leaderEpoch: partition.committedLeaderEpoch,
                    metadata: partition.metadata,
                  });
                }
              }
            }
            return found;
          },
        );
      },
    );
    return offsets.sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
  }

  /**
   * Moves a group's committed offsets (as `kafka-consumer-groups --reset-offsets`): to the earliest or
   * latest offset, to the first record at or after a time, to an offset, or shifted by N from the committed
   * one, each clamped to the partition's [earliest, latest]. Only a group without members (Empty, or one
   * that does not exist yet) may be reset; any other fails with NON_EMPTY_GROUP before anything changes.
   * With `dryRun` nothing is committed. Returns the old and new offset of every partition, sorted.
   */
  async resetOffsets(
    groupId: string,
    request: ResetOffsetsRequest,
    options: OperationOptions = {},
  ): Promise<OffsetReset[]> {
    const to = request.to;
    if (typeof to === 'object' && 'shiftBy' in to && !Number.isSafeInteger(to.shiftBy))
      throw new RangeError(`shiftBy must be an integer, got ${to.shiftBy}`);
    if (typeof to === 'object' && 'offset' in to && (!Number.isSafeInteger(to.offset) || to.offset < 0))
      throw new RangeError(`offset must be a non-negative integer, got ${to.offset}`);
    if (typeof to === 'object' && 'timestamp' in to) checkTimestamp(to.timestamp);

    const [group] = await this.describeGroups([groupId], options);
    if (!INACTIVE_GROUP_STATES.has(group.state)) {
      throw kafkaErrorAt(
        ErrorCode.NON_EMPTY_GROUP,
        `groups/${groupId}`,
        `the group is ${group.state} with ${group.members.length} member(s); offsets can only be reset while it has none: stop its consumers first`,
      );
    }
    const committed = await this.fetchOffsets(groupId, options);
    const committedOf = new Map(
      committed.map((entry) => [`${entry.topic}\u0000${entry.partition}`, entry.offset]),
    );

    let targets: GroupPartition[];
    if (request.topics === undefined) {
      targets = committed.map(({ topic, partition }) => ({ topic, partition }));
    } else {
      const needCounts = request.topics.filter((selection) => selection.partitions === undefined);
      const described =
        needCounts.length === 0
          ? []
          : await this.describeTopics([...new Set(needCounts.map((selection) => selection.topic))], options);
      targets = request.topics.flatMap((selection) =>
        (
          selection.partitions ??
          described
            .find((topic) => topic.name === selection.topic)!
            .partitions.map((partition) => partition.partition)
        ).map((partition) => ({ topic: selection.topic, partition })),
      );
    }
    targets = [
      ...new Map(targets.map((target) => [`${target.topic}\u0000${target.partition}`, target])).values(),
    ].sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
    if (targets.length === 0) return [];

    const queries: PartitionOffsetQuery[] = targets.flatMap((target) => [
      { ...target, spec: 'earliest' as const },
      { ...target, spec: 'latest' as const },
      ...(typeof to === 'object' && 'timestamp' in to
        ? [{ ...target, spec: { timestamp: to.timestamp } }]
        : []),
    ]);
    const answers = await this.listOffsets(queries, options);
    const perTarget = queries.length / targets.length;
    const plan: OffsetReset[] = targets.map((target, i) => {
      const earliest = answers[i * perTarget].offset;
      const latest = answers[i * perTarget + 1].offset;
      const previousOffset = committedOf.get(`${target.topic}\u0000${target.partition}`) ?? null;
      let offset: number;
      if (to === 'earliest') offset = earliest;
      else if (to === 'latest') offset = latest;
      else if ('timestamp' in to) {
        const found = answers[i * perTarget + 2].offset;
        offset = found < 0 ? latest : found;
      } else if ('offset' in to) offset = to.offset;
      else {
        if (previousOffset === null) {
          throw new RangeError(
            `groups/${groupId}/${partitionLocation(target.topic, target.partition)}: no committed offset to shift; reset it to earliest, latest or a time instead`,
          );
        }
        offset = previousOffset + to.shiftBy;
      }
      return { ...target, previousOffset, offset: Math.min(Math.max(offset, earliest), latest) };
    });
    if (!request.dryRun) await this.commitOffsets(groupId, plan, options);
    return plan;
  }

  /** Commits offsets for a group without members, as an admin (OffsetCommit with generation -1). */
  private async commitOffsets(
    groupId: string,
    offsets: readonly OffsetReset[],
    options: OperationOptions,
  ): Promise<void> {
    await this.atCoordinators(
      'resetOffsets',
      offsets,
      () => groupId,
      options,
      async (coordinator, group) => {
        const response = await this.cluster.request(
          coordinator,
          Apis.OffsetCommit,
          {
            groupId,
            generationIdOrMemberEpoch: -1,
            memberId: '',
            groupInstanceId: null,
            retentionTimeMs: -1n,
            topics: requestTopics(group, (entry) => ({
              partitionIndex: entry.partition,
              committedOffset: BigInt(entry.offset),
              committedLeaderEpoch: -1,
              committedMetadata: null,
            })),
          },
          options,
        );
        return partitionOutcomesOf(group, response.topics, `groups/${groupId}/`, () => true);
      },
    );
  }

  /** Deletes groups and their committed offsets; a group with members fails with NON_EMPTY_GROUP. */
  async deleteGroups(groupIds: readonly string[], options: OperationOptions = {}): Promise<void> {
    await this.connect();
    await this.atCoordinators(
      'deleteGroups',
      groupIds,
      (groupId) => groupId,
      options,
      async (coordinator, group) => {
        const response = await this.cluster.request(
          coordinator,
          Apis.DeleteGroups,
          { groupsNames: group },
          options,
        );
        return outcomesOf(
          group,
          (groupId) => response.results.find((candidate) => candidate.groupId === groupId),
          (groupId) => `groups/${groupId}`,
          () => true,
        );
      },
    );
  }

  /**
   * Deletes a group's committed offsets of some partitions (OffsetDelete); a partition of a topic the group
   * is subscribed to fails with GROUP_SUBSCRIBED_TO_TOPIC.
   */
  async deleteOffsets(
    groupId: string,
    partitions: readonly GroupPartition[],
    options: OperationOptions = {},
  ): Promise<void> {
    await this.connect();
    await this.atCoordinators(
      'deleteOffsets',
      partitions,
      () => groupId,
      options,
      async (coordinator, group) => {
        const response = await this.cluster.request(
          coordinator,
          Apis.OffsetDelete,
          {
            groupId,
            topics: requestTopics(group, (entry) => ({ partitionIndex: entry.partition })),
          },
          options,
        );
        if (response.errorCode !== 0) {
          const error = kafkaErrorAt(response.errorCode, `groups/${groupId}`);
          return new Map<GroupPartition, true | Error>(group.map((entry) => [entry, error]));
        }
        return partitionOutcomesOf(group, response.topics, `groups/${groupId}/`, () => true);
      },
    );
  }

  /** The broker coordinating a group (FindCoordinator, cached until an operation retries). */
  private async coordinatorOf(groupId: string, signal?: AbortSignal): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    const response = await this.cluster.request(
      'any',
      Apis.FindCoordinator,
      { key: groupId, keyType: GROUP_KEY_TYPE, coordinatorKeys: [groupId] },
      { signal },
    );
    if (response.errorCode !== 0)
      throw kafkaErrorAt(response.errorCode, `groups/${groupId}`, response.errorMessage);
    this.coordinators.set(groupId, response.nodeId);
    return response.nodeId;
  }

  /** Sends each group's items to its coordinator, one request per coordinator; a failed lookup fails its items. */
  private async byCoordinator<Item, Outcome>(
    items: Item[],
    groupIdOf: (item: Item) => string,
    send: (coordinator: number, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
    signal?: AbortSignal,
  ): Promise<Map<Item, Outcome | Error>> {
    const failures = new Map<Item, Error>();
    const byCoordinator = new Map<number, Item[]>();
    await Promise.all(
      [...groupBy(items, groupIdOf)].map(async ([groupId, list]) => {
        try {
          const coordinator = await this.coordinatorOf(groupId, signal);
          byCoordinator.set(coordinator, [...(byCoordinator.get(coordinator) ?? []), ...list]);
        } catch (error) {
          for (const item of list) failures.set(item, error as Error);
        }
      }),
    );
    return sendEach(byCoordinator, send, failures);
  }

  /** Sends each leader its partitions' items, in parallel; items without a known leader fail retriably. */
  private async byLeader<Item extends { topic: string; partition: number }, Outcome>(
    items: Item[],
    send: (leader: number, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
  ): Promise<Map<Item, Outcome | Error>> {
    const { byLeader, leaderless } = groupByLeader(this.cluster.metadata, items);
    const failures = new Map<Item, Error>();
    for (const item of leaderless) failures.set(item, this.leaderlessError(item));
    // A request may name a partition once: asking twice about one partition takes several requests.
    const requests = [...byLeader].flatMap(([leader, group]) =>
      withoutRepeats(group, (item) => `${item.topic}\u0000${item.partition}`).map(
        (part) => [leader, part] as const,
      ),
    );
    return sendEach(requests, send, failures);
  }

  /** Why a partition without a known leader failed: not there at all (final), or no leader yet (retriable). */
  private leaderlessError(item: { topic: string; partition: number }): Error {
    const known = this.cluster.metadata.topic(item.topic);
    const location = partitionLocation(item.topic, item.partition);
    // A partition beyond the topic's count will not appear by retrying; a missing leader may.
    const topicError = this.cluster.metadata.snapshot.topicErrors.get(item.topic);
    if (known !== undefined && item.partition >= known.partitions.length) {
      return new RangeError(`${location}: ${item.topic} has ${known.partitions.length} partitions`);
    }
    if (
      topicError === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
      topicError === ErrorCode.INVALID_TOPIC_EXCEPTION
    ) {
      return markFinal(kafkaErrorAt(topicError, location));
    }
    return kafkaErrorAt(ErrorCode.LEADER_NOT_AVAILABLE, location);
  }
}

/**
 * Sends each group of items its request, all in parallel, and gathers the outcomes after `outcomes`
 * (items already settled); a request that fails fails every item of its group with its error.
 */
async function sendEach<Target, Item, Outcome>(
  groups: Iterable<readonly [Target, readonly Item[]]>,
  send: (target: Target, group: Item[]) => Promise<Map<Item, Outcome | Error>>,
  outcomes: Map<Item, Outcome | Error> = new Map(),
): Promise<Map<Item, Outcome | Error>> {
  await Promise.all(
    [...groups].map(async ([target, group]) => {
      try {
        for (const [item, outcome] of await send(target, [...group])) outcomes.set(item, outcome);
      } catch (error) {
        for (const item of group) outcomes.set(item, error as Error);
      }
    }),
  );
  return outcomes;
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

/** A config resource as requests name it. */
interface NamedConfigResource {
  readonly type: ConfigResourceTypeName;
  readonly name: string;
}

/** A broker's configs are asked of that broker; anything else of any broker. */
function configTarget(resource: NamedConfigResource): number | 'any' {
  if (resource.type === 'topic') return 'any';
  const nodeId = Number(resource.name);
  return Number.isInteger(nodeId) && resource.name !== '' ? nodeId : 'any';
}

/** The answer about a config resource in a DescribeConfigs or AlterConfigs response. */
function configAnswer<Answer extends { readonly resourceName: string; readonly resourceType: number }>(
  answers: readonly Answer[],
  resource: NamedConfigResource,
): Answer | undefined {
  return answers.find(
    (candidate) =>
      candidate.resourceName === resource.name &&
      candidate.resourceType === ConfigResourceType[resource.type],
  );
}

/** `topics/orders`, `brokers/1`: where a config error happened. */
function configLocation(resource: NamedConfigResource): string {
  return `${resource.type}s/${resource.name}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkTimestamp(timestamp: number): number {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`timestamp must be a non-negative integer (ms), got ${timestamp}`);
  }
  return timestamp;
}
