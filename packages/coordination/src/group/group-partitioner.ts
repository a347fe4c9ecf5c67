/**
 * Which partition of the offsets topic holds a group: `abs(hashCode(groupId)) % partitionCount`, with Java's
 * `String.hashCode` and Kafka's `Utils.abs` (which maps Integer.MIN_VALUE to 0), so that a group lands in the
 * same partition as on a Kafka broker with the same `offsets.topic.num.partitions`.
 */

/** Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in 32-bit arithmetic. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's `Utils.abs`: the absolute value, except that Integer.MIN_VALUE (which has none) becomes 0. */
export function kafkaAbs(value: number): number {
  return value === -2147483648 ? 0 : Math.abs(value);
}

export function groupPartition(groupId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount <= 0) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return kafkaAbs(javaStringHashCode(groupId)) % partitionCount;
}
