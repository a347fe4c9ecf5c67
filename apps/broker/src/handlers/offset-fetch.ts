/**
 * OffsetFetch, versions 1-4: a group's committed offsets, -1 for partitions without one. v2+: a null topic
 * list asks for every committed offset of the group, and errors are top-level (v1 repeats them on every
 * partition). Offsets are returned whatever the group's state, as Kafka does.
 */
import {
  Apis,
  ErrorCode,
  type Input,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponsePartition,
  type OffsetFetchResponseTopic,
} from '@sluice/protocol';
import { coordinatorOf, counted } from '../groups/group-request.js';
import { defineHandler } from './handler.js';

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  api: Apis.OffsetFetch,
  minVersion: 1,
  maxVersion: 4,
  async handle(broker, context, request) {
    const coordinator = coordinatorOf(broker);
    const asked =
      request.topics === null
        ? null
        : request.topics.flatMap((topic) =>
            topic.partitionIndexes.map((partition) => ({ topic: topic.name, partition })),
          );
    const result = coordinator
      ? coordinator.fetchOffsets(request.groupId, asked)
      : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, offsets: [] };
    const errorCode = counted(context, result.errorCode);
    if (errorCode !== ErrorCode.NONE && context.apiVersion >= 2) {
      return { throttleTimeMs: 0, errorCode, topics: [] };
    }
    const byTopic = new Map<string, Input<OffsetFetchResponsePartition>[]>();
    const entries =
      errorCode === ErrorCode.NONE
        ? result.offsets
        : (asked ?? []).map(({ topic, partition }) => ({
            topic,
            partition,
            offset: -1n,
            leaderEpoch: -1,
            metadata: '',
            errorCode,
          }));
    for (const entry of entries) {
      let partitions = byTopic.get(entry.topic);
      if (!partitions) {
        partitions = [];
        byTopic.set(entry.topic, partitions);
      }
      partitions.push({
        partitionIndex: entry.partition,
        committedOffset: entry.offset,
        committedLeaderEpoch: entry.leaderEpoch,
        metadata: entry.metadata,
        errorCode: entry.errorCode,
      });
    }
    const topics: Input<OffsetFetchResponseTopic>[] = [...byTopic].map(([name, partitions]) => ({
      name,
      partitions,
    }));
    return { throttleTimeMs: 0, errorCode, topics };
  },
});
