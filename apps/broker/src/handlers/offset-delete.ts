/**
 * OffsetDelete, version 0: removes committed offsets of a group. Refused per partition with
 * GROUP_SUBSCRIBED_TO_TOPIC for topics the group's members subscribe to; a group of another protocol type
 * with members is NON_EMPTY_GROUP; a group that does not exist GROUP_ID_NOT_FOUND; a partition of a topic
 * that does not exist UNKNOWN_TOPIC_OR_PARTITION.
 */
import { Apis, ErrorCode, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  api: Apis.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    if (!coordinator) {
      return {
        errorCode: counted(context, ErrorCode.COORDINATOR_NOT_AVAILABLE),
        throttleTimeMs: 0,
        topics: [],
      };
    }
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const codes = new Map<string, number>();
    const wanted: { topic: string; partition: number }[] = [];
    for (const topic of request.topics) {
      const known = broker.getTopic(topic.name);
      for (const { partitionIndex } of topic.partitions) {
        if (!known || partitionIndex < 0 || partitionIndex >= known.record.replicas.length) {
          codes.set(key(topic.name, partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        } else {
          wanted.push({ topic: topic.name, partition: partitionIndex });
        }
      }
    }
    const result = await coordinator.deleteOffsets(request.groupId, wanted);
    if (result.errorCode !== ErrorCode.NONE) {
      return { errorCode: counted(context, result.errorCode), throttleTimeMs: 0, topics: [] };
    }
    for (const entry of result.partitions) codes.set(key(entry.topic, entry.partition), entry.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(({ partitionIndex }) => ({
          partitionIndex,
          errorCode: counted(context, codes.get(key(topic.name, partitionIndex)) ?? ErrorCode.NONE),
        })),
      })),
    };
  },
});
