/**
 * CreateTopics, versions 2-3: partitions and replication factor (or explicit assignments), configs by
 * Kafka's names, validate_only. Each topic succeeds or fails on its own with Kafka's error and a message;
 * a name given twice in one request is INVALID_REQUEST for both entries.
 */
import { Apis, type CreateTopicsRequest, type CreateTopicsResponse } from '@sluice/protocol';
import { defineHandler, errorOf } from './handler.js';

const ERROR_INVALID_REQUEST = 42;

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  api: Apis.CreateTopics,
  minVersion: 2,
  maxVersion: 3,
  async handle(broker, context, request) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const topics = [];
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) {
        context.recordError(ERROR_INVALID_REQUEST);
        topics.push({
          name: topic.name,
          errorCode: ERROR_INVALID_REQUEST,
          errorMessage: `Topic '${topic.name}' appears more than once in the request.`,
        });
        continue;
      }
      try {
        await broker.createTopic(
          {
            name: topic.name,
            numPartitions: topic.numPartitions,
            replicationFactor: topic.replicationFactor,
            assignments: [...topic.assignments]
              .sort((a, b) => a.partitionIndex - b.partitionIndex)
              .map((assignment) => assignment.brokerIds),
            configs: topic.configs.map((config) => [config.name, config.value] as const),
          },
          request.validateOnly,
        );
        topics.push({ name: topic.name, errorCode: 0, errorMessage: null });
      } catch (error) {
        topics.push({ name: topic.name, ...errorOf(error, context) });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
});
