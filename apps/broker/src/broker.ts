import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GroupCoordinator } from '@sluice/coordination';
import {
  brokerKey,
  type CoordinationStore,
  controllerKey,
  Election,
  EmbeddedStore,
  type Leadership,
  Session,
} from '@sluice/coordination';
import { type LogConfig, LogManager, loadOrCreateMetaProperties } from '@sluice/log';
import {
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidReplicaAssignmentError,
  InvalidReplicationFactorError,
  InvalidRequestError,
  InvalidTopicError,
  TopicAlreadyExistsError,
  TopicDeletionDisabledError,
  UnknownTopicOrPartitionError,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import {
  ClusterStore,
  type PartitionState,
  type StoredTopic,
  type TopicRecord,
} from './cluster/cluster-store.js';
import { DelayedFetchPurgatory } from './cluster/delayed-fetch-purgatory.js';
import { Partition } from './cluster/partition.js';
import type { BrokerConfig } from './config/broker-config.js';
import { brokerConfigKeys, parseBrokerConfigValue } from './config/broker-config.js';
import { ConfigError, type ConfigValue, normalizedConfigText } from './config/config-definition.js';
import {
  type EffectiveTopicConfig,
  effectiveTopicConfig,
  toLogConfig,
  validateTopicConfigs,
} from './config/topic-config.js';
import { DataDirectoryLock } from './data-dir-lock.js';
import { BrokerGroups } from './groups/broker-groups.js';
import { OFFSETS_TOPIC_NAME } from './groups/offsets-topic.js';
import { createRequestHandler } from './handlers/index.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { SocketServer } from './network/socket-server.js';

/** Topic names as Kafka allows them. */
const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
const TOPIC_NAME_MAX_LENGTH = 249;
/** Partitions one topic may have: each is a directory with open files. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;
const COORDINATION_SESSION_TTL_MS = 10_000;
/** The embedded coordination store's directory inside the data directory (not a partition log). */
const COORDINATION_DIRECTORY_NAME = '__coordination';

export interface CreateTopicRequest {
  readonly name: string;
  /** -1: num.partitions. Ignored when `assignments` is given. */
  readonly numPartitions: number;
  /** -1: default.replication.factor. */
  readonly replicationFactor: number;
  /** Explicit replica lists per partition, or empty. */
  readonly assignments: readonly (readonly number[])[];
  readonly configs: ReadonlyArray<readonly [string, string | null]>;
}

/**
 * A Sluice broker: the Kafka listener, the partition logs, and the coordination store holding the cluster's
 * metadata. In a cluster of one it is its own controller: it wins the controller election, assigns every
 * partition to itself and leads it.
 */
export class Broker {
  readonly metrics: BrokerMetrics;
  readonly purgatory = new DelayedFetchPurgatory();
  /** Topics by name, as last written to the store; changed only after the store accepted the change. */
  private readonly topics = new Map<string, StoredTopic>();
  /** This broker's replicas, by topic, index = partition. */
  private readonly partitions = new Map<string, Partition[]>();
  /** AlterConfigs overrides of broker keys, parsed. */
  private dynamicBrokerConfigs = new Map<string, ConfigValue>();
  /** The same overrides as text, as stored (normalised); only values that pass `parseBrokerConfigValue`. */
  private dynamicBrokerConfigText: Record<string, string> = {};
  private producerIdBlock: [bigint, bigint] = [0n, 0n];
  private socketServer: SocketServer | null = null;
  private metricsServer: MetricsServer | null = null;
  private stopping: Promise<void> | null = null;
  /** Effective configs by topic, computed on first use and dropped whenever a topic or broker config changes. */
  private readonly topicConfigCache = new Map<string, EffectiveTopicConfig>();
  /** Topic names with a create or delete in progress, so that two changes to one topic never interleave. */
  private readonly topicLocks = new Map<string, Promise<unknown>>();
  /** Consumer groups (the group coordinator); set at start, once __consumer_offsets exists. */
  private groups: BrokerGroups | null = null;

  private constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
    readonly clusterId: string,
    readonly logManager: LogManager,
    private readonly store: CoordinationStore,
    readonly clusterStore: ClusterStore,
    private readonly session: Session,
    private readonly leadership: Leadership,
    private readonly lock: DataDirectoryLock,
  ) {
    this.metrics = new BrokerMetrics({
      openConnections: () => this.socketServer?.openConnections ?? 0,
      partitions: () => this.partitionGaugeValues(),
    });
  }

  static async start(config: BrokerConfig, logger: Logger): Promise<Broker> {
    const logDir = resolve(config.logDir);
    await mkdir(logDir, { recursive: true });
    const lock = DataDirectoryLock.acquire(logDir);
    const meta = await loadOrCreateMetaProperties(logDir, config.nodeId);
    // The libraries name their own `component` on the logger they are given (coordination-store, session,
    // log-manager, log, group-coordinator): they get this logger, not a child that names one already.
    const store = await EmbeddedStore.open({
      directory: join(logDir, COORDINATION_DIRECTORY_NAME),
      logger,
    });
    const clusterStore = new ClusterStore(store, meta.clusterId);
    const session = await Session.create(store, { ttlMs: COORDINATION_SESSION_TTL_MS, logger });
    await store.put(
      brokerKey(meta.clusterId, config.nodeId),
      Buffer.from(
        JSON.stringify({ host: config.advertisedListener.host, port: config.advertisedListener.port }),
      ),
      { lease: session.leaseId },
    );
    const election = new Election(store, controllerKey(meta.clusterId));
    const leadership = await election.campaign(session, Buffer.from(String(config.nodeId)));
    const broker = new Broker(
      config,
      logger,
      meta.clusterId,
      await LogManager.open({
        logDir,
        defaultConfig: toLogConfig(effectiveTopicConfig({}, config, new Map()).values),
        retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
        flushCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs,
        flushSchedulerIntervalMs: config.logFlushSchedulerIntervalMs,
        foreignDirectoryNames: [COORDINATION_DIRECTORY_NAME],
        logger,
      }),
      store,
      clusterStore,
      session,
      leadership,
      lock,
    );
    session.onExpired(() => {
      logger.error('coordination session expired; shutting down');
      void broker.shutdown();
    });
    await broker.loadMetadata();
    // ---- consumer groups: the offsets topic exists before clients connect; groups load once they may ----
    broker.groups = await BrokerGroups.create(broker);
    await broker.startServers();
    await broker.groups.load();
    // ---- end of consumer groups ----
    return broker;
  }

  private async loadMetadata(): Promise<void> {
    const dynamic = await this.clusterStore.loadBrokerConfigs(this.config.nodeId);
    this.applyDynamicBrokerConfigs(dynamic);
    for (const topic of await this.clusterStore.loadTopics()) {
      this.topics.set(topic.record.name, topic);
      for (const rejected of this.topicConfig(topic.record.name).rejected) {
        this.logger.error(
          { topic: topic.record.name, key: rejected.key, value: topic.record.configs[rejected.key] },
          `ignoring the topic's stored ${rejected.key}: ${rejected.message} Its partitions take the broker's value; an AlterConfigs on the topic replaces it`,
        );
      }
      await this.applyPartitions(topic);
    }
    // Logs on disk without a topic (deleted while the broker was down) are removed.
    for (const log of this.logManager.allLogs()) {
      const topic = this.topics.get(log.topic);
      if (!topic || log.partition >= topic.record.replicas.length) {
        this.logger.info(
          { topic: log.topic, partition: log.partition },
          'deleting a log whose topic is gone',
        );
        await this.logManager.deleteLog(log.topic, log.partition);
      }
    }
    this.logger.info({ topics: this.topics.size, clusterId: this.clusterId }, 'metadata loaded');
  }

  private async startServers(): Promise<void> {
    const handler = createRequestHandler(this);
    this.socketServer = new SocketServer({
      host: this.config.listener.host,
      port: this.config.listener.port,
      maxConnections: this.config.maxConnections,
      maxRequestBytes: this.config.socketRequestMaxBytes,
      maxInFlightRequestsPerConnection: this.config.queuedMaxRequests,
      idleTimeoutMs: this.config.connectionsMaxIdleMs,
      logger: this.logger.child({ component: 'network' }),
      handle: handler,
      onBytesIn: (bytes) => this.metrics.bytesIn.inc({}, bytes),
      onBytesOut: (bytes) => this.metrics.bytesOut.inc({}, bytes),
      onConnectionClosed: (reason) => this.metrics.connectionClosed(reason),
    });
    const address = await this.socketServer.start();
    if (this.config.metricsPort >= 0) {
      this.metricsServer = new MetricsServer(this.metrics, () => this.stopping === null, this.logger);
      const metricsPort = await this.metricsServer.start(this.config.metricsHost, this.config.metricsPort);
      this.logger.info(
        { host: this.config.metricsHost, port: metricsPort },
        'metrics at /metrics, health at /healthz',
      );
    }
    this.logger.info(
      { host: address.host, port: address.port, nodeId: this.config.nodeId, logDir: this.config.logDir },
      'Sluice broker started',
    );
  }

  /** The port the Kafka listener is bound to (useful with port 0). */
  get port(): number {
    return this.socketServer?.port ?? 0;
  }

  get metricsPort(): number {
    return this.metricsServer?.port ?? -1;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  /** The node clients are told about (Metadata). */
  get advertisedNode(): { nodeId: number; host: string; port: number } {
    const port = this.config.advertisedListener.port === 0 ? this.port : this.config.advertisedListener.port;
    return { nodeId: this.config.nodeId, host: this.config.advertisedListener.host, port };
  }

  get controllerId(): number {
    return this.config.nodeId;
  }

  get isShuttingDown(): boolean {
    return this.stopping !== null;
  }

  /** The group coordinator, or null while the broker is starting. */
  get groupCoordinator(): GroupCoordinator | null {
    return this.groups?.coordinator ?? null;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  getTopic(name: string): StoredTopic | undefined {
    return this.topics.get(name);
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(topic)?.[partition];
  }

  /** Topics the broker writes itself (__consumer_offsets): clients may read them but not change them. */
  isInternalTopic(name: string): boolean {
    return name === OFFSETS_TOPIC_NAME;
  }

  private *partitionGaugeValues() {
    for (const [topic, list] of this.partitions) {
      for (const partition of list) {
        yield {
          topic,
          partition: partition.index,
          logEndOffset: partition.log.logEndOffset,
          highWatermark: partition.log.highWatermark,
          logStartOffset: partition.log.logStartOffset,
        };
      }
    }
  }

  // ---- configs ----

  topicConfig(name: string): EffectiveTopicConfig {
    let effective = this.topicConfigCache.get(name);
    if (!effective) {
      const topic = this.topics.get(name);
      effective = effectiveTopicConfig(topic?.record.configs ?? {}, this.config, this.dynamicBrokerConfigs);
      if (topic) this.topicConfigCache.set(name, effective);
    }
    return effective;
  }

  logConfigFor(name: string): LogConfig {
    return toLogConfig(this.topicConfig(name).values);
  }

  minInsyncReplicas(topic: string): number {
    return this.topicConfig(topic).values.get('min.insync.replicas') as number;
  }

  get dynamicBrokerConfigOverrides(): Readonly<Record<string, string>> {
    return this.dynamicBrokerConfigText;
  }

  /**
   * Takes the dynamic broker configs (as stored). A stored value that fails today's check (kept by an older
   * version) is logged and left out: the key keeps its static value.
   */
  private applyDynamicBrokerConfigs(configs: Record<string, string>): void {
    const parsed = new Map<string, ConfigValue>();
    const text: Record<string, string> = {};
    for (const [name, raw] of Object.entries(configs)) {
      const key = brokerConfigKeys.get(name);
      try {
        if (!key?.dynamic) throw new ConfigError(name, `${name} is not a dynamic broker config.`);
        const value = parseBrokerConfigValue(key, raw);
        parsed.set(name, value);
        text[name] = normalizedConfigText(raw, value);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        this.logger.error(
          { key: name, value: raw },
          `ignoring the stored dynamic broker config ${name}: ${error.message} The static value applies; an AlterConfigs on the broker replaces it`,
        );
      }
    }
    this.dynamicBrokerConfigs = parsed;
    this.dynamicBrokerConfigText = text;
    this.topicConfigCache.clear();
  }

  /**
   * AlterConfigs on this broker: replaces the dynamic broker configs (AlterConfigs v0 is not incremental).
   * Throws a ConfigError for a key that is unknown or not dynamic.
   */
  async alterBrokerConfigs(
    entries: ReadonlyArray<readonly [string, string | null]>,
    validateOnly: boolean,
  ): Promise<void> {
    const next: Record<string, string> = {};
    for (const [name, value] of entries) {
      const key = brokerConfigKeys.get(name);
      if (!key) throw new ConfigError(name, `Unknown broker config ${name}.`);
      if (!key.dynamic)
        throw new ConfigError(
          name,
          `${name} cannot be changed while the broker runs; set it in the config file.`,
        );
      if (value === null) continue;
      next[name] = normalizedConfigText(value, parseBrokerConfigValue(key, value));
    }
    if (validateOnly) return;
    await this.clusterStore.saveBrokerConfigs(this.config.nodeId, next);
    this.applyDynamicBrokerConfigs(next);
    for (const name of this.topics.keys()) this.updateLogConfigs(name);
  }

  async alterTopicConfigs(
    name: string,
    entries: ReadonlyArray<readonly [string, string | null]>,
    validateOnly: boolean,
  ): Promise<void> {
    await this.withTopicLock(name, async () => {
      const topic = this.requireTopic(name);
      const configs = validateTopicConfigs(entries.filter(([, value]) => value !== null));
      if (validateOnly) return;
      const record: TopicRecord = { ...topic.record, configs };
      this.topics.set(name, await this.clusterStore.updateTopic(topic, record));
      this.updateLogConfigs(name);
    });
  }

  private updateLogConfigs(name: string): void {
    this.topicConfigCache.delete(name);
    const logConfig = this.logConfigFor(name);
    for (const partition of this.partitions.get(name) ?? []) partition.log.updateConfig(logConfig);
  }

  // ---- topics ----

  private requireTopic(name: string): StoredTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicOrPartitionError(`Topic '${name}' does not exist.`);
    return topic;
  }

  private async withTopicLock<T>(name: string, action: () => Promise<T>): Promise<T> {
    const previous = this.topicLocks.get(name) ?? Promise.resolve();
    const run = previous.then(action, action);
    const settled = run.catch(() => undefined);
    this.topicLocks.set(name, settled);
    try {
      return await run;
    } finally {
      if (this.topicLocks.get(name) === settled) this.topicLocks.delete(name);
    }
  }

  /** Throws InvalidTopicError unless `name` is a topic name Kafka would accept and collides with none. */
  validateTopicName(name: string): void {
    if (name.length === 0) throw new InvalidTopicError('Topic name is empty.');
    if (name === '.' || name === '..') throw new InvalidTopicError(`Topic name cannot be '${name}'.`);
    if (name.length > TOPIC_NAME_MAX_LENGTH) {
      throw new InvalidTopicError(
        `Topic name is ${name.length} characters long; the most is ${TOPIC_NAME_MAX_LENGTH}.`,
      );
    }
    if (!TOPIC_NAME_PATTERN.test(name)) {
      throw new InvalidTopicError(
        `Topic name '${name}' is illegal: it may contain only ASCII letters, digits, '.', '_' and '-'.`,
      );
    }
    const collision = name.replaceAll('.', '_');
    for (const existing of this.topics.keys()) {
      if (existing !== name && existing.replaceAll('.', '_') === collision) {
        throw new InvalidTopicError(
          `Topic '${name}' collides with existing topic '${existing}' ('.' and '_' clash in metric names).`,
        );
      }
    }
  }

  /**
   * Creates a topic: validates everything first (name, counts, assignments, configs), then writes the topic
   * and its partition states in one transaction, then opens the logs. Throws a KafkaError with Kafka's code.
   */
  async createTopic(request: CreateTopicRequest, validateOnly = false): Promise<StoredTopic | null> {
    this.validateTopicName(request.name);
    let replicas: number[][];
    if (request.assignments.length > 0) {
      if (request.numPartitions !== -1 || request.replicationFactor !== -1) {
        throw new InvalidRequestError(
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      replicas = this.checkAssignments(request.assignments, 0);
    } else {
      const numPartitions = request.numPartitions === -1 ? this.config.numPartitions : request.numPartitions;
      const replicationFactor =
        request.replicationFactor === -1 ? this.config.defaultReplicationFactor : request.replicationFactor;
      if (numPartitions <= 0) throw new InvalidPartitionsError('Number of partitions must be larger than 0.');
      if (numPartitions > MAX_PARTITIONS_PER_TOPIC) {
        throw new InvalidPartitionsError(
          `Number of partitions ${numPartitions} is more than the ${MAX_PARTITIONS_PER_TOPIC} a topic may have.`,
        );
      }
      if (replicationFactor <= 0)
        throw new InvalidReplicationFactorError('Replication factor must be larger than 0.');
      const liveBrokers = this.liveBrokerIds();
      if (replicationFactor > liveBrokers.length) {
        throw new InvalidReplicationFactorError(
          `Replication factor: ${replicationFactor} larger than available brokers: ${liveBrokers.length}.`,
        );
      }
      replicas = Array.from({ length: numPartitions }, (_, partition) =>
        Array.from(
          { length: replicationFactor },
          (_, i) => liveBrokers[(partition + i) % liveBrokers.length],
        ),
      );
    }
    let configs: Record<string, string>;
    try {
      configs = validateTopicConfigs(request.configs);
    } catch (error) {
      if (error instanceof ConfigError) throw new InvalidConfigError(error.message);
      throw error;
    }
    if (this.topics.has(request.name))
      throw new TopicAlreadyExistsError(`Topic '${request.name}' already exists.`);
    if (validateOnly) return null;
    return this.withTopicLock(request.name, async () => {
      const record: TopicRecord = { name: request.name, topicId: randomUUID(), replicas, configs };
      const states: PartitionState[] = replicas.map((list) => ({
        leader: list[0],
        leaderEpoch: 0,
        isr: [...list],
        partitionEpoch: 0,
      }));
      const stored = await this.clusterStore.createTopic(record, states);
      this.topics.set(record.name, stored);
      await this.applyPartitions(stored);
      this.logger.info({ topic: record.name, partitions: replicas.length, configs }, 'topic created');
      return stored;
    });
  }

  /** Creates `name` with the defaults if it does not exist (Metadata auto-creation); tolerant of races. */
  async autoCreateTopic(name: string): Promise<void> {
    try {
      await this.createTopic({
        name,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [],
        configs: [],
      });
    } catch (error) {
      if (!(error instanceof TopicAlreadyExistsError)) throw error;
    }
  }

  private liveBrokerIds(): number[] {
    return [this.config.nodeId];
  }

  private checkAssignments(assignments: readonly (readonly number[])[], firstPartition: number): number[][] {
    const live = new Set(this.liveBrokerIds());
    if (assignments.length > MAX_PARTITIONS_PER_TOPIC) {
      throw new InvalidPartitionsError(`At most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic.`);
    }
    const factor = assignments[0]?.length ?? 0;
    return assignments.map((list, i) => {
      const partition = firstPartition + i;
      if (list.length === 0)
        throw new InvalidReplicaAssignmentError(`Partition ${partition} has no replicas.`);
      if (list.length !== factor) {
        throw new InvalidReplicaAssignmentError('All partitions must have the same number of replicas.');
      }
      if (new Set(list).size !== list.length) {
        throw new InvalidReplicaAssignmentError(
          `Partition ${partition} lists a broker twice: ${list.join(',')}.`,
        );
      }
      for (const id of list) {
        if (!live.has(id)) {
          throw new InvalidReplicaAssignmentError(
            `Partition ${partition} names broker ${id}, which is not in the cluster.`,
          );
        }
      }
      return [...list];
    });
  }

  async deleteTopic(name: string): Promise<void> {
    if (!this.config.deleteTopicEnable) {
      throw new TopicDeletionDisabledError('Topic deletion is disabled (delete.topic.enable=false).');
    }
    if (this.isInternalTopic(name))
      throw new InvalidTopicError(`Topic '${name}' is internal and cannot be deleted.`);
    await this.withTopicLock(name, async () => {
      this.requireTopic(name);
      await this.clusterStore.deleteTopic(name);
      this.topics.delete(name);
      this.topicConfigCache.delete(name);
      const list = this.partitions.get(name) ?? [];
      this.partitions.delete(name);
      for (const partition of list) {
        this.purgatory.onPartitionChanged(name, partition.index);
        await this.logManager.deleteLog(name, partition.index);
      }
      this.logger.info({ topic: name }, 'topic deleted');
    });
  }

  /** CreatePartitions: grows a topic to `count` partitions; a count not above today's is INVALID_PARTITIONS. */
  async createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    validateOnly: boolean,
  ): Promise<void> {
    if (this.isInternalTopic(name)) {
      throw new InvalidTopicError(`Topic '${name}' is internal: its partition count cannot change.`);
    }
    await this.withTopicLock(name, async () => {
      const topic = this.requireTopic(name);
      const current = topic.record.replicas.length;
      if (count < current) {
        throw new InvalidPartitionsError(
          `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
        );
      }
      if (count === current) throw new InvalidPartitionsError(`Topic already has ${current} partitions.`);
      if (count > MAX_PARTITIONS_PER_TOPIC) {
        throw new InvalidPartitionsError(`At most ${MAX_PARTITIONS_PER_TOPIC} partitions per topic.`);
      }
      const added = count - current;
      const factor = topic.record.replicas[0].length;
      let replicas: number[][];
      if (assignments && assignments.length > 0) {
        if (assignments.length !== added) {
          throw new InvalidReplicaAssignmentError(
            `Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`,
          );
        }
        replicas = this.checkAssignments(assignments, current);
        if (replicas[0].length !== factor) {
          throw new InvalidReplicaAssignmentError(
            `The topic has replication factor ${factor}; the new assignments have ${replicas[0].length}.`,
          );
        }
      } else {
        const live = this.liveBrokerIds();
        if (factor > live.length) {
          throw new InvalidReplicationFactorError(
            `Replication factor ${factor} larger than available brokers: ${live.length}.`,
          );
        }
        replicas = Array.from({ length: added }, (_, i) =>
          Array.from({ length: factor }, (_, r) => live[(current + i + r) % live.length]),
        );
      }
      if (validateOnly) return;
      const record: TopicRecord = { ...topic.record, replicas: [...topic.record.replicas, ...replicas] };
      const states = replicas.map((list) => ({
        leader: list[0],
        leaderEpoch: 0,
        isr: [...list],
        partitionEpoch: 0,
      }));
      const stored = await this.clusterStore.updateTopic(topic, record, states);
      this.topics.set(name, stored);
      await this.applyPartitions(stored);
      this.logger.info({ topic: name, from: current, to: count }, 'partitions added');
    });
  }

  /** Opens a log for every partition this broker hosts and applies its state. */
  private async applyPartitions(topic: StoredTopic): Promise<void> {
    const name = topic.record.name;
    const logConfig = this.logConfigFor(name);
    const list = this.partitions.get(name) ?? [];
    for (let index = 0; index < topic.partitions.length; index++) {
      const state = topic.partitions[index];
      if (!topic.record.replicas[index].includes(this.config.nodeId)) continue;
      const existing = list[index];
      if (existing) {
        existing.applyState(state);
        continue;
      }
      const log = await this.logManager.getOrCreateLog(name, index, logConfig);
      list[index] = new Partition(name, index, log, state, this.config.nodeId, (partition, bytes) =>
        this.purgatory.onAppend(partition.topic, partition.index, bytes),
      );
    }
    this.partitions.set(name, list);
  }

  // ---- producers ----

  /** A new producer id for InitProducerId, from a block reserved in the store. */
  async allocateProducerId(): Promise<bigint> {
    if (this.producerIdBlock[0] >= this.producerIdBlock[1]) {
      this.producerIdBlock = await this.clusterStore.allocateProducerIdBlock();
    }
    const id = this.producerIdBlock[0];
    this.producerIdBlock = [id + 1n, this.producerIdBlock[1]];
    return id;
  }

  // ---- lifecycle ----

  /**
   * Clean shutdown: stop accepting, answer what is in progress (waiting fetches answer at once), flush and
   * close every log, write the checkpoints and the clean-shutdown marker, close the store.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    this.logger.info('shutting down');
    const stopped = this.socketServer?.stop(this.config.shutdownTimeoutMs);
    this.purgatory.completeAll();
    // Waiting JoinGroup and SyncGroup requests are answered (NOT_COORDINATOR) so that connections drain.
    this.groups?.shutdown();
    await stopped;
    await this.metricsServer?.stop();
    await this.logManager.shutdown();
    await this.leadership.resign().catch(() => undefined);
    await this.session.close().catch(() => undefined);
    await this.store.close();
    this.lock.release();
    this.logger.info('shut down cleanly');
  }
}
