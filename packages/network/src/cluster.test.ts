import { createServer } from 'node:net';
import { Apis } from '@sluice/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startSluiceBroker } from '../test/support/sluice-broker.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { Cluster } from './cluster.js';
import { ConnectionError } from './errors.js';
import { networkOptionRelations, networkOptionTable } from './network-options.js';
import { resolveOptions } from './options.js';

const logger = pino({ level: 'silent' });

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Cluster', () => {
  let broker: InProcessBroker;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await TcpProxy.start();
    broker = await startSluiceBroker({ 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` });
    proxy.setTarget('127.0.0.1', broker.broker.port);
  });

  afterAll(async () => {
    await broker?.stop();
    await proxy?.stop();
  });

  function client(): Cluster {
    return new Cluster({
      ...resolveOptions(
        networkOptionTable,
        {
          bootstrapServers: `127.0.0.1:${proxy.port}`,
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
    const deadPort = await unusedPort();
    proxy.setTarget('127.0.0.1', deadPort);
    proxy.dropConnections();
    const started = Date.now();
    const answer = cluster.requestWithRetry(
      'controller',
      Apis.Metadata,
      { topics: [] },
      { deadlineMs: started + 5_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.setTarget('127.0.0.1', broker.broker.port);
    await expect(answer).resolves.toMatchObject({ controllerId: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await cluster.close();
  });

  it('fails with the last connection error when the broker stays away past the deadline', async () => {
    const cluster = client();
    await cluster.connect();
    proxy.setTarget('127.0.0.1', await unusedPort());
    proxy.dropConnections();
    const error = await cluster
      .requestWithRetry(1, Apis.Metadata, { topics: [] }, { deadlineMs: Date.now() + 300 })
      .catch((failure: Error) => failure);
    expect(ConnectionError.isInstance(error)).toBe(true);
    proxy.setTarget('127.0.0.1', broker.broker.port);
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
