import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  type TopicPartitions,
} from '@sluice/protocol';

/**
 * The embedded protocol of groups whose protocol type is `consumer` (@sluice/protocol's codec), as an admin
 * shows it: the topics a member subscribed to (its JoinGroup metadata) and the partitions the leader
 * assigned to it (its SyncGroup assignment), both sorted; null when a member's bytes are not a consumer
 * subscription or assignment (a group of another kind may use the `consumer` type for its own bytes).
 */

export { CONSUMER_PROTOCOL_TYPE, type TopicPartitions };

function compareTopics(a: TopicPartitions, b: TopicPartitions): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0;
}

/** The partitions of a consumer assignment ([] for the empty bytes of a member not yet assigned), or null when the bytes are not one. */
export function decodeConsumerAssignment(bytes: Buffer): TopicPartitions[] | null {
  try {
    return decodeConsumerProtocolAssignment(bytes)
      .partitions.map(({ topic, partitions }) => ({
        topic,
        partitions: [...partitions].sort((a, b) => a - b),
      }))
      .sort(compareTopics);
  } catch {
    return null;
  }
}

/** The topics of a consumer subscription, or null when the bytes are not one. */
export function decodeConsumerSubscription(bytes: Buffer): string[] | null {
  if (bytes.length === 0) return null;
  try {
    return [...decodeConsumerProtocolSubscription(bytes).topics].sort();
  } catch {
    return null;
  }
}
