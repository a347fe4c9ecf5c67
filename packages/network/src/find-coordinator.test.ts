import * as sluiceBroker from '@sluice/broker';
import { startSluiceBroker } from '@sluice/test-support';
import { describeWithMockCluster, startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { ConnectionError } from './errors.js';
import { findCoordinator } from './find-coordinator.js';
import { networkOptionRelations, networkOptionTable } from './network-options.js';
import { resolveOptions } from './options.js';

const logger = pino({ level: 'silent' });

function client(bootstrap: string): Cluster {
  return new Cluster({
    ...resolveOptions(
      networkOptionTable,
      { bootstrapServers: bootstrap, retryBackoffMs: 20 },
      networkOptionRelations,
    ),
    allowAutoTopicCreation: false,
    logger,
  });
}

describe('findCoordinator against a Sluice broker', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker));

  it('names the broker that coordinates a group, at the address its metadata advertises', async () => {
    const cluster = client(broker.bootstrap);
    try {
      await cluster.connect();
      const coordinator = await findCoordinator(cluster, 'orders-service');
      const node = cluster.metadata.snapshot.brokers.get(coordinator.nodeId);
      expect(node).toBeDefined();
      expect({ host: coordinator.host, port: coordinator.port }).toEqual({
        host: node!.host,
        port: node!.port,
      });
      // The same group always has the same coordinator.
      expect(await findCoordinator(cluster, 'orders-service')).toEqual(coordinator);
    } finally {
      await cluster.close();
    }
  });

  it('retries until its deadline while no broker answers, then fails with the last error', async () => {
    const cluster = client('127.0.0.1:1');
    try {
      const startedMs = Date.now();
      const error = await findCoordinator(cluster, 'g', 'group', { deadlineMs: startedMs + 500 }).catch(
        (caught: unknown) => caught,
      );
      expect(ConnectionError.isInstance(error)).toBe(true);
      expect(Date.now() - startedMs).toBeLessThan(5_000);
    } finally {
      await cluster.close();
    }
  });
});

describeWithMockCluster(
  "findCoordinator against librdkafka's mock cluster",
  { lifetimeSeconds: 300 },
  (mock) => {
    it('names one of its three brokers', async () => {
      const cluster = client(mock.bootstrap);
      try {
        await cluster.connect();
        const coordinator = await findCoordinator(cluster, 'g');
        expect([...cluster.metadata.snapshot.brokers.keys()]).toContain(coordinator.nodeId);
      } finally {
        await cluster.close();
      }
    });
  },
);
