import { Reader } from '@sluice/protocol';

/**
 * The embedded protocol of groups whose protocol type is `consumer` (Kafka's ConsumerProtocol), as far as
 * an admin reads it: the topics a member subscribed to (its JoinGroup metadata) and the partitions the
 * leader assigned to it (its SyncGroup assignment). Every version starts with the fields of version 0;
 * later versions only append fields, which are not read here.
 *
 * Subscription: `version INT16, topics [STRING], user_data NULLABLE_BYTES, ...`
 * Assignment:   `version INT16, assigned_partitions [topic STRING, partitions [INT32]], user_data NULLABLE_BYTES`
 */

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface TopicPartitions {
  readonly topic: string;
  /** In ascending order. */
  readonly partitions: readonly number[];
}

/** The partitions of a consumer assignment ([] for the empty bytes of a member not yet assigned), or null when the bytes are not one. */
export function decodeConsumerAssignment(bytes: Buffer): TopicPartitions[] | null {
  if (bytes.length === 0) return [];
  try {
    const reader = new Reader(bytes);
    if (reader.int16() < 0) return null;
    const topicCount = reader.arrayLength();
    const assigned: TopicPartitions[] = [];
    for (let i = 0; i < topicCount; i++) {
      const topic = reader.string();
      const partitionCount = reader.arrayLength();
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(reader.int32());
      assigned.push({ topic, partitions: partitions.sort((a, b) => a - b) });
    }
    return assigned.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  } catch {
    return null;
  }
}

/** The topics of a consumer subscription, or null when the bytes are not one. */
export function decodeConsumerSubscription(bytes: Buffer): string[] | null {
  if (bytes.length === 0) return null;
  try {
    const reader = new Reader(bytes);
    if (reader.int16() < 0) return null;
    const topicCount = reader.arrayLength();
    const topics: string[] = [];
    for (let i = 0; i < topicCount; i++) topics.push(reader.string());
    return topics.sort();
  } catch {
    return null;
  }
}
