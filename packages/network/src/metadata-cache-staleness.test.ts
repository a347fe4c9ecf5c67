import { ErrorCode, NotLeaderOrFollowerError, TopicAuthorizationFailedError } from '@sluice/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BrokerPool } from './broker-pool.js';
import { ManualClock, seededRandom } from './clock.js';
import { ConnectionError, kafkaErrorAt, ProtocolError, RequestTimeoutError } from './errors.js';
import { MetadataCache } from './metadata-cache.js';

function metadataCache(clock: ManualClock): MetadataCache {
  const logger = pino({ level: 'silent' });
  const pool = new BrokerPool({
    bootstrapServers: [{ host: '127.0.0.1', port: 9 }],
    clientId: 'staleness',
    requestTimeoutMs: 1_000,
    connectionSetupTimeoutMs: 1_000,
    reconnectBackoffMs: 50,
    reconnectBackoffMaxMs: 1_000,
    logger,
    clock,
  });
  return new MetadataCache({
    pool,
    metadataMaxAgeMs: 300_000,
    requestTimeoutMs: 1_000,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1_000,
    allowAutoTopicCreation: false,
    clock,
    random: seededRandom(1),
    logger,
  });
}

describe('MetadataCache.invalidateIfStale', () => {
  it('schedules a refresh after errors that mean leadership moved, a lost connection or a timeout', () => {
    for (const error of [
      new NotLeaderOrFollowerError(),
      kafkaErrorAt(ErrorCode.LEADER_NOT_AVAILABLE, 'topics/orders/partitions/0'),
      new ConnectionError('connection to b:9092 closed', 'b:9092'),
      new RequestTimeoutError('no answer', 'b:9092'),
    ]) {
      const clock = new ManualClock(0);
      const metadata = metadataCache(clock);
      expect(metadata.invalidateIfStale(error)).toBe(true);
      expect(clock.pendingTimers).toBe(1);
      metadata.close();
    }
  });

  it('leaves the metadata alone after errors that a refresh cannot cure', () => {
    for (const error of [
      new TopicAuthorizationFailedError(),
      new ProtocolError('bad frame'),
      new Error('unexpected'),
      'not an error',
    ]) {
      const clock = new ManualClock(0);
      const metadata = metadataCache(clock);
      expect(metadata.invalidateIfStale(error)).toBe(false);
      expect(clock.pendingTimers).toBe(0);
      metadata.close();
    }
  });
});
