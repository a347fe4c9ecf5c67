/**
 * DescribeConfigs, versions 0-1: topic (resource type 2) and broker (4) configs by Kafka's names, with
 * their source and, when asked, their synonyms. Unknown keys in configuration_keys are left out, as Kafka
 * does.
 */
import { Apis, type DescribeConfigsRequest, type DescribeConfigsResponse } from '@sluice/protocol';
import {
  type DescribedConfig,
  describeBrokerConfigs,
  describeTopicConfigs,
} from '../config/describe-config.js';
import { defineHandler, errorOf } from './handler.js';

export const RESOURCE_TYPE_TOPIC = 2;
export const RESOURCE_TYPE_BROKER = 4;
const ERROR_UNKNOWN_TOPIC_OR_PARTITION = 3;
const ERROR_INVALID_REQUEST = 42;

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  api: Apis.DescribeConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, context, request) {
    const results = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const failed = (errorCode: number, errorMessage: string) => {
        context.recordError(errorCode);
        return { ...base, errorCode, errorMessage, configs: [] };
      };
      let configs: DescribedConfig[];
      try {
        if (resource.resourceType === RESOURCE_TYPE_TOPIC) {
          if (!broker.getTopic(resource.resourceName)) {
            return failed(
              ERROR_UNKNOWN_TOPIC_OR_PARTITION,
              `Topic '${resource.resourceName}' does not exist.`,
            );
          }
          configs = describeTopicConfigs(broker, resource.resourceName);
        } else if (resource.resourceType === RESOURCE_TYPE_BROKER) {
          if (resource.resourceName !== String(broker.nodeId) && resource.resourceName !== '') {
            return failed(
              ERROR_INVALID_REQUEST,
              `Unexpected broker id ${resource.resourceName}: this is broker ${broker.nodeId}.`,
            );
          }
          configs = describeBrokerConfigs(broker);
        } else {
          return failed(
            ERROR_INVALID_REQUEST,
            `Resource type ${resource.resourceType} is not supported (2 topic, 4 broker).`,
          );
        }
      } catch (error) {
        return { ...base, ...errorOf(error, context), configs: [] };
      }
      const wanted = resource.configurationKeys === null ? null : new Set(resource.configurationKeys);
      return {
        ...base,
        errorCode: 0,
        errorMessage: null,
        configs: configs
          .filter((config) => wanted === null || wanted.has(config.name))
          .map((config) => ({
            name: config.name,
            value: config.value,
            readOnly: config.readOnly,
            isDefault: config.source === 5,
            configSource: config.source,
            isSensitive: false,
            synonyms: request.includeSynonyms ? config.synonyms : [],
          })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
});
