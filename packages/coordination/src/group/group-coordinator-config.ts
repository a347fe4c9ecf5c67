/**
 * The coordinator's settings, named after the broker configs they come from (`group.min.session.timeout.ms`
 * → `groupMinSessionTimeoutMs`). `resolveGroupCoordinatorConfig` fills defaults (Kafka's) and checks bounds.
 */
import { MEMBERS_PER_GROUP_MAX } from './group-limits.js';

export interface GroupCoordinatorConfig {
  /** Partitions of the offsets topic (`offsets.topic.num.partitions`, or the topic's actual count). */
  readonly offsetsTopicPartitionCount: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  /** How long the first join round of an Empty group waits for more members. */
  readonly groupInitialRebalanceDelayMs: number;
  /** Most members per group (capped at MEMBERS_PER_GROUP_MAX). */
  readonly groupMaxSize: number;
  /** `offsets.retention.minutes` in ms. */
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicPartitionCount: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
};

export function resolveGroupCoordinatorConfig(
  overrides: Partial<GroupCoordinatorConfig> = {},
): GroupCoordinatorConfig {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...overrides };
  const check = (name: keyof GroupCoordinatorConfig, min: number) => {
    const value = config[name];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
    }
  };
  check('offsetsTopicPartitionCount', 1);
  check('groupMinSessionTimeoutMs', 0);
  check('groupMaxSessionTimeoutMs', 0);
  check('groupInitialRebalanceDelayMs', 0);
  check('groupMaxSize', 1);
  check('offsetsRetentionMs', 1);
  check('offsetsRetentionCheckIntervalMs', 1);
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new RangeError(
      `groupMinSessionTimeoutMs (${config.groupMinSessionTimeoutMs}) is above groupMaxSessionTimeoutMs (${config.groupMaxSessionTimeoutMs})`,
    );
  }
  return { ...config, groupMaxSize: Math.min(config.groupMaxSize, MEMBERS_PER_GROUP_MAX) };
}
