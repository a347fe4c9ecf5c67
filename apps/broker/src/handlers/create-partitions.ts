/** CreatePartitions, versions 0-1: partitions only grow; asking for fewer or as many is INVALID_PARTITIONS. */
import { Apis, type CreatePartitionsRequest, type CreatePartitionsResponse } from '@sluice/protocol';
import { defineHandler, errorOf } from './handler.js';

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  api: Apis.CreatePartitions,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const results = [];
    for (const topic of request.topics) {
      try {
        await broker.createPartitions(
          topic.name,
          topic.count,
          topic.assignments?.map((assignment) => assignment.brokerIds) ?? null,
          request.validateOnly,
        );
        results.push({ name: topic.name, errorCode: 0, errorMessage: null });
      } catch (error) {
        results.push({ name: topic.name, ...errorOf(error, context) });
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
