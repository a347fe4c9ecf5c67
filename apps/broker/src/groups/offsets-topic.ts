/**
 * `__consumer_offsets`: the internal, compacted topic that holds committed offsets and group metadata. The
 * broker creates it at start when it is missing, with `offsets.topic.num.partitions` partitions; a group
 * lives in partition `abs(hashCode(groupId)) % partitions` of it. Compaction itself is not implemented yet
 * (the log keeps every record and replays them all at start); the records carry keys so that it can be.
 */
import { InvalidReplicationFactorError, TopicAlreadyExistsError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { Broker } from '../broker.js';

export const OFFSETS_TOPIC_NAME = '__consumer_offsets';

/** Kafka's `offsets.topic.segment.bytes` default: smaller segments than user topics, for faster loading. */
const OFFSETS_TOPIC_SEGMENT_BYTES = 100 * 1024 * 1024;

/** Creates the offsets topic if it is missing; returns its partition count. */
export async function ensureOffsetsTopic(broker: Broker, logger: Logger): Promise<number> {
  const existing = broker.getTopic(OFFSETS_TOPIC_NAME);
  if (existing) {
    const count = existing.record.replicas.length;
    if (count !== broker.config.offsetsTopicNumPartitions) {
      logger.warn(
        { partitions: count, configured: broker.config.offsetsTopicNumPartitions },
        '__consumer_offsets exists with another partition count than offsets.topic.num.partitions; keeping it',
      );
    }
    return count;
  }
  // Kafka refuses to create the topic until enough brokers are up; a single broker lowers the factor
  // instead, so that groups work out of the box.
  for (let factor = broker.config.offsetsTopicReplicationFactor; factor >= 1; factor--) {
    try {
      await broker.createTopic({
        name: OFFSETS_TOPIC_NAME,
        numPartitions: broker.config.offsetsTopicNumPartitions,
        replicationFactor: factor,
        assignments: [],
        configs: [
          ['cleanup.policy', 'compact'],
          ['segment.bytes', String(OFFSETS_TOPIC_SEGMENT_BYTES)],
        ],
      });
      if (factor < broker.config.offsetsTopicReplicationFactor) {
        logger.warn(
          { replicationFactor: factor, configured: broker.config.offsetsTopicReplicationFactor },
          'created __consumer_offsets with fewer replicas than offsets.topic.replication.factor: not enough brokers',
        );
      }
      break;
    } catch (error) {
      if (error instanceof TopicAlreadyExistsError) break;
      if (!(error instanceof InvalidReplicationFactorError) || factor === 1) throw error;
    }
  }
  return broker.getTopic(OFFSETS_TOPIC_NAME)!.record.replicas.length;
}
