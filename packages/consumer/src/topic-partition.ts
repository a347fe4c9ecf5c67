import { partitionsByTopic } from '@sluice/network';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A map key for a partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The partitions of a per-topic list, one by one. */
export function flattenTopicPartitions(
  list: readonly { readonly topic: string; readonly partitions: readonly number[] }[],
): TopicPartition[] {
  return list.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
}

/** Partitions grouped by topic, topics and partitions sorted. */
export function groupByTopic(
  partitions: readonly TopicPartition[],
): { topic: string; partitions: number[] }[] {
  return [...partitionsByTopic(partitions, (entry) => entry.partition)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, list]) => ({ topic, partitions: list.sort((x, y) => x - y) }));
}
