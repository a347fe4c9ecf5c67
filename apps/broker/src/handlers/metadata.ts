/**
 * Metadata, versions 1-4. Brokers (this one), the controller (this one), and the topics asked for, or all
 * topics when the list is null. A topic that does not exist is created with num.partitions when
 * auto.create.topics.enable is on and the request allows it (v4 allow_auto_topic_creation; always before),
 * and comes back in the same answer.
 */
import {
  Apis,
  type Input,
  InvalidTopicError,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '@sluice/protocol';
import { defineHandler, errorCodeOf } from './handler.js';

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  api: Apis.Metadata,
  minVersion: 1,
  maxVersion: 4,
  async handle(broker, context, request) {
    const names =
      request.topics === null
        ? broker.topicNames()
        : [...new Set(request.topics.map((topic) => topic.name ?? ''))];
    const allowAutoCreate =
      broker.config.autoCreateTopicsEnable && (context.apiVersion < 4 || request.allowAutoTopicCreation);
    const topics: Input<MetadataResponseTopic>[] = [];
    for (const name of names) {
      let topic = broker.getTopic(name);
      if (!topic && allowAutoCreate && request.topics !== null) {
        try {
          await broker.autoCreateTopic(name);
          topic = broker.getTopic(name);
        } catch (error) {
          topics.push({ errorCode: errorCodeOf(error, context), name, isInternal: false, partitions: [] });
          continue;
        }
      }
      if (!topic) {
        let errorCode = 3; // UNKNOWN_TOPIC_OR_PARTITION
        try {
          broker.validateTopicName(name);
        } catch (error) {
          if (error instanceof InvalidTopicError) errorCode = error.code;
        }
        context.recordError(errorCode);
        topics.push({ errorCode, name, isInternal: false, partitions: [] });
        continue;
      }
      topics.push({
        errorCode: 0,
        name,
        isInternal: broker.isInternalTopic(name),
        partitions: topic.partitions.map((state, index) => ({
          errorCode: 0,
          partitionIndex: index,
          leaderId: state.leader,
          leaderEpoch: state.leaderEpoch,
          replicaNodes: [...topic.record.replicas[index]],
          isrNodes: [...state.isr],
          offlineReplicas: [],
        })),
      });
    }
    const node = broker.advertisedNode;
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: node.nodeId, host: node.host, port: node.port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.controllerId,
      topics,
    };
  },
});
