import { Limits, type LogConfig, validateLogConfig } from '@sluice/log';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import type { BrokerConfig } from './broker-config.js';
import {
  ConfigError,
  type ConfigKey,
  type ConfigValue,
  keyTable,
  normalizedConfigText,
  parseConfigValue,
} from './config-definition.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** The policies of cleanup.policy, in the order of its normalised form (`compact,delete`, as the log takes it). */
export const CLEANUP_POLICIES = ['compact', 'delete'] as const;

/** A topic config key and the broker key whose value is its default (its synonym, in Kafka's words). */
export interface TopicConfigKey extends ConfigKey {
  readonly brokerSynonym: string | null;
}

/** Smallest segment.index.bytes the log takes: room for one time index entry (12 bytes). */
export const SEGMENT_INDEX_MIN_BYTES = 12;

/**
 * The topic-level configs Sluice implements, by Kafka's names. The bounds of the keys that shape a partition
 * log are the log's own (`Limits` of @sluice/log), so that a value accepted here is one the log takes.
 */
export const TOPIC_CONFIG_KEYS: readonly TopicConfigKey[] = [
  {
    name: 'cleanup.policy',
    type: 'list',
    defaultValue: ['delete'],
    allowedItems: CLEANUP_POLICIES,
    brokerSynonym: 'log.cleanup.policy',
    doc: 'delete, compact, or both (in either order)',
  },
  {
    name: 'retention.ms',
    type: 'long',
    defaultValue: 604800000,
    range: [-1, MAX],
    brokerSynonym: 'log.retention.ms',
    doc: 'How long to keep a segment; -1 forever.',
  },
  {
    name: 'retention.bytes',
    type: 'long',
    defaultValue: -1,
    range: [-1, MAX],
    brokerSynonym: 'log.retention.bytes',
    doc: 'Bytes to keep per partition; -1 no limit.',
  },
  {
    name: 'segment.bytes',
    type: 'int',
    defaultValue: 1073741824,
    range: [14, Limits.MAX_SEGMENT_BYTES],
    brokerSynonym: 'log.segment.bytes',
    doc: 'Segment size before rolling.',
  },
  {
    name: 'segment.ms',
    type: 'long',
    defaultValue: 604800000,
    range: [1, MAX],
    brokerSynonym: 'log.roll.ms',
    doc: 'Time before rolling a segment.',
  },
  {
    name: 'segment.index.bytes',
    type: 'int',
    defaultValue: 10485760,
    range: [SEGMENT_INDEX_MIN_BYTES, Limits.MAX_SEGMENT_INDEX_BYTES],
    brokerSynonym: 'log.index.size.max.bytes',
    doc: 'Offset index size.',
  },
  {
    name: 'index.interval.bytes',
    type: 'int',
    defaultValue: 4096,
    range: [0, Limits.MAX_SEGMENT_BYTES],
    brokerSynonym: 'log.index.interval.bytes',
    doc: 'Bytes between index entries.',
  },
  {
    name: 'max.message.bytes',
    type: 'int',
    defaultValue: 1048588,
    range: [0, Limits.MAX_BATCH_BYTES],
    brokerSynonym: 'message.max.bytes',
    doc: 'Largest record batch.',
  },
  {
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    allowed: ['CreateTime', 'LogAppendTime'],
    brokerSynonym: 'log.message.timestamp.type',
    doc: 'CreateTime or LogAppendTime.',
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: MAX,
    range: [0, MAX],
    brokerSynonym: 'log.message.timestamp.before.max.ms',
    doc: 'Oldest CreateTime accepted, relative to now.',
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: MAX,
    range: [0, MAX],
    brokerSynonym: 'log.message.timestamp.after.max.ms',
    doc: 'Newest CreateTime accepted, relative to now.',
  },
  {
    name: 'flush.messages',
    type: 'long',
    defaultValue: MAX,
    range: [1, MAX],
    brokerSynonym: 'log.flush.interval.messages',
    doc: 'Messages between fsyncs; 1 flushes before acknowledging.',
  },
  {
    name: 'flush.ms',
    type: 'long',
    defaultValue: MAX,
    range: [0, MAX],
    brokerSynonym: 'log.flush.interval.ms',
    doc: 'Milliseconds between fsyncs.',
  },
  {
    name: 'file.delete.delay.ms',
    type: 'long',
    defaultValue: 60000,
    range: [0, MAX],
    brokerSynonym: 'log.segment.delete.delay.ms',
    doc: 'Delay before deleting a segment file.',
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: 1,
    range: [1, 2 ** 31 - 1],
    brokerSynonym: 'min.insync.replicas',
    doc: 'Replicas that must acknowledge acks=all.',
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: false,
    brokerSynonym: 'unclean.leader.election.enable',
    doc: 'Allow a leader from outside the ISR.',
  },
  {
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    allowed: ['producer'],
    brokerSynonym: null,
    doc: 'Sluice keeps every batch as the producer compressed it: only producer is accepted.',
  },
];

