import { validateLogConfig } from '@sluice/log';
import { describe, expect, it } from 'vitest';
import { brokerConfigKeys, resolveBrokerConfig } from './broker-config.js';
import { ConfigError } from './config-definition.js';
import {
  effectiveTopicConfig,
  parseTopicConfigValue,
  TOPIC_CONFIG_KEYS,
  toLogConfig,
  validateTopicConfigs,
} from './topic-config.js';

const config = resolveBrokerConfig(new Map());

describe('topic configs', () => {
  it('takes cleanup.policy in either order and keeps it in the form the log takes', () => {
    expect(validateTopicConfigs([['cleanup.policy', 'delete,compact']])).toEqual({
      'cleanup.policy': 'compact,delete',
    });
    expect(validateTopicConfigs([['cleanup.policy', ' compact , delete ']])).toEqual({
      'cleanup.policy': 'compact,delete',
    });
    expect(validateTopicConfigs([['cleanup.policy', 'compact,compact']])).toEqual({
      'cleanup.policy': 'compact',
    });
    expect(validateTopicConfigs([['cleanup.policy', 'delete']])).toEqual({ 'cleanup.policy': 'delete' });
    expect(validateTopicConfigs([['retention.ms', ' 1000']])).toEqual({ 'retention.ms': ' 1000' });
  });

  it('refuses every value the log would refuse, naming the key', () => {
    for (const [name, value] of [
      ['cleanup.policy', 'foo'],
      ['cleanup.policy', 'delete,foo'],
      ['cleanup.policy', ''],
      ['cleanup.policy', 'compact,'],
      ['segment.index.bytes', '11'],
      ['segment.index.bytes', String(2 ** 28 + 1)],
      ['max.message.bytes', String(2 ** 28 + 1)],
      ['segment.bytes', '13'],
      ['message.timestamp.type', 'Now'],
      ['flush.messages', '0'],
    ]) {
      let thrown: unknown;
      try {
        validateTopicConfigs([[name, value]]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `${name}=${value}`).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).key).toBe(name);
      expect((thrown as ConfigError).message).toContain(name);
    }
    expect(() => validateTopicConfigs([['cleanup.policy', 'foo']])).toThrow(
      'Invalid value "foo" for cleanup.policy: must be a comma-separated list of compact, delete, at least one, in any order.',
    );
    expect(() => validateTopicConfigs([['retention.hours', '1']])).toThrow(
      /Unknown topic config retention.hours/,
    );
    expect(() => validateTopicConfigs([['retention.ms', null]])).toThrow(/needs a value/);
  });

  it('has bounds the log takes at both ends: what passes here, the log opens with', () => {
    for (const key of TOPIC_CONFIG_KEYS) {
      if (!key.range) continue;
      for (const edge of key.range) {
        const { value } = parseTopicConfigValue(key.name, String(edge));
        const values = new Map(effectiveTopicConfig({}, config, new Map()).values);
        values.set(key.name, value);
        expect(() => validateLogConfig(toLogConfig(values)), `${key.name}=${edge}`).not.toThrow();
      }
    }
  });

  it('checks a broker key by the same rule as the topic key it is the default of', () => {
    for (const key of TOPIC_CONFIG_KEYS) {
      if (key.brokerSynonym === null) continue;
      const synonym = brokerConfigKeys.get(key.brokerSynonym);
      expect(synonym, key.brokerSynonym).toBeDefined();
      const rule = ({ type, range, allowed, allowedItems }: typeof key) => ({
        type,
        range,
        allowed,
        allowedItems,
      });
      expect(rule({ ...synonym!, brokerSynonym: null }), `${key.name} / ${key.brokerSynonym}`).toEqual(
        rule(key),
      );
    }
  });

  it('leaves a stored override it cannot take out, with the broker value in its place', () => {
    const effective = effectiveTopicConfig(
      { 'cleanup.policy': 'delete,bogus', 'retention.ms': '1000', 'segment.index.bytes': '5' },
      config,
      new Map(),
    );
    expect(effective.rejected.map((error) => error.key)).toEqual(['cleanup.policy', 'segment.index.bytes']);
    expect(effective.values.get('cleanup.policy')).toEqual(['delete']);
    expect(effective.sources.get('cleanup.policy')).toBe('default');
    expect(effective.values.get('retention.ms')).toBe(1000);
    expect(effective.sources.get('retention.ms')).toBe('topic');
    expect(() => validateLogConfig(toLogConfig(effective.values))).not.toThrow();
  });
});
