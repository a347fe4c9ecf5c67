import { InvalidConfigError } from '@sluice/protocol';
import { Limits } from './limits.js';

/**
 * The topic configs that shape a partition log, under Kafka's names (the dotted key is on each field).
 * Kafka's "never" (Long.MAX_VALUE) becomes Number.MAX_SAFE_INTEGER.
 */
export interface LogConfig {
  /** segment.bytes: roll a new segment when the active one would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this (by batch timestamps). */
  segmentMs: number;
  /** segment.index.bytes: size of a segment's offset index; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of batches between two sparse index entries. */
  indexIntervalBytes: number;
  /** max.message.bytes: largest record batch a producer may append. */
  maxMessageBytes: number;
  /** message.timestamp.type: keep the producer's timestamps, or stamp the broker's clock. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be. */
  messageTimestampAfterMaxMs: number;
  /** flush.messages: fsync after this many records (1 = before acknowledging each append). */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed data is this old (enforced by the LogManager). */
  flushMs: number;
  /** retention.ms: delete segments whose newest batch is older than this; -1 = unlimited. */
  retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is larger than this; -1 = unlimited. */
  retentionBytes: number;
  /** cleanup.policy: only `delete` acts today; `compact` requires keys on appended records. */
  cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  /** file.delete.delay.ms: how long a deleted segment's files stay (renamed `.deleted`) before removal. */
  fileDeleteDelayMs: number;
}

/** Kafka's "never": Long.MAX_VALUE in Kafka, the largest safe integer here. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** Kafka's defaults. */
export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  segmentIndexBytes: 10_485_760,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1_048_588,
  messageTimestampType: 'CreateTime',
  messageTimestampBeforeMaxMs: NEVER,
  messageTimestampAfterMaxMs: NEVER,
  flushMessages: NEVER,
  flushMs: NEVER,
  retentionMs: 604_800_000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  fileDeleteDelayMs: 60_000,
} satisfies LogConfig);

interface Bound {
  key: keyof LogConfig;
  property: string;
  min: number;
  max: number;
}

/** The table of bounds every numeric config is checked against (Kafka's, capped by `Limits`). */
const NUMERIC_BOUNDS: readonly Bound[] = [
  { key: 'segmentBytes', property: 'segment.bytes', min: 14, max: Limits.MAX_SEGMENT_BYTES },
  { key: 'segmentMs', property: 'segment.ms', min: 1, max: NEVER },
  { key: 'segmentIndexBytes', property: 'segment.index.bytes', min: 12, max: Limits.MAX_SEGMENT_INDEX_BYTES },
  { key: 'indexIntervalBytes', property: 'index.interval.bytes', min: 0, max: Limits.MAX_SEGMENT_BYTES },
  { key: 'maxMessageBytes', property: 'max.message.bytes', min: 0, max: Limits.MAX_BATCH_BYTES },
  { key: 'messageTimestampBeforeMaxMs', property: 'message.timestamp.before.max.ms', min: 0, max: NEVER },
  { key: 'messageTimestampAfterMaxMs', property: 'message.timestamp.after.max.ms', min: 0, max: NEVER },
  { key: 'flushMessages', property: 'flush.messages', min: 1, max: NEVER },
  { key: 'flushMs', property: 'flush.ms', min: 0, max: NEVER },
  { key: 'retentionMs', property: 'retention.ms', min: -1, max: NEVER },
  { key: 'retentionBytes', property: 'retention.bytes', min: -1, max: NEVER },
  { key: 'fileDeleteDelayMs', property: 'file.delete.delay.ms', min: 0, max: NEVER },
];

const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;
const CLEANUP_POLICIES = ['delete', 'compact', 'compact,delete'] as const;

/** Checks every field against its bounds; throws InvalidConfigError naming the Kafka key. */
export function validateLogConfig(config: LogConfig): LogConfig {
  for (const bound of NUMERIC_BOUNDS) {
    const value = config[bound.key] as unknown;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < bound.min || value > bound.max) {
      throw new InvalidConfigError(
        `${bound.property} must be an integer in [${bound.min}, ${bound.max}], got ${String(value)}`,
      );
    }
  }
  if (!TIMESTAMP_TYPES.includes(config.messageTimestampType)) {
    throw new InvalidConfigError(
      `message.timestamp.type must be CreateTime or LogAppendTime, got ${String(config.messageTimestampType)}`,
    );
  }
  if (!CLEANUP_POLICIES.includes(config.cleanupPolicy)) {
    throw new InvalidConfigError(
      `cleanup.policy must be delete, compact or compact,delete, got ${String(config.cleanupPolicy)}`,
    );
  }
  return config;
}

/** Whether cleanup.policy includes `delete` (time and size retention act). */
export function deletesOldSegments(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'compact';
}

/** Whether cleanup.policy includes `compact` (records must carry keys). */
export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy !== 'delete';
}

const PROPERTY_TO_FIELD: ReadonlyMap<string, keyof LogConfig> = new Map<string, keyof LogConfig>([
  ...NUMERIC_BOUNDS.map((bound) => [bound.property, bound.key] as [string, keyof LogConfig]),
  ['message.timestamp.type', 'messageTimestampType'],
  ['cleanup.policy', 'cleanupPolicy'],
]);

/** The Kafka topic config keys this log understands. */
export const LOG_CONFIG_PROPERTIES: readonly string[] = [...PROPERTY_TO_FIELD.keys()];

/**
 * Maps Kafka's dotted topic configs (`segment.bytes` → `segmentBytes`) onto `base`, the one place where
 * the two spellings meet. Keys this log does not own are ignored; values are validated.
 */
export function logConfigFromProperties(
  properties: Readonly<Record<string, string>>,
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
): LogConfig {
  const config: LogConfig = { ...base };
  for (const [property, text] of Object.entries(properties)) {
    const field = PROPERTY_TO_FIELD.get(property);
    if (field === undefined) continue;
    if (field === 'messageTimestampType' || field === 'cleanupPolicy') {
      (config as unknown as Record<string, string>)[field] = text.trim();
      continue;
    }
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed))
      throw new InvalidConfigError(`${property} must be an integer, got "${text}"`);
    const parsed = Number(trimmed);
    // Kafka's Long.MAX_VALUE (and anything else beyond 2^53) means "never"; huge negatives stay invalid.
    const value = Number.isSafeInteger(parsed) || parsed < 0 ? parsed : NEVER;
    (config as unknown as Record<string, number>)[field] = value;
  }
  return validateLogConfig(config);
}
