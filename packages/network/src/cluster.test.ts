import * as sluiceBroker from '@sluice/broker';
import { Apis } from '@sluice/protocol';
import { freePort, startSluiceBrokerBehindProxy } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { ConnectionError } from './errors.js';
import { networkOptionRelations, networkOptionTable } from './network-options.js';
import { resolveOptions } from './options.js';

const logger = pino({ level: 'silent' });

describe('Cluster', () => {
  const broker = startedForSuite(() => startSluiceBrokerBehindProxy(sluiceBroker));

  function client(): Cluster {
    return new Cluster({
      ...resolveOptions(
        networkOptionTable,
        {
          bootstrapServers: `127.0.0.1:${broker.proxy.port}`,
          retryBackoffMs: 20,
          retryBackoffMaxMs: 100,
          reconnectBackoffMs: 10,
          reconnectBackoffMaxMs: 50,
        },
        networkOptionRelations,
      ),
      allowAutoTopicCreation: true,
      logger,
    });
  }

  it('retries a request through a broker outage until it comes back, within the deadline', async () => {
    const cluster = client();
    await cluster.connect();
    const deadPort = await freePort();
    broker.proxy.setTarget('127.0.0.1', deadPort);
    broker.proxy.dropConnections();
    const started = Date.now();
    const answer = cluster.requestWithRetry(
      'controller',
      Apis.Metadata,
      { topics: [] },
      { deadlineMs: started + 5_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    broker.proxy.setTarget('127.0.0.1', broker.broker.port);
    await expect(answer).resolves.toMatchObject({ controllerId: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await cluster.close();
  });

  it('fails with the last connection error when the broker stays away past the deadline', async () => {
    const cluster = client();
    await cluster.connect();
    broker.proxy.setTarget('127.0.0.1', await freePort());
    broker.proxy.dropConnections();
    const error = await cluster
      .requestWithRetry(1, Apis.Metadata, { topics: [] }, { deadlineMs: Date.now() + 300 })
      .catch((failure: Error) => failure);
    expect(ConnectionError.isInstance(error)).toBe(true);
    broker.proxy.setTarget('127.0.0.1', broker.broker.port);
    await cluster.close();
  });

  it('refuses requests once closed', async () => {
    const cluster = client();
    await cluster.connect();
    await cluster.close();
    await expect(cluster.request('any', Apis.Metadata, { topics: [] })).rejects.toThrow(
      'the client is closed',
    );
  });
});
