import { seededRandom } from '@sluice/network';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from './murmur2.js';
import { DefaultPartitioner, type PartitionerTopic } from './partitioner.js';

const topic: PartitionerTopic = {
  name: 'orders',
  partitionCount: 6,
  availablePartitions: [0, 1, 2, 3, 4, 5],
};

describe('DefaultPartitioner', () => {
  it('sends keyed records to murmur2(key) % partitions, whatever the sticky partition', () => {
    const partitioner = new DefaultPartitioner(seededRandom(1));
    for (const key of ['a', 'b', 'user-7', 'order-42']) {
      const bytes = Buffer.from(key);
      expect(partitioner.partition(topic, bytes)).toBe(partitionForKey(bytes, 6));
    }
  });

  it('keeps unkeyed records on one partition until its batch is closed, then moves to another', () => {
    const partitioner = new DefaultPartitioner(seededRandom(42));
    const first = partitioner.partition(topic, null);
    for (let i = 0; i < 100; i++) expect(partitioner.partition(topic, null)).toBe(first);
    const visited = new Set([first]);
    let current = first;
    for (let i = 0; i < 50; i++) {
      const next = partitioner.onNewBatch(topic, current);
      expect(next).not.toBe(current);
      expect(partitioner.partition(topic, null)).toBe(next);
      visited.add(next);
      current = next;
    }
    expect(visited.size).toBe(6);
  });

  it('moves only once when several records find the sticky batch full', () => {
    const partitioner = new DefaultPartitioner(seededRandom(3));
    const first = partitioner.partition(topic, null);
    const moved = partitioner.onNewBatch(topic, first);
    // A second caller still holding the old partition does not move it again.
    expect(partitioner.onNewBatch(topic, first)).toBe(moved);
  });

  it('prefers partitions that have a leader', () => {
    const partitioner = new DefaultPartitioner(seededRandom(9));
    const degraded: PartitionerTopic = { name: 'degraded', partitionCount: 6, availablePartitions: [2, 4] };
    let current = partitioner.partition(degraded, null);
    for (let i = 0; i < 20; i++) {
      expect([2, 4]).toContain(current);
      current = partitioner.onNewBatch(degraded, current);
    }
  });

  it('treats keyed records as unkeyed when told to ignore keys', () => {
    const partitioner = new DefaultPartitioner(seededRandom(5), true);
    const sticky = partitioner.partition(topic, null);
    expect(partitioner.partition(topic, Buffer.from('any key'))).toBe(sticky);
    expect(partitioner.isSticky(Buffer.from('any key'))).toBe(true);
  });
});
