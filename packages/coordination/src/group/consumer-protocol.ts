/**
 * The embedded protocol of groups whose protocol type is `consumer`: the subscription each member sends in
 * JoinGroup and the assignment the leader hands out in SyncGroup, read and written with @sluice/protocol's
 * codec. The coordinator treats both as opaque bytes except in two places, which need the subscribed
 * topics: OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and offset expiry of a Stable group.
 */
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  type TopicPartitions,
} from '@sluice/protocol';

export { CONSUMER_PROTOCOL_TYPE, type TopicPartitions };

/** The topics a subscription names, or null when the bytes are not a subscription. */
export function subscribedTopics(subscription: Buffer): string[] | null {
  try {
    return [...decodeConsumerProtocolSubscription(subscription).topics];
  } catch {
    return null;
  }
}

/** A version 0 subscription, as a consumer sends it in JoinGroup. */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  return encodeConsumerProtocolSubscription({
    version: 0,
    topics,
    userData,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
}

/** A version 0 assignment, as a leader sends it in SyncGroup. */
export function encodeAssignment(
  assigned: readonly TopicPartitions[],
  userData: Buffer | null = null,
): Buffer {
  return encodeConsumerProtocolAssignment({ version: 0, partitions: assigned, userData });
}

/**
 * The partitions of an assignment (empty for an empty buffer, as a member with nothing assigned gets);
 * throws DecodeError for bytes that are not an assignment.
 */
export function decodeAssignment(assignment: Buffer): TopicPartitions[] {
  return [...decodeConsumerProtocolAssignment(assignment).partitions];
}
