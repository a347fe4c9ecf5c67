/** DeleteTopics, versions 0-1: removes each topic, its partition states and its logs. */
import { Apis, type DeleteTopicsRequest, type DeleteTopicsResponse } from '@sluice/protocol';
import { defineHandler, errorCodeOf } from './handler.js';

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  api: Apis.DeleteTopics,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const responses = [];
    for (const name of new Set(request.topicNames)) {
      try {
        await broker.deleteTopic(name);
        responses.push({ name, errorCode: 0 });
      } catch (error) {
        responses.push({ name, errorCode: errorCodeOf(error, context) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
