import { createServer, type Server } from 'node:net';
import * as sluiceBroker from '@sluice/broker';
import { Apis } from '@sluice/protocol';
import { startSluiceBrokerBehindProxy } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BrokerPool, type BrokerPoolOptions } from './broker-pool.js';
import { ManualClock } from './clock.js';
import { ConnectionError } from './errors.js';

const logger = pino({ level: 'silent' });

function poolOptions(port: number, overrides: Partial<BrokerPoolOptions> = {}): BrokerPoolOptions {
  return {
    bootstrapServers: [{ host: '127.0.0.1', port }],
    clientId: 'pool-test',
    requestTimeoutMs: 5_000,
    connectionSetupTimeoutMs: 5_000,
    reconnectBackoffMs: 50,
    reconnectBackoffMaxMs: 1_000,
    logger,
    ...overrides,
  };
}

/** A listener that accepts and at once closes every connection, counting them. */
async function slammingServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, accepted: () => accepted };
}

describe('BrokerPool', () => {
  // Clients learn the proxy's address from metadata, so every connection goes through it.
  const broker = startedForSuite(() => startSluiceBrokerBehindProxy(sluiceBroker));

  it('reconnects to a broker after the broker side drops the connection', async () => {
    const pool = new BrokerPool(
      poolOptions(broker.proxy.port, { reconnectBackoffMs: 0, reconnectBackoffMaxMs: 0 }),
    );
    const bootstrap = await pool.anyConnection();
    const metadata = await bootstrap.request(Apis.Metadata, { topics: [] });
    pool.setBrokers(new Map(metadata.brokers.map((node) => [node.nodeId, node])));
    const first = await pool.connection(1);
    await first.request(Apis.Metadata, { topics: [] });
    expect(broker.proxy.dropConnections()).toBeGreaterThan(0);
    await first.closed;
    const second = await pool.connection(1);
    expect(second).not.toBe(first);
    await expect(second.request(Apis.Metadata, { topics: [] })).resolves.toMatchObject({ controllerId: 1 });
    await pool.close();
  });

  it('shares one connection attempt among concurrent callers', async () => {
    const before = broker.proxy.accepted;
    const pool = new BrokerPool(poolOptions(broker.proxy.port));
    const connections = await Promise.all(Array.from({ length: 10 }, () => pool.anyConnection()));
    expect(new Set(connections).size).toBe(1);
    expect(broker.proxy.accepted - before).toBe(1);
    await pool.close();
    expect(connections[0].state).toBe('closed');
  });

  it('backs off between failed attempts, doubling from reconnect.backoff.ms up to reconnect.backoff.max.ms', async () => {
    const slamming = await slammingServer();
    const clock = new ManualClock();
    const pool = new BrokerPool(
      poolOptions(slamming.port, {
        clock,
        random: () => 0.5,
        reconnectBackoffMs: 100,
        reconnectBackoffMaxMs: 300,
      }),
    );
    await expect(pool.anyConnection()).rejects.toSatisfy(ConnectionError.isInstance);
    expect(slamming.accepted()).toBe(1);
    // The next attempt waits 100 ms (jitter 0.5 gives the middle of [80%, 120%]), then 200, then 300 (the cap).
    for (const waitMs of [100, 200, 300, 300]) {
      const attempt = pool.anyConnection().catch((error: Error) => error);
      const acceptedBefore = slamming.accepted();
      await clock.advance(waitMs - 1);
      expect(slamming.accepted()).toBe(acceptedBefore);
      await clock.advance(1);
      expect(ConnectionError.isInstance(await attempt)).toBe(true);
      expect(slamming.accepted()).toBe(acceptedBefore + 1);
    }
    await pool.close();
    await new Promise<void>((resolve) => slamming.server.close(() => resolve()));
  });

  it('tries the next bootstrap server when one is down', async () => {
    const slamming = await slammingServer();
    const pool = new BrokerPool({
      ...poolOptions(broker.proxy.port),
      bootstrapServers: [
        { host: '127.0.0.1', port: slamming.port },
        { host: '127.0.0.1', port: broker.proxy.port },
      ],
    });
    for (let i = 0; i < 5; i++) {
      const connection = await pool.anyConnection();
      expect(connection.address.port).toBe(broker.proxy.port);
      connection.destroy(null);
    }
    await pool.close();
    await new Promise<void>((resolve) => slamming.server.close(() => resolve()));
  });
});
