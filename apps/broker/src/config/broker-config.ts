import { Limits, validateLogConfig } from '@sluice/log';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import {
  ConfigError,
  type ConfigKey,
  type ConfigValue,
  describeAllowed,
  keyTable,
  parseConfigValue,
} from './config-definition.js';
import {
  assertLogAccepts,
  brokerTopicDefaults,
  CLEANUP_POLICIES,
  SEGMENT_INDEX_MIN_BYTES,
  toLogConfig,
  topicKeyOfBrokerSynonym,
} from './topic-config.js';

const MAX = Number.MAX_SAFE_INTEGER;
const POSITIVE_INT: [number, number] = [1, 2 ** 31 - 1];
const NON_NEGATIVE_LONG: [number, number] = [0, MAX];

/**
 * The broker's config keys: Kafka's names, defaults and bounds, for the subset Sluice implements, plus a few
 * of Sluice's own (metrics.port, coordination.backend). Unknown keys stop the broker at start.
 */
export const BROKER_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'node.id', type: 'int', defaultValue: 1, range: [0, 2 ** 31 - 1], doc: 'The id of this broker.' },
  { name: 'broker.id', type: 'int', defaultValue: null, range: [0, 2 ** 31 - 1], doc: 'Alias of node.id.' },
  {
    name: 'listeners',
    type: 'list',
    defaultValue: ['PLAINTEXT://127.0.0.1:9092'],
    doc: 'Where to listen, as PLAINTEXT://host:port (one listener).',
  },
  {
    name: 'advertised.listeners',
    type: 'list',
    defaultValue: null,
    doc: 'What Metadata tells clients to connect to; defaults to listeners.',
  },
  {
    name: 'log.dirs',
    type: 'list',
    defaultValue: null,
    doc: 'The data directory (one). Defaults to log.dir.',
  },
  {
    name: 'log.dir',
    type: 'string',
    defaultValue: './data',
    doc: 'The data directory when log.dirs is unset.',
  },
  {
    name: 'num.partitions',
    type: 'int',
    defaultValue: 1,
    range: POSITIVE_INT,
    doc: 'Partitions of auto-created topics and CreateTopics without a count.',
  },
  {
    name: 'default.replication.factor',
    type: 'int',
    defaultValue: 1,
    range: [1, 32767],
    doc: 'Replication factor of auto-created topics.',
  },
  {
    name: 'auto.create.topics.enable',
    type: 'boolean',
    defaultValue: true,
    doc: 'Create a topic when Metadata asks for one that does not exist.',
  },
  { name: 'delete.topic.enable', type: 'boolean', defaultValue: true, doc: 'Allow DeleteTopics.' },
  {
    name: 'log.retention.hours',
    type: 'int',
    defaultValue: 168,
    doc: 'Hours to keep a log segment (lowest priority of the three).',
    dynamic: false,
  },
  {
    name: 'log.retention.minutes',
    type: 'int',
    defaultValue: null,
    doc: 'Minutes to keep a log segment (wins over hours).',
  },
  {
    name: 'log.retention.ms',
    type: 'long',
    defaultValue: null,
    range: [-1, MAX],
    doc: 'Milliseconds to keep a log segment (wins over minutes); -1 keeps forever.',
    dynamic: true,
  },
  {
    name: 'log.retention.bytes',
    type: 'long',
    defaultValue: -1,
    range: [-1, MAX],
    doc: 'Bytes to keep per partition; -1 for no limit.',
    dynamic: true,
  },
  {
    name: 'log.retention.check.interval.ms',
    type: 'long',
    defaultValue: 300000,
    range: [1, MAX],
    doc: 'How often retention runs.',
  },
  {
    name: 'log.segment.bytes',
    type: 'int',
    defaultValue: 1073741824,
    range: [14, Limits.MAX_SEGMENT_BYTES],
    doc: 'Segment size before rolling.',
    dynamic: true,
  },
  {
    name: 'log.roll.hours',
    type: 'int',
    defaultValue: 168,
    range: POSITIVE_INT,
    doc: 'Hours before rolling a segment.',
  },
  {
    name: 'log.roll.ms',
    type: 'long',
    defaultValue: null,
    range: [1, MAX],
    doc: 'Milliseconds before rolling a segment (wins over hours).',
    dynamic: true,
  },
  {
    name: 'log.index.size.max.bytes',
    type: 'int',
    defaultValue: 10485760,
    range: [SEGMENT_INDEX_MIN_BYTES, Limits.MAX_SEGMENT_INDEX_BYTES],
    doc: 'Offset index size; a full index rolls the segment.',
    dynamic: true,
  },
  {
    name: 'log.index.interval.bytes',
    type: 'int',
    defaultValue: 4096,
    range: [0, Limits.MAX_SEGMENT_BYTES],
    doc: 'Bytes between offset index entries.',
    dynamic: true,
  },
  {
    name: 'log.flush.interval.messages',
    type: 'long',
    defaultValue: MAX,
    range: [1, MAX],
    doc: 'Messages appended before an fsync; 1 flushes before every acknowledgement.',
    dynamic: true,
  },
  {
    name: 'log.flush.interval.ms',
    type: 'long',
    defaultValue: null,
    range: [0, MAX],
    doc: 'Milliseconds between fsyncs of a log (default: never, the OS decides).',
    dynamic: true,
  },
  {
    name: 'log.flush.scheduler.interval.ms',
    type: 'long',
    defaultValue: MAX,
    range: [1, MAX],
    doc: 'How often logs are checked for log.flush.interval.ms.',
  },
  {
    name: 'log.flush.offset.checkpoint.interval.ms',
    type: 'int',
    defaultValue: 60000,
    range: [0, 2 ** 31 - 1],
    doc: 'How often recovery points are checkpointed.',
  },
  {
    name: 'log.segment.delete.delay.ms',
    type: 'long',
    defaultValue: 60000,
    range: NON_NEGATIVE_LONG,
    doc: 'Delay before a deleted segment file is removed.',
    dynamic: true,
  },
  {
    name: 'log.cleanup.policy',
    type: 'list',
    defaultValue: ['delete'],
    allowedItems: CLEANUP_POLICIES,
    doc: 'delete, compact, or both (in either order); nothing is compacted yet.',
    dynamic: true,
  },
  {
    name: 'log.message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    allowed: ['CreateTime', 'LogAppendTime'],
    doc: 'Timestamps from the producer, or the broker’s clock.',
    dynamic: true,
  },
  {
    name: 'log.message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: MAX,
    range: NON_NEGATIVE_LONG,
    doc: 'How far in the past a CreateTime timestamp may be.',
    dynamic: true,
  },
  {
    name: 'log.message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: MAX,
    range: NON_NEGATIVE_LONG,
    doc: 'How far in the future a CreateTime timestamp may be.',
    dynamic: true,
  },
  {
    name: 'message.max.bytes',
    type: 'int',
    defaultValue: 1048588,
    range: [0, Limits.MAX_BATCH_BYTES],
    doc: 'Largest record batch accepted.',
    dynamic: true,
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: 1,
    range: POSITIVE_INT,
    doc: 'Replicas that must acknowledge an acks=all produce.',
    dynamic: true,
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: false,
    doc: 'Elect a replica out of the ISR when no ISR member is left.',
    dynamic: true,
  },
  {
    name: 'socket.request.max.bytes',
    type: 'int',
    defaultValue: 104857600,
    range: [1, 2 ** 31 - 1],
    doc: 'Largest request frame; larger ones close the connection before any allocation.',
  },
  {
    name: 'connections.max.idle.ms',
    type: 'long',
    defaultValue: 600000,
    range: [1, MAX],
    doc: 'Idle connections are closed after this long.',
  },
  {
    name: 'max.connections',
    type: 'int',
    defaultValue: 2147483647,
    range: [0, 2 ** 31 - 1],
    doc: 'Most client connections at once; more are refused.',
  },
  {
    name: 'queued.max.requests',
    type: 'int',
    defaultValue: 500,
    range: POSITIVE_INT,
    doc: 'Requests in progress per connection before the broker stops reading from it.',
  },
  {
    name: 'metrics.port',
    type: 'int',
    defaultValue: 9404,
    range: [-1, 65535],
    doc: 'HTTP port for /metrics (Prometheus) and /healthz; -1 turns it off.',
  },
  {
    name: 'metrics.host',
    type: 'string',
    defaultValue: '127.0.0.1',
    doc: 'Address the metrics port binds to.',
  },
  {
    name: 'coordination.backend',
    type: 'string',
    defaultValue: 'embedded',
    allowed: ['embedded'],
    doc: 'The coordination store: embedded (in-process, under log.dirs).',
  },
  // ---- consumer groups (the group coordinator and the offsets topic) ----
  {
    name: 'offsets.topic.num.partitions',
    type: 'int',
    defaultValue: 50,
    range: [1, 10_000],
    doc: 'Partitions of __consumer_offsets when the broker creates it (later changes do not move groups).',
  },
  {
    name: 'offsets.topic.replication.factor',
    type: 'int',
    defaultValue: 3,
    range: [1, 32767],
    doc: 'Replication factor of __consumer_offsets; lowered to the brokers available when it is created.',
  },
  {
    name: 'offsets.retention.minutes',
    type: 'int',
    defaultValue: 10080,
    range: POSITIVE_INT,
    doc: 'How long committed offsets are kept once their group is empty (or, for a standalone consumer, after the commit).',
  },
  {
    name: 'offsets.retention.check.interval.ms',
    type: 'long',
    defaultValue: 600000,
    range: [1, MAX],
    doc: 'How often expired offsets are looked for.',
  },
  {
    name: 'group.min.session.timeout.ms',
    type: 'int',
    defaultValue: 6000,
    range: [0, 2 ** 31 - 1],
    doc: 'Shortest session.timeout.ms a group member may ask for.',
  },
  {
    name: 'group.max.session.timeout.ms',
    type: 'int',
    defaultValue: 1800000,
    range: [0, 2 ** 31 - 1],
    doc: 'Longest session.timeout.ms a group member may ask for.',
  },
  {
    name: 'group.initial.rebalance.delay.ms',
    type: 'int',
    defaultValue: 3000,
    range: [0, 2 ** 31 - 1],
    doc: 'How long the first rebalance of an empty group waits for more members to join.',
  },
  {
    name: 'group.max.size',
    type: 'int',
    defaultValue: 2147483647,
    range: POSITIVE_INT,
    doc: 'Most members in one group (Sluice caps it at 10000 whatever this says).',
  },
  // ---- end of consumer groups ----
  {
    name: 'shutdown.timeout.ms',
    type: 'long',
    defaultValue: 30000,
    range: [0, MAX],
    doc: 'How long a clean shutdown waits for in-flight requests.',
  },
];

