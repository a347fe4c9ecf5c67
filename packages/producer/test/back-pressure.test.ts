import * as sluiceBroker from '@sluice/broker';
import { startSluiceBrokerBehindProxy } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BufferExhaustedError, Producer } from '../src/index.js';
import { readTopicValues } from './read-topic.js';

/**
 * A broker that stops answering: the producer's buffer pool fills with unacknowledged records, `send`
 * blocks up to max.block.ms and then fails with BufferExhaustedError. Nothing is dropped: once the broker
 * answers again, every message taken is delivered, and only those.
 */
describe('a full buffer pool', () => {
  const broker = startedForSuite(() => startSluiceBrokerBehindProxy(sluiceBroker));

  it('makes send wait up to maxBlockMs, then fail with BufferExhaustedError; nothing taken is dropped', async () => {
    const producer = new Producer({
      bootstrapServers: `127.0.0.1:${broker.proxy.port}`,
      bufferMemoryBytes: 64 * 1024,
      batchSizeBytes: 8 * 1024,
      maxBlockMs: 400,
      requestTimeoutMs: 30_000,
      socketConnectionSetupTimeoutMs: 30_000,
      reconnectBackoffMs: 10,
      reconnectBackoffMaxMs: 100,
      logger: pino({ level: 'silent' }),
    });
    const topic = 'back-pressure';
    await producer.send({ topic, messages: [{ value: 'before', partition: 0 }] });

    // The broker goes quiet: connections are cut, new ones connect but nothing flows.
    broker.proxy.hold();
    const value = (i: number) => `${i}:${'v'.repeat(200)}`;
    const settled: { index: number; outcome: 'sent' | 'refused'; accepted?: number }[] = [];
    const sends: Promise<unknown>[] = [];
    let index = 0;
    let refusedAt = -1;
    let refusal: BufferExhaustedError | null = null;
    const refusals: BufferExhaustedError[] = [];
    const started = Date.now();
    // 100 messages of ~210 bytes per send: the 64 KiB pool holds about 3 sends' worth.
    while (refusal === null && Date.now() - started < 10_000) {
      const first = index;
      const messages = Array.from({ length: 100 }, (_, j) => ({ value: value(first + j), partition: 0 }));
      index += 100;
      const sendStarted = Date.now();
      const send = producer.send({ topic, messages }).then(
        (results) => {
          settled.push({ index: first, outcome: 'sent' });
          return results;
        },
        (error: unknown) => {
          if (!BufferExhaustedError.isInstance(error)) throw error;
          const accepted = error.acceptedMessages;
          settled.push({ index: first, outcome: 'refused', accepted });
          refusals.push(error);
          refusal = error;
          refusedAt = first;
          expect(Date.now() - sendStarted).toBeGreaterThanOrEqual(390);
        },
      );
      sends.push(send);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(refusal).not.toBeNull();
    expect(refusal!.message).toContain('within max.block.ms (400 ms)');
    expect(settled.filter((entry) => entry.outcome === 'sent')).toEqual([]);

    // Stop offering more, let the broker answer again, and wait for everything taken.
    broker.proxy.release();
    await Promise.all(sends);
    // Sends queued behind a blocked one began to wait with less of their budget left; every refusal
    // still names the configured max.block.ms.
    expect(refusals.length).toBeGreaterThan(0);
    for (const refused of refusals) expect(refused.message).toContain('within max.block.ms (400 ms)');
    await producer.flush();
    await producer.close();

    const refusedSends = settled.filter((entry) => entry.outcome === 'refused');
    const expected = ['before'];
    for (let first = 0; first < index; first += 100) {
      const refused = refusedSends.find((entry) => entry.index === first);
      const taken = refused === undefined ? 100 : refused.accepted!;
      for (let j = 0; j < taken; j++) expected.push(value(first + j));
    }
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    const stored = (await readTopicValues(broker.bootstrap, topic)).get(0)!;
    expect(stored.length).toBe(expected.length);
    expect(stored).toEqual(expected);
  });
});
