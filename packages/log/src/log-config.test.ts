import { InvalidConfigError } from '@sluice/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_CONFIG, logConfigFromProperties, NEVER, validateLogConfig } from './log-config.js';

describe('LogConfig', () => {
  it("has Kafka's defaults", () => {
    expect(DEFAULT_LOG_CONFIG).toMatchObject({
      segmentBytes: 1_073_741_824,
      segmentMs: 604_800_000,
      indexIntervalBytes: 4096,
      maxMessageBytes: 1_048_588,
      flushMessages: NEVER,
      retentionBytes: -1,
      cleanupPolicy: 'delete',
    });
  });

  it("maps Kafka's dotted topic configs once, Long.MAX_VALUE meaning never", () => {
    const config = logConfigFromProperties({
      'segment.bytes': '1048576',
      'flush.messages': '1',
      'flush.ms': '9223372036854775807',
      'message.timestamp.type': 'LogAppendTime',
      'cleanup.policy': 'compact,delete',
      'unclean.leader.election.enable': 'false',
    });
    expect(config).toMatchObject({
      segmentBytes: 1_048_576,
      flushMessages: 1,
      flushMs: NEVER,
      messageTimestampType: 'LogAppendTime',
      cleanupPolicy: 'compact,delete',
    });
  });

  it("refuses values outside Kafka's bounds, naming the config", () => {
    expect(() => logConfigFromProperties({ 'segment.bytes': '10' })).toThrow(InvalidConfigError);
    expect(() => logConfigFromProperties({ 'flush.messages': '0' })).toThrow(
      /flush.messages must be an integer/,
    );
    expect(() => logConfigFromProperties({ 'retention.ms': 'soon' })).toThrow(
      /retention.ms must be an integer/,
    );
    expect(() => logConfigFromProperties({ 'retention.bytes': '-9223372036854775808' })).toThrow(
      /retention.bytes/,
    );
    expect(() => validateLogConfig({ ...DEFAULT_LOG_CONFIG, cleanupPolicy: 'archive' as never })).toThrow(
      /cleanup.policy/,
    );
  });
});
