export { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from './clock.js';
export type {
  Compare,
  CoordinationStore,
  KeyValue,
  Operation,
  TxnResult,
  Watch,
  WatchEvent,
} from './coordination-store.js';
export { Election, type Leadership } from './election.js';
export { EmbeddedStore, type EmbeddedStoreOptions, type EmbeddedStoreStatistics } from './embedded-store.js';
export {
  CompactedRevisionError,
  CoordinationError,
  type CoordinationErrorKind,
  InvalidRequestError,
  LeaseNotFoundError,
  NotLeaderError,
  ResourceExhaustedError,
  SessionExpiredError,
  StoreClosedError,
  StoreCorruptError,
  StoreFailedError,
} from './errors.js';
export {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  encodeAssignment,
  encodeSubscription,
  subscribedTopics,
  type TopicPartitions,
} from './group/consumer-protocol.js';
export {
  type DeleteGroupResult,
  type DescribeGroupResult,
  type FetchedOffset,
  GroupCoordinator,
  type GroupCoordinatorOptions,
  type HeartbeatInput,
  type JoinGroupInput,
  type LeaveGroupInput,
  type LeaveGroupResult,
  type ListGroupsResult,
  type OffsetCommitInput,
  type OffsetDeleteResult,
  type OffsetFetchResult,
  type PartitionResult,
  type SyncGroupInput,
  type TopicPartition,
} from './group/group-coordinator.js';
export {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  type GroupCoordinatorConfig,
  resolveGroupCoordinatorConfig,
} from './group/group-coordinator-config.js';
export * as groupLimits from './group/group-limits.js';
export type {
  JoinedMember,
  JoinGroupResult,
  MemberProtocol,
  SyncGroupResult,
} from './group/group-member.js';
export {
  type CommittedOffset,
  GroupMetadata,
  type GroupOverview,
  type GroupSummary,
  type MemberSummary,
} from './group/group-metadata.js';
export { groupPartition, javaStringHashCode, kafkaAbs } from './group/group-partitioner.js';
export {
  decodeGroupRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  type GroupMetadataValue,
  type GroupRecord,
  GroupRecordFormatError,
  type OffsetCommitValue,
  type StoredGroupMember,
} from './group/group-record-codec.js';
export {
  canTransition,
  GROUP_STATES,
  type GroupState,
  IllegalGroupTransitionError,
  VALID_PREVIOUS_STATES,
} from './group/group-state.js';
export { type GroupStorage, InMemoryGroupStorage } from './group/group-storage.js';
export {
  brokerKey,
  brokersPrefix,
  clusterPrefix,
  controllerKey,
  partitionKey,
  partitionsPrefix,
  topicKey,
  topicsPrefix,
} from './keys.js';
export {
  INITIAL_REVISION,
  type KvApplied,
  type KvOperation,
  type KvOutcome,
  type KvSnapshot,
  KvState,
} from './kv-state.js';
export * as limits from './limits.js';
export { ManualClock } from './manual-clock.js';
export { Session, type SessionOptions } from './session.js';
