/** Errors from the layers below, so that applications can catch them with this package alone. */
export {
  ClientClosedError,
  ConnectionError,
  ErrorCode,
  InvalidOptionError,
  isRetriable,
  KafkaError,
  type LocatedKafkaError,
  RequestTimeoutError,
  UnsupportedVersionError,
} from '@sluice/network';
export type { GroupMember, PartitionAssignor, RebalanceProtocol } from './assignor.js';
export { ASSIGNOR_NAMES, ASSIGNORS, type AssignorName } from './assignor-registry.js';
export {
  type CommitOffset,
  type CommitOptions,
  type CommittedOffset,
  Consumer,
  type ConsumerBatch,
  type ConsumerOptions,
  type ConsumerRecord,
  type IterationOptions,
  type RecordContext,
  type StartOffset,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.js';
export {
  type AutoOffsetReset,
  type ConsumerConfigOptions,
  consumerOptionRelations,
  consumerOptionTable,
  type IsolationLevel,
  type ResolvedConsumerOptions,
} from './consumer-options.js';
export {
  type Assignment,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
  type TopicPartitions,
} from './consumer-protocol.js';
export { cooperativeStickyAssignor } from './cooperative-sticky-assignor.js';
export { type Deserializer, deserializers } from './deserializers.js';
export { CommitFailedError, IllegalStateError, NoOffsetForPartitionError } from './errors.js';
export type { GroupMetadata } from './group-membership.js';
export { Limits as ConsumerLimits } from './limits.js';
export type { MembershipState } from './membership-state.js';
export { rangeAssignor } from './range-assignor.js';
export type { RebalanceListener } from './rebalance-listener.js';
export { RetryHeader } from './retry-headers.js';
export type { RetryPolicy, RetryPublication } from './retry-policy.js';
export { kafkajsRoundRobinAssignor, roundRobinAssignor } from './round-robin-assignor.js';
