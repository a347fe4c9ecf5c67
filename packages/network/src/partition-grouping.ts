import type { MetadataCache } from './metadata-cache.js';

/**
 * How client requests are cut by partition: one request per leader (Produce, Fetch, ListOffsets, ...),
 * and within one request one entry per topic, holding its partitions.
 */

export interface PartitionItem {
  readonly topic: string;
  readonly partition: number;
}

export interface LeaderGroups<Item> {
  /** Items by the broker that leads their partition, in the order the items came. */
  readonly byLeader: Map<number, Item[]>;
  /** Items whose partition has no known leader, in order. */
  readonly leaderless: Item[];
}

/**
 * Groups items by the leader of their partition in the cached metadata. When some partition has no known
 * leader, the metadata is invalidated (refreshed soon), so that a retry after a backoff may find one.
 */
export function groupByLeader<Item extends PartitionItem>(
  metadata: Pick<MetadataCache, 'leaderOf' | 'invalidate'>,
  items: Iterable<Item>,
): LeaderGroups<Item> {
  const byLeader = new Map<number, Item[]>();
  const leaderless: Item[] = [];
  for (const item of items) {
    const leader = metadata.leaderOf(item.topic, item.partition);
    if (leader < 0) {
      leaderless.push(item);
      continue;
    }
    const group = byLeader.get(leader);
    if (group === undefined) byLeader.set(leader, [item]);
    else group.push(item);
  }
  if (leaderless.length > 0) metadata.invalidate();
  return { byLeader, leaderless };
}

/**
 * The topics of a request body: each topic once, in the order first seen, with the entry `partitionOf`
 * makes of each of its items.
 */
export function partitionsByTopic<Item extends { readonly topic: string }, Partition>(
  items: Iterable<Item>,
  partitionOf: (item: Item) => Partition,
): Map<string, Partition[]> {
  const byTopic = new Map<string, Partition[]>();
  for (const item of items) {
    const partitions = byTopic.get(item.topic);
    if (partitions === undefined) byTopic.set(item.topic, [partitionOf(item)]);
    else partitions.push(partitionOf(item));
  }
  return byTopic;
}
