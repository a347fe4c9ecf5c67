import {
  booleanOption,
  boundRelation,
  choiceOption,
  clientOptionRelations,
  customOption,
  INT32_MAX,
  integerOption,
  type NetworkOptions,
  networkOptionTable,
  type OptionRelation,
  type OptionTable,
  type ResolvedNetworkOptions,
  stringOption,
} from '@sluice/network';
import { ASSIGNOR_NAMES, type AssignorName } from './assignor-registry.js';
import { Limits } from './limits.js';

export type AutoOffsetReset = 'earliest' | 'latest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/** Consumer options as given; each maps to one Kafka consumer config and defaults to Kafka's default. */
export interface ConsumerConfigOptions extends NetworkOptions {
  autoOffsetReset?: AutoOffsetReset;
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  fetchMaxBytes?: number;
  maxPartitionFetchBytes?: number;
  isolationLevel?: IsolationLevel;
  checkCrcs?: boolean;
  maxPollRecords?: number;
  allowAutoTopicCreation?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  groupId?: string;
  groupInstanceId?: string;
  maxPollIntervalMs?: number;
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Assignors offered, most preferred first: names, or one comma-separated string as Kafka's config. */
  partitionAssignmentStrategy?: readonly AssignorName[] | string;
}

export interface ResolvedConsumerOptions extends ResolvedNetworkOptions {
  autoOffsetReset: AutoOffsetReset;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  isolationLevel: IsolationLevel;
  checkCrcs: boolean;
  maxPollRecords: number;
  allowAutoTopicCreation: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** '' when the consumer is in no group (assign mode without committed offsets). */
  groupId: string;
  /** '' for a dynamic member. */
  groupInstanceId: string;
  maxPollIntervalMs: number;
  enableAutoCommit: boolean;
  autoCommitIntervalMs: number;
  partitionAssignmentStrategy: readonly AssignorName[];
}

export const consumerOptionTable: OptionTable<ResolvedConsumerOptions> = {
  ...networkOptionTable,
  autoOffsetReset: choiceOption({
    kafkaName: 'auto.offset.reset',
    defaultValue: 'latest',
    choices: ['earliest', 'latest', 'none'] as const,
    description: 'where to start a partition assigned without an offset, or whose offset is out of range',
  }),
  fetchMinBytes: integerOption({
    kafkaName: 'fetch.min.bytes',
    defaultValue: 1,
    min: 0,
    max: INT32_MAX,
    unit: 'bytes',
    description: 'the broker holds a fetch until this much data is ready (or fetchMaxWaitMs passes)',
  }),
  fetchMaxWaitMs: integerOption({
    kafkaName: 'fetch.max.wait.ms',
    defaultValue: 500,
    min: 0,
    max: INT32_MAX,
    unit: 'ms',
    description: 'the longest the broker holds a fetch waiting for fetchMinBytes',
  }),
  fetchMaxBytes: integerOption({
    kafkaName: 'fetch.max.bytes',
    defaultValue: 52_428_800,
    min: 0,
    max: INT32_MAX,
    unit: 'bytes',
    description: 'the most data one fetch response carries (at least one batch is always returned)',
  }),
  maxPartitionFetchBytes: integerOption({
    kafkaName: 'max.partition.fetch.bytes',
    defaultValue: 1_048_576,
    min: 0,
    max: INT32_MAX,
    unit: 'bytes',
    description: 'the most data one fetch returns for one partition (at least one batch)',
  }),
  isolationLevel: choiceOption({
    kafkaName: 'isolation.level',
    defaultValue: 'read_uncommitted',
    choices: ['read_uncommitted', 'read_committed'] as const,
    description: 'read_committed hides records of aborted transactions and stops at the last stable offset',
  }),
  checkCrcs: booleanOption({
    kafkaName: 'check.crcs',
    defaultValue: true,
    description: 'verify the CRC-32C of every fetched batch',
  }),
  maxPollRecords: integerOption({
    kafkaName: 'max.poll.records',
    defaultValue: 500,
    min: 1,
    max: INT32_MAX,
    description: 'the most records one eachBatch call (or one batch of `batches()`) is given',
  }),
  allowAutoTopicCreation: booleanOption({
    kafkaName: 'allow.auto.create.topics',
    defaultValue: true,
    description: 'let metadata requests create a topic that does not exist (if the broker allows it)',
  }),
  sessionTimeoutMs: integerOption({
    kafkaName: 'session.timeout.ms',
    defaultValue: 45_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'consumer groups (subscribe mode): the coordinator drops a member silent this long',
  }),
  heartbeatIntervalMs: integerOption({
    kafkaName: 'heartbeat.interval.ms',
    defaultValue: 3_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'consumer groups (subscribe mode): how often a member heartbeats',
  }),
  groupId: stringOption({
    kafkaName: 'group.id',
    defaultValue: '',
    maxLength: 32_767,
    description:
      'the consumer group; required by subscribe, and by commit and committed offsets in assign mode',
  }),
  groupInstanceId: stringOption({
    kafkaName: 'group.instance.id',
    defaultValue: '',
    maxLength: 32_767,
    description: 'static membership: a member restarting within sessionTimeoutMs keeps its partitions',
  }),
  maxPollIntervalMs: integerOption({
    kafkaName: 'max.poll.interval.ms',
    defaultValue: 300_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'a member that asks for no records this long leaves the group; also the rebalance timeout',
  }),
  enableAutoCommit: booleanOption({
    kafkaName: 'enable.auto.commit',
    defaultValue: true,
    description: 'commit the offsets of records the application is done with, every autoCommitIntervalMs',
  }),
  autoCommitIntervalMs: integerOption({
    kafkaName: 'auto.commit.interval.ms',
    defaultValue: 5_000,
    min: 1,
    max: INT32_MAX,
    unit: 'ms',
    description: 'how often offsets are committed when enableAutoCommit is on',
  }),
  partitionAssignmentStrategy: customOption<readonly AssignorName[]>({
    kafkaName: 'partition.assignment.strategy',
    defaultValue: ['range', 'cooperative-sticky'],
    description: 'assignors offered to the group, most preferred first (the leader runs the one chosen)',
    domain: `non-empty list of ${ASSIGNOR_NAMES.map((name) => JSON.stringify(name)).join(', ')}`,
    parse(value) {
      const names = typeof value === 'string' ? value.split(',').map((name) => name.trim()) : value;
      if (
        !Array.isArray(names) ||
        names.length === 0 ||
        names.length > Limits.MAX_ASSIGNORS ||
        names.some((name) => !ASSIGNOR_NAMES.includes(name as AssignorName)) ||
        new Set(names).size !== names.length
      ) {
        return {
          invalid: `must be a non-empty list of distinct names among ${ASSIGNOR_NAMES.join(', ')}`,
        };
      }
      return Object.freeze([...names]) as readonly AssignorName[];
    },
  }),
};

export const consumerOptionRelations: OptionRelation<ResolvedConsumerOptions>[] = clientOptionRelations(
  boundRelation('heartbeatIntervalMs', 'below', ['sessionTimeoutMs']),
  {
    option: 'groupInstanceId',
    check: (o) => (o.groupInstanceId === '' || o.groupId !== '' ? null : 'groupInstanceId needs a groupId'),
  },
);
