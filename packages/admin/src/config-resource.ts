/** What a config belongs to: Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { topic: 2, broker: 4, brokerLogger: 8 } as const;
export type ConfigResourceTypeName = keyof typeof ConfigResourceType;

/** Where a config value comes from: Kafka's DescribeConfigs config_source codes (v1+). */
export const ConfigSourceName: Readonly<Record<number, ConfigSource>> = {
  [-1]: 'unknown',
  0: 'unknown',
  1: 'dynamic-topic-config',
  2: 'dynamic-broker-config',
  3: 'dynamic-default-broker-config',
  4: 'static-broker-config',
  5: 'default-config',
  6: 'dynamic-broker-logger-config',
};

export type ConfigSource =
  | 'unknown'
  | 'dynamic-topic-config'
  | 'dynamic-broker-config'
  | 'dynamic-default-broker-config'
  | 'static-broker-config'
  | 'default-config'
  | 'dynamic-broker-logger-config';

export function resourceTypeName(code: number): ConfigResourceTypeName | `type-${number}` {
  for (const [name, value] of Object.entries(ConfigResourceType)) {
    if (value === code) return name as ConfigResourceTypeName;
  }
  return `type-${code}`;
}
