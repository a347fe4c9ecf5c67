import { deserializers } from '../../src/index.js';

/**
 * What the group members of these tests share: string keys and values read from the earliest offset, and
 * sessions, heartbeats, commits and fetches quick enough for a test.
 */
export const QUICK_MEMBER_OPTIONS = {
  autoOffsetReset: 'earliest',
  keyDeserializer: deserializers.string,
  valueDeserializer: deserializers.string,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 300,
  autoCommitIntervalMs: 200,
  fetchMaxWaitMs: 100,
} as const;
