import type { TopicPartition } from './topic-partition.js';

/**
 * What a subscribed consumer's application hears of rebalances. Each callback may be async; the rebalance
 * waits for it (heartbeats go on meanwhile). An error it throws is logged and thrown by the next read.
 *
 * - `onPartitionsAssigned`: after every rebalance, with the partitions newly given to this member (possibly
 *   none). They start at the group's committed offsets unless the callback seeks them.
 * - `onPartitionsRevoked`: partitions taken away in a rebalance while this member still belongs to its
 *   generation: offsets may still be committed (auto commit has committed the consumed ones already).
 *   Eager assignors revoke everything before each rebalance; cooperative-sticky only what moves.
 * - `onPartitionsLost`: partitions that may belong to another member already (the generation is over:
 *   session timeout, poll timeout, fenced); committing their offsets would fail. Without this callback,
 *   `onPartitionsRevoked` is called instead, as Kafka's Java client does.
 */
export interface RebalanceListener {
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}
