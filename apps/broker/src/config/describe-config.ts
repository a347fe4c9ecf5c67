import type { Broker } from '../broker.js';
import { BROKER_CONFIG_KEYS, brokerConfigKeys } from './broker-config.js';
import { type ConfigValue, formatConfigValue, parseConfigValue } from './config-definition.js';
import { brokerTopicDefaults, type ConfigSource, TOPIC_CONFIG_KEYS } from './topic-config.js';

/** DescribeConfigs config_source codes. */
export const ConfigSourceCode = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

const SOURCE_CODES: Record<ConfigSource, number> = {
  topic: ConfigSourceCode.DYNAMIC_TOPIC_CONFIG,
  dynamicBroker: ConfigSourceCode.DYNAMIC_BROKER_CONFIG,
  staticBroker: ConfigSourceCode.STATIC_BROKER_CONFIG,
  default: ConfigSourceCode.DEFAULT_CONFIG,
};

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly source: number;
  /** Where the value could come from, most specific first (DescribeConfigs v1 include_synonyms). */
  readonly synonyms: { name: string; value: string | null; source: number }[];
}

/** Every topic config of `topic`: its value, where it came from, and its synonyms. */
export function describeTopicConfigs(broker: Broker, topic: string): DescribedConfig[] {
  const overrides = broker.getTopic(topic)?.record.configs ?? {};
  const { values, sources } = broker.topicConfig(topic);
  const dynamic = broker.dynamicBrokerConfigOverrides;
  return TOPIC_CONFIG_KEYS.map((key) => {
    const synonyms: DescribedConfig['synonyms'] = [];
    // A stored override that fails today's check is left out (the broker logged it at start).
    if (overrides[key.name] !== undefined && sources.get(key.name) === 'topic') {
      synonyms.push({
        name: key.name,
        value: overrides[key.name],
        source: ConfigSourceCode.DYNAMIC_TOPIC_CONFIG,
      });
    }
    const synonym = key.brokerSynonym;
    if (synonym !== null) {
      if (dynamic[synonym] !== undefined) {
        synonyms.push({
          name: synonym,
          value: dynamic[synonym],
          source: ConfigSourceCode.DYNAMIC_BROKER_CONFIG,
        });
      }
      const explicit = broker.config.explicit.get(synonym);
      if (explicit !== undefined) {
        synonyms.push({ name: synonym, value: explicit, source: ConfigSourceCode.STATIC_BROKER_CONFIG });
      }
    }
    synonyms.push({
      name: synonym ?? key.name,
      value: formatConfigValue(key.defaultValue),
      source: ConfigSourceCode.DEFAULT_CONFIG,
    });
    return {
      name: key.name,
      value: formatConfigValue(values.get(key.name) ?? null),
      readOnly: false,
      source: SOURCE_CODES[sources.get(key.name) ?? 'default'],
      synonyms,
    };
  });
}

/** Every broker config: dynamic override, then the config file / --set, then Kafka's default. */
export function describeBrokerConfigs(broker: Broker): DescribedConfig[] {
  const dynamic = broker.dynamicBrokerConfigOverrides;
  const derived = brokerTopicDefaults(broker.config);
  const derivedByBrokerKey = new Map<string, ConfigValue>();
  for (const key of TOPIC_CONFIG_KEYS) {
    if (key.brokerSynonym !== null) derivedByBrokerKey.set(key.brokerSynonym, derived.get(key.name) ?? null);
  }
  return BROKER_CONFIG_KEYS.map((key) => {
    const synonyms: DescribedConfig['synonyms'] = [];
    const dynamicValue = dynamic[key.name];
    const explicit = broker.config.explicit.get(key.name);
    if (dynamicValue !== undefined) {
      synonyms.push({ name: key.name, value: dynamicValue, source: ConfigSourceCode.DYNAMIC_BROKER_CONFIG });
    }
    if (explicit !== undefined) {
      synonyms.push({ name: key.name, value: explicit, source: ConfigSourceCode.STATIC_BROKER_CONFIG });
    }
    synonyms.push({
      name: key.name,
      value: formatConfigValue(key.defaultValue),
      source: ConfigSourceCode.DEFAULT_CONFIG,
    });
    let value: string | null;
    let source: number;
    if (dynamicValue !== undefined) {
      value = formatConfigValue(parseConfigValue(key, dynamicValue));
      source = ConfigSourceCode.DYNAMIC_BROKER_CONFIG;
    } else if (explicit !== undefined) {
      value = formatConfigValue(parseConfigValue(key, explicit));
      source = ConfigSourceCode.STATIC_BROKER_CONFIG;
    } else {
      value = formatConfigValue(derivedByBrokerKey.get(key.name) ?? staticDefault(broker, key.name));
      source = ConfigSourceCode.DEFAULT_CONFIG;
    }
    return { name: key.name, value, readOnly: !brokerConfigKeys.get(key.name)?.dynamic, source, synonyms };
  });
}

/** Defaults that depend on other keys, as the broker resolved them. */
function staticDefault(broker: Broker, name: string): ConfigValue {
  const config = broker.config;
  switch (name) {
    case 'node.id':
      return config.nodeId;
    case 'log.dirs':
      return [config.logDir];
    case 'advertised.listeners':
      return [`PLAINTEXT://${config.advertisedListener.host}:${config.advertisedListener.port}`];
    default:
      return brokerConfigKeys.get(name)?.defaultValue ?? null;
  }
}
