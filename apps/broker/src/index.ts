export { Broker, type CreateTopicRequest, MAX_PARTITIONS_PER_TOPIC } from './broker.js';
export { type CliOptions, parseCliOptions, USAGE } from './cli-options.js';
export { BROKER_CONFIG_KEYS, type BrokerConfig, resolveBrokerConfig } from './config/broker-config.js';
export { ConfigError } from './config/config-definition.js';
export { parseProperties } from './config/properties.js';
export { TOPIC_CONFIG_KEYS } from './config/topic-config.js';
export { brokerHandlers } from './handlers/index.js';
export { createLogger } from './logger.js';
export { BROKER_NODE_FLAGS, missingNodeFlags } from './node-flags.js';
