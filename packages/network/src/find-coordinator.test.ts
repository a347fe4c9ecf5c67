import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MockCluster,
  mockClusterUnavailableReason,
  startMockCluster,
} from '../test/support/librdkafka.js';
import { type InProcessBroker, startSluiceBroker } from '../test/support/sluice-broker.js';
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
  let broker: InProcessBroker;

  beforeAll(async () => {
    broker = await startSluiceBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

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

const mockMissing = mockClusterUnavailableReason();

describe.skipIf(mockMissing !== null)(
  `findCoordinator against librdkafka's mock cluster${mockMissing ? ` (skipped: ${mockMissing})` : ''}`,
  () => {
    let mock: MockCluster;

    beforeAll(async () => {
      mock = await startMockCluster(300);
    }, 300_000);

    afterAll(async () => {
      await mock?.stop();
    });

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
