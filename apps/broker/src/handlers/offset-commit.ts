/**
 * OffsetCommit, versions 2-5. Stores a group's offsets in __consumer_offsets before answering. Members commit
 * with their generation and member id (checked: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS
 * while the group completes a rebalance); a consumer outside group management commits with generation -1
 * to a group without members. v2-v4 carry a retention time (-1: the broker's rule). A partition of a topic
 * that does not exist gets UNKNOWN_TOPIC_OR_PARTITION.
 */
import {
  Apis,
  ErrorCode,
  type Input,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetCommitResponseTopic,
} from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  api: Apis.OffsetCommit,
  minVersion: 2,
  maxVersion: 5,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    const codes = new Map<string, number>();
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const offsets: {
      topic: string;
      partition: number;
      offset: bigint;
      leaderEpoch: number;
      metadata: string | null;
    }[] = [];
    for (const topic of request.topics) {
      const known = broker.getTopic(topic.name);
      for (const partition of topic.partitions) {
        const index = partition.partitionIndex;
        if (!coordinator) codes.set(key(topic.name, index), ErrorCode.COORDINATOR_NOT_AVAILABLE);
        else if (!known || index < 0 || index >= known.record.replicas.length) {
          codes.set(key(topic.name, index), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        } else {
          offsets.push({
            topic: topic.name,
            partition: index,
            offset: partition.committedOffset,
            leaderEpoch: -1,
            metadata: partition.committedMetadata,
          });
        }
      }
    }
    if (coordinator && offsets.length > 0) {
      const retentionTimeMs = context.apiVersion <= 4 ? Number(request.retentionTimeMs) : -1;
      const results = await coordinator.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: null,
        retentionTimeMs: retentionTimeMs >= 0 ? retentionTimeMs : -1,
        offsets,
      });
      for (const result of results) codes.set(key(result.topic, result.partition), result.errorCode);
    }
    const topics: Input<OffsetCommitResponseTopic>[] = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        partitionIndex: partition.partitionIndex,
        errorCode: counted(context, codes.get(key(topic.name, partition.partitionIndex)) ?? ErrorCode.NONE),
      })),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