export const topicConfigKeys = keyTable(TOPIC_CONFIG_KEYS) as ReadonlyMap<string, TopicConfigKey>;

/** Topic configs as stored: Kafka key → its text, normalised (`normalizedConfigText`). */
export type TopicConfigOverrides = Readonly<Record<string, string>>;

/** Each topic key's default, from the key table: the base of `assertLogAccepts`. */
const TOPIC_KEY_DEFAULTS: ReadonlyMap<string, ConfigValue> = new Map(
  TOPIC_CONFIG_KEYS.map((key) => [key.name, key.defaultValue]),
);

/**
 * Hands one topic key's parsed value to the log's own validation (`validateLogConfig` of @sluice/log), every
 * other key at its default: the last word on values that shape a partition log. Throws a ConfigError naming
 * `reportedName` (the topic key, or the broker key that is its synonym) when the log would refuse it.
 */
export function assertLogAccepts(topicKeyName: string, value: ConfigValue, reportedName: string): void {
  const values = new Map(TOPIC_KEY_DEFAULTS);
  values.set(topicKeyName, value);
  try {
    validateLogConfig(toLogConfig(values));
  } catch (error) {
    if (KafkaError.isInstance(error) && error.code === ErrorCode.INVALID_CONFIG) {
      throw new ConfigError(reportedName, `Invalid value for ${reportedName}: ${error.message}.`);
    }
    throw error;
  }
}

/**
 * The one check of a topic config value, wherever it comes from: CreateTopics (validate_only too), AlterConfigs
 * on a topic, and the overrides read back from the store. Returns the parsed value and the text to store;
 * throws a ConfigError naming the key and what it accepts.
 */
export function parseTopicConfigValue(
  name: string,
  raw: string | null,
): { value: ConfigValue; text: string } {
  const key = topicConfigKeys.get(name);
  if (!key) {
    throw new ConfigError(
      name,
      `Unknown topic config ${name}. Known: ${[...topicConfigKeys.keys()].sort().join(', ')}.`,
    );
  }
  if (raw === null) throw new ConfigError(name, `Topic config ${name} needs a value.`);
  const value = parseConfigValue(key, raw);
  assertLogAccepts(name, value, name);
  return { value, text: normalizedConfigText(raw, value) };
}

/** The topic key whose default `brokerKeyName` is, or undefined when it is no topic key's synonym. */
export function topicKeyOfBrokerSynonym(brokerKeyName: string): TopicConfigKey | undefined {
  return TOPIC_CONFIG_KEYS.find((key) => key.brokerSynonym === brokerKeyName);
}

/**
 * Checks user-given topic configs before anything is stored; returns them normalised, ready to store. Throws a
 * ConfigError (→ INVALID_CONFIG) naming the first bad key and the rule.
 */
export function validateTopicConfigs(
  entries: Iterable<readonly [string, string | null]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of entries) out[name] = parseTopicConfigValue(name, raw).text;
  return out;
}