export const brokerConfigKeys = keyTable(BROKER_CONFIG_KEYS);

/** Typed broker config, after defaults and derivations. */
export interface BrokerConfig {
  nodeId: number;
  listener: { host: string; port: number };
  advertisedListener: { host: string; port: number };
  logDir: string;
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  logRetentionMs: number;
  logRetentionBytes: number;
  logRetentionCheckIntervalMs: number;
  logSegmentBytes: number;
  logRollMs: number;
  logIndexSizeMaxBytes: number;
  logIndexIntervalBytes: number;
  logFlushIntervalMessages: number;
  logFlushIntervalMs: number;
  logFlushSchedulerIntervalMs: number;
  logFlushOffsetCheckpointIntervalMs: number;
  logSegmentDeleteDelayMs: number;
  logCleanupPolicy: string;
  logMessageTimestampType: 'CreateTime' | 'LogAppendTime';
  logMessageTimestampBeforeMaxMs: number;
  logMessageTimestampAfterMaxMs: number;
  messageMaxBytes: number;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
  socketRequestMaxBytes: number;
  connectionsMaxIdleMs: number;
  maxConnections: number;
  queuedMaxRequests: number;
  metricsPort: number;
  metricsHost: string;
  shutdownTimeoutMs: number;
  // ---- consumer groups ----
  offsetsTopicNumPartitions: number;
  offsetsTopicReplicationFactor: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupInitialRebalanceDelayMs: number;
  groupMaxSize: number;
  // ---- end of consumer groups ----
  /** Every key as given (file, then --set), for DescribeConfigs. */
  readonly explicit: ReadonlyMap<string, string>;
}

