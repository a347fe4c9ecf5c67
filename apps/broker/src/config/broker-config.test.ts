import { describe, expect, it } from 'vitest';
import { parseCliOptions } from '../cli-options.js';
import { resolveBrokerConfig } from './broker-config.js';
import { ConfigError } from './config-definition.js';

const resolve = (entries: Record<string, string>) => resolveBrokerConfig(new Map(Object.entries(entries)));

describe('broker config', () => {
  it('starts from Kafka’s defaults', () => {
    const config = resolve({});
    expect(config.listener).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(config.advertisedListener).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(config.nodeId).toBe(1);
    expect(config.logDir).toBe('./data');
    expect(config.numPartitions).toBe(1);
    expect(config.autoCreateTopicsEnable).toBe(true);
    expect(config.logRetentionMs).toBe(168 * 3_600_000);
    expect(config.socketRequestMaxBytes).toBe(100 * 1024 * 1024);
    expect(config.logFlushIntervalMessages).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('applies Kafka’s precedence: retention ms over minutes over hours', () => {
    expect(resolve({ 'log.retention.hours': '1' }).logRetentionMs).toBe(3_600_000);
    expect(resolve({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs).toBe(
      120_000,
    );
    expect(resolve({ 'log.retention.minutes': '2', 'log.retention.ms': '-1' }).logRetentionMs).toBe(-1);
  });

  it('refuses unknown keys and bad values with a message naming them', () => {
    expect(() => resolve({ 'log.retention.hourz': '1' })).toThrow(/Unknown config log.retention.hourz/);
    expect(() => resolve({ 'num.partitions': '0' })).toThrow(
      'Invalid value "0" for num.partitions: must be an integer at least 1 and at most 2147483647.',
    );
    expect(() => resolve({ 'auto.create.topics.enable': 'yes' })).toThrow(/must be true or false/);
    expect(() => resolve({ 'log.message.timestamp.type': 'Now' })).toThrow(
      /one of CreateTime, LogAppendTime/,
    );
    expect(() => resolve({ listeners: 'SSL://host:1' })).toThrow(/PLAINTEXT:\/\/host:port/);
    expect(() => resolve({ listeners: 'PLAINTEXT://0.0.0.0:9092' })).toThrow(
      /advertised.listeners must name a host/,
    );
    expect(() => resolve({ 'socket.request.max.bytes': '99999999999' })).toThrow(ConfigError);
  });

  it('takes log.cleanup.policy in either order, and refuses what the log would refuse, naming the key', () => {
    expect(resolve({ 'log.cleanup.policy': 'delete,compact' }).logCleanupPolicy).toBe('compact,delete');
    expect(resolve({ 'log.cleanup.policy': 'compact' }).logCleanupPolicy).toBe('compact');
    for (const [key, value] of [
      ['log.cleanup.policy', 'foo'],
      ['log.cleanup.policy', ''],
      ['log.cleanup.policy', 'delete,delete,nothing'],
      ['log.index.size.max.bytes', '5'],
      ['log.index.size.max.bytes', String(2 ** 30)],
      ['message.max.bytes', String(2 ** 30)],
    ]) {
      expect(() => resolve({ [key]: value }), `${key}=${value}`).toThrow(
        expect.objectContaining({ name: 'ConfigError', key, message: expect.stringContaining(key) }),
      );
    }
  });

  it('refuses a log level pino does not have, naming where it came from', () => {
    expect(parseCliOptions(['--log-level', 'warn']).logLevel).toBe('warn');
    expect(parseCliOptions([], { SLUICE_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => parseCliOptions(['--log-level', 'loud'])).toThrow(
      expect.objectContaining({ key: '--log-level', message: expect.stringContaining('"loud"') }),
    );
    expect(() => parseCliOptions([], { SLUICE_LOG_LEVEL: 'verbose' })).toThrow(
      expect.objectContaining({ key: 'SLUICE_LOG_LEVEL' }),
    );
  });

  it('takes the command line: file, then flags, then --set', () => {
    const options = parseCliOptions([
      '--port',
      '9999',
      '--data-dir',
      '/tmp/x',
      '--set',
      'num.partitions=4',
      '--set',
      'log.dirs=/tmp/y',
    ]);
    const config = resolveBrokerConfig(options.properties);
    expect(config.listener.port).toBe(9999);
    expect(config.logDir).toBe('/tmp/y');
    expect(config.numPartitions).toBe(4);
    expect(() => parseCliOptions(['--nope'])).toThrow(/Unknown option '--nope'/);
    expect(() => parseCliOptions(['--set', 'novalue'])).toThrow(/KEY=VALUE/);
  });
});
