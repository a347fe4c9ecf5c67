import { describe, expect, it } from 'vitest';
import { groupByLeader, partitionsByTopic } from './partition-grouping.js';

/** Leadership as a metadata cache would answer it, counting the refreshes asked for. */
function leadership(leaders: Record<string, number[]>) {
  return {
    invalidations: 0,
    leaderOf(topic: string, partition: number): number {
      return leaders[topic]?.[partition] ?? -1;
    },
    invalidate(): void {
      this.invalidations++;
    },
  };
}

describe('groupByLeader', () => {
  it('groups partitions by their leader, in the order they came', () => {
    const metadata = leadership({ orders: [1, 2, 1], audit: [2] });
    const items = [
      { topic: 'orders', partition: 0 },
      { topic: 'audit', partition: 0 },
      { topic: 'orders', partition: 2 },
      { topic: 'orders', partition: 1 },
    ];
    const { byLeader, leaderless } = groupByLeader(metadata, items);
    expect([...byLeader]).toEqual([
      [1, [items[0], items[2]]],
      [2, [items[1], items[3]]],
    ]);
    expect(leaderless).toEqual([]);
    expect(metadata.invalidations).toBe(0);
  });

  it('leaves out partitions without a known leader and asks for fresh metadata once', () => {
    const metadata = leadership({ orders: [1, -1] });
    const items = [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
      { topic: 'unknown', partition: 0 },
    ];
    const { byLeader, leaderless } = groupByLeader(metadata, items);
    expect([...byLeader]).toEqual([[1, [items[0]]]]);
    expect(leaderless).toEqual([items[1], items[2]]);
    expect(metadata.invalidations).toBe(1);
  });
});

describe('partitionsByTopic', () => {
  it('lists each topic once, in the order first seen, with its partitions in order', () => {
    const byTopic = partitionsByTopic(
      [
        { topic: 'b', partition: 3 },
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 1 },
      ],
      (item) => ({ index: item.partition }),
    );
    expect([...byTopic]).toEqual([
      ['b', [{ index: 3 }, { index: 1 }]],
      ['a', [{ index: 0 }]],
    ]);
  });
});