/**
 * The one check of a broker config value, wherever it comes from: the config file, the flags and `--set`,
 * AlterConfigs on the broker, and the dynamic values read back from the store. A key that is the synonym of a
 * topic key (the topics' default) also goes through the log's own validation. Throws a ConfigError naming the
 * key and what it accepts.
 */
export function parseBrokerConfigValue(key: ConfigKey, raw: string): ConfigValue {
  const value = parseConfigValue(key, raw);
  const topicKey = topicKeyOfBrokerSynonym(key.name);
  if (topicKey !== undefined) assertLogAccepts(topicKey.name, value, key.name);
  return value;
}

/** Parses the raw key/value pairs; throws a ConfigError for an unknown key or a bad value. */
export function parseBrokerProperties(raw: ReadonlyMap<string, string>): Map<string, ConfigValue> {
  const values = new Map<string, ConfigValue>();
  for (const [name, text] of raw) {
    const key = brokerConfigKeys.get(name);
    if (!key) {
      throw new ConfigError(
        name,
        `Unknown config ${name}. Known keys: ${[...brokerConfigKeys.keys()].sort().join(', ')}.`,
      );
    }
    values.set(name, parseBrokerConfigValue(key, text));
  }
  return values;
}

function parseListener(name: string, text: string): { host: string; port: number } {
  const match = /^(?:([A-Za-z_][A-Za-z0-9_]*):\/\/)?(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(text);
  if (!match || (match[1] !== undefined && match[1] !== 'PLAINTEXT')) {
    throw new ConfigError(
      name,
      `Invalid value ${JSON.stringify(text)} for ${name}: must be PLAINTEXT://host:port.`,
    );
  }
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(name, `Invalid port ${port} in ${name}: must be 0-65535.`);
  return { host: match[2].replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

/** Builds the typed config from parsed values, applying Kafka's defaults and precedence rules. */
export function resolveBrokerConfig(raw: ReadonlyMap<string, string>): BrokerConfig {
  const values = parseBrokerProperties(raw);
  const get = <T extends ConfigValue>(name: string): T => {
    if (values.has(name)) return values.get(name) as T;
    const key = brokerConfigKeys.get(name);
    if (!key) throw new Error(`no config key ${name}`);
    return key.defaultValue as T;
  };
  const single = (name: string, list: string[] | null): string | null => {
    if (list === null) return null;
    if (list.length !== 1) {
      throw new ConfigError(
        name,
        `${name} must name exactly one entry (got ${list.length}); Sluice serves one.`,
      );
    }
    return list[0];
  };
  const listener = parseListener('listeners', single('listeners', get<string[]>('listeners'))!);
  const advertisedText = single('advertised.listeners', get<string[] | null>('advertised.listeners'));
  const advertised = advertisedText ? parseListener('advertised.listeners', advertisedText) : { ...listener };
  if (advertised.host === '0.0.0.0' || advertised.host === '::') {
    throw new ConfigError(
      'advertised.listeners',
      `advertised.listeners must name a host clients can reach, not ${advertised.host}; set it when listeners binds every address.`,
    );
  }
  const logDirs = get<string[] | null>('log.dirs');
  const logDir = single('log.dirs', logDirs) ?? get<string>('log.dir');
  const nodeId =
    values.has('broker.id') && !values.has('node.id') ? get<number>('broker.id') : get<number>('node.id');
  if (values.has('broker.id') && values.has('node.id') && get('broker.id') !== get('node.id')) {
    throw new ConfigError('broker.id', 'broker.id and node.id disagree; set only node.id.');
  }
  const retentionMs =
    get<number | null>('log.retention.ms') ??
    (get<number | null>('log.retention.minutes') !== null
      ? get<number>('log.retention.minutes') * 60_000
      : get<number>('log.retention.hours') * 3_600_000);
  const cleanupPolicy = get<string[]>('log.cleanup.policy');
  // ---- consumer groups ----
  if (get<number>('group.min.session.timeout.ms') > get<number>('group.max.session.timeout.ms')) {
    throw new ConfigError(
      'group.min.session.timeout.ms',
      `group.min.session.timeout.ms (${get('group.min.session.timeout.ms')}) is above group.max.session.timeout.ms (${get('group.max.session.timeout.ms')}).`,
    );
  }
  // ---- end of consumer groups ----
  const config: BrokerConfig = {
    nodeId,
    listener,
    advertisedListener: advertised,
    logDir,
    numPartitions: get('num.partitions'),
    defaultReplicationFactor: get('default.replication.factor'),
    autoCreateTopicsEnable: get('auto.create.topics.enable'),
    deleteTopicEnable: get('delete.topic.enable'),
    logRetentionMs: retentionMs < 0 ? -1 : retentionMs,
    logRetentionBytes: get('log.retention.bytes'),
    logRetentionCheckIntervalMs: get('log.retention.check.interval.ms'),
    logSegmentBytes: get('log.segment.bytes'),
    logRollMs: get<number | null>('log.roll.ms') ?? get<number>('log.roll.hours') * 3_600_000,
    logIndexSizeMaxBytes: get('log.index.size.max.bytes'),
    logIndexIntervalBytes: get('log.index.interval.bytes'),
    logFlushIntervalMessages: get('log.flush.interval.messages'),
    logFlushIntervalMs: get<number | null>('log.flush.interval.ms') ?? MAX,
    logFlushSchedulerIntervalMs: get('log.flush.scheduler.interval.ms'),
    logFlushOffsetCheckpointIntervalMs: get('log.flush.offset.checkpoint.interval.ms'),
    logSegmentDeleteDelayMs: get('log.segment.delete.delay.ms'),
    logCleanupPolicy: cleanupPolicy.join(','),
    logMessageTimestampType: get('log.message.timestamp.type'),
    logMessageTimestampBeforeMaxMs: get('log.message.timestamp.before.max.ms'),
    logMessageTimestampAfterMaxMs: get('log.message.timestamp.after.max.ms'),
    messageMaxBytes: get('message.max.bytes'),
    minInsyncReplicas: get('min.insync.replicas'),
    uncleanLeaderElectionEnable: get('unclean.leader.election.enable'),
    socketRequestMaxBytes: get('socket.request.max.bytes'),
    connectionsMaxIdleMs: get('connections.max.idle.ms'),
    maxConnections: get('max.connections'),
    queuedMaxRequests: get('queued.max.requests'),
    metricsPort: get('metrics.port'),
    metricsHost: get('metrics.host'),
    shutdownTimeoutMs: get('shutdown.timeout.ms'),
    // ---- consumer groups ----
    offsetsTopicNumPartitions: get('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: get('offsets.topic.replication.factor'),
    offsetsRetentionMs: get<number>('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: get('offsets.retention.check.interval.ms'),
    groupMinSessionTimeoutMs: get('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: get('group.max.session.timeout.ms'),
    groupInitialRebalanceDelayMs: get('group.initial.rebalance.delay.ms'),
    groupMaxSize: get('group.max.size'),
    // ---- end of consumer groups ----
    explicit: raw,
  };
  assertDefaultLogConfigValid(config);
  return config;
}

/**
 * The topics' defaults as the log will get them, through the log's own validation. Each synonym was already
 * checked on its own; this also covers the values derived from other keys (retention and roll from hours or
 * minutes), so that a config the log would refuse stops the start here (exit code 2), not when logs open.
 */
function assertDefaultLogConfigValid(config: BrokerConfig): void {
  try {
    validateLogConfig(toLogConfig(brokerTopicDefaults(config)));
  } catch (error) {
    if (KafkaError.isInstance(error) && error.code === ErrorCode.INVALID_CONFIG) {
      throw new ConfigError('log', `The topics' default log config is invalid: ${error.message}.`);
    }
    throw error;
  }
}

export { ConfigError, describeAllowed };
