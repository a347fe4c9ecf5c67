/**
 * The embedded protocol of groups whose protocol type is `consumer`: the subscription each member sends in
 * JoinGroup and the assignment the leader hands out in SyncGroup. The coordinator treats both as opaque
 * bytes except in two places, which need the subscribed topics: OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and
 * offset expiry of a Stable group.
 *
 * Subscription (any version): `version INT16, topics [STRING], user_data NULLABLE_BYTES, ...` (later
 * versions add owned partitions, generation and rack after user_data).
 * Assignment: `version INT16, assigned_partitions [topic STRING, partitions [INT32]], user_data NULLABLE_BYTES`.
 */
import { Reader, Writer } from '@sluice/protocol';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The topics a subscription names, or null when the bytes are not a subscription. */
export function subscribedTopics(subscription: Buffer): string[] | null {
  try {
    const reader = new Reader(subscription);
    const version = reader.int16();
    if (version < 0) return null;
    const count = reader.arrayLength();
    const topics: string[] = [];
    for (let i = 0; i < count; i++) topics.push(reader.string());
    return topics;
  } catch {
    return null;
  }
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** A version 0 subscription, as a consumer sends it in JoinGroup. */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  const writer = new Writer(64).int16(0).arrayLength(topics.length);
  for (const topic of topics) writer.string(topic);
  return writer.nullableBytes(userData).toBuffer();
}

/** A version 0 assignment, as a leader sends it in SyncGroup. */
export function encodeAssignment(
  assigned: readonly TopicPartitions[],
  userData: Buffer | null = null,
): Buffer {
  const writer = new Writer(64).int16(0).arrayLength(assigned.length);
  for (const { topic, partitions } of assigned) {
    writer.string(topic).arrayLength(partitions.length);
    for (const partition of partitions) writer.int32(partition);
  }
  return writer.nullableBytes(userData).toBuffer();
}

/** The partitions of an assignment (empty for an empty buffer, as a member with nothing assigned gets). */
export function decodeAssignment(assignment: Buffer): TopicPartitions[] {
  if (assignment.length === 0) return [];
  const reader = new Reader(assignment);
  reader.int16();
  const count = reader.arrayLength();
  const result: TopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = reader.string();
    const partitionCount = reader.arrayLength();
    const partitions: number[] = [];
    for (let j = 0; j < partitionCount; j++) partitions.push(reader.int32());
    result.push({ topic, partitions });
  }
  return result;
}
