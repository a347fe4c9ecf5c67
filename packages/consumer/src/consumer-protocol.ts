/**
 * The embedded "consumer" protocol of group membership (subscriptions in JoinGroup, assignments in
 * SyncGroup), under this package's names: the codec is @sluice/protocol's.
 */
export {
  CONSUMER_ASSIGNMENT_VERSION_MAX as ASSIGNMENT_VERSION_MAX,
  CONSUMER_PROTOCOL_TYPE,
  CONSUMER_SUBSCRIPTION_VERSION_MAX as SUBSCRIPTION_VERSION_MAX,
  type ConsumerProtocolAssignment as Assignment,
  type ConsumerProtocolSubscription as Subscription,
  decodeConsumerProtocolAssignment as decodeAssignment,
  decodeConsumerProtocolSubscription as decodeSubscription,
  encodeConsumerProtocolAssignment as encodeAssignment,
  encodeConsumerProtocolSubscription as encodeSubscription,
  type TopicPartitions,
} from '@sluice/protocol';