/** The broker's value of each topic key's synonym: the topic default. `dynamic` holds AlterConfigs overrides. */
export function brokerTopicDefaults(
  config: BrokerConfig,
  dynamic: ReadonlyMap<string, ConfigValue> = new Map(),
): Map<string, ConfigValue> {
  const byBrokerKey: Record<string, ConfigValue> = {
    'log.cleanup.policy': config.logCleanupPolicy.split(','),
    'log.retention.ms': config.logRetentionMs,
    'log.retention.bytes': config.logRetentionBytes,
    'log.segment.bytes': config.logSegmentBytes,
    'log.roll.ms': config.logRollMs,
    'log.index.size.max.bytes': config.logIndexSizeMaxBytes,
    'log.index.interval.bytes': config.logIndexIntervalBytes,
    'message.max.bytes': config.messageMaxBytes,
    'log.message.timestamp.type': config.logMessageTimestampType,
    'log.message.timestamp.before.max.ms': config.logMessageTimestampBeforeMaxMs,
    'log.message.timestamp.after.max.ms': config.logMessageTimestampAfterMaxMs,
    'log.flush.interval.messages': config.logFlushIntervalMessages,
    'log.flush.interval.ms': config.logFlushIntervalMs,
    'log.segment.delete.delay.ms': config.logSegmentDeleteDelayMs,
    'min.insync.replicas': config.minInsyncReplicas,
    'unclean.leader.election.enable': config.uncleanLeaderElectionEnable,
  };
  const defaults = new Map<string, ConfigValue>();
  for (const key of TOPIC_CONFIG_KEYS) {
    const synonym = key.brokerSynonym;
    if (synonym === null) defaults.set(key.name, key.defaultValue);
    else defaults.set(key.name, dynamic.get(synonym) ?? byBrokerKey[synonym] ?? key.defaultValue);
  }
  return defaults;
}

/** Where a topic config's effective value comes from (DescribeConfigs v1 config_source). */
export type ConfigSource = 'topic' | 'dynamicBroker' | 'staticBroker' | 'default';

export interface EffectiveTopicConfig {
  readonly values: ReadonlyMap<string, ConfigValue>;
  readonly sources: ReadonlyMap<string, ConfigSource>;
  /**
   * Stored overrides that fail today's check (kept by an older version): each is left out, its key takes the
   * broker's value, and the broker reports it at start.
   */
  readonly rejected: readonly ConfigError[];
}

export function effectiveTopicConfig(
  overrides: TopicConfigOverrides,
  config: BrokerConfig,
  dynamic: ReadonlyMap<string, ConfigValue>,
): EffectiveTopicConfig {
  const defaults = brokerTopicDefaults(config, dynamic);
  const values = new Map<string, ConfigValue>();
  const sources = new Map<string, ConfigSource>();
  const rejected: ConfigError[] = [];
  for (const key of TOPIC_CONFIG_KEYS) {
    const override = overrides[key.name];
    if (override !== undefined) {
      try {
        values.set(key.name, parseTopicConfigValue(key.name, override).value);
        sources.set(key.name, 'topic');
        continue;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        rejected.push(error);
      }
    }
    values.set(key.name, defaults.get(key.name)!);
    const synonym = key.brokerSynonym;
    sources.set(
      key.name,
      synonym !== null && dynamic.has(synonym)
        ? 'dynamicBroker'
        : synonym !== null && isExplicitBrokerKey(config, synonym)
          ? 'staticBroker'
          : 'default',
    );
  }
  return { values, sources, rejected };
}

/** Broker keys that feed a synonym; retention and roll also come from their hour and minute forms. */
function isExplicitBrokerKey(config: BrokerConfig, brokerKey: string): boolean {
  const forms: Record<string, string[]> = {
    'log.retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
    'log.roll.ms': ['log.roll.ms', 'log.roll.hours'],
  };
  return (forms[brokerKey] ?? [brokerKey]).some((name) => config.explicit.has(name));
}

export function toLogConfig(values: ReadonlyMap<string, ConfigValue>): LogConfig {
  const number = (name: string) => values.get(name) as number;
  return {
    segmentBytes: number('segment.bytes'),
    segmentMs: number('segment.ms'),
    segmentIndexBytes: number('segment.index.bytes'),
    indexIntervalBytes: number('index.interval.bytes'),
    maxMessageBytes: number('max.message.bytes'),
    messageTimestampType: values.get('message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    messageTimestampBeforeMaxMs: number('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: number('message.timestamp.after.max.ms'),
    flushMessages: number('flush.messages'),
    flushMs: number('flush.ms'),
    retentionMs: number('retention.ms'),
    retentionBytes: number('retention.bytes'),
    cleanupPolicy: (values.get('cleanup.policy') as string[]).join(',') as LogConfig['cleanupPolicy'],
    fileDeleteDelayMs: number('file.delete.delay.ms'),
  };
}
