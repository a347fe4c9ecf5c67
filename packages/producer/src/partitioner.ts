import type { RandomSource } from '@sluice/network';
import { partitionForKey } from './murmur2.js';

/** What a partitioner knows about a topic when it chooses. */
export interface PartitionerTopic {
  readonly name: string;
  readonly partitionCount: number;
  /** Partitions that have a leader now (the sticky partitioner prefers them). */
  readonly availablePartitions: readonly number[];
}

/**
 * Chooses a record's partition. Keyed records go where Kafka's Java client sends them
 * (toPositive(murmur2(key)) % partitions); unkeyed records stick to one partition until its batch is
 * closed, then move to another (KIP-480), so batches fill up instead of one record going to each partition.
 */
export class DefaultPartitioner {
  /** The current sticky partition of each topic. */
  private readonly sticky = new Map<string, number>();

  constructor(
    private readonly random: RandomSource,
    /** partitioner.ignore.keys: treat keyed records like unkeyed ones. */
    private readonly ignoreKeys = false,
  ) {}

  partition(topic: PartitionerTopic, key: Uint8Array | null): number {
    if (key !== null && !this.ignoreKeys) return partitionForKey(key, topic.partitionCount);
    return this.stickyPartition(topic);
  }

  /** Whether this record's partition came from the sticky choice (and so may move on a new batch). */
  isSticky(key: Uint8Array | null): boolean {
    return key === null || this.ignoreKeys;
  }

  private stickyPartition(topic: PartitionerTopic): number {
    const current = this.sticky.get(topic.name);
    if (current !== undefined && current < topic.partitionCount) return current;
    return this.choose(topic, -1);
  }

  /**
   * The batch of the sticky partition `previous` was closed: pick another partition (a different one when
   * there is a choice, among those with a leader when there are any).
   */
  onNewBatch(topic: PartitionerTopic, previous: number): number {
    const current = this.sticky.get(topic.name);
    if (current !== undefined && current !== previous) return current;
    return this.choose(topic, previous);
  }

  private choose(topic: PartitionerTopic, previous: number): number {
    const candidates =
      topic.availablePartitions.length > 0
        ? topic.availablePartitions
        : Array.from({ length: topic.partitionCount }, (_, i) => i);
    let chosen: number;
    if (candidates.length === 1) {
      chosen = candidates[0];
    } else {
      do {
        chosen = candidates[Math.floor(this.random() * candidates.length)];
      } while (chosen === previous);
    }
    this.sticky.set(topic.name, chosen);
    return chosen;
  }
}
