import * as sluiceBroker from '@sluice/broker';
import {
  type BrokerProcess,
  removeDirectory,
  startBrokerProcess,
  startSluiceBrokerBehindProxy,
  temporaryDirectory,
} from '@sluice/test-support';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Producer, partitionForKey, type RecordMetadata } from '../src/index.js';
import { readTopicValues } from './read-topic.js';

/**
 * Slow suite: an idempotent producer keeps sending while the broker is killed and restarted, or while its
 * connections are cut. Every send must resolve, and the topic must hold each acknowledged message exactly
 * once, in send order per partition, at the offset the send reported.
 */

const PARTITIONS = 3;
const KEYS = Array.from({ length: 9 }, (_, i) => `key-${i}`);
const logger = pino({ level: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent' });

interface Workload {
  /** Resolves when every send has settled; rejects on the first failed send. */
  readonly done: Promise<void>;
  stop(): void;
  /** Messages sent so far. */
  readonly sent: () => number;
  /** What each send resolved with, by message index. */
  readonly results: RecordMetadata[];
}

/** Sends numbered messages, `perSend` at a time with up to `maxOutstanding` sends in flight, until stopped. */
function runWorkload(producer: Producer, topic: string, perSend: number, maxOutstanding: number): Workload {
  let stopped = false;
  let next = 0;
  const results: RecordMetadata[] = [];
  const done = (async () => {
    const outstanding = new Set<Promise<void>>();
    while (!stopped) {
      const first = next;
      const messages = Array.from({ length: perSend }, (_, j) => ({
        key: KEYS[(first + j) % KEYS.length],
        value: String(first + j),
      }));
      next += perSend;
      const send: Promise<void> = producer.send({ topic, messages }).then((metadata) => {
        metadata.forEach((result, j) => {
          results[first + j] = result;
        });
        outstanding.delete(send);
      });
      outstanding.add(send);
      if (outstanding.size >= maxOutstanding) await Promise.race(outstanding);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(outstanding);
  })();
  return { done, stop: () => (stopped = true), sent: () => next, results };
}

/** The topic must hold every message exactly once, in order per partition, where its send said. */
async function expectExactlyOnceInOrder(bootstrap: string, topic: string, workload: Workload): Promise<void> {
  const stored = await readTopicValues(bootstrap, topic);
  const expected = new Map<number, string[]>();
  for (let i = 0; i < workload.sent(); i++) {
    const partition = partitionForKey(Buffer.from(KEYS[i % KEYS.length]), PARTITIONS);
    if (!expected.has(partition)) expected.set(partition, []);
    expected.get(partition)!.push(String(i));
  }
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const values = stored.get(partition) ?? [];
    const want = expected.get(partition) ?? [];
    const duplicates = values.length - new Set(values).size;
    expect({ partition, duplicates, count: values.length }).toEqual({
      partition,
      duplicates: 0,
      count: want.length,
    });
    expect(values).toEqual(want);
  }
  for (let i = 0; i < workload.sent(); i++) {
    const result = workload.results[i];
    expect(stored.get(result.partition)![result.offset]).toBe(String(i));
  }
}

describe('idempotent producer under faults', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('neither loses, duplicates nor reorders acknowledged sends across broker kills and restarts', async () => {
    const dataDir = temporaryDirectory();
    let broker: BrokerProcess = await startBrokerProcess({
      dataDir,
      settings: { 'num.partitions': String(PARTITIONS) },
    });
    const port = broker.port;
    cleanups.push(async () => {
      await broker.kill();
      removeDirectory(dataDir);
    });
    const producer = new Producer({
      bootstrapServers: broker.bootstrap,
      lingerMs: 2,
      requestTimeoutMs: 3_000,
      socketConnectionSetupTimeoutMs: 2_000,
      retryBackoffMs: 20,
      retryBackoffMaxMs: 300,
      reconnectBackoffMs: 20,
      reconnectBackoffMaxMs: 300,
      logger,
    });
    expect(producer.idempotent).toBe(true);
    const topic = 'restarts';
    const workload = runWorkload(producer, topic, 20, 25);
    for (const signal of ['SIGKILL', 'SIGTERM', 'SIGKILL'] as const) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const sentBefore = workload.sent();
      if (signal === 'SIGKILL') await broker.kill();
      else await broker.stop();
      broker = await startBrokerProcess({
        dataDir,
        port,
        settings: { 'num.partitions': String(PARTITIONS) },
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(workload.sent()).toBeGreaterThan(sentBefore);
    }
    workload.stop();
    await workload.done;
    expect(workload.sent()).toBeGreaterThan(1_000);
    await producer.close();
    await expectExactlyOnceInOrder(broker.bootstrap, topic, workload);
  });

  it('neither loses, duplicates nor reorders acknowledged sends while connections keep being cut', async () => {
    const broker = await startSluiceBrokerBehindProxy(sluiceBroker, { 'num.partitions': String(PARTITIONS) });
    cleanups.push(() => broker.stop());
    const { proxy } = broker;
    const producer = new Producer({
      bootstrapServers: `127.0.0.1:${proxy.port}`,
      requestTimeoutMs: 3_000,
      retryBackoffMs: 5,
      retryBackoffMaxMs: 50,
      reconnectBackoffMs: 5,
      reconnectBackoffMaxMs: 50,
      logger,
    });
    const topic = 'cut-connections';
    const workload = runWorkload(producer, topic, 10, 25);
    let cuts = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 15 + (i % 4) * 10));
      if (proxy.dropConnections() > 0) cuts++;
    }
    workload.stop();
    await workload.done;
    expect(cuts).toBeGreaterThan(20);
    expect(proxy.accepted).toBeGreaterThan(20);
    await producer.close();
    await expectExactlyOnceInOrder(broker.bootstrap, topic, workload);
  });
});
