/**
 * AlterConfigs, version 0: replaces a topic's config overrides, or this broker's dynamic configs, with the
 * given set (not incremental, as in Kafka). Bad keys or values are INVALID_CONFIG with a message naming
 * them; validate_only checks without changing anything.
 */
import { type AlterConfigsRequest, type AlterConfigsResponse, Apis } from '@sluice/protocol';
import { ConfigError } from '../config/config-definition.js';
import { RESOURCE_TYPE_BROKER, RESOURCE_TYPE_TOPIC } from './describe-configs.js';
import { defineHandler, errorOf } from './handler.js';

const ERROR_INVALID_CONFIG = 40;
const ERROR_INVALID_REQUEST = 42;

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  api: Apis.AlterConfigs,
  minVersion: 0,
  maxVersion: 0,
  async handle(broker, context, request) {
    const responses = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const entries = resource.configs.map((config) => [config.name, config.value] as const);
      try {
        if (resource.resourceType === RESOURCE_TYPE_TOPIC) {
          await broker.alterTopicConfigs(resource.resourceName, entries, request.validateOnly);
        } else if (resource.resourceType === RESOURCE_TYPE_BROKER) {
          if (resource.resourceName !== String(broker.nodeId) && resource.resourceName !== '') {
            context.recordError(ERROR_INVALID_REQUEST);
            responses.push({
              ...base,
              errorCode: ERROR_INVALID_REQUEST,
              errorMessage: `Unexpected broker id ${resource.resourceName}: this is broker ${broker.nodeId}.`,
            });
            continue;
          }
          await broker.alterBrokerConfigs(entries, request.validateOnly);
        } else {
          context.recordError(ERROR_INVALID_REQUEST);
          responses.push({
            ...base,
            errorCode: ERROR_INVALID_REQUEST,
            errorMessage: `Resource type ${resource.resourceType} is not supported (2 topic, 4 broker).`,
          });
          continue;
        }
        responses.push({ ...base, errorCode: 0, errorMessage: null });
      } catch (error) {
        if (error instanceof ConfigError) {
          context.recordError(ERROR_INVALID_CONFIG);
          responses.push({ ...base, errorCode: ERROR_INVALID_CONFIG, errorMessage: error.message });
        } else {
          responses.push({ ...base, ...errorOf(error, context) });
        }
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
