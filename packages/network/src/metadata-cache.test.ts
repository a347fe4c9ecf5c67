import * as sluiceBroker from '@sluice/broker';
import { InvalidTopicError, UnknownTopicOrPartitionError } from '@sluice/protocol';
import { startSluiceBroker } from '@sluice/test-support';
import { describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { TopicMetadataTimeoutError } from './metadata-cache.js';
import { type NetworkOptions, networkOptionRelations, networkOptionTable } from './network-options.js';
import { resolveOptions } from './options.js';

const logger = pino({ level: 'silent' });

function cluster(options: NetworkOptions, allowAutoTopicCreation = true): Cluster {
  return new Cluster({
    ...resolveOptions(networkOptionTable, options, networkOptionRelations),
    allowAutoTopicCreation,
    logger,
  });
}

describe('MetadataCache against a Sluice broker', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker, { 'num.partitions': '3' }));

  it('learns brokers and controller from the bootstrap server', async () => {
    const client = cluster({ bootstrapServers: broker.bootstrap });
    await client.connect();
    const snapshot = client.metadata.snapshot;
    expect(snapshot.controllerId).toBe(1);
    expect([...snapshot.brokers.values()]).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: broker.broker.port, rack: null },
    ]);
    expect(snapshot.clusterId).toBe(broker.broker.clusterId);
    expect(client.pool.knows(1)).toBe(true);
    await client.close();
  });

  it('waits for a topic that auto-creation brings into being and tracks it from then on', async () => {
    const client = cluster({ bootstrapServers: broker.bootstrap });
    await client.connect();
    const topic = await client.metadata.waitForTopic('auto-created', Date.now() + 10_000);
    expect(topic.partitions.map((partition) => [partition.partition, partition.leaderId])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(client.metadata.leaderOf('auto-created', 2)).toBe(1);
    expect(client.metadata.leaderOf('auto-created', 3)).toBe(-1);
    await client.close();
  });

  it('gives up on a topic that never appears at the deadline, with UNKNOWN_TOPIC_OR_PARTITION as the cause', async () => {
    const client = cluster(
      { bootstrapServers: broker.bootstrap, retryBackoffMs: 20, retryBackoffMaxMs: 50 },
      false,
    );
    await client.connect();
    const started = Date.now();
    const error = await client.metadata.waitForTopic('never-created', started + 300).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    expect(error).toBeInstanceOf(TopicMetadataTimeoutError);
    expect(error.message).toContain('topics/never-created: not present in metadata before the deadline');
    expect((error as Error).cause).toBeInstanceOf(UnknownTopicOrPartitionError);
    expect(Date.now() - started).toBeLessThan(2_000);
    await client.close();
  });

  it('fails at once for a topic name the broker calls invalid', async () => {
    const client = cluster({ bootstrapServers: broker.bootstrap });
    await client.connect();
    const error = await client.metadata.waitForTopic('bad/name', Date.now() + 60_000).then(
      () => new Error('expected a failure'),
      (failure: Error) => failure,
    );
    expect(error).toBeInstanceOf(InvalidTopicError);
    expect((error as InvalidTopicError & { location: string }).location).toBe('topics/bad/name');
    await client.close();
  });

  it('coalesces many invalidations into one refresh, no sooner than retry.backoff.ms after the last', async () => {
    const client = cluster({ bootstrapServers: broker.bootstrap, retryBackoffMs: 200 });
    await client.connect();
    let refreshes = 0;
    client.metadata.onChange(() => refreshes++);
    const refreshedAt = client.metadata.lastRefreshAtMs;
    for (let i = 0; i < 20; i++) client.metadata.invalidate();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refreshes).toBe(0);
    await expect.poll(() => refreshes, { timeout: 10_000 }).toBe(1);
    expect(client.metadata.lastRefreshAtMs - refreshedAt).toBeGreaterThanOrEqual(200);
    await client.close();
  });

  it('refreshes every metadata.max.age.ms without being asked', async () => {
    const client = cluster({ bootstrapServers: broker.bootstrap, metadataMaxAgeMs: 50 });
    await client.connect();
    let refreshes = 0;
    client.metadata.onChange(() => refreshes++);
    await expect.poll(() => refreshes, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await client.close();
  });
});

// Its default ranges: Metadata only up to v2, which this client speaks too.
describeWithMockCluster("Cluster against librdkafka's mock cluster", { lifetimeSeconds: 120 }, (mock) => {
  it('bootstraps, negotiates Metadata v2, and connects to the leader of each partition', async () => {
    const client = cluster({ bootstrapServers: mock.bootstrap.split(',')[0] });
    await client.connect();
    expect(client.metadata.snapshot.brokers.size).toBe(3);
    const topic = await client.metadata.waitForTopic('t', Date.now() + 10_000);
    expect(topic.partitions).toHaveLength(3);
    for (const partition of topic.partitions) {
      const connection = await client.connectionTo(partition.leaderId);
      expect(connection.nodeId).toBe(partition.leaderId);
      expect(connection.versions.summary().Metadata).toBe(2);
      const node = client.metadata.snapshot.brokers.get(partition.leaderId)!;
      expect(connection.address).toEqual({ host: node.host, port: node.port });
    }
    await client.close();
  });
});
