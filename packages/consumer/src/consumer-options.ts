import {
  booleanOption,
  choiceOption,
  integerOption,
  type NetworkOptions,
  networkOptionRelations,
  networkOptionTable,
  type OptionRelation,
  type OptionTable,
  type ResolvedNetworkOptions,
} from '@sluice/network';

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
}

const INT32_MAX = 2 ** 31 - 1;

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
};

export const consumerOptionRelations: OptionRelation<ResolvedConsumerOptions>[] = [
  ...(networkOptionRelations as OptionRelation<ResolvedConsumerOptions>[]),
  {
    option: 'heartbeatIntervalMs',
    check: (o) =>
      o.heartbeatIntervalMs < o.sessionTimeoutMs
        ? null
        : `heartbeatIntervalMs (${o.heartbeatIntervalMs}) must be below sessionTimeoutMs (${o.sessionTimeoutMs})`,
  },
];
