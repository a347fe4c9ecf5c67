import * as sluiceBroker from '@sluice/broker';
import { Producer } from '@sluice/producer';
import {
  removeDirectory,
  startBrokerProcess,
  startSluiceBrokerBehindProxy,
  temporaryDirectory,
} from '@sluice/test-support';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Consumer, deserializers } from '../src/index.js';

/** Slow suite: the consumer carries on through a broker restart and through cut connections. */

const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });
const quickRetries = {
  retryBackoffMs: 20,
  retryBackoffMaxMs: 200,
  reconnectBackoffMs: 20,
  reconnectBackoffMaxMs: 200,
  requestTimeoutMs: 3_000,
  socketConnectionSetupTimeoutMs: 2_000,
};

describe('consumer under faults', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('resumes after the broker is killed and restarted, neither skipping nor repeating records', async () => {
    const dataDir = temporaryDirectory();
    let broker = await startBrokerProcess({ dataDir });
    const port = broker.port;
    cleanups.push(async () => {
      await broker.kill();
      removeDirectory(dataDir);
    });
    const send = async (from: number, count: number) => {
      const producer = new Producer({ bootstrapServers: broker.bootstrap, logger, ...quickRetries });
      await producer.send({
        topic: 'restart',
        messages: Array.from({ length: count }, (_, i) => ({ value: String(from + i) })),
      });
      await producer.close();
    };
    await send(0, 100);
    const consumer = new Consumer<Buffer, string>({
      bootstrapServers: broker.bootstrap,
      valueDeserializer: deserializers.string,
      fetchMaxWaitMs: 100,
      logger,
      ...quickRetries,
    });
    consumer.assign([{ topic: 'restart', partition: 0, offset: 0 }]);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const record of consumer.records({ signal: AbortSignal.timeout(60_000) })) {
        seen.push(record.value!);
        if (seen.length === 200) break;
      }
    })();
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(100);
    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 300));
    broker = await startBrokerProcess({ dataDir, port });
    await send(100, 100);
    await reading;
    await consumer.close();
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('keeps reading in order while its connections keep being cut', async () => {
    const broker = await startSluiceBrokerBehindProxy(sluiceBroker);
    cleanups.push(() => broker.stop());
    const { proxy } = broker;
    const producer = new Producer({ bootstrapServers: broker.bootstrap, logger });
    const total = 20_000;
    for (let from = 0; from < total; from += 1_000) {
      await producer.send({
        topic: 'cut',
        messages: Array.from({ length: 1_000 }, (_, i) => ({ value: String(from + i) })),
      });
    }
    await producer.close();
    const consumer = new Consumer<Buffer, string>({
      bootstrapServers: `127.0.0.1:${proxy.port}`,
      valueDeserializer: deserializers.string,
      maxPartitionFetchBytes: 16 * 1024,
      logger,
      ...quickRetries,
    });
    consumer.assign([{ topic: 'cut', partition: 0, offset: 0 }]);
    let cuts = 0;
    const cutter = setInterval(() => {
      if (proxy.dropConnections() > 0) cuts++;
    }, 15);
    const seen: number[] = [];
    for await (const record of consumer.records({ signal: AbortSignal.timeout(60_000) })) {
      seen.push(Number(record.value));
      // Slow the reader down a little so that cuts land while it reads.
      if (seen.length % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      if (seen.length === total) break;
    }
    clearInterval(cutter);
    await consumer.close();
    expect(cuts).toBeGreaterThan(5);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});
